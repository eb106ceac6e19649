//! A byte cursor for the small hand-written parsers of PostgreSQL's output formats.

use bytes::Bytes;

use super::error::Reason;

/// Whether PostgreSQL's `scanner_isspace` counts `b` as white space.
pub(crate) fn is_pg_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The value of ASCII decimal digits, `None` when empty, not all digits, or above `u64::MAX`.
pub(crate) fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// The value of one ASCII hexadecimal digit.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hexadecimal digits, indexed by nibble.
pub(crate) const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The lowercase hexadecimal digit of the low nibble of `nibble`.
pub(crate) fn hex_digit(nibble: u8) -> char {
    char::from(
        HEX_DIGITS
            .get(usize::from(nibble & 0x0f))
            .copied()
            .unwrap_or(b'0'),
    )
}

/// A position in a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The offset of the cursor in the slice.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next byte, not consumed.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next byte, consumed.
    pub(crate) fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b`, or fails with `reason`.
    pub(crate) fn expect(&mut self, b: u8, reason: Reason) -> Result<(), Reason> {
        if self.eat(b) { Ok(()) } else { Err(reason) }
    }

    /// Consumes `prefix` (ASCII, case-insensitive) if it is next.
    pub(crate) fn eat_ignore_case(&mut self, prefix: &[u8]) -> bool {
        match self.rest().get(..prefix.len()) {
            Some(head) if head.eq_ignore_ascii_case(prefix) => {
                self.pos += prefix.len();
                true
            }
            _ => false,
        }
    }

    /// Consumes white space.
    pub(crate) fn skip_spaces(&mut self) {
        self.take_while(is_pg_space);
    }

    /// Consumes and returns the longest prefix of bytes matching `pred`.
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.bytes.get(start..self.pos).unwrap_or_default()
    }

    /// Consumes ASCII digits and returns them.
    pub(crate) fn digits(&mut self) -> &'a [u8] {
        self.take_while(|b| b.is_ascii_digit())
    }

    /// Consumes ASCII digits and returns their value, or fails with `reason`.
    pub(crate) fn number(&mut self, reason: Reason) -> Result<u64, Reason> {
        parse_digits(self.digits()).ok_or(reason)
    }

    /// The bytes not consumed yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Whether every byte has been consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Fails with `reason` unless every byte has been consumed.
    pub(crate) fn finish(&self, reason: Reason) -> Result<(), Reason> {
        if self.is_empty() { Ok(()) } else { Err(reason) }
    }
}

/// `text[start..end]` sharing the buffer; empty if the range is not inside `text`.
pub(crate) fn sub_bytes(text: &Bytes, start: usize, end: usize) -> Bytes {
    if start <= end && end <= text.len() {
        text.slice(start..end)
    } else {
        Bytes::new()
    }
}

/// Reads a double-quoted string whose opening quote the cursor is on, up to and including the
/// closing quote. A backslash takes the next byte literally; with `doubled_quote`, `""` is also
/// a literal quote (the range format). The content shares `text`'s buffer unless it had escapes.
pub(crate) fn quoted_string(
    cur: &mut Cursor<'_>,
    text: &Bytes,
    doubled_quote: bool,
) -> Result<Bytes, Reason> {
    cur.expect(b'"', "expected '\"'")?;
    let start = cur.pos();
    let mut unescaped: Option<Vec<u8>> = None;
    loop {
        let at = cur.pos();
        match cur.next_byte() {
            None => return Err("unterminated quoted string"),
            Some(b'\\') => {
                let escaped = cur.next_byte().ok_or("unterminated quoted string")?;
                unescaped
                    .get_or_insert_with(|| text.get(start..at).unwrap_or_default().to_vec())
                    .push(escaped);
            }
            Some(b'"') if doubled_quote && cur.peek() == Some(b'"') => {
                cur.next_byte();
                unescaped
                    .get_or_insert_with(|| text.get(start..at).unwrap_or_default().to_vec())
                    .push(b'"');
            }
            Some(b'"') => {
                return Ok(match unescaped {
                    Some(bytes) => Bytes::from(bytes),
                    None => sub_bytes(text, start, at),
                });
            }
            Some(b) => {
                if let Some(bytes) = unescaped.as_mut() {
                    bytes.push(b);
                }
            }
        }
    }
}

/// Writes `text` in double quotes, escaping `"` and `\` with a backslash (or, with
/// `double_escapes`, by doubling them, as ranges do).
pub(crate) fn write_quoted(
    w: &mut dyn std::fmt::Write,
    text: &str,
    double_escapes: bool,
) -> std::fmt::Result {
    w.write_char('"')?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            w.write_char(if double_escapes { c } else { '\\' })?;
        }
        w.write_char(c)?;
    }
    w.write_char('"')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn digits_and_overflow() {
        assert_eq!(parse_digits(b"0"), Some(0));
        assert_eq!(parse_digits(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_digits(b"18446744073709551616"), None);
        assert_eq!(parse_digits(b""), None);
        assert_eq!(parse_digits(b"1a"), None);
    }

    #[test]
    fn cursor_moves() {
        let mut c = Cursor::new(b"  12:ab");
        c.skip_spaces();
        assert_eq!(c.number("n"), Ok(12));
        assert!(c.eat(b':'));
        assert!(c.eat_ignore_case(b"AB"));
        assert!(c.is_empty());
        assert_eq!(c.expect(b'x', "x"), Err("x"));
    }

    #[test]
    fn quoted_strings_share_the_buffer_unless_escaped() {
        let text = Bytes::from_static(br#""abc" "a\"b" "x""y" "open"#);
        let mut c = Cursor::new(&text);
        let plain = quoted_string(&mut c, &text, false).unwrap();
        assert_eq!(plain, &b"abc"[..]);
        assert_eq!(plain.as_ptr(), text[1..].as_ptr());
        c.skip_spaces();
        assert_eq!(quoted_string(&mut c, &text, false).unwrap(), &br#"a"b"#[..]);
        c.skip_spaces();
        assert_eq!(quoted_string(&mut c, &text, true).unwrap(), &br#"x"y"#[..]);
        c.skip_spaces();
        assert!(quoted_string(&mut c, &text, false).is_err());
        let mut s = String::new();
        write_quoted(&mut s, r#"a"b\c"#, false).unwrap();
        assert_eq!(s, r#""a\"b\\c""#);
        s.clear();
        write_quoted(&mut s, r#"a"b"#, true).unwrap();
        assert_eq!(s, r#""a""b""#);
    }
}
