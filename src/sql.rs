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

/// A `tokio_postgres` error shown with what the server said: severity, SQLSTATE, message,
/// detail and hint (the library's own `Display` says only "db error").
#[derive(Debug, thiserror::Error)]
#[error("{}", describe(.0))]
pub struct PgError(#[source] pub tokio_postgres::Error);

impl From<tokio_postgres::Error> for PgError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self(error)
    }
}

impl PgError {
    /// The server's SQLSTATE code, when the server answered with an error.
    pub fn code(&self) -> Option<&str> {
        self.0.as_db_error().map(|db| db.code().code())
    }
}

/// One line (two with a hint) describing a `tokio_postgres` error.
pub fn describe(error: &tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        // Connection-level errors: the source says what happened (refused, timed out, TLS ...).
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        return text;
    };
    let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("\nhint: {hint}"));
    }
    text
}
