//! Arrays: `array_out`'s text (`{1,2,NULL}`, `{{1,2},{3,4}}`, `[0:1]={a,"b c"}`), element by
//! element through the element type's parser.

use std::fmt;

use bytes::Bytes;

use super::Value;
use super::error::Reason;
use super::scan::{Cursor, is_pg_space, quoted_string, sub_bytes, write_quoted};

/// PostgreSQL's limit on array dimensions (`MAXDIM`).
pub const MAX_DIMENSIONS: usize = 6;

/// One dimension of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArrayDim {
    /// The number of elements along this dimension.
    pub len: usize,
    /// The index of the first element (1 unless the array was built otherwise).
    pub lower_bound: i32,
}

/// An array value: its shape and its elements in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The element type's oid (for an array of a domain, the domain).
    pub element_oid: u32,
    /// The element delimiter of the element type (`,`; `;` for `box`).
    pub delimiter: u8,
    /// The dimensions, outermost first; none for an empty array.
    pub dims: Vec<ArrayDim>,
    /// The elements, `None` for `NULL`; the product of the dimension lengths.
    pub elements: Vec<Option<Value>>,
}

/// The shape and element texts of an array, before the elements are parsed.
#[derive(Debug)]
pub(crate) struct ArrayText {
    pub(crate) dims: Vec<ArrayDim>,
    pub(crate) elements: Vec<Option<Bytes>>,
}

/// Splits `array_out`'s text into its shape and the text of each element (`None` for an
/// unquoted `NULL`). Element texts share `text`'s buffer unless they had escapes.
pub(crate) fn split_array(text: &Bytes, delimiter: u8) -> Result<ArrayText, Reason> {
    let mut cur = Cursor::new(text);
    cur.skip_spaces();
    let mut bounds = Vec::new();
    while cur.eat(b'[') {
        let lower = signed(&mut cur)?;
        cur.expect(b':', "expected ':' in dimension bounds")?;
        let upper = signed(&mut cur)?;
        cur.expect(b']', "expected ']' in dimension bounds")?;
        if bounds.len() == MAX_DIMENSIONS {
            return Err("too many dimensions");
        }
        bounds.push((lower, upper));
    }
    if !bounds.is_empty() {
        cur.skip_spaces();
        cur.expect(b'=', "expected '=' after dimension bounds")?;
        cur.skip_spaces();
    }
    cur.expect(b'{', "expected '{'")?;
    let mut splitter = Splitter {
        text,
        delimiter,
        lens: Vec::new(),
        leaf_level: None,
        elements: Vec::new(),
    };
    splitter.level(&mut cur, 0)?;
    cur.skip_spaces();
    cur.finish("unexpected text after the array")?;
    let Splitter { lens, elements, .. } = splitter;
    let lens: Vec<usize> = lens.into_iter().map(|len| len.unwrap_or(0)).collect();
    if bounds.is_empty() {
        let dims = lens
            .iter()
            .map(|&len| ArrayDim {
                len,
                lower_bound: 1,
            })
            .collect();
        return Ok(ArrayText { dims, elements });
    }
    if bounds.len() != lens.len() {
        return Err("dimension bounds do not match the array");
    }
    let mut dims = Vec::with_capacity(lens.len());
    for (&(lower, upper), &len) in bounds.iter().zip(&lens) {
        let expected = i64::from(upper) - i64::from(lower) + 1;
        if i64::try_from(len).ok() != Some(expected) {
            return Err("dimension bounds do not match the array");
        }
        dims.push(ArrayDim {
            len,
            lower_bound: lower,
        });
    }
    Ok(ArrayText { dims, elements })
}

fn signed(cur: &mut Cursor<'_>) -> Result<i32, Reason> {
    let negative = cur.eat(b'-');
    if !negative {
        cur.eat(b'+');
    }
    let value =
        i64::try_from(cur.number("bad dimension bound")?).map_err(|_| "bad dimension bound")?;
    i32::try_from(if negative { -value } else { value }).map_err(|_| "bad dimension bound")
}

struct Splitter<'t> {
    text: &'t Bytes,
    delimiter: u8,
    /// The length of each dimension, outermost first, once a `{...}` of that level has closed.
    lens: Vec<Option<usize>>,
    /// The nesting level of the elements, once the first one has been read.
    leaf_level: Option<usize>,
    elements: Vec<Option<Bytes>>,
}

