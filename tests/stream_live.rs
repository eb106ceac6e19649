//! `pgcdc run` / `replay` end to end against PostgreSQL 15 and 18: every kind of change reaches
//! the file sink, restarts lose nothing and repeat nothing, connection loss and server restarts
//! are survived, an idle slot's position advances, replays are repeatable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::{
    Pgcdc, confirmed_flush, records, run_pgcdc, scalar, source_args, wait_until, wal_flush_lsn,
};
use nix::sys::signal::Signal;
use pgcdc_testkit::{TestCluster, start};

const LIMIT: Duration = Duration::from_secs(120);

fn run_args(pg: &TestCluster, out: &Path, sets: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["run".to_owned()];
    args.extend(source_args(pg, "postgres", sets));
    args.push("--sink".to_owned());
    args.push(format!("file:{}", out.display()));
    args.push("--format".to_owned());
    args.push("plain".to_owned());
    args
}

/// Runs pgcdc until everything committed so far is delivered.
async fn drain(pg: &TestCluster, out: &Path, sets: &[(&str, &str)]) -> String {
    let mut args = run_args(pg, out, sets);
    args.push("--end-lsn".to_owned());
    args.push(wal_flush_lsn(pg));
    let (status, _, stderr) = run_pgcdc(&args, LIMIT).await;
    assert!(status.success(), "pgcdc failed: {stderr}");
    stderr
}

/// How many times each id of `table` was inserted, per the file.
fn insert_counts(out: &Path, table: &str) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for (_, _, value) in records(out) {
        if value["table"] == table && value["op"] == "insert" {
            *counts
                .entry(value["after"]["id"].as_i64().unwrap())
                .or_default() += 1;
        }
    }
    counts
}

const SETS: &[(&str, &str)] = &[
    ("slot.name", "s1"),
    ("publication.name", "p1"),
    ("topic.prefix", "app"),
];

pgcdc_testkit::pg_test! {
    async fn every_change_reaches_the_file_sink(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        pg.psql("postgres", "
            CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
            ALTER TABLE items REPLICA IDENTITY FULL;
            CREATE TABLE bulk (id int PRIMARY KEY, v text);
        ").unwrap();
        // The first run creates the publication and the slot, and finds nothing to do.
        drain(&pg, &out, SETS).await;
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_publication WHERE pubname = 'p1' AND puballtables"), "1");
        assert_eq!(records(&out).len(), 0);

        pg.psql("postgres", "
            INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2);
            UPDATE items SET qty = 10 WHERE id = 1;
            UPDATE items SET id = 3 WHERE id = 2;
            DELETE FROM items WHERE id = 1;
            BEGIN;
            SELECT pg_logical_emit_message(true, 'audit', '{\"user\":\"alice\"}');
            INSERT INTO items VALUES (4, 'four', 4);
            COMMIT;
            SELECT pg_logical_emit_message(false, 'ping', 'outside');
            INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
            ALTER TABLE items ADD COLUMN note text DEFAULT 'n/a';
            INSERT INTO items (id, name, qty, note) VALUES (5, 'five', 5, 'new column');
            TRUNCATE bulk;
        ").unwrap();
        drain(&pg, &out, SETS).await;

        let all = records(&out);
        let items: Vec<_> = all.iter().filter(|(topic, _, _)| topic == "app.public.items").collect();
        let ops: Vec<&str> = items.iter().map(|(_, _, v)| v["op"].as_str().unwrap()).collect();
        assert_eq!(ops, ["insert", "insert", "update", "update", "delete", "insert", "insert"]);
        let (_, key, first) = items[0];
        assert_eq!(key, &serde_json::json!({"id": 1}));
        assert_eq!(first["after"], serde_json::json!({"id": 1, "name": "one", "qty": 1}));
        let (_, _, update) = items[2];
        assert_eq!(update["before"]["qty"], 1);
        assert_eq!(update["after"]["qty"], 10);
        let (_, key, moved) = items[3];
        assert_eq!(key, &serde_json::json!({"id": 3}));
        assert_eq!(moved["before"]["id"], 2, "full old row with REPLICA IDENTITY FULL");
        let (_, _, deleted) = items[4];
        assert_eq!(deleted["before"]["name"], "one");
        assert!(deleted["after"].is_null());
        let (_, _, altered) = items[6];
        assert_eq!(altered["after"]["note"], "new column", "the new column after ALTER TABLE");

        let messages: Vec<_> = all.iter().filter(|(topic, _, _)| topic == "app.message").collect();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].2["prefix"], "audit");
        assert_eq!(messages[0].2["transactional"], true);
        assert_eq!(messages[0].2["xid"], items[5].2["xid"], "in the same transaction as the insert");
        assert_eq!(messages[1].2["content"], "outside");
        assert_eq!(messages[1].2["transactional"], false);

        let bulk = insert_counts(&out, "bulk");
        assert_eq!(bulk.len(), 100_000);
        assert!(bulk.values().all(|n| *n == 1));
        let xids: std::collections::BTreeSet<_> = all.iter().filter(|(t, _, v)| t == "app.public.bulk" && v["op"] == "insert").map(|(_, _, v)| v["xid"].as_u64().unwrap()).collect();
        assert_eq!(xids.len(), 1, "one transaction");
        let truncate = all.iter().find(|(_, _, v)| v["op"] == "truncate").unwrap();
        assert_eq!(truncate.0, "app.public.bulk");

        // Positions increase strictly through the file.
        let positions: Vec<(pgoutput::Lsn, u64)> = all.iter().map(|(_, _, v)| (v["commit_lsn"].as_str().unwrap().parse().unwrap(), v["index"].as_u64().unwrap())).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));

        // The slot was confirmed past the last commit.
        let last_commit = positions.last().unwrap().0;
        assert!(confirmed_flush(&pg, "s1").unwrap() > last_commit);
    }
}

