//! Ranges and multiranges: `range_out`'s text (`[1,10)`, `(,5]`, `empty`,
//! `["2024-01-01 00:00:00+00",)`) and `multirange_out`'s (`{[1,3),[5,7)}`).

use std::fmt;
use std::ops::Bound;

use bytes::Bytes;

use super::Value;
use super::error::Reason;
use super::scan::{Cursor, is_pg_space, quoted_string, sub_bytes, write_quoted};

/// A range value: empty, or two bounds, each unbounded, inclusive or exclusive.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    /// `empty`.
    Empty,
    /// A non-empty range.
    Bounds {
        /// The lower bound; `Unbounded` for minus infinity.
        lower: Bound<Value>,
        /// The upper bound; `Unbounded` for plus infinity.
        upper: Bound<Value>,
    },
}

/// A range's text, before its bounds are parsed.
#[derive(Debug)]
pub(crate) enum RangeText {
    Empty,
    Bounds {
        lower: Bound<Bytes>,
        upper: Bound<Bytes>,
    },
}

/// Splits the text of one range starting at the cursor (and ending where the cursor is left).
pub(crate) fn split_range(cur: &mut Cursor<'_>, text: &Bytes) -> Result<RangeText, Reason> {
    cur.skip_spaces();
    if cur.eat_ignore_case(b"empty") {
        return Ok(RangeText::Empty);
    }
    let lower_inclusive = match cur.next_byte() {
        Some(b'[') => true,
        Some(b'(') => false,
        _ => return Err("expected '[', '(' or empty"),
    };
    let lower = bound(cur, text)?;
    cur.expect(b',', "expected ',' between the bounds")?;
    let upper = bound(cur, text)?;
    let upper_inclusive = match cur.next_byte() {
        Some(b']') => true,
        Some(b')') => false,
        _ => return Err("expected ']' or ')'"),
    };
    let wrap = |value: Option<Bytes>, inclusive: bool| match value {
        None => Bound::Unbounded,
        Some(v) if inclusive => Bound::Included(v),
        Some(v) => Bound::Excluded(v),
    };
    Ok(RangeText::Bounds {
        lower: wrap(lower, lower_inclusive),
        upper: wrap(upper, upper_inclusive),
    })
}

/// Splits `range_out`'s text.
pub(crate) fn split_range_text(text: &Bytes) -> Result<RangeText, Reason> {
    let mut cur = Cursor::new(text);
    let range = split_range(&mut cur, text)?;
    cur.skip_spaces();
    cur.finish("unexpected text after the range")?;
    Ok(range)
}

/// Splits `multirange_out`'s text into the texts of its ranges.
pub(crate) fn split_multirange(text: &Bytes) -> Result<Vec<RangeText>, Reason> {
    let mut cur = Cursor::new(text);
    cur.skip_spaces();
    cur.expect(b'{', "expected '{'")?;
    let mut ranges = Vec::new();
    cur.skip_spaces();
    if !cur.eat(b'}') {
        loop {
            ranges.push(split_range(&mut cur, text)?);
            cur.skip_spaces();
            if cur.eat(b',') {
                continue;
            }
            cur.expect(b'}', "expected ',' or '}'")?;
            break;
        }
    }
    cur.skip_spaces();
    cur.finish("unexpected text after the multirange")?;
    Ok(ranges)
}

/// One bound: nothing (unbounded), or text in which `"..."` quotes (with `""` for a quote) and
/// `\` escapes, up to an unquoted `,`, `)` or `]`.
fn bound(cur: &mut Cursor<'_>, text: &Bytes) -> Result<Option<Bytes>, Reason> {
    if matches!(cur.peek(), Some(b',' | b')' | b']')) {
        return Ok(None);
    }
    let start = cur.pos();
    let mut pieces: Option<Vec<u8>> = None;
    loop {
        let at = cur.pos();
        match cur.peek() {
            None => return Err("unterminated range"),
            Some(b',' | b')' | b']') => break,
            Some(b'"') => {
                let quoted = quoted_string(cur, text, true)?;
                // A bound that is exactly one quoted string keeps sharing the buffer.
                if pieces.is_none() && at == start && matches!(cur.peek(), Some(b',' | b')' | b']'))
                {
                    return Ok(Some(quoted));
                }
                pieces
                    .get_or_insert_with(|| text.get(start..at).unwrap_or_default().to_vec())
                    .extend_from_slice(&quoted);
            }
            Some(b'\\') => {
                cur.next_byte();
                let escaped = cur.next_byte().ok_or("unterminated range")?;
                pieces
                    .get_or_insert_with(|| text.get(start..at).unwrap_or_default().to_vec())
                    .push(escaped);
            }
            Some(b) => {
                cur.next_byte();
                if let Some(bytes) = pieces.as_mut() {
                    bytes.push(b);
                }
            }
        }
    }
    Ok(Some(match pieces {
        Some(bytes) => Bytes::from(bytes),
        None => sub_bytes(text, start, cur.pos()),
    }))
}

