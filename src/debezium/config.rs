//! [`DebeziumConfig`]: the connector and converter properties that shape the records, with
//! Debezium's names and defaults.

use std::collections::BTreeMap;

use regex::Regex;

use super::columns::ColumnRules;
use super::java_float::FloatText;
use super::transform::Transforms;

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    /// `precise` (default): Connect `Decimal`, or `VariableScaleDecimal` without a scale.
    Precise,
    /// `string`: the digits as text.
    String,
    /// `double`: a `float64`.
    Double,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecisionMode {
    /// `adaptive` (default): ms or µs types after the column's precision.
    Adaptive,
    /// `adaptive_time_microseconds`: as `adaptive`, but `time` is always `MicroTime`.
    AdaptiveTimeMicroseconds,
    /// `connect`: Kafka Connect's own `Date`, `Time` and `Timestamp` (ms).
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    /// `bytes` (default): Connect `bytes` (base64 in JSON).
    Bytes,
    /// `base64`: a string of standard base64.
    Base64,
    /// `base64-url-safe`: a string of URL-safe base64.
    Base64UrlSafe,
    /// `hex`: a string of lower-case hex digits.
    Hex,
}

/// `hstore.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HstoreMode {
    /// `json` (default): a `io.debezium.data.Json` string.
    Json,
    /// `map`: a Connect map of strings (written as a JSON object).
    Map,
}

/// `pgcdc.debezium.bugs`: what to write where Debezium's own output is wrong (see
/// docs/compatibility.md, "Debezium's bugs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebeziumBugs {
    /// `reproduce` (default): the same (wrong) values as Debezium, so consumers see no change.
    Reproduce,
    /// `fix`: the correct values instead (`name` text, ±infinity dates and timestamps as the
    /// limits of their field type).
    Fix,
}

/// `interval.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalMode {
    /// `numeric` (default): `MicroDuration`, µs with 30.4375-day months.
    Numeric,
    /// `string`: ISO 8601 `PnYnMnDTnHnMnS` (`io.debezium.time.Interval`).
    String,
}

