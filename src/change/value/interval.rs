//! `interval`: months, days and microseconds, kept apart as PostgreSQL keeps them.

use std::fmt;

use super::datetime::{USECS_PER_SEC, parse_clock, write_fraction};
use super::error::Reason;
use super::scan::Cursor;

const USECS_PER_HOUR: i64 = 3600 * USECS_PER_SEC;
const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;

/// An `interval`. The three parts do not convert into each other (a month is not 30 days, a day
/// is not 24 hours across a daylight-saving change), so all three are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    /// Months (a year is 12).
    pub months: i32,
    /// Days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

/// The parts PostgreSQL prints, each with the sign of its field.
struct Parts {
    years: i32,
    months: i32,
    days: i32,
    hours: i64,
    minutes: i64,
    seconds: i64,
    fraction: i64,
}

impl Interval {
    /// `infinity` (PostgreSQL 17 and later): every field at its maximum.
    pub const INFINITY: Interval = Interval {
        months: i32::MAX,
        days: i32::MAX,
        micros: i64::MAX,
    };
    /// `-infinity`: every field at its minimum.
    pub const NEG_INFINITY: Interval = Interval {
        months: i32::MIN,
        days: i32::MIN,
        micros: i64::MIN,
    };

    /// Whether the interval is neither infinity.
    pub fn is_finite(&self) -> bool {
        *self != Self::INFINITY && *self != Self::NEG_INFINITY
    }

    /// Parses `interval_out`'s text with `IntervalStyle = postgres`:
    /// `1 year 2 mons 3 days 04:05:06.789`, `-1 days +02:00:00`, `00:00:00`, `infinity`.
    pub fn parse(text: &[u8]) -> Result<Interval, Reason> {
        match text {
            b"infinity" => return Ok(Self::INFINITY),
            b"-infinity" => return Ok(Self::NEG_INFINITY),
            _ => {}
        }
        let mut cur = Cursor::new(text);
        let (mut months, mut days, mut micros) = (0i32, 0i32, 0i64);
        let mut fields = 0;
        loop {
            cur.skip_spaces();
            if cur.is_empty() {
                break;
            }
            fields += 1;
            let negative = cur.eat(b'-');
            if !negative {
                cur.eat(b'+');
            }
            let mut ahead = cur.clone();
            ahead.digits();
            if ahead.peek() == Some(b':') {
                let clock = parse_clock(&mut cur, u64::MAX)?;
                micros = if negative {
                    micros.checked_sub_unsigned(clock)
                } else {
                    micros.checked_add_unsigned(clock)
                }
                .ok_or("interval out of range")?;
                continue;
            }
            let value = i64::try_from(cur.number("expected a number")?)
                .map_err(|_| "interval out of range")?;
            let value = if negative { -value } else { value };
            cur.skip_spaces();
            let unit = cur.take_while(|b| b.is_ascii_alphabetic());
            let (target, factor) = match unit {
                b"year" | b"years" => (&mut months, 12),
                b"mon" | b"mons" => (&mut months, 1),
                b"day" | b"days" => (&mut days, 1),
                _ => return Err("expected year, mon or day"),
            };
            *target = value
                .checked_mul(factor)
                .and_then(|v| i32::try_from(v).ok())
                .and_then(|v| target.checked_add(v))
                .ok_or("interval out of range")?;
        }
        if fields == 0 {
            return Err("empty interval");
        }
        Ok(Interval {
            months,
            days,
            micros,
        })
    }

    fn parts(&self) -> Parts {
        Parts {
            years: self.months / 12,
            months: self.months % 12,
            days: self.days,
            hours: self.micros / USECS_PER_HOUR,
            minutes: self.micros % USECS_PER_HOUR / USECS_PER_MINUTE,
            seconds: self.micros % USECS_PER_MINUTE / USECS_PER_SEC,
            fraction: self.micros % USECS_PER_SEC,
        }
    }

    /// ISO 8601 duration as PostgreSQL prints it with `IntervalStyle = iso_8601`:
    /// `P1Y2M3DT4H5M6.789S`, `P-1DT2H`, `PT0S`; `infinity` and `-infinity` for the infinities.
    pub fn to_iso8601(&self) -> String {
        if !self.is_finite() {
            return infinity_text(self.months > 0).to_owned();
        }
        if *self == Interval::default() {
            return "PT0S".to_owned();
        }
        let p = self.parts();
        let mut text = String::from("P");
        let _ = self.write_iso_parts(&mut text, &p);
        text
    }

