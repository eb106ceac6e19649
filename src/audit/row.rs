//! One audit row per change: what the store keeps of a row change or a truncate.

use serde_json::{Map, Value as Json};

use crate::change::{Change, ChangeKind, Datum, RelationInfo, Row};

/// What a change did, as the store names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `insert`.
    Insert,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
    /// `truncate` (one row per truncated table).
    Truncate,
}

impl Operation {
    /// The name stored in `op`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Truncate => "truncate",
        }
    }

    /// The operation of a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "insert" => Some(Operation::Insert),
            "update" => Some(Operation::Update),
            "delete" => Some(Operation::Delete),
            "truncate" => Some(Operation::Truncate),
            _ => None,
        }
    }
}

/// An audit row, before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    /// The table's schema.
    pub schema: String,
    /// The table.
    pub table: String,
    /// What happened.
    pub op: Operation,
    /// The primary key columns (of the new row; of the old one for a delete), when the table has
    /// a primary key.
    pub pk: Option<Json>,
    /// The old row (all columns with `REPLICA IDENTITY FULL`, else the key only or none).
    pub before: Option<Json>,
    /// The new row.
    pub after: Option<Json>,
    /// The columns that changed: every column of an inserted or deleted row, the columns whose
    /// value differs for an update with the whole old row, `None` when the old row is unknown.
    pub changed_columns: Option<Vec<String>>,
    /// The transaction id.
    pub xid: u32,
    /// The commit LSN and index of the change.
    pub position: crate::change::Position,
    /// The commit time, µs since 1970 UTC.
    pub commit_time_us: i64,
    /// Who and why, when known.
    pub context: Option<Json>,
}

/// The audit rows of a change (none for logical decoding messages), appended to `out`.
pub fn rows_of(change: &Change, out: &mut Vec<AuditRow>) {
    let row = |relation: &RelationInfo, op, pk, before, after, changed| AuditRow {
        schema: relation.schema.clone(),
        table: relation.table.clone(),
        op,
        pk,
        before,
        after,
        changed_columns: changed,
        xid: change.txn.xid,
        position: change.position,
        commit_time_us: change.txn.commit_time_us,
        context: None,
    };
    match &change.kind {
        // A snapshot read is the state the trail starts from, not a change.
        ChangeKind::Read { .. } => {}
        ChangeKind::Insert { relation, after } => {
            let changed = present_columns(relation, after);
            out.push(row(
                relation,
                Operation::Insert,
                key_of(relation, after),
                None,
                Some(object(relation, after, None)),
                Some(changed),
            ));
        }
        ChangeKind::Update {
            relation,
            before,
            before_is_key,
            after,
        } => {
            let full_before = before.as_ref().filter(|_| !before_is_key);
            let changed = full_before.map(|old| {
                relation
                    .columns
                    .iter()
                    .zip(old.values.iter().zip(&after.values))
                    .filter(|(_, (old, new))| !matches!(new, Datum::UnchangedToast) && old != new)
                    .map(|(column, _)| column.name.clone())
                    .collect()
            });
            out.push(row(
                relation,
                Operation::Update,
                key_of(relation, after),
                before
                    .as_ref()
                    .map(|old| image(relation, old, *before_is_key)),
                Some(object(relation, after, full_before)),
                changed,
            ));
        }
        ChangeKind::Delete {
            relation,
            before,
            before_is_key,
        } => {
            let changed = if *before_is_key {
                identity_columns(relation)
                    .map(|(_, c)| c.name.clone())
                    .collect()
            } else {
                present_columns(relation, before)
            };
            out.push(row(
                relation,
                Operation::Delete,
                key_of(relation, before),
                Some(image(relation, before, *before_is_key)),
                None,
                Some(changed),
            ));
        }
        ChangeKind::Truncate { relations, .. } => {
            for relation in relations {
                out.push(row(relation, Operation::Truncate, None, None, None, None));
            }
        }
        ChangeKind::Message { .. } => {}
    }
}

/// The row as a JSON object in column order. An unchanged TOAST value is taken from `fill` (the
/// whole old row) when there is one, and left out otherwise.
fn object(relation: &RelationInfo, row: &Row, fill: Option<&Row>) -> Json {
    let mut map = Map::with_capacity(row.values.len());
    for (i, (column, datum)) in relation.columns.iter().zip(&row.values).enumerate() {
        let datum = match datum {
            Datum::UnchangedToast => match fill.and_then(|f| f.values.get(i)) {
                Some(old) if !matches!(old, Datum::UnchangedToast) => old,
                _ => continue,
            },
            datum => datum,
        };
        map.insert(column.name.clone(), datum_json(datum));
    }
    Json::Object(map)
}

/// An old row image: only the replica identity columns when it is a key image.
fn image(relation: &RelationInfo, row: &Row, is_key: bool) -> Json {
    if !is_key {
        return object(relation, row, None);
    }
    let mut map = Map::new();
    for (i, column) in identity_columns(relation) {
        map.insert(
            column.name.clone(),
            row.values.get(i).map_or(Json::Null, datum_json),
        );
    }
    Json::Object(map)
}

fn identity_columns(
    relation: &RelationInfo,
) -> impl Iterator<Item = (usize, &crate::change::ColumnInfo)> {
    relation
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.in_replica_identity)
}

fn datum_json(datum: &Datum) -> Json {
    match datum {
        Datum::Null | Datum::UnchangedToast => Json::Null,
        Datum::Value(value) => value.to_json(),
    }
}

/// The primary key columns as an object; `None` when the table has no primary key.
fn key_of(relation: &RelationInfo, row: &Row) -> Option<Json> {
    let mut map = Map::new();
    for i in relation.key_columns() {
        let name = relation.columns[i].name.clone();
        map.insert(name, row.values.get(i).map_or(Json::Null, datum_json));
    }
    (!map.is_empty()).then_some(Json::Object(map))
}

/// The names of the columns a row image carries (all but unchanged TOAST values).
fn present_columns(relation: &RelationInfo, row: &Row) -> Vec<String> {
    relation
        .columns
        .iter()
        .zip(&row.values)
        .filter(|(_, d)| !matches!(d, Datum::UnchangedToast))
        .map(|(c, _)| c.name.clone())
        .collect()
}
