//! `bytea`: the `hex` output format (`\x0aff`) and the legacy `escape` format.

use std::fmt;

use bytes::Bytes;

use super::error::Reason;
use super::scan::{hex_digit, hex_value, is_pg_space};

/// Decodes `byteaout`'s text in either `bytea_output` format: `\x` and hex digit pairs (white
/// space allowed between pairs), or the escape format where `\\` is a backslash and `\ooo` an
/// octal byte.
pub(crate) fn parse_bytea(text: &[u8]) -> Result<Bytes, Reason> {
    match text {
        [b'\\', b'x' | b'X', hex @ ..] => decode_hex(hex),
        _ => decode_escape(text),
    }
}

fn decode_hex(hex: &[u8]) -> Result<Bytes, Reason> {
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut digits = hex.iter().copied().filter(|&b| !is_pg_space(b));
    while let Some(high) = digits.next() {
        let low = digits.next().ok_or("odd number of hex digits")?;
        let (Some(high), Some(low)) = (hex_value(high), hex_value(low)) else {
            return Err("invalid hex digit");
        };
        out.push(high << 4 | low);
    }
    Ok(Bytes::from(out))
}

fn decode_escape(text: &[u8]) -> Result<Bytes, Reason> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().copied();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'\\') => out.push(b'\\'),
            Some(first @ b'0'..=b'3') => {
                let (Some(second @ b'0'..=b'7'), Some(third @ b'0'..=b'7')) =
                    (bytes.next(), bytes.next())
                else {
                    return Err("invalid octal escape");
                };
                out.push((first - b'0') << 6 | (second - b'0') << 3 | (third - b'0'));
            }
            _ => return Err("invalid escape"),
        }
    }
    Ok(Bytes::from(out))
}

/// Writes bytes in the `hex` format: `\x` and two lowercase digits a byte.
pub(crate) fn write_bytea_hex(w: &mut dyn fmt::Write, bytes: &[u8]) -> fmt::Result {
    w.write_str("\\x")?;
    for &b in bytes {
        w.write_char(hex_digit(b >> 4))?;
        w.write_char(hex_digit(b))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hex_and_escape_formats() {
        assert_eq!(parse_bytea(b"\\x00ff5C27").unwrap(), &b"\x00\xff\\'"[..]);
        assert_eq!(parse_bytea(b"\\x").unwrap(), &b""[..]);
        assert_eq!(parse_bytea(b"\\x00 ff").unwrap(), &b"\x00\xff"[..]);
        assert_eq!(
            parse_bytea(b"\\000\\377\\\\'").unwrap(),
            &b"\x00\xff\\'"[..]
        );
        assert_eq!(parse_bytea("abc é".as_bytes()).unwrap(), "abc é".as_bytes());
        assert_eq!(parse_bytea(b"").unwrap(), &b""[..]);
        for bad in [&b"\\x0"[..], b"\\xgg", b"\\4", b"\\08", b"\\", b"\\01"] {
            assert!(parse_bytea(bad).is_err(), "{bad:?}");
        }
        let mut s = String::new();
        write_bytea_hex(&mut s, b"\x00\xff\\").unwrap();
        assert_eq!(s, "\\x00ff5c");
    }
}
