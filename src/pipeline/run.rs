//! The streaming loop: source -> assembler -> sinks, acknowledgements -> confirmed LSN.
//!
//! One [`run`] drives a replication session after another: it sets up the publication and the
//! slot, starts streaming from the slot's confirmed position, hands every event to every sink,
//! flushes them periodically, and confirms to the server what every sink has durably taken (see
//! [`Checkpoint`]). A lost connection or a restarting server is retried with backoff, resuming
//! from the confirmed position; each sink is given only the events after what it already took.
//!
//! Stopping: on the shutdown signal the loop reads on until the current transaction is complete
//! (at most [`STOP_GRACE`]), flushes the sinks, confirms, and ends the stream. With an end LSN it
//! stops by itself once everything committed before it is delivered and confirmed.

use std::time::{Duration, Instant};

use pgoutput::{Lsn, ReplicationMessage, StandbyStatusUpdate};
use tokio_util::sync::CancellationToken;

use super::checkpoint::Checkpoint;
use super::progress::Progress;
use crate::change::types::TypeCache;
use crate::change::{Event, Position};
use crate::config::source::SourceConfig;
use crate::sink::{RoomFuture, Sink, SinkError};
use crate::snapshot::overlap::Overlap;
use crate::snapshot::resume;
use crate::snapshot::{self, Snapshot, SnapshotError};
use crate::source::assembler::{AssembleError, Assembler};
use crate::source::connection::{
    ConnectError, QueryError, ReplicationClient, ReplicationStream, StreamError, connect_sql,
};
use crate::source::publication::{self, PublicationError};
use crate::source::stream_buffer::StreamBuffers;
use crate::source::{catalog, slot};
use crate::sql::PgError;

/// How long a graceful stop waits for the current transaction to complete.
pub const STOP_GRACE: Duration = Duration::from_secs(30);
/// How often sinks are flushed and acknowledgements collected.
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);

/// What to stream.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The source's settings.
    pub source: SourceConfig,
    /// Stop once everything committed before this LSN is delivered and confirmed.
    pub end_lsn: Option<Lsn>,
    /// Stream a temporary copy of the slot instead of the slot itself (`pgcdc replay`).
    pub replay: Option<Replay>,
    /// Show progress on standard error.
    pub progress: bool,
}

