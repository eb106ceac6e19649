//! The text of a key in the `__debezium.newkey` / `__debezium.oldkey` headers of a primary-key
//! change: Kafka Connect's `SimpleHeaderConverter` prints the key struct with
//! `Values.convertToString`, which is not JSON. Strings are quoted with only `\` and `"`
//! escaped, numbers print as Java does (`NaN` and `Infinity` bare, a `Decimal` as
//! `BigDecimal.toString()`), bytes as quoted base64, and Connect's own `Date`, `Time` and
//! `Timestamp` values (`time.precision.mode=connect`) as unquoted ISO 8601 text.

use crate::change::value::{USECS_PER_DAY, civil_from_days};
use crate::change::{Datum, Row};

use super::defaults::fallback_json;
use super::table::PlannedColumn;
use super::types::Conv;
use super::values::{Mismatch, write_value};

const MILLIS_PER_DAY: i64 = USECS_PER_DAY / 1000;

/// Appends the header text of the key of `row`.
pub fn write_key_header(
    out: &mut Vec<u8>,
    key: &[PlannedColumn],
    row: &Row,
    connect_time: bool,
) -> Result<(), Mismatch> {
    out.push(b'{');
    for (n, column) in key.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_quoted(out, &column.name);
        out.push(b':');
        let mut json = Vec::new();
        match row.values.get(column.index) {
            Some(Datum::Value(value)) => write_value(&mut json, &column.conv, value)?,
            _ => match column.default.clone().or_else(|| {
                (!column.optional)
                    .then(|| fallback_json(&column.conv))
                    .flatten()
            }) {
                Some(json_value) => json.extend_from_slice(&json_value),
                None => json.extend_from_slice(b"null"),
            },
        }
        write_header_value(out, &column.conv, &json, connect_time);
    }
    out.push(b'}');
    Ok(())
}

/// Appends the header text of one value, given the JSON the converter writes for it.
fn write_header_value(out: &mut Vec<u8>, conv: &Conv, json: &[u8], connect_time: bool) {
    if json == b"null" {
        out.extend_from_slice(json);
        return;
    }
    let as_string = || serde_json::from_slice::<String>(json).ok();
    match conv {
        // Numbers: Java prints NaN and the infinities bare.
        Conv::Float32(_) | Conv::Float64(_) | Conv::DecimalDouble(_) => match as_string() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => out.extend_from_slice(json),
        },
        Conv::Decimal { scale } => {
            // The JSON is the base64 of the unscaled value; print it as BigDecimal does.
            match decimal_text(json, *scale) {
                Some(text) => out.extend_from_slice(text.as_bytes()),
                None => out.extend_from_slice(json),
            }
        }
        Conv::Date
        | Conv::DateFixed
        | Conv::MilliTime
        | Conv::MilliTimestamp
        | Conv::MilliTimestampFixed
            if connect_time =>
        {
            let number = std::str::from_utf8(json)
                .ok()
                .and_then(|t| t.parse::<i64>().ok());
            match number {
                Some(n) => {
                    let millis = if matches!(conv, Conv::Date | Conv::DateFixed) {
                        n.saturating_mul(MILLIS_PER_DAY)
                    } else {
                        n
                    };
                    out.extend_from_slice(java_date_text(millis).as_bytes());
                }
                None => out.extend_from_slice(json),
            }
        }
        _ => match json.first() {
            Some(b'"') => match as_string() {
                Some(text) => write_quoted(out, &text),
                None => out.extend_from_slice(json),
            },
            _ => out.extend_from_slice(json),
        },
    }
}

/// A string as `Values` embeds it: quoted, with `\` and `"` escaped and nothing else.
fn write_quoted(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        if matches!(c, '\\' | '"') {
            out.push(b'\\');
        }
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out.push(b'"');
}

/// `BigDecimal.toString()` of a Connect `Decimal` written as base64 JSON (`"EtaH"`).
fn decimal_text(json: &[u8], scale: u16) -> Option<String> {
    use base64::Engine as _;
    let encoded: String = serde_json::from_slice(json).ok()?;
    let bytes = base64::prelude::BASE64_STANDARD.decode(encoded).ok()?;
    let (negative, digits) = twos_complement_decimal(&bytes)?;
    Some(big_decimal_string(negative, &digits, i32::from(scale)))
}

/// The sign and decimal digits (no leading zeros, `"0"` for zero) of a big-endian two's
/// complement integer of any length (a `numeric(5,-2)` value has over 800 bytes at the scale
/// Debezium reads); `None` for no bytes.
fn twos_complement_decimal(bytes: &[u8]) -> Option<(bool, String)> {
    let negative = bytes.first()? & 0x80 != 0;
    let mut magnitude = bytes.to_vec();
    if negative {
        // Invert and add one, from the last byte.
        let mut carry = true;
        for byte in magnitude.iter_mut().rev() {
            let (sum, overflow) = (!*byte).overflowing_add(u8::from(carry));
            *byte = sum;
            carry = overflow;
        }
    }
    // Repeated division by 10^9 of the big-endian magnitude.
    let mut chunks = Vec::new();
    let mut rest: Vec<u32> = magnitude.iter().map(|&b| u32::from(b)).collect();
    while rest.iter().any(|&b| b != 0) {
        let mut remainder = 0u64;
        for byte in &mut rest {
            let value = (remainder << 8) | u64::from(*byte);
            *byte = (value / 1_000_000_000) as u32;
            remainder = value % 1_000_000_000;
        }
        chunks.push(remainder);
        let zeros = rest.iter().take_while(|&&b| b == 0).count();
        rest.drain(..zeros);
    }
    let mut digits = chunks
        .pop()
        .map_or_else(|| "0".to_owned(), |c| c.to_string());
    for chunk in chunks.iter().rev() {
        digits.push_str(&format!("{chunk:09}"));
    }
    Some((negative && digits != "0", digits))
}

