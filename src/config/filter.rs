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
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            RegexBuilder::new(&format!("^(?:{entry})$"))
                .case_insensitive(true)
                .build()
                .map_err(|e| FilterError {
                    key: key.to_owned(),
                    pattern: entry.to_owned(),
                    reason: e.to_string(),
                })
        })
        .collect()
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
}
