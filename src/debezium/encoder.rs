//! [`DebeziumEncoder`]: change events to the records Debezium's PostgreSQL connector writes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::change::{Change, ChangeKind, Datum, Event, RelationInfo, Row};
use crate::record::{EncodeError, Encoder, Header, Record};

use super::config::{BinaryMode, DebeziumConfig, TimePrecisionMode};
use super::envelope::{message_key_schema, message_value_schema, wrap};
use super::header::write_key_header;
use super::json::{write_int, write_str};
use super::snapshot::marker_name;
use super::source::SourceInfo;
use super::table::{RowStyle, TablePlan};
use super::topic::sanitize;
use super::transform::{DeleteHandling, ExtractNewRecordState, MetaSource};
use super::txmeta::TxMetadata;
use super::values::{Mismatch, write_binary};

/// Encodes change events as Debezium does (see the module documentation).
#[derive(Debug)]
pub struct DebeziumEncoder {
    config: DebeziumConfig,
    tables: HashMap<u32, Arc<TablePlan>>,
    context_headers: Vec<Header>,
    message_topic: String,
    message_key_schema: Box<[u8]>,
    message_value_schema: Box<[u8]>,
    last_commit_lsn: Option<u64>,
    last_commit_time_us: i64,
    /// With `provide.transaction.metadata`.
    txmeta: Option<TxMetadata>,
    /// Each topic after the transforms, once worked out.
    routes: HashMap<String, String>,
    /// The `ExtractNewRecordState` of the transforms, if any.
    unwrap: Option<Arc<ExtractNewRecordState>>,
    /// Records of the current event routed by `route.by.field`: index in the output, topic.
    field_topics: Vec<(usize, String)>,
}

/// One table record to write: the change, its table and plan, the operation, the key payload
/// and the row images (`before` with whether it holds only the key, `after` with the full old
/// row that fills its unchanged TOAST values).
#[derive(Clone, Copy)]
struct TableRecord<'a> {
    change: &'a Change,
    relation: &'a RelationInfo,
    plan: &'a TablePlan,
    op: Op,
    key: Option<&'a [u8]>,
    before: Option<(&'a Row, bool)>,
    after: Option<(&'a Row, Option<&'a Row>)>,
}

/// The operation of a table record.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Update,
    Delete,
    Truncate,
    Read,
}

impl Op {
    fn code(self) -> &'static [u8] {
        match self {
            Op::Create => b"c",
            Op::Update => b"u",
            Op::Delete => b"d",
            Op::Truncate => b"t",
            Op::Read => b"r",
        }
    }
}

impl DebeziumEncoder {
    /// An encoder with these settings; `run_id` goes into the `__debezium.context.runId` header
    /// (Debezium makes a new UUID for each start, see [`new_run_id`]).
    pub fn new(config: DebeziumConfig, run_id: &str) -> Self {
        let prefix = config.topic_prefix.clone();
        let context_headers = if config.extended_headers {
            [
                ("__debezium.context.connectorLogicalName", prefix.as_str()),
                ("__debezium.context.taskId", "0"),
                ("__debezium.context.connectorName", "postgresql"),
                ("__debezium.context.runId", run_id),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Some(Bytes::copy_from_slice(v.as_bytes()))))
            .collect()
        } else {
            Vec::new()
        };
        let mut message_key = Vec::new();
        message_key_schema().write_json(&mut message_key, None);
        let mut message_value = Vec::new();
        message_value_schema(config.binary_mode != BinaryMode::Bytes)
            .write_json(&mut message_value, None);
        let txmeta = config
            .provide_transaction_metadata
            .then(|| TxMetadata::new(&prefix, config.key_schemas, config.value_schemas));
        Self {
            message_topic: sanitize(&format!("{prefix}.message")),
            txmeta,
            routes: HashMap::new(),
            unwrap: config.transforms.unwrap().cloned().map(Arc::new),
            field_topics: Vec::new(),
            config,
            tables: HashMap::new(),
            context_headers,
            message_key_schema: message_key.into_boxed_slice(),
            message_value_schema: message_value.into_boxed_slice(),
            last_commit_lsn: None,
            last_commit_time_us: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &DebeziumConfig {
        &self.config
    }

    fn plan(&mut self, relation: &RelationInfo) -> Arc<TablePlan> {
        match self.tables.get(&relation.oid) {
            Some(plan) if plan.generation == relation.generation => Arc::clone(plan),
            _ => {
                let plan = Arc::new(TablePlan::new(relation, &self.config));
                self.tables.insert(relation.oid, Arc::clone(&plan));
                plan
            }
        }
    }

    fn style(&self) -> RowStyle<'_> {
        RowStyle {
            replace_null_with_default: self.config.value_replace_null_with_default,
            placeholder: &self.config.unavailable_value_placeholder,
            snapshot: false,
        }
    }

