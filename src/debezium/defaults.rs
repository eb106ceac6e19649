//! Column defaults in schemas: a column's `DEFAULT` expression as the JSON value Debezium puts
//! in the field's `default`.

use bytes::Bytes;

use crate::change::ColumnInfo;
use crate::change::types::TypeCache;
use crate::change::value::{Date, Time, Timestamp, Value, parse_text};

use super::types::Conv;
use super::values::write_value;

/// The JSON of the column's default, when Debezium would give its schema one: a literal
/// (`'new'::text`, `9.99`, `true`), `0` for `nextval(...)`, the epoch for `now()` and the other
/// current-time functions. `None` for anything else, and for the columns whose defaults
/// Debezium leaves out of the schema: unconstrained `numeric` (`VariableScaleDecimal`), `bytea`
/// and arrays.
pub fn default_json(types: &TypeCache, column: &ColumnInfo, conv: &Conv) -> Option<Box<[u8]>> {
    if matches!(
        conv,
        Conv::VariableScaleDecimal | Conv::Binary(_) | Conv::Array(..)
    ) {
        return None;
    }
    let expr = column.default_expression.as_deref()?.trim();
    let value = if expr.starts_with("nextval(") || is_current_time(expr) {
        zero(conv)?
    } else {
        // A `numeric(p,s)` default is written at the column's scale (`-12.50` for
        // `numeric(6,2)`) by its conversion, as values are.
        let literal = literal_text(expr)?;
        parse_text(
            types,
            column.type_oid,
            column.type_modifier,
            Bytes::from(literal),
        )
        .ok()?
    };
    let mut out = Vec::new();
    write_value(&mut out, conv, &value).ok()?;
    Some(out.into_boxed_slice())
}

fn is_current_time(expr: &str) -> bool {
    let lower = expr.to_ascii_lowercase();
    [
        "now()",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtimestamp",
        "localtime",
        "transaction_timestamp()",
        "statement_timestamp()",
        "clock_timestamp()",
    ]
    .iter()
    .any(|f| lower.starts_with(f))
}

/// The JSON of the value Debezium's converters give a null in a column that is not optional
/// (a key column of `message.key.columns` missing from an old row image): `0`, `false`, `""`,
/// the epoch. `None` when it has none.
pub fn fallback_json(conv: &Conv) -> Option<Box<[u8]>> {
    let value = match conv {
        Conv::Text => return Some(b"\"\"".to_vec().into_boxed_slice()),
        Conv::Bool => return Some(b"false".to_vec().into_boxed_slice()),
        conv => zero(conv)?,
    };
    let mut out = Vec::new();
    write_value(&mut out, conv, &value).ok()?;
    Some(out.into_boxed_slice())
}

/// The zero value Debezium gives a column whose default it cannot evaluate.
fn zero(conv: &Conv) -> Option<Value> {
    Some(match conv {
        Conv::Int16 | Conv::Int32 | Conv::Int64 => Value::Int8(0),
        Conv::Date | Conv::DateFixed => Value::Date(Date(0)),
        Conv::MicroTime | Conv::MilliTime => Value::Time(Time(0)),
        Conv::MicroTimestamp
        | Conv::MilliTimestamp
        | Conv::MicroTimestampFixed
        | Conv::MilliTimestampFixed => Value::Timestamp(Timestamp::UNIX_EPOCH),
        Conv::ZonedTimestamp { .. } => Value::Timestamptz(Timestamp::UNIX_EPOCH),
        _ => return None,
    })
}

/// The text of a literal default: `'it''s'::text` gives `it's`, `(-1)` gives `-1`, `9.99`
/// stays; `None` for expressions and `NULL`.
fn literal_text(expr: &str) -> Option<String> {
    let mut expr = expr;
    while let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        expr = inner.trim();
    }
    if let Some(rest) = expr.strip_prefix('\'') {
        let mut text = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    text.push('\'');
                } else {
                    let tail: String = chars.collect();
                    return (tail.is_empty() || tail.starts_with("::")).then_some(text);
                }
            } else {
                text.push(c);
            }
        }
        return None;
    }
    let bare = expr.split("::").next().unwrap_or("").trim();
    let bare = bare.trim_start_matches('(').trim_end_matches(')');
    let ok = !bare.is_empty()
        && !bare.eq_ignore_ascii_case("null")
        && bare
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'));
    ok.then(|| bare.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(literal_text("'new'::text").as_deref(), Some("new"));
        assert_eq!(literal_text("'it''s'::text").as_deref(), Some("it's"));
        assert_eq!(literal_text("9.99").as_deref(), Some("9.99"));
        assert_eq!(literal_text("(-1)").as_deref(), Some("-1"));
        assert_eq!(literal_text("true").as_deref(), Some("true"));
        assert_eq!(
            literal_text("'2020-01-01 00:00:00+00'::timestamp with time zone").as_deref(),
            Some("2020-01-01 00:00:00+00")
        );
        assert_eq!(literal_text("NULL::text"), None);
        assert_eq!(literal_text("lower('A'::text)"), None);
        assert_eq!(literal_text("gen_random_uuid()"), None);
    }
}
