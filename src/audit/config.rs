//! The audit store's settings, from `pgcdc.audit.*` properties (connector file or `--set`).
//!
//! | property | default | meaning |
//! | --- | --- | --- |
//! | `pgcdc.audit.url` | none | the audit store, a libpq URL or key/value string (`--sink audit:URL` overrides it) |
//! | `pgcdc.audit.context.prefix` | `pgcdc.audit` | the prefix of `pg_logical_emit_message` calls that carry a transaction's context |
//! | `pgcdc.audit.batch.rows` | `5000` | rows written per database transaction at most |
//! | `pgcdc.audit.retention.days` | `0` | drop partitions older than this many days (`0`: keep everything) |
//! | `pgcdc.audit.partitions.ahead.days` | `7` | daily partitions created ahead of today |
//! | `pgcdc.audit.token.NAME` | none | an API bearer token called NAME |
//! | `pgcdc.audit.token.NAME.tables` | none | the tables token NAME may read: comma-separated regular expressions matching the whole `schema.table`, as `table.include.list` |
//! | `pgcdc.audit.requests.topic` | none | a Kafka topic of request records to join to transactions by `txid` |
//! | `pgcdc.audit.requests.bootstrap.servers` | `kafka.bootstrap.servers` | its brokers |
//! | `pgcdc.audit.requests.window.ms` | `60000` | how long a request record and a transaction wait for each other |

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::connection::ConnectionConfig;
use crate::config::filter::TableFilter;
use crate::config::source::SettingError;

/// The default context message prefix.
pub const DEFAULT_CONTEXT_PREFIX: &str = "pgcdc.audit";

/// The audit store's settings.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// The audit store, when configured.
    pub url: Option<String>,
    /// The prefix of context messages.
    pub context_prefix: String,
    /// Rows per write transaction at most.
    pub batch_rows: usize,
    /// How many days of partitions are kept (`None`: all).
    pub retention_days: Option<u32>,
    /// How many daily partitions are created ahead of today.
    pub partitions_ahead_days: u32,
    /// API tokens.
    pub tokens: Vec<ApiToken>,
    /// Request records from Kafka, when configured.
    pub requests: Option<RequestsConfig>,
}

/// Where request records come from (a Kafka topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestsConfig {
    /// The topic.
    pub topic: String,
    /// The brokers.
    pub bootstrap_servers: String,
    /// How long a record and a transaction wait for each other.
    pub window: Duration,
}

/// A bearer token of the audit API and the tables it may read.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Its name (for logs; never the secret).
    pub name: String,
    /// The secret the client sends (`Authorization: Bearer SECRET`).
    pub secret: String,
    /// The tables it may read.
    pub tables: TableFilter,
}

impl ApiToken {
    /// Whether the token may read `schema.table`.
    pub fn allows(&self, schema: &str, table: &str) -> bool {
        self.tables.matches(schema, table)
    }
}

impl AuditConfig {
    /// Reads the `pgcdc.audit.*` properties.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<Self, SettingError> {
        let get = |key: &str| {
            properties
                .get(key)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        };
        let number = |key: &str, default: u64| -> Result<u64, SettingError> {
            match get(key) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| invalid(key, text, "use a whole number")),
            }
        };
        let batch_rows = number("pgcdc.audit.batch.rows", 5000)?;
        if batch_rows == 0 {
            return Err(invalid("pgcdc.audit.batch.rows", "0", "use at least 1"));
        }
        let retention = number("pgcdc.audit.retention.days", 0)?;
        let ahead = number("pgcdc.audit.partitions.ahead.days", 7)?;
        let tokens = tokens(properties)?;
        let requests = match get("pgcdc.audit.requests.topic") {
            None => None,
            Some(topic) => {
                let servers = get("pgcdc.audit.requests.bootstrap.servers")
                    .or_else(|| get("kafka.bootstrap.servers"))
                    .ok_or_else(|| {
                        invalid(
                            "pgcdc.audit.requests.bootstrap.servers",
                            "",
                            "set the Kafka brokers of pgcdc.audit.requests.topic (host:port,...)",
                        )
                    })?;
                Some(RequestsConfig {
                    topic: topic.trim().to_owned(),
                    bootstrap_servers: servers.trim().to_owned(),
                    window: Duration::from_millis(number(
                        "pgcdc.audit.requests.window.ms",
                        60_000,
                    )?),
                })
            }
        };
        if let Some(url) = get("pgcdc.audit.url") {
            ConnectionConfig::parse(url)?;
        }
        Ok(Self {
            url: get("pgcdc.audit.url").map(str::to_owned),
            context_prefix: get("pgcdc.audit.context.prefix")
                .unwrap_or(DEFAULT_CONTEXT_PREFIX)
                .to_owned(),
            batch_rows: usize::try_from(batch_rows).unwrap_or(usize::MAX),
            retention_days: (retention > 0).then(|| u32::try_from(retention).unwrap_or(u32::MAX)),
            partitions_ahead_days: u32::try_from(ahead).unwrap_or(u32::MAX).min(366),
            tokens,
            requests,
        })
    }

    /// The audit store's connection settings.
    pub fn connection(&self) -> Result<ConnectionConfig, SettingError> {
        match &self.url {
            Some(url) => Ok(ConnectionConfig::parse(url)?),
            None => Err(invalid(
                "pgcdc.audit.url",
                "",
                "say where the audit store is: pgcdc.audit.url=postgres://user@host/audit (or --sink audit:URL)",
            )),
        }
    }
}

