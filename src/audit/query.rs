//! Reading the audit store: the queries behind the audit API. Every value a client sends is a
//! query parameter; the SQL text is fixed but for which filters are present.

use pgoutput::Lsn;
use serde_json::{Map, Value as Json};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::row::Operation;

/// A table, `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableName {
    /// The schema.
    pub schema: String,
    /// The table.
    pub table: String,
}

impl TableName {
    /// Parses `schema.table` (`table` alone is in `public`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (schema, table) = text.split_once('.').unwrap_or(("public", text));
        if schema.is_empty() || table.is_empty() || text.len() > 200 {
            return Err(format!(
                "table {text:?} is not a table name: write schema.table, e.g. public.customers"
            ));
        }
        Ok(Self {
            schema: schema.to_owned(),
            table: table.to_owned(),
        })
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

/// Which changes to list.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    /// Only these tables (an empty list matches nothing).
    pub tables: Vec<TableName>,
    /// Only this source (`topic.prefix`).
    pub source: Option<String>,
    /// Only the row with this primary key.
    pub pk: Option<Json>,
    /// Only this operation.
    pub op: Option<Operation>,
    /// Committed at or after (a `timestamptz` text, checked by [`check_time`]).
    pub since: Option<String>,
    /// Committed before.
    pub until: Option<String>,
    /// Only this transaction id.
    pub xid: Option<u32>,
    /// Only the transaction committed at this LSN.
    pub commit_lsn: Option<Lsn>,
    /// Context fields: the path of keys and the value it must have (as text).
    pub context: Vec<(Vec<String>, String)>,
    /// Continue after this change id.
    pub cursor: Option<i64>,
    /// At most this many changes.
    pub limit: u32,
    /// Oldest first (default: newest first).
    pub ascending: bool,
}

/// A page of changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The changes, as JSON objects.
    pub changes: Vec<Json>,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
}

/// Checks a time parameter: an ISO 8601 date or date and time, with an optional offset.
pub fn check_time(name: &str, text: &str) -> Result<String, String> {
    static PATTERN: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$",
        )
        .ok()
    });
    if PATTERN.as_ref().is_some_and(|p| p.is_match(text)) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{name}: {text:?} is not a time; write it as ISO 8601, e.g. 2026-01-21T09:30:00Z"
        ))
    }
}

const CHANGE_JSON: &str = "json_build_object('id', id, 'source', source, 'schema', schema_name, \
     'table', table_name, 'op', op, 'pk', pk, 'before', before, 'after', after, \
     'changed_columns', changed_columns, 'xid', xid, 'commit_lsn', commit_lsn::text, \
     'change_index', change_index, \
     'commit_time', to_char(commit_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
     'context', context)::text";

