//! Kafka Connect single message transforms applied to every record, in the order of the
//! `transforms` property: Kafka's `RegexRouter`, which replaces a topic that the regular
//! expression matches as a whole with the replacement (`$1`-style group references written in
//! Java's syntax), and Debezium's `ExtractNewRecordState` ([`ExtractNewRecordState`]), which
//! the encoder applies as it writes each table record.

use std::collections::BTreeMap;

use regex::Regex;

use super::config::ConfigError;
use super::schema::{Field, Schema, SchemaType};
use super::source::source_schema;

/// The class name of Kafka's topic-renaming transform.
pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";
/// The class name of Debezium's record-flattening transform.
pub const EXTRACT_NEW_RECORD_STATE: &str = "io.debezium.transforms.ExtractNewRecordState";

/// `delete.tombstone.handling.mode` of `ExtractNewRecordState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteHandling {
    /// `drop`: deletes and tombstones are dropped.
    Drop,
    /// `tombstone` (default): a delete becomes a record whose value is null (with the row
    /// schema), tombstones are dropped.
    Tombstone,
    /// `rewrite`: a delete becomes its old row with `__deleted: "true"` (and every other
    /// record gets `__deleted: "false"`); tombstones are dropped.
    Rewrite,
    /// `rewrite-with-tombstone`: as `rewrite`, and tombstones are kept.
    RewriteWithTombstone,
    /// `delete-to-tombstone`: a delete becomes a tombstone; tombstones are dropped.
    DeleteToTombstone,
}

impl DeleteHandling {
    /// Whether records get the `__deleted` field.
    pub fn rewrites(self) -> bool {
        matches!(self, Self::Rewrite | Self::RewriteWithTombstone)
    }
}

/// Where an `add.fields` / `add.headers` entry takes its value from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaSource {
    /// A field of the envelope: `op`, `ts_ms`, `ts_us`, `ts_ns`.
    Envelope(String),
    /// A field of the `source` block.
    Source(String),
    /// A field of the `transaction` block: `id`, `total_order`, `data_collection_order`.
    Transaction(String),
}

/// One `add.fields` / `add.headers` entry: `field`, `struct.field`, optionally `:new_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaField {
    /// Where the value comes from.
    pub source: MetaSource,
    /// The name of the added field or header, prefix included.
    pub name: String,
}

impl MetaField {
    /// Parses one entry as Debezium does: a bare name is looked up in the transaction block
    /// (`id`, `total_order`, `data_collection_order`), the envelope (`op`, `ts_ms`, `ts_us`,
    /// `ts_ns`) or else the source block; `struct.field` names its struct and becomes
    /// `<prefix><struct>_<field>`; `...:name` becomes `<prefix><name>`.
    fn parse(prefix: &str, entry: &str) -> Result<Self, String> {
        let parts: Vec<&str> = entry.split(':').collect();
        if parts.len() > 2 {
            return Err(format!("unexpected field name {entry:?}"));
        }
        let path: Vec<&str> = parts[0].split('.').collect();
        let (container, field) = match path.as_slice() {
            [field] => {
                let container = match *field {
                    "id" | "total_order" | "data_collection_order" => "transaction",
                    "op" | "ts_ms" | "ts_us" | "ts_ns" => "",
                    _ => "source",
                };
                (container, *field)
            }
            [container, field, ..] => (*container, *field),
            [] => return Err("empty field name".to_owned()),
        };
        let source = match container {
            "" => MetaSource::Envelope(field.to_owned()),
            "source" => MetaSource::Source(field.to_owned()),
            "transaction" => MetaSource::Transaction(field.to_owned()),
            other => {
                return Err(format!(
                    "{entry:?}: only fields of source, transaction and the envelope can be added, \
                     not of {other}"
                ));
            }
        };
        let name = match (parts.get(1), path.len()) {
            (Some(new_name), _) => format!("{prefix}{new_name}"),
            (None, 1) => format!("{prefix}{field}"),
            (None, _) => format!("{prefix}{container}_{field}"),
        };
        Ok(Self { source, name })
    }

    fn list(prefix: &str, list: Option<&String>) -> Result<Vec<Self>, String> {
        match list.map(|l| l.as_str()) {
            None | Some("") => Ok(Vec::new()),
            Some(list) => list
                .split(',')
                .map(|entry| Self::parse(prefix, entry.trim()))
                .collect(),
        }
    }
}

