//! Tuples: the row images of Insert, Update and Delete.

use std::fmt;
use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};

use crate::DecodeError;
use crate::error::{ErrorKind, Field};
use crate::reader::{self, Reader};

const NULL: u8 = b'n';
const UNCHANGED_TOAST: u8 = b'u';
const TEXT: u8 = b't';
const BINARY: u8 = b'b';

/// One column value of a [`Tuple`], owning a zero-copy slice of the frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TupleData {
    /// `n`: SQL NULL.
    Null,
    /// `u`: an unchanged TOASTed value, not sent (the value is the old one).
    UnchangedToast,
    /// `t`: the value in the type's text output format.
    Text(Bytes),
    /// `b`: the value in the type's binary output format.
    Binary(Bytes),
}

impl TupleData {
    /// The value's bytes for `Text` and `Binary`, `None` otherwise.
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            TupleData::Text(b) | TupleData::Binary(b) => Some(b),
            TupleData::Null | TupleData::UnchangedToast => None,
        }
    }

    /// Whether the value is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, TupleData::Null)
    }
}

/// One column value of a [`Tuple`], borrowing the tuple: iterating these
/// does not touch the frame's reference count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TupleDataRef<'a> {
    /// `n`: SQL NULL.
    Null,
    /// `u`: an unchanged TOASTed value, not sent.
    UnchangedToast,
    /// `t`: the value in the type's text output format.
    Text(&'a [u8]),
    /// `b`: the value in the type's binary output format.
    Binary(&'a [u8]),
}

/// A row image: the column values of an Insert, Update or Delete.
///
/// It keeps the validated raw column data (a zero-copy slice of the frame)
/// and the column count, and decodes columns lazily while iterating. The
/// data were fully checked when the message was decoded, so iteration never
/// fails.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Tuple {
    /// The column entries, after the column count.
    data: Bytes,
    len: u16,
}

impl Tuple {
    /// The number of columns.
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the tuple has no column.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The column values, in order, as zero-copy [`Bytes`].
    ///
    /// Each `Text` or `Binary` value takes a reference on the frame's
    /// buffer (an atomic increment); [`Tuple::iter_ref`] borrows instead,
    /// which suits loops that only read the values.
    #[inline]
    pub fn iter(&self) -> TupleIter<'_> {
        TupleIter {
            data: &self.data,
            raw: self.raw_columns(),
        }
    }

    /// The column values, in order, borrowing this tuple.
    #[inline]
    pub fn iter_ref(&self) -> TupleRefIter<'_> {
        TupleRefIter {
            data: &self.data,
            raw: self.raw_columns(),
        }
    }

    /// The value of column `index` (zero-based), or `None` past the end.
    /// This walks the columns before it.
    pub fn get(&self, index: usize) -> Option<TupleData> {
        self.iter().nth(index)
    }

    /// The encoded column entries (without the leading column count), as on
    /// the wire.
    pub fn raw(&self) -> &Bytes {
        &self.data
    }

    /// Builds a tuple from column values, for encoding or tests.
    pub fn from_columns<I>(columns: I) -> Result<Tuple, TupleBuildError>
    where
        I: IntoIterator<Item = TupleData>,
    {
        let mut data = BytesMut::new();
        let mut len: usize = 0;
        for column in columns {
            match &column {
                TupleData::Null => data.put_u8(NULL),
                TupleData::UnchangedToast => data.put_u8(UNCHANGED_TOAST),
                TupleData::Text(value) | TupleData::Binary(value) => {
                    let kind = if matches!(column, TupleData::Text(_)) {
                        TEXT
                    } else {
                        BINARY
                    };
                    let Ok(value_len) = i32::try_from(value.len()) else {
                        return Err(TupleBuildError::ValueTooLong { index: len });
                    };
                    data.put_u8(kind);
                    data.put_i32(value_len);
                    data.put_slice(value);
                }
            }
            len += 1;
        }
        let len = u16::try_from(len)
            .ok()
            .filter(|&n| n <= i16::MAX as u16)
            .ok_or(TupleBuildError::TooManyColumns(len))?;
        Ok(Tuple {
            data: data.freeze(),
            len,
        })
    }

    /// Reads and validates a tuple (column count and entries) at the reader's
    /// position. Returns the range of the entries and the column count.
    ///
    /// This is the hot loop of decoding: it walks the entries with a local
    /// offset and builds errors only on failure.
    #[inline]
    pub(crate) fn validate(
        r: &mut Reader<'_>,
        list: &'static str,
        count_field: &'static str,
    ) -> Result<(Range<usize>, u16), DecodeError> {
        let len = r.count16(count_field)?;
        let buf = r.buf();
        let start = r.pos();
        let mut pos = start;
        for index in 0..len {
            let field = |part| Field::Column { list, index, part };
            let truncated = |pos: usize, part, needed| {
                let remaining = buf.len().saturating_sub(pos);
                r.error_at(pos, field(part), ErrorKind::Truncated { needed, remaining })
            };
            let Some(&kind) = buf.get(pos) else {
                return Err(truncated(pos, "kind", 1));
            };
            match kind {
                NULL | UNCHANGED_TOAST => pos += 1,
                TEXT | BINARY => {
                    pos += 1;
                    let Some(length) = buf.get(pos..).and_then(|rest| rest.first_chunk::<4>())
                    else {
                        return Err(truncated(pos, "length", 4));
                    };
                    let length = i32::from_be_bytes(*length);
                    let Ok(length) = usize::try_from(length) else {
                        let kind = ErrorKind::NegativeLength(length.into());
                        return Err(r.error_at(pos, field("length"), kind));
                    };
                    pos += 4;
                    if length > buf.len() - pos {
                        return Err(truncated(pos, "data", length));
                    }
                    pos += length;
                }
                other => {
                    let kind = ErrorKind::UnknownTupleKind(other);
                    return Err(r.error_at(pos, field("kind"), kind));
                }
            }
        }
        r.set_pos(pos);
        Ok((start..pos, len))
    }

    /// A tuple over already validated entries.
    #[inline]
    pub(crate) fn from_validated(data: Bytes, len: u16) -> Tuple {
        Tuple { data, len }
    }

    /// Appends the column count and entries.
    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u16(self.len);
        buf.put_slice(&self.data);
    }

    fn raw_columns(&self) -> RawColumns<'_> {
        RawColumns {
            buf: &self.data,
            pos: 0,
            left: self.len,
        }
    }
}

