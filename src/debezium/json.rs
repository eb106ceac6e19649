//! The JSON text Kafka Connect's `JsonConverter` writes (through Jackson): compact, strings
//! escaped the way Jackson escapes them, integers; floating point numbers are in
//! [`java_float`](super::java_float). Everything writes straight into a `Vec<u8>`.

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `text` as a JSON string: `"` `\` and the control characters `\b \t \n \f \r` with
/// their short escapes, other characters below U+0020 as `\u00XX`, characters outside the Basic
/// Multilingual Plane as an escaped UTF-16 surrogate pair (`\uD83D\uDE00`), everything else as
/// raw UTF-8 (DEL, `/` and U+2028 included).
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    write_str_escaping(out, text, true);
}

/// Appends `text` as a JSON string the way Jackson writes one into a Java `String` (as
/// `ObjectMapper.writeValueAsString` does): as [`write_str`], but characters outside the Basic
/// Multilingual Plane stay raw UTF-8.
pub fn write_str_keeping_astral(out: &mut Vec<u8>, text: &str) {
    write_str_escaping(out, text, false);
}

fn write_str_escaping(out: &mut Vec<u8>, text: &str, escape_astral: bool) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            0xf0..=0xff if escape_astral => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        if !short.is_empty() {
            out.extend_from_slice(short);
            i += 1;
        } else if b < 0x20 {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
            i += 1;
        } else {
            // A four-byte sequence: a character outside the BMP (the text is valid UTF-8).
            let c = text[i..].chars().next().map_or(0xfffd, u32::from);
            let v = c.saturating_sub(0x10000);
            write_u16_escape(out, 0xd800 | (v >> 10));
            write_u16_escape(out, 0xdc00 | (v & 0x3ff));
            i += 4;
        }
        start = i;
    }
    out.extend_from_slice(&bytes[start.min(bytes.len())..]);
    out.push(b'"');
}

fn write_u16_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xf) as usize]);
    }
}

/// Appends a JSON string holding the standard base64 of `bytes` (Connect's `bytes` type).
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = BASE64_STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// Appends an integer.
pub fn write_int(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn s(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_escape_as_jackson_does() {
        assert_eq!(s("a\"b\\c\n\t\r\u{8}\u{c}"), r#""a\"b\\c\n\t\r\b\f""#);
        assert_eq!(
            s("\u{1}\u{1f}\u{7f}/\u{2028}<>&'"),
            "\"\\u0001\\u001F\u{7f}/\u{2028}<>&'\""
        );
        assert_eq!(
            s("Grüße, 日本語, 😀𐍈"),
            "\"Grüße, 日本語, \\uD83D\\uDE00\\uD800\\uDF48\""
        );
        assert_eq!(s(""), "\"\"");
    }

    #[test]
    fn base64_and_integers() {
        let mut out = Vec::new();
        write_base64(&mut out, &[0x00, 0xff, 0x10]);
        out.push(b' ');
        write_base64(&mut out, &[]);
        out.push(b' ');
        write_int(&mut out, i64::MIN);
        assert_eq!(out, b"\"AP8Q\" \"\" -9223372036854775808");
    }
}
