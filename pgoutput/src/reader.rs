//! A bounds-checked big-endian cursor over a message.
//!
//! Every read checks the bytes left and reports a [`DecodeError`] naming the
//! message, the field and the offset; nothing here can panic.

use std::ops::Range;

use bytes::Bytes;

use crate::error::{DecodeError, ErrorKind, Field};
use crate::lsn::Lsn;

/// Reads the fields of one message front to back.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader at offset `pos` of `buf`, decoding the message `message`.
    #[inline]
    pub(crate) fn new(buf: &'a [u8], pos: usize, message: &'static str) -> Self {
        Reader { buf, pos, message }
    }

    /// The offset of the next byte to read.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// An error about `field` at the current offset.
    ///
    /// Field names travel unconverted (`&'static str` or [`Field`]) and
    /// become a [`Field`] only here, off the hot path.
    #[cold]
    #[inline(never)]
    pub(crate) fn error(&self, field: impl Into<Field>, kind: ErrorKind) -> DecodeError {
        DecodeError::new(self.message, field.into(), self.pos, kind)
    }

    /// An error about `field` at offset `pos`.
    #[cold]
    #[inline(never)]
    pub(crate) fn error_at(
        &self,
        pos: usize,
        field: impl Into<Field>,
        kind: ErrorKind,
    ) -> DecodeError {
        DecodeError::new(self.message, field.into(), pos, kind)
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, field: impl Into<Field>, needed: usize) -> DecodeError {
        let remaining = self.remaining();
        self.error(field, ErrorKind::Truncated { needed, remaining })
    }

    /// The whole input.
    #[inline]
    pub(crate) fn buf(&self) -> &'a [u8] {
        self.buf
    }

    /// Moves to offset `pos`, which the caller has checked.
    #[inline]
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// The next `N` bytes.
    #[inline]
    fn array<const N: usize>(&mut self, field: impl Into<Field>) -> Result<[u8; N], DecodeError> {
        match self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(bytes) => {
                self.pos += N;
                Ok(*bytes)
            }
            None => Err(self.truncated(field, N)),
        }
    }

    /// An `Int8`/`Byte1`.
    #[inline]
    pub(crate) fn u8(&mut self, field: impl Into<Field>) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    /// An `Int8` that must be 0 or 1.
    #[inline]
    pub(crate) fn bool(&mut self, field: impl Into<Field> + Copy) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            found => Err(self.error_at(
                self.pos.saturating_sub(1),
                field,
                ErrorKind::InvalidValue {
                    found,
                    expected: "0 or 1",
                },
            )),
        }
    }

    /// A `Byte1` that must equal `expected`.
    #[inline]
    pub(crate) fn expect_u8(
        &mut self,
        expected: u8,
        what: &'static str,
        field: impl Into<Field> + Copy,
    ) -> Result<(), DecodeError> {
        let found = self.u8(field)?;
        if found == expected {
            Ok(())
        } else {
            Err(self.error_at(
                self.pos.saturating_sub(1),
                field,
                ErrorKind::InvalidValue {
                    found,
                    expected: what,
                },
            ))
        }
    }

    /// An `Int32` read as unsigned (oids, xids).
    #[inline]
    pub(crate) fn u32(&mut self, field: impl Into<Field>) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// An `Int32` read as signed (type modifiers, hot standby epochs).
    #[inline]
    pub(crate) fn i32(&mut self, field: impl Into<Field>) -> Result<i32, DecodeError> {
        self.array(field).map(i32::from_be_bytes)
    }

    /// An `Int64` read as signed (timestamps).
    #[inline]
    pub(crate) fn i64(&mut self, field: impl Into<Field>) -> Result<i64, DecodeError> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// An `Int64` LSN.
    #[inline]
    pub(crate) fn lsn(&mut self, field: impl Into<Field>) -> Result<Lsn, DecodeError> {
        self.array(field).map(|b| Lsn(u64::from_be_bytes(b)))
    }

    /// An `Int16` count that must not be negative.
    #[inline]
    pub(crate) fn count16(&mut self, field: impl Into<Field> + Copy) -> Result<u16, DecodeError> {
        let n = i16::from_be_bytes(self.array(field)?);
        u16::try_from(n).map_err(|_| {
            self.error_at(
                self.pos.saturating_sub(2),
                field,
                ErrorKind::NegativeLength(n.into()),
            )
        })
    }

    /// An `Int32` length or count that must not be negative.
    #[inline]
    pub(crate) fn len32(&mut self, field: impl Into<Field> + Copy) -> Result<usize, DecodeError> {
        let n = i32::from_be_bytes(self.array(field)?);
        usize::try_from(n).map_err(|_| {
            self.error_at(
                self.pos.saturating_sub(4),
                field,
                ErrorKind::NegativeLength(n.into()),
            )
        })
    }

    /// Skips `n` bytes and returns their range.
    #[inline]
    pub(crate) fn take(
        &mut self,
        n: usize,
        field: impl Into<Field>,
    ) -> Result<Range<usize>, DecodeError> {
        if n <= self.remaining() {
            let start = self.pos;
            self.pos += n;
            Ok(start..self.pos)
        } else {
            Err(self.truncated(field, n))
        }
    }

    /// A NUL-terminated string: returns its range without the NUL.
    #[inline]
    pub(crate) fn cstr(&mut self, field: impl Into<Field>) -> Result<Range<usize>, DecodeError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(len) => {
                let start = self.pos;
                self.pos += len + 1;
                Ok(start..start + len)
            }
            None => Err(self.error(
                field,
                ErrorKind::UnterminatedString {
                    remaining: rest.len(),
                },
            )),
        }
    }

    /// Checks that the whole input was read.
    #[inline]
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(self.error("end of message", ErrorKind::TrailingBytes(n))),
        }
    }
}

