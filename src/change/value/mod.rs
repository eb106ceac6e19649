//! PostgreSQL column values as typed Rust values.
//!
//! The replication source receives each column value in PostgreSQL's text output format (the
//! text `SELECT col::text` shows), sometimes in binary format. [`parse_text`] and
//! [`parse_binary`] turn it into a [`Value`], knowing the column's type through a
//! [`TypeCache`](crate::change::types::TypeCache): domains are parsed as their base type, array
//! elements, range bounds and multirange members as their own types, recursively. The model is
//! PostgreSQL's own; it knows nothing of the replication protocol or of any output format.
//!
//! The text is expected as the server prints it to a session with `DateStyle = ISO`,
//! `IntervalStyle = postgres`, `extra_float_digits` at its default (1), `bytea_output` either
//! way and `lc_monetary` `C` or `en_US`. Any `TimeZone` is fine: `timestamptz` text carries its
//! UTC offset, and values are stored in UTC.
//!
//! Text-like values keep the received buffer ([`PgText`], a checked slice of a [`Bytes`]);
//! integers, floats, dates and timestamps are parsed without allocating.
//!
//! # Types and their JSON form
//!
//! [`Value::to_json`] gives a canonical JSON form used where values are stored or written as
//! plain JSON. [`Value`]'s `Display` gives PostgreSQL's own text form back (as a session with the
//! settings above and `TimeZone = UTC` prints it), which PostgreSQL reads back as the same value.
//!
//! | PostgreSQL type | [`Value`] | JSON |
//! |---|---|---|
//! | `bool` | `Bool` | `true` / `false` |
//! | `int2`, `int4`, `int8` | `Int2`, `Int4`, `Int8` | number (`int8` too) |
//! | `oid`, `xid`, `cid`, `xid8` | `Oid`, `Xid`, `Cid`, `Xid8` | number |
//! | `float4`, `float8` | `Float4`, `Float8` | number; `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | `numeric` | `Numeric` ([`Numeric`]) | string with the exact digits and scale: `"1.50"`, `"NaN"`, `"Infinity"` |
//! | `money` | `Money` ([`Money`], minor units) | string without currency symbol or grouping: `"-1234.56"` |
//! | `text`, `varchar`, `bpchar`, `name`, `"char"`, `citext`, enums, `xml`, `jsonpath`, `tsvector`, `tsquery`, `reg*` and other textual built-ins | `Text` ([`PgText`]) | string |
//! | `json`, `jsonb` | `Json`, `Jsonb` (text as received, checked) | embedded JSON (a string of the text when `serde_json` cannot hold it: numbers beyond `f64`, nesting deeper than 128) |
//! | `bytea` | `Bytea` (decoded from `\x` hex or the escape format) | `"\\x0aff"` |
//! | `uuid` | `Uuid` | `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"` |
//! | `date` | `Date` (days since 1970-01-01) | `"2024-02-29"`; BC years astronomically, `"-0043-03-15"` for 44 BC; `"infinity"`, `"-infinity"` |
//! | `time` | `Time` (µs since midnight) | `"04:05:06.789"` (fraction without trailing zeros), `"24:00:00"` |
//! | `timetz` | `TimeTz` (µs, offset east in seconds) | `"04:05:06+05:30"`, `"12:00:00+00"` (PostgreSQL's text) |
//! | `timestamp` | `Timestamp` (µs since 2000-01-01, as PostgreSQL stores it) | `"2024-05-06T07:08:09.123456"` |
//! | `timestamptz` | `Timestamptz` (µs since 2000-01-01 UTC) | `"2024-05-06T07:08:09.123456Z"`; `"infinity"`, `"-infinity"`; PostgreSQL's whole range, `"294276-12-31T23:59:59.999999Z"` to `"-4713-11-24T00:00:00Z"` |
//! | `interval` | `Interval` (months, days, µs) | ISO 8601 as `IntervalStyle = iso_8601` prints it: `"P1Y2M3DT4H5M6.789S"`, `"P-1DT2H"`, `"PT0S"` |
//! | `inet`, `cidr` | `Inet`, `Cidr` ([`Inet`]) | `"192.168.0.1"`, `"10.0.0.0/8"` (PostgreSQL's text) |
//! | `macaddr`, `macaddr8` | `MacAddr`, `MacAddr8` | `"08:00:2b:01:02:03"` |
//! | `bit`, `varbit` | `Bit`, `Varbit` ([`BitString`]) | `"0101"` |
//! | `point` | `Point` | `{"x": 1, "y": 2}` |
//! | `line` | `Line` | `{"a": 1, "b": 2, "c": 3}` |
//! | `lseg`, `box` | `Lseg`, `Box` | `[point, point]` (a box upper right corner first) |
//! | `path` | `Path` | `{"closed": true, "points": [point, ...]}` |
//! | `polygon` | `Polygon` | `[point, ...]` |
//! | `circle` | `Circle` | `{"center": point, "radius": 3}` |
//! | `pg_lsn` | `PgLsn` | `"16/B374D848"` |
//! | `tid` | `Tid` | `"(0,1)"` |
//! | ranges | `Range` ([`Range`]) | `{"lower": v, "upper": v, "lower_inclusive": true, "upper_inclusive": false}`, `null` for an unbounded side; `{"empty": true}` |
//! | multiranges | `Multirange` | array of range objects |
//! | arrays | `Array` ([`Array`]) | nested JSON arrays following the dimensions (lower bounds are dropped), `null` elements |
//! | `hstore` | `Hstore` ([`Hstore`]) | object, `null` for NULL values |
//! | composites, pseudo-types, extension types not listed | `Unknown` (the text as received) | string of the text |
//!
//! Coordinates of geometric types are JSON numbers, or the strings above when not finite.

