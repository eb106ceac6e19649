//! pgcdc's own connections to PostgreSQL.
//!
//! [`ReplicationClient`] is a small client of the frontend/backend protocol that opens a
//! logical replication connection (`replication=database`), runs replication commands and SQL
//! with the simple query protocol, and enters the CopyBoth mode of `START_REPLICATION`
//! ([`ReplicationStream`]). `tokio-postgres` cannot do this, so the protocol is driven here
//! directly: the message codecs of `postgres-protocol` and a framing of its own, TLS with
//! rustls, over a tokio socket.
//!
//! [`connect_sql`] opens an ordinary `tokio_postgres` connection with the same configuration,
//! TLS rules and errors.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use pgcdc::config::connection::ConnectionConfig;
//! use pgcdc::source::connection::ReplicationClient;
//!
//! let config = ConnectionConfig::parse("postgres://cdc:secret@db:5432/app?sslmode=require")?;
//! let mut client = ReplicationClient::connect(&config).await?;
//! let system = client.identify_system().await?;
//! let mut stream = client
//!     .start_replication("pgcdc", system.xlogpos, &[("proto_version", "1"), ("publication_names", "pgcdc")])
//!     .await?;
//! while let Some(frame) = stream.next_frame().await? {
//!     let message = pgoutput::ReplicationMessage::decode(frame)?;
//!     # let _ = message;
//! }
//! stream.finish().await?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod codec;
mod copy_both;
mod error;
mod query;
mod sql;
mod startup;
mod tls;
mod transport;

use std::collections::HashMap;

use pgoutput::Lsn;

pub use copy_both::ReplicationStream;
pub use error::{ConnectError, QueryError, ServerError, StreamError, WireError};
pub use query::{SimpleRow, SystemIdentity};
pub use sql::{SqlConnectionTask, connect_sql};

use crate::config::connection::ConnectionConfig;
use codec::Backend;
use transport::Transport;

/// A logical replication connection, ready for replication commands and simple queries.
///
/// Its methods are not cancel-safe (a dropped query leaves its answer unread): drop the client
/// if one is cancelled. [`ReplicationStream::next_frame`] is.
#[derive(Debug)]
pub struct ReplicationClient {
    transport: Transport,
    parameters: HashMap<String, String>,
    process_id: Option<i32>,
}

impl ReplicationClient {
    /// Connects as `config` says: TCP (or Unix socket) within `connect_timeout`, TLS per
    /// `sslmode`, the startup message with `replication=database` and the session settings
    /// that fix the text form of values (`client_encoding=UTF8`, `DateStyle=ISO`,
    /// `IntervalStyle=postgres`, `extra_float_digits=3`, `TimeZone=UTC`), and authentication
    /// (trust, password, MD5, SCRAM-SHA-256 with channel binding under TLS).
    pub async fn connect(config: &ConnectionConfig) -> Result<ReplicationClient, ConnectError> {
        tracing::debug!(config = %config, "opening a replication connection");
        let session = startup::open(config, true).await?;
        Ok(ReplicationClient {
            transport: session.transport,
            parameters: session.parameters,
            process_id: session.process_id,
        })
    }

    /// Runs `sql` (one or more statements, or a replication command) with the simple query
    /// protocol and returns the rows of all its statements, values as text.
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleRow>, QueryError> {
        Ok(
            query::simple_query(&mut self.transport, &mut self.parameters, sql)
                .await?
                .rows,
        )
    }

    /// Runs `sql` and returns the command tags of its statements (`CREATE_REPLICATION_SLOT`,
    /// `INSERT 0 1`, ...), dropping any rows.
    pub async fn execute(&mut self, sql: &str) -> Result<Vec<String>, QueryError> {
        Ok(
            query::simple_query(&mut self.transport, &mut self.parameters, sql)
                .await?
                .command_tags,
        )
    }

    /// `IDENTIFY_SYSTEM`: the system identifier, timeline, WAL position and database.
    pub async fn identify_system(&mut self) -> Result<SystemIdentity, QueryError> {
        let rows = self.simple_query("IDENTIFY_SYSTEM").await?;
        SystemIdentity::from_rows(&rows)
    }

    /// The server's version as a number (`150004`, `180000`), from the `server_version` the
    /// server reported at start-up.
    pub fn server_version_num(&self) -> Option<u32> {
        self.parameter("server_version")
            .and_then(parse_server_version)
    }

    /// A server parameter as last reported (`server_version`, `TimeZone`, `DateStyle`, ...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// The process ID of the server backend (the walsender), from BackendKeyData.
    pub fn backend_pid(&self) -> Option<i32> {
        self.process_id
    }

    /// Starts streaming from the logical slot `slot` at `start` (`0/0`: where the slot
    /// stands), with the output plugin's `options` (for pgoutput: `proto_version`,
    /// `publication_names`, ...). Sends
    /// `START_REPLICATION SLOT "slot" LOGICAL X/Y ("name" 'value', ...)` and enters CopyBoth.
    ///
    /// A missing slot is [`QueryError::SlotMissing`]; a slot another connection reads is
    /// [`QueryError::SlotActive`].
    pub async fn start_replication(
        mut self,
        slot: &str,
        start: Lsn,
        options: &[(&str, &str)],
    ) -> Result<ReplicationStream, QueryError> {
        let command = codec::start_replication_command(slot, start, options);
        tracing::debug!(command, "starting replication");
        postgres_protocol::message::frontend::query(&command, self.transport.out())
            .map_err(|e| WireError::Protocol(format!("cannot send the command: {e}")))?;
        self.transport.flush().await?;
        loop {
            match self.transport.next().await? {
                Backend::CopyBoth => {
                    return Ok(ReplicationStream::new(self.transport, self.parameters));
                }
                Backend::Error(server) => {
                    return Err(QueryError::from_replication_error(server, slot));
                }
                Backend::Notice(notice) => tracing::debug!(%notice, "notice"),
                Backend::ParameterStatus { name, value } => {
                    self.parameters.insert(name, value);
                }
                // A physical slot's timeline history or a finished command: not a stream.
                other => {
                    return Err(QueryError::Unexpected {
                        command,
                        reason: format!("expected CopyBothResponse, got {other:?}"),
                    });
                }
            }
        }
    }

    /// Says goodbye (Terminate) and closes the connection.
    pub async fn close(mut self) -> Result<(), WireError> {
        postgres_protocol::message::frontend::terminate(self.transport.out());
        self.transport.flush().await?;
        let _ = self.transport.shutdown().await;
        Ok(())
    }
}

/// `server_version` as a number: `15.4` is 150004, `18.0 (Debian 18.0-1)` is 180000, `9.6.2`
/// is 90602.
fn parse_server_version(version: &str) -> Option<u32> {
    let numeric: &str = version
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut parts = numeric.split('.').map(|part| part.parse::<u32>().ok());
    let major = parts.next()??;
    let second = parts.next().flatten().unwrap_or(0);
    if major >= 10 {
        Some(major * 10_000 + second)
    } else {
        let third = parts.next().flatten().unwrap_or(0);
        Some(major * 10_000 + second * 100 + third)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_server_version;

    #[test]
    fn reads_server_versions() {
        assert_eq!(parse_server_version("15.4"), Some(150004));
        assert_eq!(
            parse_server_version("18.0 (Debian 18.0-1.pgdg120+1)"),
            Some(180000)
        );
        assert_eq!(parse_server_version("18beta1"), Some(180000));
        assert_eq!(parse_server_version("9.6.2"), Some(90602));
        assert_eq!(parse_server_version("devel"), None);
    }
}
