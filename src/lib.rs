//! pgcdc: a native PostgreSQL change-data-capture engine.
//!
//! pgcdc reads a PostgreSQL logical replication slot with the `pgoutput` plugin and delivers every
//! committed change, in commit order, to its sinks. Its output is compatible with Debezium's
//! PostgreSQL connector, so existing consumers keep working.
//!
//! The binary `pgcdc` is a thin command-line shell over this library:
//!
//! - [`command`]: the `run`, `replay`, `capture`, `slot` and `check` commands.
//! - [`source`]: the replication connection, slots, publications and the streaming loop.
//! - [`change`]: the engine's model of changes and PostgreSQL values.
//! - [`pipeline`]: acknowledgements and the confirmed LSN.
//! - [`record`] and [`sink`]: what is written, and where (file, stdout).
//! - [`snapshot`]: the initial snapshot, consistent with the slot, read in parallel chunks.
//! - [`config`]: connection settings and configuration.
//! - [`bench`](mod@bench): the reference workloads of the benchmarks.
//! - [`localpg`]: throwaway local PostgreSQL clusters for the quickstart, benchmarks and tests.
//! - [`quickstart`]: the `pgcdc quickstart` demo.
//! - [`sql`]: quoting for the SQL text pgcdc builds.
//!
//! The `pgoutput` crate decodes the replication protocol itself.

pub mod audit;
pub mod bench;
pub mod change;
pub mod command;
pub mod config;
pub mod debezium;
pub mod http;
pub mod localpg;
pub mod metrics;
pub mod pipeline;
pub mod quickstart;
pub mod record;
pub mod sink;
pub mod snapshot;
pub mod source;
pub mod sql;