/// Debezium's `ExtractNewRecordState`: each table record's value becomes its new row state.
#[derive(Debug, Clone)]
pub struct ExtractNewRecordState {
    /// `delete.tombstone.handling.mode`.
    pub delete_handling: DeleteHandling,
    /// `route.by.field`: the string column whose value becomes the topic.
    pub route_by_field: Option<String>,
    /// `add.fields` (with `add.fields.prefix`, default `__`).
    pub add_fields: Vec<MetaField>,
    /// `add.headers` (with `add.headers.prefix`, default `__`).
    pub add_headers: Vec<MetaField>,
    /// `replace.null.with.default` (default true): in the rewrite modes, nulls become the
    /// column defaults.
    pub replace_null_with_default: bool,
}

/// The settings of `ExtractNewRecordState` that Debezium 3.6 reads; others under the alias
/// (like 2.x's `drop.tombstones` and `delete.handling.mode`) are ignored, as Debezium ignores
/// them.
pub const EXTRACT_NEW_RECORD_STATE_KEYS: &[&str] = &[
    "type",
    "delete.tombstone.handling.mode",
    "route.by.field",
    "add.fields",
    "add.fields.prefix",
    "add.headers",
    "add.headers.prefix",
    "replace.null.with.default",
];

impl MetaSource {
    /// The schema of the field, as the transform copies it (optional, without its default);
    /// `None` when the envelope has no such field (it is then not added).
    pub fn schema(&self) -> Option<Schema> {
        let schema = match self {
            MetaSource::Envelope(name) => match name.as_str() {
                "op" => Schema::primitive("string", true),
                "ts_ms" | "ts_us" | "ts_ns" => Schema::primitive("int64", true),
                _ => return None,
            },
            MetaSource::Source(name) => {
                let SchemaType::Struct(fields) = source_schema().kind else {
                    return None;
                };
                match fields.into_iter().find(|f| f.name == *name) {
                    Some(field) => field.schema,
                    // Debezium then looks for the name in the envelope itself.
                    None => return MetaSource::Envelope(name.clone()).schema(),
                }
            }
            MetaSource::Transaction(name) => match name.as_str() {
                "id" => Schema::primitive("string", true),
                "total_order" | "data_collection_order" => Schema::primitive("int64", true),
                _ => return MetaSource::Envelope(name.clone()).schema(),
            },
        };
        let mut schema = schema.with_optional(true);
        schema.default = None;
        Some(schema)
    }
}

impl ExtractNewRecordState {
    /// The schema of a flattened table record: a copy of the row schema that is not
    /// optional, with `__deleted` and the added fields appended. (A delete turned into a null
    /// value keeps the row schema itself.)
    pub fn value_schema(&self, row: &Schema) -> Schema {
        let SchemaType::Struct(fields) = &row.kind else {
            return row.clone();
        };
        let mut fields = fields.clone();
        if self.delete_handling.rewrites() {
            fields.push(Field::new("__deleted", Schema::primitive("string", true)));
        }
        for meta in &self.add_fields {
            if let Some(schema) = meta.source.schema() {
                fields.push(Field::new(meta.name.clone(), schema));
            }
        }
        let mut schema = Schema::structure(fields, false);
        schema.name.clone_from(&row.name);
        schema
    }

