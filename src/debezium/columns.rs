//! Which columns Debezium writes and how it alters them: `column.include.list` /
//! `column.exclude.list`, `message.key.columns`, and the column mappers
//! `column.truncate.to.N.chars`, `column.mask.with.N.chars`,
//! `column.mask.hash.ALGORITHM.with.salt.SALT` and `column.mask.hash.v2.ALGORITHM.with.salt.SALT`.
//!
//! Every list is matched as Debezium does: comma-separated regular expressions, each matching a
//! whole `schema.table.column` name, ignoring case. A column gets the first mapper that
//! matches it, truncation rules first, then masks, then v1 hashes, then v2 hashes. Mappers
//! change only the value (`before`/`after`), never the key.

use std::collections::BTreeMap;

use regex::Regex;

use crate::config::filter::{FilterError, anchored, regex_list};

use super::config::ConfigError;

/// A hash algorithm of `column.mask.hash.*`: the Java `MessageDigest` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// `MD5`.
    Md5,
    /// `SHA-1` (also `SHA`, `SHA1`).
    Sha1,
    /// `SHA-256`.
    Sha256,
    /// `SHA-384`.
    Sha384,
    /// `SHA-512`.
    Sha512,
    /// `SHA-512/256`.
    Sha512_256,
}

impl HashAlgorithm {
    /// The algorithm of a Java `MessageDigest` name (case-insensitive), if pgcdc has it.
    pub fn from_java_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "MD5" => Self::Md5,
            "SHA-1" | "SHA1" | "SHA" => Self::Sha1,
            "SHA-256" | "SHA256" => Self::Sha256,
            "SHA-384" | "SHA384" => Self::Sha384,
            "SHA-512" | "SHA512" => Self::Sha512,
            "SHA-512/256" => Self::Sha512_256,
            _ => return None,
        })
    }

    /// The digest of `salt` followed by `data`.
    pub fn digest(self, salt: &[u8], data: &[u8]) -> Vec<u8> {
        use ring::digest;
        let algorithm = match self {
            Self::Md5 => {
                use md5::Digest as _;
                let mut hasher = md5::Md5::new();
                hasher.update(salt);
                hasher.update(data);
                return hasher.finalize().to_vec();
            }
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
            Self::Sha512_256 => &digest::SHA512_256,
        };
        let mut context = digest::Context::new(algorithm);
        context.update(salt);
        context.update(data);
        context.finish().as_ref().to_vec()
    }
}

/// What a column mapper does to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapper {
    /// `column.truncate.to.N.chars`: strings to N UTF-16 code units, binary values to N bytes.
    Truncate(usize),
    /// `column.mask.with.N.chars`: every value of a string column (nulls too) becomes N `*`.
    Mask(String),
    /// `column.mask.hash.*`: a string becomes the lower-case hex digest of the salt and the
    /// value, cut to the column's length when it has one.
    Hash {
        /// The digest.
        algorithm: HashAlgorithm,
        /// The salt's bytes.
        salt: Vec<u8>,
        /// v2 hashes the UTF-8 text; v1 hashes the Java serialization of the string.
        v2: bool,
    },
}

/// The column settings of the connector.
#[derive(Debug, Clone, Default)]
pub struct ColumnRules {
    include: Option<Vec<Regex>>,
    exclude: Vec<Regex>,
    key_columns: Vec<Regex>,
    mappers: Vec<(Vec<Regex>, Mapper)>,
}

/// The property prefixes of the column mappers.
pub const MAPPER_PREFIXES: &[&str] = &[
    "column.truncate.to.",
    "column.mask.with.",
    "column.mask.hash.",
];

fn filter_error(error: FilterError) -> ConfigError {
    ConfigError::InvalidSetting {
        key: error.key,
        value: error.pattern,
        reason: format!("not a valid regular expression: {}", error.reason),
    }
}