impl Splitter<'_> {
    /// Reads the items of one `{...}` at nesting `level` (0 for the outermost); the cursor is
    /// after its `{` and ends after its `}`.
    fn level(&mut self, cur: &mut Cursor<'_>, level: usize) -> Result<(), Reason> {
        cur.skip_spaces();
        if cur.eat(b'}') {
            return if level == 0 {
                Ok(())
            } else {
                Err("empty inner array")
            };
        }
        if self.lens.len() <= level {
            self.lens.resize(level + 1, None);
        }
        let mut count = 0usize;
        loop {
            cur.skip_spaces();
            if cur.eat(b'{') {
                if self.leaf_level.is_some_and(|leaf| leaf <= level) {
                    return Err("inconsistent nesting");
                }
                if level + 2 > MAX_DIMENSIONS {
                    return Err("too many dimensions");
                }
                self.level(cur, level + 1)?;
            } else {
                if *self.leaf_level.get_or_insert(level) != level {
                    return Err("inconsistent nesting");
                }
                let element = self.element(cur)?;
                self.elements.push(element);
            }
            count += 1;
            cur.skip_spaces();
            if cur.eat(self.delimiter) {
                continue;
            }
            cur.expect(b'}', "expected a delimiter or '}'")?;
            break;
        }
        match self.lens.get_mut(level) {
            Some(len @ None) => *len = Some(count),
            Some(Some(len)) if *len == count => {}
            _ => return Err("sub-arrays of different lengths"),
        }
        Ok(())
    }

    /// One element: quoted, or unquoted up to the delimiter or `}` with trailing spaces trimmed.
    fn element(&self, cur: &mut Cursor<'_>) -> Result<Option<Bytes>, Reason> {
        if cur.peek() == Some(b'"') {
            return quoted_string(cur, self.text, false).map(Some);
        }
        let start = cur.pos();
        let mut unescaped: Option<Vec<u8>> = None;
        let mut end = start;
        loop {
            let at = cur.pos();
            match cur.peek() {
                None => return Err("unterminated array"),
                Some(b'{' | b'"') => return Err("unexpected character in an element"),
                Some(b) if b == self.delimiter || b == b'}' => break,
                Some(b'\\') => {
                    cur.next_byte();
                    let escaped = cur.next_byte().ok_or("unterminated array")?;
                    unescaped
                        .get_or_insert_with(|| {
                            self.text.get(start..at).unwrap_or_default().to_vec()
                        })
                        .push(escaped);
                    end = cur.pos();
                }
                Some(b) => {
                    cur.next_byte();
                    if let Some(bytes) = unescaped.as_mut() {
                        bytes.push(b);
                    }
                    if !is_pg_space(b) {
                        end = cur.pos();
                    }
                }
            }
        }
        match unescaped {
            Some(mut bytes) => {
                let trailing = bytes.iter().rev().take_while(|&&b| is_pg_space(b)).count();
                let trailing = trailing.min(cur.pos() - end);
                bytes.truncate(bytes.len() - trailing);
                Ok(Some(Bytes::from(bytes)))
            }
            None => {
                let token = sub_bytes(self.text, start, end);
                if token.is_empty() {
                    Err("empty unquoted element")
                } else if token.eq_ignore_ascii_case(b"NULL") {
                    Ok(None)
                } else {
                    Ok(Some(token))
                }
            }
        }
    }
}

impl Array {
    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// How many elements one item at nesting `level` holds.
    fn chunk_len(&self, level: usize) -> usize {
        self.dims.iter().skip(level + 1).map(|d| d.len).product()
    }
}

/// Whether `array_out` quotes an element text.
fn needs_quotes(text: &str, delimiter: u8) -> bool {
    text.is_empty()
        || text.eq_ignore_ascii_case("NULL")
        || text
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\' | b'{' | b'}') || b == delimiter || is_pg_space(b))
}

impl fmt::Display for Array {
    /// `array_out`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dims.is_empty() {
            return f.write_str("{}");
        }
        if self.dims.iter().any(|d| d.lower_bound != 1) {
            for d in &self.dims {
                let upper = i64::from(d.lower_bound) + d.len as i64 - 1;
                write!(f, "[{}:{upper}]", d.lower_bound)?;
            }
            f.write_str("=")?;
        }
        self.write_level(f, 0, &self.elements)
    }
}