    /// Reads the settings of the transform `alias`.
    pub fn new(alias: &str, props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let key = |name: &str| format!("transforms.{alias}.{name}");
        let get = |name: &str| props.get(&key(name));
        let invalid = |name: &str, value: &str, reason: String| ConfigError::InvalidTransform {
            key: key(name),
            value: value.to_owned(),
            reason,
        };
        for unsupported in ["drop.fields.header.name"] {
            if let Some(value) = get(unsupported).filter(|v| !v.trim().is_empty()) {
                return Err(ConfigError::UnsupportedTransform {
                    key: key(unsupported),
                    value: value.clone(),
                });
            }
        }
        let delete_handling = match get("delete.tombstone.handling.mode").map(|v| v.trim()) {
            None | Some("") => DeleteHandling::Tombstone,
            Some(mode) => match mode.to_ascii_lowercase().as_str() {
                "drop" => DeleteHandling::Drop,
                "tombstone" => DeleteHandling::Tombstone,
                "rewrite" => DeleteHandling::Rewrite,
                "rewrite-with-tombstone" => DeleteHandling::RewriteWithTombstone,
                "delete-to-tombstone" => DeleteHandling::DeleteToTombstone,
                _ => {
                    return Err(invalid(
                        "delete.tombstone.handling.mode",
                        mode,
                        "expected drop, tombstone, rewrite, rewrite-with-tombstone or \
                         delete-to-tombstone"
                            .to_owned(),
                    ));
                }
            },
        };
        let replace_null_with_default = match get("replace.null.with.default").map(|v| v.trim()) {
            None | Some("") => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(invalid(
                    "replace.null.with.default",
                    v,
                    "expected true or false".to_owned(),
                ));
            }
        };
        let prefix = |name: &str| get(name).cloned().unwrap_or_else(|| "__".to_owned());
        let add_fields = MetaField::list(&prefix("add.fields.prefix"), get("add.fields"))
            .map_err(|reason| invalid("add.fields", get("add.fields").map_or("", |v| v), reason))?;
        let add_headers = MetaField::list(&prefix("add.headers.prefix"), get("add.headers"))
            .map_err(|reason| {
                invalid("add.headers", get("add.headers").map_or("", |v| v), reason)
            })?;
        for ignored in ["drop.tombstones", "delete.handling.mode"] {
            if get(ignored).is_some() {
                tracing::warn!(
                    "{} is ignored: Debezium 3.6 no longer reads it; use {} instead",
                    key(ignored),
                    key("delete.tombstone.handling.mode")
                );
            }
        }
        let route_by_field = get("route.by.field")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Self {
            delete_handling,
            route_by_field,
            add_fields,
            add_headers,
            replace_null_with_default,
        })
    }
}

/// Kafka's `RegexRouter`: a topic the whole `regex` matches becomes `replacement`.
#[derive(Debug, Clone)]
pub struct RegexRouter {
    /// The expression, anchored at both ends (Java's `Matcher.matches()`).
    regex: Regex,
    /// The replacement, in the `regex` crate's syntax.
    replacement: String,
}

impl RegexRouter {
    /// A router for a Java regular expression and a Java replacement string.
    pub fn new(alias: &str, regex: &str, replacement: &str) -> Result<Self, ConfigError> {
        let invalid = |key: &str, value: &str, reason: String| ConfigError::InvalidTransform {
            key: format!("transforms.{alias}.{key}"),
            value: value.to_owned(),
            reason,
        };
        let compiled = Regex::new(&format!("^(?:{regex})$"))
            .map_err(|e| invalid("regex", regex, e.to_string()))?;
        let replacement = java_replacement(replacement, compiled.captures_len() - 1)
            .map_err(|reason| invalid("replacement", replacement, reason))?;
        Ok(Self {
            regex: compiled,
            replacement,
        })
    }

    /// The new topic, or `None` when the expression does not match the whole topic.
    pub fn route(&self, topic: &str) -> Option<String> {
        let captures = self.regex.captures(topic)?;
        let mut routed = String::new();
        captures.expand(&self.replacement, &mut routed);
        Some(routed)
    }
}

/// One transform of the chain.
#[derive(Debug, Clone)]
pub enum Transform {
    /// `org.apache.kafka.connect.transforms.RegexRouter`.
    RegexRouter(RegexRouter),
    /// `io.debezium.transforms.ExtractNewRecordState`.
    ExtractNewRecordState(ExtractNewRecordState),
}

impl Transform {
    /// The record's topic after this transform; `field_topic` is the value of the
    /// `route.by.field` column of the record, when it has one.
    pub fn topic(&self, topic: String, field_topic: Option<&str>) -> String {
        match self {
            Transform::RegexRouter(router) => router.route(&topic).unwrap_or(topic),
            Transform::ExtractNewRecordState(_) => match field_topic {
                Some(routed) if !routed.trim().is_empty() => routed.to_owned(),
                _ => topic,
            },
        }
    }
}

/// The chain of transforms the `transforms` property lists.
#[derive(Debug, Clone, Default)]
pub struct Transforms {
    chain: Vec<Transform>,
}

