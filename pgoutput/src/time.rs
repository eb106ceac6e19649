//! PostgreSQL timestamps.
//!
//! Every timestamp on the wire (commit times, send times, ...) is an `i64`
//! count of microseconds since the PostgreSQL epoch, 2000-01-01 00:00:00 UTC.
//! This crate keeps them in that raw form; the helpers here convert to and
//! from Unix time without any date library.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds from the Unix epoch (1970-01-01 UTC) to the PostgreSQL epoch
/// (2000-01-01 UTC): 10,957 days.
pub const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// Converts a PostgreSQL timestamp to microseconds since the Unix epoch, or
/// `None` on overflow (only for values within 30 years of `i64::MAX`).
///
/// ```
/// use pgoutput::time::pg_to_unix_micros;
///
/// assert_eq!(pg_to_unix_micros(0), Some(946_684_800_000_000));
/// ```
pub const fn pg_to_unix_micros(pg_micros: i64) -> Option<i64> {
    pg_micros.checked_add(PG_EPOCH_UNIX_MICROS)
}

/// Converts microseconds since the Unix epoch to a PostgreSQL timestamp, or
/// `None` on overflow.
pub const fn unix_to_pg_micros(unix_micros: i64) -> Option<i64> {
    unix_micros.checked_sub(PG_EPOCH_UNIX_MICROS)
}

/// Converts a PostgreSQL timestamp to a [`SystemTime`], or `None` if the
/// platform cannot represent it.
pub fn pg_to_system_time(pg_micros: i64) -> Option<SystemTime> {
    let unix = pg_to_unix_micros(pg_micros)?;
    let magnitude = Duration::from_micros(unix.unsigned_abs());
    if unix >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// Converts a [`SystemTime`] to a PostgreSQL timestamp, or `None` if it is
/// out of the `i64` microsecond range.
pub fn system_time_to_pg(time: SystemTime) -> Option<i64> {
    let unix = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).ok()?,
        Err(before) => i64::try_from(before.duration().as_micros())
            .ok()?
            .checked_neg()?,
    };
    unix_to_pg_micros(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_offset_is_thirty_years() {
        assert_eq!(PG_EPOCH_UNIX_MICROS, 10_957 * 86_400 * 1_000_000);
    }

    #[test]
    fn conversions() {
        assert_eq!(pg_to_unix_micros(-PG_EPOCH_UNIX_MICROS), Some(0));
        assert_eq!(unix_to_pg_micros(PG_EPOCH_UNIX_MICROS), Some(0));
        assert_eq!(pg_to_unix_micros(i64::MAX), None);
        assert_eq!(unix_to_pg_micros(i64::MIN), None);
        assert_eq!(pg_to_system_time(-PG_EPOCH_UNIX_MICROS), Some(UNIX_EPOCH));
        let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        let pg = system_time_to_pg(t);
        assert_eq!(pg, Some(1_700_000_000_123_456 - PG_EPOCH_UNIX_MICROS));
        assert_eq!(pg.and_then(pg_to_system_time), Some(t));
        let before = UNIX_EPOCH - Duration::from_micros(5);
        assert_eq!(system_time_to_pg(before), Some(-5 - PG_EPOCH_UNIX_MICROS));
        assert_eq!(pg_to_system_time(-5 - PG_EPOCH_UNIX_MICROS), Some(before));
    }
}
