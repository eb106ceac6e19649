//! pgcdc's plain JSON form of a change.
//!
//! One record per change. The topic is `<prefix>.<schema>.<table>` for row changes and truncates
//! (one record per truncated table) and `<prefix>.message` for logical decoding messages. The key
//! is the JSON object of the key columns (`null` when the table has none); the value is:
//!
//! ```json
//! {"op":"update","schema":"public","table":"customers","xid":755,
//!  "commit_lsn":"0/1AF9FC8","index":1,"lsn":"0/1AF9F40","commit_time":"2024-05-06T07:08:09.123456Z",
//!  "before":{"id":1,"email":"ada@example.com"},"after":{"id":1,"email":"ada@lovelace.org"},
//!  "unchanged_toast":[]}
//! ```
//!
//! `op` is `insert`, `update`, `delete`, `truncate` or `message`. Values use the canonical JSON
//! of [`crate::change::value::Value::to_json`]. Columns whose TOASTed value did not change (and
//! so were not sent) are left out of `after` and listed in `unchanged_toast`. A message has
//! `transactional`, `prefix` and `content` (UTF-8 text, or `content_base64` when it is not).

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use bytes::Bytes;
use serde_json::{Map, Value as Json, json};

use super::{EncodeError, Encoder, Record};
use crate::change::{Change, ChangeKind, Datum, Event, RelationInfo, Row};

/// Encodes changes as plain JSON records.
#[derive(Debug, Clone)]
pub struct PlainEncoder {
    prefix: String,
}

impl PlainEncoder {
    /// An encoder whose topics start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    fn record(
        &self,
        change: &Change,
        topic: String,
        key: Json,
        value: Map<String, Json>,
    ) -> Record {
        Record {
            topic,
            key: Some(Bytes::from(key.to_string())),
            value: Some(Bytes::from(Json::Object(value).to_string())),
            headers: Vec::new(),
            position: change.position,
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
        let mut value = header(change);
        match &change.kind {
            ChangeKind::Insert { relation, after } => {
                value.insert("op".into(), "insert".into());
                value.insert("before".into(), Json::Null);
                insert_after(&mut value, relation, after);
                let key = key_of(relation, after);
                out.push(self.record(change, self.topic(relation), key, value));
            }
            ChangeKind::Update {
                relation,
                before,
                after,
                ..
            } => {
                value.insert("op".into(), "update".into());
                value.insert(
                    "before".into(),
                    before
                        .as_ref()
                        .map_or(Json::Null, |row| row_json(relation, row).0),
                );
                insert_after(&mut value, relation, after);
                let key = key_of(relation, after);
                out.push(self.record(change, self.topic(relation), key, value));
            }
            ChangeKind::Delete {
                relation, before, ..
            } => {
                value.insert("op".into(), "delete".into());
                value.insert("before".into(), row_json(relation, before).0);
                value.insert("after".into(), Json::Null);
                let key = key_of(relation, before);
                out.push(self.record(change, self.topic(relation), key, value));
            }
            ChangeKind::Truncate {
                relations,
                cascade,
                restart_identity,
            } => {
                for relation in relations {
                    let mut value = value.clone();
                    value.insert("op".into(), "truncate".into());
                    value.insert("schema".into(), relation.schema.clone().into());
                    value.insert("table".into(), relation.table.clone().into());
                    value.insert("cascade".into(), (*cascade).into());
                    value.insert("restart_identity".into(), (*restart_identity).into());
                    out.push(self.record(change, self.topic(relation), Json::Null, value));
                }
            }
            ChangeKind::Message {
                transactional,
                prefix,
                content,
            } => {
                value.insert("op".into(), "message".into());
                value.insert("transactional".into(), (*transactional).into());
                value.insert("prefix".into(), prefix.clone().into());
                match std::str::from_utf8(content) {
                    Ok(text) => value.insert("content".into(), text.into()),
                    Err(_) => value.insert(
                        "content_base64".into(),
                        BASE64_STANDARD.encode(content).into(),
                    ),
                };
                let topic = format!("{}.message", self.prefix);
                out.push(self.record(change, topic, json!({"prefix": prefix}), value));
            }
        }
        Ok(())
    }
}

fn header(change: &Change) -> Map<String, Json> {
    let mut value = Map::new();
    if let Some(relation) = change.relation() {
        value.insert("schema".into(), relation.schema.clone().into());
        value.insert("table".into(), relation.table.clone().into());
    }
    value.insert("xid".into(), change.txn.xid.into());
    value.insert(
        "commit_lsn".into(),
        change.position.commit_lsn.to_string().into(),
    );
    value.insert("index".into(), change.position.index.into());
    value.insert("lsn".into(), change.lsn.to_string().into());
    value.insert(
        "commit_time".into(),
        crate::change::value::format_timestamp_utc(change.txn.commit_time_us).into(),
    );
    value
}

fn insert_after(value: &mut Map<String, Json>, relation: &RelationInfo, after: &Row) {
    let (json, unchanged) = row_json(relation, after);
    value.insert("after".into(), json);
    value.insert("unchanged_toast".into(), Json::Array(unchanged));
}

/// The JSON object of a row, and the names of its unchanged TOAST columns.
fn row_json(relation: &RelationInfo, row: &Row) -> (Json, Vec<Json>) {
    let mut object = Map::with_capacity(row.values.len());
    let mut unchanged = Vec::new();
    for (column, datum) in relation.columns.iter().zip(&row.values) {
        match datum {
            Datum::Null => {
                object.insert(column.name.clone(), Json::Null);
            }
            Datum::UnchangedToast => unchanged.push(column.name.clone().into()),
            Datum::Value(value) => {
                object.insert(column.name.clone(), value.to_json());
            }
        }
    }
    (Json::Object(object), unchanged)
}

fn key_of(relation: &RelationInfo, row: &Row) -> Json {
    let mut key = Map::new();
    for index in relation.key_columns() {
        let (Some(column), Some(datum)) = (relation.columns.get(index), row.values.get(index))
        else {
            continue;
        };
        let json = match datum {
            Datum::Value(value) => value.to_json(),
            Datum::Null | Datum::UnchangedToast => Json::Null,
        };
        key.insert(column.name.clone(), json);
    }
    if key.is_empty() {
        Json::Null
    } else {
        Json::Object(key)
    }
}
