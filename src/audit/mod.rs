//! The embedded audit writer: who changed what, when, in which transaction.
//!
//! [`sink::AuditSink`] is a [`Sink`](crate::sink::Sink) that writes one row per change into an
//! audit store in PostgreSQL ([`schema`]): the table, the primary key, the operation, the old and
//! new row as typed JSON ([`row`]), the changed columns, the transaction id, commit LSN and time,
//! and a context saying who made the change ([`context`]). Each batch of rows and the position
//! reached are committed in one database transaction, so after any restart the writer resumes
//! exactly after what it has: every change is stored once. [`query`] reads the store for the
//! audit API ([`crate::http`]).

pub mod config;
pub mod context;
pub mod copy;
pub mod kafka;
pub mod query;
pub mod requests;
pub mod row;
pub mod schema;
pub mod sink;

use crate::config::connection::ConnectionConfig;
use crate::source::connection::{ConnectError, connect_sql};
use crate::sql::PgError;

/// An audit store failure.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The store cannot be reached.
    #[error("audit store: {0}")]
    Connect(#[from] ConnectError),
    /// A statement failed.
    #[error("audit store: {action}: {source}")]
    Sql {
        /// What was being done.
        action: &'static str,
        /// What the server said.
        #[source]
        source: PgError,
    },
    /// The request topic cannot be read.
    #[error("audit request records: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The settings are wrong.
    #[error(transparent)]
    Setting(#[from] crate::config::source::SettingError),
}

impl AuditError {
    /// A failed statement.
    pub fn sql(action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Self {
        move |e| AuditError::Sql {
            action,
            source: PgError(e),
        }
    }
}

/// A connection to the audit store whose background task ends when it is dropped.
pub struct StoreConnection {
    /// The client.
    pub client: tokio_postgres::Client,
    task: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
}

impl std::fmt::Debug for StoreConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConnection").finish_non_exhaustive()
    }
}

impl Drop for StoreConnection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects to the audit store.
pub async fn connect(config: &ConnectionConfig) -> Result<StoreConnection, AuditError> {
    let (client, task) = connect_sql(config).await?;
    Ok(StoreConnection { client, task })
}
