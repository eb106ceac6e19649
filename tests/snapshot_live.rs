//! Initial snapshots end to end against PostgreSQL 15 and 18: tables of 0, 1 and 1,000,000
//! rows read in parallel chunks; writes during the snapshot seen exactly once (as snapshot row
//! or stream event); a stop (SIGTERM, kill -9) during the snapshot and the restart, which
//! continues it, and the cases where it cannot and starts over; the progress in `/metrics`;
//! every `snapshot.mode`; the include list and select overrides; bad settings as clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod audit_common;
mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use common::{
    Pgcdc, progress_file, records, run_pgcdc, scalar, source_args, wait_until, wal_flush_lsn,
};
use nix::sys::signal::Signal;
use pgcdc_testkit::{TestCluster, start};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(300);

fn args(pg: &TestCluster, out: &Path, sets: &[(&str, &str)], format: &str) -> Vec<String> {
    let mut args = vec!["run".to_owned()];
    let mut all = vec![
        ("slot.name", "snap"),
        ("publication.name", "snap_pub"),
        ("topic.prefix", "app"),
    ];
    all.extend_from_slice(sets);
    args.extend(source_args(pg, "postgres", &all));
    args.extend([
        "--sink".to_owned(),
        format!("file:{}", out.display()),
        "--format".to_owned(),
        format.to_owned(),
    ]);
    args
}

/// Runs pgcdc until everything committed so far is delivered; returns its standard error.
async fn drain(pg: &TestCluster, out: &Path, sets: &[(&str, &str)], format: &str) -> String {
    let mut args = args(pg, out, sets, format);
    args.push("--end-lsn".to_owned());
    args.push(wal_flush_lsn(pg));
    let (status, _, stderr) = run_pgcdc(&args, LIMIT).await;
    assert!(status.success(), "pgcdc failed: {stderr}");
    stderr
}

/// The plain records' (op, table, after) in file order.
fn plain(out: &Path) -> Vec<(String, String, Value)> {
    records(out)
        .into_iter()
        .map(|(_, _, v)| {
            (
                v["op"].as_str().unwrap().to_owned(),
                v["table"].as_str().unwrap_or_default().to_owned(),
                v["after"].clone(),
            )
        })
        .collect()
}

/// How many snapshot rows (`read`) the file sink at `out` holds.
fn reads(out: &Path) -> usize {
    plain(out).iter().filter(|(op, _, _)| op == "read").count()
}

fn slot_exists(pg: &TestCluster, name: &str) -> bool {
    scalar(
        pg,
        "postgres",
        &format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'"),
    ) == "1"
}

