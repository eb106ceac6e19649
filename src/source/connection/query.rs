//! Simple-protocol queries and replication commands: their results as text rows.

use std::collections::HashMap;
use std::sync::Arc;

use postgres_protocol::message::frontend;

use super::codec::Backend;
use super::error::{QueryError, ServerError, WireError};
use super::transport::Transport;

/// One row of a simple query's result: every value in text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleRow {
    /// The column names, shared by the rows of one result.
    pub columns: Arc<[String]>,
    /// The values, `None` for SQL NULL.
    pub values: Vec<Option<String>>,
    /// The command tag of the statement that returned the row (`SELECT 3`, `IDENTIFY_SYSTEM`).
    pub command_tag: Arc<str>,
}

impl SimpleRow {
    /// The value of column `index`; `None` for NULL or no such column.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.values.get(index).and_then(|value| value.as_deref())
    }

    /// The value of the column named `name`; `None` for NULL or no such column.
    pub fn get_by_name(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .position(|column| column == name)
            .and_then(|index| self.get(index))
    }
}

/// The result of a simple query: its rows and the command tags of its statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryOutput {
    pub(crate) rows: Vec<SimpleRow>,
    pub(crate) command_tags: Vec<String>,
}

/// Runs `sql` with the simple query protocol and reads the whole answer, up to ReadyForQuery.
///
/// ParameterStatus messages that arrive update `parameters`.
pub(crate) async fn simple_query(
    transport: &mut Transport,
    parameters: &mut HashMap<String, String>,
    sql: &str,
) -> Result<QueryOutput, QueryError> {
    tracing::debug!(sql, "simple query");
    frontend::query(sql, transport.out())
        .map_err(|e| WireError::Protocol(format!("cannot send the query: {e}")))?;
    transport.flush().await?;
    let mut output = QueryOutput::default();
    let mut columns: Arc<[String]> = Arc::from(Vec::new());
    let mut pending: Vec<Vec<Option<String>>> = Vec::new();
    let mut error: Option<Box<ServerError>> = None;
    loop {
        match transport.next().await? {
            Backend::RowDescription(names) => columns = Arc::from(names),
            Backend::DataRow(values) => {
                if values.len() != columns.len() {
                    return Err(WireError::Protocol(format!(
                        "a row has {} values for {} columns",
                        values.len(),
                        columns.len()
                    ))
                    .into());
                }
                pending.push(values);
            }
            Backend::CommandComplete(tag) => {
                let shared: Arc<str> = Arc::from(tag.as_str());
                output
                    .rows
                    .extend(pending.drain(..).map(|values| SimpleRow {
                        columns: columns.clone(),
                        values,
                        command_tag: shared.clone(),
                    }));
                output.command_tags.push(tag);
            }
            Backend::EmptyQuery => {}
            Backend::Error(server) => {
                if server.is_fatal() {
                    return Err(WireError::Server(server).into());
                }
                error = Some(server);
            }
            Backend::Notice(notice) => tracing::debug!(%notice, "notice"),
            Backend::ParameterStatus { name, value } => {
                parameters.insert(name, value);
            }
            Backend::ReadyForQuery => break,
            Backend::Ignored(_) => {}
            Backend::CopyBoth | Backend::OtherCopy => {
                return Err(QueryError::Unexpected {
                    command: sql.to_owned(),
                    reason: "it started a COPY; use start_replication for START_REPLICATION"
                        .to_owned(),
                });
            }
            other => {
                return Err(WireError::Protocol(format!(
                    "unexpected message in a query result: {other:?}"
                ))
                .into());
            }
        }
    }
    match error {
        Some(server) => Err(QueryError::Server(server)),
        None => Ok(output),
    }
}

/// What `IDENTIFY_SYSTEM` says about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemIdentity {
    /// The cluster's unique system identifier.
    pub system_id: u64,
    /// The current timeline.
    pub timeline: u32,
    /// The current WAL flush location.
    pub xlogpos: pgoutput::Lsn,
    /// The database connected to.
    pub dbname: Option<String>,
}

impl SystemIdentity {
    /// Reads the single row of `IDENTIFY_SYSTEM`.
    pub(crate) fn from_rows(rows: &[SimpleRow]) -> Result<Self, QueryError> {
        let unexpected = |reason: String| QueryError::Unexpected {
            command: "IDENTIFY_SYSTEM".to_owned(),
            reason,
        };
        let [row] = rows else {
            return Err(unexpected(format!("{} rows instead of 1", rows.len())));
        };
        let field = |name: &str| {
            row.get_by_name(name)
                .ok_or_else(|| unexpected(format!("no {name} column")))
        };
        let system_id = field("systemid")?;
        let timeline = field("timeline")?;
        let xlogpos = field("xlogpos")?;
        Ok(SystemIdentity {
            system_id: system_id
                .parse()
                .map_err(|_| unexpected(format!("systemid {system_id:?}")))?,
            timeline: timeline
                .parse()
                .map_err(|_| unexpected(format!("timeline {timeline:?}")))?,
            xlogpos: xlogpos
                .parse()
                .map_err(|_| unexpected(format!("xlogpos {xlogpos:?}")))?,
            dbname: row.get_by_name("dbname").map(str::to_owned),
        })
    }
}