/// Replaying from a temporary copy of the slot.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Start here instead of at the slot's confirmed position (not before it).
    pub from_lsn: Option<Lsn>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Changes handed to the sinks.
    pub changes: u64,
    /// Transactions completed.
    pub transactions: u64,
    /// The last LSN confirmed to the server.
    pub confirmed: Lsn,
    /// Replication sessions started (more than one after retries).
    pub sessions: u32,
    /// Rows read by the initial snapshot.
    pub snapshot_rows: u64,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The connection could not be opened.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A replication command failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The stream failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// An SQL statement failed.
    #[error("{context}: {source}")]
    Sql {
        /// What was being done.
        context: &'static str,
        /// What the server said.
        #[source]
        source: PgError,
    },
    /// The publication cannot be used.
    #[error(transparent)]
    Publication(#[from] PublicationError),
    /// The slot cannot be streamed.
    #[error("{0}")]
    Slot(String),
    /// The stream could not be turned into events.
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    /// A sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// A message from the server does not decode.
    #[error("corrupt replication frame: {0}")]
    Frame(#[from] pgoutput::DecodeError),
    /// The server ended the stream.
    #[error("the server ended the replication stream")]
    Ended,
    /// The initial snapshot failed.
    #[error("initial snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
}

impl RunError {
    /// Whether retrying may help (a lost connection, a restarting server, a slot still held by
    /// the previous session) once the first session has run.
    pub fn is_retriable(&self) -> bool {
        let code = |server: Option<&crate::source::connection::ServerError>| {
            server.map(|s| s.code.clone()).unwrap_or_default()
        };
        match self {
            RunError::Connect(error) => {
                let code = code(error.server_error());
                !matches!(
                    error,
                    ConnectError::PasswordFailed { .. }
                        | ConnectError::NotReplicationRole { .. }
                        | ConnectError::DatabaseMissing { .. }
                        | ConnectError::RoleMissing { .. }
                        | ConnectError::HbaRejected { .. }
                ) || code.starts_with("57P")
            }
            RunError::Query(QueryError::SlotActive { .. }) => true,
            RunError::Query(QueryError::Connection(_)) => true,
            RunError::Query(error) => code(error.server_error()).starts_with("57P"),
            RunError::Stream(error) => {
                let code = code(error.server_error());
                error.server_error().is_none() || code.starts_with("57P") || code.starts_with("08")
            }
            RunError::Sql { source, .. } => {
                source.0.is_closed() || source.code().is_some_and(|c| c.starts_with("57P"))
            }
            RunError::Ended => true,
            _ => false,
        }
    }
}

/// State that outlives one replication session.
struct Pipeline {
    sinks: Vec<Box<dyn Sink>>,
    /// Per sink: the position up to which it has taken the stream (skip what is not after it).
    taken: Vec<Option<Position>>,
    summary: RunSummary,
    progress: Progress,
    /// Whether any session got as far as streaming: before that, errors are the user's to fix
    /// (wrong host, password, slot ...) and are not retried.
    streamed: bool,
    /// Whether the current session got as far as streaming (a retry count starts again then).
    session_streamed: bool,
    /// Whether `snapshot.mode` was settled (a snapshot taken, or none needed) in this run.
    snapshot_settled: bool,
    /// The streamed changes a resumed snapshot already holds, to drop (see
    /// [`crate::snapshot::overlap`]).
    overlap: Option<Overlap>,
}

impl Pipeline {
    async fn deliver(&mut self, events: &[Event]) -> Result<(), SinkError> {
        for (sink, taken) in self.sinks.iter_mut().zip(&self.taken) {
            match taken {
                Some(taken) if events.iter().any(|e| e.position() <= *taken) => {
                    let fresh: Vec<Event> = events
                        .iter()
                        .filter(|e| e.position() > *taken)
                        .cloned()
                        .collect();
                    sink.write(&fresh).await?;
                }
                _ => sink.write(events).await?,
            }
        }
        Ok(())
    }

    /// Collects what every sink has durably taken (without waiting for deliveries in flight).
    async fn flush(&mut self, checkpoint: &mut Checkpoint) -> Result<(), SinkError> {
        for i in 0..self.sinks.len() {
            let acked = self.sinks[i].flush().await?;
            self.acknowledge(checkpoint, i, acked);
        }
        Ok(())
    }

    /// Like [`Pipeline::flush`], waiting for the sinks' deliveries in flight (end of a session).
    async fn finish(&mut self, checkpoint: &mut Checkpoint) -> Result<(), SinkError> {
        for i in 0..self.sinks.len() {
            let acked = self.sinks[i].finish().await?;
            self.acknowledge(checkpoint, i, acked);
        }
        Ok(())
    }

    fn acknowledge(&mut self, checkpoint: &mut Checkpoint, sink: usize, acked: Option<Position>) {
        if let Some(position) = acked {
            checkpoint.ack(sink, position);
            let taken = &mut self.taken[sink];
            if taken.is_none_or(|t| t < position) {
                *taken = Some(position);
            }
        }
    }

    /// Ends the stream filter of a resumed snapshot once the slot is confirmed past it.
    async fn release_overlap(&mut self, confirmed: Lsn, config: &SourceConfig) {
        if self
            .overlap
            .as_ref()
            .is_some_and(|o| confirmed >= o.until())
        {
            self.overlap = None;
            resume::finish_overlap(&config.snapshot.progress_path(&config.slot)).await;
            tracing::info!("the slot passed the resumed snapshot: the stream drops nothing more");
        }
    }

    /// A future that resolves when a full sink may have room, if one is full.
    fn wait_for_room(&self) -> Option<RoomFuture> {
        self.sinks.iter().find(|s| s.is_full()).map(|s| s.room())
    }
}

/// How a session ended without error.
enum SessionEnd {
    /// Stopped by the signal or the end LSN.
    Finished,
}

/// Streams until `shutdown` is cancelled, the end LSN is reached, or an error that retrying
/// cannot mend.
pub async fn run(
    options: RunOptions,
    sinks: Vec<Box<dyn Sink>>,
    shutdown: CancellationToken,
) -> Result<RunSummary, RunError> {
    let taken = sinks.iter().map(|s| s.resume_position()).collect();
    let mut pipeline = Pipeline {
        sinks,
        taken,
        summary: RunSummary::default(),
        progress: Progress::new(options.progress, options.end_lsn),
        streamed: false,
        session_streamed: false,
        snapshot_settled: false,
        overlap: None,
    };
    let mut failures = 0u32;
    loop {
        pipeline.summary.sessions += 1;
        pipeline.session_streamed = false;
        let result = session(&options, &mut pipeline, &shutdown).await;
        if pipeline.session_streamed {
            failures = 0;
        }
        match result {
            Ok(SessionEnd::Finished) => break,
            Err(error) if pipeline.streamed && error.is_retriable() && !shutdown.is_cancelled() => {
                failures += 1;
                if options.source.max_retries.is_some_and(|max| failures > max) {
                    return Err(error);
                }
                let wait = backoff(failures, options.source.retry_wait);
                tracing::warn!(%error, retry_in = ?wait, attempt = failures, "replication interrupted; retrying");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => break,
                }
            }
            Err(error) => return Err(error),
        }
    }
    pipeline.progress.finish();
    Ok(pipeline.summary)
}

