//! `json` and `jsonb` text checking, and the canonical JSON form of every [`Value`] (the
//! mapping is listed in the module documentation of [`crate::change::value`]).

use std::ops::Bound;

use serde_json::{Map, Number, Value as Json, json};

use super::Value;
use super::array::Array;
use super::error::Reason;
use super::geometric::Point;
use super::range::Range;
use super::scalar::float4_to_f64;
use super::scan::{Cursor, hex_value};

/// Checks that `text` is one JSON value (RFC 8259, as PostgreSQL's `json` parser reads it),
/// without building it or allocating below 128 levels of nesting. Numbers of any size are fine.
pub(crate) fn validate_json(text: &[u8]) -> Result<(), Reason> {
    let mut cur = Cursor::new(text);
    let mut stack = Nesting::default();
    'value: loop {
        skip_ws(&mut cur);
        match cur.next_byte() {
            Some(b'{') => {
                skip_ws(&mut cur);
                if !cur.eat(b'}') {
                    stack.push(true);
                    key(&mut cur)?;
                    continue 'value;
                }
            }
            Some(b'[') => {
                skip_ws(&mut cur);
                if !cur.eat(b']') {
                    stack.push(false);
                    continue 'value;
                }
            }
            Some(b'"') => string_body(&mut cur)?,
            Some(b @ (b'-' | b'0'..=b'9')) => number(&mut cur, b)?,
            Some(b't') => literal(&mut cur, b"rue")?,
            Some(b'f') => literal(&mut cur, b"alse")?,
            Some(b'n') => literal(&mut cur, b"ull")?,
            _ => return Err("expected a JSON value"),
        }
        // After a value: close containers until one continues or the text ends.
        loop {
            skip_ws(&mut cur);
            match stack.top() {
                None => return cur.finish("text after the JSON value"),
                Some(is_object) => {
                    if cur.eat(b',') {
                        if is_object {
                            key(&mut cur)?;
                        }
                        continue 'value;
                    }
                    cur.expect(
                        if is_object { b'}' } else { b']' },
                        "expected ',' or a closing bracket",
                    )?;
                    stack.pop();
                }
            }
        }
    }
}

/// Which containers enclose the current position: `true` for an object.
#[derive(Default)]
struct Nesting {
    depth: usize,
    inline: u128,
    spilled: Vec<bool>,
}

impl Nesting {
    fn push(&mut self, is_object: bool) {
        if self.depth < 128 {
            self.inline =
                self.inline & !(1u128 << self.depth) | u128::from(is_object) << self.depth;
        } else {
            self.spilled.truncate(self.depth - 128);
            self.spilled.push(is_object);
        }
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn top(&self) -> Option<bool> {
        let top = self.depth.checked_sub(1)?;
        if top < 128 {
            Some(self.inline & (1u128 << top) != 0)
        } else {
            self.spilled.get(top - 128).copied()
        }
    }
}

fn skip_ws(cur: &mut Cursor<'_>) {
    cur.take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
}

/// An object key and its colon.
fn key(cur: &mut Cursor<'_>) -> Result<(), Reason> {
    skip_ws(cur);
    cur.expect(b'"', "expected an object key")?;
    string_body(cur)?;
    skip_ws(cur);
    cur.expect(b':', "expected ':' after an object key")
}

/// The rest of a string after its opening quote.
fn string_body(cur: &mut Cursor<'_>) -> Result<(), Reason> {
    loop {
        match cur.next_byte() {
            None => return Err("unterminated string"),
            Some(b'"') => return Ok(()),
            Some(b'\\') => match cur.next_byte() {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                Some(b'u') => {
                    for _ in 0..4 {
                        cur.next_byte()
                            .and_then(hex_value)
                            .ok_or("bad \\u escape")?;
                    }
                }
                _ => return Err("bad escape"),
            },
            Some(0..=0x1f) => return Err("control character in a string"),
            Some(_) => {}
        }
    }
}

/// The rest of a number after its first byte.
fn number(cur: &mut Cursor<'_>, first: u8) -> Result<(), Reason> {
    let first_digit = if first == b'-' {
        cur.next_byte().ok_or("bad number")?
    } else {
        first
    };
    match first_digit {
        b'0' => {}
        b'1'..=b'9' => {
            cur.digits();
        }
        _ => return Err("bad number"),
    }
    if cur.eat(b'.') && cur.digits().is_empty() {
        return Err("bad number");
    }
    if cur.eat(b'e') || cur.eat(b'E') {
        if !cur.eat(b'+') {
            cur.eat(b'-');
        }
        if cur.digits().is_empty() {
            return Err("bad number");
        }
    }
    Ok(())
}

fn literal(cur: &mut Cursor<'_>, rest: &[u8]) -> Result<(), Reason> {
    for &b in rest {
        cur.expect(b, "bad literal")?;
    }
    Ok(())
}

/// A float as a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn float(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => json!("NaN"),
        None if v > 0.0 => json!("Infinity"),
        None => json!("-Infinity"),
    }
}

fn point(p: &Point) -> Json {
    json!({ "x": float(p.x), "y": float(p.y) })
}

fn points(ps: &[Point]) -> Json {
    Json::Array(ps.iter().map(point).collect())
}