pgcdc_testkit::pg_test! {
    timeout_secs = 600;
    async fn tables_of_0_1_and_a_million_rows(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE empty (id int PRIMARY KEY);
            CREATE TABLE one (id int PRIMARY KEY, v text);
            INSERT INTO one VALUES (1, 'only');
            CREATE TABLE big (id int PRIMARY KEY, v text);
            INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 1000000) i;
            ANALYZE big;
        ").unwrap();
        let out = dir.path().join("out.jsonl");
        let stderr = drain(&pg, &out, &[("snapshot.max.threads", "2"), ("pgcdc.snapshot.chunk.pages", "512")], "plain").await;
        assert!(stderr.contains("taking the initial snapshot"), "{stderr}");
        assert!(stderr.contains("snapshot complete"), "{stderr}");
        // A million lines: read without a JSON parser (the plain format's field order is fixed).
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1_000_001);
        assert!(lines.iter().all(|l| l.contains(r#""op":"read""#)));
        // Debezium's order: big, empty, one.
        assert!(lines[0].contains(r#""table":"big""#), "{}", lines[0]);
        let last: Value = serde_json::from_str(lines[1_000_000]).unwrap();
        assert_eq!(last["value"]["table"], "one");
        assert_eq!(last["value"]["after"]["v"], "only");
        let mut seen = vec![false; 1_000_001];
        for line in &lines[..1_000_000] {
            let at = line.find(r#""after":{"id":"#).unwrap() + r#""after":{"id":"#.len();
            let digits: String = line[at..].chars().take_while(char::is_ascii_digit).collect();
            let id: usize = digits.parse().unwrap();
            assert!(!seen[id], "row {id} twice");
            seen[id] = true;
        }
        assert_eq!(seen.iter().filter(|s| **s).count(), 1_000_000);
        // Streaming continues exactly from the snapshot.
        assert!(slot_exists(&pg, "snap"));
        pg.psql("postgres", "INSERT INTO one VALUES (2, 'streamed')").unwrap();
        drain(&pg, &out, &[], "plain").await;
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().count(), 1_000_002);
        let streamed: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(streamed["value"]["op"], "insert");
        assert_eq!(streamed["value"]["after"]["id"], 2);
    }
}

pgcdc_testkit::pg_test! {
    timeout_secs = 600;
    async fn writes_during_the_snapshot_are_seen_exactly_once(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE t (id int PRIMARY KEY, version int NOT NULL);
            INSERT INTO t SELECT i, 0 FROM generate_series(1, 200000) i;
        ").unwrap();
        let out = dir.path().join("out.jsonl");
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args(&pg, &out, &[("snapshot.max.threads", "2"), ("pgcdc.snapshot.chunk.pages", "64")], "plain"));
        // Writes while the snapshot runs (its temporary slot exists): updates bump versions,
        // inserts and deletes.
        wait_until(LIMIT, "the snapshot's slot", || {
            scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'snap_snapshot'") == "1"
        }).await;
        let writer = {
            let sql = "
                DO $$ BEGIN FOR i IN 1..300 LOOP
                  UPDATE t SET version = version + 1 WHERE id = (i * 613) % 200000 + 1;
                  INSERT INTO t VALUES (200000 + i, 0);
                  DELETE FROM t WHERE id = (i * 7919) % 200000 + 1 AND id % 2 = 0;
                  COMMIT;
                  PERFORM pg_sleep(0.002);
                END LOOP; END $$;";
            pg.psql("postgres", sql)
        };
        writer.unwrap();
        let end: pgoutput::Lsn = wal_flush_lsn(&pg).parse().unwrap();
        wait_until(LIMIT, "pgcdc to reach the end of the writes", || {
            common::confirmed_flush(&pg, "snap").is_some_and(|c| c >= end)
        }).await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success());

        // Replay the file: a read or insert makes a row exist, an update bumps its version by one,
        // a delete removes it. Every key/version is seen once; the end state is the table's.
        let mut state: BTreeMap<i64, i64> = BTreeMap::new();
        let mut seen: HashSet<(i64, i64)> = HashSet::new();
        for (_, _, v) in records(&out) {
            let op = v["op"].as_str().unwrap();
            let row = if op == "delete" { &v["before"] } else { &v["after"] };
            let id = row["id"].as_i64().unwrap();
            match op {
                "read" | "insert" => {
                    let version = row["version"].as_i64().unwrap();
                    assert!(state.insert(id, version).is_none(), "row {id} appears twice");
                    assert!(seen.insert((id, version)), "{id} v{version} twice");
                }
                "update" => {
                    let version = row["version"].as_i64().unwrap();
                    let old = state.insert(id, version).expect("update of a row never seen");
                    assert_eq!(old + 1, version, "row {id}: a version missed or repeated");
                    assert!(seen.insert((id, version)), "{id} v{version} twice");
                }
                "delete" => {
                    assert!(state.remove(&id).is_some(), "delete of a row never seen: {id}");
                }
                other => panic!("unexpected {other}"),
            }
        }
        let table: BTreeMap<i64, i64> = pg
            .psql("postgres", "COPY (SELECT id, version FROM t ORDER BY id) TO STDOUT")
            .unwrap()
            .lines()
            .map(|l| {
                let (a, b) = l.split_once('\t').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        assert_eq!(state.len(), table.len());
        assert!(state == table, "the replayed file differs from the table");
    }
}

/// How many chunks of `table` the progress file says are finished (0 without a file).
fn finished_chunks(file: &Path, table: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(file) else {
        return 0;
    };
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return 0;
    };
    value["tables"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == table)
        .and_then(|t| t["finished"].as_array())
        .map_or(0, Vec::len)
}

/// Commits 100 transactions on `a`, `c` and `z` (never `big`): version bumps, inserts and
/// deletes.
fn write_round(pg: &TestCluster, round: i32) {
    pg.psql(
        "postgres",
        &format!(
            "
        DO $$ BEGIN FOR i IN 1..100 LOOP
          UPDATE a SET version = version + 1 WHERE id = (i * 37 + {round}) % 2000 + 1;
          UPDATE c SET version = version + 1 WHERE id = (i * 53 + {round}) % 2000 + 1;
          UPDATE z SET version = version + 1 WHERE id = (i * 71 + {round}) % 2000 + 1;
          INSERT INTO z VALUES (100000 * {round} + i, 0);
          INSERT INTO a VALUES (100000 * {round} + i, 0);
          DELETE FROM c WHERE id = (i * 13 + {round} * 7) % 2000 + 1;
          COMMIT;
        END LOOP; END $$;"
        ),
    )
    .unwrap();
}

/// (id, version) of every row of `table`.
fn table_state(pg: &TestCluster, table: &str) -> BTreeMap<i64, i64> {
    pg.psql(
        "postgres",
        &format!("COPY (SELECT id, version FROM {table}) TO STDOUT"),
    )
    .unwrap()
    .lines()
    .map(|l| {
        let (a, b) = l.split_once('\t').unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    })
    .collect()
}

pgcdc_testkit::pg_test! {
    timeout_secs = 900;
    async fn a_stopped_snapshot_continues_where_it_stopped(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE a (id int PRIMARY KEY, version int NOT NULL);
            CREATE TABLE big (id int PRIMARY KEY, version int NOT NULL, pad text);
            CREATE TABLE c (id int PRIMARY KEY, version int NOT NULL);
            CREATE TABLE z (id int PRIMARY KEY, version int NOT NULL);
            INSERT INTO a SELECT i, 0 FROM generate_series(1, 2000) i;
            INSERT INTO big SELECT i, 0, 'x' FROM generate_series(1, 400000) i;
            INSERT INTO c SELECT i, 0 FROM generate_series(1, 2000) i;
            INSERT INTO z SELECT i, 0 FROM generate_series(1, 2000) i;
        ").unwrap();
        let chunk_rows: usize = scalar(&pg, "postgres", "SELECT count(*) FROM big WHERE ctid < '(16,0)'").parse().unwrap();
        let out = dir.path().join("out.jsonl");
        let progress = progress_file(&pg, "postgres", "snap");
        let sets = [
            ("pgcdc.snapshot.chunk.pages", "16"),
            ("snapshot.max.threads", "2"),
            ("snapshot.fetch.size", "500"),
        ];

        // A stop (SIGTERM) in the middle of `big`, with writes to the other tables meanwhile.
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args(&pg, &out, &sets, "plain"));
        wait_until(LIMIT, "the in-progress slot", || slot_exists(&pg, "snap_snapshot")).await;
        write_round(&pg, 1);
        wait_until(LIMIT, "finished chunks of big", || finished_chunks(&progress, "public.big") >= 3).await;
        assert!(!slot_exists(&pg, "snap"), "the snapshot ended before the stop");
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success());
        assert!(pgcdc.stderr().contains("its progress is kept"), "{}", pgcdc.stderr());
        assert!(slot_exists(&pg, "snap_snapshot"), "the in-progress slot keeps the WAL");
        let first = finished_chunks(&progress, "public.big");
        write_round(&pg, 2);

        // Continued, then killed (kill -9) further on in `big`.
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args(&pg, &out, &sets, "plain"));
        wait_until(LIMIT, "more finished chunks of big", || finished_chunks(&progress, "public.big") >= first + 3).await;
        assert!(!slot_exists(&pg, "snap"), "the snapshot ended before the kill");
        write_round(&pg, 3);
        pgcdc.signal(Signal::SIGKILL);
        pgcdc.wait(LIMIT).await;
        let continued = pgcdc.stderr();
        assert!(continued.contains("continuing the interrupted snapshot"), "{continued}");
        assert!(continued.contains("reading only its unfinished chunks"), "{continued}");
        write_round(&pg, 4);

        // Continued to the end, then streaming.
        let stderr = drain(&pg, &out, &sets, "plain").await;
        assert!(stderr.contains("continuing the interrupted snapshot"), "{stderr}");
        assert!(stderr.contains("snapshot complete"), "{stderr}");
        assert!(slot_exists(&pg, "snap"));
        assert!(!slot_exists(&pg, "snap_snapshot"), "the in-progress slot is dropped");
        pg.psql("postgres", "
            UPDATE big SET version = version + 1 WHERE id <= 10;
            DELETE FROM big WHERE id = 400000;
        ").unwrap();
        write_round(&pg, 5);
        drain(&pg, &out, &sets, "plain").await;
        assert!(!progress.exists(), "the progress file goes once the stream is past the snapshot");

        // Replay the file per table: a read or insert makes a row exist, an update bumps its
        // version by one, a delete removes it. For a, c and z every row version is seen exactly
        // once; `big` has duplicate reads only from the chunks in flight at the two stops.
        let mut state: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut big_reads = 0usize;
        for (_, _, v) in records(&out) {
            let op = v["op"].as_str().unwrap();
            let table = v["table"].as_str().unwrap().to_owned();
            let row = if op == "delete" { &v["before"] } else { &v["after"] };
            let key = (table.clone(), row["id"].as_i64().unwrap());
            match op {
                "read" if table == "big" => {
                    big_reads += 1;
                    state.insert(key, row["version"].as_i64().unwrap());
                }
                "read" | "insert" => {
                    let version = row["version"].as_i64().unwrap();
                    assert!(state.insert(key.clone(), version).is_none(), "{key:?} appears twice");
                }
                "update" => {
                    let version = row["version"].as_i64().unwrap();
                    let old = state.insert(key.clone(), version).unwrap_or_else(|| panic!("update of a row never seen: {key:?} {v}"));
                    assert_eq!(old + 1, version, "{key:?}: a version missed or repeated");
                }
                "delete" => {
                    assert!(state.remove(&key).is_some(), "delete of a row never seen: {key:?}");
                }
                other => panic!("unexpected {other}"),
            }
        }
        let duplicates = big_reads - 400_000;
        assert!(duplicates <= 2 * chunk_rows, "{duplicates} rows of big read twice: finished chunks were read again (a chunk holds {chunk_rows})");
        for table in ["a", "big", "c", "z"] {
            let replayed: BTreeMap<i64, i64> = state
                .iter()
                .filter(|((t, _), _)| t == table)
                .map(|((_, id), v)| (*id, *v))
                .collect();
            assert!(replayed == table_state(&pg, table), "the replayed {table} differs from the table");
        }
    }
}

