//! The Kafka sink's settings, from connector properties.
//!
//! - The brokers: `kafka.bootstrap.servers` (or `pgcdc.kafka.bootstrap.servers`, or
//!   `producer.override.bootstrap.servers`), unless `--sink kafka:HOSTS` names them.
//! - librdkafka settings, passed through: `kafka.<name>` and Kafka Connect's
//!   `producer.override.<name>` (for example `kafka.compression.type=lz4`,
//!   `producer.override.linger.ms=20`, `kafka.batch.size=1000000`, `kafka.security.protocol`).
//!   A few Java producer names librdkafka spells differently are translated
//!   (`max.request.size` -> `message.max.bytes`, `sasl.mechanism` -> `sasl.mechanisms`).
//! - Always set: `enable.idempotence=true` and `acks=all`. Defaults that may be overridden:
//!   `partitioner=murmur2_random` (Java's placement of keyed records), `message.timeout.ms=0`
//!   (a record is retried without limit while the brokers are unreachable; set
//!   `kafka.message.timeout.ms` or `producer.override.delivery.timeout.ms` to give up after a
//!   while, which stops the run without confirming the record).
//! - The bound on records handed to the producer but not yet acknowledged by the brokers:
//!   Debezium's `max.queue.size` (records, default 8192) and `max.queue.size.in.bytes` (key and
//!   value bytes; default 64 MiB, where Debezium has no bound; `0` means no byte bound). When it
//!   is reached pgcdc stops reading the replication stream until acknowledgements make room.
//! - Topic creation, with Kafka Connect's names: `topic.creation.enable` (default true),
//!   `topic.creation.default.partitions` and `topic.creation.default.replication.factor`
//!   (default -1: the broker's defaults), and any other `topic.creation.default.<config>` as a
//!   topic config (for example `topic.creation.default.cleanup.policy=compact`).
//! - `pgcdc.kafka.shutdown.timeout.ms` (default 30 s): how long a graceful stop waits for the
//!   records still in flight before it gives up on them (they are not confirmed, so they are
//!   sent again by the next run).

use std::collections::BTreeMap;
use std::time::Duration;

use super::source::SettingError;

/// The properties this module reads (beyond the prefixes of [`KEY_PREFIXES`]).
pub const KEYS: &[&str] = &[
    "max.queue.size",
    "max.queue.size.in.bytes",
    "topic.creation.enable",
];

/// The prefixes of the properties this module reads.
pub const KEY_PREFIXES: &[&str] = &["kafka.", "producer.override.", "topic.creation.default."];

/// The default of `max.queue.size`.
pub const DEFAULT_MAX_QUEUE_RECORDS: usize = 8192;
/// The default bound on in-flight key and value bytes (`max.queue.size.in.bytes`).
pub const DEFAULT_MAX_QUEUE_BYTES: usize = 64 << 20;

/// Settings librdkafka gets whatever the properties say: each record is written once and in
/// order per partition, and acknowledged by every in-sync replica.
const ENFORCED: &[(&str, &str)] = &[("enable.idempotence", "true"), ("acks", "all")];

/// Java producer names that librdkafka spells differently.
const RENAMED: &[(&str, &str)] = &[
    ("max.request.size", "message.max.bytes"),
    ("sasl.mechanism", "sasl.mechanisms"),
];

/// Java producer settings with no librdkafka counterpart; they are ignored with a warning.
const JAVA_ONLY: &[&str] = &[
    "buffer.memory",
    "key.serializer",
    "value.serializer",
    "max.block.ms",
    "sasl.jaas.config",
];

/// Topic creation (Kafka Connect's `topic.creation.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCreation {
    /// Partitions of a new topic (-1: the broker's `num.partitions`).
    pub partitions: i32,
    /// Replication factor of a new topic (-1: the broker's `default.replication.factor`).
    pub replication_factor: i32,
    /// Topic configs of a new topic.
    pub configs: BTreeMap<String, String>,
}