/// A property that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required property is missing.
    #[error(
        "property {0} is required by the Debezium output: set it in the connector configuration \
         or with --set {0}=... (or use --format plain)"
    )]
    Missing(&'static str),
    /// A property has a value Debezium would refuse.
    #[error("property {key} has an invalid value {value:?}: {expected}")]
    Invalid {
        /// The property.
        key: &'static str,
        /// Its value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A transform listed in `transforms` has no `transforms.<alias>.type`.
    #[error("transform {0} has no type: set transforms.{0}.type")]
    TransformType(String),
    /// A transform, or one of its settings, that pgcdc does not apply.
    #[error(
        "property {key}={value} is not supported: the only transform pgcdc applies is \
         org.apache.kafka.connect.transforms.RegexRouter, without predicates"
    )]
    UnsupportedTransform {
        /// The property (`transforms.<alias>.type`, ...).
        key: String,
        /// Its value.
        value: String,
    },
    /// A transform setting that cannot be used.
    #[error("property {key} has an invalid value {value:?}: {reason}")]
    InvalidTransform {
        /// The property.
        key: String,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A property (with a name made at run time) that cannot be used.
    #[error("property {key} has an invalid value {value:?}: {reason}")]
    InvalidSetting {
        /// The property.
        key: String,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A property asks for something pgcdc does not do yet.
    #[error("property {key}={value} is not supported yet")]
    Unsupported {
        /// The property.
        key: &'static str,
        /// Its value.
        value: String,
    },
}

/// The connector properties [`DebeziumConfig::from_properties`] reads (with `topic.prefix` and
/// `database.dbname`, which the source reads too).
pub const KEYS: &[&str] = &[
    "provide.transaction.metadata",
    "skipped.operations",
    "money.fraction.digits",
    "key.converter",
    "value.converter",
    "key.converter.schemas.enable",
    "value.converter.schemas.enable",
    "key.converter.replace.null.with.default",
    "value.converter.replace.null.with.default",
    "tombstones.on.delete",
    "decimal.handling.mode",
    "time.precision.mode",
    "binary.handling.mode",
    "hstore.handling.mode",
    "interval.handling.mode",
    "include.unknown.datatypes",
    "unavailable.value.placeholder",
    "message.prefix.include.list",
    "message.prefix.exclude.list",
    "extended.headers.enabled",
    "transforms",
    "column.include.list",
    "column.exclude.list",
    "message.key.columns",
    "pgcdc.debezium.bugs",
    "pgcdc.debezium.java.version",
];

/// The prefixes of the properties [`DebeziumConfig::from_properties`] reads: every
/// `transforms.<alias>.*` setting (see [`Transforms`]) and the column mappers (see
/// [`ColumnRules`]).
pub const KEY_PREFIXES: &[&str] = &[
    "transforms.",
    "column.truncate.to.",
    "column.mask.with.",
    "column.mask.hash.",
];

/// The settings of a [`DebeziumEncoder`](super::DebeziumEncoder).
#[derive(Debug, Clone)]
pub struct DebeziumConfig {
    /// `topic.prefix`: the logical name, first part of every topic and schema name.
    pub topic_prefix: String,
    /// `database.dbname`: `source.db`.
    pub database: String,
    /// `key.converter.schemas.enable` (default true).
    pub key_schemas: bool,
    /// `value.converter.schemas.enable` (default true).
    pub value_schemas: bool,
    /// `key.converter.replace.null.with.default` (default true).
    pub key_replace_null_with_default: bool,
    /// `value.converter.replace.null.with.default` (default true).
    pub value_replace_null_with_default: bool,
    /// `tombstones.on.delete` (default true).
    pub tombstones_on_delete: bool,
    /// `decimal.handling.mode`.
    pub decimal_mode: DecimalMode,
    /// `time.precision.mode`.
    pub time_precision_mode: TimePrecisionMode,
    /// `binary.handling.mode`.
    pub binary_mode: BinaryMode,
    /// `hstore.handling.mode`.
    pub hstore_mode: HstoreMode,
    /// `interval.handling.mode`.
    pub interval_mode: IntervalMode,
    /// `include.unknown.datatypes` (default false: such columns are left out).
    pub include_unknown_datatypes: bool,
    /// `money.fraction.digits` (default 2).
    pub money_fraction_digits: u8,
    /// `unavailable.value.placeholder` (default `__debezium_unavailable_value`).
    pub unavailable_value_placeholder: String,
    /// `skipped.operations` contains `c`.
    pub skip_creates: bool,
    /// `skipped.operations` contains `u`.
    pub skip_updates: bool,
    /// `skipped.operations` contains `d`.
    pub skip_deletes: bool,
    /// `skipped.operations` contains `t` (the default).
    pub skip_truncates: bool,
    /// `message.prefix.include.list`.
    pub message_prefix_include: Option<Vec<Regex>>,
    /// `message.prefix.exclude.list`.
    pub message_prefix_exclude: Option<Vec<Regex>>,
    /// `extended.headers.enabled` (default true): the `__debezium.context.*` headers.
    pub extended_headers: bool,
    /// `provide.transaction.metadata` (default false): BEGIN and END records on
    /// `<topic.prefix>.transaction` and the `transaction` block of every change.
    pub provide_transaction_metadata: bool,
    /// `transforms` and `transforms.*`: the transforms applied to every record.
    pub transforms: Transforms,
    /// The column filter, custom keys and column mappers.
    pub columns: ColumnRules,
    /// `pgcdc.debezium.bugs` (default `reproduce`).
    pub bugs: DebeziumBugs,
    /// `pgcdc.debezium.java.version` (default 17): the Java whose `float` / `double` text is
    /// written (Java 17 and 18 print other digits than 19 and later).
    pub float_text: FloatText,
}

impl DebeziumConfig {
    /// Reads the settings from connector properties (converter settings under
    /// `key.converter.` and `value.converter.`). Unknown properties are ignored.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let get = |key: &str| props.get(key).map(|v| v.trim());
        let topic_prefix = get("topic.prefix")
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("topic.prefix"))?
            .to_owned();
        let database = get("database.dbname")
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("database.dbname"))?
            .to_owned();
        let skipped = get("skipped.operations")
            .unwrap_or("t")
            .to_ascii_lowercase();
        let mut ops = [false; 4];
        for op in skipped.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match op {
                "c" => ops[0] = true,
                "u" => ops[1] = true,
                "d" => ops[2] = true,
                "t" => ops[3] = true,
                "none" => {}
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "skipped.operations",
                        value: skipped.clone(),
                        expected: "a comma-separated list of c, u, d, t, or none",
                    });
                }
            }
        }
        let money_fraction_digits = match get("money.fraction.digits") {
            None => 2,
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                key: "money.fraction.digits",
                value: v.to_owned(),
                expected: "an integer from 0 to 255",
            })?,
        };
        Ok(Self {
            topic_prefix,
            database,
            key_schemas: bool_of(props, "key.converter.schemas.enable", true)?,
            value_schemas: bool_of(props, "value.converter.schemas.enable", true)?,
            key_replace_null_with_default: bool_of(
                props,
                "key.converter.replace.null.with.default",
                true,
            )?,
            value_replace_null_with_default: bool_of(
                props,
                "value.converter.replace.null.with.default",
                true,
            )?,
            tombstones_on_delete: bool_of(props, "tombstones.on.delete", true)?,
            decimal_mode: choice(
                props,
                "decimal.handling.mode",
                &[
                    ("precise", DecimalMode::Precise),
                    ("string", DecimalMode::String),
                    ("double", DecimalMode::Double),
                ],
                "precise, string or double",
            )?,
            time_precision_mode: choice(
                props,
                "time.precision.mode",
                &[
                    ("adaptive", TimePrecisionMode::Adaptive),
                    (
                        "adaptive_time_microseconds",
                        TimePrecisionMode::AdaptiveTimeMicroseconds,
                    ),
                    ("connect", TimePrecisionMode::Connect),
                ],
                "adaptive, adaptive_time_microseconds or connect",
            )?,
            binary_mode: choice(
                props,
                "binary.handling.mode",
                &[
                    ("bytes", BinaryMode::Bytes),
                    ("base64", BinaryMode::Base64),
                    ("base64-url-safe", BinaryMode::Base64UrlSafe),
                    ("hex", BinaryMode::Hex),
                ],
                "bytes, base64, base64-url-safe or hex",
            )?,
            hstore_mode: choice(
                props,
                "hstore.handling.mode",
                &[("json", HstoreMode::Json), ("map", HstoreMode::Map)],
                "json or map",
            )?,
            interval_mode: choice(
                props,
                "interval.handling.mode",
                &[
                    ("numeric", IntervalMode::Numeric),
                    ("string", IntervalMode::String),
                ],
                "numeric or string",
            )?,
            include_unknown_datatypes: bool_of(props, "include.unknown.datatypes", false)?,
            money_fraction_digits,
            unavailable_value_placeholder: props
                .get("unavailable.value.placeholder")
                .cloned()
                .unwrap_or_else(|| "__debezium_unavailable_value".to_owned()),
            skip_creates: ops[0],
            skip_updates: ops[1],
            skip_deletes: ops[2],
            skip_truncates: ops[3],
            message_prefix_include: regex_list(props, "message.prefix.include.list")?,
            message_prefix_exclude: regex_list(props, "message.prefix.exclude.list")?,
            extended_headers: bool_of(props, "extended.headers.enabled", true)?,
            provide_transaction_metadata: bool_of(props, "provide.transaction.metadata", false)?,
            transforms: Transforms::from_properties(props)?,
            columns: ColumnRules::from_properties(props)?,
            bugs: choice(
                props,
                "pgcdc.debezium.bugs",
                &[
                    ("reproduce", DebeziumBugs::Reproduce),
                    ("fix", DebeziumBugs::Fix),
                ],
                "reproduce or fix",
            )?,
            float_text: java_float_text(props)?,
        })
    }

    /// Whether a logical decoding message with this prefix is emitted.
    pub fn message_prefix_allowed(&self, prefix: &str) -> bool {
        let any = |list: &[Regex]| list.iter().any(|r| r.is_match(prefix));
        match (&self.message_prefix_include, &self.message_prefix_exclude) {
            (Some(include), _) => any(include),
            (None, Some(exclude)) => !any(exclude),
            (None, None) => true,
        }
    }
}

