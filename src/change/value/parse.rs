//! [`parse_text`]: from a type oid and PostgreSQL's text output to a [`Value`].

use std::ops::Bound;

use bytes::Bytes;

use super::array::{Array, split_array};
use super::error::{Reason, ValueError, quote_text};
use super::range::{Range, RangeText, split_multirange, split_range_text};
use super::{
    BitString, Circle, Date, Hstore, Inet, Interval, Line, Lseg, MacAddr, Money, Numeric, Path,
    PgBox, PgLsn, PgText, Point, Polygon, Tid, Time, TimeTz, Timestamp, Uuid, Value, bytea, json,
    scalar,
};
use crate::change::types::{TypeCache, TypeKind, oid};

/// How deeply types may nest (domains, arrays of ranges of domains, ...) before the value is
/// rejected; real types nest a few levels, a catalog cycle would not end.
const MAX_NESTING: u32 = 32;

/// Parses a column value in PostgreSQL's text output format.
///
/// `type_oid` is the column's type and is looked up in `cache` unless it is one of the common
/// built-in types, which are parsed without a lookup. `type_modifier` is the column's
/// `atttypmod`; the text output carries everything it implies, so it is not needed today.
///
/// A type the cache does not know, or one without a typed form, gives [`Value::Unknown`] and
/// never fails. Text that is not valid for its type gives [`ValueError::Invalid`], naming the
/// type and quoting the start of the text.
pub fn parse_text(
    cache: &TypeCache,
    type_oid: u32,
    type_modifier: i32,
    text: Bytes,
) -> Result<Value, ValueError> {
    let _ = type_modifier;
    parse_nested(cache, type_oid, text, 0)
}

fn parse_nested(
    cache: &TypeCache,
    type_oid: u32,
    text: Bytes,
    depth: u32,
) -> Result<Value, ValueError> {
    if let Some(parsed) = parse_builtin(type_oid, &text) {
        return parsed.map_err(|reason| invalid(cache, type_oid, &text, reason));
    }
    let Some(info) = cache.get(type_oid) else {
        return Ok(Value::Unknown { type_oid, text });
    };
    if depth >= MAX_NESTING {
        return Err(invalid(cache, type_oid, &text, "types nest too deeply"));
    }
    let depth = depth + 1;
    match &info.kind {
        TypeKind::Domain { base_oid } => parse_nested(cache, *base_oid, text, depth),
        TypeKind::Enum { .. } => {
            text_value(&text).map_err(|reason| invalid(cache, type_oid, &text, reason))
        }
        TypeKind::Array { element_oid } => {
            let delimiter = cache.get(*element_oid).map_or(b',', |e| e.delimiter);
            let split = split_array(&text, delimiter)
                .map_err(|reason| invalid(cache, type_oid, &text, reason))?;
            let elements = split
                .elements
                .into_iter()
                .map(|element| {
                    element
                        .map(|e| parse_nested(cache, *element_oid, e, depth))
                        .transpose()
                })
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(Box::new(Array {
                element_oid: *element_oid,
                delimiter,
                dims: split.dims,
                elements,
            })))
        }
        TypeKind::Range { subtype_oid } => {
            let split = split_range_text(&text)
                .map_err(|reason| invalid(cache, type_oid, &text, reason))?;
            Ok(Value::Range(Box::new(range_value(
                cache,
                *subtype_oid,
                split,
                depth,
            )?)))
        }
        TypeKind::Multirange { range_oid } => {
            let subtype_oid = match cache.resolve(*range_oid).map(|r| &r.kind) {
                Some(TypeKind::Range { subtype_oid }) => *subtype_oid,
                _ => return Ok(Value::Unknown { type_oid, text }),
            };
            let split = split_multirange(&text)
                .map_err(|reason| invalid(cache, type_oid, &text, reason))?;
            let ranges = split
                .into_iter()
                .map(|range| range_value(cache, subtype_oid, range, depth))
                .collect::<Result<_, _>>()?;
            Ok(Value::Multirange(ranges))
        }
        TypeKind::Base => {
            let parsed = match info.name.as_str() {
                "hstore" => Hstore::parse(&text).map(Value::Hstore),
                "citext" => text_value(&text),
                // The textual built-ins not parsed above: reg* types, int2vector, aclitem, ...
                _ if info.namespace == "pg_catalog" => text_value(&text),
                _ => return Ok(Value::Unknown { type_oid, text }),
            };
            parsed.map_err(|reason| invalid(cache, type_oid, &text, reason))
        }
        TypeKind::Composite | TypeKind::Pseudo => Ok(Value::Unknown { type_oid, text }),
    }
}

