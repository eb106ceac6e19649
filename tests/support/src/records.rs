//! Debezium-shaped records in files: pgcdc's pipeline streaming into one, and the masking of
//! the fields that differ from run to run, so that two files (pgcdc's and Debezium's, or two
//! Debezium runs) can be compared byte for byte.
//!
//! A record file holds one JSON object per line,
//! `{"topic":..,"key":<key bytes>,"value":<value bytes>,"headers":[{"key":..,"value":..}]}`,
//! the format of pgcdc's file sink and of [`crate::debezium`]'s runner.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use pgcdc::debezium::{DebeziumConfig, DebeziumEncoder, new_run_id};
use pgcdc::pipeline::run::{Replay, RunOptions, run};
use pgcdc::sink::file::{FileSink, Target};
use pgoutput::Lsn;
use regex::Regex;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

/// Streams the changes of the slot named in `props` into `out` through pgcdc's pipeline with a
/// [`DebeziumEncoder`] configured by `props` (Debezium's property names), until everything
/// committed before `end` is written; with `replay`, from a temporary copy of the slot, which
/// stays where it is. Creates the slot (and the publication) when they do not exist yet.
pub async fn pgcdc_to_file(
    props: &BTreeMap<String, String>,
    out: &Path,
    end: Lsn,
    replay: bool,
) -> Result<(), String> {
    let source = pgcdc::config::source::from_properties(props).map_err(|e| e.to_string())?;
    let config = DebeziumConfig::from_properties(props).map_err(|e| e.to_string())?;
    let encoder = DebeziumEncoder::new(config, &new_run_id());
    let sink = FileSink::open(Target::File(out.to_owned()), Box::new(encoder))
        .await
        .map_err(|e| e.to_string())?;
    let options = RunOptions {
        source,
        end_lsn: Some(end),
        replay: replay.then(Replay::default),
        progress: false,
    };
    run(options, vec![Box::new(sink)], CancellationToken::new())
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

static MASKS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r#""(ts_ms|ts_us|ts_ns)":-?\d+"#, r#""$1":"<ts>""#),
        (r#""txId":\d+"#, r#""txId":"<txid>""#),
        (r#""lsn":\d+"#, r#""lsn":"<lsn>""#),
        (r#"\\"\d+\\""#, r#"\"N\""#),
        (r#""id":"\d+:\d+""#, r#""id":"<txid>:<lsn>""#),
        (
            r#"(\$LogicalDecodingMessageId)@[0-9a-f]+""#,
            r#"$1@<hash>""#,
        ),
        (
            r#"("key":"__debezium.context.runId","value":)"[^"]*""#,
            r#"$1"<runId>""#,
        ),
        // Fields and headers that ExtractNewRecordState adds (add.fields, add.headers).
        (
            r#""(__\w*(?:ts_ms|ts_us|ts_ns|lsn|pos|txId))":-?\d+"#,
            r#""$1":"<n>""#,
        ),
        (r#""__id":"\d+:\d+""#, r#""__id":"<txid>:<lsn>""#),
        (
            r#"("key":"\w*(?:ts_ms|txId|lsn)","value":)"\d+""#,
            r#"$1"<n>""#,
        ),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).unwrap(), to))
    .collect()
});

static DATA_COLLECTIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""data_collections":\[([^\]]*)\]"#).unwrap());

/// Masks the run-dependent fields of a record line: the source and envelope timestamps
/// (`ts_ms`, `ts_us`, `ts_ns`), `txId`, `lsn`, the digits of `sequence`, transaction ids
/// (`txId:lsn`), the `__debezium.context.runId` header, the Java object hash in a logical
/// decoding message's data collection name, and the same positions and times where
/// `ExtractNewRecordState` adds them as `__` fields or headers. An END record's `data_collections` follow Java
/// `HashMap` order, which for a message's collection depends on that hash: such lists are
/// sorted.
pub fn mask(line: &str) -> String {
    let masked = MASKS.iter().fold(line.to_owned(), |text, (re, to)| {
        re.replace_all(&text, *to).into_owned()
    });
    if !masked.contains("@<hash>") {
        return masked;
    }
    DATA_COLLECTIONS
        .replace(&masked, |caps: &regex::Captures<'_>| {
            let mut items: Vec<&str> = caps[1].split("},{").collect();
            for item in &mut items {
                *item = item.trim_start_matches('{').trim_end_matches('}');
            }
            items.sort_unstable();
            format!(r#""data_collections":[{{{}}}]"#, items.join("},{"))
        })
        .into_owned()
}

/// One record of a record file, its key and value kept as the exact bytes written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    /// The topic.
    pub topic: String,
    /// The key's JSON text (`null` for no key).
    pub key: String,
    /// The value's JSON text (`null` for a tombstone).
    pub value: String,
    /// The headers: key and value text (`None` for a null value).
    pub headers: Vec<(String, Option<String>)>,
}

#[derive(serde::Deserialize)]
struct Line<'a> {
    topic: String,
    #[serde(borrow)]
    key: &'a RawValue,
    #[serde(borrow)]
    value: &'a RawValue,
    #[serde(default)]
    headers: Vec<Header>,
}

#[derive(serde::Deserialize)]
struct Header {
    key: String,
    value: Option<String>,
}

impl RecordLine {
    /// Parses one line of a record file.
    pub fn parse(line: &str) -> Result<Self, String> {
        let parsed: Line<'_> =
            serde_json::from_str(line).map_err(|e| format!("{e} in record line {line}"))?;
        Ok(Self {
            topic: parsed.topic,
            key: parsed.key.get().to_owned(),
            value: parsed.value.get().to_owned(),
            headers: parsed
                .headers
                .into_iter()
                .map(|h| (h.key, h.value))
                .collect(),
        })
    }

    /// The records of a file, each line [masked](mask) first.
    pub fn read_masked(path: &Path) -> Result<Vec<Self>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        text.lines().map(|line| Self::parse(&mask(line))).collect()
    }
}
