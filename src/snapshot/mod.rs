//! The initial snapshot: the rows the tables hold when capture starts, as `Read` changes, then
//! streaming from exactly where the snapshot stands.
//!
//! Consistency: a temporary slot is created on a replication connection with an exported
//! snapshot (`CREATE_REPLICATION_SLOT ... TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')`). That
//! connection then stays idle, which keeps the snapshot valid; every reader joins it
//! (`REPEATABLE READ`, `SET TRANSACTION SNAPSHOT`). Every transaction that commits before the
//! slot's consistent point is in the snapshot and every later one in the slot's stream: no
//! change is missed, none is emitted twice. Once every sink has durably taken the last snapshot
//! row, [`Snapshot::persist`] gives the configured slot the consistent point (a copy of the
//! temporary slot, or a move forward of an existing slot with `snapshot.mode=always`), and
//! streaming starts there.
//!
//! Speed: tables are split into chunks ([`chunks`]) that `snapshot.max.threads` readers
//! ([`reader`]) read at once, each chunk streamed through a small bounded channel. Rows are
//! handed on in snapshot order (tables sorted by `schema.table`, chunks in page order), so the
//! records come out as Debezium writes them, and the `source.snapshot` markers
//! ([`SnapshotMarker`]) are Debezium's.
//!
//! Resuming: while the exporting connection lives, a chunk whose reader lost its connection is
//! read again in the same snapshot, from where it stopped. A snapshot interrupted by a stop of
//! pgcdc cannot be continued consistently: its exported snapshot ended with its connection, and
//! its temporary slot with it. No slot is left behind, so the next start takes the snapshot
//! again from the beginning and says so.

pub mod chunks;
pub mod copy_text;
pub mod progress;
pub mod reader;
pub mod tables;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use pgoutput::Lsn;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::change::value::ValueError;
use crate::change::{Change, ChangeKind, Event, Position, Row, SnapshotMarker, TxnInfo};
use crate::config::snapshot::SnapshotMode;
use crate::config::source::SourceConfig;
use crate::source::connection::{
    ConnectError, QueryError, ReplicationClient, SqlConnectionTask, connect_sql,
};
use crate::source::slot::{self, ExportedSlot, SlotInfo};
use crate::sql::{PgError, quote_literal};

use self::chunks::Chunk;
use self::progress::SnapshotProgress;
use self::reader::{ChunkMessage, Shared};
use self::tables::SnapshotTable;

/// Batches of rows buffered per chunk ahead of the sinks.
const CHANNEL_BATCHES: usize = 2;
/// Generations of snapshot table descriptions start here, apart from the stream's.
const FIRST_GENERATION: u64 = 1 << 62;

/// A snapshot that cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A connection could not be opened.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A replication command failed.
    #[error("creating the snapshot's slot: {0}")]
    Slot(#[from] QueryError),
    /// An SQL statement failed.
    #[error("{context}: {source}")]
    Sql {
        /// What was being done.
        context: &'static str,
        /// What the server said.
        #[source]
        source: PgError,
    },
    /// Reading a table failed.
    #[error("reading {table}: {source}")]
    Read {
        /// The table.
        table: String,
        /// What the server said.
        #[source]
        source: PgError,
    },
    /// The server sent a row that is not valid COPY text.
    #[error("reading {table}: {reason}")]
    Copy {
        /// The table.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// A row has another number of columns than the table (a select override).
    #[error(
        "reading {table}: the rows have {got} columns but the table has {want}; a snapshot.select.statement.overrides statement must return the table's columns, in the table's order (SELECT * FROM ... WHERE ...)"
    )]
    ColumnCount {
        /// The table.
        table: String,
        /// Columns read.
        got: usize,
        /// The table's columns.
        want: usize,
    },
    /// A value does not parse as its column's type.
    #[error("reading {table}, column {column}: {source}")]
    Value {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong.
        #[source]
        source: ValueError,
    },
    /// A reader stopped without finishing its chunk.
    #[error("a snapshot reader of {table} stopped before its chunk was complete")]
    ReaderGone {
        /// The table.
        table: String,
    },
}

