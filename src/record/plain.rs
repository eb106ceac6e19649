//! pgcdc's plain JSON form of a change.
//!
//! One record per change. The topic is `<prefix>.<schema>.<table>` for row changes and truncates
//! (one record per truncated table) and `<prefix>.message` for logical decoding messages. The key
//! is the JSON object of the primary key columns (`null` when the table has none); the value is:
//!
//! ```json
//! {"op":"update","schema":"public","table":"customers","xid":755,
//!  "commit_lsn":"0/1AF9FC8","index":1,"lsn":"0/1AF9F40","commit_time":"2024-05-06T07:08:09.123456Z",
//!  "before":{"id":1,"email":"ada@example.com"},"after":{"id":1,"email":"ada@lovelace.org"},
//!  "unchanged_toast":[]}
//! ```
//!
//! `op` is `read` (a snapshot row), `insert`, `update`, `delete`, `truncate` or `message`. Columns appear in table order;
//! values use the canonical JSON of [`crate::change::value::Value::to_json`]. Columns whose
//! TOASTed value did not change (and so were not sent) are left out of `after` and listed in
//! `unchanged_toast`. A truncate has `cascade` and `restart_identity`; a message has
//! `transactional`, `prefix` and `content` (UTF-8 text, or `content_base64` when it is not).

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use bytes::Bytes;

use super::{EncodeError, Encoder, Record};
use crate::change::{Change, ChangeKind, Datum, Event, RelationInfo, Row};

/// Encodes changes as plain JSON records.
#[derive(Debug, Clone)]
pub struct PlainEncoder {
    prefix: String,
    buffer: Vec<u8>,
}

impl PlainEncoder {
    /// An encoder whose topics start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            buffer: Vec::with_capacity(1024),
        }
    }

    fn topic(&self, relation: &RelationInfo) -> String {
        format!("{}.{}.{}", self.prefix, relation.schema, relation.table)
    }
}

impl Encoder for PlainEncoder {
    fn encode(&mut self, event: &Event, out: &mut Vec<Record>) -> Result<(), EncodeError> {
        let Event::Change(change) = event else {
            return Ok(());
        };
        match &change.kind {
            ChangeKind::Insert { relation, after }
            | ChangeKind::Read {
                relation, after, ..
            } => {
                let op = if matches!(change.kind, ChangeKind::Read { .. }) {
                    "read"
                } else {
                    "insert"
                };
                let value = self.value(change, op, Some(relation), |w| {
                    w.raw(b",\"before\":null");
                    w.after(relation, after);
                });
                out.push(record(
                    change,
                    self.topic(relation),
                    key_of(relation, after),
                    value,
                ));
            }
            ChangeKind::Update {
                relation,
                before,
                after,
                ..
            } => {
                let value = self.value(change, "update", Some(relation), |w| {
                    w.raw(b",\"before\":");
                    match before {
                        Some(row) => w.row(relation, row),
                        None => w.raw(b"null"),
                    }
                    w.after(relation, after);
                });
                out.push(record(
                    change,
                    self.topic(relation),
                    key_of(relation, after),
                    value,
                ));
            }
            ChangeKind::Delete {
                relation, before, ..
            } => {
                let value = self.value(change, "delete", Some(relation), |w| {
                    w.raw(b",\"before\":");
                    w.row(relation, before);
                    w.raw(b",\"after\":null");
                });
                out.push(record(
                    change,
                    self.topic(relation),
                    key_of(relation, before),
                    value,
                ));
            }
            ChangeKind::Truncate {
                relations,
                cascade,
                restart_identity,
            } => {
                for relation in relations {
                    let value = self.value(change, "truncate", Some(relation), |w| {
                        w.raw(b",\"cascade\":");
                        w.raw(bool_text(*cascade));
                        w.raw(b",\"restart_identity\":");
                        w.raw(bool_text(*restart_identity));
                    });
                    let key = Bytes::from_static(b"null");
                    out.push(record(change, self.topic(relation), key, value));
                }
            }
            ChangeKind::Message {
                transactional,
                prefix,
                content,
            } => {
                let value = self.value(change, "message", None, |w| {
                    w.raw(b",\"transactional\":");
                    w.raw(bool_text(*transactional));
                    w.raw(b",\"prefix\":");
                    w.string(prefix);
                    match std::str::from_utf8(content) {
                        Ok(text) => {
                            w.raw(b",\"content\":");
                            w.string(text);
                        }
                        Err(_) => {
                            w.raw(b",\"content_base64\":");
                            w.string(&BASE64_STANDARD.encode(content));
                        }
                    }
                });
                let mut key = JsonWriter(Vec::with_capacity(prefix.len() + 12));
                key.raw(b"{\"prefix\":");
                key.string(prefix);
                key.raw(b"}");
                let topic = format!("{}.message", self.prefix);
                out.push(record(change, topic, Bytes::from(key.0), value));
            }
        }
        Ok(())
    }
}

