//! `bit` and `varbit`.

use std::fmt;

use super::error::Reason;

/// A bit string: its length in bits and the bits packed most significant first, the unused low
/// bits of the last byte zero (PostgreSQL's own layout).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BitString {
    /// The number of bits.
    pub len: usize,
    /// `len.div_ceil(8)` bytes.
    pub bytes: Vec<u8>,
}

impl BitString {
    /// Parses `bit_out`'s text: `0` and `1` digits.
    pub fn parse(text: &[u8]) -> Result<BitString, Reason> {
        let mut bytes = vec![0u8; text.len().div_ceil(8)];
        for (i, &digit) in text.iter().enumerate() {
            let bit = match digit {
                b'0' => 0,
                b'1' => 0x80u8 >> (i % 8),
                _ => return Err("not a binary digit"),
            };
            if let Some(byte) = bytes.get_mut(i / 8) {
                *byte |= bit;
            }
        }
        Ok(BitString {
            len: text.len(),
            bytes,
        })
    }

    /// Builds a bit string from PostgreSQL's layout, `None` if `bytes` is not `len` bits long.
    /// Unused low bits of the last byte are cleared.
    pub fn from_bytes(len: usize, mut bytes: Vec<u8>) -> Option<BitString> {
        if bytes.len() != len.div_ceil(8) {
            return None;
        }
        let unused = (8 - len % 8) % 8;
        if let Some(last) = bytes.last_mut() {
            *last &= 0xffu8 << unused;
        }
        Some(BitString { len, bytes })
    }

    /// Bit `i`, counting from the first (leftmost).
    pub fn get(&self, i: usize) -> Option<bool> {
        if i >= self.len {
            return None;
        }
        self.bytes.get(i / 8).map(|b| b & (0x80 >> (i % 8)) != 0)
    }

    /// The bits, first to last.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.get(i).unwrap_or(false))
    }
}

impl fmt::Display for BitString {
    /// `0` and `1` digits, as `bit_out` prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for bit in self.iter() {
            f.write_str(if bit { "1" } else { "0" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bits() {
        let b = BitString::parse(b"101000001").unwrap();
        assert_eq!(b.len, 9);
        assert_eq!(b.bytes, [0b1010_0000, 0b1000_0000]);
        assert_eq!(b.to_string(), "101000001");
        assert_eq!(b.get(8), Some(true));
        assert_eq!(b.get(9), None);
        assert_eq!(BitString::parse(b"").unwrap(), BitString::default());
        assert!(BitString::parse(b"102").is_err());
        assert_eq!(
            BitString::from_bytes(3, vec![0xff]).unwrap().to_string(),
            "111"
        );
        assert!(BitString::from_bytes(9, vec![0xff]).is_none());
    }
}