/// The Kafka sink's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// The librdkafka producer settings, `bootstrap.servers` included.
    pub producer: BTreeMap<String, String>,
    /// At most this many records in flight.
    pub max_in_flight_records: usize,
    /// At most this many key and value bytes in flight (`None`: no bound).
    pub max_in_flight_bytes: Option<usize>,
    /// How missing topics are created (`None`: they are not, and a missing topic stops the run).
    pub topic_creation: Option<TopicCreation>,
    /// How long a graceful stop waits for records in flight.
    pub shutdown_timeout: Duration,
}

impl KafkaConfig {
    /// Reads the settings; `bootstrap` (from `--sink kafka:HOSTS`) wins over the properties.
    pub fn from_properties(
        properties: &BTreeMap<String, String>,
        bootstrap: Option<&str>,
    ) -> Result<Self, SettingError> {
        let get = |key: &str| {
            properties
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut producer = BTreeMap::new();
        producer.insert("partitioner".to_owned(), "murmur2_random".to_owned());
        producer.insert("message.timeout.ms".to_owned(), "0".to_owned());
        // pgcdc creates topics itself (or refuses to run without them), never by a metadata request.
        producer.insert("allow.auto.create.topics".to_owned(), "false".to_owned());
        // Room for pgcdc's own bound on records in flight; that bound is what applies.
        producer.insert(
            "queue.buffering.max.messages".to_owned(),
            "2000000".to_owned(),
        );
        producer.insert(
            "queue.buffering.max.kbytes".to_owned(),
            "2097151".to_owned(),
        );
        // Java-style prefix first, then pgcdc's, so that `kafka.*` wins over `producer.override.*`.
        for prefix in ["producer.override.", "kafka."] {
            for (key, value) in properties {
                let Some(name) = key.strip_prefix(prefix) else {
                    continue;
                };
                if name.is_empty() {
                    continue;
                }
                if JAVA_ONLY.contains(&name) {
                    tracing::warn!(property = %key, "librdkafka has no such setting; ignored");
                    continue;
                }
                let name = RENAMED
                    .iter()
                    .find(|(java, _)| *java == name)
                    .map_or(name, |(_, librdkafka)| librdkafka);
                if let Some((_, enforced)) = ENFORCED.iter().find(|(k, _)| *k == name) {
                    if value.trim() != *enforced {
                        return Err(SettingError::Invalid {
                            key: key.clone(),
                            value: value.clone(),
                            expected: format!(
                                "pgcdc always produces with {name}={enforced} (idempotent, acknowledged by all in-sync replicas); remove the property"
                            ),
                        });
                    }
                    continue;
                }
                producer.insert(name.to_owned(), value.trim().to_owned());
            }
        }
        for (key, value) in ENFORCED {
            producer.insert((*key).to_owned(), (*value).to_owned());
        }
        let servers = bootstrap
            .filter(|b| !b.is_empty())
            .or_else(|| get("pgcdc.kafka.bootstrap.servers"))
            .or_else(|| get("kafka.bootstrap.servers"))
            .or_else(|| get("producer.override.bootstrap.servers"))
            .ok_or_else(|| SettingError::Invalid {
                key: "kafka.bootstrap.servers".to_owned(),
                value: String::new(),
                expected: "the Kafka sink needs its brokers: set kafka.bootstrap.servers=host:9092 or use --sink kafka:host:9092".to_owned(),
            })?;
        producer.insert("bootstrap.servers".to_owned(), servers.to_owned());

        let count = |key: &str, default: usize| -> Result<usize, SettingError> {
            match get(key) {
                None => Ok(default),
                Some(text) => text.parse::<usize>().map_err(|_| SettingError::Invalid {
                    key: key.to_owned(),
                    value: text.to_owned(),
                    expected: "use a whole number".to_owned(),
                }),
            }
        };
        let max_in_flight_records = count("max.queue.size", DEFAULT_MAX_QUEUE_RECORDS)?;
        if max_in_flight_records == 0 {
            return Err(SettingError::Invalid {
                key: "max.queue.size".to_owned(),
                value: "0".to_owned(),
                expected: "use at least 1 (the default is 8192)".to_owned(),
            });
        }
        let max_in_flight_bytes = match count("max.queue.size.in.bytes", DEFAULT_MAX_QUEUE_BYTES)? {
            0 => None,
            bytes => Some(bytes),
        };
        let topic_creation = match get("topic.creation.enable").unwrap_or("true") {
            "true" => {
                let number = |key: &str| -> Result<i32, SettingError> {
                    match get(key) {
                        None => Ok(-1),
                        Some(text) => text
                            .parse::<i32>()
                            .ok()
                            .filter(|n| *n == -1 || *n > 0)
                            .ok_or_else(|| SettingError::Invalid {
                                key: key.to_owned(),
                                value: text.to_owned(),
                                expected: "use a positive number, or -1 for the broker's default"
                                    .to_owned(),
                            }),
                    }
                };
                let configs = properties
                    .iter()
                    .filter_map(|(key, value)| {
                        let name = key.strip_prefix("topic.creation.default.")?;
                        (name != "partitions" && name != "replication.factor" && !name.is_empty())
                            .then(|| (name.to_owned(), value.trim().to_owned()))
                    })
                    .collect();
                Some(TopicCreation {
                    partitions: number("topic.creation.default.partitions")?,
                    replication_factor: number("topic.creation.default.replication.factor")?,
                    configs,
                })
            }
            "false" => None,
            other => {
                return Err(SettingError::Invalid {
                    key: "topic.creation.enable".to_owned(),
                    value: other.to_owned(),
                    expected: "use true or false".to_owned(),
                });
            }
        };
        let shutdown_ms = count("pgcdc.kafka.shutdown.timeout.ms", 30_000)?;
        Ok(Self {
            producer,
            max_in_flight_records,
            max_in_flight_bytes,
            topic_creation,
            shutdown_timeout: Duration::from_millis(shutdown_ms as u64),
        })
    }

    /// The brokers.
    pub fn bootstrap_servers(&self) -> &str {
        self.producer
            .get("bootstrap.servers")
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use crate::config::test_props as props;

    #[test]
    fn defaults_and_pass_through() {
        let config = KafkaConfig::from_properties(
            &props(&[
                ("kafka.bootstrap.servers", "b:9092"),
                ("producer.override.compression.type", "zstd"),
                ("kafka.compression.type", "lz4"),
                ("producer.override.max.request.size", "2000000"),
                ("producer.override.buffer.memory", "1"),
                ("topic.creation.default.partitions", "3"),
                ("topic.creation.default.cleanup.policy", "compact"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(config.bootstrap_servers(), "b:9092");
        assert_eq!(config.producer["compression.type"], "lz4", "kafka.* wins");
        assert_eq!(config.producer["message.max.bytes"], "2000000");
        assert_eq!(config.producer["partitioner"], "murmur2_random");
        assert_eq!(config.producer["enable.idempotence"], "true");
        assert_eq!(config.producer["acks"], "all");
        assert!(!config.producer.contains_key("buffer.memory"));
        assert_eq!(config.max_in_flight_records, 8192);
        assert_eq!(config.max_in_flight_bytes, Some(DEFAULT_MAX_QUEUE_BYTES));
        let creation = config.topic_creation.unwrap();
        assert_eq!(creation.partitions, 3);
        assert_eq!(creation.replication_factor, -1);
        assert_eq!(creation.configs["cleanup.policy"], "compact");
    }

    #[test]
    fn bad_settings_say_what_to_do() {
        let error = KafkaConfig::from_properties(&props(&[]), None).unwrap_err();
        assert!(
            error.to_string().contains("kafka.bootstrap.servers"),
            "{error}"
        );
        let error = KafkaConfig::from_properties(
            &props(&[("kafka.acks", "1"), ("kafka.bootstrap.servers", "b")]),
            None,
        )
        .unwrap_err();
        assert!(error.to_string().contains("acks=all"), "{error}");
        let config = KafkaConfig::from_properties(
            &props(&[
                ("kafka.bootstrap.servers", "b"),
                ("topic.creation.enable", "false"),
                ("max.queue.size.in.bytes", "0"),
            ]),
            Some("c:1"),
        )
        .unwrap();
        assert_eq!(config.bootstrap_servers(), "c:1");
        assert_eq!(config.topic_creation, None);
        assert_eq!(config.max_in_flight_bytes, None);
    }
}