/// 0.5 s, 1 s, 2 s, ... up to `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    Duration::from_millis(500u64.saturating_mul(1 << exponent))
        .min(max.max(Duration::from_millis(500)))
}

async fn session(
    options: &RunOptions,
    pipeline: &mut Pipeline,
    shutdown: &CancellationToken,
) -> Result<SessionEnd, RunError> {
    let config = &options.source;
    let (sql, connection) = connect_sql(&config.connection).await?;
    let _sql_task = AbortOnDrop(connection);

    // The publication and the slot. A replay changes nothing: both must exist.
    if options.replay.is_none() {
        publication::ensure(&sql, &config.publication, config.autocreate, &config.filter).await?;
    }
    let wal_level: String = sql
        .query_one("SELECT current_setting('wal_level')", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| RunError::Sql {
            context: "reading wal_level",
            source: PgError(e),
        })?;
    if wal_level != "logical" {
        return Err(RunError::Slot(format!(
            "wal_level is {wal_level}, so the server does no logical decoding: run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL"
        )));
    }
    let slot_info = read_slot(&sql, &config.slot).await?;
    let slot_info = if options.replay.is_none() && !pipeline.snapshot_settled {
        match snapshot_phase(options, pipeline, shutdown, &sql, slot_info).await? {
            SnapshotOutcome::Stream(info) => info,
            SnapshotOutcome::Stop => return Ok(SessionEnd::Finished),
        }
    } else {
        slot_info
    };
    let slot_info = match slot_info {
        Some(info) => info,
        None if options.replay.is_some() => {
            return Err(RunError::Slot(format!(
                "replication slot \"{}\" does not exist, so there is nothing to replay; check slot.name / --slot",
                config.slot
            )));
        }
        None => {
            let point = slot::create(&sql, &config.slot)
                .await
                .map_err(|source| RunError::Sql {
                    context: "creating the replication slot",
                    source,
                })?;
            tracing::info!(slot = %config.slot, consistent_point = %point, "created the replication slot");
            read_slot(&sql, &config.slot).await?.ok_or_else(|| {
                RunError::Slot(format!(
                    "replication slot \"{}\" vanished after it was created",
                    config.slot
                ))
            })?
        }
    };
    if options.replay.is_some()
        && !publication::exists(&sql, &config.publication)
            .await
            .map_err(|source| RunError::Sql {
                context: "checking the publication",
                source,
            })?
    {
        return Err(PublicationError::Missing {
            name: config.publication.clone(),
        }
        .into());
    }
    if slot_info.plugin.as_deref() != Some("pgoutput") {
        return Err(RunError::Slot(format!(
            "replication slot \"{}\" uses plugin {:?}, not pgoutput: drop it (pgcdc slot drop {0}) or choose another slot.name",
            config.slot,
            slot_info.plugin.as_deref().unwrap_or("none")
        )));
    }
    if slot_info.is_lost() {
        return Err(RunError::Slot(format!(
            "replication slot \"{}\" has lost WAL it needed (wal_status = lost): changes are missing; drop and recreate it, and re-snapshot the tables",
            config.slot
        )));
    }
    if let Some(pid) = slot_info.active_pid
        && options.replay.is_none()
    {
        wait_for_slot(&sql, config, pid).await?;
    }
    pipeline.overlap = if options.replay.is_none() {
        resume::settle(config, &sql, &slot_info).await?
    } else {
        None
    };
    if let Some(overlap) = &pipeline.overlap {
        tracing::info!(
            until = %overlap.until(),
            "the snapshot was resumed: the stream drops the changes of the tables read in the later snapshot that it already holds, until the slot passes this point"
        );
    }
    let confirmed = slot_info.confirmed_flush_lsn.unwrap_or_default();

    // The replication connection; a replay streams a temporary copy owned by it.
    let mut client = ReplicationClient::connect(&config.connection).await?;
    let stream_slot = match &options.replay {
        None => config.slot.clone(),
        Some(_) => {
            let copy = format!(
                "pgcdc_replay_{}_{}",
                std::process::id(),
                pipeline.summary.sessions
            );
            client
                .simple_query(&slot::copy_sql(&config.slot, &copy))
                .await?;
            copy
        }
    };
    let start = match options.replay.as_ref().and_then(|r| r.from_lsn) {
        Some(from) if from < confirmed => {
            return Err(RunError::Slot(format!(
                "--from-lsn {from} is before the slot's confirmed position {confirmed}: the slot no longer has the changes before it"
            )));
        }
        Some(from) => from,
        None => Lsn::from(0),
    };
    let plugin_options = config.pgoutput_options();
    let plugin_options: Vec<(&str, &str)> = plugin_options
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let mut stream = client
        .start_replication(&stream_slot, start, &plugin_options)
        .await?;
    tracing::info!(slot = %stream_slot, from = %confirmed.max(start), "streaming");
    pipeline.streamed = true;
    pipeline.session_streamed = true;

    let mut checkpoint = Checkpoint::new(pipeline.sinks.len(), confirmed);
    for (i, taken) in pipeline.taken.iter().enumerate() {
        if let Some(position) = taken {
            checkpoint.ack(i, *position);
        }
    }
    let mut assembler = Assembler::new(
        TypeCache::new(),
        StreamBuffers::new(config.stream_buffer_bytes),
    )
    .with_filter(config.filter.clone());
    let result = stream_loop(
        options,
        pipeline,
        shutdown,
        &sql,
        &mut stream,
        &mut assembler,
        &mut checkpoint,
    )
    .await;
    let end = match result {
        Ok(end) => end,
        Err(error) => {
            // Keep what the sinks took; the next session resumes after it.
            if let Err(flush_error) = pipeline.flush(&mut checkpoint).await {
                tracing::warn!(%flush_error, "could not flush the sinks after a stream error");
            }
            return Err(error);
        }
    };
    pipeline.finish(&mut checkpoint).await?;
    send_status(&mut stream, checkpoint.confirmed(), false).await?;
    pipeline.summary.confirmed = checkpoint.confirmed();
    pipeline
        .release_overlap(checkpoint.confirmed(), config)
        .await;
    stream.finish().await?;
    if config.drop_slot_on_stop && options.replay.is_none() {
        slot::drop_slot(&sql, &config.slot)
            .await
            .map_err(|source| RunError::Sql {
                context: "dropping the slot (slot.drop.on.stop)",
                source,
            })?;
        tracing::info!(slot = %config.slot, "dropped the replication slot (slot.drop.on.stop)");
    }
    Ok(end)
}

