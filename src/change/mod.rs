//! The engine's own model of a change and of PostgreSQL values, free of wire formats.
//!
//! The replication source turns the pgoutput stream into [`Event`]s: a transaction's
//! [`Begin`](Event::Begin), its [`Change`]s (row changes, truncates, logical decoding messages),
//! and its [`Commit`](Event::Commit). Row images are [`Row`]s of [`Datum`]s aligned with the
//! columns of a [`RelationInfo`]; values are typed [`value::Value`]s, parsed with the
//! [`types::TypeCache`]. Every event has a [`Position`]: the commit LSN of its transaction and its
//! index within it, which orders all events and is what sinks acknowledge.

pub mod event;
pub mod types;
pub mod value;

pub use event::{
    Change, ChangeKind, ColumnInfo, CommitInfo, Datum, Event, Position, RelationInfo,
    ReplicaIdentity, Row, SnapshotMarker, TxnInfo,
};
