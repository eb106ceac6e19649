//! Booleans, integers and floating-point numbers: parsing and PostgreSQL's output format.

use std::fmt;
use std::str::FromStr;

use super::error::Reason;

/// `boolin`'s spellings (`boolout` prints `t` and `f`).
pub(crate) fn parse_bool(text: &[u8]) -> Result<bool, Reason> {
    match text {
        b"t" => Ok(true),
        b"f" => Ok(false),
        _ => {
            const TRUE: [&[u8]; 5] = [b"true", b"yes", b"on", b"1", b"y"];
            const FALSE: [&[u8]; 5] = [b"false", b"no", b"off", b"0", b"n"];
            let trimmed = text.trim_ascii();
            if TRUE.iter().any(|t| trimmed.eq_ignore_ascii_case(t)) {
                Ok(true)
            } else if FALSE.iter().any(|t| trimmed.eq_ignore_ascii_case(t)) {
                Ok(false)
            } else {
                Err("not a boolean")
            }
        }
    }
}

/// An integer or float through its [`FromStr`] (which does not allocate).
pub(crate) fn parse_number<T: FromStr>(text: &[u8]) -> Result<T, Reason> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8")?;
    text.parse().map_err(|_| "not a number in range")
}

/// A fixed-size buffer for formatting without allocating.
pub(crate) struct StackBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    /// An empty buffer.
    pub(crate) fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// What was written.
    pub(crate) fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `count` zeros.
pub(crate) fn write_zeros(w: &mut dyn fmt::Write, mut count: usize) -> fmt::Result {
    const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    while count > 0 {
        let n = count.min(ZEROS.len());
        w.write_str(ZEROS.get(..n).unwrap_or_default())?;
        count -= n;
    }
    Ok(())
}

/// Writes a `float8` as `float8out` does with the default `extra_float_digits = 1`: the
/// shortest text that reads back exactly, in exponent form when the decimal exponent is below
/// -4 or at least 15.
pub(crate) fn write_float8(w: &mut dyn fmt::Write, v: f64) -> fmt::Result {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return write_special(w, v);
    }
    let mut sci = StackBuf::<48>::new();
    fmt::Write::write_fmt(&mut sci, format_args!("{v:e}"))?;
    write_shortest(w, sci.as_str(), 15)
}

/// Writes a `float4` as `float4out` does (see [`write_float8`]; the exponent form starts at 6).
pub(crate) fn write_float4(w: &mut dyn fmt::Write, v: f32) -> fmt::Result {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return write_special(w, f64::from(v));
    }
    let mut sci = StackBuf::<48>::new();
    fmt::Write::write_fmt(&mut sci, format_args!("{v:e}"))?;
    write_shortest(w, sci.as_str(), 6)
}

fn write_special(w: &mut dyn fmt::Write, v: f64) -> fmt::Result {
    w.write_str(if v.is_nan() {
        "NaN"
    } else if v == f64::INFINITY {
        "Infinity"
    } else if v == f64::NEG_INFINITY {
        "-Infinity"
    } else if v.is_sign_negative() {
        "-0"
    } else {
        "0"
    })
}

/// Rewrites Rust's shortest exponent form (`-1.25e-7`) in PostgreSQL's layout.
fn write_shortest(w: &mut dyn fmt::Write, sci: &str, exponent_from: i32) -> fmt::Result {
    let (mantissa, exponent) = sci.split_once('e').ok_or(fmt::Error)?;
    let exponent: i32 = exponent.parse().map_err(|_| fmt::Error)?;
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (first, rest) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if negative {
        w.write_char('-')?;
    }
    if exponent < -4 || exponent >= exponent_from {
        w.write_str(first)?;
        if !rest.is_empty() {
            w.write_char('.')?;
            w.write_str(rest)?;
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        return write!(w, "e{sign}{:02}", exponent.unsigned_abs());
    }
    if exponent < 0 {
        w.write_str("0.")?;
        write_zeros(w, exponent.unsigned_abs() as usize - 1)?;
        w.write_str(first)?;
        return w.write_str(rest);
    }
    // 0 <= exponent < exponent_from: `exponent` digits of `rest` belong before the point.
    let before = exponent as usize;
    w.write_str(first)?;
    match (rest.get(..before), rest.get(before..)) {
        (Some(int_part), Some(fraction)) => {
            w.write_str(int_part)?;
            if !fraction.is_empty() {
                w.write_char('.')?;
                w.write_str(fraction)?;
            }
            Ok(())
        }
        _ => {
            w.write_str(rest)?;
            write_zeros(w, before - rest.len())
        }
    }
}

/// A `float4` as a JSON number through its shortest decimal text, so that `1.1` stays `1.1`
/// rather than becoming `1.100000023841858`.
pub(crate) fn float4_to_f64(v: f32) -> f64 {
    if !v.is_finite() {
        return f64::from(v);
    }
    let mut text = StackBuf::<48>::new();
    match fmt::Write::write_fmt(&mut text, format_args!("{v:e}")) {
        Ok(()) => text.as_str().parse().unwrap_or(f64::from(v)),
        Err(_) => f64::from(v),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn f8(v: f64) -> String {
        let mut s = String::new();
        write_float8(&mut s, v).unwrap();
        s
    }

    fn f4(v: f32) -> String {
        let mut s = String::new();
        write_float4(&mut s, v).unwrap();
        s
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool(b"t"), Ok(true));
        assert_eq!(parse_bool(b"f"), Ok(false));
        assert_eq!(parse_bool(b" TRUE "), Ok(true));
        assert_eq!(parse_bool(b"off"), Ok(false));
        assert!(parse_bool(b"maybe").is_err());
        assert!(parse_bool(b"").is_err());
    }

    #[test]
    fn integers_at_their_limits() {
        assert_eq!(parse_number::<i16>(b"-32768"), Ok(i16::MIN));
        assert_eq!(parse_number::<i16>(b"32767"), Ok(i16::MAX));
        assert!(parse_number::<i16>(b"32768").is_err());
        assert_eq!(parse_number::<i64>(b"-9223372036854775808"), Ok(i64::MIN));
        assert!(parse_number::<i64>(b"9223372036854775808").is_err());
        assert_eq!(parse_number::<u32>(b"4294967295"), Ok(u32::MAX));
        assert!(parse_number::<i32>(b"").is_err());
        assert!(parse_number::<i32>(b"1 ").is_err());
        assert!(parse_number::<i32>(b"\xff").is_err());
    }

    #[test]
    fn float8_output_matches_float8out() {
        for (v, text) in [
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (123456789012345.0, "123456789012345"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e100, "1e+100"),
            (1.5, "1.5"),
            (-2.5e-300, "-2.5e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (0.1 + 0.2, "0.30000000000000004"),
            (120.0, "120"),
        ] {
            assert_eq!(f8(v), text);
            if !v.is_nan() {
                assert_eq!(
                    parse_number::<f64>(text.as_bytes()).unwrap().to_bits(),
                    v.to_bits()
                );
            }
        }
    }

    #[test]
    fn float4_output_matches_float4out() {
        for (v, text) in [
            (1e6f32, "1e+06"),
            (123456.0, "123456"),
            (1.5e-7, "1.5e-07"),
            (1.1, "1.1"),
            (f32::MAX, "3.4028235e+38"),
            (-0.0, "-0"),
            (f32::NAN, "NaN"),
        ] {
            assert_eq!(f4(v), text);
        }
        assert_eq!(float4_to_f64(1.1), 1.1);
    }
}