/// `pgcdc.debezium.java.version`: the Java release Debezium runs on (17 or later, as Debezium
/// 3 requires), which decides the text of `float` and `double` values.
fn java_float_text(props: &BTreeMap<String, String>) -> Result<FloatText, ConfigError> {
    const KEY: &str = "pgcdc.debezium.java.version";
    let Some(value) = props.get(KEY).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(FloatText::Java17);
    };
    match value.parse::<u32>() {
        Ok(17 | 18) => Ok(FloatText::Java17),
        Ok(release) if release >= 19 => Ok(FloatText::Shortest),
        _ => Err(ConfigError::Invalid {
            key: KEY,
            value: value.to_owned(),
            expected: "the Java release Debezium runs on, 17 or later (17 and 18 print floating \
                       point numbers as Java 17 does, 19 and later the shortest text)",
        }),
    }
}

fn bool_of(
    props: &BTreeMap<String, String>,
    key: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match props.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            key,
            value: v.to_owned(),
            expected: "true or false",
        }),
    }
}

fn choice<T: Copy>(
    props: &BTreeMap<String, String>,
    key: &'static str,
    options: &[(&str, T)],
    expected: &'static str,
) -> Result<T, ConfigError> {
    let Some(value) = props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(options[0].1);
    };
    options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| ConfigError::Invalid {
            key,
            value: value.to_owned(),
            expected,
        })
}

