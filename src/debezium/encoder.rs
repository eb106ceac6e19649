//! [`DebeziumEncoder`]: change events to the records Debezium's PostgreSQL connector writes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::change::{Change, ChangeKind, Event, RelationInfo, Row};
use crate::record::{EncodeError, Encoder, Record};

use super::config::{BinaryMode, DebeziumConfig, TimePrecisionMode};
use super::envelope::{message_key_schema, message_value_schema, wrap};
use super::header::write_key_header;
use super::json::{write_int, write_str};
use super::source::SourceInfo;
use super::table::{RowStyle, TablePlan};
use super::topic::sanitize;
use super::txmeta::TxMetadata;
use super::values::{Mismatch, write_binary};

/// Encodes change events as Debezium does (see the module documentation).
#[derive(Debug)]
pub struct DebeziumEncoder {
    config: DebeziumConfig,
    tables: HashMap<u32, Arc<TablePlan>>,
    context_headers: Vec<(String, Bytes)>,
    message_topic: String,
    message_key_schema: Box<[u8]>,
    message_value_schema: Box<[u8]>,
    last_commit_lsn: Option<u64>,
    last_commit_time_us: i64,
    /// With `provide.transaction.metadata`.
    txmeta: Option<TxMetadata>,
    /// Each topic after the transforms, once worked out.
    routes: HashMap<String, String>,
}

/// The operation of a table record.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Update,
    Delete,
    Truncate,
}

