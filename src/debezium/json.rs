//! The JSON text Kafka Connect's `JsonConverter` writes (through Jackson): compact, strings
//! escaped the way Jackson escapes them, floating point numbers as Java's `Double.toString` and
//! `Float.toString` print them. Everything writes straight into a `Vec<u8>`.

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

/// Appends a `float64` as Jackson writes a Java `double`: `Double.toString`'s text, and the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"` for the values JSON cannot hold.
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    write_float(out, value);
}

/// Appends a `float32` as Jackson writes a Java `float` (`Float.toString`'s text).
pub fn write_f32(out: &mut Vec<u8>, value: f32) {
    write_float(out, value);
}

/// Java's text of a float of either width: the shortest digits that read back as the same value
/// of that width (so an `f32` is formatted as an `f32`), in Java's layout.
fn write_float<T: Copy + Into<f64> + std::fmt::LowerExp>(out: &mut Vec<u8>, value: T) {
    let wide: f64 = value.into();
    if let Some(special) = special(wide.is_nan(), wide.is_infinite(), wide < 0.0) {
        out.extend_from_slice(special);
        return;
    }
    if wide == 0.0 {
        out.extend_from_slice(if wide.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let shortest = format!("{value:e}");
    let text = if shortest_digits(&shortest) == 1 {
        format!("{value:.1e}")
    } else {
        shortest
    };
    write_java_decimal(out, &text);
}

fn special(nan: bool, infinite: bool, negative: bool) -> Option<&'static [u8]> {
    match (nan, infinite, negative) {
        (true, _, _) => Some(b"\"NaN\""),
        (false, true, false) => Some(b"\"Infinity\""),
        (false, true, true) => Some(b"\"-Infinity\""),
        _ => None,
    }
}

/// How many significant digits Rust's `{:e}` text has.
fn shortest_digits(scientific: &str) -> usize {
    let mantissa = scientific.split('e').next().unwrap_or("");
    mantissa.bytes().filter(u8::is_ascii_digit).count()
}

/// Renders Rust's `{:e}` text (`-1.2345e-7`) the way Java's `Double.toString` lays out the same
/// digits: plain notation with at least one fraction digit for 10^-3 <= |x| < 10^7, otherwise
/// `d.dddE±n` with at least one fraction digit. Java picks at least two significant digits when
/// one would do (`4.9E-324`); the caller hands over the two-digit text in that case.
fn write_java_decimal(out: &mut Vec<u8>, scientific: &str) {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if negative {
        out.push(b'-');
    }
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exponent - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        } else {
            let int_len = (exponent + 1) as usize;
            if digits.len() <= int_len {
                out.extend_from_slice(&digits);
                out.resize(out.len() + int_len - digits.len(), b'0');
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        write_int(out, exponent);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn f64s(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap_or_default()
    }

    fn f32s(v: f32) -> String {
        let mut out = Vec::new();
        write_f32(&mut out, v);
        String::from_utf8(out).unwrap_or_default()
    }

    fn s(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn doubles_print_as_java_does() {
        for (v, want) in [
            (0.1, "0.1"),
            (1.5, "1.5"),
            (1e20, "1.0E20"),
            (1e10, "1.0E10"),
            (1_234_567_890.123_456_8, "1.2345678901234567E9"),
            (5e-324, "4.9E-324"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1.797_693_134_862_315_7e308, "1.7976931348623157E308"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.000_999, "9.99E-4"),
            (1e-3, "0.001"),
            (123_456.789, "123456.789"),
            (-2.5, "-2.5"),
            (2e-323, "2.0E-323"),
            (1e23, "1.0E23"),
            (1.0, "1.0"),
            (f64::NAN, "\"NaN\""),
            (f64::INFINITY, "\"Infinity\""),
            (f64::NEG_INFINITY, "\"-Infinity\""),
        ] {
            assert_eq!(f64s(v), want, "{v:e}");
        }
    }

    #[test]
    fn floats_print_as_java_does() {
        for (v, want) in [
            (1.5f32, "1.5"),
            (0.1, "0.1"),
            (1e10, "1.0E10"),
            (f32::MAX, "3.4028235E38"),
            (1e-45, "1.4E-45"),
            (-0.0, "-0.0"),
            (123_456.79, "123456.79"),
            (f32::NAN, "\"NaN\""),
        ] {
            assert_eq!(f32s(v), want, "{v:e}");
        }
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