/// `pgcdc.audit.token.NAME` and `pgcdc.audit.token.NAME.tables`.
fn tokens(properties: &BTreeMap<String, String>) -> Result<Vec<ApiToken>, SettingError> {
    let mut tokens = Vec::new();
    for (key, secret) in properties.range("pgcdc.audit.token.".to_owned()..) {
        let Some(name) = key.strip_prefix("pgcdc.audit.token.") else {
            break;
        };
        if name.ends_with(".tables") {
            continue;
        }
        if name.is_empty() || name.contains('.') {
            return Err(invalid(
                key,
                secret,
                "name tokens pgcdc.audit.token.NAME (NAME without dots), with pgcdc.audit.token.NAME.tables",
            ));
        }
        let secret = secret.trim();
        if secret.len() < 16 {
            return Err(invalid(
                key,
                "(hidden)",
                "use a token of at least 16 characters (e.g. openssl rand -hex 24)",
            ));
        }
        let tables_key = format!("{key}.tables");
        let Some(tables) = properties.get(&tables_key).filter(|t| !t.trim().is_empty()) else {
            return Err(invalid(
                &tables_key,
                "",
                "say which tables the token may read (regular expressions of schema.table, comma-separated; .* for all)",
            ));
        };
        let filter = TableFilter::new(None, None, Some(tables), None).map_err(|mut e| {
            e.key = tables_key.clone();
            e
        })?;
        tokens.push(ApiToken {
            name: name.to_owned(),
            secret: secret.to_owned(),
            tables: filter,
        });
    }
    Ok(tokens)
}

fn invalid(key: &str, value: &str, expected: &str) -> SettingError {
    SettingError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use crate::config::test_props as props;

    #[test]
    fn defaults_and_tokens() {
        let config = AuditConfig::from_properties(&props(&[
            ("pgcdc.audit.url", "postgres://u@h/audit"),
            ("pgcdc.audit.token.ops", "0123456789abcdef0123"),
            ("pgcdc.audit.token.ops.tables", "public\\.orders,shop\\..*"),
        ]))
        .unwrap();
        assert_eq!(config.context_prefix, "pgcdc.audit");
        assert_eq!(config.batch_rows, 5000);
        assert_eq!(config.retention_days, None);
        assert_eq!(config.tokens.len(), 1);
        let token = &config.tokens[0];
        assert_eq!(token.name, "ops");
        assert!(token.allows("public", "orders"));
        assert!(token.allows("shop", "items"));
        assert!(!token.allows("public", "customers"));
        assert_eq!(config.connection().unwrap().dbname, "audit");
    }

    #[test]
    fn mistakes_name_the_key() {
        let error = AuditConfig::from_properties(&props(&[(
            "pgcdc.audit.token.ops",
            "0123456789abcdef0123",
        )]))
        .unwrap_err();
        assert!(
            error.to_string().contains("pgcdc.audit.token.ops.tables"),
            "{error}"
        );
        let error = AuditConfig::from_properties(&props(&[("pgcdc.audit.token.ops", "short")]))
            .unwrap_err();
        assert!(error.to_string().contains("at least 16"), "{error}");
        let error = AuditConfig::from_properties(&props(&[("pgcdc.audit.retention.days", "x")]))
            .unwrap_err();
        assert!(
            error.to_string().contains("pgcdc.audit.retention.days"),
            "{error}"
        );
        let missing = AuditConfig::from_properties(&props(&[])).unwrap();
        assert!(
            missing
                .connection()
                .unwrap_err()
                .to_string()
                .contains("pgcdc.audit.url")
        );
    }
}