/// Inserts `count` rows into `seq` in transactions of `batch`, starting at `first`.
fn insert_batches(pg: &TestCluster, first: i64, count: i64, batch: i64) {
    pg.psql("postgres", &format!("
        DO $$
        BEGIN
            FOR b IN 0..{} LOOP
                INSERT INTO seq SELECT g FROM generate_series({first} + b * {batch}, least({first} + (b + 1) * {batch} - 1, {last})) g;
                COMMIT;
            END LOOP;
        END $$;", (count + batch - 1) / batch - 1, last = first + count - 1)).unwrap();
}

fn prepare_seq(pg: &TestCluster) {
    pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY)")
        .unwrap();
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

pgcdc_testkit::pg_test! {
    async fn graceful_stop_and_restart_deliver_every_change_once(version: PgVersion) {
        let pg = start(version);
        prepare_seq(&pg);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        drain(&pg, &out, SETS).await;

        let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &out, SETS));
        let writer = {
            let url = pg.url("postgres");
            let psql = pg.installation().program("psql");
            std::thread::spawn(move || {
                let status = std::process::Command::new(psql)
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c",
                        "DO $$ BEGIN FOR b IN 0..399 LOOP INSERT INTO seq SELECT g FROM generate_series(b * 50 + 1, b * 50 + 50) g; COMMIT; PERFORM pg_sleep(0.02); END LOOP; END $$;"])
                    .status()
                    .unwrap();
                assert!(status.success());
            })
        };
        wait_until(LIMIT, "the first changes", || lines(&out) >= 500).await;
        pgcdc.signal(Signal::SIGTERM);
        let status = pgcdc.wait(LIMIT).await;
        assert!(status.success(), "graceful stop exits 0: {}", pgcdc.stderr());
        let stopped_at = lines(&out);
        writer.join().unwrap();
        assert!(stopped_at < 20_000, "stopped while changes were still coming");

        // What the file holds is confirmed: the slot is not behind it.
        let file = records(&out);
        let last: pgoutput::Lsn = file.last().unwrap().2["commit_lsn"].as_str().unwrap().parse().unwrap();
        assert!(confirmed_flush(&pg, "s1").unwrap() > last);

        drain(&pg, &out, SETS).await;
        let counts = insert_counts(&out, "seq");
        assert_eq!(counts.len(), 20_000, "every change delivered");
        let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(repeated.is_empty(), "delivered twice: {repeated:?}");
    }
}