impl PlainEncoder {
    /// The value object: the common fields, then what `body` writes.
    fn value(
        &mut self,
        change: &Change,
        op: &str,
        relation: Option<&RelationInfo>,
        body: impl FnOnce(&mut JsonWriter),
    ) -> Bytes {
        let mut w = JsonWriter(std::mem::take(&mut self.buffer));
        w.0.clear();
        w.raw(b"{\"op\":");
        w.string(op);
        if let Some(relation) = relation {
            w.raw(b",\"schema\":");
            w.string(&relation.schema);
            w.raw(b",\"table\":");
            w.string(&relation.table);
        }
        w.raw(b",\"xid\":");
        w.raw(itoa::Buffer::new().format(change.txn.xid).as_bytes());
        w.raw(b",\"commit_lsn\":");
        w.string(&change.position.commit_lsn.to_string());
        w.raw(b",\"index\":");
        w.raw(itoa::Buffer::new().format(change.position.index).as_bytes());
        w.raw(b",\"lsn\":");
        w.string(&change.lsn.to_string());
        w.raw(b",\"commit_time\":");
        w.string(&crate::change::value::format_timestamp_utc(
            change.txn.commit_time_us,
        ));
        body(&mut w);
        w.raw(b"}");
        let value = Bytes::copy_from_slice(&w.0);
        self.buffer = w.0;
        value
    }
}

fn record(change: &Change, topic: String, key: Bytes, value: Bytes) -> Record {
    Record {
        topic,
        key: Some(key),
        value: Some(value),
        headers: Vec::new(),
        position: change.position,
    }
}

fn bool_text(value: bool) -> &'static [u8] {
    if value { b"true" } else { b"false" }
}

/// Writes JSON text into a buffer.
struct JsonWriter(Vec<u8>);

impl JsonWriter {
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, text: &str) {
        // serde_json writes a &str as an escaped JSON string and cannot fail for one.
        if serde_json::to_writer(&mut self.0, text).is_err() {
            self.0.extend_from_slice(b"\"\"");
        }
    }

    fn value(&mut self, datum: &Datum) {
        match datum {
            Datum::Null | Datum::UnchangedToast => self.raw(b"null"),
            Datum::Value(value) => {
                if serde_json::to_writer(&mut self.0, &value.to_json()).is_err() {
                    self.raw(b"null");
                }
            }
        }
    }

    /// A row as an object, leaving out unchanged TOAST columns.
    fn row(&mut self, relation: &RelationInfo, row: &Row) {
        self.raw(b"{");
        let mut first = true;
        for (column, datum) in relation.columns.iter().zip(&row.values) {
            if matches!(datum, Datum::UnchangedToast) {
                continue;
            }
            if !first {
                self.raw(b",");
            }
            first = false;
            self.string(&column.name);
            self.raw(b":");
            self.value(datum);
        }
        self.raw(b"}");
    }

    /// `"after"` and `"unchanged_toast"`.
    fn after(&mut self, relation: &RelationInfo, after: &Row) {
        self.raw(b",\"after\":");
        self.row(relation, after);
        self.raw(b",\"unchanged_toast\":[");
        let mut first = true;
        for (column, datum) in relation.columns.iter().zip(&after.values) {
            if matches!(datum, Datum::UnchangedToast) {
                if !first {
                    self.raw(b",");
                }
                first = false;
                self.string(&column.name);
            }
        }
        self.raw(b"]");
    }
}

/// The JSON object of the primary key columns, or `null`.
fn key_of(relation: &RelationInfo, row: &Row) -> Bytes {
    let mut w = JsonWriter(Vec::with_capacity(32));
    let mut first = true;
    for index in relation.key_columns() {
        let (Some(column), Some(datum)) = (relation.columns.get(index), row.values.get(index))
        else {
            continue;
        };
        w.raw(if first { b"{" } else { b"," });
        first = false;
        w.string(&column.name);
        w.raw(b":");
        w.value(datum);
    }
    if first {
        w.raw(b"null");
    } else {
        w.raw(b"}");
    }
    Bytes::from(w.0)
}