/// `data[range]` as a zero-copy [`Bytes`], or empty if `range` is not within
/// `data` (which the callers' own bounds checks rule out).
#[inline]
pub(crate) fn slice(data: &Bytes, range: Range<usize>) -> Bytes {
    if range.start <= range.end && range.end <= data.len() {
        data.slice(range)
    } else {
        Bytes::new()
    }
}

/// `data` from `start` to its end, without touching the reference count.
#[inline]
pub(crate) fn tail(mut data: Bytes, start: usize) -> Bytes {
    if start <= data.len() {
        bytes::Buf::advance(&mut data, start);
        data
    } else {
        Bytes::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_fields() {
        let buf = [0, 0, 0, 7, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 9, b'a', 0, 1];
        let mut r = Reader::new(&buf, 0, "Test");
        assert_eq!(r.u32("a"), Ok(7));
        assert!(r.count16("b").is_err());
        let mut r = Reader::new(&buf, 6, "Test");
        assert_eq!(r.i64("c"), Ok(9));
        assert_eq!(r.cstr("d"), Ok(14..15));
        assert_eq!(r.bool("e"), Ok(true));
        assert_eq!(r.finish(), Ok(()));
        assert!(r.u8("f").is_err());
    }

    #[test]
    fn errors_point_at_the_field_start() {
        let buf = [0xff, 0xff, 0xff, 0xfe, 2];
        let mut r = Reader::new(&buf, 0, "Test");
        let e = r.len32("len").unwrap_err();
        assert_eq!(e.offset(), 0);
        assert_eq!(e.kind(), &ErrorKind::NegativeLength(-2));
        let e = r.bool("flag").unwrap_err();
        assert_eq!(e.offset(), 4);
        let mut r = Reader::new(&buf, 3, "Test");
        let e = r.u32("x").unwrap_err();
        assert_eq!(e.to_string(), "Test: x at byte 3: need 4 bytes, 2 left");
        let mut r = Reader::new(&buf, 9, "Test");
        assert_eq!(r.remaining(), 0);
        assert!(r.cstr("s").is_err());
        assert!(r.take(1, "t").is_err());
    }

    #[test]
    fn slicing_helpers_never_panic() {
        let data = Bytes::from_static(b"abc");
        assert_eq!(slice(&data, 1..3), "bc");
        assert_eq!(slice(&data, 2..5), "");
        assert_eq!(tail(data.clone(), 1), "bc");
        assert_eq!(tail(data, 4), "");
    }
}
