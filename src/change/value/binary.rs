//! [`parse_binary`]: values in PostgreSQL's binary format (`typsend`), for the types whose
//! format is simple and stable. Arrays, ranges, multiranges and the rest give
//! [`ValueError::BinaryUnsupported`]; request the text format for them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::error::{Reason, ValueError};
use super::parse::{json_text, text_value, utf8};
use super::scan::sub_bytes;
use super::{
    BitString, Circle, Date, Hstore, Inet, Interval, Line, Lseg, MacAddr, Money, Numeric,
    PG_EPOCH_DAYS, Path, PgBox, PgLsn, PgText, Point, Polygon, Tid, Time, TimeTz, Timestamp, Uuid,
    Value,
};
use crate::change::types::{TypeCache, TypeKind, oid};

/// How many domains deep a binary value's type may be.
const MAX_DOMAIN_DEPTH: u32 = 32;

/// Parses a column value in PostgreSQL's binary format.
///
/// Supported: `bool`, the integers, `oid`, `xid`, `xid8`, `cid`, `float4`, `float8`, `numeric`,
/// `money` (assumed to have 2 fraction digits), text-like types (including enums and `citext`),
/// `json`, `jsonb`, `jsonpath`, `bytea`, `uuid`, the date and time types, `interval`, `inet`,
/// `cidr`, `macaddr`, `macaddr8`, `bit`, `varbit`, the geometric types, `pg_lsn`, `tid`,
/// `hstore`, and domains over any of these.
pub fn parse_binary(
    cache: &TypeCache,
    type_oid: u32,
    type_modifier: i32,
    bytes: Bytes,
) -> Result<Value, ValueError> {
    // No binary format handled here depends on the modifier.
    let _ = type_modifier;
    let mut resolved = type_oid;
    for _ in 0..MAX_DOMAIN_DEPTH {
        let info = cache.get(resolved);
        let parsed = match (resolved, info.map(|i| (&i.kind, i.name.as_str()))) {
            (_, Some((TypeKind::Domain { base_oid }, _))) => {
                resolved = *base_oid;
                continue;
            }
            (_, Some((TypeKind::Enum { .. }, _)) | Some((TypeKind::Base, "citext"))) => {
                text_value(&bytes)
            }
            (_, Some((TypeKind::Base, "hstore"))) => hstore(&bytes),
            _ => match builtin(resolved, &bytes) {
                Some(parsed) => parsed,
                None => {
                    return Err(ValueError::BinaryUnsupported {
                        type_oid,
                        type_name: cache.display_name(type_oid).into(),
                    });
                }
            },
        };
        return parsed.map_err(|reason| ValueError::InvalidBinary {
            type_oid,
            type_name: cache.display_name(type_oid).into(),
            len: bytes.len(),
            reason,
        });
    }
    Err(ValueError::InvalidBinary {
        type_oid,
        type_name: cache.display_name(type_oid).into(),
        len: bytes.len(),
        reason: "domains nest too deeply",
    })
}

