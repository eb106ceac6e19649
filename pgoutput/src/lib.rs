//! Zero-copy decoder (and encoder) for PostgreSQL's logical replication
//! protocol as spoken by the built-in `pgoutput` plugin, protocol versions 1
//! to 4.
//!
//! The crate is pure: no I/O, no async runtime. It has three layers:
//!
//! - [`ReplicationMessage`]: the CopyData frames the server sends once
//!   `START_REPLICATION` runs (XLogData `w`, primary keepalive `k`), and
//!   [`StandbyStatusUpdate`] / [`HotStandbyFeedback`], the frames the client
//!   sends back.
//! - [`Message`]: the pgoutput messages inside XLogData: Begin, Commit,
//!   Relation, Insert, Update, Delete, ..., streaming (protocol 2),
//!   two-phase (protocol 3) and parallel streaming (protocol 4). A
//!   [`Decoder`] follows Stream Start / Stream Stop, since inside a streamed
//!   block several messages carry an xid.
//! - [`capture`]: a simple file format for recorded frames.
//!
//! Decoding takes a [`Bytes`](bytes::Bytes) and allocates nothing for row
//! data: names, column values and message contents are slices of the frame,
//! and a [`Tuple`] walks its validated columns lazily. Decoding never panics:
//! any malformed input gives a [`DecodeError`] naming the message, the field
//! and the byte offset.
//!
//! LSNs are [`Lsn`]; timestamps are `i64` microseconds since 2000-01-01 UTC,
//! converted by the functions of [`time`].
//!
//! The `encode` feature adds encoders for every message and for the server's
//! frames (for tests, benchmarks, fuzzing and fake servers).
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use pgoutput::{Decoder, Lsn, Message, ReplicationMessage, TupleData};
//!
//! // An XLogData frame as the server sends it: header, then an Insert into
//! // relation 16384 of the row (42, NULL).
//! let frame = Bytes::from_static(
//!     b"w\
//!       \x00\x00\x00\x00\x01\x6b\x37\x48\
//!       \x00\x00\x00\x00\x01\x6b\x37\x80\
//!       \x00\x02\x9a\x3b\x5c\x4d\x2e\x10\
//!       I\x00\x00\x40\x00N\x00\x02t\x00\x00\x00\x0242n",
//! );
//!
//! let ReplicationMessage::XLogData(xlog) = ReplicationMessage::decode(frame)? else {
//!     unreachable!("a keepalive");
//! };
//! assert_eq!(xlog.wal_start, "0/16B3748".parse::<Lsn>()?);
//!
//! let mut decoder = Decoder::new();
//! let Message::Insert(insert) = decoder.decode(xlog.data)? else {
//!     unreachable!("another message");
//! };
//! assert_eq!(insert.relation_oid, 16384);
//! let row: Vec<TupleData> = insert.new.iter().collect();
//! assert_eq!(row, [TupleData::Text(Bytes::from_static(b"42")), TupleData::Null]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod capture;
mod decoder;
mod error;
mod lsn;
mod message;
mod name;
mod reader;
mod replication;
pub mod time;
mod tuple;

pub use decoder::Decoder;
pub use error::{DecodeError, ErrorKind, Field};
pub use lsn::{Lsn, LsnParseError};
pub use message::{
    Begin, BeginPrepare, Column, Commit, CommitPrepared, Delete, Insert, LogicalMessage, Message,
    OldTuple, Origin, Prepare, Relation, ReplicaIdentity, RollbackPrepared, StreamAbort,
    StreamAbortInfo, StreamCommit, StreamPrepare, StreamStart, StreamStop, Truncate, Type, Update,
};
pub use name::{InteriorNulError, Name};
pub use replication::{
    HotStandbyFeedback, PrimaryKeepalive, ReplicationMessage, StandbyStatusUpdate, XLogData,
};
pub use tuple::{Tuple, TupleBuildError, TupleData, TupleDataRef, TupleIter, TupleRefIter};

/// The examples of the README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
