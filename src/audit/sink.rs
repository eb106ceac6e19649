//! The audit sink: change events in, audit rows out, exactly once.
//!
//! Rows are collected in memory and written with `COPY` in one database transaction together
//! with the position reached (`pgcdc_audit.positions`), at each pipeline flush or when
//! `pgcdc.audit.batch.rows` rows are waiting. On start the sink reads that position and the
//! pipeline gives it only what comes after, so a crash at any point neither loses nor repeats a
//! row.
//!
//! A context message may arrive after some of its transaction's rows were written (a long
//! transaction spans batches): the stored rows are then updated in the next write transaction.
//! When a restart resumes in the middle of a transaction, its context is read back from the
//! rows already stored.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::SinkExt as _;
use pgoutput::Lsn;
use serde_json::Value as Json;

use super::config::AuditConfig;
use super::copy::CopyText;
use super::row::{AuditRow, rows_of};
use super::schema::{self, Partitions};
use super::{AuditError, StoreConnection, connect, context};
use crate::change::{ChangeKind, Event, Position};
use crate::config::connection::ConnectionConfig;
use crate::metrics::{Counter, global};
use crate::sink::{Sink, SinkError};

/// How often partitions are created ahead and old ones dropped.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);

const COPY_STATEMENT: &str = "COPY pgcdc_audit.changes (source, schema_name, table_name, op, pk, \
     before, after, changed_columns, xid, commit_lsn, change_index, commit_time, context) FROM STDIN";

/// The transaction being read.
#[derive(Debug)]
struct OpenTxn {
    commit_lsn: Lsn,
    commit_time_us: i64,
    context: Option<Json>,
    /// Where its rows start in the batch.
    batch_start: usize,
    /// Whether some of its rows are already in the store.
    stored_rows: bool,
}

/// A context to set on rows already stored.
#[derive(Debug)]
struct ContextUpdate {
    commit_lsn: Lsn,
    commit_time_us: i64,
    context: Json,
}

#[derive(Debug)]
struct Metrics {
    rows: Arc<Counter>,
    batches: Arc<Counter>,
    context_updates: Arc<Counter>,
}

