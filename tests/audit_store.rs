//! The audit sink against PostgreSQL 15 and 18: every kind of change reaches the audit store
//! with its old and new row, changed columns and context; `kill -9` at random points repeats and
//! loses nothing; tables follow the publication while running.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod audit_common;
mod common;

use std::time::Duration;

use common::{Pgcdc, run_pgcdc, scalar, source_args, wait_until, wal_flush_lsn};
use nix::sys::signal::Signal;
use pgcdc_testkit::{TestCluster, start};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(120);

fn run_args(pg: &TestCluster, sets: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["run".to_owned()];
    args.extend(source_args(pg, "postgres", sets));
    args.push("--sink".to_owned());
    args.push(format!("audit:{}", pg.url("audit")));
    args
}

async fn drain(pg: &TestCluster, sets: &[(&str, &str)]) {
    let mut args = run_args(pg, sets);
    args.push("--end-lsn".to_owned());
    args.push(wal_flush_lsn(pg));
    let (status, _, stderr) = run_pgcdc(&args, LIMIT).await;
    assert!(status.success(), "pgcdc failed: {stderr}");
}

/// The audit rows as JSON objects, in id order.
fn audit_rows(pg: &TestCluster, filter: &str) -> Vec<Value> {
    let text = scalar(
        pg,
        "audit",
        &format!(
            "SELECT coalesce(json_agg(c ORDER BY id), '[]') FROM (SELECT id, source, schema_name, table_name, op, pk, before, after, changed_columns, xid, commit_lsn::text AS commit_lsn, change_index, commit_time, context FROM pgcdc_audit.changes {filter}) c"
        ),
    );
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

const SETS: &[(&str, &str)] = &[
    ("slot.name", "audit_slot"),
    ("publication.name", "audit_pub"),
    ("topic.prefix", "shop"),
];

pgcdc_testkit::pg_test! {
    async fn every_operation_reaches_the_audit_store(version: PgVersion) {
        let pg = start(version);
        pg.create_database("audit").unwrap();
        pg.psql("postgres", "
            CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(10,2), tags text[], seen timestamptz, doc jsonb);
            ALTER TABLE customers REPLICA IDENTITY FULL;
            CREATE TABLE plain (id int PRIMARY KEY, v text);
            CREATE TABLE alembic_version (version_num text PRIMARY KEY);
        ").unwrap();
        let sets = [SETS, &[("table.exclude.list", "public.alembic_version")]].concat();
        drain(&pg, &sets).await;
        pg.psql("postgres", r#"
            BEGIN;
            SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "alice", "request_id": "r-1"}');
            INSERT INTO customers VALUES (1, 'Ada', 100.50, '{math,poetry}', '2026-01-02 03:04:05.678+00', '{"a": [1, 2]}');
            UPDATE customers SET balance = 99.99, name = 'Ada L.' WHERE id = 1;
            COMMIT;
            BEGIN;
            INSERT INTO plain VALUES (1, 'x');
            UPDATE plain SET v = 'y' WHERE id = 1;
            UPDATE plain SET id = 2 WHERE id = 1;
            INSERT INTO alembic_version VALUES ('abc');
            SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "bob"}');
            SELECT pg_logical_emit_message(true, 'other.prefix', '{"user": "mallory"}');
            COMMIT;
            DELETE FROM customers WHERE id = 1;
            DELETE FROM plain WHERE id = 2;
            TRUNCATE plain;
        "#).unwrap();
        drain(&pg, &sets).await;
        let rows = audit_rows(&pg, "");
        let ops: Vec<(&str, &str)> = rows.iter().map(|r| (r["table_name"].as_str().unwrap(), r["op"].as_str().unwrap())).collect();
        assert_eq!(ops, [
            ("customers", "insert"), ("customers", "update"),
            ("plain", "insert"), ("plain", "update"), ("plain", "update"),
            ("customers", "delete"), ("plain", "delete"), ("plain", "truncate"),
        ], "the excluded table is not audited");
        assert!(rows.iter().all(|r| r["source"] == "shop" && r["schema_name"] == "public"));

        let insert = &rows[0];
        assert_eq!(insert["pk"], json!({"id": 1}));
        assert_eq!(insert["before"], Value::Null);
        assert_eq!(insert["after"], json!({"id": 1, "name": "Ada", "balance": "100.50", "tags": ["math", "poetry"], "seen": "2026-01-02T03:04:05.678Z", "doc": {"a": [1, 2]}}));
        assert_eq!(insert["changed_columns"], json!(["id", "name", "balance", "tags", "seen", "doc"]));
        assert_eq!(insert["context"], json!({"user": "alice", "request_id": "r-1"}));
        let update = &rows[1];
        assert_eq!(update["before"]["balance"], "100.50");
        assert_eq!(update["after"]["balance"], "99.99");
        assert_eq!(update["changed_columns"], json!(["name", "balance"]));
        assert_eq!(update["context"], insert["context"]);
        assert_eq!(update["xid"], insert["xid"]);
        assert_eq!(update["commit_lsn"], insert["commit_lsn"]);
        assert_eq!(update["change_index"].as_i64().unwrap(), insert["change_index"].as_i64().unwrap() + 1);

        // The message came after the changes; another prefix is not a context.
        for row in &rows[2..5] {
            assert_eq!(row["context"], json!({"user": "bob"}), "{row}");
        }
        assert_eq!(rows[3]["before"], Value::Null, "no old row without REPLICA IDENTITY FULL");
        assert_eq!(rows[3]["changed_columns"], Value::Null, "unknown without the old row");
        assert_eq!(rows[4]["before"], json!({"id": 1}), "the old key of a key change");
        assert_eq!(rows[4]["pk"], json!({"id": 2}));

        let delete = &rows[5];
        assert_eq!(delete["after"], Value::Null);
        assert_eq!(delete["before"]["name"], "Ada L.");
        assert_eq!(delete["context"], Value::Null);
        assert_eq!(rows[6]["before"], json!({"id": 2}), "a key image holds the key only");
        assert_eq!(rows[7]["pk"], Value::Null);

        // Tables added to and dropped from the publication while running.
        pg.psql("postgres", "CREATE TABLE later (id int PRIMARY KEY, v text); ALTER TABLE later REPLICA IDENTITY FULL;").unwrap();
        let sets = [SETS, &[("publication.autocreate.mode", "disabled")]].concat();
        pg.psql("postgres", "DROP PUBLICATION audit_pub; CREATE PUBLICATION audit_pub FOR TABLE customers").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &sets));
        pg.psql("postgres", "INSERT INTO later VALUES (1, 'before it is published')").unwrap();
        pg.psql("postgres", "ALTER PUBLICATION audit_pub ADD TABLE later").unwrap();
        pg.psql("postgres", "INSERT INTO later VALUES (2, 'published'); UPDATE later SET v = 'changed' WHERE id = 2;").unwrap();
        pg.psql("postgres", "ALTER PUBLICATION audit_pub DROP TABLE later").unwrap();
        pg.psql("postgres", "INSERT INTO later VALUES (3, 'no longer published'); INSERT INTO customers VALUES (7, 'marker');").unwrap();
        wait_until(LIMIT, "the marker row", || scalar(&pg, "audit", "SELECT count(*) FROM pgcdc_audit.changes WHERE pk = '{\"id\": 7}'") == "1").await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success(), "{}", pgcdc.stderr());
        let later = audit_rows(&pg, "WHERE table_name = 'later'");
        let seen: Vec<(Value, &str)> = later.iter().map(|r| (r["pk"]["id"].clone(), r["op"].as_str().unwrap())).collect();
        assert_eq!(seen, [(json!(2), "insert"), (json!(2), "update")]);
        assert_eq!(later[1]["changed_columns"], json!(["v"]));

        // Migrations ran once, partitions exist ahead.
        assert_eq!(scalar(&pg, "audit", "SELECT string_agg(version::text, ',' ORDER BY version) FROM pgcdc_audit.schema_migrations"), "1,2,3");
        assert_eq!(scalar(&pg, "audit", "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM pgcdc_audit.tables"), "customers,later,plain");
        let partitions: i64 = scalar(&pg, "audit", "SELECT count(*) FROM pg_inherits WHERE inhparent = 'pgcdc_audit.changes'::regclass").parse().unwrap();
        assert!(partitions >= 8, "today and 7 days ahead (and the commit days): {partitions}");
    }
}

