//! Column values as Debezium writes them: a [`Value`] through its column's [`Conv`].

use std::fmt::Write as _;

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE;

use crate::change::value::{
    Array, BitString, Hstore, Interval, Money, Numeric, PG_EPOCH_DAYS, USECS_PER_DAY, Value,
    civil_from_days,
};

use super::config::BinaryMode;
use super::java_float::{write_f32, write_f64};
use super::javamap::hash_map_order;
use super::json::{write_base64, write_int, write_str, write_str_keeping_astral};
use super::julian;
use super::snapshot::write_snapshot_value;
use super::types::{ArrayElements, Conv};

/// A value whose variant does not fit its column's conversion.
#[derive(Debug, thiserror::Error)]
#[error("a {value} value for a column converted as {conv}")]
pub struct Mismatch {
    /// The value's kind.
    pub value: String,
    /// The conversion.
    pub conv: String,
}

fn mismatch(conv: &Conv, value: &Value) -> Mismatch {
    let value = format!("{value:?}");
    let value = value.split(['(', ' ', '{']).next().unwrap_or("").to_owned();
    Mismatch {
        value,
        conv: format!("{conv:?}"),
    }
}

/// `PGStatement.DATE_POSITIVE_INFINITY` of the JDBC driver, which Debezium writes for
/// `timestamp 'infinity'` (in µs; divided by 1000 for the millisecond types).
const TIMESTAMP_INFINITY: i64 = 9_223_372_036_825_200_000;
/// `PGStatement.DATE_NEGATIVE_INFINITY`.
const TIMESTAMP_NEG_INFINITY: i64 = -9_223_372_036_832_400_000;
/// ms in a day.
const MILLIS_PER_DAY: i64 = 86_400_000;
/// µs in one month of a `MicroDuration`: 30.4375 days.
const MICROS_PER_MONTH: i64 = 2_629_800_000_000;

