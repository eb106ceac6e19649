//! Quoting for SQL text that pgcdc builds itself (identifiers and literals from configuration).
//!
//! Values that come from users at run time are passed as query parameters instead; these helpers
//! are for the statements that cannot take parameters (DDL, replication commands).

/// Quotes an SQL identifier: `my "t"` becomes `"my ""t"""`.
///
/// ```
/// assert_eq!(pgcdc::sql::quote_ident("Orders"), "\"Orders\"");
/// ```
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal: `it's` becomes `'it''s'`.
///
/// ```
/// assert_eq!(pgcdc::sql::quote_literal("it's"), "'it''s'");
/// ```
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_embedded_quotes() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("'"), "''''");
        assert_eq!(quote_literal(""), "''");
    }
}