/// The table `big` of 300,000 rows.
fn create_big(pg: &TestCluster) {
    pg.psql(
        "postgres",
        "CREATE TABLE big (id int PRIMARY KEY, v text);
         INSERT INTO big SELECT i, 'x' FROM generate_series(1, 300000) i;",
    )
    .unwrap();
}

/// Starts a snapshot of the 300,000-row table `big` into `out` with the slot `slot`, stops it
/// with SIGTERM once two of its chunks are finished, and returns how many rows it wrote.
async fn stop_a_snapshot_of_big(
    pg: &TestCluster,
    dir: &Path,
    out: &Path,
    sets: &[(&str, &str)],
    slot: &str,
) -> usize {
    let progress = progress_file(pg, "postgres", slot);
    let mut pgcdc = Pgcdc::spawn(dir, &args(pg, out, sets, "plain"));
    wait_until(LIMIT, "finished chunks", || {
        finished_chunks(&progress, "public.big") >= 2
    })
    .await;
    assert!(
        !slot_exists(pg, slot),
        "{slot}: the snapshot ended before the stop"
    );
    pgcdc.signal(Signal::SIGTERM);
    assert!(pgcdc.wait(LIMIT).await.success());
    let partial = reads(out);
    assert!(
        partial > 0 && partial < 300_000,
        "{slot}: {partial} rows before the stop"
    );
    partial
}