impl fmt::Debug for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter_ref()).finish()
    }
}

impl<'a> IntoIterator for &'a Tuple {
    type Item = TupleData;
    type IntoIter = TupleIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Why [`Tuple::from_columns`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TupleBuildError {
    /// The protocol allows at most 32,767 columns.
    #[error("{0} columns, the protocol allows at most 32767")]
    TooManyColumns(usize),
    /// A value is longer than `i32::MAX` bytes.
    #[error("column {index} is longer than 2147483647 bytes")]
    ValueTooLong {
        /// The zero-based column index.
        index: usize,
    },
}

/// A column entry located in the tuple's data.
enum RawColumn {
    Null,
    UnchangedToast,
    Text(Range<usize>),
    Binary(Range<usize>),
}

/// Walks validated column entries. Should the data not match (which decoding
/// rules out) it stops instead of panicking.
struct RawColumns<'a> {
    buf: &'a [u8],
    pos: usize,
    left: u16,
}

impl RawColumns<'_> {
    #[inline]
    fn value(&mut self) -> Option<Range<usize>> {
        let rest = self.buf.get(self.pos..)?;
        let len = u32::from_be_bytes(*rest.first_chunk::<4>()?) as usize;
        let start = self.pos + 4;
        let end = start.checked_add(len)?;
        self.buf.get(start..end)?;
        self.pos = end;
        Some(start..end)
    }

    #[inline]
    fn step(&mut self) -> Option<RawColumn> {
        let kind = *self.buf.get(self.pos)?;
        self.pos += 1;
        match kind {
            NULL => Some(RawColumn::Null),
            UNCHANGED_TOAST => Some(RawColumn::UnchangedToast),
            TEXT => self.value().map(RawColumn::Text),
            BINARY => self.value().map(RawColumn::Binary),
            _ => None,
        }
    }
}

impl Iterator for RawColumns<'_> {
    type Item = RawColumn;

    #[inline]
    fn next(&mut self) -> Option<RawColumn> {
        if self.left == 0 {
            return None;
        }
        match self.step() {
            Some(column) => {
                self.left -= 1;
                Some(column)
            }
            None => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.left), Some(usize::from(self.left)))
    }
}

/// Iterator over a [`Tuple`]'s values as [`TupleData`]; see [`Tuple::iter`].
pub struct TupleIter<'a> {
    data: &'a Bytes,
    raw: RawColumns<'a>,
}

impl Iterator for TupleIter<'_> {
    type Item = TupleData;

    #[inline]
    fn next(&mut self) -> Option<TupleData> {
        Some(match self.raw.next()? {
            RawColumn::Null => TupleData::Null,
            RawColumn::UnchangedToast => TupleData::UnchangedToast,
            RawColumn::Text(range) => TupleData::Text(reader::slice(self.data, range)),
            RawColumn::Binary(range) => TupleData::Binary(reader::slice(self.data, range)),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }

    /// Counts the columns without slicing their values.
    fn count(self) -> usize {
        self.raw.count()
    }

    /// Skips `n` columns without slicing their values.
    fn nth(&mut self, n: usize) -> Option<TupleData> {
        for _ in 0..n {
            self.raw.next()?;
        }
        self.next()
    }
}

impl ExactSizeIterator for TupleIter<'_> {}

/// Iterator over a [`Tuple`]'s values as [`TupleDataRef`]; see
/// [`Tuple::iter_ref`].
pub struct TupleRefIter<'a> {
    data: &'a [u8],
    raw: RawColumns<'a>,
}