/// What the snapshot phase leaves to do.
enum SnapshotOutcome {
    /// Stream from the slot (as it now is).
    Stream(Option<slot::SlotInfo>),
    /// Stop: `snapshot.mode=initial_only`, or a stop during the snapshot.
    Stop,
}

/// Takes the initial snapshot if `snapshot.mode` and the slot call for one: its rows go to every
/// sink, and once every sink has durably taken them the slot gets the snapshot's consistent
/// point (see [`crate::snapshot`]).
async fn snapshot_phase(
    options: &RunOptions,
    pipeline: &mut Pipeline,
    shutdown: &CancellationToken,
    sql: &tokio_postgres::Client,
    existing: Option<slot::SlotInfo>,
) -> Result<SnapshotOutcome, RunError> {
    let config = &options.source;
    let mode = config.snapshot.mode;
    let Some(reason) = snapshot::reason(mode, existing.as_ref()) else {
        pipeline.snapshot_settled = true;
        if !mode.streams() {
            tracing::info!(
                slot = %config.slot,
                "snapshot.mode=initial_only and the slot exists, so the snapshot was taken before: nothing to do"
            );
            return Ok(SnapshotOutcome::Stop);
        }
        return Ok(SnapshotOutcome::Stream(existing));
    };
    let existing = match existing {
        Some(info) if info.is_lost() => {
            tracing::warn!(slot = %config.slot, "dropping the slot that lost its WAL (snapshot.mode=when_needed)");
            slot::drop_slot(sql, &config.slot)
                .await
                .map_err(|source| RunError::Sql {
                    context: "dropping the slot that lost its WAL",
                    source,
                })?;
            None
        }
        other => other,
    };
    tracing::info!(mode = mode.name(), reason, "taking the initial snapshot");
    let beginning = resume::begin(config, sql).await?;
    // Its progress line is drawn whenever standard error is a terminal: a snapshot can be long.
    let mut snapshot = Snapshot::start(config, true, beginning, pipeline.sinks.len()).await?;
    let mut flush_timer = tokio::time::interval(FLUSH_INTERVAL);
    flush_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => {
                snapshot.stop_readers().await;
                let acked = flush_snapshot(pipeline, true).await?;
                snapshot.acknowledged(&acked).await?;
                let rows = snapshot::SnapshotStats::count(&snapshot.stats().rows);
                match snapshot.abandon().await {
                    (finished, chunks, Some(path)) => tracing::warn!(
                        rows,
                        finished_chunks = finished,
                        chunks,
                        progress_file = %path.display(),
                        "stopped during the initial snapshot: its progress is kept, and the next start continues it"
                    ),
                    (_, _, None) => tracing::warn!(
                        rows,
                        "stopped during the initial snapshot: with snapshot.mode=always the next start takes a new one from the beginning"
                    ),
                }
                return Ok(SnapshotOutcome::Stop);
            }
            // Before the rows, which are always ready: the sinks are flushed on time.
            _ = flush_timer.tick() => {
                let acked = flush_snapshot(pipeline, false).await?;
                snapshot.acknowledged(&acked).await?;
            }
            batch = snapshot.next_batch() => match batch? {
                Some(events) => {
                    pipeline.summary.snapshot_rows += events.len() as u64;
                    for sink in &mut pipeline.sinks {
                        sink.write(&events).await?;
                    }
                    // A sink that holds as much as it may (Kafka in flight): wait for room.
                    loop {
                        let room = pipeline.sinks.iter().find(|s| s.is_full()).map(|s| s.room());
                        let Some(room) = room else { break };
                        room.await;
                        let acked = flush_snapshot(pipeline, false).await?;
                        snapshot.acknowledged(&acked).await?;
                    }
                }
                None => break,
            },
        }
    }
    let acked = flush_snapshot(pipeline, true).await?;
    snapshot.acknowledged(&acked).await?;
    if let Some(sink) = snapshot
        .unacknowledged_sink()
        .and_then(|i| pipeline.sinks.get(i))
        .map(|sink| sink.describe())
    {
        return Err(RunError::Slot(format!(
            "{sink} did not acknowledge the last snapshot row; the slot is left as it was so the rest of the snapshot is taken at the next start"
        )));
    }
    snapshot
        .persist(sql, &config.slot, existing.as_ref())
        .await?;
    pipeline.snapshot_settled = true;
    if !mode.streams() {
        tracing::info!("snapshot.mode=initial_only: the snapshot is complete, stopping");
        return Ok(SnapshotOutcome::Stop);
    }
    let info = read_slot(sql, &config.slot).await?;
    Ok(SnapshotOutcome::Stream(info))
}

