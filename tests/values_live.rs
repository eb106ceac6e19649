//! The value model against a real server: on PostgreSQL 15 and 18, a table with a column of
//! every built-in type (and an enum, a domain over numeric, arrays of both, a user range, hstore
//! and citext) holds edge values. PostgreSQL prints each value (as a session prints it with the
//! type's output function, through `concat(col)` since `bool::text` is `true` where the output
//! function and logical decoding print `t`; and as logical decoding prints it); `parse_text` parses it, and the result is checked against what
//! PostgreSQL itself computes from the value: its text, `to_json`, epochs, scales, dimensions,
//! range flags. The built-in type table is checked against `pg_type`.
//!
//! psql's session defaults are the server's: `DateStyle = 'ISO, MDY'` (initdb's), `IntervalStyle
//! = postgres`, `extra_float_digits = 1` and the server's `TimeZone`, which these clusters set to
//! `America/St_Johns` (a half-hour offset, and offsets with seconds before 1935) so that nothing
//! passes by being UTC. Logical decoding runs with the same settings, as a walsender does.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use pgcdc::change::types::{TypeCache, TypeInfo, TypeKind};
use pgcdc::change::value::{Numeric, Range, Value, ValueError, parse_binary, parse_text};
use pgcdc::localpg::decoding::{PgoutputOptions, get_binary_changes};
use pgcdc_testkit::{PgVersion, TestCluster, config, start_with};
use pgoutput::{Decoder, Message, TupleData};
use serde_json::Value as Json;

/// What PostgreSQL computes from a value, to compare with the parsed [`Value`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fact {
    None,
    /// `date - '1970-01-01'`.
    EpochDays,
    /// `extract(epoch ...)` in microseconds (of a `time`).
    EpochMicros,
    /// Microseconds since 1970 of a timestamp, computed exactly (`extract(epoch ...)` of the last
    /// 30 years of the range loses digits, as they do not fit an `int8`).
    TimestampMicros,
    /// Local microseconds and `extract(timezone ...)`.
    TimeTzParts,
    /// Months, days and microseconds.
    IntervalParts,
    /// `scale(numeric)`.
    Scale,
    /// `money::numeric * 100`.
    MinorUnits,
    /// `encode(bytea, 'hex')`.
    ByteaHex,
    /// `family`, `masklen`, `host`.
    InetParts,
    /// `length(bit)`.
    BitLength,
    /// `array_dims`.
    ArrayDims,
    /// `isempty`, `lower_inc`, `upper_inc`, `lower_inf`, `upper_inf`.
    RangeFlags,
    /// The number of keys.
    HstoreKeys,
}

/// How the canonical JSON form relates to PostgreSQL's `to_json`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JsonRule {
    /// Equal JSON.
    Same,
    /// `to_json` prints a number (or a string for NaN and infinities); ours is a string of the
    /// same text.
    NumberAsString,
    /// Equal, except that `to_json` prints `+00:00` (TimeZone UTC) where ours prints `Z`.
    Utc,
    /// Equal for years AD; `to_json` prints BC years with a ` BC` suffix.
    SameUnlessBc,
    /// Different by design (money, intervals, geometry, ranges, xid8 ...).
    Differs,
}

struct Case {
    sql_type: &'static str,
    /// SQL expressions, one a row.
    values: Vec<String>,
    fact: Fact,
    json: JsonRule,
}

fn case(sql_type: &'static str, values: &[&str], fact: Fact, json: JsonRule) -> Case {
    Case {
        sql_type,
        values: values
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect(),
        fact,
        json,
    }
}