pgcdc_testkit::pg_test! {
    async fn kill_9_at_any_point_loses_nothing(version: PgVersion) {
        let pg = start(version);
        prepare_seq(&pg);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        drain(&pg, &out, SETS).await;
        let mut expected = 0;
        for round in 0..3 {
            insert_batches(&pg, expected + 1, 3_000, 100);
            expected += 3_000;
            let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &out, SETS));
            let target = lines(&out) + 500 + round * 700;
            wait_until(LIMIT, "some changes", || lines(&out) >= target).await;
            pgcdc.signal(Signal::SIGKILL);
            pgcdc.wait(LIMIT).await;
        }
        drain(&pg, &out, SETS).await;
        let counts = insert_counts(&out, "seq");
        assert_eq!(counts.len(), expected as usize, "every committed change is there");
        // The file sink keeps its position with its data: even kill -9 repeats nothing.
        assert!(counts.values().all(|n| *n == 1), "no change twice");
    }
}

pgcdc_testkit::pg_test! {
    async fn terminated_walsender_and_server_restart_are_survived(version: PgVersion) {
        let mut pg = start(version);
        prepare_seq(&pg);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        drain(&pg, &out, SETS).await;
        let sets = [SETS, &[("retriable.restart.connector.wait.ms", "1000")]].concat();
        let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &out, &sets));

        insert_batches(&pg, 1, 1_000, 100);
        wait_until(LIMIT, "the first thousand", || lines(&out) >= 1_000).await;
        let terminated = scalar(&pg, "postgres", "SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots WHERE slot_name = 's1' AND active_pid IS NOT NULL");
        assert_eq!(terminated, "1");
        insert_batches(&pg, 1_001, 1_000, 100);
        wait_until(LIMIT, "the second thousand, after reconnecting", || lines(&out) >= 2_000).await;

        pg.restart().unwrap();
        insert_batches(&pg, 2_001, 1_000, 100);
        wait_until(LIMIT, "the third thousand, after the server restart", || lines(&out) >= 3_000).await;

        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success(), "{}", pgcdc.stderr());
        let counts = insert_counts(&out, "seq");
        assert_eq!(counts.len(), 3_000);
        assert!(counts.values().all(|n| *n == 1));
        assert!(pgcdc.stderr().contains("retrying"), "the interruptions were seen: {}", pgcdc.stderr());
    }
}

pgcdc_testkit::pg_test! {
    async fn an_idle_slot_still_advances(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "CREATE TABLE watched (id int PRIMARY KEY); CREATE TABLE noise (id serial PRIMARY KEY, v text);").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let sets = [SETS, &[("publication.autocreate.mode", "filtered"), ("table.include.list", "public.watched"), ("status.update.interval.ms", "500")]].concat();
        drain(&pg, &out, &sets).await;
        let start_position = confirmed_flush(&pg, "s1").unwrap();
        let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &out, &sets));
        wait_until(LIMIT, "streaming", || scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's1' AND active_pid IS NOT NULL") == "1").await;
        // Only tables outside the publication change: nothing is delivered, yet WAL moves.
        pg.psql("postgres", "INSERT INTO noise (v) SELECT md5(g::text) FROM generate_series(1, 5000) g").unwrap();
        let moved_to: pgoutput::Lsn = wal_flush_lsn(&pg).parse().unwrap();
        wait_until(Duration::from_secs(30), "the slot to confirm the idle WAL", || confirmed_flush(&pg, "s1").is_some_and(|c| c >= moved_to)).await;
        assert!(moved_to > start_position);
        assert_eq!(records(&out).len(), 0);
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success());
    }
}