/// A tiny xorshift, seeded from the clock: the kill points differ from run to run.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("random seed {seed}");
        Self(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

pgcdc_testkit::pg_test! {
    async fn kill_9_at_random_points_stores_every_change_once(version: PgVersion) {
        let pg = start(version);
        pg.create_database("audit").unwrap();
        pg.psql("postgres", "CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL, note text); ALTER TABLE orders REPLICA IDENTITY FULL;").unwrap();
        // Small batches: write transactions end inside source transactions too.
        let sets = [SETS, &[("pgcdc.audit.batch.rows", "37")]].concat();
        drain(&pg, &sets).await;
        let dir = tempfile::tempdir().unwrap();
        let mut random = Random::new();

        // The workload: transactions of 1 to 120 rows; every third has a context, sent after
        // its changes; inserts, then updates and deletes of some of them.
        let workload = {
            let url = pg.url("postgres");
            tokio::spawn(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(connection);
                let mut next = 1;
                for txn in 0..120 {
                    let size = 1 + (txn * 37) % 120;
                    let mut sql = format!("BEGIN; INSERT INTO orders SELECT g, 1, 'n' FROM generate_series({next}, {}) g;", next + size - 1);
                    sql.push_str(&format!("UPDATE orders SET qty = qty + 1 WHERE id BETWEEN {next} AND {};", next + size / 2));
                    if txn % 5 == 0 {
                        sql.push_str(&format!("DELETE FROM orders WHERE id = {next};"));
                    }
                    if txn % 3 == 0 {
                        sql.push_str(&format!("SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{{\"user\": \"u{txn}\"}}');"));
                    }
                    sql.push_str("COMMIT;");
                    client.batch_execute(&sql).await.unwrap();
                    next += size;
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            })
        };
        let mut kills = 0;
        while !workload.is_finished() {
            let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &sets));
            tokio::time::sleep(Duration::from_millis(300 + random.below(1500))).await;
            pgcdc.signal(Signal::SIGKILL);
            pgcdc.wait(LIMIT).await;
            kills += 1;
        }
        workload.await.unwrap();
        drain(&pg, &sets).await;
        assert!(kills >= 2, "pgcdc was killed while the workload ran ({kills} times)");

        // Every change of the source, once, in the audit store.
        let expected: i64 = scalar(&pg, "postgres", "SELECT sum(1 + (t * 37) % 120) + sum(1 + ((1 + (t * 37) % 120) / 2)) + count(*) FILTER (WHERE t % 5 = 0) FROM generate_series(0, 119) t").parse().unwrap();
        let stored: i64 = scalar(&pg, "audit", "SELECT count(*) FROM pgcdc_audit.changes").parse().unwrap();
        let distinct: i64 = scalar(&pg, "audit", "SELECT count(DISTINCT (commit_lsn, change_index)) FROM pgcdc_audit.changes").parse().unwrap();
        assert_eq!(distinct, stored, "no change stored twice");
        assert_eq!(stored, expected, "every change stored");
        let final_qty = scalar(&pg, "postgres", "SELECT count(*) FROM orders");
        let replayed = scalar(&pg, "audit", "SELECT count(*) FROM (SELECT DISTINCT ON (pk) op FROM pgcdc_audit.changes ORDER BY pk, id DESC) last WHERE op <> 'delete'");
        assert_eq!(replayed, final_qty, "the newest image of every row matches the source");
        // Contexts: all the rows of a transaction with a context have it, the others none.
        let mixed = scalar(&pg, "audit", "SELECT count(*) FROM (SELECT xid FROM pgcdc_audit.changes GROUP BY xid HAVING count(DISTINCT context::text) > 1 OR (count(context) > 0 AND count(context) < count(*))) m");
        assert_eq!(mixed, "0", "a transaction's rows share one context");
        let with_context = scalar(&pg, "audit", "SELECT count(DISTINCT xid) FROM pgcdc_audit.changes WHERE context IS NOT NULL");
        assert_eq!(with_context, "40");
        let saved = scalar(&pg, "audit", "SELECT source FROM pgcdc_audit.positions");
        assert_eq!(saved, "shop");
    }
}