impl Op {
    fn code(self) -> &'static [u8] {
        match self {
            Op::Create => b"c",
            Op::Update => b"u",
            Op::Delete => b"d",
            Op::Truncate => b"t",
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
            .map(|(k, v)| (k.to_owned(), Bytes::copy_from_slice(v.as_bytes())))
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
        }
    }

    fn source<'a>(&'a self, change: &'a Change, schema: &'a str, table: &'a str) -> SourceInfo<'a> {
        let tx_id = (change.txn.xid != 0).then_some(change.txn.xid);
        SourceInfo {
            name: &self.config.topic_prefix,
            db: &self.config.database,
            commit_time_us: if tx_id.is_some() {
                change.txn.commit_time_us
            } else {
                self.last_commit_time_us
            },
            last_commit_lsn: self.last_commit_lsn,
            lsn: u64::from(change.lsn),
            schema,
            table,
            tx_id,
            origin: change.txn.origin.as_deref(),
            snapshot_default: self.config.value_replace_null_with_default,
        }
    }

    /// The key payload of `row`, or `None` for a table without a key.
    fn key_payload(&self, plan: &TablePlan, row: &Row) -> Result<Option<Vec<u8>>, Mismatch> {
        let mut key = Vec::with_capacity(32);
        Ok(plan.write_key(&mut key, row, self.style())?.then_some(key))
    }

    #[allow(clippy::too_many_arguments)]
    fn table_record(
        &mut self,
        change: &Change,
        relation: &RelationInfo,
        plan: &TablePlan,
        op: Op,
        key: Option<&[u8]>,
        before: Option<(&Row, bool)>,
        after: Option<(&Row, Option<&Row>)>,
        headers: Vec<(String, Bytes)>,
    ) -> Result<Record, Mismatch> {
        let mut value = Vec::with_capacity(512);
        let style = self.style();
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

    /// Appends the `transaction` block: `null` without transaction metadata or outside a
    /// transaction.
    fn write_transaction(&mut self, out: &mut Vec<u8>, change: &Change, collection: Option<&str>) {
        match self.txmeta.as_mut() {
            Some(meta) => meta.write_block(out, change.txn.xid, u64::from(change.lsn), collection),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// Sets each record's topic to what the transforms make of it.
    fn route(&mut self, records: &mut [Record]) {
        if self.config.transforms.is_empty() {
            return;
        }
        for record in records {
            if let Some(topic) = self.routes.get(&record.topic) {
                record.topic.clone_from(topic);
                continue;
            }
            let routed = self.config.transforms.topic(&record.topic);
            let original = std::mem::replace(&mut record.topic, routed.clone());
            self.routes.insert(original, routed);
        }
    }

    fn tombstone(
        &self,
        change: &Change,
        plan: &TablePlan,
        key: Option<&[u8]>,
        headers: Vec<(String, Bytes)>,
    ) -> Record {
        Record {
            topic: plan.topic.clone(),
            key: key.map(|k| wrap(&plan.key_schema, k, self.config.key_schemas)),
            value: None,
            headers,
            position: change.position,
        }
    }

    fn headers_with(&self, extra: Option<(&str, &[u8])>) -> Vec<(String, Bytes)> {
        let mut headers = Vec::with_capacity(self.context_headers.len() + 1);
        if let Some((k, v)) = extra {
            headers.push((k.to_owned(), Bytes::copy_from_slice(v)));
        }
        headers.extend(self.context_headers.iter().cloned());
        headers
    }

    fn encode_change(&mut self, change: &Change, out: &mut Vec<Record>) -> Result<(), Mismatch> {
        match &change.kind {
            ChangeKind::Insert { relation, after } => {
                if self.config.skip_creates {
                    return Ok(());
                }
                let plan = self.plan(relation);
                let key = self.key_payload(&plan, after)?;
                let headers = self.headers_with(None);
                out.push(self.table_record(
                    change,
                    relation,
                    &plan,
                    Op::Create,
                    key.as_deref(),
                    None,
                    Some((after, None)),
                    headers,
                )?);
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
                            out.push(self.table_record(
                                change,
                                relation,
                                &plan,
                                Op::Delete,
                                Some(&old_key),
                                Some((old, *before_is_key)),
                                None,
                                headers.clone(),
                            )?);
                            if self.config.tombstones_on_delete {
                                out.push(self.tombstone(change, &plan, Some(&old_key), headers));
                            }
                        }
                        if !self.config.skip_creates {
                            let headers =
                                self.headers_with(Some(("__debezium.oldkey", &old_key_text)));
                            out.push(self.table_record(
                                change,
                                relation,
                                &plan,
                                Op::Create,
                                new_key.as_deref(),
                                None,
                                Some((after, full_before)),
                                headers,
                            )?);
                        }
                    }
                    _ => {
                        if self.config.skip_updates {
                            return Ok(());
                        }
                        let headers = self.headers_with(None);
                        let shown_before = full_before.map(|b| (b, false));
                        out.push(self.table_record(
                            change,
                            relation,
                            &plan,
                            Op::Update,
                            new_key.as_deref(),
                            shown_before,
                            Some((after, full_before)),
                            headers,
                        )?);
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
                out.push(self.table_record(
                    change,
                    relation,
                    &plan,
                    Op::Delete,
                    key.as_deref(),
                    Some((before, *before_is_key)),
                    None,
                    headers.clone(),
                )?);
                if self.config.tombstones_on_delete {
                    out.push(self.tombstone(change, &plan, key.as_deref(), headers));
                }
            }
            ChangeKind::Truncate { relations, .. } => {
                if self.config.skip_truncates {
                    return Ok(());
                }
                for relation in relations {
                    let plan = self.plan(relation);
                    let headers = self.headers_with(None);
                    out.push(self.table_record(
                        change,
                        relation,
                        &plan,
                        Op::Truncate,
                        None,
                        None,
                        None,
                        headers,
                    )?);
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
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
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
                    meta.begin(txn.xid, txn.commit_time_us, event.position());
                }
            }
            Event::Commit(commit) => {
                if let Some(meta) = self.txmeta.as_mut() {
                    let lsns = (u64::from(commit.txn.commit_lsn), u64::from(commit.end_lsn));
                    meta.commit(commit.txn.xid, lsns, commit.position(), out);
                }
                self.last_commit_lsn = Some(u64::from(commit.end_lsn));
                self.last_commit_time_us = commit.txn.commit_time_us;
            }
            Event::Change(change) => {
                if let Some(meta) = self.txmeta.as_mut() {
                    meta.before_event(change.txn.xid, u64::from(change.lsn), out);
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
        self.route(&mut out[first..]);
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