pgcdc_testkit::pg_test! {
    timeout_secs = 900;
    async fn a_snapshot_that_cannot_be_continued_starts_over(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        create_big(&pg);
        for (case, says) in [
            ("the progress file is deleted", "there is no progress file"),
            ("the in-progress slot is dropped", "is not (dropped?)"),
            ("the progress file is damaged", "is damaged"),
        ] {
            let slot = format!("s{}", says.len());
            let out = dir.path().join(format!("{slot}.jsonl"));
            let sets = [("slot.name", slot.as_str()), ("pgcdc.snapshot.chunk.pages", "16"), ("snapshot.fetch.size", "500")];
            let progress = progress_file(&pg, "postgres", &slot);
            let partial = stop_a_snapshot_of_big(&pg, dir.path(), &out, &sets, &slot).await;
            match case {
                "the progress file is deleted" => std::fs::remove_file(&progress).unwrap(),
                "the in-progress slot is dropped" => {
                    pg.psql("postgres", &format!("SELECT pg_drop_replication_slot('{slot}_snapshot')")).unwrap();
                }
                _ => std::fs::write(&progress, "{\"version\": 1, \"tables\": [").unwrap(),
            }
            let stderr = drain(&pg, &out, &sets, "plain").await;
            assert!(stderr.contains("cannot be continued, so the snapshot starts over"), "{case}: {stderr}");
            assert!(stderr.contains(says), "{case}: {stderr}");
            assert_eq!(reads(&out), partial + 300_000, "{case}: the new snapshot is complete");
            assert!(slot_exists(&pg, &slot));
            assert!(!slot_exists(&pg, &format!("{slot}_snapshot")), "{case}");
        }
    }
}