pgcdc_testkit::pg_test! {
    async fn retention_drops_old_partitions_and_run_serves_http(version: PgVersion) {
        let pg = start(version);
        pg.create_database("audit").unwrap();
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY)").unwrap();
        drain(&pg, SETS).await;
        // A day long past, as an older pgcdc would have left it.
        pg.psql("audit", "
            CREATE TABLE pgcdc_audit.changes_20200101 PARTITION OF pgcdc_audit.changes
                FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2020-01-02 00:00:00+00');
            INSERT INTO pgcdc_audit.changes (source, schema_name, table_name, op, xid, commit_lsn, change_index, commit_time)
                VALUES ('shop', 'public', 't', 'insert', 1, '0/1', 0, '2020-01-01 12:00:00+00');
        ").unwrap();

        let sets = [SETS, &[("pgcdc.audit.retention.days", "30")]].concat();
        let mut args = run_args(&pg, &sets);
        args.extend(["--http".to_owned(), "127.0.0.1:0".to_owned()]);
        let dir = tempfile::tempdir().unwrap();
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args);
        let address = audit_common::http_address(&pgcdc).await;
        pg.psql("postgres", "INSERT INTO t VALUES (1), (2)").unwrap();
        wait_until(LIMIT, "the new rows", || scalar(&pg, "audit", "SELECT count(*) FROM pgcdc_audit.changes") == "2").await;
        assert_eq!(scalar(&pg, "audit", "SELECT count(*) FROM pg_class WHERE relname = 'changes_20200101'"), "0", "the old partition is gone");

        assert_eq!(audit_common::get(&address, "/healthz", None).await.status, 200);
        assert_eq!(audit_common::get(&address, "/readyz", None).await.status, 200);
        let metrics = audit_common::get(&address, "/metrics", None).await.body;
        let written: u64 = metrics.lines().find_map(|l| l.strip_prefix("pgcdc_audit_rows_written_total ")).unwrap().parse().unwrap();
        assert_eq!(written, 2, "{metrics}");
        // The audit API is mounted next to the pipeline; with no token configured it refuses.
        let answer = audit_common::get(&address, "/api/audit/changes", Some("0123456789abcdef0123")).await;
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("no API tokens"), "{}", answer.body);

        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success(), "{}", pgcdc.stderr());
    }
}