    fn source<'a>(&'a self, change: &'a Change, schema: &'a str, table: &'a str) -> SourceInfo<'a> {
        let tx_id = (change.txn.xid != 0).then_some(change.txn.xid);
        let snapshot = match &change.kind {
            ChangeKind::Read { marker, .. } => Some(marker_name(*marker)),
            _ => None,
        };
        SourceInfo {
            name: &self.config.topic_prefix,
            db: &self.config.database,
            commit_time_us: if tx_id.is_some() {
                change.txn.commit_time_us
            } else {
                self.last_commit_time_us
            },
            // A snapshot row's sequence is [null, snapshot LSN].
            last_commit_lsn: if snapshot.is_some() {
                None
            } else {
                self.last_commit_lsn
            },
            lsn: u64::from(change.lsn),
            schema,
            table,
            tx_id,
            origin: change.txn.origin.as_deref(),
            snapshot_default: self.config.value_replace_null_with_default,
            snapshot,
        }
    }

    /// The key payload of `row`, or `None` for a table without a key.
    fn key_payload(&self, plan: &TablePlan, row: &Row) -> Result<Option<Vec<u8>>, Mismatch> {
        let mut key = Vec::with_capacity(32);
        Ok(plan.write_key(&mut key, row, self.style())?.then_some(key))
    }

    fn table_record(
        &mut self,
        record: TableRecord<'_>,
        headers: Vec<Header>,
    ) -> Result<Record, Mismatch> {
        let TableRecord {
            change,
            relation,
            plan,
            op,
            key,
            before,
            after,
        } = record;
        let mut value = Vec::with_capacity(512);
        let style = RowStyle {
            snapshot: matches!(op, Op::Read),
            ..self.style()
        };
        value.extend_from_slice(b"{\"before\":");
        match before {
            Some((row, _)) => plan.write_row(&mut value, row, None, style)?,
            None => value.extend_from_slice(b"null"),
        }
        value.extend_from_slice(b",\"after\":");
        match after {
            Some((row, fallback)) => plan.write_row(&mut value, row, fallback, style)?,
            None => value.extend_from_slice(b"null"),
        }
        value.extend_from_slice(b",\"source\":");
        self.source(change, &relation.schema, &relation.table)
            .write_json(&mut value);
        value.extend_from_slice(b",\"transaction\":");
        let collection = format!("{}.{}", relation.schema, relation.table);
        self.write_transaction(&mut value, change, Some(&collection));
        value.extend_from_slice(b",\"op\":\"");
        value.extend_from_slice(op.code());
        value.push(b'"');
        write_processing_time(&mut value, true);
        value.push(b'}');
        Ok(Record {
            topic: plan.topic.clone(),
            key: key.map(|k| wrap(&plan.key_schema, k, self.config.key_schemas)),
            value: Some(wrap(&plan.value_schema, &value, self.config.value_schemas)),
            headers,
            position: change.position,
        })
    }

    /// Appends the record of a table change: the envelope, or what `ExtractNewRecordState`
    /// makes of it.
    fn push_table_record(
        &mut self,
        out: &mut Vec<Record>,
        record: TableRecord<'_>,
        headers: Vec<Header>,
    ) -> Result<(), Mismatch> {
        let Some(unwrap) = self.unwrap.clone() else {
            let record = self.table_record(record, headers)?;
            out.push(record);
            return Ok(());
        };
        self.push_flat_record(out, &unwrap, record, headers)
    }