pgcdc_testkit::pg_test! {
    timeout_secs = 900;
    async fn a_partly_read_table_that_changed_is_read_again(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        create_big(&pg);
        let out = dir.path().join("out.jsonl");
        let sets = [("pgcdc.snapshot.chunk.pages", "16"), ("snapshot.fetch.size", "500")];
        let partial = stop_a_snapshot_of_big(&pg, dir.path(), &out, &sets, "snap").await;
        // A change of the partly delivered table while pgcdc is stopped: its finished chunks no
        // longer show it as it is, so it is read whole again and its changes are streamed.
        pg.psql("postgres", "UPDATE big SET v = 'changed' WHERE id = 1").unwrap();
        let stderr = drain(&pg, &out, &sets, "plain").await;
        assert!(stderr.contains("continuing the interrupted snapshot"), "{stderr}");
        assert!(stderr.contains("changed since"), "{stderr}");
        assert!(!stderr.contains("reading only its unfinished chunks"), "{stderr}");
        let all = plain(&out);
        let reads = all.iter().filter(|(op, _, _)| op == "read").count();
        assert_eq!(reads, partial + 300_000, "read whole again");
        let last_read_of_1 = all.iter().rposition(|(op, _, a)| op == "read" && a["id"] == 1).unwrap();
        assert_eq!(all[last_read_of_1].2["v"], "changed");
        let update = all.iter().position(|(op, _, a)| op == "update" && a["id"] == 1).expect("the update is streamed");
        assert!(update > last_read_of_1);
        assert_eq!(all.iter().filter(|(op, _, _)| op == "update").count(), 1);
    }
}

pgcdc_testkit::pg_test! {
    async fn snapshot_progress_in_metrics(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE a (id int PRIMARY KEY, v text);
            CREATE TABLE b (id int PRIMARY KEY);
            CREATE TABLE c (id int PRIMARY KEY);
            INSERT INTO a SELECT i, 'row ' || i FROM generate_series(1, 3000) i;
            INSERT INTO b VALUES (1), (2);
        ").unwrap();
        let out = dir.path().join("out.jsonl");
        let mut run = args(&pg, &out, &[("pgcdc.snapshot.chunk.pages", "4")], "plain");
        run.extend(["--http".to_owned(), "127.0.0.1:0".to_owned()]);
        let mut pgcdc = Pgcdc::spawn(dir.path(), &run);
        let address = audit_common::http_address(&pgcdc).await;
        wait_until(LIMIT, "the snapshot", || slot_exists(&pg, "snap")).await;
        let metrics = audit_common::get(&address, "/metrics", None).await.body;
        let value = |name: &str| -> i64 {
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} missing:\n{metrics}"))
                .parse()
                .unwrap()
        };
        let pages: i64 = scalar(&pg, "postgres", "SELECT pg_relation_size('a') / 8192").parse().unwrap();
        assert_eq!(value("pgcdc_snapshot_tables_total"), 3);
        assert_eq!(value("pgcdc_snapshot_tables_done"), 3);
        assert_eq!(value("pgcdc_snapshot_chunks_total"), (pages + 3) / 4 + 2);
        assert_eq!(value("pgcdc_snapshot_chunks_done"), value("pgcdc_snapshot_chunks_total"));
        assert_eq!(value("pgcdc_snapshot_rows"), 3002);
        assert!(value("pgcdc_snapshot_estimated_rows") >= 0);
        assert_eq!(value("pgcdc_snapshot_running"), 0);
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(LIMIT).await.success());
    }
}

