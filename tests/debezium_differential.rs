//! pgcdc against the real Debezium 3.6.3 PostgreSQL connector, on the same server and the same
//! changes: every case in `tests/data/differential/cases/` runs under both, and their records
//! must be identical (topic, key, value and headers, in the same order on each topic) after
//! masking only the fields that differ from run to run (see `pgcdc_testkit::records::mask`).
//!
//! A case is a `.properties` file: Debezium's connector and converter settings, given to both,
//! plus `differential.workload` (a psql script with a schema part and a changes part, relative
//! to `tests/data/differential/`) and `differential.mode`: `stream` (the changes are made while
//! both stream) or `snapshot` (the changes are made before either starts). Cases with the same
//! workload and mode share one database and one run of the changes: each gets its own Debezium
//! slot and its own pgcdc slot on the same publication, and all Debezium connectors of the
//! group run in one JVM. After the changes, a logical decoding message (the end marker) tells
//! each Debezium connector that it has everything; pgcdc streams up to the WAL position after
//! it. Runs on PostgreSQL 15 and 18 (whose test build has no libxml: statements on `*xml*`
//! tables are left out there).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use pgcdc_testkit::debezium::{
    Connector, DebeziumRun, END_MARKER, connector_defaults, end_marker_sql,
};
use pgcdc_testkit::records::{RecordLine, pgcdc_to_file};
use pgcdc_testkit::{TestCluster, config, start_with};
use regex::Regex;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/differential");

/// The harness's own keys in a case file; all other keys go to Debezium and pgcdc.
const WORKLOAD_KEY: &str = "differential.workload";
const MODE_KEY: &str = "differential.mode";
const DIFFERING_KEY: &str = "differential.differing";

/// How long Debezium may take for one group, from the JVM's start to its last record.
const DEBEZIUM_LIMIT: Duration = Duration::from_secs(240);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// The changes are made while both stream.
    Stream,
    /// The changes are made before either starts (both take an initial snapshot).
    Snapshot,
}

#[derive(Debug)]
struct Case {
    name: String,
    workload: PathBuf,
    mode: Mode,
    /// `differential.differing=REGEX`: the topics the expression matches (whole topic) must
    /// differ and all others be identical (`pgcdc.debezium.bugs=fix` on a workload with some
    /// of Debezium's bugs).
    differing: Option<Regex>,
    /// Everything but the harness's keys.
    properties: BTreeMap<String, String>,
}

/// `PGCDC_DIFFERENTIAL_CASES=REGEX` runs only the cases whose names match (for a quick look at
/// a few; the suite runs them all).
static ONLY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    std::env::var("PGCDC_DIFFERENTIAL_CASES").ok().map(|only| {
        Regex::new(&only).expect("PGCDC_DIFFERENTIAL_CASES is not a regular expression")
    })
});

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(format!("{DATA}/cases")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "properties") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if ONLY.as_ref().is_some_and(|only| !only.is_match(&name)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut properties: BTreeMap<String, String> =
            pgcdc::config::connector::parse_properties(&text)
                .into_iter()
                .collect();
        let workload = properties
            .remove(WORKLOAD_KEY)
            .unwrap_or_else(|| panic!("{}: no {WORKLOAD_KEY}", path.display()));
        let mode = match properties.remove(MODE_KEY).as_deref() {
            None | Some("stream") => Mode::Stream,
            Some("snapshot") => Mode::Snapshot,
            Some(other) => panic!(
                "{}: {MODE_KEY}={other}: expected stream or snapshot",
                path.display()
            ),
        };
        let differing = properties.remove(DIFFERING_KEY).map(|expr| {
            Regex::new(&format!("^(?:{expr})$"))
                .unwrap_or_else(|e| panic!("{}: {DIFFERING_KEY}: {e}", path.display()))
        });
        cases.push(Case {
            name,
            workload: Path::new(DATA).join(workload),
            mode,
            differing,
            properties,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "no case in {DATA}/cases");
    cases
}

/// A name made of the characters PostgreSQL allows unquoted in slot names.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

static XML_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\S*xml\S*\s.*$").unwrap()
});

