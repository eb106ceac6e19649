//! Where a run's properties come from: a connector file (`--connector`), a database URL
//! (`--url`, or `PGCDC_DATABASE_URL`), and `--set key=value` overrides, in that order.

use std::path::PathBuf;

use super::connection::{ConfigError, ConnectionConfig};
use super::connector::{self, ConnectorFileError, Properties};
use super::source::{self, SettingError, SourceConfig};

/// The command-line options that say where the configuration comes from.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// A Debezium connector configuration: the REST JSON form or a .properties file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub connector: Option<PathBuf>,
    /// The source database as a libpq URL or key/value string (overrides `database.*`).
    #[arg(long, env = "PGCDC_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// A connector property, overriding the file (repeatable): `--set slot.name=orders`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// A configuration that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Neither a connector file nor a URL was given.
    #[error(
        "no source database given: pass --connector FILE (a Debezium connector configuration) or --url postgres://user@host/db"
    )]
    NoSource,
    /// The connector file cannot be read.
    #[error(transparent)]
    File(#[from] ConnectorFileError),
    /// A `--set` is not `key=value`.
    #[error("--set {0:?}: write it as key=value")]
    BadSet(String),
    /// The URL is wrong.
    #[error("--url: {0}")]
    Url(#[source] ConfigError),
    /// A setting is wrong.
    #[error(transparent)]
    Setting(#[from] SettingError),
}

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The connector name, from the REST form's `name`.
    pub name: Option<String>,
    /// Every property, after overrides.
    pub properties: Properties,
    /// The source's settings.
    pub source: SourceConfig,
}

impl ConfigArgs {
    /// Reads the file, applies the URL and the overrides, and checks the settings.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        let (name, mut properties) = match &self.connector {
            Some(path) => connector::read_file(path)?,
            None if self.url.is_some() => (None, Properties::new()),
            None => return Err(LoadError::NoSource),
        };
        if let Some(url) = &self.url {
            let connection = ConnectionConfig::parse(url).map_err(LoadError::Url)?;
            apply_connection(&mut properties, &connection);
        }
        for set in &self.sets {
            let (key, value) = set
                .split_once('=')
                .filter(|(key, _)| !key.trim().is_empty())
                .ok_or_else(|| LoadError::BadSet(set.clone()))?;
            properties.insert(key.trim().to_owned(), value.to_owned());
        }
        let source = source::from_properties(&properties)?;
        Ok(Loaded {
            name,
            properties,
            source,
        })
    }
}

/// Writes a connection's settings as `database.*` properties.
fn apply_connection(properties: &mut Properties, connection: &ConnectionConfig) {
    let mut set = |key: &str, value: String| {
        properties.insert(key.to_owned(), value);
    };
    set("database.hostname", connection.host.clone());
    set("database.port", connection.port.to_string());
    set("database.user", connection.user.clone());
    set("database.dbname", connection.dbname.clone());
    set("database.sslmode", connection.sslmode.to_string());
    if let Some(password) = &connection.password {
        set("database.password", password.clone());
    }
    if let Some(path) = &connection.sslrootcert {
        set("database.sslrootcert", path.display().to_string());
    }
    if let Some(path) = &connection.sslcert {
        set("database.sslcert", path.display().to_string());
    }
    if let Some(path) = &connection.sslkey {
        set("database.sslkey", path.display().to_string());
    }
    if let Some(timeout) = connection.connect_timeout {
        set(
            "database.connect.timeout.ms",
            timeout.as_millis().to_string(),
        );
    }
}

/// Properties pgcdc knows; the rest are reported by [`unsupported`].
const KNOWN: &[&str] = &[
    "name",
    "connector.class",
    "tasks.max",
    "plugin.name",
    "slot.name",
    "publication.name",
    "publication.autocreate.mode",
    "table.include.list",
    "table.exclude.list",
    "schema.include.list",
    "schema.exclude.list",
    "status.update.interval.ms",
    "heartbeat.interval.ms",
    "heartbeat.action.query",
    "slot.drop.on.stop",
    "errors.max.retries",
    "retriable.restart.connector.wait.ms",
    "topic.prefix",
    "snapshot.mode",
    "snapshot.include.collection.list",
    "snapshot.select.statement.overrides",
    "snapshot.fetch.size",
    "snapshot.max.threads",
    "database.hostname",
    "database.port",
    "database.user",
    "database.password",
    "database.dbname",
    "database.sslmode",
    "database.sslrootcert",
    "database.sslcert",
    "database.sslkey",
    "database.tcpKeepAlive",
    "database.connect.timeout.ms",
    "database.ApplicationName",
    "database.options",
    // Deprecated in Debezium 2 in favour of topic.prefix, and unused by it.
    "database.server.name",
];

/// Prefixes of properties pgcdc knows or that do not apply to it.
const KNOWN_PREFIXES: &[&str] = &[
    "pgcdc.",
    "snapshot.select.statement.overrides.",
    // Debezium's PostgreSQL connector ignores the schema history too.
    "schema.history.internal.",
];

/// The properties pgcdc does not support, in name order.
pub fn unsupported(properties: &Properties) -> Vec<String> {
    properties
        .keys()
        .filter(|key| {
            !KNOWN.contains(&key.as_str())
                && !crate::debezium::config::KEYS.contains(&key.as_str())
                && !super::kafka::KEYS.contains(&key.as_str())
                && !KNOWN_PREFIXES
                    .iter()
                    .chain(crate::debezium::config::KEY_PREFIXES)
                    .chain(super::kafka::KEY_PREFIXES)
                    .any(|p| key.starts_with(p))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unsupported_lists_only_what_pgcdc_does_not_read() {
        let properties: Properties = [
            ("database.hostname", "h"),
            ("database.initial.statements", "SET x = 1"),
            ("pgcdc.protocol.version", "2"),
            ("schema.history.internal.kafka.topic", "t"),
            ("snapshot.mode", "never"),
            ("slot.name", "s"),
            ("transforms", "Reroute"),
            ("transforms.Reroute.regex", "audit\\..*"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(unsupported(&properties), ["database.initial.statements"]);
    }

    #[test]
    fn url_and_overrides_win_over_the_file() {
        let args = ConfigArgs {
            connector: None,
            url: Some("postgres://u:pw@db.example:6543/app?sslmode=require".to_owned()),
            sets: vec!["slot.name=s2".to_owned(), "database.port=1".to_owned()],
        };
        let loaded = args.load().unwrap();
        assert_eq!(loaded.source.connection.port, 1, "--set is applied last");
        assert_eq!(loaded.source.connection.host, "db.example");
        assert_eq!(loaded.source.slot, "s2");
        assert!(matches!(
            ConfigArgs {
                sets: vec!["novalue".into()],
                ..args.clone()
            }
            .load(),
            Err(LoadError::BadSet(_))
        ));
        assert!(matches!(
            ConfigArgs::default().load(),
            Err(LoadError::NoSource)
        ));
    }
}
