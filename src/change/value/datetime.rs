//! `date`, `time`, `timetz`, `timestamp` and `timestamptz`: parsing `DateStyle = ISO` output,
//! PostgreSQL's text form and ISO 8601.
//!
//! The calendar is the proleptic Gregorian one PostgreSQL uses; year 1 BC is astronomical year 0.
//! The arithmetic (days from a civil date and back) is a few lines, so no date library is used.

use std::fmt;

use super::error::Reason;
use super::scan::{Cursor, parse_digits};

/// Microseconds in a second.
pub const USECS_PER_SEC: i64 = 1_000_000;
/// Microseconds in a day.
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's own epoch (used by the binary format).
pub const PG_EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
pub const PG_EPOCH_USECS: i64 = PG_EPOCH_DAYS as i64 * USECS_PER_DAY;
/// The largest UTC offset PostgreSQL accepts, in seconds (15:59:59).
const MAX_OFFSET_SECS: i64 = 15 * 3600 + 59 * 60 + 59;

/// Days since 1970-01-01 of a proleptic Gregorian date (`year` astronomical: 0 is 1 BC).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01 (`year`
/// astronomical).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether an astronomical year is a leap year.
pub fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A `date`: days since 1970-01-01, or one of the infinities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub i32);

impl Date {
    /// `-infinity` (PostgreSQL's `DATEVAL_NOBEGIN`).
    pub const NEG_INFINITY: Date = Date(i32::MIN);
    /// `infinity` (PostgreSQL's `DATEVAL_NOEND`).
    pub const INFINITY: Date = Date(i32::MAX);

    /// Days since 1970-01-01, `None` for the infinities.
    pub fn days(self) -> Option<i32> {
        self.is_finite().then_some(self.0)
    }

    /// Whether the date is neither infinity.
    pub fn is_finite(self) -> bool {
        self != Self::NEG_INFINITY && self != Self::INFINITY
    }

    /// The date from its civil parts (astronomical year), if valid.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        i32::try_from(days_from_civil(year, month, day))
            .ok()
            .map(Date)
            .filter(|d| d.is_finite())
    }

    /// Parses `date_out`'s ISO text: `2024-02-29`, `0044-03-15 BC`, `infinity`, `-infinity`.
    pub fn parse(text: &[u8]) -> Result<Date, Reason> {
        match text {
            b"infinity" => return Ok(Self::INFINITY),
            b"-infinity" => return Ok(Self::NEG_INFINITY),
            _ => {}
        }
        let mut cur = Cursor::new(text);
        let (year, month, day) = parse_ymd(&mut cur)?;
        let year = parse_era(&mut cur, year)?;
        cur.finish("unexpected text after the date")?;
        Date::from_ymd(year, month, day).ok_or("no such date")
    }

    /// ISO 8601 with astronomical year numbering (`-0043-03-15` for 44 BC), or `infinity` and
    /// `-infinity`.
    pub fn to_iso8601(self) -> String {
        let mut text = String::with_capacity(10);
        let _ = match self.days() {
            Some(days) => write_iso_date(&mut text, i64::from(days)),
            None => text.write_str(infinity_text(self == Self::INFINITY)),
        };
        text
    }
}

use fmt::Write as _;

impl fmt::Display for Date {
    /// `date_out`'s ISO text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.days() {
            Some(days) => {
                let bc = write_pg_date(f, i64::from(days))?;
                if bc { f.write_str(" BC") } else { Ok(()) }
            }
            None => f.write_str(infinity_text(*self == Self::INFINITY)),
        }
    }
}

fn infinity_text(positive: bool) -> &'static str {
    if positive { "infinity" } else { "-infinity" }
}

/// `YYYY-MM-DD` in PostgreSQL's era notation; returns whether ` BC` must follow.
fn write_pg_date(w: &mut dyn fmt::Write, days: i64) -> Result<bool, fmt::Error> {
    let (year, month, day) = civil_from_days(days);
    let (shown, bc) = if year <= 0 {
        (1 - year, true)
    } else {
        (year, false)
    };
    write!(w, "{shown:04}-{month:02}-{day:02}")?;
    Ok(bc)
}

/// `YYYY-MM-DD` with astronomical years, `-YYYY` before year 0.
fn write_iso_date(w: &mut dyn fmt::Write, days: i64) -> fmt::Result {
    let (year, month, day) = civil_from_days(days);
    if year < 0 {
        w.write_char('-')?;
    }
    write!(w, "{:04}-{month:02}-{day:02}", year.unsigned_abs())
}

