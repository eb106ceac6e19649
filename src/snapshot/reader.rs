//! Snapshot readers: each opens its own connection, joins the exported snapshot
//! (`REPEATABLE READ`, `SET TRANSACTION SNAPSHOT`), and reads the chunks it claims, in claim
//! order, with `COPY (SELECT ...) TO STDOUT`. Rows are parsed into typed values and handed on in
//! batches through the chunk's bounded channel, so no table is ever held in memory. A chunk whose
//! connection breaks is read again on a new connection in the same snapshot, skipping the rows
//! already handed on.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::SnapshotError;
use super::chunks::Chunk;
use super::copy_text::split_line;
use super::tables::SnapshotTable;
use crate::change::value::parse_text;
use crate::change::{Datum, Row};
use crate::config::connection::ConnectionConfig;
use crate::source::connection::connect_sql;
use crate::sql::{PgError, quote_literal};

/// How often a chunk is tried again after its connection broke.
const CHUNK_RETRIES: u32 = 3;

/// What a reader hands on for a chunk.
#[derive(Debug)]
pub enum ChunkMessage {
    /// Rows, in the chunk's order.
    Rows(Vec<Row>),
    /// The chunk is complete.
    Done,
    /// The chunk cannot be read.
    Failed(SnapshotError),
}

/// What every reader shares.
pub struct Shared {
    /// Where to connect.
    pub connection: ConnectionConfig,
    /// The exported snapshot.
    pub snapshot_name: String,
    /// The tables.
    pub tables: Arc<[SnapshotTable]>,
    /// The chunks, in snapshot order.
    pub chunks: Arc<[Chunk]>,
    /// One channel per chunk.
    pub senders: Vec<mpsc::Sender<ChunkMessage>>,
    /// The next chunk to claim.
    pub next: AtomicUsize,
    /// Rows per batch.
    pub fetch_size: usize,
    /// Stops the readers.
    pub cancel: CancellationToken,
}

/// One reader: claims chunks until there are none left.
pub async fn run(shared: Arc<Shared>) {
    let mut session: Option<Session> = None;
    loop {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(chunk) = shared.chunks.get(index) else {
            return;
        };
        let sender = &shared.senders[index];
        let mut sent = 0u64;
        let mut attempt = 0;
        loop {
            if shared.cancel.is_cancelled() {
                return;
            }
            let result = match session.as_mut() {
                Some(s) => read_chunk(&shared, s, chunk, sender, &mut sent).await,
                None => match Session::open(&shared).await {
                    Ok(s) => {
                        let s = session.insert(s);
                        read_chunk(&shared, s, chunk, sender, &mut sent).await
                    }
                    Err(error) => Err(error),
                },
            };
            match result {
                Ok(()) => {
                    let _ = sender.send(ChunkMessage::Done).await;
                    break;
                }
                Err(error) if error.is_connection_lost() && attempt < CHUNK_RETRIES => {
                    attempt += 1;
                    session = None;
                    tracing::warn!(
                        table = %shared.tables[chunk.table].name(),
                        chunk = chunk.index_in_table,
                        rows_done = sent,
                        %error,
                        attempt,
                        "a snapshot reader lost its connection; reading the rest of the chunk again in the same snapshot"
                    );
                }
                Err(error) => {
                    let _ = sender.send(ChunkMessage::Failed(error)).await;
                    shared.cancel.cancel();
                    return;
                }
            }
        }
    }
}

/// A connection in a transaction that sees the exported snapshot.
struct Session {
    client: tokio_postgres::Client,
    _task: crate::source::connection::SqlConnectionTask,
}

impl Session {
    async fn open(shared: &Shared) -> Result<Session, SnapshotError> {
        let (client, task) = connect_sql(&shared.connection).await?;
        let sql = format!(
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
             SET TRANSACTION SNAPSHOT {};",
            quote_literal(&shared.snapshot_name)
        );
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| SnapshotError::sql("joining the exported snapshot", e))?;
        Ok(Session {
            client,
            _task: task,
        })
    }
}

async fn read_chunk(
    shared: &Shared,
    session: &mut Session,
    chunk: &Chunk,
    sender: &mpsc::Sender<ChunkMessage>,
    sent: &mut u64,
) -> Result<(), SnapshotError> {
    let table = &shared.tables[chunk.table];
    let relation = &table.relation;
    let stream = session
        .client
        .copy_out(&format!("COPY ({}) TO STDOUT", chunk.select))
        .await
        .map_err(|e| SnapshotError::read(table, e))?;
    let mut stream = Pin::from(Box::new(stream));
    let mut skip = *sent;
    let mut fields: Vec<Option<Bytes>> = Vec::with_capacity(relation.columns.len());
    let mut batch = Vec::with_capacity(shared.fetch_size.min(4096));
    let types = &relation.types;
    while let Some(line) = stream.next().await {
        let line = line.map_err(|e| SnapshotError::read(table, e))?;
        if skip > 0 {
            skip -= 1;
            continue;
        }
        split_line(&line, &mut fields).map_err(|e| SnapshotError::Copy {
            table: table.name(),
            reason: e.to_string(),
        })?;
        if fields.len() != relation.columns.len() {
            return Err(SnapshotError::ColumnCount {
                table: table.name(),
                got: fields.len(),
                want: relation.columns.len(),
            });
        }
        let mut values = Vec::with_capacity(fields.len());
        for (field, column) in fields.drain(..).zip(&relation.columns) {
            values.push(match field {
                None => Datum::Null,
                Some(text) => Datum::Value(
                    parse_text(types, column.type_oid, column.type_modifier, text).map_err(
                        |source| SnapshotError::Value {
                            table: table.name(),
                            column: column.name.clone(),
                            source,
                        },
                    )?,
                ),
            });
        }
        batch.push(Row { values });
        if batch.len() >= shared.fetch_size {
            *sent += batch.len() as u64;
            let rows =
                std::mem::replace(&mut batch, Vec::with_capacity(shared.fetch_size.min(4096)));
            if sender.send(ChunkMessage::Rows(rows)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        *sent += batch.len() as u64;
        let _ = sender.send(ChunkMessage::Rows(batch)).await;
    }
    Ok(())
}

impl SnapshotError {
    fn read(table: &SnapshotTable, error: tokio_postgres::Error) -> SnapshotError {
        SnapshotError::Read {
            table: table.name(),
            source: PgError(error),
        }
    }
}
