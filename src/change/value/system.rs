//! System identifiers with a structure: `pg_lsn` and `tid`.

use std::fmt;

use super::error::Reason;
use super::scan::{Cursor, hex_value};

/// A `pg_lsn`: a position in the write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PgLsn(pub u64);

impl PgLsn {
    /// Parses `pg_lsn_out`'s text: `16/B374D848` (two hex numbers of up to 8 digits).
    pub fn parse(text: &[u8]) -> Result<PgLsn, Reason> {
        let mut cur = Cursor::new(text);
        let high = hex_u32(&mut cur)?;
        cur.expect(b'/', "expected '/'")?;
        let low = hex_u32(&mut cur)?;
        cur.finish("unexpected text after the LSN")?;
        Ok(PgLsn(u64::from(high) << 32 | u64::from(low)))
    }
}

fn hex_u32(cur: &mut Cursor<'_>) -> Result<u32, Reason> {
    let digits = cur.take_while(|b| b.is_ascii_hexdigit());
    if digits.is_empty() || digits.len() > 8 {
        return Err("expected 1 to 8 hex digits");
    }
    Ok(digits.iter().fold(0u32, |acc, &d| {
        acc << 4 | u32::from(hex_value(d).unwrap_or(0))
    }))
}

impl fmt::Display for PgLsn {
    /// `pg_lsn_out`'s text, upper-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

/// A `tid`: the physical location of a row version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tid {
    /// The block number.
    pub block: u32,
    /// The line pointer within the block (1-based).
    pub offset: u16,
}

impl Tid {
    /// Parses `tidout`'s text: `(0,1)`.
    pub fn parse(text: &[u8]) -> Result<Tid, Reason> {
        let mut cur = Cursor::new(text);
        cur.expect(b'(', "expected '('")?;
        let block = cur.number("bad block number")?;
        cur.expect(b',', "expected ','")?;
        let offset = cur.number("bad offset")?;
        cur.expect(b')', "expected ')'")?;
        cur.finish("unexpected text after the tid")?;
        Ok(Tid {
            block: u32::try_from(block).map_err(|_| "block number out of range")?,
            offset: u16::try_from(offset).map_err(|_| "offset out of range")?,
        })
    }
}

impl fmt::Display for Tid {
    /// `tidout`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({},{})", self.block, self.offset)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lsns_and_tids() {
        let lsn = PgLsn::parse(b"16/B374D848").unwrap();
        assert_eq!(lsn.0, 0x16_B374_D848);
        assert_eq!(lsn.to_string(), "16/B374D848");
        assert_eq!(PgLsn::parse(b"0/0").unwrap().to_string(), "0/0");
        assert_eq!(PgLsn::parse(b"FFFFFFFF/FFFFFFFF").unwrap().0, u64::MAX);
        assert_eq!(PgLsn::parse(b"0/0000ABCD").unwrap().0, 0xabcd);
        for bad in ["", "1", "1/", "/1", "100000000/0", "1/2x"] {
            assert!(PgLsn::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let tid = Tid::parse(b"(4294967295,65535)").unwrap();
        assert_eq!(
            tid,
            Tid {
                block: u32::MAX,
                offset: u16::MAX
            }
        );
        assert_eq!(tid.to_string(), "(4294967295,65535)");
        assert!(Tid::parse(b"(0,65536)").is_err());
        assert!(Tid::parse(b"(0 ,1)").is_err());
    }
}