    /// `ExtractNewRecordState` applied to a table change.
    fn push_flat_record(
        &mut self,
        out: &mut Vec<Record>,
        unwrap: &ExtractNewRecordState,
        record: TableRecord<'_>,
        mut headers: Vec<Header>,
    ) -> Result<(), Mismatch> {
        let TableRecord {
            change,
            relation,
            plan,
            op,
            key,
            before,
            after,
        } = record;
        let collection = format!("{}.{}", relation.schema, relation.table);
        // The transaction block is worked out for every change, as its counters go on.
        let mut transaction = Vec::new();
        self.write_transaction(&mut transaction, change, Some(&collection));
        let meta = if unwrap.add_fields.is_empty() && unwrap.add_headers.is_empty() {
            None
        } else {
            let mut source = Vec::new();
            self.source(change, &relation.schema, &relation.table)
                .write_json(&mut source);
            Some(MetaValues::new(op.code(), &source, &transaction))
        };
        if let Some(meta) = &meta {
            for field in &unwrap.add_headers {
                if let Some(text) = meta.header_text(&field.source) {
                    headers.push((field.name.clone(), text.map(Bytes::from)));
                }
            }
        }
        let handling = unwrap.delete_handling;
        let key = key.map(|k| wrap(&plan.key_schema, k, self.config.key_schemas));
        let row = match (op, before, after) {
            (Op::Truncate, ..) => return Ok(()),
            (Op::Delete, Some((old, _)), _) => match handling {
                DeleteHandling::Drop => return Ok(()),
                DeleteHandling::Tombstone | DeleteHandling::DeleteToTombstone => {
                    let value = (handling == DeleteHandling::Tombstone).then(|| {
                        let schema = plan.flat_schemas.as_ref().map_or(&[][..], |(_, row)| row);
                        wrap(schema, b"null", self.config.value_schemas)
                    });
                    self.route_by_field(unwrap, plan, old, out.len())?;
                    out.push(Record {
                        topic: plan.topic.clone(),
                        key,
                        value,
                        headers,
                        position: change.position,
                    });
                    return Ok(());
                }
                DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone => (old, None),
            },
            (_, _, Some((new, fallback))) => (new, fallback),
            _ => return Ok(()),
        };
        let (row, fallback) = row;
        let mut style = self.style();
        style.snapshot = matches!(op, Op::Read);
        if handling.rewrites() && unwrap.replace_null_with_default {
            style.replace_null_with_default = true;
        }
        let mut value = Vec::with_capacity(256);
        plan.write_row(&mut value, row, fallback, style)?;
        if handling.rewrites() || !unwrap.add_fields.is_empty() {
            value.pop();
            if handling.rewrites() {
                value.extend_from_slice(if matches!(op, Op::Delete) {
                    b",\"__deleted\":\"true\""
                } else {
                    b",\"__deleted\":\"false\""
                });
            }
            if let Some(meta) = &meta {
                for field in &unwrap.add_fields {
                    if field.source.schema().is_some() {
                        value.push(b',');
                        write_str(&mut value, &field.name);
                        value.push(b':');
                        value.extend_from_slice(&meta.json(&field.source));
                    }
                }
            }
            value.push(b'}');
        }
        let schema = plan.flat_schemas.as_ref().map_or(&[][..], |(flat, _)| flat);
        self.route_by_field(unwrap, plan, row, out.len())?;
        out.push(Record {
            topic: plan.topic.clone(),
            key,
            value: Some(wrap(schema, &value, self.config.value_schemas)),
            headers,
            position: change.position,
        });
        Ok(())
    }

