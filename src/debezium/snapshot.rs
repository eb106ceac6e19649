//! What differs in Debezium's snapshot records: `source.snapshot` names where a row stands
//! (`first`, `first_in_data_collection`, `true`, `last_in_data_collection`, `last`), and a few
//! values are converted by the JDBC driver instead of the streaming decoder: a `date` loses its
//! era (44 BC reads as AD 44) and goes through Java's calendar (see [`super::julian`]), `date`
//! ±infinity become the driver's odd day counts, and `name` columns, always null in streaming,
//! carry their text.

use crate::change::SnapshotMarker;
use crate::change::value::Value;

use super::json::{write_int, write_str};
use super::julian::driver_date_days;
use super::types::Conv;

/// `date 'infinity'` as a snapshot writes it.
const DATE_INFINITY: i64 = -622_191_234;
/// `date '-infinity'` as a snapshot writes it.
const DATE_NEG_INFINITY: i64 = -625_821_272;

/// The `source.snapshot` value of a snapshot row.
pub fn marker_name(marker: SnapshotMarker) -> &'static str {
    match marker {
        SnapshotMarker::First => "first",
        SnapshotMarker::FirstInTable => "first_in_data_collection",
        SnapshotMarker::Middle => "true",
        SnapshotMarker::LastInTable => "last_in_data_collection",
        SnapshotMarker::Last => "last",
    }
}

/// Writes `value` as a snapshot record does when that differs from streaming; `false` (and
/// nothing written) otherwise.
pub fn write_snapshot_value(out: &mut Vec<u8>, conv: &Conv, value: &Value) -> bool {
    match (conv, value) {
        (Conv::AlwaysNull, Value::Text(text)) => write_str(out, text.as_str()),
        (Conv::Date, Value::Date(date)) => match date.days() {
            Some(days) => write_int(out, driver_date_days(i64::from(days))),
            None if date.0 > 0 => write_int(out, DATE_INFINITY),
            None => write_int(out, DATE_NEG_INFINITY),
        },
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::change::value::Date;

    fn json(conv: &Conv, value: &Value) -> Option<String> {
        let mut out = Vec::new();
        write_snapshot_value(&mut out, conv, value).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn dates_as_the_golden_snapshot_has_them() {
        let bc = Date::from_ymd(-43, 3, 15).unwrap();
        assert_eq!(json(&Conv::Date, &Value::Date(bc)).unwrap(), "-703383");
        let ad = Date::from_ymd(2024, 2, 29).unwrap();
        assert_eq!(json(&Conv::Date, &Value::Date(ad)).unwrap(), "19782");
        assert_eq!(
            json(&Conv::Date, &Value::Date(Date::INFINITY)).unwrap(),
            "-622191234"
        );
        assert_eq!(
            json(&Conv::Date, &Value::Date(Date::NEG_INFINITY)).unwrap(),
            "-625821272"
        );
        assert_eq!(json(&Conv::Int32, &Value::Int4(1)), None);
    }

    #[test]
    fn bugs_fix_writes_snapshots_as_streaming() {
        // pgcdc.debezium.bugs=fix: BC dates, infinities and names go the streaming way.
        let bc = Date::from_ymd(-43, 3, 15).unwrap();
        assert_eq!(json(&Conv::DateFixed, &Value::Date(bc)), None);
        assert_eq!(json(&Conv::DateFixed, &Value::Date(Date::INFINITY)), None);
        let name = Value::Text("pg_class".into());
        assert_eq!(json(&Conv::Text, &name), None);
        assert_eq!(json(&Conv::AlwaysNull, &name).unwrap(), "\"pg_class\"");
    }
}
