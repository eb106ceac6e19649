//! Configuration: connection settings, pgcdc's own settings, and Debezium connector properties.

pub mod connection;
pub mod connector;
pub mod filter;
pub mod kafka;
pub mod load;
pub mod snapshot;
pub mod source;