/// The cases for a server; `xml` needs a server built with libxml.
fn cases(major: u32, has_xml: bool) -> Vec<Case> {
    use Fact as F;
    use JsonRule as J;
    let mut intervals = vec![
        "1 year 2 mons 3 days 04:05:06.789",
        "-1 days +02:00:00",
        "0",
        "-00:00:00.000001",
        "178956970 years 7 months",
        "-2562047788:00:54.775807",
        "1 mon -1 day",
        "1 day -00:00:01",
        "100000 hours",
    ];
    if major >= 17 {
        intervals.extend(["infinity", "-infinity"]);
    }
    let mut list = vec![
        case("bool", &["true", "false"], F::None, J::Same),
        case("int2", &["-32768", "32767", "0"], F::None, J::Same),
        case("int4", &["-2147483648", "2147483647"], F::None, J::Same),
        case(
            "int8",
            &["-9223372036854775808", "9223372036854775807"],
            F::None,
            J::Same,
        ),
        case("oid", &["0", "4294967295"], F::None, J::Differs),
        case("xid", &["0", "4294967295"], F::None, J::Differs),
        case("cid", &["0", "4294967295"], F::None, J::Differs),
        case("xid8", &["0", "18446744073709551615"], F::None, J::Differs),
        case(
            "float4",
            &[
                "-3.4028235e+38",
                "1.4e-45",
                "NaN",
                "-Infinity",
                "-0",
                "1.1",
                "1e6",
                "123456",
                "0.0001",
            ],
            F::None,
            J::Same,
        ),
        case(
            "float8",
            &[
                "1.7976931348623157e+308",
                "5e-324",
                "NaN",
                "Infinity",
                "-0",
                "0.1",
                "1e15",
                "1e-5",
                "123456789012345",
                "-2.5e-300",
            ],
            F::None,
            J::Same,
        ),
        Case {
            sql_type: "numeric",
            values: [
                "'0'",
                "'-0.00'",
                "'123.4500'",
                "'NaN'",
                "'Infinity'",
                "'-Infinity'",
                "'-' || repeat('9', 60) || '.' || repeat('1', 30)",
                "'0.' || repeat('0', 1000) || '1'",
                "'170141183460469231731687303715884105727'",
                "'170141183460469231731687303715884105728'",
                "'-170141183460469231731687303715884105728'",
            ]
            .map(String::from)
            .to_vec(),
            fact: F::Scale,
            json: J::NumberAsString,
        },
        case(
            "money",
            &[
                "-92233720368547758.08",
                "92233720368547758.07",
                "0",
                "-1",
                "1234.56",
            ],
            F::MinorUnits,
            J::Differs,
        ),
        case(
            "text",
            &[
                "héllo ✓ 😀",
                "",
                "line1\nline2\ttab",
                r#""quoted" \ back"#,
                "NULL",
                " spaced ",
            ],
            F::None,
            J::Same,
        ),
        case("varchar(10)", &["abc", ""], F::None, J::Same),
        case("char(5)", &["ab", "é"], F::None, J::Same),
        case("name", &["a name"], F::None, J::Same),
        case("\"char\"", &["a"], F::None, J::Same),
        case("citext", &["MiXeD Case"], F::None, J::Same),
        case(
            "json",
            &[
                r#"{"b": 1, "a": [1, 2.50, null], "a": "dup"}"#,
                r#" "text" "#,
                "[]",
            ],
            F::None,
            J::Same,
        ),
        case(
            "jsonb",
            &[r#"{"b": 1, "a": [1, 2.50, null]}"#, r#""str""#, "null"],
            F::None,
            J::Same,
        ),
        case(
            "xml",
            &[r#"<a b="c">text &amp; more</a>"#],
            F::None,
            J::Same,
        ),
        case("jsonpath", &["$.a[*] ? (@ > 1)"], F::None, J::Same),
        case("tsvector", &["a fat cat 'sat on'"], F::None, J::Same),
        case("tsquery", &["fat & (cat | rat)"], F::None, J::Same),
        case("regclass", &["pg_class"], F::None, J::Same),
        case(
            "bytea",
            &[r"\x", r"\x00ff5c27", r"\x4142"],
            F::ByteaHex,
            J::Same,
        ),
        case(
            "uuid",
            &[
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "00000000-0000-0000-0000-000000000000",
            ],
            F::None,
            J::Same,
        ),
        case(
            "date",
            &[
                "2024-02-29",
                "0044-03-15 BC",
                "4714-11-24 BC",
                "5874897-12-31",
                "infinity",
                "-infinity",
                "1970-01-01",
                "0001-01-01",
                "0001-12-31 BC",
                "1900-02-28",
            ],
            F::EpochDays,
            J::SameUnlessBc,
        ),
        case(
            "time",
            &["00:00:00", "24:00:00", "23:59:59.999999", "04:05:06.78"],
            F::EpochMicros,
            J::Same,
        ),
        case("time(0)", &["04:05:06.78"], F::EpochMicros, J::Same),
        case(
            "timetz",
            &[
                "04:05:06.789+05:30",
                "00:00:00-15:59:59",
                "24:00:00+00",
                "12:00:00-03:30:52",
            ],
            F::TimeTzParts,
            J::Same,
        ),
        case(
            "timestamp",
            &[
                "2024-05-06 07:08:09.123456",
                "0044-03-15 10:00:00 BC",
                "4714-11-24 00:00:00 BC",
                "294247-01-10 04:00:54.775806",
                "294247-01-10 04:00:54.775807",
                "294276-12-31 23:59:59.999999",
                "infinity",
                "-infinity",
                "2000-02-29 23:59:59.5",
                "1969-12-31 23:59:59.999999",
            ],
            F::TimestampMicros,
            J::SameUnlessBc,
        ),
        case(
            "timestamp(0)",
            &["2024-05-06 07:08:09.6"],
            F::TimestampMicros,
            J::Same,
        ),
        case(
            "timestamptz",
            &[
                "2024-05-06 07:08:09.123456+00",
                "1800-01-01 00:00:00+00",
                "0044-03-15 10:00:00+00 BC",
                "4714-11-24 00:00:00+00 BC",
                "294276-12-31 23:59:59.999999+00",
                "294277-01-01 04:59:59.999999+05",
                "infinity",
                "-infinity",
                "2024-03-31 02:30:00+05:30:15",
                "1935-03-30 00:00:00+00",
            ],
            F::TimestampMicros,
            J::Utc,
        ),
        case("interval", &intervals, F::IntervalParts, J::Differs),
        case(
            "interval hour to minute",
            &["1 day 02:03:04"],
            F::IntervalParts,
            J::Differs,
        ),
        case(
            "inet",
            &[
                "192.168.0.1",
                "192.168.0.1/24",
                "::1",
                "::ffff:1.2.3.4",
                "2001:db8::1:0:0:1/64",
                "::1.2.3.4",
                "1:0:2:0:0:3:0:4",
            ],
            F::InetParts,
            J::Same,
        ),
        case(
            "cidr",
            &["10.0.0.0/8", "0.0.0.0/0", "fe80::/64", "2001:db8::/32"],
            F::InetParts,
            J::Same,
        ),
        case("macaddr", &["08:00:2b:01:02:03"], F::None, J::Same),
        case(
            "macaddr8",
            &["08:00:2b:01:02:03:04:05", "08:00:2b:01:02:03"],
            F::None,
            J::Same,
        ),
        case("bit(4)", &["0101"], F::BitLength, J::Same),
        case("varbit", &["", "101000001"], F::BitLength, J::Same),
        case(
            "point",
            &["(1,2)", "(-1.5,1e+100)", "(NaN,Infinity)"],
            F::None,
            J::Differs,
        ),
        case("line", &["{1,2,3}"], F::None, J::Differs),
        case("lseg", &["[(1,2),(3,4)]"], F::None, J::Differs),
        case("box", &["(1,2),(3,4)"], F::None, J::Differs),
        case(
            "path",
            &["[(1,2),(3,4)]", "((0,0),(1,1),(2,0))"],
            F::None,
            J::Differs,
        ),
        case("polygon", &["((0,0),(1,1),(2,0))"], F::None, J::Differs),
        case("circle", &["<(1,2),3>"], F::None, J::Differs),
        case(
            "pg_lsn",
            &["16/B374D848", "0/0", "FFFFFFFF/FFFFFFFF"],
            F::None,
            J::Same,
        ),
        case("tid", &["(0,1)", "(4294967295,65535)"], F::None, J::Same),
        case("mood", &["sad", "très heureux"], F::None, J::Same),
        case(
            "mood[]",
            &[r#"{sad,NULL,"très heureux"}"#, "{}"],
            F::ArrayDims,
            J::Same,
        ),
        case("price", &["12.50", "0"], F::Scale, J::NumberAsString),
        case("price[]", &["{1.5,NULL}"], F::ArrayDims, J::Differs),
        case(
            "hstore",
            &[r#""a"=>"1", "b"=>NULL, "é q"=>"x\"y\\z", ""=>"""#, ""],
            F::HstoreKeys,
            J::Same,
        ),
        case(
            "int4[]",
            &[
                "{}",
                "{1,NULL,3}",
                "{{1,2},{3,4}}",
                "[2:3]={1,2}",
                "[0:1][-1:0]={{1,2},{3,4}}",
            ],
            F::ArrayDims,
            J::Same,
        ),
        case(
            "text[]",
            &[
                r#"{"a b","",NULL,"NULL","q\"\\",é,"{x}"," "}"#,
                r#"{{"a,b",c},{d,"e}"}}"#,
            ],
            F::ArrayDims,
            J::Same,
        ),
        case(
            "numeric[]",
            &["{1.50,NaN,-Infinity}"],
            F::ArrayDims,
            J::Differs,
        ),
        case(
            "timestamptz[]",
            &[r#"{"2024-05-06 07:08:09+00",infinity}"#],
            F::ArrayDims,
            J::Differs,
        ),
        case(
            "box[]",
            &["{(1,2),(3,4);(5,6),(7,8)}"],
            F::ArrayDims,
            J::Differs,
        ),
        case("bytea[]", &[r#"{"\\x00ff","\\x"}"#], F::ArrayDims, J::Same),
        case(
            "jsonb[]",
            &[r#"{"{\"a\": 1}",null,"null"}"#],
            F::ArrayDims,
            J::Same,
        ),
        case(
            "int4range",
            &["[1,10)", "empty", "(,5]", "(,)"],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "int8range",
            &["[-9223372036854775808,9223372036854775807)"],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "numrange",
            &["(1.5,2.5]", "(1.5,NaN]"],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "tsrange",
            &[
                r#"["2024-01-01 00:00","2024-02-01 00:00")"#,
                "[-infinity,infinity]",
            ],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "tstzrange",
            &[r#"["2024-01-01 00:00+00",)"#],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "daterange",
            &["[2024-01-01,2024-02-01)", "[2024-01-01,2024-01-01]"],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "floatrange",
            &["[1.5,2.5)", "(,-Infinity]"],
            F::RangeFlags,
            J::Differs,
        ),
        case(
            "int4multirange",
            &["{[1,3),[5,7)}", "{}"],
            F::None,
            J::Differs,
        ),
        case(
            "datemultirange",
            &["{[2024-01-01,2024-02-01)}"],
            F::None,
            J::Differs,
        ),
        case("nummultirange", &["{(,1.5],[2,3)}"], F::None, J::Differs),
        case(
            "tstzmultirange",
            &[r#"{["2024-01-01 00:00+00","2024-02-01 00:00+00")}"#],
            F::None,
            J::Differs,
        ),
        case(
            "int4range[]",
            &[r#"{"[1,3)",empty}"#],
            F::ArrayDims,
            J::Differs,
        ),
    ];
    if !has_xml {
        list.retain(|c| c.sql_type != "xml");
    }
    list.iter_mut().for_each(|c| {
        if c.sql_type == "bytea" {
            c.values.push("'\\x' || repeat('ab', 3000)".to_owned());
        }
    });
    list
}

const SCHEMA: &str = "
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'très heureux');
CREATE DOMAIN price AS numeric(12,2) CHECK (VALUE >= 0);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE PUBLICATION pub FOR ALL TABLES;
SELECT pg_create_logical_replication_slot('s_text', 'pgoutput');
SELECT pg_create_logical_replication_slot('s_binary', 'pgoutput');
";

fn start(version: PgVersion) -> TestCluster {
    start_with(config(version).setting("timezone", "America/St_Johns"))
}

fn hex(text: &str) -> String {
    format!("encode(convert_to({text}, 'UTF8'), 'hex')")
}

fn unhex(hex: &str) -> Bytes {
    assert!(hex.len() % 2 == 0, "odd hex {hex:?}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>()
        .into()
}

fn unhex_str(hex: &str) -> String {
    String::from_utf8(unhex(hex).to_vec()).unwrap()
}

/// Creates the table (`c<i>` of `cases[i].sql_type`, row `r` holding value `r` of each case).
fn create_table(pg: &TestCluster, cases: &[Case]) {
    let columns: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| format!("c{i} {}", c.sql_type))
        .collect();
    let mut sql = format!(
        "CREATE TABLE every_type (id int PRIMARY KEY, {});\n",
        columns.join(", ")
    );
    let rows = cases.iter().map(|c| c.values.len()).max().unwrap();
    for row in 0..rows {
        let values: Vec<String> = cases
            .iter()
            .map(|c| match c.values.get(row) {
                Some(v) => format!("({v})::{}", c.sql_type),
                None => "NULL".to_owned(),
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO every_type VALUES ({row}, {});\n",
            values.join(", ")
        ));
    }
    pg.psql("postgres", &sql).unwrap();
}

/// Loads every user type, as the replication source does from the catalog.
fn load_user_types(pg: &TestCluster, cache: &mut TypeCache) {
    let out = pg
        .psql(
            "postgres",
            "SELECT t.oid, n.nspname, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype,
                    t.typarray, t.typdelim,
                    coalesce((SELECT rngsubtype FROM pg_range WHERE rngtypid = t.oid), 0),
                    coalesce((SELECT rngtypid FROM pg_range WHERE rngmultitypid = t.oid), 0),
                    coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
                                FROM pg_enum WHERE enumtypid = t.oid), '')
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE t.oid >= 16384",
        )
        .unwrap();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        let num = |i: usize| f[i].parse::<u32>().unwrap();
        let kind = match f[3] {
            "e" => TypeKind::Enum {
                labels: f[11].split(',').map(str::to_owned).collect(),
            },
            "d" => TypeKind::Domain { base_oid: num(6) },
            "r" => TypeKind::Range {
                subtype_oid: num(9),
            },
            "m" => TypeKind::Multirange { range_oid: num(10) },
            "c" => TypeKind::Composite,
            "p" => TypeKind::Pseudo,
            _ if num(5) != 0 && f[4] == "A" => TypeKind::Array {
                element_oid: num(5),
            },
            _ => TypeKind::Base,
        };
        cache.insert(
            TypeInfo::new(num(0), f[1], f[2], kind)
                .with_array(num(7))
                .with_delimiter(f[8].as_bytes()[0]),
        );
    }
}

/// The type oid and modifier of each `c<i>` column.
fn column_types(pg: &TestCluster) -> Vec<(u32, i32)> {
    let out = pg
        .psql(
            "postgres",
            "SELECT atttypid, atttypmod FROM pg_attribute
              WHERE attrelid = 'every_type'::regclass AND attnum > 1 ORDER BY attnum",
        )
        .unwrap();
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (oid, typmod) = l.split_once('|').unwrap();
            (oid.parse().unwrap(), typmod.parse().unwrap())
        })
        .collect()
}

fn fact_sql(fact: Fact, c: &str) -> String {
    match fact {
        Fact::None => "''".to_owned(),
        Fact::EpochDays => {
            format!(
                "CASE WHEN isfinite({c}) THEN ({c} - date '1970-01-01')::text ELSE {c}::text END"
            )
        }
        Fact::EpochMicros => format!("(extract(epoch FROM {c}) * 1000000)::bigint::text"),
        Fact::TimestampMicros => format!(
            "CASE WHEN {c}::text LIKE '%infinity' THEN {c}::text
                  ELSE (({c}::date - date '1970-01-01')::numeric * 86400000000
                        + (extract(epoch FROM {c}::time) * 1000000)::bigint)::text END"
        ),
        Fact::TimeTzParts => format!(
            "(extract(epoch FROM {c}::time) * 1000000)::bigint || ' ' || extract(timezone FROM {c})"
        ),
        Fact::IntervalParts => format!(
            "CASE WHEN isfinite({c}) THEN (extract(year FROM {c}) * 12 + extract(month FROM {c}))
                  || ' ' || extract(day FROM {c}) || ' ' || (extract(hour FROM {c}) * 3600000000
                  + extract(minute FROM {c}) * 60000000 + extract(microseconds FROM {c}))::bigint
                  ELSE {c}::text END"
        ),
        Fact::Scale => format!("coalesce(scale({c})::text, 'none')"),
        Fact::MinorUnits => format!("({c}::numeric * 100)::bigint::text"),
        Fact::ByteaHex => format!("encode({c}, 'hex')"),
        Fact::InetParts => format!("family({c}) || ' ' || masklen({c}) || ' ' || host({c})"),
        Fact::BitLength => format!("length({c})::text"),
        Fact::ArrayDims => format!("coalesce(array_dims({c}), '')"),
        Fact::RangeFlags => format!(
            "concat_ws(' ', isempty({c}), lower_inc({c}), upper_inc({c}), lower_inf({c}), upper_inf({c}))"
        ),
        Fact::HstoreKeys => format!("coalesce(array_length(akeys({c}), 1), 0)::text"),
    }
}

fn fact_of(fact: Fact, value: &Value) -> String {
    let b = |v: bool| if v { "t" } else { "f" };
    match (fact, value) {
        (Fact::None, _) => String::new(),
        (Fact::EpochDays, Value::Date(d)) => match d.days() {
            Some(days) => days.to_string(),
            None => value.to_string(),
        },
        (Fact::TimestampMicros, Value::Timestamp(t) | Value::Timestamptz(t)) => {
            match t.unix_micros() {
                Some(micros) => micros.to_string(),
                None => value.to_string().replace("+00", ""),
            }
        }
        (Fact::EpochMicros, Value::Time(t)) => t.0.to_string(),
        (Fact::TimeTzParts, Value::TimeTz(t)) => format!("{} {}", t.micros, t.offset_seconds),
        (Fact::IntervalParts, Value::Interval(i)) if i.is_finite() => {
            format!("{} {} {}", i.months, i.days, i.micros)
        }
        (Fact::IntervalParts, Value::Interval(_)) => value.to_string(),
        (Fact::Scale, Value::Numeric(n)) => n.scale().map_or("none".to_owned(), |s| s.to_string()),
        (Fact::MinorUnits, Value::Money(m)) => {
            assert_eq!(m.frac_digits, 2);
            m.minor_units.to_string()
        }
        (Fact::ByteaHex, Value::Bytea(bytes)) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        (Fact::InetParts, Value::Inet(i) | Value::Cidr(i)) => {
            let family = if i.addr.is_ipv4() { 4 } else { 6 };
            format!("{family} {} {}", i.prefix, i.addr)
        }
        (Fact::BitLength, Value::Bit(bits) | Value::Varbit(bits)) => bits.len.to_string(),
        (Fact::ArrayDims, Value::Array(a)) => a
            .dims
            .iter()
            .map(|d| {
                format!(
                    "[{}:{}]",
                    d.lower_bound,
                    i64::from(d.lower_bound) + d.len as i64 - 1
                )
            })
            .collect(),
        (Fact::RangeFlags, Value::Range(r)) => match &**r {
            Range::Empty => "t f f f f".to_owned(),
            Range::Bounds { lower, upper } => format!(
                "f {} {} {} {}",
                b(matches!(lower, Bound::Included(_))),
                b(matches!(upper, Bound::Included(_))),
                b(matches!(lower, Bound::Unbounded)),
                b(matches!(upper, Bound::Unbounded)),
            ),
        },
        (Fact::HstoreKeys, Value::Hstore(h)) => h.0.len().to_string(),
        (fact, value) => panic!("fact {fact:?} does not apply to {value:?}"),
    }
}

/// PostgreSQL's `host()` text of an address is ours except for IPv6 forms Rust prints
/// differently; compare through parsing.
fn same_fact(fact: Fact, expected: &str, ours: &str) -> bool {
    if fact == Fact::InetParts {
        let parse = |s: &str| {
            let mut parts = s.splitn(3, ' ');
            let family = parts.next().unwrap().to_owned();
            let prefix = parts.next().unwrap().to_owned();
            let addr: std::net::IpAddr = parts.next().unwrap().parse().unwrap();
            (family, prefix, addr)
        };
        return parse(expected) == parse(ours);
    }
    expected == ours
}

/// Our JSON against PostgreSQL's JSON text. A float is compared through Rust's exact parsing
/// (`serde_json`'s default float parsing can be off by one unit in the last place).
fn assert_json_eq(ours: &Json, pg_json: &str, context: &str) {
    if let (Some(ours), Ok(theirs)) = (
        ours.as_f64().filter(|_| ours.is_f64()),
        pg_json.parse::<f64>(),
    ) {
        assert_eq!(
            ours.to_bits(),
            theirs.to_bits(),
            "{context}: to_json {pg_json}"
        );
        return;
    }
    let theirs: Json = serde_json::from_str(pg_json).unwrap();
    assert_eq!(*ours, theirs, "{context}: to_json");
}

fn check_json(rule: JsonRule, value: &Value, pg_json: &str, context: &str) {
    let ours = value.to_json();
    match rule {
        JsonRule::Same => assert_json_eq(&ours, pg_json, context),
        JsonRule::SameUnlessBc => {
            if !pg_json.ends_with(" BC\"") {
                assert_json_eq(&ours, pg_json, context);
            }
        }
        JsonRule::Utc => {
            if !pg_json.ends_with(" BC\"") {
                let theirs = pg_json.replace("+00:00\"", "Z\"");
                assert_eq!(
                    ours,
                    serde_json::from_str::<Json>(&theirs).unwrap(),
                    "{context}: to_json"
                );
            }
        }
        JsonRule::NumberAsString => {
            let text = pg_json.trim_matches('"');
            assert_eq!(ours, Json::String(text.to_owned()), "{context}: to_json");
        }
        JsonRule::Differs => {}
    }
}

/// Every value as a session prints it: `(column, row) -> (text, to_json text, fact)`.
type Printed = BTreeMap<(usize, usize), (Bytes, String, String)>;

fn print_all(pg: &TestCluster, cases: &[Case], settings: &str) -> Printed {
    let selects: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let col = format!("c{i}");
            format!(
                "SELECT {i}, id, {}, {}, {} FROM every_type WHERE {col} IS NOT NULL",
                hex(&format!("concat({col})")),
                hex(&format!("to_json({col})::text")),
                hex(&fact_sql(c.fact, &col)),
            )
        })
        .collect();
    let sql = format!("{settings}\n{};", selects.join("\nUNION ALL "));
    let out = pg.psql("postgres", &sql).unwrap();
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            let key = (f[0].parse().unwrap(), f[1].parse().unwrap());
            (key, (unhex(f[2]), unhex_str(f[3]), unhex_str(f[4])))
        })
        .collect()
}

fn parse(cache: &TypeCache, (oid, typmod): (u32, i32), text: &Bytes, context: &str) -> Value {
    parse_text(cache, oid, typmod, text.clone()).unwrap_or_else(|e| panic!("{context}: {e}"))
}

const SESSION_UTC: &str =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres';";

pgcdc_testkit::pg_test! {
    fn built_in_types_match_pg_type(version: PgVersion) {
        let pg = start(version);
        let out = pg.psql("postgres", "
            SELECT t.oid, t.typname, t.typtype, t.typelem, t.typarray, t.typdelim,
                   coalesce(r.rngsubtype, 0), coalesce(m.rngtypid, 0)
              FROM pg_type t
              LEFT JOIN pg_range r ON r.rngtypid = t.oid
              LEFT JOIN pg_range m ON m.rngmultitypid = t.oid
             WHERE t.typnamespace = 'pg_catalog'::regnamespace AND t.oid < 10000 AND t.typrelid = 0
               AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)
             ORDER BY t.oid").unwrap();
        let cache = TypeCache::new();
        let mut count = 0;
        for line in out.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split('|').collect();
            let num = |i: usize| f[i].parse::<u32>().unwrap();
            let oid = num(0);
            let info = cache.get(oid).unwrap_or_else(|| panic!("{line}: missing"));
            assert!(TypeCache::is_builtin(oid), "{line}");
            assert_eq!(info.name, f[1], "{line}");
            assert_eq!(info.namespace, "pg_catalog", "{line}");
            assert_eq!(info.array_oid, num(4), "{line}: array type");
            assert_eq!(info.delimiter, f[5].as_bytes()[0], "{line}: delimiter");
            let expected = match f[2] {
                _ if f[1].starts_with('_') && num(3) != 0 => TypeKind::Array { element_oid: num(3) },
                "b" => TypeKind::Base,
                "p" => TypeKind::Pseudo,
                "r" => TypeKind::Range { subtype_oid: num(6) },
                "m" => TypeKind::Multirange { range_oid: num(7) },
                other => panic!("{line}: unexpected typtype {other}"),
            };
            assert_eq!(info.kind, expected, "{line}");
            count += 1;
        }
        assert_eq!(count, cache.len(), "the cache holds exactly the built-in types");
    }
}

