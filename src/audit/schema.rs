//! The audit store's schema: versioned migrations, daily partitions and retention.
//!
//! Everything lives in the schema `pgcdc_audit` of the audit database:
//!
//! - `changes`: one row per change, range-partitioned by `commit_time`, one partition per UTC
//!   day (`changes_20260121`), created ahead and on demand;
//! - `requests`: request records read from Kafka, waiting to meet their transaction
//!   ([`super::requests`]);
//! - `tables`: every table that has rows (what the audit API lists and scopes tokens by);
//! - `positions`: per source, the position of the last change written (updated in the same
//!   transaction as the rows: what makes the writer exactly-once);
//! - `schema_migrations`: which migrations ran.
//!
//! Migrations run in order, each once, under an advisory lock, each in its own transaction.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use crate::change::value::{USECS_PER_DAY, civil_from_days};
use crate::sql::PgError;

/// The schema holding the audit store.
pub const SCHEMA: &str = "pgcdc_audit";

/// A migration: its version and SQL.
struct Migration {
    version: i32,
    description: &'static str,
    sql: &'static str,
}

/// The migrations, in order. Never change one that was released: add another.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "changes, positions",
        sql: "
        CREATE SEQUENCE pgcdc_audit.changes_id_seq;
        CREATE TABLE pgcdc_audit.changes (
            id bigint NOT NULL DEFAULT nextval('pgcdc_audit.changes_id_seq'),
            source text NOT NULL,
            schema_name text NOT NULL,
            table_name text NOT NULL,
            op text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
            pk jsonb,
            before jsonb,
            after jsonb,
            changed_columns text[],
            xid bigint NOT NULL,
            commit_lsn pg_lsn NOT NULL,
            change_index integer NOT NULL,
            commit_time timestamptz NOT NULL,
            context jsonb,
            PRIMARY KEY (id, commit_time)
        ) PARTITION BY RANGE (commit_time);
        CREATE INDEX changes_row ON pgcdc_audit.changes (schema_name, table_name, pk, id);
        CREATE INDEX changes_xid ON pgcdc_audit.changes (xid);
        CREATE INDEX changes_commit_lsn ON pgcdc_audit.changes (source, commit_lsn);
        CREATE TABLE pgcdc_audit.positions (
            source text PRIMARY KEY,
            commit_lsn pg_lsn NOT NULL,
            change_index integer NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
    ",
    },
    Migration {
        version: 2,
        description: "tables",
        sql: "
        CREATE TABLE pgcdc_audit.tables (
            schema_name text NOT NULL,
            table_name text NOT NULL,
            first_seen timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (schema_name, table_name)
        );
        INSERT INTO pgcdc_audit.tables (schema_name, table_name)
        SELECT DISTINCT schema_name, table_name FROM pgcdc_audit.changes;
    ",
    },
    Migration {
        version: 3,
        description: "request records",
        sql: "
        CREATE TABLE pgcdc_audit.requests (
            topic text NOT NULL,
            kafka_partition integer NOT NULL,
            kafka_offset bigint NOT NULL,
            txid bigint NOT NULL,
            xid bigint NOT NULL,
            received_at timestamptz NOT NULL,
            context jsonb NOT NULL,
            PRIMARY KEY (topic, kafka_partition, kafka_offset)
        );
        CREATE INDEX requests_xid ON pgcdc_audit.requests (xid, received_at);
    ",
    },
];

/// The newest migration version.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the store's schema up to date; returns the migrations applied.
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, PgError> {
    let mut applied = Vec::new();
    let tx = client.transaction().await?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(hashtext('pgcdc_audit.migrations'));
         CREATE SCHEMA IF NOT EXISTS pgcdc_audit;
         CREATE TABLE IF NOT EXISTS pgcdc_audit.schema_migrations (
             version integer PRIMARY KEY,
             description text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let done: BTreeSet<i32> = tx
        .query("SELECT version FROM pgcdc_audit.schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    if let Some(newer) = done.iter().find(|v| **v > latest_version()) {
        tracing::warn!(
            version = newer,
            "the audit store was migrated by a newer pgcdc; this one uses it as far as it knows it"
        );
    }
    for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO pgcdc_audit.schema_migrations (version, description) VALUES ($1, $2)",
            &[&migration.version, &migration.description],
        )
        .await?;
        tracing::info!(version = migration.version, "audit store migrated");
        applied.push(migration.version);
    }
    tx.commit().await?;
    Ok(applied)
}