    /// Notes the `route.by.field` topic of the record about to be pushed at `index`.
    fn route_by_field(
        &mut self,
        unwrap: &ExtractNewRecordState,
        plan: &TablePlan,
        row: &Row,
        index: usize,
    ) -> Result<(), Mismatch> {
        let Some(field) = &unwrap.route_by_field else {
            return Ok(());
        };
        let Some(column) = plan.columns.iter().find(|c| c.name == *field) else {
            return Err(Mismatch {
                value: format!("route.by.field {field}"),
                conv: format!("table {} without that column", plan.topic),
            });
        };
        let mut single = column.clone();
        single.index = 0;
        let lone = TablePlan {
            columns: vec![single],
            ..plan.clone()
        };
        let values = Row {
            values: vec![row.values.get(column.index).cloned().unwrap_or(Datum::Null)],
        };
        let mut json = Vec::new();
        let mut style = self.style();
        style.replace_null_with_default = true;
        lone.write_row(&mut json, &values, None, style)?;
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&json).ok();
        match parsed.as_ref().and_then(|v| v.get(field)) {
            Some(serde_json::Value::String(topic)) => {
                self.field_topics.push((index, topic.clone()));
                Ok(())
            }
            Some(serde_json::Value::Null) | None => Ok(()),
            Some(_) => Err(Mismatch {
                value: format!("route.by.field {field}"),
                conv: "a column that is not a string".to_owned(),
            }),
        }
    }

    /// Appends a tombstone (after a delete's record): with `ExtractNewRecordState` only in
    /// `rewrite-with-tombstone` mode, with the delete's headers (the transform added its
    /// headers to them) and its own `op` headers.
    fn push_tombstone(
        &self,
        out: &mut Vec<Record>,
        change: &Change,
        plan: &TablePlan,
        key: Option<&[u8]>,
        headers: Vec<Header>,
    ) {
        let Some(unwrap) = &self.unwrap else {
            out.push(self.tombstone(change, plan, key, headers));
            return;
        };
        if unwrap.delete_handling != DeleteHandling::RewriteWithTombstone {
            return;
        }
        let mut headers = out.last().map_or(headers, |delete| delete.headers.clone());
        for field in &unwrap.add_headers {
            if field.source == MetaSource::Envelope("op".to_owned()) {
                headers.push((field.name.clone(), Some(Bytes::from_static(b"d"))));
            }
        }
        out.push(self.tombstone(change, plan, key, headers));
    }

    /// Appends the `transaction` block: `null` without transaction metadata or outside a
    /// transaction.
    fn write_transaction(&mut self, out: &mut Vec<u8>, change: &Change, collection: Option<&str>) {
        // Snapshot rows belong to no streamed transaction.
        let read = matches!(change.kind, ChangeKind::Read { .. });
        match self.txmeta.as_mut().filter(|_| !read) {
            Some(meta) => meta.write_block(out, change.txn.xid, u64::from(change.lsn), collection),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// Sets each record's topic to what the transforms make of it; `first` is the index of
    /// the event's first record in `records`.
    fn route(&mut self, records: &mut [Record], first: usize) {
        if self.config.transforms.is_empty() {
            return;
        }
        let field_topics = std::mem::take(&mut self.field_topics);
        for (n, record) in records.iter_mut().enumerate() {
            if let Some((_, field)) = field_topics.iter().find(|(at, _)| *at == first + n) {
                record.topic = self.config.transforms.topic(&record.topic, Some(field));
                continue;
            }
            if let Some(topic) = self.routes.get(&record.topic) {
                record.topic.clone_from(topic);
                continue;
            }
            let routed = self.config.transforms.topic(&record.topic, None);
            let original = std::mem::replace(&mut record.topic, routed.clone());
            self.routes.insert(original, routed);
        }
    }

    fn tombstone(
        &self,
        change: &Change,
        plan: &TablePlan,
        key: Option<&[u8]>,
        headers: Vec<Header>,
    ) -> Record {
        Record {
            topic: plan.topic.clone(),
            key: key.map(|k| wrap(&plan.key_schema, k, self.config.key_schemas)),
            value: None,
            headers,
            position: change.position,
        }
    }

    fn headers_with(&self, extra: Option<(&str, &[u8])>) -> Vec<Header> {
        let mut headers = Vec::with_capacity(self.context_headers.len() + 1);
        if let Some((k, v)) = extra {
            headers.push((k.to_owned(), Some(Bytes::copy_from_slice(v))));
        }
        headers.extend(self.context_headers.iter().cloned());
        headers
    }

    fn encode_change(&mut self, change: &Change, out: &mut Vec<Record>) -> Result<(), Mismatch> {
        match &change.kind {
            ChangeKind::Insert { relation, after }
            | ChangeKind::Read {
                relation, after, ..
            } => {
                let read = matches!(change.kind, ChangeKind::Read { .. });
                if self.config.skip_creates && !read {
                    return Ok(());
                }
                let plan = self.plan(relation);
                let key = self.key_payload(&plan, after)?;
                let headers = self.headers_with(None);
                self.push_table_record(
                    out,
                    TableRecord {
                        change,
                        relation,
                        plan: &plan,
                        op: if read { Op::Read } else { Op::Create },
                        key: key.as_deref(),
                        before: None,
                        after: Some((after, None)),
                    },
                    headers,
                )?;
            }
            ChangeKind::Update {
                relation,
                before,
                before_is_key,
                after,
            } => {
                let plan = self.plan(relation);
                let new_key = self.key_payload(&plan, after)?;
                let old_key = match before {
                    Some(old) => self.key_payload(&plan, old)?,
                    None => None,
                };
                let full_before = before.as_ref().filter(|_| !*before_is_key);
                match (old_key, before) {
                    (Some(old_key), Some(old)) if Some(&old_key) != new_key.as_ref() => {
                        // A primary-key change: delete (and tombstone) the old key, create the new.
                        let connect_time =
                            self.config.time_precision_mode == TimePrecisionMode::Connect;
                        let mut new_key_text = Vec::new();
                        write_key_header(&mut new_key_text, &plan.key, after, connect_time)?;
                        let mut old_key_text = Vec::new();
                        write_key_header(&mut old_key_text, &plan.key, old, connect_time)?;
                        if !self.config.skip_deletes {
                            let headers =
                                self.headers_with(Some(("__debezium.newkey", &new_key_text)));
                            self.push_table_record(
                                out,
                                TableRecord {
                                    change,
                                    relation,
                                    plan: &plan,
                                    op: Op::Delete,
                                    key: Some(&old_key),
                                    before: Some((old, *before_is_key)),
                                    after: None,
                                },
                                headers.clone(),
                            )?;
                            if self.config.tombstones_on_delete {
                                self.push_tombstone(out, change, &plan, Some(&old_key), headers);
                            }
                        }
                        if !self.config.skip_creates {
                            let headers =
                                self.headers_with(Some(("__debezium.oldkey", &old_key_text)));
                            self.push_table_record(
                                out,
                                TableRecord {
                                    change,
                                    relation,
                                    plan: &plan,
                                    op: Op::Create,
                                    key: new_key.as_deref(),
                                    before: None,
                                    after: Some((after, full_before)),
                                },
                                headers,
                            )?;
                        }
                    }
                    _ => {
                        if self.config.skip_updates {
                            return Ok(());
                        }
                        let headers = self.headers_with(None);
                        let shown_before = full_before.map(|b| (b, false));
                        self.push_table_record(
                            out,
                            TableRecord {
                                change,
                                relation,
                                plan: &plan,
                                op: Op::Update,
                                key: new_key.as_deref(),
                                before: shown_before,
                                after: Some((after, full_before)),
                            },
                            headers,
                        )?;
                    }
                }
            }
            ChangeKind::Delete {
                relation,
                before,
                before_is_key,
            } => {
                if self.config.skip_deletes {
                    return Ok(());
                }
                let plan = self.plan(relation);
                let key = self.key_payload(&plan, before)?;
                let headers = self.headers_with(None);
                self.push_table_record(
                    out,
                    TableRecord {
                        change,
                        relation,
                        plan: &plan,
                        op: Op::Delete,
                        key: key.as_deref(),
                        before: Some((before, *before_is_key)),
                        after: None,
                    },
                    headers.clone(),
                )?;
                if self.config.tombstones_on_delete {
                    self.push_tombstone(out, change, &plan, key.as_deref(), headers);
                }
            }
            ChangeKind::Truncate { relations, .. } => {
                if self.config.skip_truncates {
                    return Ok(());
                }
                for relation in relations {
                    let plan = self.plan(relation);
                    let headers = self.headers_with(None);
                    self.push_table_record(
                        out,
                        TableRecord {
                            change,
                            relation,
                            plan: &plan,
                            op: Op::Truncate,
                            key: None,
                            before: None,
                            after: None,
                        },
                        headers,
                    )?;
                }
            }
            ChangeKind::Message {
                prefix, content, ..
            } => {
                if !self.config.message_prefix_allowed(prefix) {
                    return Ok(());
                }
                let mut key = Vec::with_capacity(prefix.len() + 16);
                key.extend_from_slice(b"{\"prefix\":");
                write_str(&mut key, prefix);
                key.push(b'}');
                let mut value = Vec::with_capacity(content.len() * 2 + 512);
                value.extend_from_slice(b"{\"op\":\"m\"");
                write_processing_time(&mut value, false);
                value.extend_from_slice(b",\"source\":");
                self.source(change, "", "").write_json(&mut value);
                value.extend_from_slice(b",\"transaction\":");
                self.write_transaction(&mut value, change, None);
                value.extend_from_slice(b",\"message\":{\"prefix\":");
                write_str(&mut value, prefix);
                value.extend_from_slice(b",\"content\":");
                write_binary(&mut value, self.config.binary_mode, content);
                value.extend_from_slice(b"}}");
                out.push(Record {
                    topic: self.message_topic.clone(),
                    key: Some(wrap(
                        &self.message_key_schema,
                        &key,
                        self.config.key_schemas,
                    )),
                    value: Some(wrap(
                        &self.message_value_schema,
                        &value,
                        self.config.value_schemas,
                    )),
                    headers: Vec::new(),
                    position: change.position,
                });
            }
        }
        Ok(())
    }
}

/// Appends `,"ts_ms":..` (and `ts_us`, `ts_ns` when `all`): the processing time.
fn write_processing_time(out: &mut Vec<u8>, all: bool) {
    // Nanoseconds since 1970 fit a u64 until 2554; 64-bit division and printing are cheaper.
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    out.extend_from_slice(b",\"ts_ms\":");
    write_int(out, ns / 1_000_000);
    if all {
        out.extend_from_slice(b",\"ts_us\":");
        write_int(out, ns / 1000);
        out.extend_from_slice(b",\"ts_ns\":");
        write_int(out, ns);
    }
}

impl Encoder for DebeziumEncoder {
    fn encode(&mut self, event: &Event, out: &mut Vec<Record>) -> Result<(), EncodeError> {
        let first = out.len();
        match event {
            Event::Begin(txn) => {
                if let Some(meta) = self.txmeta.as_mut() {
                    meta.begin(
                        txn.xid,
                        txn.commit_time_us,
                        u64::from(txn.begin_lsn),
                        event.position(),
                    );
                }
            }
            Event::Commit(commit) => {
                if let Some(meta) = self.txmeta.as_mut() {
                    let end = u64::from(commit.end_lsn);
                    meta.commit(commit.txn.xid, end, commit.position(), out);
                }
                self.last_commit_lsn = Some(u64::from(commit.end_lsn));
                self.last_commit_time_us = commit.txn.commit_time_us;
            }
            Event::Change(change) => {
                let read = matches!(change.kind, ChangeKind::Read { .. });
                if let Some(meta) = self.txmeta.as_mut().filter(|_| !read) {
                    meta.before_event(change.txn.xid, out);
                }
                let start = out.len();
                self.encode_change(change, out).map_err(|error| {
                    out.truncate(start);
                    EncodeError {
                        position: change.position,
                        reason: error.to_string(),
                    }
                })?;
            }
        }
        self.route(&mut out[first..], first);
        Ok(())
    }
}

/// A new run id: a version 7 UUID (time-ordered, random), as Debezium makes for each start.
pub fn new_run_id() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The values `add.fields` and `add.headers` take from one change record.
struct MetaValues {
    op: &'static [u8],
    now_ns: u128,
    source: serde_json::Map<String, serde_json::Value>,
    transaction: serde_json::Map<String, serde_json::Value>,
}

impl MetaValues {
    fn new(op: &'static [u8], source: &[u8], transaction: &[u8]) -> Self {
        let object = |json: &[u8]| match serde_json::from_slice(json) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let mut source = object(source);
        // The struct holds no snapshot value in streaming (the converter shows its default).
        source.insert("snapshot".to_owned(), serde_json::Value::Null);
        Self {
            op,
            now_ns: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
            source,
            transaction: object(transaction),
        }
    }

    fn value(&self, source: &MetaSource) -> serde_json::Value {
        use serde_json::Value;
        let envelope = |name: &str| match name {
            "op" => Value::String(String::from_utf8_lossy(self.op).into_owned()),
            "ts_ms" => Value::from((self.now_ns / 1_000_000) as u64),
            "ts_us" => Value::from((self.now_ns / 1000) as u64),
            "ts_ns" => Value::from(self.now_ns as u64),
            _ => Value::Null,
        };
        match source {
            MetaSource::Envelope(name) => envelope(name),
            MetaSource::Source(name) => match self.source.get(name) {
                Some(value) => value.clone(),
                None => envelope(name),
            },
            MetaSource::Transaction(name) => match self.transaction.get(name) {
                Some(value) => value.clone(),
                None => envelope(name),
            },
        }
    }

    /// The field's JSON.
    fn json(&self, source: &MetaSource) -> Vec<u8> {
        let mut out = Vec::new();
        match self.value(source) {
            serde_json::Value::String(text) => write_str(&mut out, &text),
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out
    }

    /// The header value as `SimpleHeaderConverter` writes it: `Some(None)` for a null (a header
    /// with a null value), `None` when the envelope has no such field (no header).
    fn header_text(&self, source: &MetaSource) -> Option<Option<Vec<u8>>> {
        source.schema()?;
        Some(match self.value(source) {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(text.into_bytes()),
            other => Some(other.to_string().into_bytes()),
        })
    }
}