/// Writes audit rows into the audit store.
pub struct AuditSink {
    source: String,
    config: AuditConfig,
    connection: ConnectionConfig,
    store: StoreConnection,
    partitions: Partitions,
    /// The tables registered in `pgcdc_audit.tables`.
    tables: HashSet<(String, String)>,
    batch: Vec<AuditRow>,
    updates: Vec<ContextUpdate>,
    txn: Option<OpenTxn>,
    last: Option<Position>,
    saved: Option<Position>,
    resume: Option<Position>,
    maintained: Instant,
    metrics: Metrics,
    /// The consumer of request records, when configured (stopped with the sink).
    requests: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for AuditSink {
    fn drop(&mut self) {
        if let Some(task) = &self.requests {
            task.abort();
        }
    }
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSink")
            .field("source", &self.source)
            .field("store", &self.connection.redacted())
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

impl AuditSink {
    /// Connects to the store, migrates it, prepares partitions and reads where `source` (the
    /// source's `topic.prefix`) left off.
    pub async fn open(source: &str, config: AuditConfig) -> Result<Self, AuditError> {
        let connection = config.connection()?;
        let mut store = connect(&connection).await?;
        schema::migrate(&mut store.client)
            .await
            .map_err(|e| AuditError::Sql {
                action: "migrating the schema",
                source: e,
            })?;
        let partitions = Partitions::load(&store.client)
            .await
            .map_err(|e| AuditError::Sql {
                action: "reading the partitions",
                source: e,
            })?;
        let saved = store
            .client
            .query_opt(
                "SELECT commit_lsn::text, change_index FROM pgcdc_audit.positions WHERE source = $1",
                &[&source],
            )
            .await
            .map_err(AuditError::sql("reading the saved position"))?
            .map(|row| -> Result<Position, AuditError> {
                let lsn: String = row.try_get(0).map_err(AuditError::sql("reading the saved position"))?;
                let index: i32 = row.try_get(1).map_err(AuditError::sql("reading the saved position"))?;
                Ok(Position::new(
                    lsn.parse().unwrap_or_default(),
                    u32::try_from(index).unwrap_or(0),
                ))
            })
            .transpose()?;
        let tables = store
            .client
            .query(
                "SELECT schema_name, table_name FROM pgcdc_audit.tables",
                &[],
            )
            .await
            .map_err(AuditError::sql("reading the audited tables"))?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<HashSet<(String, String)>, tokio_postgres::Error>>()
            .map_err(AuditError::sql("reading the audited tables"))?;
        let registry = global();
        let mut sink = Self {
            tables,
            source: source.to_owned(),
            connection,
            store,
            partitions,
            batch: Vec::with_capacity(config.batch_rows.min(100_000)),
            updates: Vec::new(),
            txn: None,
            last: saved,
            saved,
            resume: saved,
            maintained: Instant::now(),
            metrics: Metrics {
                rows: registry.counter(
                    "pgcdc_audit_rows_written_total",
                    "Audit rows committed to the audit store.",
                ),
                batches: registry.counter(
                    "pgcdc_audit_batches_total",
                    "Write transactions committed to the audit store.",
                ),
                context_updates: registry.counter(
                    "pgcdc_audit_context_updates_total",
                    "Contexts set on audit rows after they were stored.",
                ),
            },
            requests: None,
            config,
        };
        sink.maintain().await?;
        if let Some(requests) = &sink.config.requests {
            sink.requests = Some(super::kafka::spawn(
                requests.clone(),
                sink.connection.clone(),
                source,
            )?);
        }
        if let Some(position) = saved {
            tracing::info!(source, %position, "audit store: resuming after the saved position");
        }
        Ok(sink)
    }

    /// Creates the partitions ahead of today and drops those past the retention.
    async fn maintain(&mut self) -> Result<(), AuditError> {
        let today = schema::today();
        let ahead = i64::from(self.config.partitions_ahead_days);
        self.partitions
            .ensure(&self.store.client, today..=today + ahead)
            .await
            .map_err(|e| AuditError::Sql {
                action: "creating partitions",
                source: e,
            })?;
        if let Some(days) = self.config.retention_days {
            self.partitions
                .drop_before(&self.store.client, today - i64::from(days))
                .await
                .map_err(|e| AuditError::Sql {
                    action: "dropping partitions past the retention",
                    source: e,
                })?;
        }
        if let Some(requests) = &self.config.requests {
            // Kept a day beyond the window: a transaction read late (a backlog) can still meet it.
            super::requests::expire(
                &self.store.client,
                requests.window + Duration::from_secs(86_400),
            )
            .await
            .map_err(|e| AuditError::Sql {
                action: "forgetting old request records",
                source: e,
            })?;
        }
        self.maintained = Instant::now();
        Ok(())
    }

    fn error(&self, error: AuditError) -> SinkError {
        SinkError::Store {
            sink: self.describe(),
            reason: error.to_string(),
        }
    }

    /// The transaction of a change that came without its Begin: the stream resumed after a
    /// restart in the middle of it. Its context is read back from the rows already stored.
    async fn resumed_txn(
        &self,
        commit_lsn: Lsn,
        commit_time_us: i64,
    ) -> Result<OpenTxn, AuditError> {
        let context: Option<Json> = self
            .store
            .client
            .query_opt(
                "SELECT context::text FROM pgcdc_audit.changes
                 WHERE source = $1 AND commit_lsn = $2::text::pg_lsn AND context IS NOT NULL LIMIT 1",
                &[&self.source, &commit_lsn.to_string()],
            )
            .await
            .map_err(AuditError::sql("reading the context of a resumed transaction"))?
            .map(|row| row.try_get::<_, String>(0))
            .transpose()
            .map_err(AuditError::sql("reading the context of a resumed transaction"))?
            .and_then(|text| serde_json::from_str(&text).ok());
        Ok(OpenTxn {
            commit_lsn,
            commit_time_us,
            context,
            batch_start: self.batch.len(),
            stored_rows: true,
        })
    }

    /// Writes the batch, the late contexts and the position in one transaction.
    async fn write_batch(&mut self) -> Result<(), AuditError> {
        if self.batch.is_empty() && self.updates.is_empty() && self.last == self.saved {
            return Ok(());
        }
        let days: BTreeSet<i64> = self
            .batch
            .iter()
            .map(|r| schema::day_of(r.commit_time_us))
            .collect();
        self.partitions
            .ensure(&self.store.client, days)
            .await
            .map_err(|e| AuditError::Sql {
                action: "creating partitions",
                source: e,
            })?;
        let mut copy = CopyText::new();
        for row in &self.batch {
            encode_row(&mut copy, &self.source, row);
        }
        let tx = self
            .store
            .client
            .transaction()
            .await
            .map_err(AuditError::sql("starting a write transaction"))?;
        if !copy.is_empty() {
            let sink = tx
                .copy_in::<_, bytes::Bytes>(COPY_STATEMENT)
                .await
                .map_err(AuditError::sql("writing audit rows"))?;
            futures_util::pin_mut!(sink);
            sink.send(copy.take())
                .await
                .map_err(AuditError::sql("writing audit rows"))?;
            sink.finish()
                .await
                .map_err(AuditError::sql("writing audit rows"))?;
        }
        if let Some(requests) = &self.config.requests
            && !self.batch.is_empty()
        {
            let lsns: Vec<String> = self
                .batch
                .iter()
                .map(|r| r.position.commit_lsn)
                .collect::<BTreeSet<Lsn>>()
                .iter()
                .map(Lsn::to_string)
                .collect();
            let times = self.batch.iter().map(|r| r.commit_time_us);
            let first =
                crate::change::value::format_timestamp_utc(times.clone().min().unwrap_or(0));
            let last = crate::change::value::format_timestamp_utc(times.max().unwrap_or(0));
            tx.batch_execute(super::requests::JOIN_LOCK)
                .await
                .map_err(AuditError::sql("locking the request join"))?;
            tx.execute(
                super::requests::JOIN_BATCH,
                &[
                    &self.source,
                    &lsns,
                    &super::requests::interval(requests.window),
                    &first,
                    &last,
                ],
            )
            .await
            .map_err(AuditError::sql("joining request records"))?;
        }
        let mut new_tables = Vec::new();
        for row in &self.batch {
            let key = (row.schema.clone(), row.table.clone());
            if !self.tables.contains(&key) && !new_tables.contains(&key) {
                new_tables.push(key);
            }
        }
        for (schema, table) in &new_tables {
            tx.execute(
                "INSERT INTO pgcdc_audit.tables (schema_name, table_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[schema, table],
            )
            .await
            .map_err(AuditError::sql("registering a table"))?;
        }
        for update in &self.updates {
            let time = crate::change::value::format_timestamp_utc(update.commit_time_us);
            tx.execute(
                "UPDATE pgcdc_audit.changes SET context = coalesce(context, '{}') || $1::text::jsonb
                 WHERE source = $2 AND commit_lsn = $3::text::pg_lsn AND commit_time = $4::text::timestamptz",
                &[&update.context.to_string(), &self.source, &update.commit_lsn.to_string(), &time],
            )
            .await
            .map_err(AuditError::sql("setting a transaction's context"))?;
        }
        if let Some(position) = self.last {
            tx.execute(
                "INSERT INTO pgcdc_audit.positions (source, commit_lsn, change_index, updated_at)
                 VALUES ($1, $2::text::pg_lsn, $3, now())
                 ON CONFLICT (source) DO UPDATE
                 SET commit_lsn = EXCLUDED.commit_lsn, change_index = EXCLUDED.change_index, updated_at = now()",
                &[&self.source, &position.commit_lsn.to_string(), &i32::try_from(position.index).unwrap_or(i32::MAX)],
            )
            .await
            .map_err(AuditError::sql("saving the position"))?;
        }
        tx.commit()
            .await
            .map_err(AuditError::sql("committing audit rows"))?;
        self.metrics.rows.add(self.batch.len() as u64);
        self.metrics.batches.inc();
        self.metrics.context_updates.add(self.updates.len() as u64);
        if let Some(txn) = &mut self.txn {
            txn.stored_rows |= txn.batch_start < self.batch.len();
            txn.batch_start = 0;
        }
        self.tables.extend(new_tables);
        self.batch.clear();
        self.updates.clear();
        self.saved = self.last;
        Ok(())
    }

    async fn take(&mut self, event: &Event) -> Result<(), AuditError> {
        match event {
            Event::Begin(txn) => {
                self.txn = Some(OpenTxn {
                    commit_lsn: txn.commit_lsn,
                    commit_time_us: txn.commit_time_us,
                    context: None,
                    batch_start: self.batch.len(),
                    stored_rows: false,
                });
            }
            Event::Commit(commit) => {
                self.txn = None;
                self.last = Some(commit.position());
            }
            Event::Change(change) => {
                if let ChangeKind::Message {
                    transactional: false,
                    ..
                } = change.kind
                {
                    self.last = Some(change.position);
                    return Ok(());
                }
                if self
                    .txn
                    .as_ref()
                    .is_none_or(|t| t.commit_lsn != change.position.commit_lsn)
                {
                    self.txn = Some(
                        self.resumed_txn(change.position.commit_lsn, change.txn.commit_time_us)
                            .await?,
                    );
                }
                let Some(txn) = self.txn.as_mut() else {
                    return Ok(());
                };
                match &change.kind {
                    ChangeKind::Message {
                        prefix, content, ..
                    } if *prefix == self.config.context_prefix => {
                        let merged = context::merge(txn.context.take(), context::parse(content));
                        for row in &mut self.batch[txn.batch_start..] {
                            row.context = Some(merged.clone());
                        }
                        if txn.stored_rows {
                            self.updates.push(ContextUpdate {
                                commit_lsn: txn.commit_lsn,
                                commit_time_us: txn.commit_time_us,
                                context: merged.clone(),
                            });
                        }
                        txn.context = Some(merged);
                        // Not acknowledged by itself: were the stream to resume right after
                        // it, the rows that follow would not know their context.
                        return Ok(());
                    }
                    _ => {
                        let start = self.batch.len();
                        rows_of(change, &mut self.batch);
                        if let Some(context) = &txn.context {
                            for row in &mut self.batch[start..] {
                                row.context = Some(context.clone());
                            }
                        }
                    }
                }
                self.last = Some(change.position);
                if self.batch.len() >= self.config.batch_rows {
                    self.write_batch().await?;
                }
            }
        }
        Ok(())
    }
}

/// One row of the `COPY`.
fn encode_row(copy: &mut CopyText, source: &str, row: &AuditRow) {
    let json = |value: &Option<Json>| value.as_ref().map(Json::to_string);
    copy.text(source);
    copy.text(&row.schema);
    copy.text(&row.table);
    copy.text(row.op.as_str());
    copy.optional(json(&row.pk).as_deref());
    copy.optional(json(&row.before).as_deref());
    copy.optional(json(&row.after).as_deref());
    match &row.changed_columns {
        Some(columns) => copy.text_array(columns),
        None => copy.null(),
    }
    copy.text(itoa::Buffer::new().format(row.xid));
    copy.text(&row.position.commit_lsn.to_string());
    copy.text(itoa::Buffer::new().format(row.position.index));
    copy.text(&crate::change::value::format_timestamp_utc(
        row.commit_time_us,
    ));
    copy.optional(json(&row.context).as_deref());
    copy.end_row();
}

#[async_trait]
impl Sink for AuditSink {
    fn describe(&self) -> String {
        format!("audit:{}", self.connection.redacted())
    }

    fn resume_position(&self) -> Option<Position> {
        self.resume
    }

    async fn write(&mut self, events: &[Event]) -> Result<(), SinkError> {
        for event in events {
            if let Err(error) = self.take(event).await {
                return Err(self.error(error));
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<Option<Position>, SinkError> {
        if let Err(error) = self.write_batch().await {
            return Err(self.error(error));
        }
        if self.maintained.elapsed() >= MAINTENANCE_INTERVAL
            && let Err(error) = self.maintain().await
        {
            return Err(self.error(error));
        }
        Ok(self.saved)
    }
}