/// `YYYY-MM-DD`: the year of at least one digit, month and day of two.
fn parse_ymd(cur: &mut Cursor<'_>) -> Result<(i64, u32, u32), Reason> {
    let year = cur.number("bad year")?;
    cur.expect(b'-', "expected '-' after the year")?;
    let month = two_digits(cur, "bad month")?;
    cur.expect(b'-', "expected '-' after the month")?;
    let day = two_digits(cur, "bad day")?;
    let year = i64::try_from(year).map_err(|_| "year out of range")?;
    Ok((year, month, day))
}

/// A ` BC` suffix turns the year into an astronomical one (1 BC is year 0).
fn parse_era(cur: &mut Cursor<'_>, year: i64) -> Result<i64, Reason> {
    if year == 0 {
        return Err("year 0 does not exist");
    }
    if cur.eat_ignore_case(b" BC") {
        Ok(1 - year)
    } else {
        cur.eat_ignore_case(b" AD");
        Ok(year)
    }
}

fn two_digits(cur: &mut Cursor<'_>, reason: Reason) -> Result<u32, Reason> {
    let digits = cur.digits();
    if digits.len() != 2 {
        return Err(reason);
    }
    parse_digits(digits)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or(reason)
}

/// Parses `HH:MM:SS[.ffffff]` to microseconds; hours may have more digits and go up to
/// `max_hours` (where minutes and seconds must be zero); minutes and seconds are below 60.
pub(crate) fn parse_clock(cur: &mut Cursor<'_>, max_hours: u64) -> Result<u64, Reason> {
    let hours = cur.number("bad hours")?;
    cur.expect(b':', "expected ':' after the hours")?;
    let minutes = two_digits(cur, "bad minutes")?;
    cur.expect(b':', "expected ':' after the minutes")?;
    let seconds = two_digits(cur, "bad seconds")?;
    let fraction = parse_fraction(cur)?;
    if minutes >= 60 || seconds >= 60 || hours > max_hours {
        return Err("time field out of range");
    }
    if hours == max_hours && (minutes, seconds, fraction) != (0, 0, 0) {
        return Err("time field out of range");
    }
    hours
        .checked_mul(3600 * USECS_PER_SEC as u64)
        .and_then(|h| {
            h.checked_add(u64::from(minutes * 60 + seconds) * USECS_PER_SEC as u64 + fraction)
        })
        .ok_or("time field out of range")
}

/// A clock reading of a day (at most 24 hours) as signed microseconds.
fn parse_day_clock(cur: &mut Cursor<'_>) -> Result<i64, Reason> {
    i64::try_from(parse_clock(cur, 24)?).map_err(|_| "time field out of range")
}

/// `.ffffff` (1 to 6 digits) as microseconds; 0 when there is no `.`.
fn parse_fraction(cur: &mut Cursor<'_>) -> Result<u64, Reason> {
    if !cur.eat(b'.') {
        return Ok(0);
    }
    let digits = cur.digits();
    if digits.is_empty() || digits.len() > 6 {
        return Err("expected 1 to 6 fraction digits");
    }
    let value = parse_digits(digits).ok_or("bad fraction")?;
    Ok(value * 10u64.pow(6 - digits.len() as u32))
}

/// `+HH[:MM[:SS]]` or `-HH...` as seconds east of UTC.
fn parse_offset(cur: &mut Cursor<'_>) -> Result<i32, Reason> {
    let sign = match cur.next_byte() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err("expected a UTC offset"),
    };
    let hours = i64::from(two_digits(cur, "bad offset hours")?);
    let mut seconds = hours * 3600;
    if cur.eat(b':') {
        seconds += i64::from(two_digits(cur, "bad offset minutes")?) * 60;
        if cur.eat(b':') {
            seconds += i64::from(two_digits(cur, "bad offset seconds")?);
        }
    }
    if seconds > MAX_OFFSET_SECS {
        return Err("UTC offset out of range");
    }
    i32::try_from(sign * seconds).map_err(|_| "UTC offset out of range")
}