impl ColumnRules {
    /// Reads the column settings. Every property is checked: a bad expression, a malformed
    /// `message.key.columns`, an unknown hash algorithm or a bad length is an error naming it.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let include = props
            .get("column.include.list")
            .filter(|v| !v.trim().is_empty());
        let exclude = props
            .get("column.exclude.list")
            .filter(|v| !v.trim().is_empty());
        if let (Some(_), Some(value)) = (include, exclude) {
            return Err(ConfigError::Invalid {
                key: "column.exclude.list",
                value: value.clone(),
                expected: "nothing when column.include.list is set (use one of the two)",
            });
        }
        let include = include
            .map(|list| regex_list("column.include.list", list))
            .transpose()
            .map_err(filter_error)?;
        let exclude = exclude
            .map(|list| regex_list("column.exclude.list", list))
            .transpose()
            .map_err(filter_error)?
            .unwrap_or_default();
        let key_columns = match props.get("message.key.columns") {
            Some(value) => key_columns(value)?,
            None => Vec::new(),
        };
        let mut truncates = Vec::new();
        let mut masks = Vec::new();
        let mut hashes = Vec::new();
        let mut hashes_v2 = Vec::new();
        for (key, value) in props {
            let Some(mapper) = mapper_of(key)? else {
                continue;
            };
            let columns = regex_list(key, value).map_err(filter_error)?;
            let list = match &mapper {
                Mapper::Truncate(_) => &mut truncates,
                Mapper::Mask(_) => &mut masks,
                Mapper::Hash { v2: false, .. } => &mut hashes,
                Mapper::Hash { v2: true, .. } => &mut hashes_v2,
            };
            list.push((columns, mapper));
        }
        let mut mappers = truncates;
        mappers.extend(masks);
        mappers.extend(hashes);
        mappers.extend(hashes_v2);
        Ok(Self {
            include,
            exclude,
            key_columns,
            mappers,
        })
    }

    /// Whether the value carries `schema.table.column`.
    pub fn keeps(&self, schema: &str, table: &str, column: &str) -> bool {
        if self.include.is_none() && self.exclude.is_empty() {
            return true;
        }
        let name = format!("{schema}.{table}.{column}");
        match &self.include {
            Some(include) => include.iter().any(|r| r.is_match(&name)),
            None => !self.exclude.iter().any(|r| r.is_match(&name)),
        }
    }

    /// The custom key of a table (`message.key.columns`): indexes into `columns`, in the order
    /// of the expressions, then of the columns; empty when none matches (the primary key is
    /// used then).
    pub fn key_columns(&self, schema: &str, table: &str, columns: &[&str]) -> Vec<usize> {
        let mut key = Vec::new();
        for regex in &self.key_columns {
            for (index, column) in columns.iter().enumerate() {
                if regex.is_match(&format!("{schema}.{table}.{column}")) && !key.contains(&index) {
                    key.push(index);
                }
            }
        }
        key
    }

    /// The mapper of `schema.table.column`, if any.
    pub fn mapper(&self, schema: &str, table: &str, column: &str) -> Option<&Mapper> {
        if self.mappers.is_empty() {
            return None;
        }
        let name = format!("{schema}.{table}.{column}");
        self.mappers
            .iter()
            .find(|(columns, _)| columns.iter().any(|r| r.is_match(&name)))
            .map(|(_, mapper)| mapper)
    }
}