/// Big-endian fields read one after the other.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Reason> {
        let (head, rest) = self.bytes.split_at_checked(n).ok_or("value too short")?;
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Reason> {
        self.take(N)?.try_into().map_err(|_| "value too short")
    }

    fn u8(&mut self) -> Result<u8, Reason> {
        self.array::<1>().map(|[b]| b)
    }

    fn i16(&mut self) -> Result<i16, Reason> {
        self.array().map(i16::from_be_bytes)
    }

    fn u16(&mut self) -> Result<u16, Reason> {
        self.array().map(u16::from_be_bytes)
    }

    fn i32(&mut self) -> Result<i32, Reason> {
        self.array().map(i32::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, Reason> {
        self.array().map(u32::from_be_bytes)
    }

    fn i64(&mut self) -> Result<i64, Reason> {
        self.array().map(i64::from_be_bytes)
    }

    fn u64(&mut self) -> Result<u64, Reason> {
        self.array().map(u64::from_be_bytes)
    }

    fn f64(&mut self) -> Result<f64, Reason> {
        self.array().map(f64::from_be_bytes)
    }

    fn point(&mut self) -> Result<Point, Reason> {
        Ok(Point {
            x: self.f64()?,
            y: self.f64()?,
        })
    }

    fn points(&mut self) -> Result<Vec<Point>, Reason> {
        let count = usize::try_from(self.i32()?).map_err(|_| "negative point count")?;
        if count.checked_mul(16) != Some(self.bytes.len()) {
            return Err("wrong point count");
        }
        (0..count).map(|_| self.point()).collect()
    }

    /// Fails unless every byte was read.
    fn done<T>(&self, value: T) -> Result<T, Reason> {
        if self.bytes.is_empty() {
            Ok(value)
        } else {
            Err("value too long")
        }
    }
}

/// Reads one fixed-layout value and checks that nothing follows.
fn read<T>(
    bytes: &[u8],
    f: impl FnOnce(&mut Reader<'_>) -> Result<T, Reason>,
) -> Result<T, Reason> {
    let mut reader = Reader { bytes };
    let value = f(&mut reader)?;
    reader.done(value)
}

fn builtin(type_oid: u32, bytes: &Bytes) -> Option<Result<Value, Reason>> {
    let b: &[u8] = bytes;
    Some(match type_oid {
        oid::BOOL => read(b, |r| r.u8()).map(|v| Value::Bool(v != 0)),
        oid::INT2 => read(b, |r| r.i16()).map(Value::Int2),
        oid::INT4 => read(b, |r| r.i32()).map(Value::Int4),
        oid::INT8 => read(b, |r| r.i64()).map(Value::Int8),
        oid::OID => read(b, |r| r.u32()).map(Value::Oid),
        oid::XID => read(b, |r| r.u32()).map(Value::Xid),
        oid::CID => read(b, |r| r.u32()).map(Value::Cid),
        oid::XID8 => read(b, |r| r.u64()).map(Value::Xid8),
        oid::FLOAT4 => read(b, |r| r.array().map(f32::from_be_bytes)).map(Value::Float4),
        oid::FLOAT8 => read(b, |r| r.f64()).map(Value::Float8),
        oid::NUMERIC => numeric(b).map(Value::Numeric),
        oid::MONEY => read(b, |r| r.i64()).map(|minor_units| {
            Value::Money(Money {
                minor_units,
                frac_digits: 2,
            })
        }),
        oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME | oid::CHAR | oid::XML => {
            text_value(bytes)
        }
        oid::JSON => json_text(bytes).map(Value::Json),
        oid::JSONB => versioned(bytes)
            .and_then(|t| json_text(&t))
            .map(Value::Jsonb),
        oid::JSONPATH => versioned(bytes).and_then(|t| text_value(&t)),
        oid::BYTEA => Ok(Value::Bytea(bytes.clone())),
        oid::UUID => read(b, |r| r.array()).map(|u| Value::Uuid(Uuid(u))),
        oid::DATE => read(b, |r| r.i32()).and_then(date).map(Value::Date),
        oid::TIME => read(b, |r| r.i64())
            .and_then(|t| Time::from_micros(t).ok_or("time out of range"))
            .map(Value::Time),
        oid::TIMETZ => read(b, |r| Ok((r.i64()?, r.i32()?))).map(|(micros, zone_west)| {
            Value::TimeTz(TimeTz {
                micros,
                offset_seconds: zone_west.saturating_neg(),
            })
        }),
        oid::TIMESTAMP => read(b, |r| r.i64())
            .and_then(timestamp)
            .map(Value::Timestamp),
        oid::TIMESTAMPTZ => read(b, |r| r.i64())
            .and_then(timestamp)
            .map(Value::Timestamptz),
        oid::INTERVAL => read(b, |r| {
            let micros = r.i64()?;
            let days = r.i32()?;
            let months = r.i32()?;
            Ok(Value::Interval(Interval {
                months,
                days,
                micros,
            }))
        }),
        oid::INET | oid::CIDR => inet(b).map(|(inet, is_cidr)| {
            if is_cidr || type_oid == oid::CIDR {
                Value::Cidr(inet)
            } else {
                Value::Inet(inet)
            }
        }),
        oid::MACADDR => read(b, |r| r.array()).map(|m| Value::MacAddr(MacAddr(m))),
        oid::MACADDR8 => read(b, |r| r.array()).map(|m| Value::MacAddr8(MacAddr(m))),
        oid::BIT => bits(b).map(Value::Bit),
        oid::VARBIT => bits(b).map(Value::Varbit),
        oid::POINT => read(b, |r| r.point()).map(Value::Point),
        oid::LINE => read(b, |r| {
            Ok(Line {
                a: r.f64()?,
                b: r.f64()?,
                c: r.f64()?,
            })
        })
        .map(Value::Line),
        oid::LSEG => read(b, |r| {
            Ok(Lseg {
                start: r.point()?,
                end: r.point()?,
            })
        })
        .map(Value::Lseg),
        oid::BOX => read(b, |r| {
            Ok(PgBox {
                high: r.point()?,
                low: r.point()?,
            })
        })
        .map(Value::Box),
        oid::PATH => read(b, |r| {
            Ok(Path {
                closed: r.u8()? != 0,
                points: r.points()?,
            })
        })
        .map(Value::Path),
        oid::POLYGON => read(b, |r| {
            Ok(Polygon {
                points: r.points()?,
            })
        })
        .map(Value::Polygon),
        oid::CIRCLE => read(b, |r| {
            Ok(Circle {
                center: r.point()?,
                radius: r.f64()?,
            })
        })
        .map(Value::Circle),
        oid::PG_LSN => read(b, |r| r.u64()).map(|l| Value::PgLsn(PgLsn(l))),
        oid::TID => read(b, |r| {
            Ok(Tid {
                block: r.u32()?,
                offset: r.u16()?,
            })
        })
        .map(Value::Tid),
        _ => return None,
    })
}

/// The text after the version byte (1) of `jsonb` and `jsonpath`.
fn versioned(bytes: &Bytes) -> Result<Bytes, Reason> {
    match bytes.first() {
        Some(1) => Ok(bytes.slice(1..)),
        _ => Err("unknown format version"),
    }
}

fn date(days_since_2000: i32) -> Result<Date, Reason> {
    let date = Date(days_since_2000);
    if !date.is_finite() {
        return Ok(date);
    }
    days_since_2000
        .checked_add(PG_EPOCH_DAYS)
        .map(Date)
        .filter(|d| d.is_finite())
        .ok_or("date out of range")
}

/// `timestamp_send`: µs since 2000-01-01, as [`Timestamp`] holds them.
fn timestamp(micros_since_2000: i64) -> Result<Timestamp, Reason> {
    Ok(Timestamp(micros_since_2000))
}

/// `numeric_send`: digit count, weight, sign, display scale, then base-10000 digits.
fn numeric(b: &[u8]) -> Result<Numeric, Reason> {
    let mut r = Reader { bytes: b };
    let ndigits = usize::try_from(r.i16()?).map_err(|_| "negative digit count")?;
    let weight = i64::from(r.i16()?);
    let sign = r.u16()?;
    let dscale = usize::from(r.u16()?);
    let digits = (0..ndigits)
        .map(|_| r.i16())
        .collect::<Result<Vec<_>, _>>()?;
    r.done(())?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Ok(Numeric::NaN),
        0xD000 => return Ok(Numeric::Infinity),
        0xF000 => return Ok(Numeric::NegInfinity),
        _ => return Err("bad sign"),
    }
    if digits.iter().any(|d| !(0..10_000).contains(d)) || dscale > 0x3fff {
        return Err("bad digit");
    }
    let group = |i: i64| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut text = String::with_capacity(ndigits * 4 + dscale + 3);
    if sign == 0x4000 {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                text.push_str(&group(i).to_string());
            } else {
                text.push_str(&format!("{:04}", group(i)));
            }
        }
    }
    if dscale > 0 {
        text.push('.');
        let mut fraction = String::with_capacity(dscale + 4);
        let mut i = weight + 1;
        while fraction.len() < dscale {
            fraction.push_str(&format!("{:04}", group(i)));
            i += 1;
        }
        fraction.truncate(dscale);
        text.push_str(&fraction);
    }
    Numeric::parse(&Bytes::from(text))
}