/// `HH:MM:SS` and the fraction without trailing zeros.
fn write_clock(w: &mut dyn fmt::Write, micros: i64) -> fmt::Result {
    let seconds = micros.div_euclid(USECS_PER_SEC);
    let fraction = micros.rem_euclid(USECS_PER_SEC);
    write!(
        w,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )?;
    write_fraction(w, fraction)
}

/// `.ffffff` without trailing zeros, nothing for 0.
pub(crate) fn write_fraction(w: &mut dyn fmt::Write, micros: i64) -> fmt::Result {
    if micros == 0 {
        return Ok(());
    }
    let mut digits = micros.unsigned_abs();
    let mut width = 6;
    while digits % 10 == 0 {
        digits /= 10;
        width -= 1;
    }
    write!(w, ".{digits:0width$}")
}

/// A UTC offset as PostgreSQL prints it: `+05`, `+05:30`, `-03:30:52`.
fn write_offset(w: &mut dyn fmt::Write, seconds_east: i32) -> fmt::Result {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let total = seconds_east.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    write!(w, "{sign}{hours:02}")?;
    if seconds != 0 {
        write!(w, ":{minutes:02}:{seconds:02}")
    } else if minutes != 0 {
        write!(w, ":{minutes:02}")
    } else {
        Ok(())
    }
}

/// A `time`: microseconds since midnight, `0..=86_400_000_000` (`24:00:00` is allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time(pub i64);

impl Time {
    /// Parses `time_out`'s text: `04:05:06.789`, `24:00:00`.
    pub fn parse(text: &[u8]) -> Result<Time, Reason> {
        let mut cur = Cursor::new(text);
        let micros = parse_day_clock(&mut cur)?;
        cur.finish("unexpected text after the time")?;
        Ok(Time(micros))
    }

    /// A time from microseconds since midnight, if in range.
    pub fn from_micros(micros: i64) -> Option<Time> {
        (0..=USECS_PER_DAY)
            .contains(&micros)
            .then_some(Time(micros))
    }
}

impl fmt::Display for Time {
    /// `HH:MM:SS[.ffffff]`, which is also the ISO 8601 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clock(f, self.0)
    }
}

/// A `timetz`: a time of day and its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeTz {
    /// Microseconds since midnight, local time.
    pub micros: i64,
    /// The offset from UTC in seconds, positive east of Greenwich (`+05:30` is 19800).
    /// PostgreSQL stores the negation.
    pub offset_seconds: i32,
}

impl TimeTz {
    /// Parses `timetz_out`'s text: `04:05:06.789+05:30`.
    pub fn parse(text: &[u8]) -> Result<TimeTz, Reason> {
        let mut cur = Cursor::new(text);
        let micros = parse_day_clock(&mut cur)?;
        let offset_seconds = parse_offset(&mut cur)?;
        cur.finish("unexpected text after the time zone")?;
        Ok(TimeTz {
            micros,
            offset_seconds,
        })
    }
}

impl fmt::Display for TimeTz {
    /// `timetz_out`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clock(f, self.micros)?;
        write_offset(f, self.offset_seconds)
    }
}