pgcdc_testkit::pg_test! {
    fn every_type_parses_as_postgresql_computes(version: PgVersion) {
        let pg = start(version);
        let has_xml = pg.psql("postgres", "SELECT '<a/>'::xml").is_ok();
        let cases = cases(version.major(), has_xml);
        pg.psql("postgres", SCHEMA).unwrap();
        create_table(&pg, &cases);
        let mut cache = TypeCache::new();
        load_user_types(&pg, &mut cache);
        let types = column_types(&pg);
        assert_eq!(types.len(), cases.len());

        // The defaults of a session (and of a walsender) are as documented above.
        let defaults = pg.psql("postgres", "SHOW DateStyle; SHOW IntervalStyle; SHOW TimeZone; SHOW extra_float_digits; SHOW lc_monetary").unwrap();
        assert_eq!(defaults.lines().collect::<Vec<_>>(), ["ISO, MDY", "postgres", "America/St_Johns", "1", "C"]);

        // 1. Text, to_json and facts, as a UTC session prints them.
        let utc = print_all(&pg, &cases, SESSION_UTC);
        let mut values = BTreeMap::new();
        for (&(col, row), (text, pg_json, fact)) in &utc {
            let case = &cases[col];
            let context = format!("{} row {row} {:?}", case.sql_type, String::from_utf8_lossy(text));
            let value = parse(&cache, types[col], text, &context);
            assert!(!matches!(value, Value::Unknown { .. }), "{context}: parsed as unknown");
            assert_eq!(value.to_string().as_bytes(), &text[..], "{context}: Display");
            let ours = fact_of(case.fact, &value);
            assert!(same_fact(case.fact, fact, &ours), "{context}: PostgreSQL computes {fact:?}, the value gives {ours:?}");
            check_json(case.json, &value, pg_json, &context);
            values.insert((col, row), value);
        }
        let expected_values: usize = cases.iter().map(|c| c.values.len()).sum();
        assert_eq!(values.len(), expected_values);

        // 2. Another time zone and the escape format of bytea: the same values.
        let elsewhere = print_all(&pg, &cases, "SET TimeZone = 'Asia/Kolkata'; SET bytea_output = 'escape';");
        for (&(col, row), (text, _, _)) in &elsewhere {
            let context = format!("{} row {row} in Asia/Kolkata {:?}", cases[col].sql_type, String::from_utf8_lossy(text));
            let value = parse(&cache, types[col], text, &context);
            assert_eq!(value.to_string(), values[&(col, row)].to_string(), "{context}");
        }

        // 3. Intervals: the JSON form is what IntervalStyle iso_8601 prints.
        let iso = print_all(&pg, &cases, "SET IntervalStyle = 'iso_8601';");
        for (&(col, row), (text, _, _)) in &iso {
            if cases[col].sql_type.starts_with("interval") {
                let json = values[&(col, row)].to_json();
                assert_eq!(json.as_str().unwrap().as_bytes(), &text[..], "{} row {row}", cases[col].sql_type);
            }
        }

        // 4. Logical decoding, text and binary format.
        let mut binary_supported = 0;
        for (slot, binary) in [("s_text", false), ("s_binary", true)] {
            let options = PgoutputOptions { binary, ..PgoutputOptions::new(1, "pub") };
            let messages = get_binary_changes(&pg, "postgres", slot, &options).unwrap();
            let mut decoder = Decoder::new();
            let mut relation_types = Vec::new();
            let mut rows = 0;
            for (lsn, data) in messages {
                match decoder.decode(data).unwrap_or_else(|e| panic!("{lsn}: {e}")) {
                    Message::Relation(r) => {
                        relation_types = r.columns.iter().map(|c| (c.type_oid, c.type_modifier)).collect();
                    }
                    Message::Insert(insert) => {
                        rows += 1;
                        let columns: Vec<TupleData> = insert.new.iter().collect();
                        let row = match parse_any(&cache, relation_types[0], &columns[0], "id") {
                            Ok(Value::Int4(id)) => id as usize,
                            other => panic!("id: {other:?}"),
                        };
                        for (col, data) in columns.iter().enumerate().skip(1) {
                            let key = (col - 1, row);
                            let context = format!("{slot}: {} row {row}", cases[col - 1].sql_type);
                            assert_eq!(relation_types[col], types[col - 1], "{context}: column type");
                            let Some(expected) = values.get(&key) else {
                                assert_eq!(*data, TupleData::Null, "{context}");
                                continue;
                            };
                            match parse_any(&cache, relation_types[col], data, &context) {
                                Ok(value) => {
                                    assert_eq!(value.to_string(), expected.to_string(), "{context}");
                                    if binary {
                                        binary_supported += 1;
                                    }
                                }
                                Err(ValueError::BinaryUnsupported { .. }) if binary => {}
                                Err(e) => panic!("{context}: {e}"),
                            }
                        }
                    }
                    _ => {}
                }
            }
            assert_eq!(rows, cases.iter().map(|c| c.values.len()).max().unwrap(), "{slot}: rows");
        }
        eprintln!("{} columns, {expected_values} values; {binary_supported} decoded from binary", cases.len());
        assert!(binary_supported > expected_values / 2, "only {binary_supported} values decoded from binary");
    }
}