pgcdc_testkit::pg_test! {
    async fn every_snapshot_mode(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE a (id int PRIMARY KEY);
            INSERT INTO a VALUES (1), (2);
        ").unwrap();

        // no_data (and its old name never): no snapshot, the slot is made.
        for (mode, slot) in [("no_data", "s_nodata"), ("never", "s_never")] {
            let out = dir.path().join(format!("{mode}.jsonl"));
            drain(&pg, &out, &[("snapshot.mode", mode), ("slot.name", slot)], "plain").await;
            assert_eq!(reads(&out), 0, "{mode}");
            assert!(slot_exists(&pg, slot));
        }

        // initial_only: the snapshot, then stop by itself (no --end-lsn).
        let out = dir.path().join("initial_only.jsonl");
        let (status, _, stderr) = run_pgcdc(
            &args(&pg, &out, &[("snapshot.mode", "initial_only"), ("slot.name", "s_only")], "plain"),
            LIMIT,
        ).await;
        assert!(status.success(), "{stderr}");
        assert_eq!(reads(&out), 2);
        assert!(slot_exists(&pg, "s_only"));
        // Run again: the slot exists, nothing to do.
        let (status, _, stderr) = run_pgcdc(
            &args(&pg, &out, &[("snapshot.mode", "initial_only"), ("slot.name", "s_only")], "plain"),
            LIMIT,
        ).await;
        assert!(status.success(), "{stderr}");
        assert!(stderr.contains("nothing to do"), "{stderr}");
        assert_eq!(reads(&out), 2);

        // initial and when_needed: once; always: at every start.
        for mode in ["initial", "when_needed", "always"] {
            let rows: usize = scalar(&pg, "postgres", "SELECT count(*) FROM a").parse().unwrap();
            let out = dir.path().join(format!("{mode}.jsonl"));
            let slot = format!("s_{mode}");
            let sets = [("snapshot.mode", mode), ("slot.name", slot.as_str())];
            drain(&pg, &out, &sets, "plain").await;
            assert_eq!(reads(&out), rows, "{mode}, first start");
            pg.psql("postgres", "INSERT INTO a VALUES (100 + (SELECT count(*) FROM a))").unwrap();
            drain(&pg, &out, &sets, "plain").await;
            let all = plain(&out);
            let reads_now = all.iter().filter(|(op, _, _)| op == "read").count();
            let inserts = all.iter().filter(|(op, _, _)| op == "insert").count();
            let again = if mode == "always" { rows + 1 } else { 0 };
            assert_eq!(reads_now, rows + again, "{mode}, second start");
            assert_eq!(inserts, usize::from(mode != "always"), "{mode}: the insert is streamed, or in the new snapshot");
        }
    }
}

pgcdc_testkit::pg_test! {
    async fn include_list_and_select_overrides(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "
            CREATE TABLE a (id int PRIMARY KEY, v text);
            CREATE TABLE b (id int PRIMARY KEY, v text);
            CREATE TABLE c (id int PRIMARY KEY);
            INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z');
            INSERT INTO b VALUES (1, 'x');
            INSERT INTO c VALUES (1);
        ").unwrap();
        let out = dir.path().join("out.jsonl");
        drain(&pg, &out, &[
            ("snapshot.include.collection.list", "public\\.(a|b)"),
            ("snapshot.select.statement.overrides", "public.a"),
            ("snapshot.select.statement.overrides.public.a", "SELECT * FROM public.a WHERE id >= 2 ORDER BY id DESC"),
        ], "plain").await;
        let all = plain(&out);
        let got: Vec<(String, i64)> = all.iter().map(|(_, t, a)| (t.clone(), a["id"].as_i64().unwrap())).collect();
        assert_eq!(got, [("a".to_owned(), 3), ("a".to_owned(), 2), ("b".to_owned(), 1)]);

        // An override that returns other columns is a clear error.
        let out = dir.path().join("bad.jsonl");
        let mut bad = args(&pg, &out, &[
            ("slot.name", "snap_bad"),
            ("snapshot.select.statement.overrides", "public.a"),
            ("snapshot.select.statement.overrides.public.a", "SELECT id FROM public.a"),
        ], "plain");
        bad.extend(["--end-lsn".to_owned(), wal_flush_lsn(&pg)]);
        let (status, _, stderr) = run_pgcdc(&bad, LIMIT).await;
        assert!(!status.success());
        assert!(stderr.contains("must return the table's columns"), "{stderr}");
        assert!(!slot_exists(&pg, "snap_bad"), "a failed snapshot leaves no slot");
    }
}

pgcdc_testkit::pg_test! {
    async fn bad_snapshot_settings_are_clear_errors(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        for (key, value, says) in [
            ("snapshot.mode", "sometimes", "use initial, initial_only, no_data (or never), always or when_needed"),
            ("snapshot.max.threads", "0", "use a whole number above 0"),
            ("snapshot.fetch.size", "lots", "use a whole number above 0"),
            ("snapshot.select.statement.overrides", "public.a", "set snapshot.select.statement.overrides.public.a"),
        ] {
            let (status, _, stderr) = run_pgcdc(&args(&pg, &out, &[(key, value)], "plain"), LIMIT).await;
            assert!(!status.success(), "{key}={value}");
            assert!(stderr.contains(key) && stderr.contains(says), "{key}={value}: {stderr}");
        }
    }
}