/// Appends the JSON of `value` converted by `conv`.
pub fn write_value(out: &mut Vec<u8>, conv: &Conv, value: &Value) -> Result<(), Mismatch> {
    match (conv, value) {
        (Conv::Bool, Value::Bool(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Conv::Bool, Value::Bit(bits) | Value::Varbit(bits)) => {
            let set = bits.get(0).unwrap_or(false);
            out.extend_from_slice(if set { b"true" } else { b"false" });
        }
        (Conv::Int16 | Conv::Int32 | Conv::Int64, v) => match integer(v) {
            Some(i) => write_int(out, i),
            None => return Err(mismatch(conv, v)),
        },
        (Conv::Float32(text), Value::Float4(f)) => write_f32(out, *f, *text),
        (Conv::Float64(text), Value::Float8(f)) => write_f64(out, *f, *text),
        (Conv::Float64(text), Value::Float4(f)) => write_f64(out, f64::from(*f), *text),
        (Conv::AlwaysNull, _) => out.extend_from_slice(b"null"),
        (Conv::Text, Value::Text(t) | Value::Json(t) | Value::Jsonb(t)) => {
            write_str(out, t.as_str())
        }
        (Conv::Text, Value::Unknown { text, .. }) => {
            write_str(out, &String::from_utf8_lossy(text));
        }
        (Conv::Text, v) => write_str(out, &v.to_string()),
        (Conv::Binary(mode), Value::Bytea(b)) => write_binary(out, *mode, b),
        (Conv::Decimal { scale }, Value::Numeric(n)) => match decimal_bytes(n, *scale) {
            Some(bytes) => write_base64(out, &bytes),
            None => out.extend_from_slice(b"null"),
        },
        (Conv::Decimal { scale }, Value::Money(m)) => {
            let n = money_numeric(m);
            match decimal_bytes(&n, *scale) {
                Some(bytes) => write_base64(out, &bytes),
                None => out.extend_from_slice(b"null"),
            }
        }
        (Conv::VariableScaleDecimal, Value::Numeric(n)) => write_variable_scale(out, n),
        (Conv::DecimalString { scale }, Value::Numeric(n)) => match n {
            Numeric::NaN => write_str(out, "NAN"),
            Numeric::Infinity => write_str(out, "POSITIVE_INFINITY"),
            Numeric::NegInfinity => write_str(out, "NEGATIVE_INFINITY"),
            n => write_str(out, &decimal_string(n, *scale)),
        },
        (Conv::DecimalString { scale }, Value::Money(m)) => {
            write_str(out, &decimal_string(&money_numeric(m), *scale));
        }
        (Conv::DecimalDouble(text), Value::Numeric(n)) => write_f64(out, numeric_f64(n), *text),
        (Conv::DecimalDouble(text), Value::Money(m)) => {
            write_f64(out, numeric_f64(&money_numeric(m)), *text);
        }
        (Conv::Date, Value::Date(d)) => {
            // Debezium adds the 2000-01-01 offset to PostgreSQL's raw infinities as an int.
            write_int(out, d.days().unwrap_or(d.0.wrapping_add(PG_EPOCH_DAYS)));
        }
        (Conv::DateFixed, Value::Date(d)) => write_int(
            out,
            d.days()
                .unwrap_or(if d.0 > 0 { i32::MAX } else { i32::MIN }),
        ),
        (Conv::MicroTime, Value::Time(t)) => write_int(out, t.0),
        (Conv::MilliTime, Value::Time(t)) => write_int(out, t.0.div_euclid(1000)),
        (Conv::ZonedTime, Value::TimeTz(t)) => {
            let utc =
                (t.micros - i64::from(t.offset_seconds) * 1_000_000).rem_euclid(USECS_PER_DAY);
            let mut text = String::with_capacity(16);
            write_clock(&mut text, utc, None);
            text.push('Z');
            write_str(out, &text);
        }
        (Conv::MicroTimestamp, Value::Timestamp(ts)) => write_int(
            out,
            ts.unix_micros()
                .map_or(debezium_timestamp_infinity(ts.0 > 0), debezium_micros),
        ),
        (Conv::MilliTimestamp, Value::Timestamp(ts)) => write_int(
            out,
            ts.unix_micros()
                .map_or(debezium_timestamp_infinity(ts.0 > 0) / 1000, millis),
        ),
        (Conv::MicroTimestampFixed, Value::Timestamp(ts)) => write_int(
            out,
            ts.unix_micros().map_or(i64_limit(ts.0 > 0), clamp_finite),
        ),
        (Conv::MilliTimestampFixed, Value::Timestamp(ts)) => {
            write_int(out, ts.unix_micros().map_or(i64_limit(ts.0 > 0), millis))
        }
        (Conv::ZonedTimestamp { precision }, Value::Timestamptz(ts)) => {
            match ts.unix_days_and_clock() {
                Some((days, clock)) => {
                    write_str(
                        out,
                        &zoned_timestamp(civil_from_days(days), clock, *precision),
                    );
                }
                None if ts.0 > 0 => write_str(out, "infinity"),
                None => write_str(out, "-infinity"),
            }
        }
        (Conv::MicroDuration, Value::Interval(iv)) => write_int(out, micro_duration(iv)),
        (Conv::IntervalString, Value::Interval(iv)) => write_str(out, &interval_string(iv)),
        (Conv::Point(text), Value::Point(p)) => {
            out.extend_from_slice(b"{\"x\":");
            write_f64(out, p.x, *text);
            out.extend_from_slice(b",\"y\":");
            write_f64(out, p.y, *text);
            out.extend_from_slice(b",\"wkb\":");
            let mut wkb = Vec::with_capacity(21);
            wkb.extend_from_slice(&[1, 1, 0, 0, 0]);
            wkb.extend_from_slice(&p.x.to_le_bytes());
            wkb.extend_from_slice(&p.y.to_le_bytes());
            write_base64(out, &wkb);
            out.extend_from_slice(b",\"srid\":null}");
        }
        (Conv::HstoreJson, Value::Hstore(h)) => {
            let mut json = Vec::new();
            // Debezium makes the JSON text with Jackson's ObjectMapper, which leaves characters
            // outside the BMP unescaped; JsonConverter then escapes them in the string.
            write_hstore_object(&mut json, h, write_str_keeping_astral);
            write_str(out, &String::from_utf8_lossy(&json));
        }
        (Conv::HstoreMap, Value::Hstore(h)) => write_hstore_object(out, h, write_str),
        (Conv::Bits, Value::Bit(bits) | Value::Varbit(bits)) => {
            write_base64(out, &bits_little_endian(bits));
        }
        (Conv::Array(inner, elements), Value::Array(array)) => {
            if *elements != ArrayElements::Exact && debezium_nulls_array(*elements, array) {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            out.push(b'[');
            for (i, element) in array.elements.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match element {
                    Some(v) if *elements == ArrayElements::Exact => write_value(out, inner, v)?,
                    Some(v) => write_debezium_element(out, inner, v)?,
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.push(b']');
        }
        (Conv::UnknownBytes, Value::Unknown { text, .. }) => write_base64(out, text),
        (Conv::UnknownBytes, v) => write_base64(out, v.to_string().as_bytes()),
        (conv, v) => return Err(mismatch(conv, v)),
    }
    Ok(())
}

/// A finite numeric's text, with zeros appended up to `scale` decimals when it has fewer.
fn decimal_string(n: &Numeric, scale: Option<u16>) -> String {
    let mut text = n.to_string();
    let own = n.scale().unwrap_or(0);
    if let Some(missing) = scale
        .and_then(|scale| scale.checked_sub(own))
        .filter(|&m| m > 0)
    {
        if own == 0 {
            text.push('.');
        }
        text.extend(std::iter::repeat_n('0', usize::from(missing)));
    }
    text
}

/// Whether Debezium's JDBC array path fails on `array` and writes null for the whole column:
/// a NULL element of an enum array, a NaN or infinite `numeric` element.
fn debezium_nulls_array(elements: ArrayElements, array: &Array) -> bool {
    array.elements.iter().any(|element| match element {
        None => elements == ArrayElements::DebeziumEnum,
        Some(Value::Numeric(n)) => {
            matches!(n, Numeric::NaN | Numeric::Infinity | Numeric::NegInfinity)
        }
        Some(_) => false,
    })
}

/// An array element as Debezium's JDBC array path converts it: dates as its snapshot does,
/// timestamps read in Java's calendar (Julian before 1582-10-15, see [`julian`]), times cut to
/// milliseconds within the day; anything else as a single value.
fn write_debezium_element(out: &mut Vec<u8>, conv: &Conv, value: &Value) -> Result<(), Mismatch> {
    match (conv, value) {
        (Conv::Date, Value::Date(_)) if write_snapshot_value(out, conv, value) => {}
        (Conv::MicroTimestamp | Conv::MilliTimestamp, Value::Timestamp(ts)) => {
            match ts.unix_micros().map(julian::driver_timestamp_micros) {
                Some(us) if *conv == Conv::MicroTimestamp => write_int(out, debezium_micros(us)),
                Some(us) => write_int(out, millis(us)),
                None => write_value(out, conv, value)?,
            }
        }
        (Conv::ZonedTimestamp { precision }, Value::Timestamptz(ts)) => {
            match ts.unix_days_and_clock() {
                Some((days, clock)) => {
                    let date = julian::driver_timestamp_date(days);
                    write_str(out, &zoned_timestamp(date, clock, *precision));
                }
                None => write_value(out, conv, value)?,
            }
        }
        (Conv::MicroTime, Value::Time(t)) => {
            write_int(out, t.0.div_euclid(1000).rem_euclid(MILLIS_PER_DAY) * 1000);
        }
        (Conv::MilliTime, Value::Time(t)) => {
            write_int(out, t.0.div_euclid(1000).rem_euclid(MILLIS_PER_DAY));
        }
        _ => write_value(out, conv, value)?,
    }
    Ok(())
}

/// µs since the epoch as Debezium computes them (`Conversions.toEpochMicros`): the seconds
/// times 1,000,000, saturating at the `long` range as Java's `TimeUnit.SECONDS.toMicros` does,
/// plus the microsecond of the second, wrapping. Exact up to 294247-01-10T04:00:54.775807; the
/// last 30 years of PostgreSQL's range come out near `i64::MIN`.
fn debezium_micros(unix_micros: i128) -> i64 {
    let seconds = unix_micros.div_euclid(1_000_000);
    let micro_of_second = unix_micros.rem_euclid(1_000_000) as i64;
    let seconds_micros = i64::try_from(seconds.saturating_mul(1_000_000))
        .unwrap_or(if seconds > 0 { i64::MAX } else { i64::MIN });
    seconds_micros.wrapping_add(micro_of_second)
}

/// ms since the epoch (rounded down), which always fit an `i64`.
fn millis(unix_micros: i128) -> i64 {
    clamp_finite(unix_micros.div_euclid(1000))
}

/// The value itself when it fits an `i64` short of the infinities' `i64::MAX` / `i64::MIN`, else
/// the nearest finite value (µs after 294247-01-10T04:00:54.775806, with
/// `pgcdc.debezium.bugs=fix`).
fn clamp_finite(value: i128) -> i64 {
    value.clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX - 1)) as i64
}

/// The µs Debezium writes for `timestamp` ±infinity: the JDBC driver's constants.
fn debezium_timestamp_infinity(positive: bool) -> i64 {
    if positive {
        TIMESTAMP_INFINITY
    } else {
        TIMESTAMP_NEG_INFINITY
    }
}

/// `i64::MAX` for +infinity, `i64::MIN` for -infinity (`pgcdc.debezium.bugs=fix`).
fn i64_limit(positive: bool) -> i64 {
    if positive { i64::MAX } else { i64::MIN }
}

/// Appends what Debezium writes for an unchanged TOASTed value: the placeholder as a string, as
/// bytes (base64) for `bytea` in `bytes` mode, null for `bytea` in the string modes, and the
/// placeholder's bytes as integers for an array.
pub fn write_unavailable(out: &mut Vec<u8>, conv: &Conv, placeholder: &str) {
    match conv {
        Conv::Binary(BinaryMode::Bytes) => write_base64(out, placeholder.as_bytes()),
        Conv::Binary(_) => out.extend_from_slice(b"null"),
        Conv::Array(..) => {
            out.push(b'[');
            for (i, b) in placeholder.bytes().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_int(out, b);
            }
            out.push(b']');
        }
        _ => write_str(out, placeholder),
    }
}