impl Transforms {
    /// Reads `transforms` (a comma-separated list of aliases) and each alias's
    /// `transforms.<alias>.*` settings. A transform type other than [`REGEX_ROUTER`], or a
    /// predicate, is an error naming it.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let Some(list) = props.get("transforms") else {
            return Ok(Self::default());
        };
        let mut chain = Vec::new();
        for alias in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let get = |key: &str| props.get(&format!("transforms.{alias}.{key}"));
            for unsupported in ["predicate", "negate"] {
                if let Some(value) = get(unsupported) {
                    return Err(ConfigError::UnsupportedTransform {
                        key: format!("transforms.{alias}.{unsupported}"),
                        value: value.clone(),
                    });
                }
            }
            let kind = get("type")
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ConfigError::TransformType(alias.to_owned()))?;
            if kind == EXTRACT_NEW_RECORD_STATE {
                if chain
                    .iter()
                    .any(|t| matches!(t, Transform::ExtractNewRecordState(_)))
                {
                    return Err(ConfigError::UnsupportedTransform {
                        key: format!("transforms.{alias}.type"),
                        value: format!("{kind} (a second time in one chain)"),
                    });
                }
                chain.push(Transform::ExtractNewRecordState(
                    ExtractNewRecordState::new(alias, props)?,
                ));
                continue;
            }
            if kind != REGEX_ROUTER {
                return Err(ConfigError::UnsupportedTransform {
                    key: format!("transforms.{alias}.type"),
                    value: kind.to_owned(),
                });
            }
            let required = |key: &str| {
                get(key).ok_or_else(|| ConfigError::InvalidTransform {
                    key: format!("transforms.{alias}.{key}"),
                    value: String::new(),
                    reason: "required by RegexRouter".to_owned(),
                })
            };
            chain.push(Transform::RegexRouter(RegexRouter::new(
                alias,
                required("regex")?,
                required("replacement")?,
            )?));
        }
        Ok(Self { chain })
    }

    /// Whether there is no transform.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// The topic after every transform, in order; `field_topic` is the record's
    /// `route.by.field` value, if any.
    pub fn topic(&self, topic: &str, field_topic: Option<&str>) -> String {
        self.chain
            .iter()
            .fold(topic.to_owned(), |topic, transform| {
                transform.topic(topic, field_topic)
            })
    }

    /// The `ExtractNewRecordState` of the chain, if any.
    pub fn unwrap(&self) -> Option<&ExtractNewRecordState> {
        self.chain.iter().find_map(|t| match t {
            Transform::ExtractNewRecordState(unwrap) => Some(unwrap),
            Transform::RegexRouter(_) => None,
        })
    }
}