/// The UTC day (days since 1970-01-01) of a time in microseconds since 1970.
pub fn day_of(micros: i64) -> i64 {
    micros.div_euclid(USECS_PER_DAY)
}

/// `YYYY-MM-DD` of a day.
fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The partition of a day: `changes_YYYYMMDD`.
fn partition_name(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("changes_{y:04}{m:02}{d:02}")
}

/// The day of a partition name, if it is one.
fn partition_day(name: &str) -> Option<i64> {
    let digits = name.strip_prefix("changes_")?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = digits[..4].parse().ok()?;
    let month: u32 = digits[4..6].parse().ok()?;
    let day: u32 = digits[6..].parse().ok()?;
    Some(crate::change::value::days_from_civil(year, month, day))
}

/// Knows which daily partitions exist and creates the missing ones.
#[derive(Debug, Default)]
pub struct Partitions {
    known: BTreeSet<i64>,
}

impl Partitions {
    /// Reads the existing partitions.
    pub async fn load(client: &Client) -> Result<Self, PgError> {
        let rows = client
            .query(
                "SELECT c.relname::text FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid
                 JOIN pg_class p ON p.oid = i.inhparent
                 JOIN pg_namespace n ON n.oid = p.relnamespace
                 WHERE n.nspname = 'pgcdc_audit' AND p.relname = 'changes'",
                &[],
            )
            .await?;
        let mut known = BTreeSet::new();
        for row in rows {
            let name: String = row.try_get(0)?;
            if let Some(day) = partition_day(&name) {
                known.insert(day);
            }
        }
        Ok(Self { known })
    }

    /// Creates the partitions of `days` that do not exist yet.
    pub async fn ensure(
        &mut self,
        client: &Client,
        days: impl IntoIterator<Item = i64>,
    ) -> Result<(), PgError> {
        for day in days {
            if self.known.contains(&day) {
                continue;
            }
            let statement = format!(
                "CREATE TABLE IF NOT EXISTS pgcdc_audit.{} PARTITION OF pgcdc_audit.changes
                 FOR VALUES FROM ('{} 00:00:00+00') TO ('{} 00:00:00+00')",
                partition_name(day),
                date_text(day),
                date_text(day + 1)
            );
            client.batch_execute(&statement).await?;
            tracing::debug!(partition = %partition_name(day), "created an audit partition");
            self.known.insert(day);
        }
        Ok(())
    }

    /// Drops the partitions whose whole day is before `keep_from_day`; returns their names.
    pub async fn drop_before(
        &mut self,
        client: &Client,
        keep_from_day: i64,
    ) -> Result<Vec<String>, PgError> {
        let old: Vec<i64> = self.known.range(..keep_from_day).copied().collect();
        let mut dropped = Vec::new();
        for day in old {
            let name = partition_name(day);
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS pgcdc_audit.{name}"))
                .await?;
            tracing::info!(partition = %name, "retention: dropped an audit partition");
            self.known.remove(&day);
            dropped.push(name);
        }
        Ok(dropped)
    }
}

/// Today (UTC), as days since 1970-01-01.
pub fn today() -> i64 {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    day_of(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_round_trip() {
        let day = crate::change::value::days_from_civil(2026, 1, 21);
        assert_eq!(partition_name(day), "changes_20260121");
        assert_eq!(partition_day("changes_20260121"), Some(day));
        assert_eq!(partition_day("changes_default"), None);
        assert_eq!(date_text(day + 11), "2026-02-01");
        assert_eq!(day_of(-1), -1, "before 1970 is the day before");
    }
}
