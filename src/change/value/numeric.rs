//! `numeric` and `money`: exact decimals, never floating point.

use std::fmt;

use bytes::Bytes;

use super::error::Reason;
use super::scalar::{StackBuf, write_zeros};
use super::text::PgText;

/// A `numeric` value: exact, with the display scale PostgreSQL printed (`1.50` has scale 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Numeric {
    /// `NaN`.
    NaN,
    /// `Infinity` (PostgreSQL 14 and later).
    Infinity,
    /// `-Infinity`.
    NegInfinity,
    /// `unscaled * 10^-scale`, when the unscaled value fits an `i128` (up to 38 digits).
    Decimal {
        /// All the digits as one integer, with the sign.
        unscaled: i128,
        /// How many of the digits are after the decimal point.
        scale: u16,
    },
    /// A longer value, kept as the text PostgreSQL printed (`-` and digits with at most one `.`).
    Big {
        /// The checked text.
        text: PgText,
        /// How many digits are after the decimal point.
        scale: u16,
    },
}

impl Numeric {
    /// Parses `numeric_out`'s format: `[-]digits[.digits]`, `NaN`, `Infinity`, `-Infinity`.
    pub fn parse(text: &Bytes) -> Result<Self, Reason> {
        match text.as_ref() {
            b"NaN" => return Ok(Self::NaN),
            b"Infinity" => return Ok(Self::Infinity),
            b"-Infinity" => return Ok(Self::NegInfinity),
            _ => {}
        }
        let (negative, body) = match text.split_first() {
            Some((b'-', body)) => (true, body),
            Some((b'+', body)) => (false, body),
            _ => (false, text.as_ref()),
        };
        let mut unscaled: Option<i128> = Some(0);
        let (mut digits, mut scale, mut point) = (0usize, 0usize, false);
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if point {
                        scale += 1;
                    }
                    let d = i128::from(b - b'0');
                    unscaled = unscaled.and_then(|u| u.checked_mul(10)).and_then(|u| {
                        if negative {
                            u.checked_sub(d)
                        } else {
                            u.checked_add(d)
                        }
                    });
                }
                b'.' if !point => point = true,
                _ => return Err("not a decimal number"),
            }
        }
        if digits == 0 {
            return Err("no digits");
        }
        let scale = u16::try_from(scale).map_err(|_| "scale too large")?;
        Ok(match unscaled {
            Some(unscaled) => Self::Decimal { unscaled, scale },
            None => {
                let start = usize::from(text.first() == Some(&b'+'));
                let text = PgText::new(text.slice(start..)).map_err(|_| "not UTF-8")?;
                Self::Big { text, scale }
            }
        })
    }

    /// The digits after the decimal point, for finite values.
    pub fn scale(&self) -> Option<u16> {
        match self {
            Self::Decimal { scale, .. } | Self::Big { scale, .. } => Some(*scale),
            _ => None,
        }
    }

    /// Whether the value is below zero (`-Infinity` included; zero is never negative).
    pub fn is_negative(&self) -> bool {
        match self {
            Self::NegInfinity => true,
            Self::Decimal { unscaled, .. } => *unscaled < 0,
            Self::Big { text, .. } => {
                text.as_str().starts_with('-')
                    && text.as_bytes().iter().any(|b| matches!(b, b'1'..=b'9'))
            }
            Self::NaN | Self::Infinity => false,
        }
    }

    /// The unscaled integer when it fits an `i128`.
    pub fn unscaled(&self) -> Option<i128> {
        match self {
            Self::Decimal { unscaled, .. } => Some(*unscaled),
            _ => None,
        }
    }

    /// The unscaled value's decimal digits without sign or leading zeros (`"0"` for zero), for
    /// finite values: `-12.340` gives `"12340"` (with scale 3).
    pub fn unscaled_digits(&self) -> Option<String> {
        let mut digits = match self {
            Self::Decimal { unscaled, .. } => unscaled.unsigned_abs().to_string(),
            Self::Big { text, .. } => text.as_str().chars().filter(char::is_ascii_digit).collect(),
            _ => return None,
        };
        let zeros = digits
            .bytes()
            .take_while(|&b| b == b'0')
            .count()
            .min(digits.len() - 1);
        digits.drain(..zeros);
        Some(digits)
    }
}