fn range_value(
    cache: &TypeCache,
    subtype_oid: u32,
    split: RangeText,
    depth: u32,
) -> Result<Range, ValueError> {
    let bound = |b: Bound<Bytes>| -> Result<Bound<Value>, ValueError> {
        Ok(match b {
            Bound::Included(t) => Bound::Included(parse_nested(cache, subtype_oid, t, depth)?),
            Bound::Excluded(t) => Bound::Excluded(parse_nested(cache, subtype_oid, t, depth)?),
            Bound::Unbounded => Bound::Unbounded,
        })
    };
    Ok(match split {
        RangeText::Empty => Range::Empty,
        RangeText::Bounds { lower, upper } => Range::Bounds {
            lower: bound(lower)?,
            upper: bound(upper)?,
        },
    })
}

/// The built-in types with a fixed parser, `None` for the others.
fn parse_builtin(type_oid: u32, text: &Bytes) -> Option<Result<Value, Reason>> {
    use scalar::parse_number as number;
    Some(match type_oid {
        oid::BOOL => scalar::parse_bool(text).map(Value::Bool),
        oid::INT2 => number(text).map(Value::Int2),
        oid::INT4 => number(text).map(Value::Int4),
        oid::INT8 => number(text).map(Value::Int8),
        oid::OID => number(text).map(Value::Oid),
        oid::XID => number(text).map(Value::Xid),
        oid::CID => number(text).map(Value::Cid),
        oid::XID8 => number(text).map(Value::Xid8),
        oid::FLOAT4 => number(text).map(Value::Float4),
        oid::FLOAT8 => number(text).map(Value::Float8),
        oid::NUMERIC => Numeric::parse(text).map(Value::Numeric),
        oid::MONEY => Money::parse(text).map(Value::Money),
        oid::TEXT
        | oid::VARCHAR
        | oid::BPCHAR
        | oid::NAME
        | oid::CHAR
        | oid::XML
        | oid::JSONPATH
        | oid::TSVECTOR
        | oid::TSQUERY => text_value(text),
        oid::JSON => json_text(text).map(Value::Json),
        oid::JSONB => json_text(text).map(Value::Jsonb),
        oid::BYTEA => bytea::parse_bytea(text).map(Value::Bytea),
        oid::UUID => Uuid::parse(text).map(Value::Uuid),
        oid::DATE => Date::parse(text).map(Value::Date),
        oid::TIME => Time::parse(text).map(Value::Time),
        oid::TIMETZ => TimeTz::parse(text).map(Value::TimeTz),
        oid::TIMESTAMP => Timestamp::parse(text, false).map(Value::Timestamp),
        oid::TIMESTAMPTZ => Timestamp::parse(text, true).map(Value::Timestamptz),
        oid::INTERVAL => Interval::parse(text).map(Value::Interval),
        oid::INET => Inet::parse(text).map(Value::Inet),
        oid::CIDR => Inet::parse(text).map(Value::Cidr),
        oid::MACADDR => MacAddr::parse(text).map(Value::MacAddr),
        oid::MACADDR8 => MacAddr::parse(text).map(Value::MacAddr8),
        oid::BIT => BitString::parse(text).map(Value::Bit),
        oid::VARBIT => BitString::parse(text).map(Value::Varbit),
        oid::POINT => Point::parse(text).map(Value::Point),
        oid::LINE => Line::parse(text).map(Value::Line),
        oid::LSEG => Lseg::parse(text).map(Value::Lseg),
        oid::BOX => PgBox::parse(text).map(Value::Box),
        oid::PATH => Path::parse(text).map(Value::Path),
        oid::POLYGON => Polygon::parse(text).map(Value::Polygon),
        oid::CIRCLE => Circle::parse(text).map(Value::Circle),
        oid::PG_LSN => PgLsn::parse(text).map(Value::PgLsn),
        oid::TID => Tid::parse(text).map(Value::Tid),
        _ => return None,
    })
}