/// Java's `BigDecimal.toString()` of `±digits × 10^-scale` (`digits` without leading zeros):
/// plain digits, or scientific notation when the scale is negative or the adjusted exponent is
/// below -6.
pub fn big_decimal_string(negative: bool, digits: &str, scale: i32) -> String {
    let sign = if negative { "-" } else { "" };
    let adjusted = digits.len() as i64 - 1 - i64::from(scale);
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            return format!("{sign}{int}.{frac}");
        }
        return format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()));
    }
    let (first, rest) = digits.split_at(1);
    let mut text = format!("{sign}{first}");
    if !rest.is_empty() {
        text.push('.');
        text.push_str(rest);
    }
    text.push('E');
    if adjusted >= 0 {
        text.push('+');
    }
    text.push_str(&adjusted.to_string());
    text
}

/// How `Values` prints a `java.util.Date` (in UTC): the time of day when it is before
/// 1970-01-02, the date when it is a whole day, else both.
pub fn java_date_text(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    );
    if millis < MILLIS_PER_DAY {
        return time;
    }
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    if of_day == 0 {
        date
    } else {
        format!("{date}T{time}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::debezium::java_float::FloatText;

    #[test]
    fn big_decimals_as_java_prints_them() {
        let text = |unscaled: i64, scale| {
            let digits = unscaled.unsigned_abs().to_string();
            big_decimal_string(unscaled < 0, &digits, scale)
        };
        assert_eq!(text(1_234_567, 2), "12345.67");
        assert_eq!(text(-1, 2), "-0.01");
        assert_eq!(text(0, 2), "0.00");
        assert_eq!(text(1, 10), "1E-10");
        assert_eq!(text(123, 9), "1.23E-7");
        assert_eq!(text(1, 7), "1E-7");
        assert_eq!(text(1, 6), "0.000001");
        assert_eq!(text(5, 0), "5");
        assert_eq!(text(5, -3), "5E+3");
        // Two's complement bytes of any length, as the converter writes a Decimal.
        let decimal = |bytes: &[u8]| twos_complement_decimal(bytes).unwrap();
        assert_eq!(decimal(&[0x00]), (false, "0".to_owned()));
        assert_eq!(decimal(&[0xff]), (true, "1".to_owned()));
        assert_eq!(decimal(&[0x80]), (true, "128".to_owned()));
        assert_eq!(decimal(&[0x00, 0xff]), (false, "255".to_owned()));
        assert_eq!(decimal(&[0xff, 0x01]), (true, "255".to_owned()));
        let big = [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decimal(&big),
            (false, "340282366920938463463374607431768211456".to_owned())
        );
        // numeric(5,-2) 12300 at the scale Debezium reads, 2046.
        let json = |bytes: &[u8]| {
            use base64::Engine as _;
            format!("\"{}\"", base64::prelude::BASE64_STANDARD.encode(bytes))
        };
        let unscaled = crate::debezium::values::decimal_bytes(
            &crate::change::value::Numeric::parse(&bytes::Bytes::from_static(b"-12300")).unwrap(),
            2046,
        )
        .unwrap();
        assert_eq!(
            decimal_text(json(&unscaled).as_bytes(), 2046).unwrap(),
            format!("-12300.{}", "0".repeat(2046))
        );
    }

    #[test]
    fn dates_as_values_prints_them() {
        // From Debezium's headers with time.precision.mode=connect (columns-include.jsonl).
        assert_eq!(java_date_text(0), "00:00:00.000Z");
        assert_eq!(java_date_text(19_782 * MILLIS_PER_DAY), "2024-02-29");
        assert_eq!(
            java_date_text(1_704_164_645_123),
            "2024-01-02T03:04:05.123Z"
        );
        assert_eq!(java_date_text(47_655_250), "13:14:15.250Z");
        assert_eq!(java_date_text(-735_160 * MILLIS_PER_DAY), "00:00:00.000Z");
    }

    #[test]
    fn strings_escape_only_quotes_and_backslashes() {
        let mut out = Vec::new();
        write_header_value(&mut out, &Conv::Text, br#""k\"e\\y\t\uD83D\uDE00""#, false);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "\"k\\\"e\\\\y\t😀\""
        );
        let mut out = Vec::new();
        write_header_value(
            &mut out,
            &Conv::Float64(FloatText::Java17),
            br#""NaN""#,
            false,
        );
        assert_eq!(out, b"NaN");
    }
}