impl fmt::Display for Numeric {
    /// `numeric_out`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NaN => f.write_str("NaN"),
            Self::Infinity => f.write_str("Infinity"),
            Self::NegInfinity => f.write_str("-Infinity"),
            Self::Decimal { unscaled, scale } => {
                if *unscaled < 0 {
                    f.write_str("-")?;
                }
                write_scaled(f, unscaled.unsigned_abs(), usize::from(*scale), None)
            }
            Self::Big { text, .. } => f.write_str(text.as_str()),
        }
    }
}

/// Writes `magnitude * 10^-scale` with `scale` fraction digits, grouping the integer digits by
/// three with `group` when given.
fn write_scaled(
    w: &mut dyn fmt::Write,
    magnitude: u128,
    scale: usize,
    group: Option<char>,
) -> fmt::Result {
    let mut digits = StackBuf::<40>::new();
    fmt::Write::write_fmt(&mut digits, format_args!("{magnitude}"))?;
    let digits = digits.as_str();
    if digits.len() <= scale {
        w.write_char('0')?;
        if scale > 0 {
            w.write_char('.')?;
            write_zeros(w, scale - digits.len())?;
            w.write_str(digits)?;
        }
        return Ok(());
    }
    let (int_part, fraction) = digits.split_at(digits.len() - scale);
    match group {
        None => w.write_str(int_part)?,
        Some(separator) => {
            for (i, c) in int_part.chars().enumerate() {
                if i > 0 && (int_part.len() - i) % 3 == 0 {
                    w.write_char(separator)?;
                }
                w.write_char(c)?;
            }
        }
    }
    if !fraction.is_empty() {
        w.write_char('.')?;
        w.write_str(fraction)?;
    }
    Ok(())
}

/// A `money` value: an exact amount in minor units (cents) of the server's `lc_monetary`
/// currency. The currency symbol is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    /// The amount in minor units: `$1,234.56` is 123456.
    pub minor_units: i64,
    /// The currency's fraction digits (2 in the `C` and `en_US` locales).
    pub frac_digits: u8,
}

impl Money {
    /// Parses `cash_out`'s text in the `C` and `en_US` locales: `$1,234.56`, `-$1.00`, also
    /// `($1.00)` and `1234.56`. Any currency symbol and spaces are skipped, `,` groups digits and
    /// `.` starts the fraction.
    pub fn parse(text: &[u8]) -> Result<Self, Reason> {
        let mut negative = false;
        let mut magnitude: u64 = 0;
        let (mut digits, mut frac_digits, mut point) = (0usize, 0u8, false);
        for &b in text {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if point {
                        frac_digits = frac_digits
                            .checked_add(1)
                            .ok_or("too many fraction digits")?;
                    }
                    magnitude = magnitude
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(u64::from(b - b'0')))
                        .ok_or("out of range")?;
                }
                b'.' if !point => point = true,
                b',' if !point && digits > 0 => {}
                b'-' | b'(' if digits == 0 && !negative => negative = true,
                b')' if negative => {}
                _ if b.is_ascii_digit() || b == b'.' || b == b',' || b == b'-' => {
                    return Err("not a money amount");
                }
                _ if digits == 0 || b == b' ' || !b.is_ascii() => {}
                _ => return Err("not a money amount"),
            }
        }
        if digits == 0 {
            return Err("no digits");
        }
        let minor_units = if negative {
            0i64.checked_sub_unsigned(magnitude).ok_or("out of range")?
        } else {
            i64::try_from(magnitude).map_err(|_| "out of range")?
        };
        Ok(Self {
            minor_units,
            frac_digits,
        })
    }

    /// The amount as a plain decimal, `-1234.56`, for JSON.
    pub fn to_decimal_string(&self) -> String {
        let mut text = String::new();
        if self.minor_units < 0 {
            text.push('-');
        }
        let _ = write_scaled(
            &mut text,
            u128::from(self.minor_units.unsigned_abs()),
            usize::from(self.frac_digits),
            None,
        );
        text
    }
}