mod array;
mod binary;
mod bits;
mod bytea;
mod datetime;
mod error;
mod geometric;
mod hstore;
mod interval;
mod json;
mod network;
mod numeric;
mod parse;
#[cfg(test)]
mod proptests;
mod range;
mod scalar;
mod scan;
mod system;
mod text;
mod uuid;

use std::fmt;

use bytes::Bytes;

pub use array::{Array, ArrayDim, MAX_DIMENSIONS};
pub use binary::parse_binary;
pub use bits::BitString;
pub use datetime::{
    Date, PG_EPOCH_DAYS, PG_EPOCH_USECS, Time, TimeTz, Timestamp, USECS_PER_DAY, USECS_PER_SEC,
    civil_from_days, days_from_civil, format_timestamp_utc, is_leap_year,
};
pub use error::ValueError;
pub use geometric::{Circle, Line, Lseg, Path, PgBox, Point, Polygon};
pub use hstore::Hstore;
pub use interval::Interval;
pub use network::{Inet, MacAddr};
pub use numeric::{Money, Numeric};
pub use parse::parse_text;
pub use range::Range;
pub use system::{PgLsn, Tid};
pub use text::PgText;
pub use uuid::Uuid;

/// A non-NULL column value (a NULL column is the absence of a `Value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// `int2`.
    Int2(i16),
    /// `int4`.
    Int4(i32),
    /// `int8`.
    Int8(i64),
    /// `float4`.
    Float4(f32),
    /// `float8`.
    Float8(f64),
    /// `numeric`.
    Numeric(Numeric),
    /// `money`.
    Money(Money),
    /// Text-like types: `text`, `varchar`, `bpchar`, `name`, `"char"`, `citext`, enum labels,
    /// `xml`, `jsonpath`, `tsvector`, `tsquery`, the `reg*` types and other textual built-ins.
    Text(PgText),
    /// `json`: the text as received, checked to be JSON.
    Json(PgText),
    /// `jsonb`: the text as received (PostgreSQL's normalized form), checked to be JSON.
    Jsonb(PgText),
    /// `bytea`.
    Bytea(Bytes),
    /// `uuid`.
    Uuid(Uuid),
    /// `date`.
    Date(Date),
    /// `time`.
    Time(Time),
    /// `timetz`.
    TimeTz(TimeTz),
    /// `timestamp` (without time zone).
    Timestamp(Timestamp),
    /// `timestamptz`, in UTC.
    Timestamptz(Timestamp),
    /// `interval`.
    Interval(Interval),
    /// `inet`.
    Inet(Inet),
    /// `cidr`.
    Cidr(Inet),
    /// `macaddr`.
    MacAddr(MacAddr<6>),
    /// `macaddr8`.
    MacAddr8(MacAddr<8>),
    /// `bit(n)`.
    Bit(BitString),
    /// `varbit(n)`.
    Varbit(BitString),
    /// `point`.
    Point(Point),
    /// `line`.
    Line(Line),
    /// `lseg`.
    Lseg(Lseg),
    /// `box`.
    Box(PgBox),
    /// `path`.
    Path(Path),
    /// `polygon`.
    Polygon(Polygon),
    /// `circle`.
    Circle(Circle),
    /// `pg_lsn`.
    PgLsn(PgLsn),
    /// `oid`.
    Oid(u32),
    /// `xid`.
    Xid(u32),
    /// `xid8`.
    Xid8(u64),
    /// `cid`.
    Cid(u32),
    /// `tid`.
    Tid(Tid),
    /// A range type's value (built-in or user-defined).
    Range(Box<Range>),
    /// A multirange type's value.
    Multirange(Vec<Range>),
    /// An array of any element type.
    Array(Box<Array>),
    /// `hstore`.
    Hstore(Hstore),
    /// A value of a type without a typed form (composites, pseudo-types, extension types such
    /// as `ltree`), or of a type the cache does not know: the text as received, unchecked.
    Unknown {
        /// The column's type oid.
        type_oid: u32,
        /// The text as received.
        text: Bytes,
    },
}