fn range(r: &Range) -> Json {
    let Range::Bounds { lower, upper } = r else {
        return json!({ "empty": true });
    };
    let value = |b: &Bound<Value>| match b {
        Bound::Included(v) | Bound::Excluded(v) => v.to_json(),
        Bound::Unbounded => Json::Null,
    };
    json!({
        "lower": value(lower),
        "upper": value(upper),
        "lower_inclusive": matches!(lower, Bound::Included(_)),
        "upper_inclusive": matches!(upper, Bound::Included(_)),
    })
}

fn array(a: &Array) -> Json {
    fn level(dims: &[usize], elements: &[Option<Value>]) -> Json {
        let element = |e: &Option<Value>| e.as_ref().map_or(Json::Null, Value::to_json);
        match dims.split_first() {
            Some((_, inner)) if !inner.is_empty() => {
                let chunk = inner.iter().product::<usize>().max(1);
                Json::Array(
                    elements
                        .chunks(chunk)
                        .map(|part| level(inner, part))
                        .collect(),
                )
            }
            _ => Json::Array(elements.iter().map(element).collect()),
        }
    }
    let dims: Vec<usize> = a.dims.iter().map(|d| d.len).collect();
    level(&dims, &a.elements)
}

/// Embedded JSON text, or the text as a string when `serde_json` cannot hold it (a number beyond
/// `f64`, nesting deeper than 128).
fn embedded(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

impl Value {
    /// The canonical JSON form (see the module documentation for the mapping).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Bool(v) => Json::Bool(*v),
            Value::Int2(v) => json!(v),
            Value::Int4(v) => json!(v),
            Value::Int8(v) => json!(v),
            Value::Oid(v) | Value::Xid(v) | Value::Cid(v) => json!(v),
            Value::Xid8(v) => json!(v),
            Value::Float4(v) => float(float4_to_f64(*v)),
            Value::Float8(v) => float(*v),
            Value::Money(m) => Json::String(m.to_decimal_string()),
            Value::Text(t) => Json::String(t.as_str().to_owned()),
            Value::Json(t) | Value::Jsonb(t) => embedded(t.as_str()),
            Value::Date(d) => Json::String(d.to_iso8601()),
            Value::Timestamp(t) => Json::String(t.to_iso8601(false)),
            Value::Timestamptz(t) => Json::String(t.to_iso8601(true)),
            Value::Interval(i) => Json::String(i.to_iso8601()),
            Value::Inet(i) => Json::String(i.to_pg_string(false)),
            Value::Cidr(i) => Json::String(i.to_pg_string(true)),
            Value::Point(p) => point(p),
            Value::Line(l) => json!({ "a": float(l.a), "b": float(l.b), "c": float(l.c) }),
            Value::Lseg(l) => points(&[l.start, l.end]),
            Value::Box(b) => points(&[b.high, b.low]),
            Value::Path(p) => json!({ "closed": p.closed, "points": points(&p.points) }),
            Value::Polygon(p) => points(&p.points),
            Value::Circle(c) => json!({ "center": point(&c.center), "radius": float(c.radius) }),
            Value::Range(r) => range(r),
            Value::Multirange(rs) => Json::Array(rs.iter().map(range).collect()),
            Value::Array(a) => array(a),
            Value::Hstore(h) => Json::Object(
                h.0.iter()
                    .map(|(k, v)| {
                        let v = v.as_ref().map_or(Json::Null, |v| json!(v.as_str()));
                        (k.as_str().to_owned(), v)
                    })
                    .collect::<Map<_, _>>(),
            ),
            Value::Unknown { text, .. } => Json::String(String::from_utf8_lossy(text).into_owned()),
            // The rest are strings of their PostgreSQL text: numeric, bytea, uuid, time, timetz,
            // macaddr, macaddr8, bit, varbit, pg_lsn, tid.
            Value::Numeric(_)
            | Value::Bytea(_)
            | Value::Uuid(_)
            | Value::Time(_)
            | Value::TimeTz(_)
            | Value::MacAddr(_)
            | Value::MacAddr8(_)
            | Value::Bit(_)
            | Value::Varbit(_)
            | Value::PgLsn(_)
            | Value::Tid(_) => Json::String(self.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn valid_json() {
        for ok in [
            "1",
            "-0",
            "1.5e+300",
            "1e99999",
            "123456789012345678901234567890",
            "\"a\\u00e9\\n\"",
            "true",
            "null",
            " [ ] ",
            "{}",
            "{\"a\": [1, {\"b\": null}], \"c\": \"\"}",
            "[[[]]]",
            "\"é ✓\"",
        ] {
            assert_eq!(validate_json(ok.as_bytes()), Ok(()), "{ok}");
        }
        let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(validate_json(deep.as_bytes()), Ok(()));
        let deep_objects = format!("{}1{}", "{\"a\":[".repeat(300), "]}".repeat(300));
        assert_eq!(validate_json(deep_objects.as_bytes()), Ok(()));
    }

    #[test]
    fn invalid_json() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "[1,]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{1:2}",
            "\"a",
            "\"\\x\"",
            "\"\\u12g4\"",
            "tru",
            "nul",
            "[",
            "]",
            "{\"a\":1]",
            "1 2",
            "\"\t\"",
            "[1}",
            "{]",
        ] {
            assert!(validate_json(bad.as_bytes()).is_err(), "{bad}");
        }
        let unbalanced = format!("{}1{}", "[".repeat(200), "]".repeat(199));
        assert!(validate_json(unbalanced.as_bytes()).is_err());
    }
}
