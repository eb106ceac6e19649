//! pgcdc's Debezium encoder against what Debezium 3.6.3 itself wrote for the same workload
//! (`tests/data/debezium/*.jsonl`, captured from the real connector with Kafka Connect's
//! `JsonConverter`): on PostgreSQL 15 and 18, the workload's changes are streamed through
//! pgcdc's pipeline into a file sink with a [`DebeziumEncoder`] and compared with the golden
//! file record by record, byte for byte, after masking the fields that differ from run to run
//! (timestamps, transaction ids, LSNs, the sequence digits, the run id header and the Java
//! object hash in a message's data collection name).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use pgcdc_testkit::records::{mask, pgcdc_to_file};
use pgcdc_testkit::{TestCluster, start};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/debezium");

fn properties(pg: &TestCluster, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut props: BTreeMap<String, String> = [
        ("database.hostname", pg.host().to_owned()),
        ("database.port", pg.port().to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.dbname", "app".to_owned()),
        ("database.sslmode", "disable".to_owned()),
        ("slot.name", "dbz_golden".to_owned()),
        ("publication.name", "dbz_publication".to_owned()),
        ("topic.prefix", "oracle".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        props.insert((*k).to_owned(), (*v).to_owned());
    }
    props
}

fn flush_lsn(pg: &TestCluster) -> pgoutput::Lsn {
    let text = pg.psql("app", "SELECT pg_current_wal_flush_lsn()").unwrap();
    text.trim().parse().unwrap()
}

/// Streams everything committed so far into `out` with a Debezium encoder; with `replay`, from
/// a temporary copy of the slot, which stays where it is. Without `snapshot.mode` in `props`,
/// no snapshot is taken.
async fn stream(pg: &TestCluster, props: &BTreeMap<String, String>, out: &Path, replay: bool) {
    let mut props = props.clone();
    props
        .entry("snapshot.mode".to_owned())
        .or_insert_with(|| "no_data".to_owned());
    let props = &props;
    // Everything committed up to the current end of WAL: the last commit record ends there (or
    // before it, and a keepalive then reports the WAL end reached).
    pgcdc_to_file(props, out, flush_lsn(pg), replay)
        .await
        .unwrap();
}

/// Creates the database `app` and returns the script `file` with the statements this server
/// cannot run left out (the `t_xml` rows when it has no libxml), and the tables left out.
fn app_database_and_script(pg: &TestCluster, file: &str) -> (String, Vec<&'static str>) {
    pg.psql("postgres", "CREATE DATABASE app").unwrap();
    let mut sql = std::fs::read_to_string(format!("{DATA}/{file}")).unwrap();
    let mut missing = Vec::new();
    if file == "workload.sql" && pg.psql("app", "SELECT '<a/>'::xml").is_err() {
        let insert = sql
            .lines()
            .find(|l| l.starts_with("INSERT INTO t_xml"))
            .unwrap()
            .to_owned();
        sql = sql.replace(&insert, "");
        missing.push("public.t_xml");
    }
    (sql, missing)
}

/// A cluster with database `app`, the workload's schema, a slot created before the changes,
/// and the workload's changes committed. Returns the tables whose changes could not be made:
/// `t_xml` when the server is built without libxml (the PostgreSQL 18 test build).
async fn workload(pg: &TestCluster, dir: &Path, file: &str) -> Vec<&'static str> {
    let (sql, missing) = app_database_and_script(pg, file);
    pg.psql("app", &format!("\\set ddl 1\n{sql}")).unwrap();
    // The first run creates the publication (FOR ALL TABLES) and the slot, and finds nothing.
    stream(pg, &properties(pg, &[]), &dir.join("setup.jsonl"), false).await;
    pg.psql("app", &format!("\\set dml 1\n{sql}")).unwrap();
    missing
}

/// The settings of a golden file in `tests/data/debezium/props/`, on top of the defaults.
fn golden_properties(name: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(format!("{DATA}/props/{name}.properties")).unwrap();
    pgcdc::config::connector::parse_properties(&text)
        .into_iter()
        .collect()
}

/// The payload of a record's value, if it is not a tombstone.
fn value_payload(line: &str) -> Option<serde_json::Value> {
    let record: serde_json::Value = serde_json::from_str(line).unwrap();
    let value = record.get("value").filter(|v| !v.is_null())?;
    Some(value.get("payload").unwrap_or(value).clone())
}

/// The `schema.table` of a table record (from its source block, whatever its topic).
fn collection_of(line: &str) -> Option<String> {
    let source = value_payload(line)?.get("source")?.clone();
    let (schema, table) = (source["schema"].as_str()?, source["table"].as_str()?);
    (!table.is_empty()).then(|| format!("{schema}.{table}"))
}

/// The golden lines without the records of the `missing` tables, nor the BEGIN and END records
/// of a transaction that changed only those tables.
fn without_missing(lines: Vec<String>, missing: &[&str]) -> Vec<String> {
    if missing.is_empty() {
        return lines;
    }
    let is_missing = |line: &String| collection_of(line).is_some_and(|c| missing.contains(&&*c));
    let status = |line: &String| {
        value_payload(line)
            .and_then(|p| p.get("status").and_then(|s| s.as_str().map(str::to_owned)))
    };
    let mut kept = Vec::new();
    let mut group: Option<Vec<String>> = None;
    for line in lines {
        match status(&line).as_deref() {
            Some("BEGIN") => group = Some(vec![line]),
            Some(_) => {
                let mut lines = group.take().unwrap_or_default();
                lines.push(line);
                let changes: Vec<&String> = lines
                    .iter()
                    .filter(|l| collection_of(l).is_some())
                    .collect();
                if changes.is_empty() || !changes.iter().all(|l| is_missing(l)) {
                    kept.extend(lines.into_iter().filter(|l| !is_missing(l)));
                }
            }
            None => match group.as_mut() {
                Some(lines) => lines.push(line),
                None if is_missing(&line) => {}
                None => kept.push(line),
            },
        }
    }
    kept.extend(group.into_iter().flatten());
    kept
}

/// The topic of a record line (read as text: a line may hold a lone surrogate escape, which
/// Debezium writes for a string truncated inside a surrogate pair).
fn topic_of(line: &str) -> String {
    let rest = line.strip_prefix(r#"{"topic":""#).unwrap();
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Where two lines part: the text around the first difference.
fn difference(want: &str, got: &str) -> String {
    let at = want
        .bytes()
        .zip(got.bytes())
        .position(|(w, g)| w != g)
        .unwrap_or(want.len().min(got.len()));
    let window = |s: &str| {
        let start = at.saturating_sub(150);
        let end = (at + 150).min(s.len());
        String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned()
    };
    format!(
        "  want ...{}...\n  got  ...{}...",
        window(want),
        window(got)
    )
}

/// Compares pgcdc's records with the golden file, leaving out the golden records of the
/// `missing` tables (`schema.table`); returns how many were compared byte for byte.
fn compare(golden: &str, ours: &Path, missing: &[&str]) -> usize {
    compare_with(golden, ours, missing, |_| {})
}

/// [`compare`], with `adjust` applied to the golden lines left after the missing tables.
fn compare_with(
    golden: &str,
    ours: &Path,
    missing: &[&str],
    adjust: impl FnOnce(&mut Vec<String>),
) -> usize {
    let lines = std::fs::read_to_string(format!("{DATA}/{golden}"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut kept = without_missing(lines, missing);
    adjust(&mut kept);
    let want: Vec<String> = kept.iter().map(|line| mask(line)).collect();
    let got: Vec<String> = std::fs::read_to_string(ours)
        .unwrap()
        .lines()
        .map(mask)
        .collect();
    let mut compared = 0;
    let mut failures = Vec::new();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        let topic = topic_of(w);
        assert_eq!(topic, topic_of(g), "{golden} record {i}: topic");
        compared += 1;
        if w != g {
            failures.push(format!(
                "{golden} record {i} ({topic}):\n{}",
                difference(w, g)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} records differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(got.len(), want.len(), "{golden}: record count");
    compared
}

pgcdc_testkit::pg_test! {
    timeout_secs = 600;
    async fn records_match_debezium(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        let missing = workload(&pg, dir.path(), "workload.sql").await;
        for (golden, extra) in [
            ("streaming.jsonl", &[][..]),
            (
                "streaming-noschema.jsonl",
                &[
                    ("key.converter.schemas.enable", "false"),
                    ("value.converter.schemas.enable", "false"),
                ][..],
            ),
            (
                "streaming-nonulldefault.jsonl",
                &[
                    ("key.converter.replace.null.with.default", "false"),
                    ("value.converter.replace.null.with.default", "false"),
                ][..],
            ),
            (
                "modes.jsonl",
                &[
                    ("decimal.handling.mode", "string"),
                    ("time.precision.mode", "connect"),
                    ("binary.handling.mode", "base64"),
                ][..],
            ),
            ("streaming-allops.jsonl", &[("skipped.operations", "none")][..]),
        ] {
            let out = dir.path().join(golden);
            stream(&pg, &properties(&pg, extra), &out, true).await;
            let compared = compare(golden, &out, &missing);
            assert!(compared > 100, "{golden}: only {compared} records compared");
        }
        // Transaction metadata, and the same with every topic rerouted by a RegexRouter.
        for name in ["txmeta", "reroute"] {
            let golden = format!("{name}.jsonl");
            let extra = golden_properties(name);
            let extra: Vec<(&str, &str)> =
                extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let out = dir.path().join(&golden);
            stream(&pg, &properties(&pg, &extra), &out, true).await;
            let compared = compare(&golden, &out, &missing);
            assert!(compared > 300, "{golden}: only {compared} records compared");
        }
    }
}

/// Streams the committed changes with the settings of `tests/data/debezium/props/NAME` and
/// compares them with `NAME.jsonl`.
async fn compare_golden(pg: &TestCluster, dir: &Path, name: &str, at_least: usize) {
    let golden = format!("{name}.jsonl");
    let mut extra = golden_properties(name);
    if let Some(at) = extra.iter().position(|(k, _)| k == "oracle.schemas.enable") {
        let (_, value) = extra.remove(at);
        extra.push(("key.converter.schemas.enable".to_owned(), value.clone()));
        extra.push(("value.converter.schemas.enable".to_owned(), value));
    }
    let extra: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = dir.join(&golden);
    stream(pg, &properties(pg, &extra), &out, true).await;
    let compared = compare(&golden, &out, &[]);
    assert!(
        compared >= at_least,
        "{golden}: only {compared} records compared"
    );
}

pgcdc_testkit::pg_test! {
    timeout_secs = 600;
    async fn column_features_match_debezium(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        workload(&pg, dir.path(), "features.sql").await;
        // Column filters, message.key.columns, masks, truncation and hashes, and the
        // primary-key change headers of every key type.
        compare_golden(&pg, dir.path(), "columns", 80).await;
        compare_golden(&pg, dir.path(), "columns-include", 60).await;
        // ExtractNewRecordState in each delete mode, with added fields and headers, routing
        // by a column, and chained with RegexRouter both ways round.
        compare_golden(&pg, dir.path(), "unwrap", 50).await;
        compare_golden(&pg, dir.path(), "unwrap-rewrite", 160).await;
        compare_golden(&pg, dir.path(), "unwrap-route", 9).await;
        compare_golden(&pg, dir.path(), "unwrap-d2t", 50).await;
        compare_golden(&pg, dir.path(), "unwrap-drop", 35).await;
    }
}

pgcdc_testkit::pg_test! {
    timeout_secs = 300;
    async fn transaction_begin_lsn_matches_debezium(version: PgVersion) {
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        workload(&pg, dir.path(), "txbegin.sql").await;
        // BEGIN is named with the Begin message's LSN: a transaction whose first change, or
        // every change, is filtered out, and one whose first WAL record is DDL.
        compare_golden(&pg, dir.path(), "txbegin", 11).await;
    }
}

pgcdc_testkit::pg_test! {
    timeout_secs = 600;
    async fn snapshot_records_match_debezium(version: PgVersion) {
        // The whole workload runs before pgcdc starts: every record is a snapshot read.
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        let (sql, missing) = app_database_and_script(&pg, "workload.sql");
        pg.psql("app", &format!("\\set ddl 1\n{sql}")).unwrap();
        pg.psql("app", &format!("\\set dml 1\n{sql}")).unwrap();
        let extra = golden_properties("snapshot");
        let mut extra: Vec<(&str, &str)> =
            extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        extra.push(("snapshot.max.threads", "2"));
        // Small chunks, so that tables are read in several pieces by both readers.
        extra.push(("pgcdc.snapshot.chunk.pages", "1"));
        let out = dir.path().join("snapshot.jsonl");
        stream(&pg, &properties(&pg, &extra), &out, false).await;
        // Without the last table, the row before it is the snapshot's last.
        let compared = compare_with("snapshot.jsonl", &out, &missing, |lines| {
            if let Some(last) = lines.last_mut().filter(|_| !missing.is_empty()) {
                *last = last.replace(
                    r#""snapshot":"last_in_data_collection""#,
                    r#""snapshot":"last""#,
                );
            }
        });
        assert!(compared > 100, "snapshot.jsonl: only {compared} records compared");
    }
}

/// The `after` of every change record in `out`.
fn afters(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .filter_map(value_payload)
        .filter_map(|payload| payload.get("after").cloned())
        .filter(|after| !after.is_null())
        .collect()
}

pgcdc_testkit::pg_test! {
    timeout_secs = 300;
    async fn bugs_switch_writes_correct_values(version: PgVersion) {
        // The same changes streamed twice: as Debezium writes them (the default) and with
        // `pgcdc.debezium.bugs=fix`; decimals as strings for the negative scale.
        let pg = start(version);
        let dir = tempfile::tempdir().unwrap();
        pg.psql("postgres", "CREATE DATABASE app").unwrap();
        pg.psql(
            "app",
            "CREATE TABLE t_bugs (id int PRIMARY KEY, n name, d date, ts timestamp, \
             ts3 timestamp(3), da date[], ns numeric(5,-2), tl timestamp, tla timestamp[])",
        )
        .unwrap();
        let string = ("decimal.handling.mode", "string");
        stream(&pg, &properties(&pg, &[string]), &dir.path().join("setup.jsonl"), false).await;
        pg.psql(
            "app",
            "INSERT INTO t_bugs VALUES \
             (1, 'pg_class', 'infinity', 'infinity', 'infinity', '{infinity}', 12345, \
              '294276-12-31 23:59:59.999999', '{4713-01-01 00:00:00 BC}'), \
             (2, 'x', '-infinity', '-infinity', '-infinity', '{-infinity}', -55, \
              '294247-01-10 04:00:54.7759', '{1582-10-14 00:00:00}'), \
             (3, 'y', '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123', \
              '{0044-03-15 BC}', 0, '2024-02-29 13:14:15.123456', '{2024-02-29 13:14:15}')",
        )
        .unwrap();
        let row = |after: &serde_json::Value| {
            let ns = after["ns"].as_str().unwrap();
            // Debezium's 2046 zeros after the point, shortened.
            let ns = match ns.split_once('.') {
                Some((int, zeros)) if zeros.bytes().all(|b| b == b'0') => {
                    format!("{int}.0*{}", zeros.len())
                }
                _ => ns.to_owned(),
            };
            let others = ["n", "d", "ts", "ts3", "da", "tl", "tla"].map(|c| after[c].to_string());
            format!("{} {ns}", others.join(" "))
        };
        let reproduced = dir.path().join("reproduce.jsonl");
        stream(&pg, &properties(&pg, &[string]), &reproduced, true).await;
        let reproduced: Vec<String> = afters(&reproduced).iter().map(row).collect();
        assert_eq!(
            reproduced,
            [
                "null -2147472692 9223372036825200000 9223372036825200 [-622191234] \
                 -9223372036853775810 [-210866803200000000] 12300.0*2046",
                "null -2147472691 -9223372036832400000 -9223372036832400 [-625821272] \
                 -9223372036854775716 [-12218515200000000] -100.0*2046",
                "null 19782 1709212455123456 1709212455123 [-703383] \
                 1709212455123456 [1709212455000000] 0.0*2046",
            ]
        );
        let fixed = dir.path().join("fix.jsonl");
        let props = properties(&pg, &[string, ("pgcdc.debezium.bugs", "fix")]);
        stream(&pg, &props, &fixed, true).await;
        let fixed: Vec<String> = afters(&fixed).iter().map(row).collect();
        assert_eq!(
            fixed,
            [
                "\"pg_class\" 2147483647 9223372036854775807 9223372036854775807 [2147483647] \
                 9223372036854775806 [-210863520000000000] 12300",
                "\"x\" -2147483648 -9223372036854775808 -9223372036854775808 [-2147483648] \
                 9223372036854775806 [-12219379200000000] -100",
                "\"y\" 19782 1709212455123456 1709212455123 [-735160] \
                 1709212455123456 [1709212455000000] 0",
            ]
        );
    }
}