/// `inet_send`: family, prefix bits, is-cidr flag, address length, address.
fn inet(b: &[u8]) -> Result<(Inet, bool), Reason> {
    read(b, |r| {
        let family = r.u8()?;
        let prefix = r.u8()?;
        let is_cidr = r.u8()? != 0;
        let len = r.u8()?;
        let addr = match (family, len) {
            (2, 4) => IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
            (3, 16) => IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
            _ => return Err("bad address family"),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err("prefix length too long");
        }
        Ok((Inet { addr, prefix }, is_cidr))
    })
}

/// `bit_send`: the bit count, then the bits.
fn bits(b: &[u8]) -> Result<BitString, Reason> {
    let mut r = Reader { bytes: b };
    let len = usize::try_from(r.i32()?).map_err(|_| "negative length")?;
    BitString::from_bytes(len, r.bytes.to_vec()).ok_or("wrong length")
}

/// `hstore_send`: the pair count, then each key and value as length and bytes (-1 for NULL).
fn hstore(bytes: &Bytes) -> Result<Value, Reason> {
    let mut r = Reader { bytes };
    let count = usize::try_from(r.i32()?).map_err(|_| "negative pair count")?;
    let mut pairs = Vec::with_capacity(count.min(r.bytes.len() / 8));
    let base = bytes.len();
    let text = |r: &mut Reader<'_>, len: i32| -> Result<PgText, Reason> {
        let len = usize::try_from(len).map_err(|_| "bad length")?;
        let start = base - r.bytes.len();
        r.take(len)?;
        utf8(&sub_bytes(bytes, start, start + len))
    };
    for _ in 0..count {
        let key_len = r.i32()?;
        let key = text(&mut r, key_len)?;
        let value_len = r.i32()?;
        let value = if value_len < 0 {
            None
        } else {
            Some(text(&mut r, value_len)?)
        };
        pairs.push((key, value));
    }
    r.done(Value::Hstore(Hstore(pairs)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn binary(oid: u32, bytes: &[u8]) -> Result<Value, ValueError> {
        parse_binary(&TypeCache::new(), oid, -1, Bytes::copy_from_slice(bytes))
    }

    fn shown(oid: u32, bytes: &[u8]) -> String {
        binary(oid, bytes).unwrap().to_string()
    }

    #[test]
    fn fixed_size_types() {
        assert_eq!(shown(oid::BOOL, &[1]), "t");
        assert_eq!(shown(oid::INT2, &(-2i16).to_be_bytes()), "-2");
        assert_eq!(shown(oid::INT4, &i32::MIN.to_be_bytes()), "-2147483648");
        assert_eq!(
            shown(oid::INT8, &i64::MAX.to_be_bytes()),
            "9223372036854775807"
        );
        assert_eq!(shown(oid::FLOAT8, &1.5f64.to_be_bytes()), "1.5");
        assert_eq!(shown(oid::FLOAT4, &f32::NAN.to_be_bytes()), "NaN");
        assert_eq!(shown(oid::DATE, &0i32.to_be_bytes()), "2000-01-01");
        assert_eq!(shown(oid::DATE, &i32::MAX.to_be_bytes()), "infinity");
        assert_eq!(
            shown(oid::TIMESTAMPTZ, &1_000_000i64.to_be_bytes()),
            "2000-01-01 00:00:01+00"
        );
        assert_eq!(shown(oid::TIMESTAMP, &i64::MIN.to_be_bytes()), "-infinity");
        assert_eq!(
            shown(oid::TIME, &86_400_000_000i64.to_be_bytes()),
            "24:00:00"
        );
        let mut timetz = 3_600_000_000i64.to_be_bytes().to_vec();
        timetz.extend((-19800i32).to_be_bytes());
        assert_eq!(shown(oid::TIMETZ, &timetz), "01:00:00+05:30");
        let mut interval = 7_200_000_000i64.to_be_bytes().to_vec();
        interval.extend((-1i32).to_be_bytes());
        interval.extend(14i32.to_be_bytes());
        assert_eq!(
            shown(oid::INTERVAL, &interval),
            "1 year 2 mons -1 days +02:00:00"
        );
        assert_eq!(shown(oid::MONEY, &(-100i64).to_be_bytes()), "-$1.00");
        assert_eq!(
            shown(oid::PG_LSN, &0x16_B374_D848u64.to_be_bytes()),
            "16/B374D848"
        );
        assert_eq!(shown(oid::TID, &[0, 0, 0, 0, 0, 1]), "(0,1)");
        assert_eq!(
            shown(oid::MACADDR, &[8, 0, 0x2b, 1, 2, 3]),
            "08:00:2b:01:02:03"
        );
        assert_eq!(shown(oid::INET, &[2, 24, 0, 4, 10, 0, 0, 1]), "10.0.0.1/24");
        assert_eq!(shown(oid::CIDR, &[2, 8, 1, 4, 10, 0, 0, 0]), "10.0.0.0/8");
        assert_eq!(shown(oid::VARBIT, &[0, 0, 0, 3, 0b1010_0000]), "101");
        assert!(binary(oid::INT4, &[0, 0, 1]).is_err());
        assert!(binary(oid::INT4, &[0, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn numerics() {
        // 12345.678 = digits [1, 2345, 6780], weight 1, scale 3.
        let mut b = Vec::new();
        for v in [3i16, 1, 0x4000u16 as i16, 3, 1, 2345, 6780] {
            b.extend(v.to_be_bytes());
        }
        assert_eq!(shown(oid::NUMERIC, &b), "-12345.678");
        // 0.0001 = digits [1], weight -1, scale 4.
        let mut b = Vec::new();
        for v in [1i16, -1, 0, 4, 1] {
            b.extend(v.to_be_bytes());
        }
        assert_eq!(shown(oid::NUMERIC, &b), "0.0001");
        // 10000 = digits [1], weight 1, scale 0.
        let mut b = Vec::new();
        for v in [1i16, 1, 0, 0, 1] {
            b.extend(v.to_be_bytes());
        }
        assert_eq!(shown(oid::NUMERIC, &b), "10000");
        let nan = [0u8, 0, 0, 0, 0xC0, 0, 0, 0];
        assert_eq!(shown(oid::NUMERIC, &nan), "NaN");
        let zero = [0u8, 0, 0, 0, 0, 0, 0, 2];
        assert_eq!(shown(oid::NUMERIC, &zero), "0.00");
    }

    #[test]
    fn text_like_and_unsupported() {
        assert_eq!(shown(oid::TEXT, "é".as_bytes()), "é");
        assert_eq!(shown(oid::JSONB, b"\x01{\"a\": 1}"), "{\"a\": 1}");
        assert!(binary(oid::JSONB, b"\x02{}").is_err());
        assert_eq!(shown(oid::BYTEA, b"\x00\xff"), "\\x00ff");
        let err = binary(1007, b"").unwrap_err();
        assert!(matches!(
            err,
            ValueError::BinaryUnsupported { type_oid: 1007, .. }
        ));
        assert!(err.to_string().contains("_int4"));
        assert!(matches!(
            binary(99999, b"x"),
            Err(ValueError::BinaryUnsupported { .. })
        ));
    }

    #[test]
    fn hstore_pairs() {
        let mut cache = TypeCache::new();
        cache.insert(crate::change::types::TypeInfo::new(
            16404,
            "public",
            "hstore",
            TypeKind::Base,
        ));
        let mut b = 2i32.to_be_bytes().to_vec();
        b.extend(1i32.to_be_bytes());
        b.extend(b"a");
        b.extend(1i32.to_be_bytes());
        b.extend(b"1");
        b.extend(1i32.to_be_bytes());
        b.extend(b"b");
        b.extend((-1i32).to_be_bytes());
        let v = parse_binary(&cache, 16404, -1, Bytes::from(b)).unwrap();
        assert_eq!(v.to_string(), r#""a"=>"1", "b"=>NULL"#);
    }
}
