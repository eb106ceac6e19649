//! Log sequence numbers.

use std::fmt;
use std::str::FromStr;

/// A PostgreSQL log sequence number: a byte position in the write-ahead log.
///
/// PostgreSQL prints an LSN as two upper-case hexadecimal numbers separated by
/// a slash, the high and the low 32 bits: `16/B374D848`. [`Display`](fmt::Display)
/// writes that form and [`FromStr`] reads it (either case, one to eight digits
/// on each side, as PostgreSQL's `pg_lsn` type accepts).
///
/// ```
/// use pgoutput::Lsn;
///
/// let lsn: Lsn = "16/B374D848".parse().unwrap();
/// assert_eq!(u64::from(lsn), 0x16_B374_D848);
/// assert_eq!(lsn.to_string(), "16/B374D848");
/// assert!(Lsn::ZERO < lsn);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// The invalid LSN `0/0`, which PostgreSQL uses for "no position".
    pub const INVALID: Lsn = Lsn(0);
    /// The LSN `0/0`; the same value as [`Lsn::INVALID`], named for arithmetic.
    pub const ZERO: Lsn = Lsn(0);
    /// The largest LSN, `FFFFFFFF/FFFFFFFF`.
    pub const MAX: Lsn = Lsn(u64::MAX);

    /// The LSN as a plain number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Whether this is a valid position, that is, anything but `0/0`.
    pub const fn is_valid(self) -> bool {
        self.0 != 0
    }

    /// This LSN moved `bytes` forward, or `None` on overflow.
    pub const fn checked_add(self, bytes: u64) -> Option<Lsn> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(Lsn(v)),
            None => None,
        }
    }

    /// This LSN moved `bytes` backward, or `None` below `0/0`.
    pub const fn checked_sub(self, bytes: u64) -> Option<Lsn> {
        match self.0.checked_sub(bytes) {
            Some(v) => Some(Lsn(v)),
            None => None,
        }
    }

    /// The number of bytes from `earlier` to `self`, or `None` if `earlier`
    /// is after `self`.
    pub const fn checked_distance(self, earlier: Lsn) -> Option<u64> {
        self.0.checked_sub(earlier.0)
    }

    /// This LSN moved `bytes` forward, stopping at [`Lsn::MAX`].
    pub const fn saturating_add(self, bytes: u64) -> Lsn {
        Lsn(self.0.saturating_add(bytes))
    }

    /// This LSN moved `bytes` backward, stopping at [`Lsn::ZERO`].
    pub const fn saturating_sub(self, bytes: u64) -> Lsn {
        Lsn(self.0.saturating_sub(bytes))
    }
}

impl From<u64> for Lsn {
    fn from(value: u64) -> Self {
        Lsn(value)
    }
}

impl From<Lsn> for u64 {
    fn from(lsn: Lsn) -> Self {
        lsn.0
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// Why a string is not an LSN in PostgreSQL's `X/Y` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LsnParseError {
    /// There is no `/` between the two halves.
    #[error("invalid LSN: no '/' between the two hexadecimal halves")]
    MissingSlash,
    /// A half is empty, longer than eight digits, or not hexadecimal.
    #[error("invalid LSN: the {half} half is not 1 to 8 hexadecimal digits")]
    InvalidHalf {
        /// `"high"` or `"low"`.
        half: &'static str,
    },
}

impl FromStr for Lsn {
    type Err = LsnParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (high, low) = s.split_once('/').ok_or(LsnParseError::MissingSlash)?;
        let high = parse_half(high).ok_or(LsnParseError::InvalidHalf { half: "high" })?;
        let low = parse_half(low).ok_or(LsnParseError::InvalidHalf { half: "low" })?;
        Ok(Lsn((u64::from(high) << 32) | u64::from(low)))
    }
}

/// Parses one to eight hexadecimal digits (no sign, no prefix).
fn parse_half(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_postgresql() {
        assert_eq!(Lsn(0).to_string(), "0/0");
        assert_eq!(Lsn(0x16_B374_D848).to_string(), "16/B374D848");
        assert_eq!(Lsn(0x1_0000_0000).to_string(), "1/0");
        assert_eq!(Lsn::MAX.to_string(), "FFFFFFFF/FFFFFFFF");
    }

    #[test]
    fn parses_both_cases_and_short_halves() {
        assert_eq!("16/B374D848".parse(), Ok(Lsn(0x16_B374_D848)));
        assert_eq!("16/b374d848".parse(), Ok(Lsn(0x16_B374_D848)));
        assert_eq!("0/0".parse(), Ok(Lsn::ZERO));
        assert_eq!("FFFFFFFF/FFFFFFFF".parse(), Ok(Lsn::MAX));
        assert_eq!("00000001/00000002".parse(), Ok(Lsn(0x1_0000_0002)));
    }

    #[test]
    fn rejects_malformed_text() {
        assert_eq!("".parse::<Lsn>(), Err(LsnParseError::MissingSlash));
        assert_eq!(
            "16B374D848".parse::<Lsn>(),
            Err(LsnParseError::MissingSlash)
        );
        let high = Err(LsnParseError::InvalidHalf { half: "high" });
        let low = Err(LsnParseError::InvalidHalf { half: "low" });
        assert_eq!("/0".parse::<Lsn>(), high);
        assert_eq!("0/".parse::<Lsn>(), low);
        assert_eq!("100000000/0".parse::<Lsn>(), high);
        assert_eq!("0/100000000".parse::<Lsn>(), low);
        assert_eq!("+1/0".parse::<Lsn>(), high);
        assert_eq!("0/-1".parse::<Lsn>(), low);
        assert_eq!("0x1/0".parse::<Lsn>(), high);
        assert_eq!("1/2/3".parse::<Lsn>(), low);
        assert_eq!(" 1/2".parse::<Lsn>(), high);
        assert_eq!("G/0".parse::<Lsn>(), high);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Lsn(5).checked_add(3), Some(Lsn(8)));
        assert_eq!(Lsn::MAX.checked_add(1), None);
        assert_eq!(Lsn(5).checked_sub(6), None);
        assert_eq!(Lsn(9).checked_distance(Lsn(4)), Some(5));
        assert_eq!(Lsn(4).checked_distance(Lsn(9)), None);
        assert_eq!(Lsn::MAX.saturating_add(7), Lsn::MAX);
        assert_eq!(Lsn(3).saturating_sub(7), Lsn::ZERO);
        assert!(!Lsn::INVALID.is_valid());
        assert!(Lsn(1).is_valid());
        assert_eq!(u64::from(Lsn::from(42)), 42);
        assert_eq!(Lsn(42).as_u64(), 42);
    }
}