/// A workload's schema (`ddl`) or changes (`dml`) part; without the statements on `*xml*`
/// tables when the server cannot parse XML.
/// Runs a workload's `ddl` or `dml` part in `database`.
fn run_workload(pg: &TestCluster, database: &str, path: &Path, part: &str, has_xml: bool) {
    if let Err(error) = pg.psql(database, &workload_part(path, part, has_xml)) {
        panic!("the {part} part of {} failed: {error}", path.display());
    }
}

fn workload_part(path: &Path, part: &str, has_xml: bool) -> String {
    let sql = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read workload {}: {e}", path.display()));
    let sql = if has_xml {
        sql
    } else {
        XML_STATEMENT.replace_all(&sql, "").into_owned()
    };
    format!("\\set {part} 1\n{sql}")
}

fn flush_lsn(pg: &TestCluster) -> pgoutput::Lsn {
    pg.psql("postgres", "SELECT pg_current_wal_flush_lsn()")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The properties pgcdc gets for `case`: the case's, on the test cluster, with its own slot.
fn pgcdc_properties(pg: &TestCluster, database: &str, case: &Case) -> BTreeMap<String, String> {
    let mut props: BTreeMap<String, String> = [
        ("database.hostname", pg.host().to_owned()),
        ("database.port", pg.port().to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.dbname", database.to_owned()),
        ("database.sslmode", "disable".to_owned()),
        ("publication.name", "dbz_publication".to_owned()),
        ("topic.prefix", "oracle".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    props.extend(case.properties.clone());
    let slot = format!("pgcdc_{}", slug(&case.name));
    // The snapshot's progress file next to the cluster, not in the working directory.
    props.insert(
        "pgcdc.snapshot.progress.file".to_owned(),
        pg.data_dir()
            .with_file_name(format!("pgcdc-snapshot-{database}-{slot}.json"))
            .display()
            .to_string(),
    );
    props.insert("slot.name".to_owned(), slot);
    props
}

/// Polls `check` every 100 ms until it holds, panicking after `limit` or when Debezium exits.
async fn wait_for(
    debezium: &mut DebeziumRun,
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + limit;
    while !check() {
        if let Some(status) = debezium.finished() {
            panic!("Debezium exited ({status}) while waiting for {what}");
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the cases of one (workload, mode) group on a new database; returns the failures.
async fn run_group(pg: &TestCluster, dir: &Path, group: &[&Case], has_xml: bool) -> Vec<String> {
    let (workload, mode) = (&group[0].workload, group[0].mode);
    let stem = workload.file_stem().unwrap().to_str().unwrap();
    let database = slug(&format!("diff_{stem}_{mode:?}"));
    let dir = dir.join(&database);
    std::fs::create_dir_all(&dir).unwrap();
    pg.create_database(&database).unwrap();
    pg.psql(
        &database,
        "CREATE PUBLICATION dbz_publication FOR ALL TABLES",
    )
    .unwrap();
    run_workload(pg, &database, workload, "ddl", has_xml);
    if mode == Mode::Snapshot {
        run_workload(pg, &database, workload, "dml", has_xml);
    }

    // pgcdc's slots first (streaming cases), then Debezium's: all before the changes.
    let pgcdc_props: Vec<BTreeMap<String, String>> = group
        .iter()
        .map(|case| pgcdc_properties(pg, &database, case))
        .collect();
    if mode == Mode::Stream {
        for (case, props) in group.iter().zip(&pgcdc_props) {
            let out = dir.join(format!("{}.setup.jsonl", case.name));
            pgcdc_to_file(props, &out, flush_lsn(pg), false)
                .await
                .unwrap_or_else(|e| panic!("{}: pgcdc could not start: {e}", case.name));
        }
    }
    let connectors: Vec<Connector> = group
        .iter()
        .map(|case| {
            let slot = format!("dbz_{}", slug(&case.name));
            let mut properties = connector_defaults(pg.host(), pg.port(), &database, &slot, &dir);
            properties.extend(case.properties.clone());
            Connector {
                properties,
                output: dir.join(format!("{}.debezium.jsonl", case.name)),
            }
        })
        .collect();
    let started = Instant::now();
    let mut debezium = DebeziumRun::start(&dir, &connectors, DEBEZIUM_LIMIT);
    let slots: Vec<String> = connectors
        .iter()
        .map(|c| format!("'{}'", c.properties["slot.name"]))
        .collect();
    let active = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name IN ({})",
        slots.join(",")
    );
    wait_for(
        &mut debezium,
        Duration::from_secs(120),
        "Debezium's slots",
        || {
            pg.psql("postgres", &active)
                .is_ok_and(|n| n.trim() == slots.len().to_string())
        },
    )
    .await;
    if mode == Mode::Stream {
        run_workload(pg, &database, workload, "dml", has_xml);
    }
    pg.psql(&database, &end_marker_sql()).unwrap();

    let end = flush_lsn(pg);

    for (case, props) in group.iter().zip(&pgcdc_props) {
        let out = dir.join(format!("{}.pgcdc.jsonl", case.name));
        pgcdc_to_file(props, &out, end, false)
            .await
            .unwrap_or_else(|e| panic!("{}: pgcdc failed: {e}", case.name));
    }
    let deadline = started + DEBEZIUM_LIMIT + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = debezium.finished() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "Debezium did not reach the end marker within {DEBEZIUM_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "Debezium failed ({status})");
    eprintln!(
        "{database}: {} Debezium connectors done in {:.1} s",
        group.len(),
        started.elapsed().as_secs_f64()
    );
    drop(debezium);

    let mut failures = Vec::new();
    for (case, connector) in group.iter().zip(&connectors) {
        let want = RecordLine::read_masked(&connector.output).unwrap();
        let got: Vec<RecordLine> =
            RecordLine::read_masked(&dir.join(format!("{}.pgcdc.jsonl", case.name)))
                .unwrap()
                .into_iter()
                .filter(|r| !is_end_marker(r))
                .collect();
        assert!(
            !want.is_empty(),
            "{}: Debezium wrote no record at all",
            case.name
        );
        let topics = topic_differences(&want, &got);
        if let Some(differing) = &case.differing {
            let mut wrong = Vec::new();
            for (topic, difference) in &topics {
                match (differing.is_match(topic), difference) {
                    (true, None) => {
                        wrong.push(format!("  topic {topic}: identical, should differ"))
                    }
                    (false, Some(difference)) => wrong.push(difference.clone()),
                    _ => {}
                }
            }
            if wrong.is_empty() {
                eprintln!(
                    "{}: the expected topics differ, the others are identical",
                    case.name
                );
            } else {
                failures.push(format!(
                    "case {} ({database}):\n{}",
                    case.name,
                    wrong.join("\n")
                ));
            }
            continue;
        }
        let differences: Vec<String> = topics.into_values().flatten().collect();
        if differences.is_empty() {
            eprintln!("{}: {} records identical", case.name, want.len());
        } else {
            failures.push(format!(
                "case {} ({database}):\n{}",
                case.name,
                differences.join("\n")
            ));
        }
    }
    drop_database(pg, &database).await;
    failures
}

/// Drops `database` and its replication slots, once they are no longer in use (or leaves them
/// after a few seconds: the cluster is thrown away at the end anyway).
async fn drop_database(pg: &TestCluster, database: &str) {
    let in_use = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE database = '{database}' AND active"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.psql("postgres", &in_use).is_ok_and(|n| n.trim() != "0") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = pg.psql(
        "postgres",
        &format!(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
             WHERE database = '{database}' AND NOT active;\n\
             DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        ),
    );
}

/// The end marker message, which Debezium's runner does not write and pgcdc does.
fn is_end_marker(record: &RecordLine) -> bool {
    record.key.contains(&format!(r#""prefix":"{END_MARKER}""#))
}

/// The records of each topic, in order.
fn by_topic(records: &[RecordLine]) -> BTreeMap<&str, Vec<&RecordLine>> {
    let mut topics: BTreeMap<&str, Vec<&RecordLine>> = BTreeMap::new();
    for record in records {
        topics.entry(&record.topic).or_default().push(record);
    }
    topics
}

/// Where pgcdc's records (`got`) differ from Debezium's (`want`), per topic: the first differing
/// record, pretty, with the differing lines marked; `None` for a topic that is identical.
fn topic_differences(want: &[RecordLine], got: &[RecordLine]) -> BTreeMap<String, Option<String>> {
    let (want_topics, got_topics) = (by_topic(want), by_topic(got));
    let mut topics: Vec<&str> = want_topics
        .keys()
        .chain(got_topics.keys())
        .copied()
        .collect();
    topics.sort_unstable();
    topics.dedup();
    let mut report = BTreeMap::new();
    for topic in topics {
        let w = want_topics
            .get(topic)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let g = got_topics.get(topic).map(Vec::as_slice).unwrap_or_default();
        let first = w.iter().zip(g).position(|(a, b)| a != b);
        let Some(at) = first.or((w.len() != g.len()).then_some(w.len().min(g.len()))) else {
            report.insert(topic.to_owned(), None);
            continue;
        };
        let mut text = format!(
            "  topic {topic}: Debezium wrote {} records, pgcdc {}; first difference at record {at} of the topic",
            w.len(),
            g.len()
        );
        match (w.get(at), g.get(at)) {
            (Some(a), Some(b)) => text.push_str(&record_diff(a, b)),
            (Some(a), None) => text.push_str(&format!("\n  only Debezium:\n{}", pretty_record(a))),
            (None, Some(b)) => text.push_str(&format!("\n  only pgcdc:\n{}", pretty_record(b))),
            (None, None) => {}
        }
        report.insert(topic.to_owned(), Some(text));
    }
    report
}

fn pretty_record(record: &RecordLine) -> String {
    let headers: Vec<String> = record
        .headers
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("null")))
        .collect();
    format!(
        "topic: {}\nheaders: [{}]\nkey:\n{}\nvalue:\n{}",
        record.topic,
        headers.join(", "),
        pretty_json(&record.key),
        pretty_json(&record.value)
    )
}

/// A line diff of both records, pretty: `-` lines only Debezium wrote, `+` lines only pgcdc
/// wrote, with three lines of context around each change (at most 60 lines).
fn record_diff(want: &RecordLine, got: &RecordLine) -> String {
    let (a, b) = (pretty_record(want), pretty_record(got));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    // Longest common subsequence, from the ends.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|&n| lines[n].0 != ' ').collect();
    let near = |n: usize| changed.iter().any(|&c| c.abs_diff(n) <= 3);
    let mut out = String::from("\n  (- Debezium, + pgcdc)");
    let mut shown = 0;
    let mut skipped = false;
    for (n, (mark, line)) in lines.iter().enumerate() {
        if !near(n) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("\n  ...");
            skipped = false;
        }
        out.push_str(&format!("\n  {mark} {line}"));
        shown += 1;
        if shown == 60 {
            out.push_str("\n  ... (more)");
            break;
        }
    }
    out
}

/// JSON text indented two spaces per level, numbers and strings kept exactly as written.
fn pretty_json(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

pgcdc_testkit::pg_test! {
    timeout_secs = 540;
    async fn records_match_debezium(version: PgVersion) {
        // Two slots per case: more than the default 20 when all cases of a group run at once.
        let pg = start_with(
            config(version)
                .setting("max_replication_slots", "64")
                .setting("max_wal_senders", "64"),
        );
        let has_xml = pg.psql("postgres", "SELECT '<a/>'::xml").is_ok();
        let temp = tempfile::tempdir().unwrap();
        // PGCDC_DIFFERENTIAL_KEEP=1 keeps both sides' records (and Debezium's log) for a look.
        let (dir, _temp) = if std::env::var_os("PGCDC_DIFFERENTIAL_KEEP").is_some() {
            let kept = temp.keep();
            eprintln!("records kept in {}", kept.display());
            (kept, None)
        } else {
            (temp.path().to_owned(), Some(temp))
        };
        let cases = cases();
        let mut groups: BTreeMap<(&Path, Mode), Vec<&Case>> = BTreeMap::new();
        for case in &cases {
            groups.entry((&case.workload, case.mode)).or_default().push(case);
        }
        let mut failures = Vec::new();
        for group in groups.values() {
            failures.extend(run_group(&pg, &dir, group, has_xml).await);
        }
        assert!(
            failures.is_empty(),
            "pgcdc's records differ from Debezium's in {} case(s):\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
