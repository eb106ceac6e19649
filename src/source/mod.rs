//! The replication source: the connection, slots and publications, the catalog, and the
//! streaming loop that turns the server's pgoutput stream into [`crate::change::Event`]s.

pub mod assembler;
pub mod catalog;
pub mod connection;
pub mod publication;
pub mod slot;
pub mod stream_buffer;