/// Parses `message.key.columns`: `table-regex:col,col;table-regex:col...`, each part becoming
/// the expressions `table-regex.col`.
fn key_columns(value: &str) -> Result<Vec<Regex>, ConfigError> {
    let invalid = |expected| ConfigError::Invalid {
        key: "message.key.columns",
        value: value.to_owned(),
        expected,
    };
    if value.is_empty() {
        return Err(invalid(
            "a non-empty list such as public.orders:id,region;public.items:sku",
        ));
    }
    let mut regexes = Vec::new();
    let parts: Vec<&str> = value.split(';').collect();
    // Java's String.split drops trailing empty parts.
    let last = parts
        .iter()
        .rposition(|p| !p.is_empty())
        .map_or(0, |i| i + 1);
    for part in &parts[..last] {
        let Some((table, columns)) = part.split_once(':') else {
            return Err(invalid(
                "entries of the form <schema.table regex>:<column>[,<column>...] separated by ';'",
            ));
        };
        let columns: Vec<&str> = columns.trim_end().split(',').collect();
        if table.trim().is_empty() || columns.iter().any(|c| c.is_empty() || c.contains(':')) {
            return Err(invalid(
                "entries of the form <schema.table regex>:<column>[,<column>...] separated by ';'",
            ));
        }
        for column in columns {
            let expression = format!("{table}.{}", column.trim());
            regexes.push(anchored("message.key.columns", expression.trim()).map_err(filter_error)?);
        }
    }
    Ok(regexes)
}

/// The mapper a property defines, `None` when it is not a mapper property.
fn mapper_of(key: &str) -> Result<Option<Mapper>, ConfigError> {
    let length = |rest: &str| -> Result<Option<usize>, ConfigError> {
        let n = rest.strip_suffix(".chars").unwrap_or_default();
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::InvalidSetting {
                key: key.to_owned(),
                value: String::new(),
                reason: "the property name must have the form column.mask.with.<N>.chars or \
                         column.truncate.to.<N>.chars, N a whole number"
                    .to_owned(),
            });
        }
        n.parse::<i32>()
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| ConfigError::InvalidSetting {
                key: key.to_owned(),
                value: n.to_owned(),
                reason: "the length must be an integer from 0 to 2147483647".to_owned(),
            })
    };
    if let Some(rest) = key.strip_prefix("column.truncate.to.") {
        return Ok(length(rest)?.map(Mapper::Truncate));
    }
    if let Some(rest) = key.strip_prefix("column.mask.with.") {
        return Ok(length(rest)?.map(|n| Mapper::Mask("*".repeat(n))));
    }
    let Some(rest) = key.strip_prefix("column.mask.hash.") else {
        return Ok(None);
    };
    let (rest, v2) = match rest.strip_prefix("v2.") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let Some((algorithm, salt)) = rest.split_once(".with.salt.") else {
        return Err(ConfigError::InvalidSetting {
            key: key.to_owned(),
            value: String::new(),
            reason: "expected column.mask.hash[.v2].<algorithm>.with.salt.<salt>".to_owned(),
        });
    };
    if algorithm.is_empty() || algorithm.contains('.') || salt.is_empty() {
        return Err(ConfigError::InvalidSetting {
            key: key.to_owned(),
            value: String::new(),
            reason: "expected column.mask.hash[.v2].<algorithm>.with.salt.<salt>".to_owned(),
        });
    }
    let algorithm =
        HashAlgorithm::from_java_name(algorithm).ok_or_else(|| ConfigError::InvalidSetting {
            key: key.to_owned(),
            value: algorithm.to_owned(),
            reason: "unknown hash algorithm: use MD5, SHA-1, SHA-256, SHA-384, SHA-512 or \
                     SHA-512/256"
                .to_owned(),
        })?;
    Ok(Some(Mapper::Hash {
        algorithm,
        salt: salt.as_bytes().to_vec(),
        v2,
    }))
}

