//! Replication slots: inspect, create, drop.

use pgoutput::Lsn;

use super::connection::{QueryError, ReplicationClient};
use crate::sql::{PgError, quote_ident, quote_literal};

/// One row of `pg_replication_slots`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    /// The slot name.
    pub name: String,
    /// The output plugin (logical slots).
    pub plugin: Option<String>,
    /// `logical` or `physical`.
    pub slot_type: String,
    /// The database (logical slots).
    pub database: Option<String>,
    /// Whether the slot goes away with its session.
    pub temporary: bool,
    /// The process streaming from it, if any.
    pub active_pid: Option<i32>,
    /// The oldest WAL the slot keeps.
    pub restart_lsn: Option<Lsn>,
    /// What the consumer confirmed.
    pub confirmed_flush_lsn: Option<Lsn>,
    /// `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: Option<String>,
}

impl SlotInfo {
    /// Whether the slot's required WAL was removed: it cannot be streamed any more.
    pub fn is_lost(&self) -> bool {
        self.wal_status.as_deref() == Some("lost")
    }
}

const SLOTS: &str = "
    SELECT slot_name::text, plugin::text, slot_type::text, database::text, temporary,
           active_pid, restart_lsn::text, confirmed_flush_lsn::text, wal_status::text
      FROM pg_catalog.pg_replication_slots";

fn from_row(row: &tokio_postgres::Row) -> Result<SlotInfo, PgError> {
    let lsn = |i: usize| -> Result<Option<Lsn>, PgError> {
        Ok(row
            .try_get::<_, Option<String>>(i)?
            .and_then(|text| text.parse().ok()))
    };
    Ok(SlotInfo {
        name: row.try_get(0)?,
        plugin: row.try_get(1)?,
        slot_type: row.try_get(2)?,
        database: row.try_get(3)?,
        temporary: row.try_get(4)?,
        active_pid: row.try_get(5)?,
        restart_lsn: lsn(6)?,
        confirmed_flush_lsn: lsn(7)?,
        wal_status: row.try_get(8)?,
    })
}

/// Every slot of the server.
pub async fn list(client: &tokio_postgres::Client) -> Result<Vec<SlotInfo>, PgError> {
    let rows = client
        .query(&format!("{SLOTS} ORDER BY slot_name"), &[])
        .await?;
    rows.iter().map(from_row).collect()
}

/// The slot named `name`, if it exists.
pub async fn get(client: &tokio_postgres::Client, name: &str) -> Result<Option<SlotInfo>, PgError> {
    let row = client
        .query_opt(&format!("{SLOTS} WHERE slot_name = $1"), &[&name])
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Creates a logical slot with the pgoutput plugin and returns its consistent point.
pub async fn create(client: &tokio_postgres::Client, name: &str) -> Result<Lsn, PgError> {
    let row = client
        .query_one(
            "SELECT lsn::text FROM pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')",
            &[&name],
        )
        .await?;
    let text: String = row.try_get(0)?;
    Ok(text.parse().unwrap_or_default())
}

/// Drops the slot named `name`.
pub async fn drop_slot(client: &tokio_postgres::Client, name: &str) -> Result<(), PgError> {
    client
        .execute("SELECT pg_catalog.pg_drop_replication_slot($1)", &[&name])
        .await?;
    Ok(())
}

/// SQL that makes a temporary copy of `source` named `copy`, owned by the session that runs it
/// (run it on the replication connection that will stream the copy: the copy then goes away
/// with that session, even if pgcdc is killed).
pub fn copy_sql(source: &str, copy: &str) -> String {
    format!(
        "SELECT pg_catalog.pg_copy_logical_replication_slot({}, {}, true)",
        quote_literal(source),
        quote_literal(copy)
    )
}

/// A slot made for an initial snapshot: where its stream starts, and the snapshot that shows
/// the database exactly as it was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedSlot {
    /// The slot's name.
    pub name: String,
    /// The consistent point: every transaction that commits before it is in the snapshot,
    /// every later one is in the slot's stream.
    pub consistent_point: Lsn,
    /// The exported snapshot's name, for `SET TRANSACTION SNAPSHOT`. It stays valid while the
    /// connection that created the slot stays open and runs no other command.
    pub snapshot_name: String,
}

/// Creates a logical slot (pgoutput) on the replication connection `client` and exports its
/// snapshot (`CREATE_REPLICATION_SLOT ... [TEMPORARY] LOGICAL pgoutput (SNAPSHOT 'export')`,
/// PostgreSQL 15 and later). A `temporary` slot goes away with the connection: a snapshot that
/// does not finish leaves nothing behind. A permanent one keeps the WAL from its consistent
/// point until it is dropped (the in-progress slot of a resumable snapshot). [`persist_sql`]
/// gives its position to the configured slot.
pub async fn create_exported(
    client: &mut ReplicationClient,
    name: &str,
    temporary: bool,
) -> Result<ExportedSlot, QueryError> {
    let rows = client
        .simple_query(&format!(
            "CREATE_REPLICATION_SLOT {} {}LOGICAL pgoutput (SNAPSHOT 'export')",
            quote_ident(name),
            if temporary { "TEMPORARY " } else { "" }
        ))
        .await?;
    let row = rows.first();
    let consistent_point = row
        .and_then(|r| r.get(1))
        .and_then(|text| text.parse().ok())
        .unwrap_or_default();
    let snapshot_name = row.and_then(|r| r.get(2)).unwrap_or_default().to_owned();
    Ok(ExportedSlot {
        name: name.to_owned(),
        consistent_point,
        snapshot_name,
    })
}

/// SQL that gives the permanent slot `target` the position of the snapshot's slot `exported`:
/// a copy when `target` does not exist (it then streams from the consistent point), else a move
/// of `target` forward to the consistent point (what came before is in the snapshot).
pub fn persist_sql(exported: &ExportedSlot, target: &str, target_exists: bool) -> String {
    if target_exists {
        format!(
            "SELECT pg_catalog.pg_replication_slot_advance({}, {})",
            quote_literal(target),
            quote_literal(&exported.consistent_point.to_string())
        )
    } else {
        format!(
            "SELECT pg_catalog.pg_copy_logical_replication_slot({}, {}, false)",
            quote_literal(&exported.name),
            quote_literal(target)
        )
    }
}