impl Value {
    /// The text of a text-like value (`Text`, `Json`, `Jsonb`).
    pub fn as_text(&self) -> Option<&PgText> {
        match self {
            Value::Text(t) | Value::Json(t) | Value::Jsonb(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// PostgreSQL's text form (see the module documentation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => f.write_str(if *v { "t" } else { "f" }),
            Value::Int2(v) => write!(f, "{v}"),
            Value::Int4(v) => write!(f, "{v}"),
            Value::Int8(v) => write!(f, "{v}"),
            Value::Oid(v) | Value::Xid(v) | Value::Cid(v) => write!(f, "{v}"),
            Value::Xid8(v) => write!(f, "{v}"),
            Value::Float4(v) => scalar::write_float4(f, *v),
            Value::Float8(v) => scalar::write_float8(f, *v),
            Value::Numeric(v) => v.fmt(f),
            Value::Money(v) => v.fmt(f),
            Value::Text(t) | Value::Json(t) | Value::Jsonb(t) => f.write_str(t.as_str()),
            Value::Bytea(b) => bytea::write_bytea_hex(f, b),
            Value::Uuid(v) => v.fmt(f),
            Value::Date(v) => v.fmt(f),
            Value::Time(v) => v.fmt(f),
            Value::TimeTz(v) => v.fmt(f),
            Value::Timestamp(v) => v.write_pg(f, false),
            Value::Timestamptz(v) => v.write_pg(f, true),
            Value::Interval(v) => v.fmt(f),
            Value::Inet(v) => v.write_pg(f, false),
            Value::Cidr(v) => v.write_pg(f, true),
            Value::MacAddr(v) => v.fmt(f),
            Value::MacAddr8(v) => v.fmt(f),
            Value::Bit(v) | Value::Varbit(v) => v.fmt(f),
            Value::Point(v) => v.fmt(f),
            Value::Line(v) => v.fmt(f),
            Value::Lseg(v) => v.fmt(f),
            Value::Box(v) => v.fmt(f),
            Value::Path(v) => v.fmt(f),
            Value::Polygon(v) => v.fmt(f),
            Value::Circle(v) => v.fmt(f),
            Value::PgLsn(v) => v.fmt(f),
            Value::Tid(v) => v.fmt(f),
            Value::Range(v) => v.fmt(f),
            Value::Multirange(v) => range::write_multirange(f, v),
            Value::Array(v) => v.fmt(f),
            Value::Hstore(v) => v.fmt(f),
            Value::Unknown { text, .. } => f.write_str(&String::from_utf8_lossy(text)),
        }
    }
}