/// The bytes Java's `ObjectOutputStream.writeObject` writes for a `String` (stream header,
/// then `TC_STRING` or `TC_LONGSTRING` with the modified UTF-8 text), which v1 hashes.
pub fn java_serialized_string(text: &str) -> Vec<u8> {
    let mut utf = Vec::with_capacity(text.len() + 8);
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007f => utf.push(unit as u8),
            0x0000 | 0x0080..=0x07ff => {
                utf.push(0xc0 | (unit >> 6) as u8);
                utf.push(0x80 | (unit & 0x3f) as u8);
            }
            _ => {
                utf.push(0xe0 | (unit >> 12) as u8);
                utf.push(0x80 | ((unit >> 6) & 0x3f) as u8);
                utf.push(0x80 | (unit & 0x3f) as u8);
            }
        }
    }
    let mut out = Vec::with_capacity(utf.len() + 16);
    out.extend_from_slice(&[0xac, 0xed, 0x00, 0x05]);
    match u16::try_from(utf.len()) {
        Ok(len) => {
            out.push(0x74);
            out.extend_from_slice(&len.to_be_bytes());
        }
        Err(_) => {
            out.push(0x7c);
            out.extend_from_slice(&(utf.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&utf);
    out
}

/// The hash Debezium writes for a string: lower-case hex, cut to `length` characters when the
/// column has a length.
pub fn hash_text(
    algorithm: HashAlgorithm,
    salt: &[u8],
    v2: bool,
    text: &str,
    length: Option<usize>,
) -> String {
    let digest = if v2 {
        algorithm.digest(salt, text.as_bytes())
    } else {
        algorithm.digest(salt, &java_serialized_string(text))
    };
    let mut hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(length) = length {
        hex.truncate(length.min(hex.len()));
    }
    hex
}

/// `text` cut to `max` UTF-16 code units, as Java's `String.substring(0, max)`: the kept
/// characters and, when the cut splits a surrogate pair, the pair's high surrogate.
pub fn truncate_utf16(text: &str, max: usize) -> (&str, Option<u16>) {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        let width = c.len_utf16();
        if units + width > max {
            let dangling = (units < max).then(|| {
                let mut pair = [0u16; 2];
                c.encode_utf16(&mut pair);
                pair[0]
            });
            return (&text[..at], dangling);
        }
        units += width;
    }
    (text, None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::debezium::config::tests::props;

    #[test]
    fn include_and_exclude_lists() {
        let rules = ColumnRules::from_properties(&props(&[(
            "column.exclude.list",
            r"public\.t\.secret,Public.T.X",
        )]))
        .unwrap();
        assert!(!rules.keeps("public", "t", "secret"));
        assert!(!rules.keeps("public", "t", "x"), "case-insensitive");
        assert!(rules.keeps("public", "t", "secret2"), "whole-name match");
        let rules =
            ColumnRules::from_properties(&props(&[("column.include.list", r"public\.t\..*")]))
                .unwrap();
        assert!(rules.keeps("public", "t", "a") && !rules.keeps("public", "u", "a"));
        let error = ColumnRules::from_properties(&props(&[
            ("column.include.list", "a"),
            ("column.exclude.list", "b"),
        ]))
        .unwrap_err();
        assert!(error.to_string().contains("column.exclude.list"), "{error}");
        let error =
            ColumnRules::from_properties(&props(&[("column.include.list", "(")])).unwrap_err();
        assert!(error.to_string().contains("column.include.list"), "{error}");
    }

    #[test]
    fn message_key_columns() {
        let rules = ColumnRules::from_properties(&props(&[(
            "message.key.columns",
            r"public.t:b , a;public\.n.*:code;",
        )]))
        .unwrap();
        assert_eq!(rules.key_columns("public", "t", &["id", "a", "b"]), [2, 1]);
        assert_eq!(rules.key_columns("public", "nopk", &["code", "v"]), [0]);
        assert!(rules.key_columns("public", "other", &["a", "b"]).is_empty());
        for bad in [
            "",
            "public.t",
            "public.t:",
            ":a",
            "public.t:a,,b",
            "a:b;;c:d",
            "a:b:c",
        ] {
            let error =
                ColumnRules::from_properties(&props(&[("message.key.columns", bad)])).unwrap_err();
            assert!(
                error.to_string().contains("message.key.columns"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn mapper_properties_and_precedence() {
        let rules = ColumnRules::from_properties(&props(&[
            ("column.mask.with.5.chars", "s.t.(a|b)"),
            ("column.truncate.to.3.chars", "s.t.b"),
            ("column.mask.hash.SHA-256.with.salt.x.y", "s.t.(b|c)"),
            ("column.mask.hash.v2.md5.with.salt.z", "s.t.(c|d)"),
        ]))
        .unwrap();
        assert_eq!(
            rules.mapper("s", "t", "a"),
            Some(&Mapper::Mask("*****".into()))
        );
        assert_eq!(rules.mapper("s", "t", "b"), Some(&Mapper::Truncate(3)));
        let hash = |algorithm, salt: &str, v2| Mapper::Hash {
            algorithm,
            salt: salt.as_bytes().to_vec(),
            v2,
        };
        assert_eq!(
            rules.mapper("s", "t", "c"),
            Some(&hash(HashAlgorithm::Sha256, "x.y", false))
        );
        assert_eq!(
            rules.mapper("s", "t", "d"),
            Some(&hash(HashAlgorithm::Md5, "z", true))
        );
        assert_eq!(rules.mapper("s", "t", "e"), None);
        for bad in [
            "column.mask.hash.SHA-999.with.salt.x",
            "column.mask.hash.SHA-256.salt",
            "column.truncate.to.99999999999.chars",
        ] {
            let error = ColumnRules::from_properties(&props(&[(bad, "a.b.c")])).unwrap_err();
            assert!(error.to_string().contains(bad), "{bad}: {error}");
        }
        let error = ColumnRules::from_properties(&props(&[("column.mask.with.2.chars", "a(")]))
            .unwrap_err();
        assert!(
            error.to_string().contains("column.mask.with.2.chars"),
            "{error}"
        );
        for bad in ["column.mask.with.x.chars", "column.truncate.to.5"] {
            let error = ColumnRules::from_properties(&props(&[(bad, "a.b.c")])).unwrap_err();
            assert!(error.to_string().contains(bad), "{bad}: {error}");
        }
        // Not a mapper property at all: left to the unknown-key warning.
        assert!(mapper_of("column.propagate.source.type").unwrap().is_none());
    }

    #[test]
    fn hashes_as_debezium_writes_them() {
        // Values from Debezium 3.6.3 (tests/data/debezium/columns.jsonl).
        let salt = b"CzQMA0cB5K";
        assert_eq!(
            hash_text(HashAlgorithm::Sha256, salt, false, "hash me", None),
            "3c341f915eb5a3cd3b23f6971feb9c44a9bfc6493bf8c08c24e85a207875e719"
        );
        assert_eq!(
            hash_text(HashAlgorithm::Sha256, salt, false, "Grüße 😀 日本語", None),
            "f6bfe1ed73f825981a4d152313861abc654c7039ce48b9660fcd501d587bf678"
        );
        assert_eq!(
            hash_text(
                HashAlgorithm::Sha256,
                salt,
                false,
                &"ab".repeat(35_000),
                None
            ),
            "5a9e5e2bbbb11bb84d474cd77f6d72d0f6dde5a745c636283063f3f6c28d12a1"
        );
        assert_eq!(
            hash_text(HashAlgorithm::Md5, b"pepper", false, "md5 me", None),
            "1fb6d37e67dc81c484dbc77a110be040"
        );
        assert_eq!(
            hash_text(HashAlgorithm::Sha1, b"x", true, "v2 char   ", Some(10)),
            "76eb589c0d"
        );
        assert_eq!(
            java_serialized_string("\0é"),
            [0xac, 0xed, 0, 5, 0x74, 0, 4, 0xc0, 0x80, 0xc3, 0xa9]
        );
    }

    #[test]
    fn truncation_counts_utf16_units() {
        assert_eq!(truncate_utf16("a😀b", 3), ("a😀", None));
        assert_eq!(truncate_utf16("ab😀", 3), ("ab", Some(0xd83d)));
        assert_eq!(truncate_utf16("Grüße", 3), ("Grü", None));
        assert_eq!(truncate_utf16("ab", 3), ("ab", None));
        assert_eq!(truncate_utf16("😀", 0), ("", None));
    }
}
