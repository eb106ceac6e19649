//! Helpers for tests that run the `pgcdc` binary against a throwaway cluster.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use pgcdc_testkit::TestCluster;
use serde_json::Value;

/// A running `pgcdc` process; killed when dropped.
pub struct Pgcdc {
    child: tokio::process::Child,
    stderr_path: PathBuf,
}

impl Pgcdc {
    /// Starts `pgcdc ARGS`, its standard error going to a file in `dir`.
    pub fn spawn(dir: &Path, args: &[String]) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stderr_path = dir.join(format!("pgcdc-{n}.stderr"));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgcdc"))
            .args(args)
            .env("PGCDC_LOG", "info,pgcdc=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self { child, stderr_path }
    }

    /// What it wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits for it to exit.
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => status.unwrap(),
            Err(_) => panic!(
                "pgcdc did not exit within {limit:?}; stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Sends a signal.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }
}

impl Drop for Pgcdc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("----- pgcdc stderr -----\n{}\n-----", self.stderr());
        }
    }
}

/// Runs `pgcdc ARGS` to completion and returns (status, stdout, stderr).
pub async fn run_pgcdc(
    args: &[String],
    limit: Duration,
) -> (std::process::ExitStatus, String, String) {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgcdc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("pgcdc {args:?} did not finish within {limit:?}"))
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `--url` for the cluster's `database`.
pub fn url(pg: &TestCluster, database: &str) -> String {
    pg.url(database)
}

/// Arguments: `--url URL --set k=v ...`; unless `sets` name one, the snapshot's progress file
/// is [`progress_file`] (not in the working directory that tests share).
pub fn source_args(pg: &TestCluster, database: &str, sets: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["--url".to_owned(), url(pg, database)];
    for (key, value) in sets {
        args.push("--set".to_owned());
        args.push(format!("{key}={value}"));
    }
    if !sets
        .iter()
        .any(|(k, _)| *k == "pgcdc.snapshot.progress.file")
    {
        let slot = sets
            .iter()
            .rev()
            .find(|(k, _)| *k == "slot.name")
            .map_or("debezium", |(_, v)| *v);
        args.push("--set".to_owned());
        args.push(format!(
            "pgcdc.snapshot.progress.file={}",
            progress_file(pg, database, slot).display()
        ));
    }
    args
}

/// The snapshot's progress file of `slot` in `database`, next to the cluster's data directory
/// (removed with it).
pub fn progress_file(pg: &TestCluster, database: &str, slot: &str) -> PathBuf {
    pg.data_dir()
        .with_file_name(format!("pgcdc-snapshot-{database}-{slot}.json"))
}

/// The records of a file sink: (topic, key, value) per line.
pub fn records(path: &Path) -> Vec<(String, Value, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let record: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"));
            (
                record["topic"].as_str().unwrap().to_owned(),
                record["key"].clone(),
                record["value"].clone(),
            )
        })
        .collect()
}

/// Runs an SQL statement and returns its single value as text.
pub fn scalar(pg: &TestCluster, database: &str, sql: &str) -> String {
    pg.psql(database, sql).unwrap().trim().to_owned()
}

/// The slot's confirmed position (`None` when it has none or does not exist).
pub fn confirmed_flush(pg: &TestCluster, slot: &str) -> Option<pgoutput::Lsn> {
    let text = scalar(
        pg,
        "postgres",
        &format!("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{slot}'"),
    );
    text.parse().ok()
}

/// Waits until `check` is true, polling every 100 ms, or panics after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The current WAL flush position.
pub fn wal_flush_lsn(pg: &TestCluster) -> String {
    scalar(pg, "postgres", "SELECT pg_current_wal_flush_lsn()")
}

/// Connector properties for the cluster's `postgres` database: slot and publication `name`,
/// `topic.prefix` `prefix`, then `extra`.
pub fn source_properties(
    pg: &TestCluster,
    name: &str,
    prefix: &str,
    extra: &[(&str, String)],
) -> std::collections::BTreeMap<String, String> {
    let mut properties: std::collections::BTreeMap<String, String> = [
        ("database.hostname", pg.host().to_owned()),
        ("database.port", pg.port().to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.dbname", "postgres".to_owned()),
        ("database.sslmode", "disable".to_owned()),
        ("slot.name", name.to_owned()),
        ("publication.name", name.to_owned()),
        ("topic.prefix", prefix.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    properties.insert(
        "pgcdc.snapshot.progress.file".to_owned(),
        progress_file(pg, "postgres", name).display().to_string(),
    );
    for (key, value) in extra {
        properties.insert((*key).to_owned(), value.clone());
    }
    properties
}