impl<'a> Iterator for TupleRefIter<'a> {
    type Item = TupleDataRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<TupleDataRef<'a>> {
        Some(match self.raw.next()? {
            RawColumn::Null => TupleDataRef::Null,
            RawColumn::UnchangedToast => TupleDataRef::UnchangedToast,
            RawColumn::Text(range) => TupleDataRef::Text(self.data.get(range).unwrap_or_default()),
            RawColumn::Binary(range) => {
                TupleDataRef::Binary(self.data.get(range).unwrap_or_default())
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }
}

impl ExactSizeIterator for TupleRefIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &'static [u8]) -> Result<Tuple, DecodeError> {
        let data = Bytes::from_static(bytes);
        let mut r = Reader::new(&data, 0, "Test");
        let (range, len) = Tuple::validate(&mut r, "tuple", "number of columns")?;
        r.finish()?;
        Ok(Tuple::from_validated(reader::slice(&data, range), len))
    }

    #[test]
    fn all_column_kinds() {
        let t = decode(b"\x00\x05nut\x00\x00\x00\x0242b\x00\x00\x00\x00n").unwrap();
        assert_eq!(t.len(), 5);
        let values: Vec<_> = t.iter().collect();
        let expected = [
            TupleData::Null,
            TupleData::UnchangedToast,
            TupleData::Text(Bytes::from_static(b"42")),
            TupleData::Binary(Bytes::new()),
            TupleData::Null,
        ];
        assert_eq!(values, expected);
        assert_eq!(t.get(2), Some(TupleData::Text(Bytes::from_static(b"42"))));
        assert_eq!(t.get(5), None);
        assert!(t.get(0).unwrap().is_null());
        assert_eq!(t.get(2).unwrap().bytes().unwrap(), "42");
        assert_eq!(t.get(1).unwrap().bytes(), None);
        let refs: Vec<_> = t.iter_ref().collect();
        assert_eq!(refs[2], TupleDataRef::Text(b"42"));
        assert_eq!(refs[3], TupleDataRef::Binary(b""));
        assert_eq!(t.iter().len(), 5);
        assert_eq!((&t).into_iter().count(), 5);
        assert_eq!(format!("{t:?}").matches("Null").count(), 2);
    }

    #[test]
    fn zero_columns() {
        let t = decode(b"\x00\x00").unwrap();
        assert!(t.is_empty());
        assert_eq!(t.iter().next(), None);
        assert_eq!(t, Tuple::from_columns([]).unwrap());
    }

    #[test]
    fn bad_tuples_are_errors() {
        let e = decode(b"\x00\x01x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Test: tuple column 0 kind at byte 2: unknown tuple column kind 0x78 ('x')"
        );
        let e = decode(b"\x00\x02nt\x00\x00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Test: tuple column 1 length at byte 4: need 4 bytes, 2 left"
        );
        let e = decode(b"\x00\x01t\xff\xff\xff\xff").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::NegativeLength(-1));
        let e = decode(b"\x00\x01t\x00\x00\x00\x05abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Test: tuple column 0 data at byte 7: need 5 bytes, 3 left"
        );
        let e = decode(b"\xff\xff").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::NegativeLength(-1));
        let e = decode(b"\x00\x01nn").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::TrailingBytes(1));
    }

    #[test]
    fn built_tuples_match_decoded_ones() {
        let built = Tuple::from_columns([
            TupleData::Null,
            TupleData::UnchangedToast,
            TupleData::Text(Bytes::from_static(b"42")),
            TupleData::Binary(Bytes::new()),
            TupleData::Null,
        ])
        .unwrap();
        let decoded = decode(b"\x00\x05nut\x00\x00\x00\x0242b\x00\x00\x00\x00n").unwrap();
        assert_eq!(built, decoded);
        let many = Tuple::from_columns(std::iter::repeat_n(TupleData::Null, 32_768));
        assert_eq!(many, Err(TupleBuildError::TooManyColumns(32_768)));
    }

    #[test]
    fn iteration_stops_on_inconsistent_data() {
        let t = Tuple::from_validated(Bytes::from_static(b"nt\x00\x00\x00\x09ab"), 3);
        assert_eq!(t.iter().count(), 1);
        assert_eq!(t.iter_ref().count(), 1);
    }
}