/// Builds a parameterised WHERE clause.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Where {
    fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn add(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// Lists changes.
pub async fn list(client: &Client, filter: &ChangeFilter) -> Result<Page, tokio_postgres::Error> {
    if filter.tables.is_empty() {
        return Ok(Page {
            changes: Vec::new(),
            next_cursor: None,
        });
    }
    let mut w = Where::default();
    if let [only] = filter.tables.as_slice() {
        let schema = w.param(only.schema.clone());
        let table = w.param(only.table.clone());
        w.add(format!("schema_name = {schema} AND table_name = {table}"));
    } else {
        let schemas = w.param(
            filter
                .tables
                .iter()
                .map(|t| t.schema.clone())
                .collect::<Vec<_>>(),
        );
        let tables = w.param(
            filter
                .tables
                .iter()
                .map(|t| t.table.clone())
                .collect::<Vec<_>>(),
        );
        w.add(format!(
            "(schema_name, table_name) IN (SELECT * FROM unnest({schemas}::text[], {tables}::text[]))"
        ));
    }
    if let Some(source) = &filter.source {
        let p = w.param(source.clone());
        w.add(format!("source = {p}"));
    }
    if let Some(pk) = &filter.pk {
        let p = w.param(pk.to_string());
        w.add(format!("pk = {p}::text::jsonb"));
    }
    if let Some(op) = filter.op {
        let p = w.param(op.as_str().to_owned());
        w.add(format!("op = {p}"));
    }
    if let Some(since) = &filter.since {
        let p = w.param(since.clone());
        w.add(format!("commit_time >= {p}::text::timestamptz"));
    }
    if let Some(until) = &filter.until {
        let p = w.param(until.clone());
        w.add(format!("commit_time < {p}::text::timestamptz"));
    }
    if let Some(xid) = filter.xid {
        let p = w.param(i64::from(xid));
        w.add(format!("xid = {p}"));
    }
    if let Some(lsn) = filter.commit_lsn {
        let p = w.param(lsn.to_string());
        w.add(format!("commit_lsn = {p}::text::pg_lsn"));
    }
    for (path, value) in &filter.context {
        let path = w.param(path.clone());
        let value = w.param(value.clone());
        w.add(format!("context #>> {path}::text[] = {value}"));
    }
    if let Some(cursor) = filter.cursor {
        let p = w.param(cursor);
        w.add(format!(
            "id {} {p}",
            if filter.ascending { ">" } else { "<" }
        ));
    }
    let limit = w.param(i64::from(filter.limit) + 1);
    let sql = format!(
        "SELECT id, {CHANGE_JSON} FROM pgcdc_audit.changes {} ORDER BY id {} LIMIT {limit}",
        w.sql(),
        if filter.ascending { "ASC" } else { "DESC" }
    );
    let rows = client.query(&sql, &w.refs()).await?;
    let mut changes = Vec::with_capacity(rows.len());
    let mut last_id = None;
    for row in rows.iter().take(filter.limit as usize) {
        let id: i64 = row.try_get(0)?;
        let text: String = row.try_get(1)?;
        changes.push(with_diff(serde_json::from_str(&text).unwrap_or(Json::Null)));
        last_id = Some(id);
    }
    let next_cursor = if rows.len() > filter.limit as usize {
        last_id.map(|id| id.to_string())
    } else {
        None
    };
    Ok(Page {
        changes,
        next_cursor,
    })
}

/// One change by id, with its table (for the scope check).
pub async fn change(
    client: &Client,
    id: i64,
) -> Result<Option<(TableName, Json)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!("SELECT schema_name, table_name, {CHANGE_JSON} FROM pgcdc_audit.changes WHERE id = $1"),
            &[&id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let table = TableName {
        schema: row.try_get(0)?,
        table: row.try_get(1)?,
    };
    let text: String = row.try_get(2)?;
    Ok(Some((
        table,
        with_diff(serde_json::from_str(&text).unwrap_or(Json::Null)),
    )))
}

/// The tables that have changes.
pub async fn tables(client: &Client) -> Result<Vec<TableName>, tokio_postgres::Error> {
    client
        .query(
            "SELECT schema_name, table_name FROM pgcdc_audit.tables ORDER BY 1, 2",
            &[],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(TableName {
                schema: row.try_get(0)?,
                table: row.try_get(1)?,
            })
        })
        .collect()
}

/// Adds `diff` to an update: per changed column, the old and new value.
fn with_diff(mut change: Json) -> Json {
    if change["op"] != "update" {
        return change;
    }
    let Some(columns) = change["changed_columns"].as_array() else {
        return change;
    };
    let diff: Vec<Json> = columns
        .iter()
        .filter_map(Json::as_str)
        .map(|column| {
            let mut entry = Map::new();
            entry.insert("column".into(), Json::String(column.to_owned()));
            entry.insert("before".into(), change["before"][column].clone());
            entry.insert("after".into(), change["after"][column].clone());
            Json::Object(entry)
        })
        .collect();
    if let Json::Object(map) = &mut change {
        map.insert("diff".into(), Json::Array(diff));
    }
    change
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_checked() {
        assert_eq!(
            TableName::parse("shop.orders").map(|t| t.to_string()),
            Ok("shop.orders".to_owned())
        );
        assert_eq!(
            TableName::parse("orders").map(|t| t.schema),
            Ok("public".to_owned())
        );
        assert!(TableName::parse(".x").is_err());
        assert!(check_time("since", "2026-01-21T09:30:00Z").is_ok());
        assert!(check_time("since", "2026-01-21").is_ok());
        assert!(check_time("since", "2026-01-21 09:30:00.5+02:00").is_ok());
        let error = check_time("since", "yesterday'; DROP TABLE x").unwrap_err();
        assert!(error.starts_with("since: "), "{error}");
    }

    #[test]
    fn updates_get_a_diff() {
        let change = with_diff(json!({"op": "update", "changed_columns": ["b"],
            "before": {"a": 1, "b": "x"}, "after": {"a": 1, "b": "y"}}));
        assert_eq!(
            change["diff"],
            json!([{"column": "b", "before": "x", "after": "y"}])
        );
        assert!(with_diff(json!({"op": "insert"})).get("diff").is_none());
    }
}
