//! The initial snapshot's settings, with Debezium's names: `snapshot.mode`,
//! `snapshot.include.collection.list`, `snapshot.select.statement.overrides` (with one
//! `snapshot.select.statement.overrides.<schema>.<table>` per table), `snapshot.fetch.size` and
//! `snapshot.max.threads`; and pgcdc's `pgcdc.snapshot.chunk.pages` (how large the pieces are
//! that a big table is split into) and `pgcdc.snapshot.progress.file` (where an unfinished
//! snapshot's progress is kept, see [`crate::snapshot::saved`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::filter::TableFilter;
use super::source::{SettingError, invalid};

/// When the initial snapshot is taken (Debezium's `snapshot.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// When the slot does not exist yet, then stream (`initial`, the default).
    Initial,
    /// When the slot does not exist yet, then stop without streaming (`initial_only`).
    InitialOnly,
    /// Never: stream only (`no_data`, and its old name `never`).
    NoData,
    /// At every start, then stream from the snapshot's position (`always`).
    Always,
    /// When the slot does not exist or can no longer be streamed (its WAL is lost)
    /// (`when_needed`).
    WhenNeeded,
}

impl SnapshotMode {
    /// The mode's name in `snapshot.mode`.
    pub fn name(self) -> &'static str {
        match self {
            SnapshotMode::Initial => "initial",
            SnapshotMode::InitialOnly => "initial_only",
            SnapshotMode::NoData => "no_data",
            SnapshotMode::Always => "always",
            SnapshotMode::WhenNeeded => "when_needed",
        }
    }

    /// Whether streaming follows the snapshot.
    pub fn streams(self) -> bool {
        self != SnapshotMode::InitialOnly
    }
}

/// The snapshot's settings.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// When to take it.
    pub mode: SnapshotMode,
    /// Which of the captured tables it reads (`snapshot.include.collection.list`; all when
    /// absent).
    pub include: Option<TableFilter>,
    /// Per `(schema, table)`: the statement that reads it instead of `SELECT *`.
    pub overrides: BTreeMap<(String, String), String>,
    /// Rows per batch handed from a reader to the sinks (`snapshot.fetch.size`).
    pub fetch_size: usize,
    /// How many tables and chunks are read at once (`snapshot.max.threads`).
    pub max_threads: usize,
    /// How many 8 kB pages one chunk of a large table spans (`pgcdc.snapshot.chunk.pages`).
    pub chunk_pages: u32,
    /// Where the progress of an unfinished snapshot is kept (`pgcdc.snapshot.progress.file`;
    /// `None`: `pgcdc-snapshot-<slot>.json` in the working directory).
    pub progress_file: Option<PathBuf>,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        Self {
            mode: SnapshotMode::Initial,
            include: None,
            overrides: BTreeMap::new(),
            fetch_size: 10_240,
            max_threads: 1,
            chunk_pages: 8_192,
            progress_file: None,
        }
    }
}