/// Whether `range_out` quotes a bound's text.
fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\' | b'(' | b')' | b'[' | b']' | b',') || is_pg_space(b))
}

fn write_bound(f: &mut fmt::Formatter<'_>, bound: &Bound<Value>) -> fmt::Result {
    match bound {
        Bound::Included(value) | Bound::Excluded(value) => {
            let text = value.to_string();
            if needs_quotes(&text) {
                write_quoted(f, &text, true)
            } else {
                f.write_str(&text)
            }
        }
        Bound::Unbounded => Ok(()),
    }
}

impl Range {
    /// Whether the range is `empty`.
    pub fn is_empty(&self) -> bool {
        matches!(self, Range::Empty)
    }
}

impl fmt::Display for Range {
    /// `range_out`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Range::Bounds { lower, upper } = self else {
            return f.write_str("empty");
        };
        f.write_str(if matches!(lower, Bound::Included(_)) {
            "["
        } else {
            "("
        })?;
        write_bound(f, lower)?;
        f.write_str(",")?;
        write_bound(f, upper)?;
        f.write_str(if matches!(upper, Bound::Included(_)) {
            "]"
        } else {
            ")"
        })
    }
}

/// Writes `multirange_out`'s text.
pub(crate) fn write_multirange(f: &mut fmt::Formatter<'_>, ranges: &[Range]) -> fmt::Result {
    f.write_str("{")?;
    for (i, range) in ranges.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        fmt::Display::fmt(range, f)?;
    }
    f.write_str("}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn bounds(text: &str) -> (Bound<String>, Bound<String>) {
        let text = Bytes::copy_from_slice(text.as_bytes());
        match split_range_text(&text).unwrap() {
            RangeText::Bounds { lower, upper } => {
                let s = |b: Bound<Bytes>| b.map(|v| String::from_utf8(v.to_vec()).unwrap());
                (s(lower), s(upper))
            }
            RangeText::Empty => panic!("empty"),
        }
    }

    #[test]
    fn range_texts() {
        use Bound::*;
        assert_eq!(
            bounds("[1,10)"),
            (Included("1".into()), Excluded("10".into()))
        );
        assert_eq!(bounds("(,5]"), (Unbounded, Included("5".into())));
        assert_eq!(bounds("(,)"), (Unbounded, Unbounded));
        assert_eq!(
            bounds(r#"["2024-01-01 00:00:00+00","a""b\"c")"#),
            (
                Included("2024-01-01 00:00:00+00".into()),
                Excluded("a\"b\"c".into())
            )
        );
        assert_eq!(
            bounds(r#"[a"b,c"d,"")"#),
            (Included("ab,cd".into()), Excluded("".into()))
        );
        assert!(matches!(
            split_range_text(&Bytes::from_static(b"empty")),
            Ok(RangeText::Empty)
        ));
        for bad in ["", "[1,2", "1,2)", "[1;2)", "[1,2)x", "[\"1,2)"] {
            assert!(
                split_range_text(&Bytes::copy_from_slice(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn multirange_texts() {
        assert_eq!(
            split_multirange(&Bytes::from_static(b"{}")).unwrap().len(),
            0
        );
        assert_eq!(
            split_multirange(&Bytes::from_static(b"{[1,3),[5,7)}"))
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            split_multirange(&Bytes::from_static(b"{ [1,3) , empty }"))
                .unwrap()
                .len(),
            2
        );
        assert!(split_multirange(&Bytes::from_static(b"{[1,3)")).is_err());
        assert!(split_multirange(&Bytes::from_static(b"[1,3)")).is_err());
    }

    #[test]
    fn bound_quoting() {
        assert!(needs_quotes(""));
        assert!(needs_quotes("2024-01-01 00:00:00"));
        assert!(needs_quotes("a,b"));
        assert!(!needs_quotes("-infinity"));
        assert!(!needs_quotes("2024-01-01"));
    }
}