impl SnapshotError {
    fn sql(context: &'static str, error: tokio_postgres::Error) -> Self {
        SnapshotError::Sql {
            context,
            source: PgError(error),
        }
    }

    /// Whether the reader's connection broke (the chunk can be read again).
    pub fn is_connection_lost(&self) -> bool {
        match self {
            SnapshotError::Read { source, .. } | SnapshotError::Sql { source, .. } => {
                source.0.is_closed()
                    || source
                        .code()
                        .is_some_and(|c| c.starts_with("57P") || c.starts_with("08"))
            }
            SnapshotError::Connect(_) => true,
            _ => false,
        }
    }
}

/// Why a snapshot is taken now, if it is: from `snapshot.mode` and the slot as it is.
pub fn reason(mode: SnapshotMode, slot: Option<&SlotInfo>) -> Option<&'static str> {
    match (mode, slot) {
        (SnapshotMode::NoData, _) => None,
        (SnapshotMode::Always, _) => Some("snapshot.mode=always takes one at every start"),
        (SnapshotMode::Initial | SnapshotMode::InitialOnly | SnapshotMode::WhenNeeded, None) => {
            Some(
                "the slot does not exist yet (a snapshot that was interrupted earlier leaves no slot behind: its exported snapshot ended with its connection, so it cannot be continued consistently and starts over)",
            )
        }
        (SnapshotMode::WhenNeeded, Some(info)) if info.is_lost() => {
            Some("snapshot.mode=when_needed and the slot lost WAL it needed; the slot is made anew")
        }
        _ => None,
    }
}

/// Counters of a running snapshot, for progress and metrics.
#[derive(Debug, Default)]
pub struct SnapshotStats {
    /// Tables to read.
    pub tables_total: AtomicUsize,
    /// Tables read completely.
    pub tables_done: AtomicUsize,
    /// Chunks to read.
    pub chunks_total: AtomicUsize,
    /// Chunks read completely.
    pub chunks_done: AtomicUsize,
    /// Rows handed to the sinks.
    pub rows: AtomicU64,
    /// The planner's estimate of all rows (0 when unknown).
    pub estimated_rows: AtomicU64,
}

/// A snapshot being taken: hands its rows out in order, batch by batch.
pub struct Snapshot {
    /// The replication connection that exported the snapshot; idle until the end.
    exporter: ReplicationClient,
    slot: ExportedSlot,
    txn: Arc<TxnInfo>,
    tables: Arc<[SnapshotTable]>,
    chunks: Arc<[Chunk]>,
    receivers: Vec<mpsc::Receiver<ChunkMessage>>,
    current: usize,
    /// The row read last, waiting for the next one to know its marker.
    pending: Option<(usize, Row, bool)>,
    /// The table of the last row handed out.
    last_table: Option<usize>,
    sequence: u64,
    last_position: Option<Position>,
    stats: Arc<SnapshotStats>,
    progress: SnapshotProgress,
    cancel: CancellationToken,
    readers: JoinSet<()>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("slot", &self.slot)
            .field("tables", &self.tables.len())
            .field("chunks", &self.chunks.len())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Creates the temporary slot with its exported snapshot, reads the tables' descriptions in
    /// it, and starts the readers.
    pub async fn start(config: &SourceConfig, show_progress: bool) -> Result<Self, SnapshotError> {
        let mut exporter = ReplicationClient::connect(&config.connection).await?;
        let temporary = format!(
            "pgcdc_snapshot_{}",
            exporter.backend_pid().unwrap_or_default()
        );
        let slot = slot::create_exported(&mut exporter, &temporary).await?;
        let started_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        tracing::info!(
            consistent_point = %slot.consistent_point,
            snapshot = %slot.snapshot_name,
            "exported a snapshot at the slot's consistent point"
        );

        let (sql, _task): (tokio_postgres::Client, SqlConnectionTask) =
            connect_sql(&config.connection).await?;
        sql.batch_execute(&format!(
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {};",
            quote_literal(&slot.snapshot_name)
        ))
        .await
        .map_err(|e| SnapshotError::sql("joining the exported snapshot", e))?;
        let tables = tables::list(&sql, config, FIRST_GENERATION)
            .await
            .map_err(|source| SnapshotError::Sql {
                context: "reading the tables to snapshot",
                source,
            })?;
        // Debezium reports its snapshot transaction's id (`txid_current()`) as every row's txId:
        // the first id the snapshot does not see is that id, without assigning one (which would
        // write WAL after the consistent point).
        let xid: i64 = sql
            .query_one(
                "SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::int8",
                &[],
            )
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|e| SnapshotError::sql("reading the snapshot's transaction id", e))?;
        sql.batch_execute("COMMIT")
            .await
            .map_err(|e| SnapshotError::sql("ending the catalog transaction", e))?;

