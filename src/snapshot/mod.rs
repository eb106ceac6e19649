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
//! read again in the same snapshot, from where it stopped. Across a stop of pgcdc (signal, crash,
//! error), with `snapshot.mode` `initial`, `initial_only` or `when_needed`:
//! - The snapshot's slot is a permanent in-progress slot, `<slot>_snapshot`
//!   ([`resume::in_progress_slot`]), so the WAL from its consistent point X is kept across the
//!   stop. The configured slot is only made (a copy of it) once the snapshot is complete, and the
//!   in-progress slot is then dropped: a lost progress file can never make pgcdc skip the rest of
//!   a snapshot.
//! - The progress ([`saved`]) is kept in a file: the plan, which chunks are finished (every row
//!   durably taken by every sink, from the sinks' acknowledgements), which tables any row was
//!   handed out of, and the next row sequence number (resumed rows get positions after any
//!   position a sink stored).
//! - The next start continues if the in-progress slot and the file match ([`resume::begin`]),
//!   in a new exported snapshot Y: finished tables are not read again, untouched tables are read
//!   in Y while the stream (from X) drops their changes committed before Y ([`overlap`]),
//!   partly delivered tables that did not change since are continued chunk by chunk, and changed
//!   ones are read whole again ([`resume::replan`] says why each case is consistent).
//!   Otherwise the leftovers are removed and the snapshot starts over, with the reason in the log.
//!
//! With `snapshot.mode=always` the slot is temporary and a stop starts the snapshot over, as
//! every start does anyway.

pub mod chunks;
pub mod copy_text;
pub mod overlap;
pub mod progress;
pub mod reader;
pub mod resume;
pub mod saved;
pub mod stats;
pub mod tables;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
use self::resume::Beginning;
use self::saved::{SavedError, SavedSnapshot};
pub use self::stats::SnapshotStats;
use self::tables::SnapshotTable;

/// Batches of rows buffered per chunk ahead of the sinks.
const CHANNEL_BATCHES: usize = 2;
/// Generations of snapshot table descriptions start here, apart from the stream's.
const FIRST_GENERATION: u64 = 1 << 62;
/// Row sequence numbers reserved in the progress file at a time.
const RESERVE: u64 = 1 << 20;

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
    /// The progress file cannot be read or written.
    #[error(transparent)]
    Saved(#[from] SavedError),
    /// A slot with the in-progress slot's name is not one pgcdc made.
    #[error(
        "replication slot \"{slot}\" exists but is not the in-progress slot of a pgcdc snapshot (it is temporary or not pgoutput): drop it, or choose another slot.name"
    )]
    Foreign {
        /// The slot.
        slot: String,
    },
    /// The changes since an interrupted snapshot do not decode.
    #[error("reading the changes since the interrupted snapshot: {reason}")]
    Peek {
        /// What is wrong.
        reason: String,
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
            Some("the slot does not exist yet")
        }
        (SnapshotMode::WhenNeeded, Some(info)) if info.is_lost() => {
            Some("snapshot.mode=when_needed and the slot lost WAL it needed; the slot is made anew")
        }
        _ => None,
    }
}

