//! `uuid`.

use std::fmt;

use super::error::Reason;
use super::scan::{hex_digit, hex_value};

/// A `uuid`'s 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// Parses `uuid_in`'s formats: 32 hex digits, optionally in braces, with `-` after any group
    /// of four (`uuid_out` prints `a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`).
    pub fn parse(text: &[u8]) -> Result<Uuid, Reason> {
        let inner = match text {
            [b'{', inner @ .., b'}'] => inner,
            _ => text,
        };
        let mut bytes = [0u8; 16];
        let mut digits = inner.iter().copied();
        for (i, byte) in bytes.iter_mut().enumerate() {
            let mut high = digits.next();
            if high == Some(b'-') && i > 0 && i % 2 == 0 {
                high = digits.next();
            }
            let high = high.and_then(hex_value).ok_or("expected 32 hex digits")?;
            let low = digits
                .next()
                .and_then(hex_value)
                .ok_or("expected 32 hex digits")?;
            *byte = high << 4 | low;
        }
        if digits.next().is_some() {
            return Err("text after 32 hex digits");
        }
        Ok(Uuid(bytes))
    }
}

impl fmt::Display for Uuid {
    /// The canonical lowercase form with hyphens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{}{}", hex_digit(b >> 4), hex_digit(*b))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats() {
        let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        let u = Uuid::parse(canonical.as_bytes()).unwrap();
        assert_eq!(u.to_string(), canonical);
        assert_eq!(Uuid::parse(b"A0EEBC999C0B4EF8BB6D6BB9BD380A11").unwrap(), u);
        assert_eq!(
            Uuid::parse(b"{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}").unwrap(),
            u
        );
        assert_eq!(
            Uuid::parse(b"00000000-0000-0000-0000-000000000000").unwrap(),
            Uuid([0; 16])
        );
        for bad in [
            "",
            "a0eebc99",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        ] {
            assert!(Uuid::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
