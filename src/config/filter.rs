//! Table filters with Debezium's semantics: `table.include.list` / `table.exclude.list` (and the
//! `schema.*` lists) are comma-separated regular expressions that must match the whole
//! `schema.table` (or schema) name, ignoring case. An include list, when given, is the only way
//! in; the exclude list is applied otherwise. Empty entries (`"a,"`) are ignored.

use regex::{Regex, RegexBuilder};

/// A regular-expression list that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {pattern:?} is not a valid regular expression: {reason}")]
pub struct FilterError {
    /// The property.
    pub key: String,
    /// The bad entry.
    pub pattern: String,
    /// What the regex parser said.
    pub reason: String,
}

/// Which tables are captured.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    schema_include: Vec<Regex>,
    schema_exclude: Vec<Regex>,
    table_include: Vec<Regex>,
    table_exclude: Vec<Regex>,
}

impl TableFilter {
    /// A filter from the four Debezium lists (each possibly absent).
    pub fn new(
        schema_include: Option<&str>,
        schema_exclude: Option<&str>,
        table_include: Option<&str>,
        table_exclude: Option<&str>,
    ) -> Result<Self, FilterError> {
        Ok(Self {
            schema_include: compile("schema.include.list", schema_include)?,
            schema_exclude: compile("schema.exclude.list", schema_exclude)?,
            table_include: compile("table.include.list", table_include)?,
            table_exclude: compile("table.exclude.list", table_exclude)?,
        })
    }

    /// Whether `schema.table` is captured.
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        let schema_ok = if self.schema_include.is_empty() {
            !self.schema_exclude.iter().any(|r| r.is_match(schema))
        } else {
            self.schema_include.iter().any(|r| r.is_match(schema))
        };
        if !schema_ok {
            return false;
        }
        let full = format!("{schema}.{table}");
        if self.table_include.is_empty() {
            !self.table_exclude.iter().any(|r| r.is_match(&full))
        } else {
            self.table_include.iter().any(|r| r.is_match(&full))
        }
    }

    /// Whether the filter lets every table through.
    pub fn is_everything(&self) -> bool {
        self.schema_include.is_empty()
            && self.schema_exclude.is_empty()
            && self.table_include.is_empty()
            && self.table_exclude.is_empty()
    }
}

fn compile(key: &str, list: Option<&str>) -> Result<Vec<Regex>, FilterError> {
    regex_list(key, list.unwrap_or_default())
}

/// Splits a Debezium list of regular expressions: entries are separated by commas, `\,` is a
/// comma inside an entry (any other backslash is kept for the expression), and entries are
/// trimmed; empty entries are skipped.
pub fn split_regex_list(list: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' => entries.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    entries.push(current);
    entries
        .into_iter()
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.trim().replace("\\,", ","))
        .collect()
}

/// Compiles a Debezium list of regular expressions (see [`split_regex_list`]) as Debezium
/// does: each must match a whole name, ignoring case.
pub fn regex_list(key: &str, list: &str) -> Result<Vec<Regex>, FilterError> {
    split_regex_list(list)
        .into_iter()
        .filter(|entry| !entry.is_empty())
        .map(|entry| anchored(key, &entry))
        .collect()
}

/// One expression that must match a whole name, ignoring case.
pub fn anchored(key: &str, entry: &str) -> Result<Regex, FilterError> {
    RegexBuilder::new(&format!("^(?:{entry})$"))
        .case_insensitive(true)
        .build()
        .map_err(|e| FilterError {
            key: key.to_owned(),
            pattern: entry.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debezium_semantics() {
        let f = TableFilter::new(None, None, None, Some("public.alembic_version,")).unwrap();
        assert!(!f.matches("public", "alembic_version"));
        assert!(!f.matches("PUBLIC", "Alembic_Version"), "case-insensitive");
        assert!(f.matches("public", "alembic_version2"), "whole-name match");
        assert!(f.matches("public", "orders"));

        let f = TableFilter::new(
            None,
            None,
            Some("public\\.source_table"),
            Some("public.source_table"),
        )
        .unwrap();
        assert!(
            f.matches("public", "source_table"),
            "include wins over exclude"
        );
        assert!(!f.matches("public", "other"));

        let f = TableFilter::new(Some("app"), None, Some("app\\..*"), None).unwrap();
        assert!(f.matches("app", "t"));
        assert!(!f.matches("public", "t"));
        assert!(
            TableFilter::new(None, None, None, None)
                .unwrap()
                .is_everything()
        );
        let error = TableFilter::new(None, None, Some("a(b"), None).unwrap_err();
        assert!(error.to_string().contains("table.include.list"));
    }

    #[test]
    fn escaped_commas_stay_in_the_expression() {
        assert_eq!(
            split_regex_list(r"a\,b, c\.d ,,x{1\,2}"),
            vec!["a,b", r"c\.d", "x{1,2}"]
        );
        let list = regex_list("k", r"public\.t\.(a|b),x{1\,2}").unwrap();
        assert!(list[0].is_match("PUBLIC.t.A") && !list[0].is_match("public.t.ab"));
        assert!(list[1].is_match("x") && list[1].is_match("xx"));
        assert!(
            regex_list("column.include.list", "a(")
                .unwrap_err()
                .to_string()
                .contains("column.include.list")
        );
    }
}