fn parse_any(
    cache: &TypeCache,
    (oid, typmod): (u32, i32),
    data: &TupleData,
    context: &str,
) -> Result<Value, ValueError> {
    match data {
        TupleData::Text(text) => parse_text(cache, oid, typmod, text.clone()),
        TupleData::Binary(bytes) => parse_binary(cache, oid, typmod, bytes.clone()),
        other => panic!("{context}: unexpected {other:?}"),
    }
}

pgcdc_testkit::pg_test! {
    fn numeric_digits_match_postgresql(version: PgVersion) {
        // The unscaled digits and the sign, as PostgreSQL computes them, for values around the
        // i128 boundary.
        let pg = start(version);
        let out = pg.psql("postgres", "
            SELECT v::text, trim(leading '0' from replace(replace(abs(v)::text, '.', ''), '-', '')),
                   sign(v)::int
              FROM unnest(ARRAY['0.5', '-12.340', '170141183460469231731687303715884105727',
                                '-170141183460469231731687303715884105729',
                                '99999999999999999999999999999999999999.9']::numeric[]) v").unwrap();
        let cache = TypeCache::new();
        for line in out.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split('|').collect();
            let value = parse_text(&cache, 1700, -1, Bytes::copy_from_slice(f[0].as_bytes())).unwrap();
            let Value::Numeric(n) = value else { panic!("{line}") };
            assert_eq!(n.unscaled_digits().unwrap(), f[1], "{line}");
            assert_eq!(n.is_negative(), f[2] == "-1", "{line}");
            let sign = if f[2] == "-1" { "-" } else { "" };
            let fits = format!("{sign}{}", f[1]).parse::<i128>().is_ok();
            assert_eq!(matches!(n, Numeric::Big { .. }), !fits, "{line}");
        }
    }
}