/// Flushes every sink during the snapshot and notes what each took; at the `end`, waits for
/// sinks that deliver in the background. Returns each sink's acknowledgement.
async fn flush_snapshot(
    pipeline: &mut Pipeline,
    end: bool,
) -> Result<Vec<Option<Position>>, SinkError> {
    let mut acks = Vec::with_capacity(pipeline.sinks.len());
    for (sink, taken) in pipeline.sinks.iter_mut().zip(&mut pipeline.taken) {
        let acked = if end {
            sink.finish().await?
        } else {
            sink.flush().await?
        };
        if let Some(position) = acked
            && taken.is_none_or(|t| t < position)
        {
            *taken = Some(position);
        }
        acks.push(acked);
    }
    Ok(acks)
}

#[allow(clippy::too_many_arguments)]
async fn stream_loop(
    options: &RunOptions,
    pipeline: &mut Pipeline,
    shutdown: &CancellationToken,
    sql: &tokio_postgres::Client,
    stream: &mut ReplicationStream,
    assembler: &mut Assembler,
    checkpoint: &mut Checkpoint,
) -> Result<SessionEnd, RunError> {
    let config = &options.source;
    let mut events: Vec<Event> = Vec::with_capacity(64);
    let mut flush_timer = tokio::time::interval(FLUSH_INTERVAL);
    flush_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heartbeat = config.heartbeat_interval.map(|every| {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        timer
    });
    let mut last_status = Instant::now();
    let mut reported = checkpoint.confirmed();
    let mut stop_deadline: Option<Instant> = None;
    let end_lsn = options.end_lsn;
    let mut reached_end = false;
    // Set while a sink is full: the stream is not read (status updates still go out on the
    // flush timer, so the server keeps the connection) until the sink has room again.
    let mut room: Option<RoomFuture> = None;

    loop {
        if let Some(deadline) = stop_deadline
            && (!assembler.in_transaction() || Instant::now() >= deadline)
        {
            return Ok(SessionEnd::Finished);
        }
        if reached_end {
            pipeline.finish(checkpoint).await?;
            if checkpoint.is_drained() {
                return Ok(SessionEnd::Finished);
            }
        }
        tokio::select! {
            biased;
            () = shutdown.cancelled(), if stop_deadline.is_none() => {
                tracing::info!("stopping: finishing the current transaction, then flushing");
                stop_deadline = Some(Instant::now() + STOP_GRACE);
            }
            () = wait(&mut room) => {
                pipeline.flush(checkpoint).await?;
                room = pipeline.wait_for_room();
            }
            frame = stream.next_frame(), if room.is_none() => {
                let Some(frame) = frame? else {
                    return Err(RunError::Ended);
                };
                match ReplicationMessage::decode(frame)? {
                    ReplicationMessage::XLogData(xlog) => {
                        assembler.push(xlog.wal_start, xlog.data, &mut events)?;
                        load_from_catalog(sql, assembler).await?;
                        if let Some(overlap) = &pipeline.overlap {
                            overlap.apply(&mut events);
                        }
                        if let Some(end) = end_lsn {
                            reached_end |= cut_at_end(&mut events, end);
                            // A commit record reaching the end LSN leaves no room for another
                            // commit before it: everything wanted has arrived.
                            reached_end |= events
                                .iter()
                                .any(|e| matches!(e, Event::Commit(c) if c.end_lsn >= end));
                        }
                        if !events.is_empty() {
                            account(&events, checkpoint, &mut pipeline.summary);
                            pipeline.deliver(&events).await?;
                            room = pipeline.wait_for_room();
                            pipeline.progress.update(xlog.wal_end.max(xlog.wal_start), &pipeline.summary);
                            events.clear();
                        }
                    }
                    ReplicationMessage::PrimaryKeepalive(keepalive) => {
                        if keepalive.reply_requested {
                            pipeline.flush(checkpoint).await?;
                        }
                        if !assembler.in_transaction() {
                            checkpoint.idle(keepalive.wal_end);
                        }
                        if end_lsn.is_some_and(|end| keepalive.wal_end >= end) && !assembler.in_transaction() {
                            reached_end = true;
                        }
                        if keepalive.reply_requested {
                            send_status(stream, checkpoint.confirmed(), false).await?;
                            reported = checkpoint.confirmed();
                            last_status = Instant::now();
                        }
                        pipeline.progress.update(keepalive.wal_end, &pipeline.summary);
                    }
                }
            }
            _ = flush_timer.tick() => {
                pipeline.flush(checkpoint).await?;
                let confirmed = checkpoint.confirmed();
                // Waiting for an end LSN, ask for a keepalive: it says how far the server's WAL
                // goes, which an idle server would otherwise say only every
                // wal_sender_timeout / 2.
                // When nothing is pending, the reply's WAL end can be confirmed (see idle()), so
                // an idle or fully filtered database does not make the slot hold WAL.
                let waiting_for_end = end_lsn.is_some() && !reached_end;
                if waiting_for_end || confirmed > reported || last_status.elapsed() >= config.status_interval {
                    let ask = waiting_for_end || checkpoint.is_drained();
                    send_status(stream, confirmed, ask).await?;
                    reported = confirmed;
                    last_status = Instant::now();
                    tracing::debug!(%confirmed, "confirmed");
                }
                pipeline.summary.confirmed = confirmed;
                pipeline.release_overlap(confirmed, config).await;
            }
            () = tick(&mut heartbeat) => {
                if let Some(query) = &config.heartbeat_action_query
                    && let Err(error) = sql.batch_execute(query).await
                {
                    tracing::warn!(error = %PgError(error), "heartbeat.action.query failed");
                }
                send_status(stream, checkpoint.confirmed(), false).await?;
                last_status = Instant::now();
            }
        }
    }
}