/// A `timestamp` or `timestamptz` as PostgreSQL stores it: microseconds since 2000-01-01
/// 00:00:00, or one of the infinities. For `timestamptz` the instant is in UTC; for `timestamp`
/// it is the wall-clock reading as if it were UTC.
///
/// Every value PostgreSQL can hold is exact: 4714-11-24 00:00:00 BC to
/// 294276-12-31 23:59:59.999999, and the 294277-01-01 00:00:00 a column of lower precision
/// rounds the last second up to. Microseconds since 1970 of the last 30 years of that range do
/// not fit an `i64`, hence [`Timestamp::unix_micros`] is an `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `-infinity` (PostgreSQL's `DT_NOBEGIN`).
    pub const NEG_INFINITY: Timestamp = Timestamp(i64::MIN);
    /// `infinity` (PostgreSQL's `DT_NOEND`).
    pub const INFINITY: Timestamp = Timestamp(i64::MAX);
    /// 1970-01-01 00:00:00.
    pub const UNIX_EPOCH: Timestamp = Timestamp(-PG_EPOCH_USECS);
    /// 4714-11-24 00:00:00 BC, the first value PostgreSQL accepts (`MIN_TIMESTAMP`).
    pub const MIN: Timestamp = Timestamp(-211_813_488_000_000_000);
    /// 294276-12-31 23:59:59.999999, the last value PostgreSQL accepts (`END_TIMESTAMP` - 1).
    pub const MAX: Timestamp = Timestamp(9_223_371_331_199_999_999);

    /// Microseconds since 2000-01-01, `None` for the infinities.
    pub fn pg_micros(self) -> Option<i64> {
        self.is_finite().then_some(self.0)
    }

    /// Microseconds since 1970-01-01, `None` for the infinities.
    pub fn unix_micros(self) -> Option<i128> {
        self.pg_micros()
            .map(|micros| i128::from(micros) + i128::from(PG_EPOCH_USECS))
    }

    /// Days since 1970-01-01 and microseconds into that day, `None` for the infinities.
    pub fn unix_days_and_clock(self) -> Option<(i64, i64)> {
        self.pg_micros().map(|micros| {
            (
                micros.div_euclid(USECS_PER_DAY) + i64::from(PG_EPOCH_DAYS),
                micros.rem_euclid(USECS_PER_DAY),
            )
        })
    }

    /// Whether the timestamp is neither infinity.
    pub fn is_finite(self) -> bool {
        self != Self::NEG_INFINITY && self != Self::INFINITY
    }

    /// Parses `timestamp_out`'s ISO text (`with_zone = false`: `2024-05-06 07:08:09.123456`)
    /// or `timestamptz_out`'s (`with_zone = true`: the same followed by the session's UTC offset,
    /// `+05:30`, `-03:30:52`), either followed by ` BC`; or `infinity`, `-infinity`.
    pub fn parse(text: &[u8], with_zone: bool) -> Result<Timestamp, Reason> {
        match text {
            b"infinity" => return Ok(Self::INFINITY),
            b"-infinity" => return Ok(Self::NEG_INFINITY),
            _ => {}
        }
        let mut cur = Cursor::new(text);
        let (year, month, day) = parse_ymd(&mut cur)?;
        if !cur.eat(b' ') && !cur.eat(b'T') {
            return Err("expected a time after the date");
        }
        let clock = parse_day_clock(&mut cur)?;
        let offset = if with_zone {
            parse_offset(&mut cur)?
        } else {
            0
        };
        let year = parse_era(&mut cur, year)?;
        cur.finish("unexpected text after the timestamp")?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err("no such date");
        }
        (days_from_civil(year, month, day) - i64::from(PG_EPOCH_DAYS))
            .checked_mul(USECS_PER_DAY)
            .and_then(|t| t.checked_add(clock))
            .and_then(|t| t.checked_sub(i64::from(offset) * USECS_PER_SEC))
            .map(Timestamp)
            .filter(|t| t.is_finite())
            .ok_or("timestamp out of range")
    }

    /// Writes PostgreSQL's ISO text; with `with_zone`, as `timestamptz_out` prints it with
    /// `TimeZone = UTC` (`+00` before any ` BC`).
    pub fn write_pg(self, w: &mut dyn fmt::Write, with_zone: bool) -> fmt::Result {
        let Some((days, clock)) = self.unix_days_and_clock() else {
            return w.write_str(infinity_text(self == Self::INFINITY));
        };
        let bc = write_pg_date(w, days)?;
        w.write_char(' ')?;
        write_clock(w, clock)?;
        if with_zone {
            w.write_str("+00")?;
        }
        if bc { w.write_str(" BC") } else { Ok(()) }
    }

    /// ISO 8601 with astronomical years: `2024-05-06T07:08:09.123456`, followed by `Z` with
    /// `with_zone`; `infinity` and `-infinity` for the infinities.
    pub fn to_iso8601(self, with_zone: bool) -> String {
        let mut text = String::with_capacity(27);
        let _ = match self.unix_days_and_clock() {
            Some((days, clock)) => write_iso(&mut text, days, clock, with_zone),
            None => text.write_str(infinity_text(self == Self::INFINITY)),
        };
        text
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]` with astronomical years, then `Z` with `with_zone`.
fn write_iso(w: &mut dyn fmt::Write, days: i64, clock: i64, with_zone: bool) -> fmt::Result {
    write_iso_date(w, days)?;
    w.write_char('T')?;
    write_clock(w, clock)?;
    if with_zone { w.write_char('Z') } else { Ok(()) }
}

/// An instant given as microseconds since 1970-01-01 UTC (a commit time), in the canonical
/// JSON form of a `timestamptz`: `2024-05-06T07:08:09.123456Z`.
pub fn format_timestamp_utc(micros: i64) -> String {
    let mut text = String::with_capacity(27);
    let _ = write_iso(
        &mut text,
        micros.div_euclid(USECS_PER_DAY),
        micros.rem_euclid(USECS_PER_DAY),
        true,
    );
    text
}

impl fmt::Display for Timestamp {
    /// `timestamp_out`'s ISO text (no zone); see [`Timestamp::write_pg`] for `timestamptz`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_pg(f, false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ts(text: &str, zone: bool) -> Timestamp {
        Timestamp::parse(text.as_bytes(), zone).unwrap()
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 1, 1), i64::from(PG_EPOCH_DAYS));
        assert_eq!(days_from_civil(2024, 2, 29), 19782);
        assert_eq!(days_from_civil(0, 12, 31), -719163);
        assert_eq!(days_from_civil(1, 1, 1), -719162);
        assert_eq!(days_from_civil(-4713, 11, 24), -2440588);
        for days in (-3_000_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(0) && is_leap_year(-4));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(-1));
    }

    #[test]
    fn dates() {
        let leap = Date::parse(b"2024-02-29").unwrap();
        assert_eq!(leap, Date(19782));
        assert_eq!(leap.to_string(), "2024-02-29");
        assert!(Date::parse(b"2023-02-29").is_err());
        assert!(Date::parse(b"2024-13-01").is_err());
        assert!(Date::parse(b"0000-01-01").is_err());
        let bc = Date::parse(b"0044-03-15 BC").unwrap();
        assert_eq!(bc.to_string(), "0044-03-15 BC");
        assert_eq!(bc.to_iso8601(), "-0043-03-15");
        assert_eq!(
            Date::parse(b"0001-01-01 BC").unwrap().to_iso8601(),
            "0000-01-01"
        );
        assert_eq!(Date::parse(b"4714-11-24 BC").unwrap().0, -2440588);
        let far = Date::parse(b"5874897-12-31").unwrap();
        assert_eq!(far.to_string(), "5874897-12-31");
        assert_eq!(Date::parse(b"infinity").unwrap(), Date::INFINITY);
        assert_eq!(Date::NEG_INFINITY.to_string(), "-infinity");
        assert_eq!(Date::INFINITY.to_iso8601(), "infinity");
        assert!(Date::parse(b"2024-1-01").is_err());
        assert!(Date::parse(b"2024-01-01x").is_err());
        assert!(Date::parse(b"99999999999-01-01").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(Time::parse(b"00:00:00").unwrap(), Time(0));
        assert_eq!(Time::parse(b"24:00:00").unwrap(), Time(USECS_PER_DAY));
        assert_eq!(Time(USECS_PER_DAY).to_string(), "24:00:00");
        assert!(Time::parse(b"24:00:00.000001").is_err());
        assert!(Time::parse(b"23:60:00").is_err());
        let t = Time::parse(b"04:05:06.78").unwrap();
        assert_eq!(t, Time(14_706_780_000));
        assert_eq!(t.to_string(), "04:05:06.78");
        assert_eq!(
            Time::parse(b"23:59:59.999999").unwrap().to_string(),
            "23:59:59.999999"
        );
        assert!(Time::parse(b"01:02:03.1234567").is_err());
        assert!(Time::parse(b"01:02").is_err());
    }

    #[test]
    fn times_with_zones() {
        let t = TimeTz::parse(b"04:05:06.5+05:30").unwrap();
        assert_eq!(t.offset_seconds, 19800);
        assert_eq!(t.to_string(), "04:05:06.5+05:30");
        let t = TimeTz::parse(b"00:00:00-03:30:52").unwrap();
        assert_eq!(t.offset_seconds, -(3 * 3600 + 30 * 60 + 52));
        assert_eq!(t.to_string(), "00:00:00-03:30:52");
        assert_eq!(
            TimeTz::parse(b"24:00:00+00").unwrap().to_string(),
            "24:00:00+00"
        );
        assert_eq!(
            TimeTz::parse(b"12:00:00-15:59:59").unwrap().to_string(),
            "12:00:00-15:59:59"
        );
        assert!(TimeTz::parse(b"12:00:00+16").is_err());
        assert!(TimeTz::parse(b"12:00:00").is_err());
    }

    #[test]
    fn timestamps() {
        let t = ts("2024-05-06 07:08:09.123456", false);
        assert_eq!(t.unix_micros(), Some(1_714_979_289_123_456));
        assert_eq!(t.0, 1_714_979_289_123_456 - PG_EPOCH_USECS);
        assert_eq!(t.to_string(), "2024-05-06 07:08:09.123456");
        assert_eq!(t.to_iso8601(false), "2024-05-06T07:08:09.123456");
        let z = ts("2024-05-06 12:38:09.123456+05:30", true);
        assert_eq!(z, t);
        assert_eq!(z.to_iso8601(true), "2024-05-06T07:08:09.123456Z");
        let mut s = String::new();
        z.write_pg(&mut s, true).unwrap();
        assert_eq!(s, "2024-05-06 07:08:09.123456+00");
        assert_eq!(
            ts("1799-12-31 20:29:08-03:30:52", true),
            ts("1800-01-01 00:00:00+00", true)
        );
        assert_eq!(ts("1970-01-01 00:00:00+00", true), Timestamp::UNIX_EPOCH);
        assert_eq!(ts("2000-01-01 00:00:00", false).0, 0);
        assert_eq!(
            ts("1969-12-31 23:59:59.999999", false).unix_micros(),
            Some(-1)
        );
        assert_eq!(
            ts("1969-12-31 23:59:59.999999", false).to_string(),
            "1969-12-31 23:59:59.999999"
        );
        let bc = ts("0044-03-15 06:29:08-03:30:52 BC", true);
        let mut s = String::new();
        bc.write_pg(&mut s, true).unwrap();
        assert_eq!(s, "0044-03-15 10:00:00+00 BC");
        assert_eq!(bc.to_iso8601(true), "-0043-03-15T10:00:00Z");
        assert_eq!(
            ts("4714-11-24 00:00:00 BC", false).to_string(),
            "4714-11-24 00:00:00 BC"
        );
        // PostgreSQL's whole range, whose last 30 years do not fit microseconds since 1970 in
        // an i64.
        let first = ts("4714-11-24 00:00:00 BC", false);
        assert_eq!(first, Timestamp::MIN);
        assert_eq!(first.unix_micros(), Some(-210_866_803_200_000_000));
        let last = ts("294276-12-31 23:59:59.999999", false);
        assert_eq!(last, Timestamp::MAX);
        assert_eq!(last.unix_micros(), Some(9_224_318_015_999_999_999));
        assert_eq!(last.to_string(), "294276-12-31 23:59:59.999999");
        assert_eq!(last.to_iso8601(true), "294276-12-31T23:59:59.999999Z");
        assert_eq!(ts("294277-01-01 04:59:59.999999+05", true), last);
        assert_eq!(
            ts("294247-01-10 04:00:54.775807", false).unix_micros(),
            Some(i128::from(i64::MAX))
        );
        // timestamp(0) rounds the last second up, past MAX.
        let rounded = ts("294277-01-01 00:00:00", false);
        assert_eq!(rounded.0, Timestamp::MAX.0 + 1);
        assert_eq!(rounded.to_string(), "294277-01-01 00:00:00");
        // The text of i64::MAX is infinity's value, not a timestamp.
        assert!(Timestamp::parse(b"294277-01-09 04:00:54.775807", false).is_err());
        assert!(Timestamp::parse(b"294277-01-09 04:00:54.775806", false).is_ok());
        assert_eq!(Timestamp::INFINITY.unix_micros(), None);
        assert_eq!(format_timestamp_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_timestamp_utc(i64::MAX),
            "294247-01-10T04:00:54.775807Z"
        );
        assert_eq!(
            ts("2024-02-29 24:00:00", false),
            ts("2024-03-01 00:00:00", false)
        );
        assert_eq!(ts("infinity", true), Timestamp::INFINITY);
        assert_eq!(Timestamp::NEG_INFINITY.to_string(), "-infinity");
        assert_eq!(Timestamp::INFINITY.to_iso8601(true), "infinity");
        assert!(Timestamp::parse(b"2024-05-06 07:08:09", true).is_err());
        assert!(Timestamp::parse(b"2024-05-06 07:08:09+00", false).is_err());
        assert!(Timestamp::parse(b"2023-02-29 00:00:00", false).is_err());
        assert!(Timestamp::parse(b"300000-01-01 00:00:00", false).is_err());
        assert!(Timestamp::parse(b"", false).is_err());
    }
}