/// A snapshot being taken: hands its rows out in order, batch by batch.
pub struct Snapshot {
    /// The replication connection that exported the snapshot; idle until the end.
    exporter: ReplicationClient,
    /// The slot made now, whose snapshot the readers join.
    slot: ExportedSlot,
    /// The slot whose position the configured slot gets: the slot made now, or the in-progress
    /// slot of the snapshot being continued.
    origin: ExportedSlot,
    txn: Arc<TxnInfo>,
    tables: Arc<[SnapshotTable]>,
    chunks: Arc<[Chunk]>,
    receivers: Vec<mpsc::Receiver<ChunkMessage>>,
    current: usize,
    /// The row read last, waiting for the next one to know its marker.
    pending: Option<(usize, Row, bool)>,
    /// Rows of the current chunk received but not handed out yet.
    held: Option<Vec<Row>>,
    /// The table of the last row handed out.
    last_table: Option<usize>,
    sequence: u64,
    /// The first sequence number of this process: acknowledgements below it are older.
    first_sequence: u64,
    last_position: Option<Position>,
    stats: Arc<SnapshotStats>,
    progress: SnapshotProgress,
    cancel: CancellationToken,
    readers: JoinSet<()>,
    /// The progress kept in the file (not with `snapshot.mode=always`).
    saved: Option<SavedSnapshot>,
    saved_path: PathBuf,
    /// Chunks read completely, oldest first, with the sequence number of their last row
    /// (`None`: no row): finished once every sink has taken that row.
    awaiting: VecDeque<(usize, Option<u64>)>,
    /// Per sink: the last of this snapshot's rows it has durably taken.
    acks: Vec<Option<Position>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("slot", &self.slot)
            .field("origin", &self.origin.name)
            .field("tables", &self.tables.len())
            .field("chunks", &self.chunks.len())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Creates the snapshot's slot with its exported snapshot (see [`Beginning`]), reads the
    /// tables' descriptions in it, plans what to read (what is left, when continuing), keeps
    /// the plan in the progress file, and starts the readers.
    pub async fn start(
        config: &SourceConfig,
        show_progress: bool,
        beginning: Beginning,
        sinks: usize,
    ) -> Result<Self, SnapshotError> {
        let mut exporter = ReplicationClient::connect(&config.connection).await?;
        let database = match &beginning {
            Beginning::Fresh => resume::database_of(&mut exporter).await?,
            _ => String::new(),
        };
        let (name, temporary) = match &beginning {
            Beginning::Fresh => (resume::in_progress_slot(&config.slot), false),
            Beginning::Temporary | Beginning::Resume(_) => (
                format!(
                    "pgcdc_snapshot_{}",
                    exporter.backend_pid().unwrap_or_default()
                ),
                true,
            ),
        };
        let slot = slot::create_exported(&mut exporter, &name, temporary).await?;
        let started_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        tracing::info!(
            slot = %slot.name,
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

        let (saved, chunks) = match beginning {
            Beginning::Temporary => (None, chunks::plan(&tables, &config.snapshot)),
            Beginning::Fresh => {
                let (saved, chunks) =
                    resume::fresh(config, database, &slot.name, slot.consistent_point, &tables);
                (Some(saved), chunks)
            }
            Beginning::Resume(mut saved) => {
                let candidates = resume::continuable(&saved, &tables);
                let oids: Vec<u32> = candidates.iter().map(|t| t.oid).collect();
                let unchanged = match resume::changed_tables(
                    &sql,
                    config,
                    &saved.snapshot_slot,
                    slot.consistent_point,
                    &candidates,
                )
                .await
                {
                    Ok(changed) => oids.into_iter().filter(|o| !changed.contains(o)).collect(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot tell whether the partly read tables changed since: they are read whole again");
                        Default::default()
                    }
                };
                let chunks = resume::replan(
                    &mut saved,
                    config,
                    &tables,
                    slot.consistent_point,
                    &unchanged,
                );
                (Some(saved), chunks)
            }
        };
        let origin = match &saved {
            Some(saved) => ExportedSlot {
                name: saved.snapshot_slot.clone(),
                consistent_point: saved.consistent_point,
                snapshot_name: String::new(),
            },
            None => slot.clone(),
        };
        let first_sequence = saved.as_ref().map_or(0, |s| s.sequence_reserved);
        let saved_path = config.snapshot.progress_path(&config.slot);
        if let Some(saved) = &saved {
            saved.store(&saved_path).await?;
        }

        let tables: Arc<[SnapshotTable]> = tables.into();
        let chunks: Arc<[Chunk]> = chunks.into();
        let stats = Arc::new(SnapshotStats::registered(crate::metrics::global()));
        stats.running.set(1);
        stats.tables_total.set(tables.len() as i64);
        let (planned, finished, tables_finished) = match &saved {
            Some(saved) => (
                saved.tables.iter().map(|t| t.chunks).sum::<usize>(),
                saved.tables.iter().map(|t| t.finished.len()).sum::<usize>(),
                saved.tables.iter().filter(|t| t.is_finished()).count(),
            ),
            None => (chunks.len(), 0, 0),
        };
        stats.chunks_total.set(planned as i64);
        stats.chunks_done.set(finished as i64);
        stats.tables_done.set(tables_finished as i64);
        // The estimate covers what is left to read: each table's share of its chunks to read.
        let estimate: f64 = tables
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let to_read = chunks.iter().filter(|c| c.table == n).count() as f64;
                let all = saved
                    .as_ref()
                    .and_then(|s| s.tables.get(n))
                    .map_or(to_read, |s| s.chunks as f64);
                t.estimated_rows.max(0.0) * if all > 0.0 { to_read / all } else { 0.0 }
            })
            .sum();
        stats.estimated_rows.set(estimate as i64);
        tracing::info!(
            tables = tables.len(),
            chunks = planned,
            chunks_to_read = chunks.len(),
            readers = config.snapshot.max_threads,
            estimated_rows = estimate as u64,
            progress_file = %saved.as_ref().map_or_else(String::new, |_| saved_path.display().to_string()),
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
        let base = Lsn::from(u64::from(origin.consistent_point).saturating_sub(1));
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
            origin,
            progress: SnapshotProgress::new(show_progress, Arc::clone(&stats)),
            tables,
            chunks,
            receivers,
            current: 0,
            pending: None,
            held: None,
            last_table: None,
            sequence: first_sequence,
            first_sequence,
            last_position: None,
            stats,
            cancel,
            readers,
            saved,
            saved_path,
            awaiting: VecDeque::new(),
            acks: vec![None; sinks],
        })
    }

    /// The consistent point where streaming continues (the first snapshot's, when continuing).
    pub fn consistent_point(&self) -> Lsn {
        self.origin.consistent_point
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
    /// Cancel-safe: a call dropped before it returns loses no row.
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
            // Rows received but not handed out yet wait in `held`: this future may be dropped
            // at any await (it races the flush timer), and must lose nothing then.
            let message = match self.held.take() {
                Some(rows) => Some(ChunkMessage::Rows(rows)),
                None => receiver.recv().await,
            };
            match message {
                Some(ChunkMessage::Rows(rows)) => {
                    let count = rows.len() as u64;
                    self.held = Some(rows);
                    self.before_handing_out(table, count).await?;
                    let rows = self.held.take().unwrap_or_default();
                    out.reserve(rows.len());
                    for row in rows {
                        self.push(table, row, &mut out);
                    }
                }
                Some(ChunkMessage::Done) => {
                    // The chunk's last row is the one waiting for its marker, if any: it gets
                    // the next sequence number.
                    let last = self.pending.as_ref().map(|_| self.sequence);
                    self.awaiting.push_back((self.current, last));
                    self.current += 1;
                    let next_table = self.chunks.get(self.current).map(|c| c.table);
                    if next_table != Some(table) {
                        self.stats.tables_done.add(1);
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

    /// Before rows of `table` go out: the progress file says that the table was started and
    /// reserves sequence numbers beyond them.
    async fn before_handing_out(&mut self, table: usize, rows: u64) -> Result<(), SnapshotError> {
        let Some(saved) = self.saved.as_mut() else {
            return Ok(());
        };
        let mut changed = false;
        let oid = self.tables[table].relation.oid;
        if let Some(record) = saved.tables.iter_mut().find(|t| t.oid == oid)
            && !record.started
        {
            record.started = true;
            changed = true;
        }
        // + 1: the row waiting for its marker.
        let needed = self.sequence + rows + 1;
        if needed > saved.sequence_reserved {
            saved.sequence_reserved = needed + RESERVE;
            changed = true;
        }
        if changed {
            saved.store(&self.saved_path).await?;
        }
        Ok(())
    }

    /// Notes what each sink has durably taken (the flush results, per sink); chunks whose rows
    /// every sink has taken are finished, and the progress file says so.
    pub async fn acknowledged(&mut self, acked: &[Option<Position>]) -> Result<(), SnapshotError> {
        let base = self.txn.commit_lsn;
        let first = self.first_sequence;
        for (ack, new) in self.acks.iter_mut().zip(acked) {
            // Only this process's rows count: a sink's older position says nothing about them.
            if let Some(position) = new
                && position.commit_lsn == base
                && u64::from(position.index) >= first
                && u64::from(position.index) < self.sequence.max(first)
                && ack.is_none_or(|a| a < *position)
            {
                *ack = Some(*position);
            }
        }
        let taken = self
            .acks
            .iter()
            .copied()
            .try_fold(None::<Position>, |low, ack| {
                ack.map(|a| Some(low.map_or(a, |l| l.min(a))))
            })
            .flatten();
        let mut finished = 0;
        while let Some((chunk, last)) = self.awaiting.front().copied() {
            let done = match last {
                None => true,
                Some(sequence) => u32::try_from(sequence)
                    .is_ok_and(|index| taken.is_some_and(|t| t >= Position::new(base, index))),
            };
            if !done {
                break;
            }
            self.awaiting.pop_front();
            finished += 1;
            self.stats.chunks_done.add(1);
            let chunk = &self.chunks[chunk];
            let oid = self.tables[chunk.table].relation.oid;
            if let Some(record) = self
                .saved
                .as_mut()
                .and_then(|s| s.tables.iter_mut().find(|t| t.oid == oid))
            {
                record.finished.insert(chunk.index_in_table);
            }
        }
        if finished > 0
            && let Some(saved) = &self.saved
        {
            saved.store(&self.saved_path).await?;
        }
        Ok(())
    }

    /// A sink (its index) that has not durably taken every row handed out, if any.
    pub fn unacknowledged_sink(&self) -> Option<usize> {
        let last = self.last_position?;
        self.acks.iter().position(|a| a.is_none_or(|a| a < last))
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
        self.stats.rows.add(1);
        // Below every streamed commit (they commit at or after the consistent point); the index
        // counts the rows (wrapping beyond 2^32 rows, where only its order within a flush
        // matters, and where no chunk is marked finished any more).
        let position = Position::new(self.txn.commit_lsn, sequence as u32);
        self.last_position = Some(position);
        Event::Change(Change {
            position,
            lsn: self.origin.consistent_point,
            txn: Arc::clone(&self.txn),
            kind: ChangeKind::Read {
                relation: Arc::clone(&self.tables[table].relation),
                after: row,
                marker,
            },
        })
    }

    /// Stops the readers (before a last flush and acknowledgement at a stop).
    pub async fn stop_readers(&mut self) {
        self.cancel.cancel();
        self.receivers.clear();
        while self.readers.join_next().await.is_some() {}
    }

    /// Gives the slot `target` the snapshot's consistent point (call once every sink has durably
    /// taken every row): a copy of the snapshot's slot when `existing` is `None`, else a move
    /// forward. Ends the exporting connection, which drops a temporary slot; drops the
    /// in-progress slot, and keeps in the progress file only what the stream still needs.
    pub async fn persist(
        mut self,
        sql: &tokio_postgres::Client,
        target: &str,
        existing: Option<&SlotInfo>,
    ) -> Result<Lsn, SnapshotError> {
        self.stop_readers().await;
        self.stats.running.set(0);
        let point = self.origin.consistent_point;
        if existing.is_some_and(|info| info.confirmed_flush_lsn.is_some_and(|at| at >= point)) {
            tracing::info!(slot = %target, "the slot is already at or past the snapshot");
        } else {
            sql.batch_execute(&slot::persist_sql(&self.origin, target, existing.is_some()))
                .await
                .map_err(|e| SnapshotError::sql("giving the slot the snapshot's position", e))?;
        }
        if let Some(saved) = self.saved.as_mut() {
            saved.complete = true;
            if saved.overlap.is_empty() {
                SavedSnapshot::remove(&self.saved_path).await?;
            } else {
                saved.store(&self.saved_path).await?;
            }
        }
        let rows = SnapshotStats::count(&self.stats.rows);
        tracing::info!(
            slot = %target,
            consistent_point = %point,
            rows,
            tables = self.tables.len(),
            "snapshot complete; streaming continues from its consistent point"
        );
        if let Err(error) = self.exporter.close().await {
            tracing::debug!(%error, "closing the exporting connection");
        }
        if self.saved.is_some() {
            drop_in_progress(sql, &self.origin.name).await;
        }
        Ok(point)
    }

    /// Stops the readers and ends the exporting connection (a temporary slot goes with it; an
    /// in-progress slot stays, for the next start to continue). Returns the chunks finished and
    /// planned, and where the progress is kept (`None` with `snapshot.mode=always`).
    pub async fn abandon(mut self) -> (usize, usize, Option<PathBuf>) {
        self.stop_readers().await;
        self.progress.finish();
        self.stats.running.set(0);
        let _ = self.exporter.close().await;
        (
            SnapshotStats::count(&self.stats.chunks_done) as usize,
            SnapshotStats::count(&self.stats.chunks_total) as usize,
            self.saved.is_some().then_some(self.saved_path),
        )
    }
}

/// Drops the in-progress slot of a completed snapshot, waiting a little for the exporting
/// connection's server process to let go of it. A slot left behind is dropped at the next start.
async fn drop_in_progress(sql: &tokio_postgres::Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match slot::drop_slot(sql, name).await {
            Ok(()) => {
                tracing::info!(slot = %name, "dropped the snapshot's in-progress slot");
                return;
            }
            Err(error) if Instant::now() < deadline && error.code() == Some("55006") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => {
                tracing::warn!(slot = %name, %error, "could not drop the snapshot's in-progress slot; the next start drops it");
                return;
            }
        }
    }
}
