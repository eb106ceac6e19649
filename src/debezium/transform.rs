//! Kafka Connect single message transforms applied to every record, in the order of the
//! `transforms` property. Only Kafka's `RegexRouter` is supported: it replaces a topic that the
//! regular expression matches as a whole with the replacement, `$1`-style group references
//! written in Java's syntax.

use std::collections::BTreeMap;

use regex::Regex;

use super::config::ConfigError;

/// The class name of Kafka's topic-renaming transform.
pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";

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
}

impl Transform {
    /// The record's topic after this transform.
    pub fn topic(&self, topic: String) -> String {
        match self {
            Transform::RegexRouter(router) => router.route(&topic).unwrap_or(topic),
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

    /// The topic after every transform, in order.
    pub fn topic(&self, topic: &str) -> String {
        self.chain
            .iter()
            .fold(topic.to_owned(), |topic, transform| transform.topic(topic))
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

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

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
        assert_eq!(transforms.topic("o.public.t"), "t");
        assert_eq!(transforms.topic("o.transaction"), "p.transaction");
        let error = Transforms::from_properties(&props(&[
            ("transforms", "unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("io.debezium.transforms.ExtractNewRecordState")
                && error.contains("transforms.unwrap.type"),
            "{error}"
        );
        let error = Transforms::from_properties(&props(&[("transforms", "x")])).unwrap_err();
        assert!(error.to_string().contains("transforms.x.type"), "{error}");
        assert!(Transforms::from_properties(&props(&[])).unwrap().is_empty());
    }
}