/// A comma-separated list of regular expressions, each matching the whole text.
fn regex_list(
    props: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<Vec<Regex>>, ConfigError> {
    let Some(value) = props.get(key).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            Regex::new(&format!("^(?:{p})$")).map_err(|_| ConfigError::Invalid {
                key,
                value: value.clone(),
                expected: "comma-separated regular expressions",
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) use crate::config::test_props as props;

    #[test]
    fn defaults_and_errors_name_the_key() {
        let base = [("topic.prefix", "oracle"), ("database.dbname", "app")];
        let config = DebeziumConfig::from_properties(&props(&base)).unwrap();
        assert!(config.key_schemas && config.value_replace_null_with_default);
        assert!(config.skip_truncates && !config.skip_deletes);
        assert_eq!(config.decimal_mode, DecimalMode::Precise);
        let mut bad = props(&base);
        bad.insert("decimal.handling.mode".into(), "exact".into());
        let error = DebeziumConfig::from_properties(&bad).unwrap_err();
        assert!(
            error.to_string().contains("decimal.handling.mode"),
            "{error}"
        );
        assert_eq!(config.bugs, DebeziumBugs::Reproduce);
        let mut fix = props(&base);
        fix.insert("pgcdc.debezium.bugs".into(), "FIX".into());
        let fixed = DebeziumConfig::from_properties(&fix).unwrap();
        assert_eq!(fixed.bugs, DebeziumBugs::Fix);
        fix.insert("pgcdc.debezium.bugs".into(), "correct".into());
        let error = DebeziumConfig::from_properties(&fix)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("pgcdc.debezium.bugs") && error.contains("reproduce or fix"),
            "{error}"
        );
        assert_eq!(config.float_text, FloatText::Java17);
        let mut java = props(&base);
        for (release, text) in [
            ("18", FloatText::Java17),
            (" 19 ", FloatText::Shortest),
            ("21", FloatText::Shortest),
        ] {
            java.insert("pgcdc.debezium.java.version".into(), release.into());
            let config = DebeziumConfig::from_properties(&java).unwrap();
            assert_eq!(config.float_text, text, "{release}");
        }
        for bad in ["11", "17.0.15", "latest"] {
            java.insert("pgcdc.debezium.java.version".into(), bad.into());
            let error = DebeziumConfig::from_properties(&java)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("pgcdc.debezium.java.version") && error.contains("17 or later"),
                "{error}"
            );
        }
        assert!(matches!(
            DebeziumConfig::from_properties(&props(&[("topic.prefix", "x")])),
            Err(ConfigError::Missing("database.dbname"))
        ));
    }

    #[test]
    fn message_prefix_lists() {
        let mut p = props(&[("topic.prefix", "o"), ("database.dbname", "d")]);
        p.insert("message.prefix.exclude.list".into(), "aud.*".into());
        let config = DebeziumConfig::from_properties(&p).unwrap();
        assert!(!config.message_prefix_allowed("audit"));
        assert!(config.message_prefix_allowed("xaudit"));
    }
}
