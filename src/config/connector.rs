//! Debezium connector files: the REST form `{"name": ..., "config": {...}}`, a flat JSON object,
//! or a Java `.properties` file, read into one map of property names to values.
//!
//! JSON is read leniently about trailing commas (`{"a": "b",}`), which hand-edited connector
//! files often have and Kafka Connect's own parser accepts.

use std::collections::BTreeMap;
use std::path::Path;

/// Connector properties by name.
pub type Properties = BTreeMap<String, String>;

/// A connector file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorFileError {
    /// The file cannot be read.
    #[error("cannot read the connector file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The JSON is malformed.
    #[error("the connector file {path} is not valid JSON: {reason}")]
    Json {
        /// The file.
        path: String,
        /// What the parser said, with line and column.
        reason: String,
    },
    /// The JSON has the wrong shape.
    #[error("the connector file {path}: {reason}")]
    Shape {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a connector file: JSON when it starts with `{`, `.properties` otherwise.
pub fn read_file(path: &Path) -> Result<(Option<String>, Properties), ConnectorFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectorFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if text.trim_start().starts_with('{') {
        parse_json(&text).map_err(|error| match error {
            JsonShape::Syntax(reason) => ConnectorFileError::Json {
                path: path.display().to_string(),
                reason,
            },
            JsonShape::Shape(reason) => ConnectorFileError::Shape {
                path: path.display().to_string(),
                reason,
            },
        })
    } else {
        Ok((None, parse_properties(&text)))
    }
}

/// Why JSON was refused.
#[derive(Debug)]
pub enum JsonShape {
    /// Not JSON.
    Syntax(String),
    /// JSON, but not a connector.
    Shape(String),
}

/// Parses the REST form or a flat object. Returns the connector name (REST form) and the
/// properties; numbers and booleans are kept as their text.
pub fn parse_json(text: &str) -> Result<(Option<String>, Properties), JsonShape> {
    let cleaned = strip_trailing_commas(text);
    let value: serde_json::Value =
        serde_json::from_str(&cleaned).map_err(|e| JsonShape::Syntax(e.to_string()))?;
    let serde_json::Value::Object(object) = value else {
        return Err(JsonShape::Shape("it must be a JSON object".to_owned()));
    };
    let (name, config) = match object.get("config") {
        Some(serde_json::Value::Object(config)) => (
            object
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_owned),
            config.clone(),
        ),
        Some(_) => return Err(JsonShape::Shape("\"config\" must be an object".to_owned())),
        None => (None, object),
    };
    let mut properties = Properties::new();
    for (key, value) in config {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
            _ => {
                return Err(JsonShape::Shape(format!(
                    "the value of {key:?} must be a string, number or boolean"
                )));
            }
        };
        properties.insert(key, text);
    }
    Ok((name, properties))
}

/// Removes commas that stand right before `}` or `]` (outside strings).
fn strip_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if !matches!(next, Some('}') | Some(']')) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses Java `.properties` text: `key=value`, `key: value` or `key value`, `#`/`!` comments,
/// backslash line continuations and escapes (`\t`, `\n`, `\uXXXX`, `\=`, `\:`, ...).
pub fn parse_properties(text: &str) -> Properties {
    let mut properties = Properties::new();
    let mut logical = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if logical.is_empty() && (trimmed.is_empty() || trimmed.starts_with(['#', '!'])) {
            continue;
        }
        logical.push_str(trimmed);
        if ends_with_continuation(&logical) {
            logical.pop();
            if lines.clone().next().is_some() {
                continue;
            }
        }
        let (key, value) = split_property(&logical);
        properties.insert(key, value);
        logical.clear();
    }
    properties
}

fn ends_with_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    push_escape(escaped, &mut chars, &mut key);
                }
            }
            '=' | ':' => break,
            c if c.is_whitespace() => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|c| *c == '=' || *c == ':') {
                    chars.next();
                }
                break;
            }
            c => key.push(c),
        }
    }
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                push_escape(escaped, &mut chars, &mut value);
            }
        } else {
            value.push(c);
        }
    }
    (key, value)
}

fn push_escape(c: char, rest: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    match c {
        't' => out.push('\t'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        'f' => out.push('\u{c}'),
        'u' => {
            let hex: String = (0..4).filter_map(|_| rest.next()).collect();
            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                Some(decoded) => out.push(decoded),
                None => {
                    out.push('u');
                    out.push_str(&hex);
                }
            }
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rest_form_with_trailing_commas() {
        let text = r#"{
            "name": "audit-connector",
            "config": {
                "database.port": 5432,
                "table.exclude.list": "public.alembic_version,",
                "transforms.Reroute.regex": "audit\\..*",
                "enabled": true,
            },
        }"#;
        let (name, properties) = parse_json(text).unwrap();
        assert_eq!(name.as_deref(), Some("audit-connector"));
        assert_eq!(properties["database.port"], "5432");
        assert_eq!(properties["table.exclude.list"], "public.alembic_version,");
        assert_eq!(properties["transforms.Reroute.regex"], "audit\\..*");
        assert_eq!(properties["enabled"], "true");
    }

    #[test]
    fn flat_object_and_errors() {
        let (name, properties) = parse_json(r#"{"slot.name": "s1"}"#).unwrap();
        assert_eq!(name, None);
        assert_eq!(properties["slot.name"], "s1");
        assert!(matches!(parse_json("{\"a\": }"), Err(JsonShape::Syntax(_))));
        assert!(matches!(
            parse_json("{\"config\": 3}"),
            Err(JsonShape::Shape(_))
        ));
        assert!(matches!(
            parse_json("{\"a\": [1]}"),
            Err(JsonShape::Shape(_))
        ));
    }

    #[test]
    fn properties_syntax() {
        let text = "# comment\n! also\nslot.name=s1\ntopic.prefix : app\nkey value with spaces\n\
                    transforms.R.regex=audit\\\\..*\nlong=a,\\\n    b\nescaped\\=key=v\\u00e9\n";
        let p = parse_properties(text);
        assert_eq!(p["slot.name"], "s1");
        assert_eq!(p["topic.prefix"], "app");
        assert_eq!(p["key"], "value with spaces");
        assert_eq!(p["transforms.R.regex"], "audit\\..*");
        assert_eq!(p["long"], "a,b");
        assert_eq!(p["escaped=key"], "vé");
    }
}
