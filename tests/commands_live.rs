//! The commands a user types, against PostgreSQL 15 and 18: every mistake a user can make is one
//! clear line and a non-zero exit that leaves the slot where it was; `check`, `slot` and
//! `capture` do what they say.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{confirmed_flush, run_pgcdc, scalar, source_args, wal_flush_lsn};
use pgcdc_testkit::{AuthMethod, RoleSpec, TestCluster, config, start, start_with};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs pgcdc and returns (success, last line of standard error, whole stdout).
async fn pgcdc(args: Vec<String>) -> (bool, String, String) {
    let (status, stdout, stderr) = run_pgcdc(&args, LIMIT).await;
    let last = stderr.lines().last().unwrap_or_default().to_owned();
    (status.success(), last, stdout)
}

fn args(command: &[&str], pg: &TestCluster, sets: &[(&str, &str)]) -> Vec<String> {
    let mut all: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
    all.extend(source_args(pg, "postgres", sets));
    all
}

fn run_to_end(pg: &TestCluster, sets: &[(&str, &str)], out: &std::path::Path) -> Vec<String> {
    let mut all = args(&["run"], pg, sets);
    all.extend([
        "--sink".to_owned(),
        format!("file:{}", out.display()),
        "--end-lsn".to_owned(),
        wal_flush_lsn(pg),
        "--format".to_owned(),
        "plain".to_owned(),
    ]);
    all
}

