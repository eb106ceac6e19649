//! Rows of `COPY ... TO STDOUT` in text format: one line per row, columns separated by tabs,
//! `\N` for NULL, and backslash escapes for tabs, newlines, backslashes and other bytes. Each
//! column's text is then what the type's output function printed, which
//! [`parse_text`](crate::change::value::parse_text) reads like a streamed value.

use bytes::{Bytes, BytesMut};

/// A line that is not valid COPY text.
#[derive(Debug, thiserror::Error)]
#[error("malformed COPY text: {0}")]
pub struct CopyTextError(pub &'static str);

/// Splits one COPY text line (with or without its final newline) into its columns: `None` for
/// NULL, else the column's text with escapes undone. A column without escapes is a slice of
/// `line`, not a copy.
pub fn split_line(line: &Bytes, out: &mut Vec<Option<Bytes>>) -> Result<(), CopyTextError> {
    out.clear();
    let mut end = line.len();
    if line.last() == Some(&b'\n') {
        end -= 1;
    }
    let bytes = &line[..end];
    let mut start = 0;
    loop {
        let stop = bytes[start..]
            .iter()
            .position(|&b| b == b'\t')
            .map_or(end, |p| start + p);
        let field = &bytes[start..stop];
        if field == b"\\N" {
            out.push(None);
        } else if field.contains(&b'\\') {
            out.push(Some(unescape(field)?));
        } else {
            out.push(Some(line.slice(start..stop)));
        }
        if stop == end {
            return Ok(());
        }
        start = stop + 1;
    }
}

fn unescape(field: &[u8]) -> Result<Bytes, CopyTextError> {
    let mut out = BytesMut::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' {
            out.extend_from_slice(&[b]);
            i += 1;
            continue;
        }
        let Some(&next) = field.get(i + 1) else {
            return Err(CopyTextError("a backslash ends a column"));
        };
        i += 2;
        let byte = match next {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                let mut digits = 1;
                while digits < 3
                    && let Some(&d @ b'0'..=b'7') = field.get(i)
                {
                    value = value * 8 + u32::from(d - b'0');
                    i += 1;
                    digits += 1;
                }
                (value & 0xff) as u8
            }
            b'x' => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 2
                    && let Some(d) = field.get(i).and_then(|d| (*d as char).to_digit(16))
                {
                    value = value * 16 + d;
                    i += 1;
                    digits += 1;
                }
                if digits == 0 { b'x' } else { value as u8 }
            }
            other => other,
        };
        out.extend_from_slice(&[byte]);
    }
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn split(line: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        split_line(&Bytes::copy_from_slice(line.as_bytes()), &mut out).unwrap();
        out.into_iter()
            .map(|f| f.map(|b| String::from_utf8(b.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn columns_nulls_and_escapes() {
        assert_eq!(
            split("1\t\\N\ta\\tb\\nc\\\\d\n"),
            [Some("1".into()), None, Some("a\tb\nc\\d".into())]
        );
        assert_eq!(split(""), [Some(String::new())]);
        assert_eq!(split("\t\n"), [Some(String::new()), Some(String::new())]);
        assert_eq!(split("\\101\\x42\\r"), [Some("AB\r".into())]);
        assert_eq!(split("\\\\N"), [Some("\\N".into())]);
        let mut out = Vec::new();
        assert!(split_line(&Bytes::from_static(b"a\\"), &mut out).is_err());
    }
}