/// Drops the events of transactions that commit at or after `end`; true when one was seen.
fn cut_at_end(events: &mut Vec<Event>, end: Lsn) -> bool {
    let before = events.len();
    events.retain(|event| event.position().commit_lsn < end);
    events.len() != before
}

fn account(events: &[Event], checkpoint: &mut Checkpoint, summary: &mut RunSummary) {
    for event in events {
        match event {
            Event::Begin(_) => checkpoint.begin(),
            Event::Change(_) => summary.changes += 1,
            Event::Commit(commit) => {
                checkpoint.commit(commit.position(), commit.end_lsn);
                summary.transactions += 1;
            }
        }
    }
}

async fn load_from_catalog(
    sql: &tokio_postgres::Client,
    assembler: &mut Assembler,
) -> Result<(), RunError> {
    for oid in assembler.take_type_requests() {
        catalog::load_type(sql, assembler.types_mut(), oid)
            .await
            .map_err(|source| RunError::Sql {
                context: "reading a type from the catalog",
                source,
            })?;
    }
    for oid in assembler.take_metadata_requests() {
        let metadata = catalog::table_metadata(sql, oid)
            .await
            .map_err(|source| RunError::Sql {
                context: "reading a table's columns from the catalog",
                source,
            })?;
        assembler.set_metadata(oid, metadata);
    }
    Ok(())
}

