//! The reference workloads.
//!
//! - [`INSERT_BACKLOG`]: the 200,000-row insert backlog, table
//!   `bench (id serial primary key, a text, b int, c timestamptz)`, committed every 1,000 rows.
//! - [`WIDE_UPDATES`]: an update-heavy stream of wide rows (`REPLICA IDENTITY FULL`, 24 columns),
//!   so every Update carries an old and a new tuple.
//! - [`TOASTED_VALUES`]: 16 KiB values stored out of line, inserted and then updated without
//!   touching them (unchanged-TOAST markers).
//!
//! Each workload is a schema (run before the slot is created) and changes (run after).

use crate::localpg::{Cluster, LocalPgError};

/// A workload: SQL for the schema and SQL for the changes.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// A short name, used for file names and reports.
    pub name: &'static str,
    /// Creates the tables and the publication `bench_pub`.
    pub schema: &'static str,
    /// The changes that the slot then captures.
    pub changes: &'static str,
    /// How many row changes (Insert, Update, Delete) the changes make.
    pub row_changes: u64,
}

impl Workload {
    /// Runs the schema, creates `slot` (pgoutput), then runs the changes, all in `database`.
    pub fn run(&self, cluster: &Cluster, database: &str, slot: &str) -> Result<(), LocalPgError> {
        cluster.psql(database, self.schema)?;
        cluster.psql(
            database,
            &format!(
                "SELECT pg_create_logical_replication_slot({}, 'pgoutput')",
                crate::sql::quote_literal(slot)
            ),
        )?;
        cluster.psql(database, self.changes)?;
        Ok(())
    }
}

/// 200,000 inserts into `bench`, one transaction per 1,000 rows.
pub const INSERT_BACKLOG: Workload = Workload {
    name: "insert-200k",
    schema: "
        CREATE TABLE bench (id serial PRIMARY KEY, a text, b int, c timestamptz);
        CREATE PUBLICATION bench_pub FOR ALL TABLES;
    ",
    changes: "
        DO $$
        BEGIN
            FOR batch IN 1..200 LOOP
                INSERT INTO bench (a, b, c)
                SELECT md5(g::text), g, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second'
                FROM generate_series((batch - 1) * 1000 + 1, batch * 1000) g;
                COMMIT;
            END LOOP;
        END $$;
    ",
    row_changes: 200_000,
};

/// 20,000 rows of 24 columns, each updated twice, with full old rows.
pub const WIDE_UPDATES: Workload = Workload {
    name: "wide-updates",
    schema: "
        CREATE TABLE wide (
            id int PRIMARY KEY,
            t1 text, t2 text, t3 text, t4 text, t5 text, t6 text,
            i1 int, i2 int, i3 int, i4 bigint, i5 bigint, i6 bigint,
            n1 numeric(12, 2), n2 numeric(12, 2), n3 numeric(12, 2),
            d1 timestamptz, d2 timestamptz, d3 date,
            b1 boolean, b2 boolean, f1 float8, f2 float8, u1 uuid
        );
        ALTER TABLE wide REPLICA IDENTITY FULL;
        INSERT INTO wide
        SELECT g, md5(g::text), md5((g + 1)::text), 'short', repeat('w', 40), NULL, 'six',
               g, g * 2, g * 3, g * 4, g * 5, g * 6, g / 7.0, g / 11.0, g / 13.0,
               now(), now(), current_date, true, false, g / 3.0, g / 9.0,
               md5(g::text)::uuid
        FROM generate_series(1, 20000) g;
        CREATE PUBLICATION bench_pub FOR ALL TABLES;
    ",
    changes: "
        DO $$
        BEGIN
            FOR batch IN 1..20 LOOP
                UPDATE wide SET i1 = i1 + 1, t5 = 'updated', d2 = now()
                WHERE id BETWEEN (batch - 1) * 1000 + 1 AND batch * 1000;
                COMMIT;
                UPDATE wide SET n1 = n1 + 1, b2 = NOT b2
                WHERE id BETWEEN (batch - 1) * 1000 + 1 AND batch * 1000;
                COMMIT;
            END LOOP;
        END $$;
    ",
    row_changes: 40_000,
};

/// 1,000 rows with a 16 KiB value stored out of line, each then updated without touching it.
pub const TOASTED_VALUES: Workload = Workload {
    name: "toasted",
    schema: "
        CREATE TABLE docs (id int PRIMARY KEY, version int, body text);
        ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
        CREATE PUBLICATION bench_pub FOR ALL TABLES;
    ",
    changes: "
        DO $$
        BEGIN
            FOR batch IN 1..10 LOOP
                INSERT INTO docs
                SELECT g, 1, repeat(md5(g::text), 512)
                FROM generate_series((batch - 1) * 100 + 1, batch * 100) g;
                COMMIT;
            END LOOP;
            UPDATE docs SET version = 2;
        END $$;
    ",
    row_changes: 2_000,
};

/// Every reference workload.
pub const ALL: [Workload; 3] = [INSERT_BACKLOG, WIDE_UPDATES, TOASTED_VALUES];