impl SnapshotConfig {
    /// Reads the snapshot's settings.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<Self, SettingError> {
        let get = |key: &str| {
            properties
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        let defaults = Self::default();
        let mode = match get("snapshot.mode").unwrap_or("initial") {
            "initial" => SnapshotMode::Initial,
            "initial_only" => SnapshotMode::InitialOnly,
            "no_data" | "never" => SnapshotMode::NoData,
            "always" => SnapshotMode::Always,
            "when_needed" => SnapshotMode::WhenNeeded,
            other => {
                return Err(invalid(
                    "snapshot.mode",
                    other,
                    "use initial, initial_only, no_data (or never), always or when_needed",
                ));
            }
        };
        let include = match get("snapshot.include.collection.list") {
            None => None,
            Some(list) => Some(TableFilter::new(None, None, Some(list), None).map_err(
                |mut error| {
                    error.key = "snapshot.include.collection.list".to_owned();
                    error
                },
            )?),
        };
        let mut overrides = BTreeMap::new();
        if let Some(list) = get("snapshot.select.statement.overrides") {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let Some((schema, table)) = name.split_once('.') else {
                    return Err(invalid(
                        "snapshot.select.statement.overrides",
                        name,
                        "name each table as schema.table",
                    ));
                };
                let key = format!("snapshot.select.statement.overrides.{name}");
                let Some(statement) = get(&key) else {
                    return Err(invalid(
                        "snapshot.select.statement.overrides",
                        name,
                        &format!("set {key} to the SELECT that reads it"),
                    ));
                };
                overrides.insert(
                    (schema.to_owned(), table.to_owned()),
                    statement.trim_end_matches(';').to_owned(),
                );
            }
        }
        let count = |key: &str, default: usize| -> Result<usize, SettingError> {
            match get(key) {
                None => Ok(default),
                Some(text) => match text.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(invalid(key, text, "use a whole number above 0")),
                },
            }
        };
        let chunk_pages = count("pgcdc.snapshot.chunk.pages", defaults.chunk_pages as usize)?;
        Ok(Self {
            mode,
            include,
            overrides,
            fetch_size: count("snapshot.fetch.size", defaults.fetch_size)?,
            max_threads: count("snapshot.max.threads", defaults.max_threads)?.min(64),
            chunk_pages: u32::try_from(chunk_pages).unwrap_or(u32::MAX),
            progress_file: get("pgcdc.snapshot.progress.file").map(PathBuf::from),
        })
    }

    /// Whether `schema.table`, a captured table, is read by the snapshot.
    pub fn includes(&self, schema: &str, table: &str) -> bool {
        self.include
            .as_ref()
            .is_none_or(|filter| filter.matches(schema, table))
    }

    /// Where the progress of a snapshot into the slot `slot` is kept.
    pub fn progress_path(&self, slot: &str) -> PathBuf {
        self.progress_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("pgcdc-snapshot-{slot}.json")))
    }

    /// The statement that reads `schema.table` instead of `SELECT *`, if one is set.
    pub fn select_override(&self, schema: &str, table: &str) -> Option<&str> {
        self.overrides
            .get(&(schema.to_owned(), table.to_owned()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use crate::config::test_props as props;

    #[test]
    fn modes_and_defaults() {
        let config = SnapshotConfig::from_properties(&props(&[])).unwrap();
        assert_eq!(config.mode, SnapshotMode::Initial);
        assert_eq!(config.fetch_size, 10_240);
        assert_eq!(config.max_threads, 1);
        assert_eq!(
            config.progress_path("orders"),
            PathBuf::from("pgcdc-snapshot-orders.json")
        );
        let config = SnapshotConfig::from_properties(&props(&[(
            "pgcdc.snapshot.progress.file",
            "/var/lib/pgcdc/snap.json",
        )]))
        .unwrap();
        assert_eq!(
            config.progress_path("orders"),
            PathBuf::from("/var/lib/pgcdc/snap.json")
        );
        for (text, mode) in [
            ("initial", SnapshotMode::Initial),
            ("initial_only", SnapshotMode::InitialOnly),
            ("no_data", SnapshotMode::NoData),
            ("never", SnapshotMode::NoData),
            ("always", SnapshotMode::Always),
            ("when_needed", SnapshotMode::WhenNeeded),
        ] {
            let config =
                SnapshotConfig::from_properties(&props(&[("snapshot.mode", text)])).unwrap();
            assert_eq!(config.mode, mode, "{text}");
        }
    }

    #[test]
    fn bad_values_say_what_to_use() {
        for (key, value, expected) in [
            ("snapshot.mode", "schema_only", "use initial, initial_only"),
            ("snapshot.fetch.size", "0", "above 0"),
            ("snapshot.max.threads", "two", "above 0"),
            (
                "snapshot.select.statement.overrides",
                "orders",
                "schema.table",
            ),
            (
                "snapshot.select.statement.overrides",
                "public.orders",
                "set snapshot.select.statement.overrides.public.orders",
            ),
            (
                "snapshot.include.collection.list",
                "public.(",
                "regular expression",
            ),
        ] {
            let error = SnapshotConfig::from_properties(&props(&[(key, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(key), "{error}");
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn include_list_and_overrides() {
        let config = SnapshotConfig::from_properties(&props(&[
            ("snapshot.include.collection.list", "public\\.a.*"),
            ("snapshot.select.statement.overrides", "public.b, public.c"),
            (
                "snapshot.select.statement.overrides.public.b",
                "SELECT * FROM public.b WHERE id > 2;",
            ),
            ("snapshot.select.statement.overrides.public.c", "SELECT 1"),
        ]))
        .unwrap();
        assert!(config.includes("public", "abc"));
        assert!(!config.includes("public", "b"));
        assert_eq!(
            config.select_override("public", "b"),
            Some("SELECT * FROM public.b WHERE id > 2")
        );
        assert_eq!(config.select_override("public", "a"), None);
    }
}