fn integer(value: &Value) -> Option<i64> {
    Some(match value {
        Value::Int2(v) => i64::from(*v),
        Value::Int4(v) => i64::from(*v),
        Value::Int8(v) => *v,
        Value::Oid(v) | Value::Xid(v) | Value::Cid(v) => i64::from(*v),
        _ => return None,
    })
}

/// Appends binary data as `binary.handling.mode` writes it.
pub fn write_binary(out: &mut Vec<u8>, mode: BinaryMode, bytes: &[u8]) {
    match mode {
        BinaryMode::Bytes | BinaryMode::Base64 => write_base64(out, bytes),
        BinaryMode::Base64UrlSafe => write_str(out, &BASE64_URL_SAFE.encode(bytes)),
        BinaryMode::Hex => {
            let mut hex = String::with_capacity(bytes.len() * 2);
            for b in bytes {
                let _ = write!(hex, "{b:02x}");
            }
            write_str(out, &hex);
        }
    }
}

/// A `money` amount as the numeric it stands for.
fn money_numeric(money: &Money) -> Numeric {
    Numeric::Decimal {
        unscaled: i128::from(money.minor_units),
        scale: u16::from(money.frac_digits),
    }
}

fn numeric_f64(n: &Numeric) -> f64 {
    match n {
        Numeric::NaN => f64::NAN,
        Numeric::Infinity => f64::INFINITY,
        Numeric::NegInfinity => f64::NEG_INFINITY,
        n => n.to_string().parse().unwrap_or(f64::NAN),
    }
}

