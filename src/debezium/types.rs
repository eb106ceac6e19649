//! The Debezium mapping of PostgreSQL column types: each column's Connect schema and how its
//! values are converted ([`Conv`]).

use crate::change::types::{TypeCache, TypeInfo, TypeKind};

use super::config::{
    BinaryMode, DebeziumBugs, DebeziumConfig, DecimalMode, HstoreMode, IntervalMode,
    TimePrecisionMode,
};
use super::java_float::FloatText;
use super::schema::{Field, Schema, SchemaType};

/// How a column's values become JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Conv {
    /// `boolean` (also `bit(1)`).
    Bool,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64` (also `oid`).
    Int64,
    /// `float`, in the Java text given.
    Float32(FloatText),
    /// `double`, in the Java text given.
    Float64(FloatText),
    /// A string of the value's text (text types, enums, `json`, `uuid`, network types, ...).
    Text,
    /// The `name` type: always null in streaming, as Debezium writes it (with
    /// `pgcdc.debezium.bugs=fix`, `name` is [`Conv::Text`]).
    AlwaysNull,
    /// `bytea`, per `binary.handling.mode`.
    Binary(BinaryMode),
    /// Connect `Decimal` at a fixed scale (`numeric(p,s)`, `money`).
    Decimal {
        /// The scale.
        scale: u16,
    },
    /// `io.debezium.data.VariableScaleDecimal` (`numeric` without a scale).
    VariableScaleDecimal,
    /// `decimal.handling.mode=string`: the value's text, padded with zeros to `scale` decimals
    /// when it has fewer, as Debezium sets a `numeric(p,s)` column's scale on each value.
    DecimalString {
        /// The scale values are padded to: a `numeric(p,s)` column's scale as Debezium reads it
        /// from the type modifier (a negative scale, PostgreSQL 15 and later, read as the
        /// unsigned 11-bit field: `-2` as 2046), `None` for `money`, unconstrained `numeric`
        /// and, with `pgcdc.debezium.bugs=fix`, a negative scale.
        scale: Option<u16>,
    },
    /// `decimal.handling.mode=double`, in the Java text given.
    DecimalDouble(FloatText),
    /// Days since the epoch (`io.debezium.time.Date`, Connect `Date`), ±infinity as Debezium
    /// writes them.
    Date,
    /// As [`Conv::Date`], ±infinity as `i32::MAX` / `i32::MIN` (`pgcdc.debezium.bugs=fix`).
    DateFixed,
    /// µs since midnight (`io.debezium.time.MicroTime`).
    MicroTime,
    /// ms since midnight (`io.debezium.time.Time`, Connect `Time`).
    MilliTime,
    /// `io.debezium.time.ZonedTime`.
    ZonedTime,
    /// µs since the epoch (`io.debezium.time.MicroTimestamp`), ±infinity as Debezium writes
    /// them.
    MicroTimestamp,
    /// ms since the epoch (`io.debezium.time.Timestamp`, Connect `Timestamp`), ±infinity as
    /// Debezium writes them.
    MilliTimestamp,
    /// As [`Conv::MicroTimestamp`], ±infinity as `i64::MAX` / `i64::MIN`
    /// (`pgcdc.debezium.bugs=fix`).
    MicroTimestampFixed,
    /// As [`Conv::MilliTimestamp`], ±infinity as `i64::MAX` / `i64::MIN`
    /// (`pgcdc.debezium.bugs=fix`).
    MilliTimestampFixed,
    /// `io.debezium.time.ZonedTimestamp` with the fraction padded to `precision` digits.
    ZonedTimestamp {
        /// The column's fractional second digits.
        precision: u8,
    },
    /// `io.debezium.time.MicroDuration`.
    MicroDuration,
    /// `io.debezium.time.Interval` (ISO 8601 text).
    IntervalString,
    /// `io.debezium.data.geometry.Point`, its coordinates in the Java text given.
    Point(FloatText),
    /// `hstore` as a JSON string.
    HstoreJson,
    /// `hstore` as a map.
    HstoreMap,
    /// `io.debezium.data.Bits`: little-endian bytes.
    Bits,
    /// An array of elements converted by the inner conversion, the way [`ArrayElements`] says.
    Array(Box<Conv>, ArrayElements),
    /// A type Debezium does not know, kept with `include.unknown.datatypes=true`: its text as
    /// bytes.
    UnknownBytes,
}

/// How an array's elements are converted: Debezium reads array columns through the JDBC
/// driver's array path, which differs from its conversion of a single value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayElements {
    /// Each element as a single value of its type (`pgcdc.debezium.bugs=fix`).
    Exact,
    /// As Debezium writes them: the whole array null when a numeric element is NaN or
    /// ±infinity, `date` elements as its snapshot writes dates, `time` elements cut to
    /// milliseconds (and `24:00:00` to 0).
    Debezium,
    /// As [`ArrayElements::Debezium`], for an enum array: the whole array null when an element
    /// is NULL.
    DebeziumEnum,
}

/// A column's schema and conversion.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// How values are converted.
    pub conv: Conv,
    /// The schema (optional; the caller sets optionality and default).
    pub schema: Schema,
}

/// The mapping of a column of type `oid` with modifier `typmod`, or `None` for a type Debezium
/// leaves out (`include.unknown.datatypes=false`).
pub fn map_type(
    types: &TypeCache,
    oid: u32,
    typmod: i32,
    config: &DebeziumConfig,
) -> Option<Mapping> {
    let unknown = || {
        config.include_unknown_datatypes.then(|| Mapping {
            conv: Conv::UnknownBytes,
            schema: Schema::primitive("bytes", true),
        })
    };
    let Some(info) = types.resolve(oid) else {
        return unknown();
    };
    map_info(types, info, typmod, config).or_else(unknown)
}

fn simple(conv: Conv, kind: &'static str) -> Option<Mapping> {
    Some(Mapping {
        conv,
        schema: Schema::primitive(kind, true),
    })
}

fn named(conv: Conv, kind: &'static str, name: &str) -> Option<Mapping> {
    Some(Mapping {
        conv,
        schema: Schema::primitive(kind, true).named(name, Some(1)),
    })
}

/// The fractional second digits of a `time`/`timestamp` column (6 when unconstrained).
fn time_precision(typmod: i32) -> u8 {
    if (0..=6).contains(&typmod) {
        typmod as u8
    } else {
        6
    }
}

fn map_info(
    types: &TypeCache,
    info: &TypeInfo,
    typmod: i32,
    config: &DebeziumConfig,
) -> Option<Mapping> {
    match &info.kind {
        TypeKind::Enum { labels } => {
            let schema = Schema::primitive("string", true)
                .named("io.debezium.data.Enum", Some(1))
                .with_parameter("allowed", labels.join(","));
            return Some(Mapping {
                conv: Conv::Text,
                schema,
            });
        }
        TypeKind::Array { element_oid } => {
            let element = types.resolve(*element_oid)?;
            if element.name == "interval" {
                // Debezium has no mapping for interval arrays: the column is left out.
                return None;
            }
            let inner = map_info(types, element, typmod, config)?;
            let is_enum = matches!(element.kind, TypeKind::Enum { .. });
            let elements = match config.bugs {
                DebeziumBugs::Fix => ArrayElements::Exact,
                DebeziumBugs::Reproduce if is_enum => ArrayElements::DebeziumEnum,
                DebeziumBugs::Reproduce => ArrayElements::Debezium,
            };
            let items_optional = !is_enum;
            return Some(Mapping {
                conv: Conv::Array(Box::new(inner.conv), elements),
                schema: Schema::array(inner.schema.with_optional(items_optional), true),
            });
        }
        TypeKind::Range { .. } => return simple(Conv::Text, "string"),
        TypeKind::Base => {}
        _ => return None,
    }
    let adaptive = config.time_precision_mode != TimePrecisionMode::Connect;
    let fix = config.bugs == DebeziumBugs::Fix;
    let (date, micro_ts, milli_ts) = if fix {
        (
            Conv::DateFixed,
            Conv::MicroTimestampFixed,
            Conv::MilliTimestampFixed,
        )
    } else {
        (Conv::Date, Conv::MicroTimestamp, Conv::MilliTimestamp)
    };
    match info.name.as_str() {
        "bool" => simple(Conv::Bool, "boolean"),
        "int2" => simple(Conv::Int16, "int16"),
        "int4" => simple(Conv::Int32, "int32"),
        "int8" | "oid" => simple(Conv::Int64, "int64"),
        "float4" => simple(Conv::Float32(config.float_text), "float"),
        "float8" => simple(Conv::Float64(config.float_text), "double"),
        "numeric" => numeric(typmod, config),
        "money" => match config.decimal_mode {
            DecimalMode::Precise => Some(Mapping {
                conv: Conv::Decimal {
                    scale: u16::from(config.money_fraction_digits),
                },
                schema: decimal_schema(u32::from(config.money_fraction_digits), None),
            }),
            DecimalMode::String => simple(Conv::DecimalString { scale: None }, "string"),
            DecimalMode::Double => simple(Conv::DecimalDouble(config.float_text), "double"),
        },
        "text" | "varchar" | "bpchar" | "char" | "citext" | "inet" | "cidr" | "macaddr"
        | "macaddr8" => simple(Conv::Text, "string"),
        "name" if fix => simple(Conv::Text, "string"),
        "name" => simple(Conv::AlwaysNull, "string"),
        "bytea" => match config.binary_mode {
            BinaryMode::Bytes => simple(Conv::Binary(BinaryMode::Bytes), "bytes"),
            mode => simple(Conv::Binary(mode), "string"),
        },
        "date" if adaptive => named(date, "int32", "io.debezium.time.Date"),
        "date" => named(date, "int32", "org.apache.kafka.connect.data.Date"),
        "time" => match config.time_precision_mode {
            TimePrecisionMode::Connect => named(
                Conv::MilliTime,
                "int32",
                "org.apache.kafka.connect.data.Time",
            ),
            TimePrecisionMode::Adaptive if time_precision(typmod) <= 3 => {
                named(Conv::MilliTime, "int32", "io.debezium.time.Time")
            }
            _ => named(Conv::MicroTime, "int64", "io.debezium.time.MicroTime"),
        },
        "timetz" => named(Conv::ZonedTime, "string", "io.debezium.time.ZonedTime"),
        "timestamp" if !adaptive => {
            named(milli_ts, "int64", "org.apache.kafka.connect.data.Timestamp")
        }
        "timestamp" if time_precision(typmod) <= 3 => {
            named(milli_ts, "int64", "io.debezium.time.Timestamp")
        }
        "timestamp" => named(micro_ts, "int64", "io.debezium.time.MicroTimestamp"),
        "timestamptz" => named(
            Conv::ZonedTimestamp {
                precision: time_precision(typmod),
            },
            "string",
            "io.debezium.time.ZonedTimestamp",
        ),
        "interval" => match config.interval_mode {
            IntervalMode::Numeric => named(
                Conv::MicroDuration,
                "int64",
                "io.debezium.time.MicroDuration",
            ),
            IntervalMode::String => {
                named(Conv::IntervalString, "string", "io.debezium.time.Interval")
            }
        },
        "uuid" => named(Conv::Text, "string", "io.debezium.data.Uuid"),
        "json" | "jsonb" => named(Conv::Text, "string", "io.debezium.data.Json"),
        "xml" => named(Conv::Text, "string", "io.debezium.data.Xml"),
        "tsvector" => named(Conv::Text, "string", "io.debezium.data.Tsvector"),
        "ltree" => named(Conv::Text, "string", "io.debezium.data.Ltree"),
        "hstore" => match config.hstore_mode {
            HstoreMode::Json => named(Conv::HstoreJson, "string", "io.debezium.data.Json"),
            HstoreMode::Map => Some(Mapping {
                conv: Conv::HstoreMap,
                schema: Schema {
                    kind: SchemaType::Map(
                        Box::new(Schema::primitive("string", false)),
                        Box::new(Schema::primitive("string", true)),
                    ),
                    ..Schema::primitive("map", true)
                },
            }),
        },
        "bit" if typmod <= 1 => simple(Conv::Bool, "boolean"),
        "bit" | "varbit" => Some(Mapping {
            conv: Conv::Bits,
            schema: Schema::primitive("bytes", true)
                .named("io.debezium.data.Bits", Some(1))
                // An unbounded varbit has the length Integer.MAX_VALUE.
                .with_parameter(
                    "length",
                    if typmod < 0 { i32::MAX } else { typmod }.to_string(),
                ),
        }),
        "point" => Some(Mapping {
            conv: Conv::Point(config.float_text),
            schema: Schema::structure(
                vec![
                    Field::new("x", Schema::primitive("double", false)),
                    Field::new("y", Schema::primitive("double", false)),
                    Field::new("wkb", Schema::primitive("bytes", true)),
                    Field::new("srid", Schema::primitive("int32", true)),
                ],
                true,
            )
            .named("io.debezium.data.geometry.Point", Some(1))
            .with_doc("Geometry (POINT)"),
        }),
        _ => None,
    }
}

fn decimal_schema(scale: u32, precision: Option<u32>) -> Schema {
    let schema = Schema::primitive("bytes", true)
        .named("org.apache.kafka.connect.data.Decimal", Some(1))
        .with_parameter("scale", scale.to_string());
    match precision {
        Some(p) => schema.with_parameter("connect.decimal.precision", p.to_string()),
        None => schema,
    }
}

/// The precision and scale of `numeric(p,s)` from its type modifier, as Debezium reads them:
/// the scale is the low 16 bits, so a negative scale (stored in 11 bits) comes out as
/// `2048 + s`. `None` for unconstrained `numeric`.
fn numeric_typmod(typmod: i32) -> Option<(u16, u16)> {
    let bits = u32::try_from(typmod.checked_sub(4)?).ok()?;
    Some(((bits >> 16) as u16, bits as u16))
}

/// Whether a scale read by [`numeric_typmod`] is PostgreSQL's negative scale: its 11-bit field
/// has the sign bit set.
fn is_negative_scale(scale: u16) -> bool {
    scale & 0x400 != 0
}

/// `numeric(p,s)` from its type modifier, or unconstrained `numeric`.
fn numeric(typmod: i32, config: &DebeziumConfig) -> Option<Mapping> {
    let typmod = numeric_typmod(typmod);
    match config.decimal_mode {
        DecimalMode::String => {
            let scale = typmod.map(|(_, scale)| scale).filter(|&scale| {
                config.bugs == DebeziumBugs::Reproduce || !is_negative_scale(scale)
            });
            return simple(Conv::DecimalString { scale }, "string");
        }
        DecimalMode::Double => return simple(Conv::DecimalDouble(config.float_text), "double"),
        DecimalMode::Precise => {}
    }
    if let Some((precision, scale)) = typmod {
        return Some(Mapping {
            conv: Conv::Decimal { scale },
            schema: decimal_schema(u32::from(scale), Some(u32::from(precision))),
        });
    }
    Some(Mapping {
        conv: Conv::VariableScaleDecimal,
        schema: Schema::structure(
            vec![
                Field::new("scale", Schema::primitive("int32", false)),
                Field::new("value", Schema::primitive("bytes", false)),
            ],
            true,
        )
        .named("io.debezium.data.VariableScaleDecimal", Some(1))
        .with_doc("Variable scaled decimal"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::debezium::config::tests::props;

    fn conv(oid: u32, typmod: i32, bugs: &str) -> Conv {
        mapping(oid, typmod, &[("pgcdc.debezium.bugs", bugs)]).conv
    }

    fn mapping(oid: u32, typmod: i32, settings: &[(&str, &str)]) -> Mapping {
        let mut all = vec![("topic.prefix", "p"), ("database.dbname", "d")];
        all.extend_from_slice(settings);
        let config = DebeziumConfig::from_properties(&props(&all)).unwrap();
        map_type(&TypeCache::new(), oid, typmod, &config).unwrap()
    }

    /// The type modifier of `numeric(precision, scale)`, as PostgreSQL stores it.
    fn numeric_modifier(precision: i32, scale: i32) -> i32 {
        ((precision << 16) | (scale & 0x7ff)) + 4
    }

    #[test]
    fn numeric_scales_as_debezium_reads_them() {
        let string = |typmod, bugs| {
            let settings = [
                ("decimal.handling.mode", "string"),
                ("pgcdc.debezium.bugs", bugs),
            ];
            mapping(1700, typmod, &settings).conv
        };
        let scale = |scale| Conv::DecimalString { scale };
        assert_eq!(string(-1, "reproduce"), scale(None));
        assert_eq!(string(numeric_modifier(6, 2), "reproduce"), scale(Some(2)));
        assert_eq!(string(numeric_modifier(6, 2), "fix"), scale(Some(2)));
        assert_eq!(
            string(numeric_modifier(5, -2), "reproduce"),
            scale(Some(2046))
        );
        assert_eq!(string(numeric_modifier(5, -2), "fix"), scale(None));
        assert_eq!(
            string(numeric_modifier(1000, -1000), "reproduce"),
            scale(Some(1048))
        );
        assert_eq!(
            string(numeric_modifier(1000, 1000), "fix"),
            scale(Some(1000))
        );
        // The precise mode's schema carries the same scale, in both modes (the value is exact).
        for bugs in ["reproduce", "fix"] {
            let precise = mapping(
                1700,
                numeric_modifier(5, -2),
                &[("pgcdc.debezium.bugs", bugs)],
            );
            assert_eq!(precise.conv, Conv::Decimal { scale: 2046 });
        }
    }

    #[test]
    fn bugs_switch_picks_the_conversions() {
        // name (19), date (1082), timestamp (1114) and timestamp(3).
        assert_eq!(conv(19, -1, "reproduce"), Conv::AlwaysNull);
        assert_eq!(conv(19, -1, "fix"), Conv::Text);
        assert_eq!(conv(1082, -1, "reproduce"), Conv::Date);
        assert_eq!(conv(1082, -1, "fix"), Conv::DateFixed);
        assert_eq!(conv(1114, -1, "reproduce"), Conv::MicroTimestamp);
        assert_eq!(conv(1114, -1, "fix"), Conv::MicroTimestampFixed);
        assert_eq!(conv(1114, 3, "reproduce"), Conv::MilliTimestamp);
        assert_eq!(conv(1114, 3, "fix"), Conv::MilliTimestampFixed);
        // date[] (1182).
        let elements = |bugs| match conv(1182, -1, bugs) {
            Conv::Array(_, elements) => elements,
            other => panic!("{other:?}"),
        };
        assert_eq!(elements("reproduce"), ArrayElements::Debezium);
        assert_eq!(elements("fix"), ArrayElements::Exact);
    }

    #[test]
    fn java_version_picks_the_float_text() {
        let mapped = |oid, pairs: &[(&str, &str)]| {
            let mut all = vec![("topic.prefix", "p"), ("database.dbname", "d")];
            all.extend_from_slice(pairs);
            let config = DebeziumConfig::from_properties(&props(&all)).unwrap();
            map_type(&TypeCache::new(), oid, -1, &config).unwrap().conv
        };
        let java21 = [("pgcdc.debezium.java.version", "21")];
        // float4 (700), float8 (701), float4[] (1021), point (600), numeric (1700) as double.
        assert_eq!(mapped(700, &[]), Conv::Float32(FloatText::Java17));
        assert_eq!(mapped(700, &java21), Conv::Float32(FloatText::Shortest));
        assert_eq!(mapped(701, &java21), Conv::Float64(FloatText::Shortest));
        assert_eq!(
            mapped(1021, &java21),
            Conv::Array(
                Box::new(Conv::Float32(FloatText::Shortest)),
                ArrayElements::Debezium
            )
        );
        assert_eq!(mapped(600, &java21), Conv::Point(FloatText::Shortest));
        let double = [
            ("pgcdc.debezium.java.version", "19"),
            ("decimal.handling.mode", "double"),
        ];
        assert_eq!(
            mapped(1700, &double),
            Conv::DecimalDouble(FloatText::Shortest)
        );
    }
}