impl fmt::Display for Money {
    /// `cash_out`'s text in the `C` locale: `-$1,234.56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor_units < 0 {
            f.write_str("-")?;
        }
        f.write_str("$")?;
        write_scaled(
            f,
            u128::from(self.minor_units.unsigned_abs()),
            usize::from(self.frac_digits),
            Some(','),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn numeric(text: &str) -> Numeric {
        Numeric::parse(&Bytes::copy_from_slice(text.as_bytes())).unwrap()
    }

    #[test]
    fn decimals_keep_digits_and_scale() {
        let n = numeric("-12.340");
        assert_eq!(
            n,
            Numeric::Decimal {
                unscaled: -12340,
                scale: 3
            }
        );
        assert_eq!(n.to_string(), "-12.340");
        assert_eq!(n.unscaled_digits().as_deref(), Some("12340"));
        assert!(n.is_negative());
        assert_eq!(numeric("0.0001").to_string(), "0.0001");
        assert_eq!(numeric("0").to_string(), "0");
        assert_eq!(numeric("-0.00").to_string(), "0.00");
        assert!(!numeric("-0").is_negative());
        assert_eq!(numeric("100").scale(), Some(0));
        assert_eq!(numeric("NaN"), Numeric::NaN);
        assert_eq!(numeric("Infinity"), Numeric::Infinity);
        assert_eq!(numeric("-Infinity"), Numeric::NegInfinity);
        assert_eq!(numeric("+1.5").to_string(), "1.5");
    }

    #[test]
    fn i128_limits_and_beyond() {
        let max = i128::MAX.to_string();
        assert_eq!(numeric(&max).unscaled(), Some(i128::MAX));
        let min = i128::MIN.to_string();
        assert_eq!(numeric(&min).unscaled(), Some(i128::MIN));
        let big = format!("-{}.{}", "9".repeat(60), "0".repeat(40));
        let n = numeric(&big);
        assert!(matches!(n, Numeric::Big { scale: 40, .. }));
        assert_eq!(n.to_string(), big);
        assert!(n.is_negative());
        assert_eq!(n.unscaled_digits().unwrap().len(), 100);
        let tiny = format!("0.{}1", "0".repeat(1000));
        assert_eq!(numeric(&tiny).to_string(), tiny);
        assert_eq!(numeric(&tiny).scale(), Some(1001));
    }

    #[test]
    fn bad_numerics() {
        for bad in ["", "-", ".", "1.2.3", "1e5", "abc", "1 ", "--1", "nan"] {
            assert!(
                Numeric::parse(&Bytes::copy_from_slice(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn money_in_c_and_en_us_formats() {
        let m = Money::parse(b"$1,234.56").unwrap();
        assert_eq!(
            m,
            Money {
                minor_units: 123456,
                frac_digits: 2
            }
        );
        assert_eq!(m.to_string(), "$1,234.56");
        assert_eq!(m.to_decimal_string(), "1234.56");
        let m = Money::parse(b"-$1.00").unwrap();
        assert_eq!(m.minor_units, -100);
        assert_eq!(m.to_string(), "-$1.00");
        assert_eq!(m.to_decimal_string(), "-1.00");
        assert_eq!(Money::parse(b"($1.00)").unwrap().minor_units, -100);
        assert_eq!(Money::parse(b"$0.05").unwrap().to_string(), "$0.05");
        let min = Money::parse(b"-$92,233,720,368,547,758.08").unwrap();
        assert_eq!(min.minor_units, i64::MIN);
        assert_eq!(min.to_string(), "-$92,233,720,368,547,758.08");
        let max = Money::parse(b"$92,233,720,368,547,758.07").unwrap();
        assert_eq!(max.minor_units, i64::MAX);
        assert!(Money::parse(b"$92,233,720,368,547,758.08").is_err());
        assert_eq!(Money::parse(b"1234").unwrap().to_string(), "$1,234");
        assert_eq!(Money::parse("1.234,56 €".as_bytes()).ok(), None);
        assert!(Money::parse(b"$").is_err());
        assert!(Money::parse(b"$1x").is_err());
    }
}
