//! Dates as the PostgreSQL JDBC driver reads them, which is how Debezium converts snapshot
//! dates and array elements: through Java's `GregorianCalendar`, which is Julian before
//! 1582-10-15 (the days 1582-10-05 to 1582-10-14, which it does not have, are read leniently
//! as Julian dates, ten days later), and `java.sql.Date`/`Timestamp` field accessors that drop
//! the era (44 BC reads as AD 44).
//!
//! PostgreSQL's dates are proleptic Gregorian; years here are astronomical (0 is 1 BC).

use crate::change::value::{USECS_PER_DAY, civil_from_days, days_from_civil};

/// Days since 1970-01-01 of 1582-10-15, the first Gregorian day of Java's calendar.
const CUTOVER_DAYS: i64 = -141_427;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JDN: i64 = 2_440_588;

/// Days since 1970-01-01 of a date in the Julian calendar.
fn julian_days(year: i64, month: u32, day: u32) -> i64 {
    let a = i64::from(14 - month) / 12;
    let y = year + 4800 - a;
    let m = i64::from(month) + 12 * a - 3;
    i64::from(day) + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - 32_083 - UNIX_EPOCH_JDN
}

/// The Julian calendar date of a day count since 1970-01-01.
fn julian_date(days: i64) -> (i64, u32, u32) {
    let c = days + UNIX_EPOCH_JDN + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2) / 153;
    let day = (e - (153 * m + 2) / 5 + 1) as u32;
    let month = (m + 3 - 12 * (m / 10)) as u32;
    (d - 4800 + m / 10, month, day)
}

/// Days since 1970-01-01 of the date Java's calendar reads for these fields.
fn calendar_days(year: i64, month: u32, day: u32) -> i64 {
    if (year, month, day) >= (1582, 10, 15) {
        days_from_civil(year, month, day)
    } else {
        julian_days(year, month, day)
    }
}

/// The fields Java's calendar shows for a day count since 1970-01-01.
fn calendar_date(days: i64) -> (i64, u32, u32) {
    if days >= CUTOVER_DAYS {
        civil_from_days(days)
    } else {
        julian_date(days)
    }
}

/// The era dropped: astronomical year 0 (1 BC) becomes 1, -43 (44 BC) becomes 44.
fn without_era(year: i64) -> i64 {
    if year <= 0 { 1 - year } else { year }
}

/// A `date` (days since 1970-01-01) as Debezium converts it through the driver's
/// `java.sql.Date` and `toLocalDate()`: the text's fields, the era dropped, the days 1582-10-05
/// to 1582-10-14 ten days later.
pub fn driver_date_days(days: i64) -> i64 {
    let (year, month, day) = civil_from_days(days);
    let (year, month, day) = calendar_date(calendar_days(year, month, day));
    days_from_civil(without_era(year), month, day)
}

/// A `timestamp` (µs since 1970-01-01) as the driver's `java.sql.Timestamp` holds it: the
/// text's fields read in Java's calendar (Julian before 1582-10-15), as µs since 1970-01-01.
pub fn driver_timestamp_micros(unix_micros: i128) -> i128 {
    let day = i128::from(USECS_PER_DAY);
    let (days, clock) = (unix_micros.div_euclid(day), unix_micros.rem_euclid(day));
    let Ok(days) = i64::try_from(days) else {
        return unix_micros;
    };
    let (year, month, day_of_month) = civil_from_days(days);
    i128::from(calendar_days(year, month, day_of_month)) * day + clock
}

/// The civil date Debezium shows for a `timestamptz` element it reads through the driver:
/// the fields of [`driver_timestamp_micros`]'s instant in Java's calendar, the era dropped.
pub fn driver_timestamp_date(days: i64) -> (i64, u32, u32) {
    let (year, month, day) = civil_from_days(days);
    let (year, month, day) = calendar_date(calendar_days(year, month, day));
    (without_era(year), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julian_calendar_round_trips() {
        // Julian day 0: 4713-01-01 BC in the Julian calendar, 4714-11-24 BC in the Gregorian.
        assert_eq!(julian_days(-4712, 1, 1), -UNIX_EPOCH_JDN);
        assert_eq!(days_from_civil(-4713, 11, 24), -UNIX_EPOCH_JDN);
        // 1582-10-04 (Julian) was followed by 1582-10-15 (Gregorian).
        assert_eq!(julian_days(1582, 10, 4) + 1, CUTOVER_DAYS);
        for days in (-3_000_000..3_000_000).step_by(997) {
            let (y, m, d) = julian_date(days);
            assert_eq!(julian_days(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    /// Days since 1970 of a proleptic Gregorian date.
    fn civil(year: i64, month: u32, day: u32) -> i64 {
        days_from_civil(year, month, day)
    }

    #[test]
    fn dates_as_debezium_reads_them_through_the_driver() {
        // Values written by Debezium 3.6.3 for `date[]` elements.
        assert_eq!(driver_date_days(civil(1582, 10, 15)), -141_427);
        assert_eq!(driver_date_days(civil(1582, 10, 14)), -141_418);
        assert_eq!(driver_date_days(civil(1582, 10, 4)), -141_438);
        assert_eq!(driver_date_days(civil(1000, 3, 1)), -354_226);
        assert_eq!(driver_date_days(civil(0, 12, 31)), -718_798);
        assert_eq!(driver_date_days(civil(-43, 3, 15)), -703_383);
        assert_eq!(driver_date_days(civil(-4713, 11, 24)), 1_002_552);
        assert_eq!(driver_date_days(civil(-4712, 1, 1)), 1_001_860);
        assert_eq!(driver_date_days(civil(2024, 2, 29)), 19_782);
    }

    #[test]
    fn timestamps_as_debezium_reads_them_through_the_driver() {
        let micros = |days: i64, clock: i64| i128::from(days * USECS_PER_DAY + clock);
        // Values written by Debezium 3.6.3 for `timestamp[]` elements (µs).
        let cases = [
            (civil(1582, 10, 15), 0, -12_219_292_800_000_000i128),
            (civil(1582, 10, 14), 0, -12_218_515_200_000_000),
            (civil(1582, 10, 4), 43_200_500_000, -12_219_335_999_500_000),
            (
                civil(1000, 2, 28),
                USECS_PER_DAY - 1,
                -30_604_694_400_000_001,
            ),
            (civil(-43, 3, 15), 45_296_789_012, -63_517_951_503_210_988),
            (civil(-4713, 11, 24), 0, -210_870_086_400_000_000),
            (civil(200, 3, 1), 0, -55_850_688_000_000_000),
            (civil(1969, 12, 31), USECS_PER_DAY - 1, -1),
        ];
        for (days, clock, want) in cases {
            assert_eq!(driver_timestamp_micros(micros(days, clock)), want);
        }
        // And the dates shown for `timestamptz[]` elements.
        assert_eq!(driver_timestamp_date(civil(1582, 10, 14)), (1582, 10, 24));
        assert_eq!(driver_timestamp_date(civil(1000, 2, 28)), (1000, 2, 28));
        assert_eq!(driver_timestamp_date(civil(-4713, 11, 24)), (4714, 11, 24));
        assert_eq!(driver_timestamp_date(civil(0, 12, 31)), (1, 12, 31));
        assert_eq!(
            driver_timestamp_date(civil(294_276, 12, 31)),
            (294_276, 12, 31)
        );
    }
}
