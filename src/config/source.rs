//! The replication source's settings, from Debezium connector properties.
//!
//! Debezium's names and defaults: `slot.name` (`debezium`), `publication.name`
//! (`dbz_publication`), `publication.autocreate.mode` (`all_tables`), `plugin.name` (only
//! `pgoutput`), the `database.*` connection keys, `table.include.list` / `table.exclude.list` /
//! `schema.include.list` / `schema.exclude.list`, `status.update.interval.ms` (10 s),
//! `heartbeat.interval.ms` (off), `heartbeat.action.query`, `slot.drop.on.stop`,
//! `errors.max.retries` (-1: without limit), `retriable.restart.connector.wait.ms` (10 s),
//! `topic.prefix`. pgcdc's own keys start with `pgcdc.`: `pgcdc.protocol.version` (1, the default,
//! as Debezium; or 2: large transactions are streamed before they commit and held within
//! `pgcdc.stream.buffer.bytes`, default 64 MiB, spilling to disk beyond), and
//! `pgcdc.slot.busy.wait.ms` (10 s): how long to wait for a slot another process still reads.
//! The initial snapshot's settings are read by [`SnapshotConfig::from_properties`].

use std::collections::BTreeMap;
use std::time::Duration;

use super::connection::{ConfigError, ConnectionConfig};
use super::filter::{FilterError, TableFilter};

pub use super::snapshot::{SnapshotConfig, SnapshotMode};

/// How the publication is made (Debezium's `publication.autocreate.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutocreateMode {
    /// Create it `FOR ALL TABLES` when missing.
    AllTables,
    /// Never create or change it: it must exist.
    Disabled,
    /// Create it, or set its tables, to exactly the tables the filters capture.
    Filtered,
    /// Create it without tables when missing (tables are added by hand).
    NoTables,
}

/// A setting with a bad value.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    /// A value is not allowed.
    #[error("{key}: {value:?} is not valid; {expected}")]
    Invalid {
        /// The property.
        key: String,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The connection settings are wrong.
    #[error(transparent)]
    Connection(#[from] ConfigError),
    /// A filter does not compile.
    #[error(transparent)]
    Filter(#[from] FilterError),
}

/// The source's settings.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Where to connect.
    pub connection: ConnectionConfig,
    /// The replication slot.
    pub slot: String,
    /// The publication.
    pub publication: String,
    /// How the publication is made.
    pub autocreate: AutocreateMode,
    /// Which tables are captured.
    pub filter: TableFilter,
    /// The pgoutput protocol version (1 or 2).
    pub protocol_version: u32,
    /// How much of streamed transactions is held in memory (protocol 2).
    pub stream_buffer_bytes: usize,
    /// How often the confirmed position is sent to the server.
    pub status_interval: Duration,
    /// How often the heartbeat runs, if at all.
    pub heartbeat_interval: Option<Duration>,
    /// SQL the heartbeat runs on the source database.
    pub heartbeat_action_query: Option<String>,
    /// Drop the slot when pgcdc stops.
    pub drop_slot_on_stop: bool,
    /// How many times a lost connection is retried in a row (`None`: without limit).
    pub max_retries: Option<u32>,
    /// The longest wait between retries.
    pub retry_wait: Duration,
    /// The logical name of the source (`topic.prefix`).
    pub topic_prefix: String,
    /// How long to wait for a slot that another process is reading to be released before giving
    /// up (a pgcdc that was just killed leaves its server process for a moment).
    pub slot_busy_wait: Duration,
    /// The initial snapshot.
    pub snapshot: SnapshotConfig,
}

/// Reads the source's settings. Keys it knows but that belong to other parts are not reported.
pub fn from_properties(
    properties: &BTreeMap<String, String>,
) -> Result<SourceConfig, SettingError> {
    let get = |key: &str| {
        properties
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    if let Some(plugin) = get("plugin.name")
        && plugin != "pgoutput"
    {
        return Err(invalid(
            "plugin.name",
            plugin,
            "pgcdc reads the pgoutput plugin only",
        ));
    }
    let autocreate = match get("publication.autocreate.mode").unwrap_or("all_tables") {
        "all_tables" => AutocreateMode::AllTables,
        "disabled" => AutocreateMode::Disabled,
        "filtered" => AutocreateMode::Filtered,
        "no_tables" => AutocreateMode::NoTables,
        other => {
            return Err(invalid(
                "publication.autocreate.mode",
                other,
                "use all_tables, disabled, filtered or no_tables",
            ));
        }
    };
    let protocol_version = match get("pgcdc.protocol.version").unwrap_or("1") {
        "1" => 1,
        "2" => 2,
        other => return Err(invalid("pgcdc.protocol.version", other, "use 1 or 2")),
    };
    let millis = |key: &str, default: u64| -> Result<u64, SettingError> {
        match get(key) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| invalid(key, text, "use a whole number of milliseconds")),
        }
    };
    let heartbeat = millis("heartbeat.interval.ms", 0)?;
    let max_retries = match get("errors.max.retries").unwrap_or("-1") {
        "-1" => None,
        text => Some(
            text.parse::<u32>()
                .map_err(|_| invalid("errors.max.retries", text, "use -1 (no limit) or a count"))?,
        ),
    };
    let stream_buffer_bytes = match get("pgcdc.stream.buffer.bytes") {
        None => 64 << 20,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| invalid("pgcdc.stream.buffer.bytes", text, "use a number of bytes"))?,
    };
    let drop_slot_on_stop = match get("slot.drop.on.stop").unwrap_or("false") {
        "true" => true,
        "false" => false,
        other => return Err(invalid("slot.drop.on.stop", other, "use true or false")),
    };
    Ok(SourceConfig {
        connection: ConnectionConfig::from_debezium(properties)?,
        slot: get("slot.name").unwrap_or("debezium").to_owned(),
        publication: get("publication.name")
            .unwrap_or("dbz_publication")
            .to_owned(),
        autocreate,
        filter: TableFilter::new(
            get("schema.include.list"),
            get("schema.exclude.list"),
            get("table.include.list"),
            get("table.exclude.list"),
        )?,
        protocol_version,
        stream_buffer_bytes,
        status_interval: Duration::from_millis(millis("status.update.interval.ms", 10_000)?.max(1)),
        heartbeat_interval: (heartbeat > 0).then(|| Duration::from_millis(heartbeat)),
        heartbeat_action_query: get("heartbeat.action.query").map(str::to_owned),
        drop_slot_on_stop,
        max_retries,
        retry_wait: Duration::from_millis(millis("retriable.restart.connector.wait.ms", 10_000)?),
        topic_prefix: get("topic.prefix").unwrap_or("pgcdc").to_owned(),
        slot_busy_wait: Duration::from_millis(millis("pgcdc.slot.busy.wait.ms", 10_000)?),
        snapshot: SnapshotConfig::from_properties(properties)?,
    })
}

impl SourceConfig {
    /// The pgoutput options of `START_REPLICATION`: the protocol version, the publication,
    /// logical decoding messages, and streaming with protocol 2.
    pub fn pgoutput_options(&self) -> Vec<(&'static str, String)> {
        let mut options = vec![
            ("proto_version", self.protocol_version.to_string()),
            (
                "publication_names",
                crate::sql::quote_ident(&self.publication),
            ),
            ("messages", "true".to_owned()),
        ];
        if self.protocol_version >= 2 {
            options.push(("streaming", "on".to_owned()));
        }
        options
    }
}

pub(super) fn invalid(key: &str, value: &str, expected: &str) -> SettingError {
    SettingError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}