pgcdc_testkit::pg_test! {
    async fn user_mistakes_are_one_clear_line(version: PgVersion) {
        let pg = start_with(config(version).role(RoleSpec::new("alice", "secret", AuthMethod::ScramSha256).replication()));
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");

        // Nothing listens on the port.
        let (ok, line, _) = pgcdc(vec!["run".into(), "--url".into(), "postgres://postgres@127.0.0.1:1/postgres".into(), "--end-lsn".into(), "0/1".into(), "--format".into(), "plain".into()]).await;
        assert!(!ok);
        assert!(line.starts_with("error: cannot connect to 127.0.0.1:1") && line.contains("is PostgreSQL running there"), "{line}");

        // A wrong password.
        let wrong = format!("postgres://alice:nope@127.0.0.1:{}/postgres", pg.port());
        let (ok, line, _) = pgcdc(vec!["run".into(), "--url".into(), wrong, "--end-lsn".into(), "0/1".into(), "--format".into(), "plain".into()]).await;
        assert!(!ok);
        assert!(line.contains("password authentication failed for user \"alice\""), "{line}");

        // Bad settings name the key.
        let (ok, line, _) = pgcdc(args(&["run"], &pg, &[("publication.autocreate.mode", "sometimes")])).await;
        assert!(!ok);
        assert!(line.contains("publication.autocreate.mode: \"sometimes\" is not valid"), "{line}");
        let (ok, line, _) = pgcdc(vec!["run".into()]).await;
        assert!(!ok);
        assert!(line.contains("no source database given"), "{line}");
        let (ok, _, _) = pgcdc(args(&["run", "--end-lsn", "16/XYZ"], &pg, &[])).await;
        assert!(!ok, "a bad LSN is refused");
        let (status, _, stderr) = run_pgcdc(&args(&["run", "--end-lsn", "16/XYZ"], &pg, &[]), LIMIT).await;
        assert!(!status.success() && stderr.contains("is not an LSN"), "{stderr}");
        let (status, _, stderr) = run_pgcdc(&args(&["run", "--sink", "kafkaa"], &pg, &[]), LIMIT).await;
        assert!(!status.success() && stderr.contains("unknown sink \"kafkaa\": use stdout, file:PATH"), "{stderr}");
        let (status, _, stderr) = run_pgcdc(&args(&["run", "--sink", "kafka"], &pg, &[("topic.prefix", "app")]), LIMIT).await;
        assert!(!status.success() && stderr.contains("set kafka.bootstrap.servers=host:9092"), "{stderr}");

        // A missing publication that may not be created; nothing is created either.
        let (ok, line, _) = pgcdc(run_to_end(&pg, &[("publication.autocreate.mode", "disabled"), ("publication.name", "nopub")], &out)).await;
        assert!(!ok);
        assert!(line.contains("publication \"nopub\" does not exist and publication.autocreate.mode=disabled"), "{line}");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots"), "0");

        // Replaying a slot that does not exist.
        let (ok, line, _) = pgcdc(args(&["replay", "--slot", "missing", "--end-lsn", "0/1", "--format", "plain"], &pg, &[])).await;
        assert!(!ok);
        assert!(line.contains("replication slot \"missing\" does not exist"), "{line}");

        // A slot another consumer is reading: refused, and the slot does not move.
        let (ok, _, _) = pgcdc(run_to_end(&pg, &[("slot.name", "busy")], &out)).await;
        assert!(ok);
        pg.psql("postgres", "INSERT INTO t VALUES (1)").unwrap();
        let before = confirmed_flush(&pg, "busy");
        let mut other = std::process::Command::new(pg.installation().program("pg_recvlogical"))
            .args(["-h", "127.0.0.1", "-p", &pg.port().to_string(), "-U", "postgres", "-d", "postgres", "--slot", "busy", "--start", "-f", "/dev/null", "-o", "proto_version=1", "-o", "publication_names=dbz_publication", "-s", "3600", "-F", "0"])
            .spawn()
            .unwrap();
        common::wait_until(LIMIT, "the other consumer", || scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'busy' AND active_pid IS NOT NULL") == "1").await;
        let (ok, line, _) = pgcdc(run_to_end(&pg, &[("slot.name", "busy"), ("pgcdc.slot.busy.wait.ms", "500")], &out)).await;
        let (check_ok, _, check_out) = pgcdc(args(&["check"], &pg, &[("slot.name", "busy")])).await;
        other.kill().unwrap();
        other.wait().unwrap();
        assert!(!ok);
        assert!(line.contains("replication slot \"busy\" is active for PID"), "{line}");
        assert_eq!(confirmed_flush(&pg, "busy"), before, "the slot did not move");
        assert!(!check_ok);
        assert!(check_out.contains("FAIL  slot \"busy\" is in use by another process (PID"), "{check_out}");
    }
}

pgcdc_testkit::pg_test! {
    async fn wal_level_replica_is_explained(version: PgVersion) {
        let pg = start_with(config(version).setting("wal_level", "replica"));
        let dir = tempfile::tempdir().unwrap();
        let (ok, line, _) = pgcdc(run_to_end(&pg, &[], &dir.path().join("o"))).await;
        assert!(!ok);
        assert!(line.contains("wal_level is replica") && line.contains("ALTER SYSTEM SET wal_level = logical"), "{line}");
        let (ok, _, stdout) = pgcdc(args(&["check"], &pg, &[])).await;
        assert!(!ok);
        assert!(stdout.contains("FAIL  wal_level = replica"), "{stdout}");
    }
}

pgcdc_testkit::pg_test! {
    async fn check_reports_what_to_fix(version: PgVersion) {
        let pg = start_with(config(version).role(RoleSpec::new("bob", "pw", AuthMethod::ScramSha256)));
        pg.psql("postgres", "CREATE TABLE good (id int PRIMARY KEY); CREATE TABLE nokey (v text); CREATE TABLE full_rows (id int PRIMARY KEY); ALTER TABLE full_rows REPLICA IDENTITY FULL;").unwrap();

        let (ok, _, stdout) = pgcdc(args(&["check"], &pg, &[("table.exclude.list", "public.nokey")])).await;
        assert!(ok, "{stdout}");
        for expected in ["ok    wal_level = logical", "ok    role \"postgres\" may replicate", "ok    replication connection works", "will create it", "2 table(s) captured", "public.good"] {
            assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
        }

        let (ok, _, stdout) = pgcdc(args(&["check"], &pg, &[])).await;
        assert!(!ok, "a table without a key fails");
        assert!(stdout.contains("FAIL  table public.nokey has no primary key"), "{stdout}");
        assert!(stdout.contains("REPLICA IDENTITY FULL"), "{stdout}");

        let bob = format!("postgres://bob:pw@127.0.0.1:{}/postgres", pg.port());
        let (ok, _, stdout) = pgcdc(vec!["check".into(), "--url".into(), bob, "--set".into(), "table.exclude.list=public.nokey".into()]).await;
        assert!(!ok);
        assert!(stdout.contains("FAIL  role \"bob\" lacks the REPLICATION attribute"), "{stdout}");
        assert!(stdout.contains("ALTER ROLE \"bob\" REPLICATION"), "{stdout}");
    }
}

pgcdc_testkit::pg_test! {
    async fn slot_commands(version: PgVersion) {
        let pg = start(version);
        let (ok, _, stdout) = pgcdc(args(&["slot", "create", "s9"], &pg, &[])).await;
        assert!(ok, "{stdout}");
        assert!(stdout.contains("created replication slot \"s9\""));
        let (ok, line, _) = pgcdc(args(&["slot", "create", "s9"], &pg, &[])).await;
        assert!(!ok && line.contains("already exists"), "{line}");
        let (ok, _, stdout) = pgcdc(args(&["slot", "list"], &pg, &[])).await;
        assert!(ok);
        assert!(stdout.lines().any(|l| l.starts_with("s9 ") && l.contains("pgoutput") && l.contains("reserved")), "{stdout}");
        let (ok, _, stdout) = pgcdc(args(&["slot", "drop", "s9"], &pg, &[])).await;
        assert!(ok, "{stdout}");
        let (ok, line, _) = pgcdc(args(&["slot", "drop", "s9"], &pg, &[])).await;
        assert!(!ok && line.contains("does not exist"), "{line}");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots"), "0");
    }
}

pgcdc_testkit::pg_test! {
    async fn capture_records_raw_frames_up_to_the_end(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION dbz_publication FOR ALL TABLES;").unwrap();
        let (ok, _, _) = pgcdc(args(&["slot", "create"], &pg, &[])).await;
        assert!(ok);
        pg.psql("postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g; UPDATE t SET v = 'x' WHERE id <= 10;").unwrap();
        let end = wal_flush_lsn(&pg);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("capture.pgcdcraw");
        let mut all = args(&["capture", "--end-lsn", &end, "--raw", file.to_str().unwrap()], &pg, &[]);
        all.insert(1, "--slot".into());
        all.insert(2, "debezium".into());
        let (ok, line, _) = pgcdc(all).await;
        assert!(ok, "{line}");

        let reader = pgoutput::capture::CaptureReader::new(Bytes::from(std::fs::read(&file).unwrap())).unwrap();
        let mut decoder = pgoutput::Decoder::new();
        let (mut inserts, mut updates) = (0, 0);
        for frame in reader {
            if let pgoutput::ReplicationMessage::XLogData(x) = pgoutput::ReplicationMessage::decode(frame.unwrap()).unwrap() {
                match decoder.decode(x.data).unwrap() {
                    pgoutput::Message::Insert(_) => inserts += 1,
                    pgoutput::Message::Update(_) => updates += 1,
                    _ => {}
                }
            }
        }
        assert_eq!((inserts, updates), (5000, 10));
        assert_eq!(scalar(&pg, "postgres", "SELECT confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn < pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = 'debezium'"), "t", "the slot itself did not move");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_replication_slots"), "1", "the copy is gone");
    }
}

pgcdc_testkit::pg_test! {
    async fn a_slot_that_lost_its_wal_is_refused(version: PgVersion) {
        let pg = start_with(config(version).setting("max_slot_wal_keep_size", "1MB"));
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let (ok, line, _) = pgcdc(run_to_end(&pg, &[], &out)).await;
        assert!(ok, "{line}");
        // Make the server remove WAL the slot still needs.
        for _ in 0..4 {
            pg.psql("postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g ON CONFLICT (id) DO UPDATE SET v = excluded.v; SELECT pg_switch_wal();").unwrap();
        }
        pg.psql("postgres", "CHECKPOINT; CHECKPOINT;").unwrap();
        assert_eq!(scalar(&pg, "postgres", "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'debezium'"), "lost");

        let (ok, line, _) = pgcdc(run_to_end(&pg, &[], &out)).await;
        assert!(!ok);
        assert!(line.contains("has lost WAL it needed (wal_status = lost)"), "{line}");
        let (ok, _, stdout) = pgcdc(args(&["check"], &pg, &[])).await;
        assert!(!ok);
        assert!(stdout.contains("FAIL  slot \"debezium\" has lost WAL it needed"), "{stdout}");
    }
}

pgcdc_testkit::pg_test! {
    async fn publication_autocreate_no_tables(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (ok, line, _) = pgcdc(run_to_end(&pg, &[("publication.autocreate.mode", "no_tables"), ("publication.name", "empty_pub")], &dir.path().join("o"))).await;
        assert!(ok, "{line}");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_publication WHERE pubname = 'empty_pub' AND NOT puballtables"), "1");
        assert_eq!(scalar(&pg, "postgres", "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'empty_pub'"), "0");
    }
}

pgcdc_testkit::pg_test! {
    async fn check_finds_no_free_slot(version: PgVersion) {
        let pg = start_with(config(version).setting("max_replication_slots", "1"));
        pg.psql("postgres", "CREATE TABLE t (id int PRIMARY KEY); SELECT pg_create_logical_replication_slot('other', 'pgoutput');").unwrap();
        let (ok, _, stdout) = pgcdc(args(&["check"], &pg, &[])).await;
        assert!(!ok);
        assert!(stdout.contains("FAIL  all 1 replication slots are in use (max_replication_slots)"), "{stdout}");
        assert!(stdout.contains("raise max_replication_slots"), "{stdout}");
    }
}