/// A text-like value sharing the buffer.
pub(crate) fn text_value(text: &Bytes) -> Result<Value, Reason> {
    utf8(text).map(Value::Text)
}

pub(crate) fn utf8(text: &Bytes) -> Result<PgText, Reason> {
    PgText::new(text.clone()).map_err(|_| "not UTF-8")
}

/// JSON text, checked.
pub(crate) fn json_text(text: &Bytes) -> Result<PgText, Reason> {
    let checked = utf8(text)?;
    json::validate_json(text)?;
    Ok(checked)
}

pub(crate) fn invalid(cache: &TypeCache, type_oid: u32, text: &[u8], reason: Reason) -> ValueError {
    ValueError::Invalid {
        type_oid,
        type_name: cache.display_name(type_oid).into(),
        text: quote_text(text),
        reason,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::change::types::TypeInfo;

    fn cache() -> TypeCache {
        let mut cache = TypeCache::new();
        let mood = TypeKind::Enum {
            labels: vec!["sad".into(), "ok".into(), "happy".into()],
        };
        cache.insert(TypeInfo::new(16400, "public", "mood", mood).with_array(16399));
        cache.insert(TypeInfo::new(
            16399,
            "public",
            "_mood",
            TypeKind::Array { element_oid: 16400 },
        ));
        cache.insert(TypeInfo::new(
            16401,
            "public",
            "price",
            TypeKind::Domain {
                base_oid: oid::NUMERIC,
            },
        ));
        cache.insert(TypeInfo::new(
            16402,
            "public",
            "positive_price",
            TypeKind::Domain { base_oid: 16401 },
        ));
        cache.insert(TypeInfo::new(
            16403,
            "public",
            "_positive_price",
            TypeKind::Array { element_oid: 16402 },
        ));
        cache.insert(TypeInfo::new(16404, "public", "hstore", TypeKind::Base));
        cache.insert(TypeInfo::new(16405, "public", "citext", TypeKind::Base));
        cache.insert(TypeInfo::new(16406, "public", "ltree", TypeKind::Base));
        cache.insert(TypeInfo::new(
            16407,
            "public",
            "pricerange",
            TypeKind::Range { subtype_oid: 16401 },
        ));
        cache.insert(TypeInfo::new(
            16408,
            "public",
            "looped",
            TypeKind::Domain { base_oid: 16409 },
        ));
        cache.insert(TypeInfo::new(
            16409,
            "public",
            "looped2",
            TypeKind::Domain { base_oid: 16408 },
        ));
        cache.insert(TypeInfo::new(16410, "public", "pair", TypeKind::Composite));
        cache.insert(TypeInfo::new(
            16411,
            "public",
            "_int4_domain",
            TypeKind::Domain { base_oid: 1007 },
        ));
        cache.insert(TypeInfo::new(
            16412,
            "public",
            "__int4_domain",
            TypeKind::Array { element_oid: 16411 },
        ));
        cache
    }

    fn parse(oid: u32, text: &str) -> Result<Value, ValueError> {
        parse_text(&cache(), oid, -1, Bytes::copy_from_slice(text.as_bytes()))
    }

    fn round_trip(oid: u32, text: &str) -> Value {
        let value = parse(oid, text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(value.to_string(), text, "oid {oid}");
        value
    }

    #[test]
    fn scalars_round_trip() {
        for (oid, text) in [
            (oid::BOOL, "t"),
            (oid::BOOL, "f"),
            (oid::INT2, "-32768"),
            (oid::INT4, "2147483647"),
            (oid::INT8, "-9223372036854775808"),
            (oid::OID, "4294967295"),
            (oid::XID8, "18446744073709551615"),
            (oid::FLOAT4, "-3.4028235e+38"),
            (oid::FLOAT8, "-0"),
            (oid::FLOAT8, "NaN"),
            (oid::FLOAT8, "-Infinity"),
            (oid::NUMERIC, "-123.4500"),
            (oid::MONEY, "-$1,234.56"),
            (oid::TEXT, "héllo, wörld ✓ 😀"),
            (oid::TEXT, ""),
            (oid::BPCHAR, "ab  "),
            (oid::JSON, "{\"a\": [1, 2.50, null]}"),
            (oid::JSONB, "{\"a\": [1, 2.50, null]}"),
            (oid::BYTEA, "\\x00ff"),
            (oid::UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            (oid::DATE, "2024-02-29"),
            (oid::TIME, "24:00:00"),
            (oid::TIMETZ, "23:59:59.999999-15:59:59"),
            (oid::TIMESTAMP, "0001-01-01 00:00:00 BC"),
            (oid::TIMESTAMPTZ, "2024-05-06 07:08:09.123456+00"),
            (oid::INTERVAL, "-1 days +02:00:00"),
            (oid::INET, "::ffff:1.2.3.4"),
            (oid::CIDR, "10.0.0.0/8"),
            (oid::MACADDR, "08:00:2b:01:02:03"),
            (oid::MACADDR8, "08:00:2b:ff:fe:01:02:03"),
            (oid::BIT, "0101"),
            (oid::VARBIT, ""),
            (oid::POINT, "(1.5,-2)"),
            (oid::BOX, "(3,4),(1,2)"),
            (oid::PG_LSN, "16/B374D848"),
            (oid::TID, "(0,1)"),
            (24, "now"),
            (22, "1 2 3"),
        ] {
            round_trip(oid, text);
        }
        assert_eq!(
            parse(oid::TIMESTAMPTZ, "2024-05-06 12:38:09+05:30")
                .unwrap()
                .to_string(),
            "2024-05-06 07:08:09+00"
        );
        assert_eq!(
            parse(oid::BYTEA, "\\000a\\\\").unwrap().to_string(),
            "\\x00615c"
        );
    }

    #[test]
    fn text_keeps_the_received_buffer() {
        let frame = Bytes::from_static(b"....hello....");
        let slice = frame.slice(4..9);
        let value = parse_text(&cache(), oid::TEXT, -1, slice.clone()).unwrap();
        assert_eq!(
            value.as_text().unwrap().as_buffer().as_ptr(),
            slice.as_ptr()
        );
    }

    #[test]
    fn user_types() {
        assert_eq!(
            round_trip(16400, "happy"),
            Value::Text(PgText::from("happy"))
        );
        let Value::Array(moods) = round_trip(16399, "{sad,NULL,happy}") else {
            panic!()
        };
        assert_eq!(moods.elements[1], None);
        assert!(matches!(
            round_trip(16402, "12.50"),
            Value::Numeric(Numeric::Decimal {
                unscaled: 1250,
                scale: 2
            })
        ));
        round_trip(16403, "{1.5,NULL}");
        let Value::Hstore(h) = round_trip(16404, r#""a"=>"1", "b"=>NULL"#) else {
            panic!()
        };
        assert_eq!(h.get("b"), Some(None));
        assert!(matches!(round_trip(16405, "MiXeD"), Value::Text(_)));
        assert!(matches!(
            round_trip(16406, "a.b.c"),
            Value::Unknown {
                type_oid: 16406,
                ..
            }
        ));
        assert!(matches!(round_trip(16407, "[1.5,2.5)"), Value::Range(_)));
        assert!(matches!(
            round_trip(16410, "(1,abc)"),
            Value::Unknown { .. }
        ));
        assert!(matches!(
            round_trip(99999, "\u{1F600}"),
            Value::Unknown {
                type_oid: 99999,
                ..
            }
        ));
        assert!(matches!(
            parse_text(&cache(), 99999, -1, Bytes::from_static(b"\xff")),
            Ok(Value::Unknown { .. })
        ));
        assert!(
            parse(16408, "1")
                .unwrap_err()
                .to_string()
                .contains("nest too deeply")
        );
        // An array of a domain over an array: elements are themselves arrays, quoted.
        let Value::Array(nested) = round_trip(16412, r#"{"{1,2}","{3}"}"#) else {
            panic!()
        };
        assert!(matches!(nested.elements[0], Some(Value::Array(_))));
    }

    #[test]
    fn arrays() {
        let Value::Array(a) = round_trip(1007, "{{1,2},{3,NULL}}") else {
            panic!()
        };
        assert_eq!(a.dims.len(), 2);
        assert_eq!(a.elements[3], None);
        round_trip(1007, "{}");
        round_trip(1007, "[0:1]={1,2}");
        round_trip(1009, r#"{"a b","",NULL,"NULL","q\"\\",é,"{x}"}"#);
        round_trip(1020, "{(3,4),(1,2);(7,8),(5,6)}");
        round_trip(1185, r#"{"2024-05-06 07:08:09+00",infinity}"#);
        round_trip(3905, r#"{"[1,3)",empty}"#);
        round_trip(1001, r#"{"\\x00ff","\\x"}"#);
        let err = parse(1007, "{1,x}").unwrap_err().to_string();
        assert!(err.contains("int4") && err.contains("\"x\""), "{err}");
        let err = parse(1007, "{1,2").unwrap_err().to_string();
        assert!(err.contains("_int4"), "{err}");
    }

    #[test]
    fn ranges_and_multiranges() {
        let Value::Range(r) = round_trip(oid::INT4RANGE, "[1,10)") else {
            panic!()
        };
        assert_eq!(
            *r,
            Range::Bounds {
                lower: Bound::Included(Value::Int4(1)),
                upper: Bound::Excluded(Value::Int4(10))
            }
        );
        assert_eq!(*round_trip_range("empty"), Range::Empty);
        round_trip(oid::INT8RANGE, "(,5]");
        round_trip(oid::INT8RANGE, "(,)");
        round_trip(
            oid::TSTZRANGE,
            r#"["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")"#,
        );
        round_trip(oid::DATERANGE, "[-infinity,2024-01-01)");
        round_trip(oid::NUMRANGE, "(1.5,NaN]");
        round_trip(4451, "{[1,3),[5,7)}");
        round_trip(4451, "{}");
        round_trip(4535, "{[2024-01-01,2024-02-01)}");
        assert!(parse(oid::INT4RANGE, "[1,x)").is_err());
    }

    fn round_trip_range(text: &str) -> Box<Range> {
        match round_trip(oid::INT4RANGE, text) {
            Value::Range(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_type_and_the_text() {
        let err = parse(oid::INT4, "12x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid int4 value \"12x\": not a number in range"
        );
        let long = "9".repeat(200);
        let err = parse(oid::INT2, &long).unwrap_err().to_string();
        assert!(err.contains("(200 bytes)") && err.len() < 200, "{err}");
        assert!(parse(oid::TEXT, "").is_ok());
        assert!(parse_text(&cache(), oid::TEXT, -1, Bytes::from_static(b"\xc3(")).is_err());
        assert!(parse(oid::JSON, "{").is_err());
        assert!(parse(oid::JSONB, "").is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let cache = cache();
        let samples: &[&[u8]] = &[
            b"",
            b"{",
            b"}",
            b"[",
            b"\"",
            b"\\",
            b"{\"",
            b"[1:",
            b"[1:2]={",
            b"(",
            b"<(",
            b"-",
            b"\xff\xfe",
            b"9999999999999999999999999999999999999999999",
            b"1e999",
            b"24:00",
            b"::",
            b"/",
            b"{{{{{{{{{{",
            b"[\"",
            b"\"=>",
            b"empty,",
            b"\\x\\",
            b"-infinity BC",
        ];
        let oids: Vec<u32> = cache.iter().map(|t| t.oid).collect();
        for &oid in &oids {
            for sample in samples {
                let _ = parse_text(&cache, oid, -1, Bytes::copy_from_slice(sample));
                let _ = super::super::parse_binary(&cache, oid, -1, Bytes::copy_from_slice(sample));
            }
        }
    }
}
