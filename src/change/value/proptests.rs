//! Property tests: text -> [`Value`] -> `Display` gives the same text back, for generated values.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use proptest::prelude::*;

use super::{Array, ArrayDim, Date, Interval, PgText, Timestamp, Value, parse_text, scalar};
use crate::change::types::{TypeCache, oid};

fn parse(type_oid: u32, text: &str) -> Value {
    parse_text(
        &TypeCache::new(),
        type_oid,
        -1,
        Bytes::copy_from_slice(text.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn round_trip(type_oid: u32, text: &str) -> Value {
    let value = parse(type_oid, text);
    assert_eq!(value.to_string(), text);
    value
}

proptest! {
    #[test]
    fn integers(a: i16, b: i32, c: i64, d: u32, e: u64) {
        prop_assert_eq!(round_trip(oid::INT2, &a.to_string()), Value::Int2(a));
        prop_assert_eq!(round_trip(oid::INT4, &b.to_string()), Value::Int4(b));
        prop_assert_eq!(round_trip(oid::INT8, &c.to_string()), Value::Int8(c));
        prop_assert_eq!(round_trip(oid::OID, &d.to_string()), Value::Oid(d));
        prop_assert_eq!(round_trip(oid::XID8, &e.to_string()), Value::Xid8(e));
    }

    #[test]
    fn float8_bits_survive(bits: u64) {
        let v = f64::from_bits(bits);
        let mut text = String::new();
        scalar::write_float8(&mut text, v).unwrap();
        let Value::Float8(back) = round_trip(oid::FLOAT8, &text) else { panic!() };
        prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()), "{}", text);
    }

    #[test]
    fn float4_bits_survive(bits: u32) {
        let v = f32::from_bits(bits);
        let mut text = String::new();
        scalar::write_float4(&mut text, v).unwrap();
        let Value::Float4(back) = round_trip(oid::FLOAT4, &text) else { panic!() };
        prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()), "{}", text);
    }

    #[test]
    fn numerics(negative: bool, int_part in "[1-9][0-9]{0,59}|0", fraction in "[0-9]{0,40}") {
        let sign = if negative && (int_part != "0" || fraction.contains(|c| c != '0')) { "-" } else { "" };
        let point = if fraction.is_empty() { "" } else { "." };
        let text = format!("{sign}{int_part}{point}{fraction}");
        let Value::Numeric(n) = round_trip(oid::NUMERIC, &text) else { panic!() };
        prop_assert_eq!(n.scale(), Some(fraction.len() as u16));
        let digits: String = format!("{int_part}{fraction}").trim_start_matches('0').to_owned();
        prop_assert_eq!(n.unscaled_digits().unwrap(), if digits.is_empty() { "0".to_owned() } else { digits });
    }

    #[test]
    fn money(minor_units: i64) {
        let value = Value::Money(super::Money { minor_units, frac_digits: 2 });
        prop_assert_eq!(round_trip(oid::MONEY, &value.to_string()), value);
    }

    #[test]
    fn dates(days in -2_440_588i32..2_145_042_906) {
        let text = Date(days).to_string();
        prop_assert_eq!(round_trip(oid::DATE, &text), Value::Date(Date(days)));
    }

    #[test]
    fn timestamps(micros in Timestamp::MIN.0..=Timestamp::MAX.0, offset in -57_599i32..=57_599) {
        let text = Timestamp(micros).to_string();
        prop_assert_eq!(round_trip(oid::TIMESTAMP, &text), Value::Timestamp(Timestamp(micros)));
        let tz = Value::Timestamptz(Timestamp(micros)).to_string();
        prop_assert_eq!(round_trip(oid::TIMESTAMPTZ, &tz), Value::Timestamptz(Timestamp(micros)));
        // The same instant as a session in another time zone prints it.
        let Some(local) = micros.checked_add(i64::from(offset) * 1_000_000) else { return Ok(()) };
        if !(Timestamp::MIN.0..=Timestamp::MAX.0).contains(&local) {
            return Ok(());
        }
        let local_text = Timestamp(local).to_string();
        let (clock, era) = match local_text.strip_suffix(" BC") {
            Some(clock) => (clock, " BC"),
            None => (local_text.as_str(), ""),
        };
        let (sign, abs) = (if offset < 0 { '-' } else { '+' }, offset.unsigned_abs());
        let zone = format!("{sign}{:02}:{:02}:{:02}", abs / 3600, abs / 60 % 60, abs % 60);
        prop_assert_eq!(parse(oid::TIMESTAMPTZ, &format!("{clock}{zone}{era}")), Value::Timestamptz(Timestamp(micros)));
    }

    #[test]
    fn intervals(months: i32, days: i32, micros: i64) {
        let value = Interval { months, days, micros };
        prop_assume!(value.is_finite());
        prop_assert_eq!(round_trip(oid::INTERVAL, &value.to_string()), Value::Interval(value));
    }

    #[test]
    fn text_arrays(elements in proptest::collection::vec(proptest::option::of(".{0,8}"), 0..12)) {
        let array = Array {
            element_oid: oid::TEXT,
            delimiter: b',',
            dims: if elements.is_empty() { vec![] } else { vec![ArrayDim { len: elements.len(), lower_bound: 1 }] },
            elements: elements.iter().map(|e| e.as_deref().map(|s| Value::Text(PgText::from(s)))).collect(),
        };
        let value = Value::Array(Box::new(array));
        prop_assert_eq!(round_trip(1009, &value.to_string()), value);
    }
}