impl Array {
    fn write_level(
        &self,
        f: &mut fmt::Formatter<'_>,
        level: usize,
        elements: &[Option<Value>],
    ) -> fmt::Result {
        f.write_str("{")?;
        let delimiter = char::from(self.delimiter);
        if level + 1 >= self.dims.len() {
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    f.write_fmt(format_args!("{delimiter}"))?;
                }
                match element {
                    None => f.write_str("NULL")?,
                    Some(value) => {
                        let text = value.to_string();
                        if needs_quotes(&text, self.delimiter) {
                            write_quoted(f, &text, false)?;
                        } else {
                            f.write_str(&text)?;
                        }
                    }
                }
            }
        } else {
            let chunk = self.chunk_len(level).max(1);
            for (i, part) in elements.chunks(chunk).enumerate() {
                if i > 0 {
                    f.write_fmt(format_args!("{delimiter}"))?;
                }
                self.write_level(f, level + 1, part)?;
            }
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Dimensions as `(len, lower bound)` and elements as strings.
    type Split = (Vec<(usize, i32)>, Vec<Option<String>>);

    fn split(text: &str) -> Result<Split, Reason> {
        let text = Bytes::copy_from_slice(text.as_bytes());
        let ArrayText { dims, elements } = split_array(&text, b',')?;
        Ok((
            dims.iter().map(|d| (d.len, d.lower_bound)).collect(),
            elements
                .into_iter()
                .map(|e| e.map(|b| String::from_utf8(b.to_vec()).unwrap()))
                .collect(),
        ))
    }

    fn s(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn shapes() {
        assert_eq!(split("{}").unwrap(), (vec![], vec![]));
        assert_eq!(
            split("{1,2,3}").unwrap(),
            (vec![(3, 1)], vec![s("1"), s("2"), s("3")])
        );
        assert_eq!(
            split("{{1,2},{3,4},{5,6}}").unwrap(),
            (
                vec![(3, 1), (2, 1)],
                vec![s("1"), s("2"), s("3"), s("4"), s("5"), s("6")]
            )
        );
        assert_eq!(
            split("[2:3]={1,2}").unwrap(),
            (vec![(2, 2)], vec![s("1"), s("2")])
        );
        assert_eq!(
            split("[-1:0][1:1]={{a},{b}}").unwrap(),
            (vec![(2, -1), (1, 1)], vec![s("a"), s("b")])
        );
        assert_eq!(split("{{{{{{1}}}}}}").unwrap().0.len(), 6);
        for bad in [
            "",
            "{",
            "{1,2",
            "{1,,2}",
            "{{1},2}",
            "{1,{2}}",
            "{{1,2},{3}}",
            "[1:3]={1,2}",
            "[1:2]",
            "{{{{{{{1}}}}}}}",
            "{1}x",
            "{{}}",
            "{a\"b}",
            "{1}}",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quoting_null_and_escapes() {
        let (_, elements) =
            split(r#"{NULL,"NULL",null,"a b","",  x y  ,"q\"\\",c\,d,"é"}"#).unwrap();
        assert_eq!(
            elements,
            vec![
                None,
                s("NULL"),
                None,
                s("a b"),
                s(""),
                s("x y"),
                s("q\"\\"),
                s("c,d"),
                s("é")
            ]
        );
    }

    #[test]
    fn unquoted_elements_share_the_buffer() {
        let text = Bytes::from_static(b"{abc,\"de\"}");
        let split = split_array(&text, b',').unwrap();
        let first = split.elements[0].as_ref().unwrap();
        assert_eq!(first.as_ptr(), text[1..].as_ptr());
        let second = split.elements[1].as_ref().unwrap();
        assert_eq!(second.as_ptr(), text[6..].as_ptr());
    }

    #[test]
    fn quoting_rules_of_array_out() {
        assert!(needs_quotes("", b','));
        assert!(needs_quotes("null", b','));
        assert!(needs_quotes("a b", b','));
        assert!(needs_quotes("a,b", b','));
        assert!(!needs_quotes("a,b", b';'));
        assert!(needs_quotes("a;b", b';'));
        assert!(needs_quotes("{", b','));
        assert!(!needs_quotes("é", b','));
    }
}