pgcdc_testkit::pg_test! {
    async fn replay_of_a_copied_slot_is_repeatable_and_leaves_the_slot(version: PgVersion) {
        let pg = start(version);
        prepare_seq(&pg);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("setup.jsonl");
        drain(&pg, &out, SETS).await;
        let before = confirmed_flush(&pg, "s1").unwrap();
        insert_batches(&pg, 1, 2_000, 100);
        pg.psql("postgres", "UPDATE seq SET id = -id WHERE id <= 10; DELETE FROM seq WHERE id > 1990").unwrap();
        let end = wal_flush_lsn(&pg);
        let mut outputs = Vec::new();
        for name in ["a", "b"] {
            let path = dir.path().join(format!("{name}.jsonl"));
            let mut args = vec!["replay".to_owned()];
            args.extend(source_args(&pg, "postgres", SETS));
            args.extend(["--slot".to_owned(), "s1".to_owned(), "--end-lsn".to_owned(), end.clone(), "--sink".to_owned(), format!("file:{}", path.display()), "--format".to_owned(), "plain".to_owned()]);
            let (status, _, stderr) = run_pgcdc(&args, LIMIT).await;
            assert!(status.success(), "{stderr}");
            outputs.push(std::fs::read(&path).unwrap());
        }
        assert_eq!(outputs[0], outputs[1], "two replays write the same bytes");
        assert_eq!(records(&dir.path().join("a.jsonl")).len(), 2_000 + 10 + 10);
        assert_eq!(confirmed_flush(&pg, "s1").unwrap(), before, "the slot did not move");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots"), "1", "the copies are gone");
    }
}

pgcdc_testkit::pg_test! {
    async fn protocol_2_streams_large_transactions_within_the_memory_limit(version: PgVersion) {
        let pg = pgcdc_testkit::start_with(pgcdc_testkit::config(version).setting("logical_decoding_work_mem", "64kB"));
        prepare_seq(&pg);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let sets = [SETS, &[("pgcdc.protocol.version", "2"), ("pgcdc.stream.buffer.bytes", "65536")]].concat();
        drain(&pg, &out, &sets).await;
        pg.psql("postgres", "
            INSERT INTO seq SELECT g FROM generate_series(1, 20000) g;
            BEGIN; INSERT INTO seq SELECT g FROM generate_series(100001, 120000) g; ROLLBACK;
            BEGIN;
            INSERT INTO seq SELECT g FROM generate_series(20001, 25000) g;
            SAVEPOINT s;
            INSERT INTO seq SELECT g FROM generate_series(200001, 220000) g;
            ROLLBACK TO SAVEPOINT s;
            INSERT INTO seq SELECT g FROM generate_series(25001, 30000) g;
            COMMIT;
        ").unwrap();
        let stderr = drain(&pg, &out, &sets).await;
        let counts = insert_counts(&out, "seq");
        assert_eq!(counts.len(), 30_000);
        assert_eq!(*counts.keys().next().unwrap(), 1);
        assert_eq!(*counts.keys().last().unwrap(), 30_000, "nothing of the rolled back work");
        assert!(counts.values().all(|n| *n == 1));
        assert!(stderr.contains("streaming"), "{stderr}");
    }
}

pgcdc_testkit::pg_test! {
    async fn heartbeat_action_query_runs(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "CREATE TABLE heartbeat (at timestamptz)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let sets = [SETS, &[("heartbeat.interval.ms", "200"), ("heartbeat.action.query", "INSERT INTO heartbeat VALUES (now())")]].concat();
        let mut pgcdc = Pgcdc::spawn(dir.path(), &run_args(&pg, &out, &sets));
        wait_until(LIMIT, "heartbeats", || scalar(&pg, "postgres", "SELECT count(*) FROM heartbeat").parse::<i32>().unwrap() >= 3).await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success());
    }
}