/// Translates a replacement in Java's `Matcher` syntax (`$n`, `${name}`, `\` escapes the next
/// character) to the `regex` crate's (`${n}`, `${name}`, `$$`), for an expression with
/// `groups` numbered groups. Like Java, `$12` is group 12 only if there are that many groups,
/// otherwise group 1 followed by `2`.
fn java_replacement(text: &str, groups: usize) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(next) => out.push(next),
                None => return Err("character to be escaped is missing".to_owned()),
            },
            '$' => match chars.next() {
                Some('{') => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric());
                    if !valid {
                        return Err(format!("invalid group name {name:?}"));
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(digit @ '0'..='9') => {
                    let mut group = digit as usize - '0' as usize;
                    if group > groups {
                        return Err(format!("no group {group}"));
                    }
                    while let Some(&next @ '0'..='9') = chars.peek() {
                        let longer = group * 10 + (next as usize - '0' as usize);
                        if longer > groups {
                            break;
                        }
                        group = longer;
                        chars.next();
                    }
                    out.push_str(&format!("${{{group}}}"));
                }
                _ => return Err("illegal group reference after $".to_owned()),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::debezium::config::tests::props;

    #[test]
    fn routes_whole_matches_only() {
        let router = RegexRouter::new("R", r"audit\..*", "audit").unwrap();
        assert_eq!(router.route("audit.public.t").as_deref(), Some("audit"));
        assert_eq!(router.route("audit.transaction").as_deref(), Some("audit"));
        assert_eq!(router.route("xaudit.public.t"), None);
        assert_eq!(router.route("audit"), None);
    }

    #[test]
    fn java_group_references() {
        let router =
            RegexRouter::new("R", r"(?<first>\w+)\.(\w+)\.(\w+)", "$3-${first}x$2_\\$").unwrap();
        assert_eq!(router.route("a.b.c").as_deref(), Some("c-axb_$"));
        // $12 is group 1 then "2" when there are fewer than 12 groups.
        let router = RegexRouter::new("R", r"(a)(b)", "$12").unwrap();
        assert_eq!(router.route("ab").as_deref(), Some("a2"));
        assert!(RegexRouter::new("R", "(a)", "$2").is_err());
        assert!(RegexRouter::new("R", "a", "x$").is_err());
        assert!(RegexRouter::new("R", "(a)", "${1}").is_err());
    }

    #[test]
    fn extract_new_record_state_settings() {
        let unwrap = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("transforms", "unwrap"),
                ("transforms.unwrap.type", EXTRACT_NEW_RECORD_STATE),
            ];
            all.extend_from_slice(pairs);
            Transforms::from_properties(&props(&all)).map(|t| t.unwrap().cloned().unwrap())
        };
        let plain = unwrap(&[]).unwrap();
        assert_eq!(plain.delete_handling, DeleteHandling::Tombstone);
        assert!(plain.add_fields.is_empty() && plain.replace_null_with_default);
        // The 2.x settings are ignored by Debezium 3.6, and so here.
        let old = unwrap(&[
            ("transforms.unwrap.drop.tombstones", "false"),
            ("transforms.unwrap.delete.handling.mode", "rewrite"),
        ])
        .unwrap();
        assert_eq!(old.delete_handling, DeleteHandling::Tombstone);
        let full = unwrap(&[
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "Rewrite-With-Tombstone",
            ),
            (
                "transforms.unwrap.add.fields",
                "op, source.ts_ms,db:database,id,lsn",
            ),
            ("transforms.unwrap.add.headers", "op,table"),
            ("transforms.unwrap.add.headers.prefix", "h_"),
            ("transforms.unwrap.route.by.field", "dest"),
            ("transforms.unwrap.replace.null.with.default", "false"),
        ])
        .unwrap();
        assert_eq!(full.delete_handling, DeleteHandling::RewriteWithTombstone);
        let names: Vec<&str> = full.add_fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["__op", "__source_ts_ms", "__database", "__id", "__lsn"]
        );
        assert_eq!(full.add_fields[0].source, MetaSource::Envelope("op".into()));
        assert_eq!(
            full.add_fields[3].source,
            MetaSource::Transaction("id".into())
        );
        assert_eq!(full.add_fields[4].source, MetaSource::Source("lsn".into()));
        assert_eq!(full.add_headers[1].name, "h_table");
        assert_eq!(full.route_by_field.as_deref(), Some("dest"));
        assert!(!full.replace_null_with_default);
        for (key, value) in [
            ("transforms.unwrap.delete.tombstone.handling.mode", "none"),
            ("transforms.unwrap.replace.null.with.default", "yes"),
            ("transforms.unwrap.add.fields", "a:b:c"),
            ("transforms.unwrap.add.headers", "after.id"),
            ("transforms.unwrap.drop.fields.header.name", "drop"),
        ] {
            let error = unwrap(&[(key, value)]).unwrap_err().to_string();
            assert!(error.contains(key), "{key}: {error}");
        }
        let twice = Transforms::from_properties(&props(&[
            ("transforms", "a,b"),
            ("transforms.a.type", EXTRACT_NEW_RECORD_STATE),
            ("transforms.b.type", EXTRACT_NEW_RECORD_STATE),
        ]));
        assert!(twice.is_err());
    }

    #[test]
    fn chain_in_order_and_unsupported_types_named() {
        let transforms = Transforms::from_properties(&props(&[
            ("transforms", "First, Second"),
            ("transforms.First.type", REGEX_ROUTER),
            ("transforms.First.regex", "o\\.(.*)"),
            ("transforms.First.replacement", "p.$1"),
            ("transforms.Second.type", REGEX_ROUTER),
            ("transforms.Second.regex", "p\\.public\\.(.*)"),
            ("transforms.Second.replacement", "$1"),
        ]))
        .unwrap();
        assert_eq!(transforms.topic("o.public.t", None), "t");
        assert_eq!(transforms.topic("o.transaction", None), "p.transaction");
        let error = Transforms::from_properties(&props(&[
            ("transforms", "flat"),
            (
                "transforms.flat.type",
                "org.apache.kafka.connect.transforms.Flatten$Value",
            ),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("Flatten$Value") && error.contains("transforms.flat.type"),
            "{error}"
        );
        let error = Transforms::from_properties(&props(&[("transforms", "x")])).unwrap_err();
        assert!(error.to_string().contains("transforms.x.type"), "{error}");
        assert!(Transforms::from_properties(&props(&[])).unwrap().is_empty());
    }
}