/// The sign and decimal digits of a finite numeric's unscaled value, with its scale.
fn sign_digits(n: &Numeric) -> Option<(bool, Vec<u8>, u16)> {
    let digits = n.unscaled_digits()?;
    Some((n.is_negative(), digits.into_bytes(), n.scale()?))
}

/// The unscaled value at `scale` as Java's `BigInteger.toByteArray`: minimal two's complement,
/// big-endian. `None` for NaN and the infinities (Debezium writes null).
pub fn decimal_bytes(n: &Numeric, scale: u16) -> Option<Vec<u8>> {
    if let Numeric::Decimal {
        unscaled,
        scale: own,
    } = n
    {
        if *own <= scale {
            if let Some(v) = 10i128
                .checked_pow(u32::from(scale - own))
                .and_then(|f| unscaled.checked_mul(f))
            {
                return Some(twos_complement_i128(v));
            }
        }
    }
    let (negative, mut digits, own) = sign_digits(n)?;
    if own <= scale {
        digits.resize(digits.len() + usize::from(scale - own), b'0');
    } else {
        digits.truncate(digits.len().saturating_sub(usize::from(own - scale)).max(1));
    }
    Some(twos_complement_digits(negative, &digits))
}

fn twos_complement_i128(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// Minimal two's complement big-endian bytes of `±digits` (decimal ASCII digits).
fn twos_complement_digits(negative: bool, digits: &[u8]) -> Vec<u8> {
    // Little-endian base-256 magnitude.
    let mut mag: Vec<u8> = vec![0];
    for d in digits {
        let mut carry = u32::from(d - b'0');
        for byte in &mut mag {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    mag.push(0); // room for the sign bit
    if negative {
        let mut carry = 1u16;
        for byte in &mut mag {
            let v = u16::from(!*byte) + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
    }
    mag.reverse();
    let mut start = 0;
    while start + 1 < mag.len() {
        let (b, next) = (mag[start], mag[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    mag[start..].to_vec()
}

/// `{"scale":s,"value":"<base64>"}` with trailing zeros stripped and the scale never below 0;
/// null for NaN and the infinities.
fn write_variable_scale(out: &mut Vec<u8>, n: &Numeric) {
    let Some((negative, mut digits, mut scale)) = sign_digits(n) else {
        out.extend_from_slice(b"null");
        return;
    };
    while scale > 0 && digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
        scale -= 1;
    }
    if digits.iter().all(|d| *d == b'0') {
        digits = vec![b'0'];
        scale = 0;
    }
    out.extend_from_slice(b"{\"scale\":");
    write_int(out, scale);
    out.extend_from_slice(b",\"value\":");
    write_base64(out, &twos_complement_digits(negative, &digits));
    out.push(b'}');
}

/// `HH:MM:SS` and, when `pad` is `None`, the fraction only when non-zero and without trailing
/// zeros; with `Some(p)`, exactly `p` fraction digits.
fn write_clock(out: &mut String, micros: i64, pad: Option<u8>) {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    push_padded(out, secs / 3600, 2);
    out.push(':');
    push_padded(out, secs / 60 % 60, 2);
    out.push(':');
    push_padded(out, secs % 60, 2);
    match pad {
        Some(0) => {}
        Some(p) => {
            let p = u32::from(p.min(6));
            out.push('.');
            push_padded(out, frac / 10_i64.pow(6 - p), p as usize);
        }
        None if frac == 0 => {}
        None => {
            let (mut digits, mut width) = (frac, 6);
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            out.push('.');
            push_padded(out, digits, width);
        }
    }
}

/// `value` (not negative) in decimal, with leading zeros up to `width` digits.
fn push_padded(out: &mut String, value: i64, width: usize) {
    let mut digits = itoa::Buffer::new();
    let text = digits.format(value.unsigned_abs());
    for _ in text.len()..width {
        out.push('0');
    }
    out.push_str(text);
}

/// ISO 8601 in UTC with `Z`, the fraction padded to `precision` digits, the year as Java's
/// `DateTimeFormatter` prints it (`+` above 9999, at least four digits).
fn zoned_timestamp((year, month, day): (i64, u32, u32), clock: i64, precision: u8) -> String {
    let mut text = String::with_capacity(32);
    if year > 9999 {
        text.push('+');
    } else if year < 0 {
        text.push('-');
    }
    push_padded(&mut text, year, 4);
    text.push('-');
    push_padded(&mut text, i64::from(month), 2);
    text.push('-');
    push_padded(&mut text, i64::from(day), 2);
    text.push('T');
    write_clock(&mut text, clock, Some(precision));
    text.push('Z');
    text
}

fn micro_duration(iv: &Interval) -> i64 {
    i64::from(iv.months)
        .saturating_mul(MICROS_PER_MONTH)
        .saturating_add(i64::from(iv.days).saturating_mul(USECS_PER_DAY))
        .saturating_add(iv.micros)
}

/// A bit string as `java.util.BitSet.toByteArray` of its bits with the last bit as bit 0:
/// little-endian, trailing zero bytes dropped.
fn bits_little_endian(bits: &BitString) -> Vec<u8> {
    let mut out = vec![0u8; bits.len.div_ceil(8)];
    for (i, set) in bits.iter().enumerate() {
        if set {
            let bit = bits.len - 1 - i;
            out[bit / 8] |= 1 << (bit % 8);
        }
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// `interval.handling.mode=string`: Debezium's `P<y>Y<m>M<d>DT<h>H<m>M<s>S` with every part
/// written (`P0Y0M1DT2H0M0S`), months over 12 as years, the seconds' fraction without trailing
/// zeros (`P0Y1M-1DT0H0M0.000001S`).
fn interval_string(iv: &Interval) -> String {
    if !iv.is_finite() {
        return iv.to_iso8601();
    }
    const MINUTE: i64 = 60_000_000;
    let hours = iv.micros / (60 * MINUTE);
    let minutes = iv.micros % (60 * MINUTE) / MINUTE;
    let seconds = iv.micros % MINUTE;
    let mut text = format!(
        "P{}Y{}M{}DT{hours}H{minutes}M{}{}",
        iv.months / 12,
        iv.months % 12,
        iv.days,
        if seconds < 0 { "-" } else { "" },
        seconds.unsigned_abs() / 1_000_000
    );
    let fraction = seconds.unsigned_abs() % 1_000_000;
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push('S');
    text
}

/// An hstore as the JSON object Jackson writes for a `java.util.HashMap` filled in
/// PostgreSQL's order: entries in the map's bucket order.
fn write_hstore_object(out: &mut Vec<u8>, h: &Hstore, write_str: fn(&mut Vec<u8>, &str)) {
    let order = hash_map_order(h.0.iter().map(|(k, _)| k.as_str()));
    out.push(b'{');
    for (n, i) in order.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let (k, v) = &h.0[i];
        write_str(out, k.as_str());
        out.push(b':');
        match v {
            Some(v) => write_str(out, v.as_str()),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use bytes::Bytes;

    use super::*;
    use crate::change::value::{Date, Time, TimeTz, Timestamp};
    use crate::debezium::java_float::FloatText;

    fn json(conv: &Conv, value: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, conv, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn numeric(text: &str) -> Value {
        Value::Numeric(Numeric::parse(&Bytes::copy_from_slice(text.as_bytes())).unwrap())
    }

    #[test]
    fn decimals_as_in_the_golden_files() {
        let fixed = |scale| Conv::Decimal { scale };
        assert_eq!(json(&fixed(2), &numeric("12345.67")), "\"EtaH\"");
        assert_eq!(json(&fixed(2), &numeric("-0.01")), "\"/w==\"");
        assert_eq!(json(&fixed(2), &numeric("0.00")), "\"AA==\"");
        assert_eq!(json(&fixed(2), &numeric("1.50")), "\"AJY=\"");
        assert_eq!(json(&fixed(2), &numeric("NaN")), "null");
        assert_eq!(
            json(
                &fixed(0),
                &numeric("99999999999999999999999999999999999999")
            ),
            json(
                &fixed(0),
                &numeric("99999999999999999999999999999999999999.0")
            )
        );
        let v = Conv::VariableScaleDecimal;
        assert_eq!(json(&v, &numeric("1.5")), r#"{"scale":1,"value":"Dw=="}"#);
        assert_eq!(json(&v, &numeric("2.50")), r#"{"scale":1,"value":"GQ=="}"#);
        assert_eq!(
            json(&v, &numeric("0.0100")),
            r#"{"scale":2,"value":"AQ=="}"#
        );
        assert_eq!(json(&v, &numeric("100.0")), r#"{"scale":0,"value":"ZA=="}"#);
        assert_eq!(json(&v, &numeric("-0.0")), r#"{"scale":0,"value":"AA=="}"#);
        assert_eq!(json(&v, &numeric("Infinity")), "null");
        let money = Value::Money(Money {
            minor_units: 1234,
            frac_digits: 2,
        });
        assert_eq!(json(&fixed(2), &money), "\"BNI=\"");
        let string = |scale| Conv::DecimalString { scale };
        assert_eq!(json(&string(None), &numeric("NaN")), "\"NAN\"");
        assert_eq!(json(&string(None), &numeric("2.50")), "\"2.50\"");
        assert_eq!(json(&string(Some(2)), &numeric("-12.5")), "\"-12.50\"");
        assert_eq!(json(&string(Some(2)), &numeric("-12.555")), "\"-12.555\"");
        assert_eq!(json(&string(Some(3)), &numeric("7")), "\"7.000\"");
        assert_eq!(json(&string(Some(3)), &numeric("NaN")), "\"NAN\"");
        // numeric(5,-2) as Debezium reads its scale: 2046 decimals.
        let padded = json(&string(Some(2046)), &numeric("-12300"));
        assert_eq!(padded, format!("\"-12300.{}\"", "0".repeat(2046)));
        assert_eq!(json(&string(Some(2)), &money), "\"12.34\"");
    }

    #[test]
    fn big_numbers_match_i128_path() {
        for text in [
            "-123456789012345678901234567890.123456789",
            "1",
            "-1",
            "255",
            "-128",
            "-129",
        ] {
            let n = numeric(text);
            let Value::Numeric(n) = n else { unreachable!() };
            let (neg, digits, _) = sign_digits(&n).unwrap();
            assert_eq!(
                twos_complement_digits(neg, &digits),
                twos_complement_i128(n.unscaled().unwrap()),
                "{text}"
            );
        }
    }

    fn array(elements: Vec<Option<Value>>) -> Value {
        let len = elements.len();
        Value::Array(Box::new(Array {
            element_oid: 0,
            delimiter: b',',
            dims: vec![crate::change::value::ArrayDim {
                len,
                lower_bound: 1,
            }],
            elements,
        }))
    }

    #[test]
    fn arrays_through_debeziums_jdbc_path_or_exact() {
        let both = |inner: Conv, enum_elements: bool, value: &Value| {
            let reproduce = if enum_elements {
                ArrayElements::DebeziumEnum
            } else {
                ArrayElements::Debezium
            };
            [reproduce, ArrayElements::Exact]
                .map(|elements| json(&Conv::Array(Box::new(inner.clone()), elements), value))
        };
        let red = || Some(Value::Text("red".into()));
        // An enum array with a NULL element.
        let enums = array(vec![red(), None]);
        assert_eq!(both(Conv::Text, true, &enums), ["null", "[\"red\",null]"]);
        assert_eq!(both(Conv::Text, false, &enums)[0], "[\"red\",null]");
        assert_eq!(both(Conv::Text, true, &array(vec![red()]))[0], "[\"red\"]");
        // NaN or an infinity in a numeric array.
        let numbers = array(vec![Some(numeric("1.5")), Some(numeric("NaN"))]);
        assert_eq!(
            both(Conv::DecimalString { scale: None }, false, &numbers),
            ["null", "[\"1.5\",\"NAN\"]"]
        );
        let numbers = array(vec![Some(numeric("Infinity"))]);
        assert_eq!(
            both(Conv::DecimalString { scale: None }, false, &numbers)[0],
            "null"
        );
        let numbers = array(vec![Some(numeric("2.50")), None]);
        assert_eq!(
            both(Conv::DecimalString { scale: None }, false, &numbers),
            ["[\"2.50\",null]", "[\"2.50\",null]"]
        );
        // Dates as Debezium's snapshot writes them.
        let bc = Date::from_ymd(-43, 3, 15).unwrap();
        let dates = array(vec![
            Some(Value::Date(Date::INFINITY)),
            Some(Value::Date(Date::NEG_INFINITY)),
            Some(Value::Date(bc)),
        ]);
        assert_eq!(
            both(Conv::Date, false, &dates)[0],
            "[-622191234,-625821272,-703383]"
        );
        assert_eq!(
            both(Conv::DateFixed, false, &dates)[1],
            "[2147483647,-2147483648,-735160]"
        );
        // Times cut to milliseconds, 24:00:00 as 0.
        let times = array(vec![
            Some(Value::Time(Time(USECS_PER_DAY))),
            Some(Value::Time(Time(86_399_999_999))),
        ]);
        assert_eq!(
            both(Conv::MicroTime, false, &times),
            ["[0,86399999000]", "[86400000000,86399999999]"]
        );
        assert_eq!(
            both(Conv::MilliTime, false, &times),
            ["[0,86399999]", "[86400000,86399999]"]
        );
    }

    fn timestamp(text: &str) -> Timestamp {
        Timestamp::parse(text.as_bytes(), false).unwrap()
    }

    fn timestamptz(text: &str) -> Value {
        Value::Timestamptz(Timestamp::parse(text.as_bytes(), true).unwrap())
    }

    #[test]
    fn timestamps_past_the_int64_microseconds_as_debezium_computes_them() {
        // Values written by Debezium 3.6.3: seconds times 10^6 saturate at i64::MAX, then the
        // microsecond of the second wraps around.
        let micro = |text| json(&Conv::MicroTimestamp, &Value::Timestamp(timestamp(text)));
        assert_eq!(micro("294247-01-10 04:00:54.775806"), "9223372036854775806");
        assert_eq!(micro("294247-01-10 04:00:54.775807"), "9223372036854775807");
        assert_eq!(micro("294247-01-10 04:00:54.7759"), "-9223372036854775716");
        assert_eq!(
            micro("294276-12-31 23:59:59.999999"),
            "-9223372036853775810"
        );
        assert_eq!(micro("294276-12-31 23:59:59.9999"), "-9223372036853775909");
        assert_eq!(micro("294000-06-15 12:34:56.5"), "9215591056496500000");
        assert_eq!(micro("4714-11-24 00:00:00 BC"), "-210866803200000000");
        // Milliseconds fit.
        let milli = |text| json(&Conv::MilliTimestamp, &Value::Timestamp(timestamp(text)));
        assert_eq!(milli("294276-12-31 23:59:59.999"), "9224318015999999");
        assert_eq!(milli("294276-12-31 23:59:59"), "9224318015999000");
        assert_eq!(milli("4714-11-24 00:00:00 BC"), "-210866803200000");
        let zoned = |text| json(&Conv::ZonedTimestamp { precision: 6 }, &timestamptz(text));
        assert_eq!(
            zoned("294276-12-31 23:59:59.999999+00"),
            "\"+294276-12-31T23:59:59.999999Z\""
        );
        assert_eq!(
            zoned("4714-11-24 00:00:00+00 BC"),
            "\"-4713-11-24T00:00:00.000000Z\""
        );
    }

    #[test]
    fn timestamp_array_elements_read_in_javas_calendar() {
        let elements = |inner: Conv, value: Value| {
            let value = array(vec![Some(value)]);
            [ArrayElements::Debezium, ArrayElements::Exact]
                .map(|elements| json(&Conv::Array(Box::new(inner.clone()), elements), &value))
        };
        let ts = |text| Value::Timestamp(timestamp(text));
        // Values written by Debezium 3.6.3 for timestamp[] and timestamptz[] elements.
        assert_eq!(
            elements(Conv::MicroTimestamp, ts("1000-02-28 23:59:59.999999")),
            ["[-30604694400000001]", "[-30605126400000001]"]
        );
        assert_eq!(
            elements(Conv::MilliTimestamp, ts("4713-01-01 00:00:00 BC")),
            ["[-210866803200000]", "[-210863520000000]"]
        );
        assert_eq!(
            elements(Conv::MicroTimestamp, ts("294276-12-31 23:59:59.999999"))[0],
            "[-9223372036853775810]"
        );
        assert_eq!(
            elements(Conv::MicroTimestamp, Value::Timestamp(Timestamp::INFINITY))[0],
            "[9223372036825200000]"
        );
        let zoned = Conv::ZonedTimestamp { precision: 6 };
        assert_eq!(
            elements(zoned.clone(), timestamptz("4713-01-01 00:00:00+00 BC")),
            [
                "[\"4713-01-01T00:00:00.000000Z\"]",
                "[\"-4712-01-01T00:00:00.000000Z\"]"
            ]
        );
        assert_eq!(
            elements(zoned.clone(), timestamptz("1582-10-14 00:00:00+00"))[0],
            "[\"1582-10-24T00:00:00.000000Z\"]"
        );
        assert_eq!(
            elements(zoned, timestamptz("10000-01-01 00:00:00+00"))[0],
            "[\"+10000-01-01T00:00:00.000000Z\"]"
        );
    }

    #[test]
    fn bugs_fixed_infinities_are_the_type_limits() {
        let date = |d| json(&Conv::DateFixed, &Value::Date(d));
        assert_eq!(date(Date(19_782)), "19782");
        assert_eq!(date(Date::INFINITY), "2147483647");
        assert_eq!(date(Date::NEG_INFINITY), "-2147483648");
        for conv in [Conv::MicroTimestampFixed, Conv::MilliTimestampFixed] {
            let ts = |t| json(&conv, &Value::Timestamp(t));
            assert_eq!(ts(Timestamp::INFINITY), "9223372036854775807");
            assert_eq!(ts(Timestamp::NEG_INFINITY), "-9223372036854775808");
        }
        let finite = Value::Timestamp(timestamp("2024-02-29 13:14:15.123456"));
        assert_eq!(
            json(&Conv::MicroTimestampFixed, &finite),
            "1709212455123456"
        );
        assert_eq!(json(&Conv::MilliTimestampFixed, &finite), "1709212455123");
        // Beyond the int64 µs range: the largest finite value; ms are exact.
        let last = Value::Timestamp(timestamp("294276-12-31 23:59:59.999999"));
        assert_eq!(
            json(&Conv::MicroTimestampFixed, &last),
            "9223372036854775806"
        );
        assert_eq!(json(&Conv::MilliTimestampFixed, &last), "9224318015999999");
        let first = Value::Timestamp(timestamp("4714-11-24 00:00:00 BC"));
        assert_eq!(
            json(&Conv::MicroTimestampFixed, &first),
            "-210866803200000000"
        );
        // reproduce: name is always null (Conv::AlwaysNull), fix: its text (Conv::Text).
        let name = Value::Text("pg_class".into());
        assert_eq!(json(&Conv::AlwaysNull, &name), "null");
        assert_eq!(json(&Conv::Text, &name), "\"pg_class\"");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(json(&Conv::Date, &Value::Date(Date(19_782))), "19782");
        assert_eq!(
            json(&Conv::Date, &Value::Date(Date::INFINITY)),
            "-2147472692"
        );
        assert_eq!(
            json(&Conv::Date, &Value::Date(Date::NEG_INFINITY)),
            "-2147472691"
        );
        assert_eq!(
            json(&Conv::MicroTime, &Value::Time(Time(47_655_123_456))),
            "47655123456"
        );
        assert_eq!(
            json(&Conv::MilliTime, &Value::Time(Time(47_655_123_456))),
            "47655123"
        );
        let tz = |micros, offset_seconds| {
            Value::TimeTz(TimeTz {
                micros,
                offset_seconds,
            })
        };
        assert_eq!(
            json(&Conv::ZonedTime, &tz(47_655_123_456, 7200)),
            "\"11:14:15.123456Z\""
        );
        assert_eq!(
            json(&Conv::ZonedTime, &tz(USECS_PER_DAY, 0)),
            "\"00:00:00Z\""
        );
        assert_eq!(
            json(&Conv::ZonedTime, &tz(43_200_000_000, 19_800)),
            "\"06:30:00Z\""
        );
        let ts = Value::Timestamp(Timestamp::INFINITY);
        assert_eq!(json(&Conv::MicroTimestamp, &ts), "9223372036825200000");
        assert_eq!(json(&Conv::MilliTimestamp, &ts), "9223372036825200");
        let ts = Value::Timestamp(Timestamp::NEG_INFINITY);
        assert_eq!(json(&Conv::MicroTimestamp, &ts), "-9223372036832400000");
        assert_eq!(json(&Conv::MilliTimestamp, &ts), "-9223372036832400");
        let z = |p| Conv::ZonedTimestamp { precision: p };
        assert_eq!(
            json(&z(6), &Value::Timestamptz(Timestamp::UNIX_EPOCH)),
            "\"1970-01-01T00:00:00.000000Z\""
        );
        assert_eq!(
            json(&z(0), &timestamptz("2024-02-29 11:14:15+00")),
            "\"2024-02-29T11:14:15Z\""
        );
        assert_eq!(
            json(&z(3), &timestamptz("2024-02-29 11:14:15.123+00")),
            "\"2024-02-29T11:14:15.123Z\""
        );
        assert_eq!(
            json(&z(6), &Value::Timestamptz(Timestamp::INFINITY)),
            "\"infinity\""
        );
        let iv = |months, days, micros| {
            Value::Interval(Interval {
                months,
                days,
                micros,
            })
        };
        assert_eq!(
            json(&Conv::MicroDuration, &iv(14, 3, 14_706_789_000)),
            "37091106789000"
        );
        assert_eq!(json(&Conv::MicroDuration, &iv(1, 0, 0)), "2629800000000");
    }

    #[test]
    fn interval_strings_have_every_part() {
        // As Debezium 3.6.3 wrote them (tests/data/differential/workloads/edge_values.sql).
        for (text, want) in [
            ("1 day 02:00:00", "P0Y0M1DT2H0M0S"),
            ("178000000 years", "P178000000Y0M0DT0H0M0S"),
            ("-00:00:59", "P0Y0M0DT0H0M-59S"),
            ("1 mon -1 days +00:00:00.000001", "P0Y1M-1DT0H0M0.000001S"),
            ("-1 mons +1 day -00:00:00.000001", "P0Y-1M1DT0H0M-0.000001S"),
            ("1 year 365 days 8760:00:00", "P1Y0M365DT8760H0M0S"),
            ("00:00:00", "P0Y0M0DT0H0M0S"),
        ] {
            let iv = Interval::parse(text.as_bytes()).unwrap();
            assert_eq!(interval_string(&iv), want, "{text}");
        }
    }

    #[test]
    fn floats_in_the_java_text_of_the_conversion() {
        for (text, real, double, point) in [
            (
                FloatText::Java17,
                "1.50000005E10",
                "9.999999999999999E22",
                "4.6116860184273879E18",
            ),
            (
                FloatText::Shortest,
                "1.5E10",
                "1.0E23",
                "4.611686018427388E18",
            ),
        ] {
            assert_eq!(json(&Conv::Float32(text), &Value::Float4(1.5e10)), real);
            assert_eq!(json(&Conv::Float64(text), &Value::Float8(1e23)), double);
            let p = Value::Point(crate::change::value::Point {
                x: 2f64.powi(62),
                y: 0.0,
            });
            assert!(json(&Conv::Point(text), &p).starts_with(&format!("{{\"x\":{point},")));
        }
        assert_eq!(
            json(
                &Conv::DecimalDouble(FloatText::Java17),
                &numeric("100000000000000000000000")
            ),
            "9.999999999999999E22"
        );
    }

    #[test]
    fn bits_points_hstore_and_toast() {
        let bits = |t: &str| Value::Bit(BitString::parse(t.as_bytes()).unwrap());
        assert_eq!(json(&Conv::Bits, &bits("100000000001")), "\"AQg=\"");
        assert_eq!(json(&Conv::Bits, &bits("10101010")), "\"qg==\"");
        assert_eq!(json(&Conv::Bits, &bits("")), "\"\"");
        assert_eq!(json(&Conv::Bool, &bits("1")), "true");
        let point = Value::Point(crate::change::value::Point { x: 1.5, y: 2.5 });
        assert_eq!(
            json(&Conv::Point(FloatText::Java17), &point),
            r#"{"x":1.5,"y":2.5,"wkb":"AQEAAAAAAAAAAAD4PwAAAAAAAARA","srid":null}"#
        );
        let h = Hstore::parse(&Bytes::from_static(br#""a"=>"1", "b"=>"two words""#)).unwrap();
        assert_eq!(
            json(&Conv::HstoreJson, &Value::Hstore(h)),
            r#""{\"a\":\"1\",\"b\":\"two words\"}""#
        );
        let mut out = Vec::new();
        write_unavailable(
            &mut out,
            &Conv::Binary(BinaryMode::Bytes),
            "__debezium_unavailable_value",
        );
        assert_eq!(out, b"\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"");
        out.clear();
        write_unavailable(
            &mut out,
            &Conv::Array(Box::new(Conv::Int32), ArrayElements::Debezium),
            "__d",
        );
        assert_eq!(out, b"[95,95,100]");
    }
}