async fn send_status(
    stream: &mut ReplicationStream,
    confirmed: Lsn,
    reply_requested: bool,
) -> Result<(), StreamError> {
    let now = pgoutput::time::system_time_to_pg(std::time::SystemTime::now()).unwrap_or(0);
    stream
        .send_status(&StandbyStatusUpdate {
            write: confirmed,
            flush: confirmed,
            apply: confirmed,
            send_time: now,
            reply_requested,
        })
        .await
}

/// Waits up to `slot_busy_wait` for another process to release the slot; if it does not, the
/// start of replication then fails with the clear "slot is active" error.
async fn wait_for_slot(
    sql: &tokio_postgres::Client,
    config: &SourceConfig,
    pid: i32,
) -> Result<(), RunError> {
    if config.slot_busy_wait.is_zero() {
        return Ok(());
    }
    tracing::info!(
        slot = %config.slot,
        pid,
        wait = ?config.slot_busy_wait,
        "the slot is active in another server process (a pgcdc that was just stopped?); waiting for it"
    );
    let deadline = Instant::now() + config.slot_busy_wait;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let info = read_slot(sql, &config.slot).await?;
        if info.is_none_or(|info| info.active_pid.is_none()) {
            return Ok(());
        }
    }
    Ok(())
}

/// Waits for the future; never, when there is none.
async fn wait(room: &mut Option<RoomFuture>) {
    match room {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// Waits for the timer's next tick; never, when there is no timer.
async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The slot `name` as the server has it (`None`: no such slot).
async fn read_slot(
    sql: &tokio_postgres::Client,
    name: &str,
) -> Result<Option<slot::SlotInfo>, RunError> {
    slot::get(sql, name).await.map_err(|source| RunError::Sql {
        context: "reading the slot",
        source,
    })
}
