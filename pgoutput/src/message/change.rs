//! Insert, Update, Delete and Truncate: the row changes.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use super::read_stream_xid;
#[cfg(feature = "encode")]
use super::write_stream_xid;
use crate::error::{DecodeError, ErrorKind};
use crate::reader::{self, Reader};
use crate::tuple::Tuple;

const NEW: u8 = b'N';
const KEY: u8 = b'K';
const OLD: u8 = b'O';

/// Insert (`I`): a new row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Insert {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Oid of the relation, as announced by a [`Relation`](super::Relation).
    pub relation_oid: u32,
    /// The new row.
    pub new: Tuple,
}

/// The old row image of an Update or Delete.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OldTuple {
    /// `K`: the replica identity key columns (the others are null).
    Key(Tuple),
    /// `O`: the whole old row (`REPLICA IDENTITY FULL`).
    Full(Tuple),
}

impl OldTuple {
    /// The old row image, whichever kind it is.
    pub fn tuple(&self) -> &Tuple {
        match self {
            OldTuple::Key(t) | OldTuple::Full(t) => t,
        }
    }

    /// Whether it holds only the key columns.
    pub fn is_key(&self) -> bool {
        matches!(self, OldTuple::Key(_))
    }

    fn from_marker(marker: u8, tuple: Tuple) -> OldTuple {
        if marker == KEY {
            OldTuple::Key(tuple)
        } else {
            OldTuple::Full(tuple)
        }
    }

    #[cfg(feature = "encode")]
    fn encode(&self, buf: &mut BytesMut) {
        let (marker, tuple) = match self {
            OldTuple::Key(t) => (KEY, t),
            OldTuple::Full(t) => (OLD, t),
        };
        buf.put_u8(marker);
        tuple.encode(buf);
    }
}

/// Update (`U`): a changed row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Update {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Oid of the relation.
    pub relation_oid: u32,
    /// The old row: the key if it changed (`K`), the whole row with
    /// `REPLICA IDENTITY FULL` (`O`), or `None`.
    pub old: Option<OldTuple>,
    /// The new row.
    pub new: Tuple,
}

/// Delete (`D`): a removed row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delete {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Oid of the relation.
    pub relation_oid: u32,
    /// The old row: its key (`K`) or, with `REPLICA IDENTITY FULL`, the whole
    /// row (`O`).
    pub old: OldTuple,
}

impl Insert {
    #[inline]
    pub(crate) fn decode(data: Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&data, 1, "Insert");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let relation_oid = r.u32("relation_oid")?;
        r.expect_u8(NEW, "'N'", "tuple marker")?;
        let (range, len) = Tuple::validate(&mut r, "tuple", "number of columns")?;
        r.finish()?;
        // The tuple runs to the end: reuse `data` without a new reference.
        let new = Tuple::from_validated(reader::tail(data, range.start), len);
        Ok(Insert {
            xid,
            relation_oid,
            new,
        })
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u32(self.relation_oid);
        buf.put_u8(NEW);
        self.new.encode(buf);
    }
}

impl Update {
    pub(crate) fn decode(data: Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&data, 1, "Update");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let relation_oid = r.u32("relation_oid")?;
        let marker = r.u8("tuple marker")?;
        let old = match marker {
            KEY | OLD => {
                let (range, len) = Tuple::validate(&mut r, "old tuple", "old number of columns")?;
                r.expect_u8(NEW, "'N'", "new tuple marker")?;
                Some((marker, range, len))
            }
            NEW => None,
            found => {
                return Err(r.error_at(
                    r.pos().saturating_sub(1),
                    "tuple marker",
                    ErrorKind::InvalidValue {
                        found,
                        expected: "'K', 'O' or 'N'",
                    },
                ));
            }
        };
        let (range, len) = Tuple::validate(&mut r, "new tuple", "new number of columns")?;
        r.finish()?;
        let old = old.map(|(marker, range, len)| {
            OldTuple::from_marker(
                marker,
                Tuple::from_validated(reader::slice(&data, range), len),
            )
        });
        let new = Tuple::from_validated(reader::tail(data, range.start), len);
        Ok(Update {
            xid,
            relation_oid,
            old,
            new,
        })
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u32(self.relation_oid);
        if let Some(old) = &self.old {
            old.encode(buf);
        }
        buf.put_u8(NEW);
        self.new.encode(buf);
    }
}

impl Delete {
    pub(crate) fn decode(data: Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&data, 1, "Delete");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let relation_oid = r.u32("relation_oid")?;
        let marker = r.u8("tuple marker")?;
        if marker != KEY && marker != OLD {
            return Err(r.error_at(
                r.pos().saturating_sub(1),
                "tuple marker",
                ErrorKind::InvalidValue {
                    found: marker,
                    expected: "'K' or 'O'",
                },
            ));
        }
        let (range, len) = Tuple::validate(&mut r, "old tuple", "number of columns")?;
        r.finish()?;
        let old = Tuple::from_validated(reader::tail(data, range.start), len);
        Ok(Delete {
            xid,
            relation_oid,
            old: OldTuple::from_marker(marker, old),
        })
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u32(self.relation_oid);
        self.old.encode(buf);
    }
}

/// Truncate (`T`): tables emptied by one `TRUNCATE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Truncate {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Option bits: [`Truncate::CASCADE`], [`Truncate::RESTART_IDENTITY`].
    pub options: u8,
    /// Oids of the truncated relations.
    pub relation_oids: Vec<u32>,
}

impl Truncate {
    /// Option bit for `TRUNCATE ... CASCADE`.
    pub const CASCADE: u8 = 1;
    /// Option bit for `TRUNCATE ... RESTART IDENTITY`.
    pub const RESTART_IDENTITY: u8 = 2;

    /// Whether `CASCADE` was given.
    pub fn cascade(&self) -> bool {
        self.options & Truncate::CASCADE != 0
    }

    /// Whether `RESTART IDENTITY` was given.
    pub fn restart_identity(&self) -> bool {
        self.options & Truncate::RESTART_IDENTITY != 0
    }

    pub(crate) fn decode(data: &Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Truncate");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let count = r.len32("number of relations")?;
        let options = r.u8("options")?;
        // Check the whole array before allocating for it.
        let needed = count.saturating_mul(4);
        if needed > r.remaining() {
            return Err(r.error(
                "relation oids",
                ErrorKind::Truncated {
                    needed,
                    remaining: r.remaining(),
                },
            ));
        }
        let mut relation_oids = Vec::with_capacity(count);
        for _ in 0..count {
            relation_oids.push(r.u32("relation oid")?);
        }
        r.finish()?;
        Ok(Truncate {
            xid,
            options,
            relation_oids,
        })
    }

    /// Encodes the message body. The relation count saturates at `i32::MAX`.
    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        let count = self.relation_oids.len().min(i32::MAX as usize);
        buf.put_u32(count as u32);
        buf.put_u8(self.options);
        for &oid in self.relation_oids.iter().take(count) {
            buf.put_u32(oid);
        }
    }
}