    fn write_iso_parts(&self, w: &mut String, p: &Parts) -> fmt::Result {
        use fmt::Write as _;
        for (value, unit) in [(p.years, 'Y'), (p.months, 'M'), (p.days, 'D')] {
            if value != 0 {
                write!(w, "{value}{unit}")?;
            }
        }
        if self.micros != 0 {
            w.push('T');
        }
        for (value, unit) in [(p.hours, 'H'), (p.minutes, 'M')] {
            if value != 0 {
                write!(w, "{value}{unit}")?;
            }
        }
        if p.seconds != 0 || p.fraction != 0 {
            if p.seconds < 0 || p.fraction < 0 {
                w.push('-');
            }
            write!(w, "{}", p.seconds.unsigned_abs())?;
            write_fraction(w, p.fraction)?;
            w.push('S');
        }
        Ok(())
    }
}

fn infinity_text(positive: bool) -> &'static str {
    if positive { "infinity" } else { "-infinity" }
}

impl fmt::Display for Interval {
    /// `interval_out`'s text with `IntervalStyle = postgres`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_finite() {
            return f.write_str(infinity_text(self.months > 0));
        }
        let p = self.parts();
        // A field after a negative one carries an explicit `+`.
        let (mut is_zero, mut is_before) = (true, false);
        for (value, unit) in [(p.years, "year"), (p.months, "mon"), (p.days, "day")] {
            if value == 0 {
                continue;
            }
            let space = if is_zero { "" } else { " " };
            let plus = if is_before && value > 0 { "+" } else { "" };
            let plural = if value != 1 { "s" } else { "" };
            write!(f, "{space}{plus}{value} {unit}{plural}")?;
            is_before = value < 0;
            is_zero = false;
        }
        if is_zero || self.micros != 0 {
            let space = if is_zero { "" } else { " " };
            let sign = if self.micros < 0 {
                "-"
            } else if is_before {
                "+"
            } else {
                ""
            };
            write!(
                f,
                "{space}{sign}{:02}:{:02}:{:02}",
                p.hours.unsigned_abs(),
                p.minutes.unsigned_abs(),
                p.seconds.unsigned_abs()
            )?;
            write_fraction(f, p.fraction)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn interval(text: &str) -> Interval {
        Interval::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn postgres_style_round_trips() {
        for (text, months, days, micros, iso) in [
            (
                "1 year 2 mons 3 days 04:05:06.789",
                14,
                3,
                14_706_789_000,
                "P1Y2M3DT4H5M6.789S",
            ),
            ("-1 days +02:00:00", 0, -1, 7_200_000_000, "P-1DT2H"),
            (
                "-1 years -2 mons +3 days -04:05:06.5",
                -14,
                3,
                -14_706_500_000,
                "P-1Y-2M3DT-4H-5M-6.5S",
            ),
            ("00:00:00", 0, 0, 0, "PT0S"),
            ("-00:00:01", 0, 0, -1_000_000, "PT-1S"),
            ("-00:00:00.000001", 0, 0, -1, "PT-0.000001S"),
            ("1 mon", 1, 0, 0, "P1M"),
            ("1 day", 0, 1, 0, "P1D"),
            ("100000:00:00", 0, 0, 360_000_000_000_000, "PT100000H"),
            ("178956970 years 7 mons", i32::MAX, 0, 0, "P178956970Y7M"),
            (
                "-178956970 years -8 mons",
                i32::MIN,
                0,
                0,
                "P-178956970Y-8M",
            ),
            (
                "-2562047788:00:54.775808",
                0,
                0,
                i64::MIN,
                "PT-2562047788H-54.775808S",
            ),
            (
                "2562047788:00:54.775807",
                0,
                0,
                i64::MAX,
                "PT2562047788H54.775807S",
            ),
        ] {
            let value = interval(text);
            assert_eq!(
                value,
                Interval {
                    months,
                    days,
                    micros
                },
                "{text}"
            );
            assert_eq!(value.to_string(), text);
            assert_eq!(value.to_iso8601(), iso, "{text}");
        }
    }

    #[test]
    fn infinities_and_errors() {
        assert_eq!(interval("infinity"), Interval::INFINITY);
        assert_eq!(Interval::NEG_INFINITY.to_string(), "-infinity");
        assert_eq!(Interval::INFINITY.to_iso8601(), "infinity");
        for bad in [
            "",
            "1",
            "1 week",
            "1 day 25",
            "99999999999 years",
            "1:2:3",
            "x",
        ] {
            assert!(Interval::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