        let tables: Arc<[SnapshotTable]> = tables.into();
        let chunks: Arc<[Chunk]> = chunks::plan(&tables, &config.snapshot).into();
        let stats = Arc::new(SnapshotStats::default());
        stats.tables_total.store(tables.len(), Ordering::Relaxed);
        stats.chunks_total.store(chunks.len(), Ordering::Relaxed);
        let estimate: f64 = tables.iter().map(|t| t.estimated_rows.max(0.0)).sum();
        stats
            .estimated_rows
            .store(estimate as u64, Ordering::Relaxed);
        tracing::info!(
            tables = tables.len(),
            chunks = chunks.len(),
            readers = config.snapshot.max_threads,
            estimated_rows = estimate as u64,
            "snapshot planned"
        );

        let batch = config.snapshot.fetch_size;
        let (senders, receivers): (Vec<_>, Vec<_>) = chunks
            .iter()
            .map(|_| mpsc::channel(CHANNEL_BATCHES))
            .unzip();
        let cancel = CancellationToken::new();
        let shared = Arc::new(Shared {
            connection: config.connection.clone(),
            snapshot_name: slot.snapshot_name.clone(),
            tables: Arc::clone(&tables),
            chunks: Arc::clone(&chunks),
            senders,
            next: AtomicUsize::new(0),
            fetch_size: batch,
            cancel: cancel.clone(),
        });
        let mut readers = JoinSet::new();
        for _ in 0..config.snapshot.max_threads.min(chunks.len().max(1)) {
            readers.spawn(reader::run(Arc::clone(&shared)));
        }
        let base = Lsn::from(u64::from(slot.consistent_point).saturating_sub(1));
        Ok(Snapshot {
            exporter,
            txn: Arc::new(TxnInfo {
                xid: (xid & 0xffff_ffff) as u32,
                commit_lsn: base,
                begin_lsn: base,
                commit_time_us: started_us,
                origin: None,
            }),
            slot,
            progress: SnapshotProgress::new(show_progress, Arc::clone(&stats)),
            tables,
            chunks,
            receivers,
            current: 0,
            pending: None,
            last_table: None,
            sequence: 0,
            last_position: None,
            stats,
            cancel,
            readers,
        })
    }

    /// The slot's consistent point: where streaming continues.
    pub fn consistent_point(&self) -> Lsn {
        self.slot.consistent_point
    }

    /// The counters.
    pub fn stats(&self) -> Arc<SnapshotStats> {
        Arc::clone(&self.stats)
    }

    /// The position of the last row handed out.
    pub fn last_position(&self) -> Option<Position> {
        self.last_position
    }

    /// The next rows, as `Read` changes in snapshot order; `None` once every table is read.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Event>>, SnapshotError> {
        let mut out = Vec::new();
        while out.is_empty() {
            let Some(receiver) = self.receivers.get_mut(self.current) else {
                if let Some((table, row, first)) = self.pending.take() {
                    let marker = self.marker(table, first, None);
                    out.push(self.event(table, row, marker));
                    self.progress.finish();
                    return Ok(Some(out));
                }
                self.progress.finish();
                return Ok(None);
            };
            let chunk = &self.chunks[self.current];
            let table = chunk.table;
            match receiver.recv().await {
                Some(ChunkMessage::Rows(rows)) => {
                    out.reserve(rows.len());
                    for row in rows {
                        self.push(table, row, &mut out);
                    }
                }
                Some(ChunkMessage::Done) => {
                    self.stats.chunks_done.fetch_add(1, Ordering::Relaxed);
                    self.current += 1;
                    let next_table = self.chunks.get(self.current).map(|c| c.table);
                    if next_table != Some(table) {
                        self.stats.tables_done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(ChunkMessage::Failed(error)) => return Err(error),
                None => {
                    return Err(SnapshotError::ReaderGone {
                        table: self.tables[table].name(),
                    });
                }
            }
        }
        self.progress.update();
        Ok(Some(out))
    }

    /// Takes a row of `table`; hands out the row before it, now that its marker is known.
    fn push(&mut self, table: usize, row: Row, out: &mut Vec<Event>) {
        let first = self.last_table != Some(table);
        self.last_table = Some(table);
        if let Some((previous, previous_row, previous_first)) =
            self.pending.replace((table, row, first))
        {
            let marker = self.marker(previous, previous_first, Some(table));
            out.push(self.event(previous, previous_row, marker));
        }
    }

    /// Debezium's marker of a row of `table`, followed by a row of `next` (`None`: none).
    fn marker(&self, table: usize, first_in_table: bool, next: Option<usize>) -> SnapshotMarker {
        let last_in_table = next != Some(table);
        match next {
            None => SnapshotMarker::Last,
            Some(_) if last_in_table && table + 1 == self.tables.len() => SnapshotMarker::Last,
            Some(_) if first_in_table && table == 0 => SnapshotMarker::First,
            Some(_) if last_in_table => SnapshotMarker::LastInTable,
            Some(_) if first_in_table => SnapshotMarker::FirstInTable,
            Some(_) => SnapshotMarker::Middle,
        }
    }

    fn event(&mut self, table: usize, row: Row, marker: SnapshotMarker) -> Event {
        let sequence = self.sequence;
        self.sequence += 1;
        self.stats.rows.fetch_add(1, Ordering::Relaxed);
        // Below every streamed commit (they commit at or after the consistent point); the index
        // counts the rows (wrapping beyond 2^32 rows, where only its order within a flush matters).
        let position = Position::new(self.txn.commit_lsn, sequence as u32);
        self.last_position = Some(position);
        Event::Change(Change {
            position,
            lsn: self.slot.consistent_point,
            txn: Arc::clone(&self.txn),
            kind: ChangeKind::Read {
                relation: Arc::clone(&self.tables[table].relation),
                after: row,
                marker,
            },
        })
    }

    /// Gives the slot `target` the snapshot's consistent point (call once every sink has durably
    /// taken every row): a copy of the temporary slot when `existing` is `None`, else a move
    /// forward. Ends the exporting connection, which drops the temporary slot.
    pub async fn persist(
        mut self,
        sql: &tokio_postgres::Client,
        target: &str,
        existing: Option<&SlotInfo>,
    ) -> Result<Lsn, SnapshotError> {
        self.cancel.cancel();
        while self.readers.join_next().await.is_some() {}
        if existing.is_some_and(|info| {
            info.confirmed_flush_lsn
                .is_some_and(|at| at >= self.slot.consistent_point)
        }) {
            tracing::info!(slot = %target, "the slot is already at or past the snapshot");
        } else {
            sql.batch_execute(&slot::persist_sql(&self.slot, target, existing.is_some()))
                .await
                .map_err(|e| SnapshotError::sql("giving the slot the snapshot's position", e))?;
        }
        let rows = self.stats.rows.load(Ordering::Relaxed);
        tracing::info!(
            slot = %target,
            consistent_point = %self.slot.consistent_point,
            rows,
            tables = self.tables.len(),
            "snapshot complete; streaming continues from its consistent point"
        );
        if let Err(error) = self.exporter.close().await {
            tracing::debug!(%error, "closing the exporting connection");
        }
        Ok(self.slot.consistent_point)
    }

    /// Stops the readers and ends the exporting connection (the temporary slot goes with it).
    pub async fn abandon(mut self) {
        self.cancel.cancel();
        self.receivers.clear();
        while self.readers.join_next().await.is_some() {}
        self.progress.finish();
        let _ = self.exporter.close().await;
    }
}
