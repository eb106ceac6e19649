//! Begin, Commit and Origin.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use super::read_name;
#[cfg(feature = "encode")]
use super::write_name;
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::{Lsn, Name};

/// Begin (`B`): the start of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Begin {
    /// The final LSN of the transaction.
    pub final_lsn: Lsn,
    /// Commit timestamp, microseconds since 2000-01-01 UTC (see [`crate::time`]).
    pub commit_time: i64,
    /// Xid of the transaction.
    pub xid: u32,
}

impl Begin {
    #[inline]
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Begin");
        let m = Begin {
            final_lsn: r.lsn("final_lsn")?,
            commit_time: r.i64("commit_time")?,
            xid: r.u32("xid")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.final_lsn.0);
        buf.put_i64(self.commit_time);
        buf.put_u32(self.xid);
    }
}

/// Commit (`C`): the end of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commit {
    /// Flags; currently unused (0).
    pub flags: u8,
    /// The LSN of the commit.
    pub commit_lsn: Lsn,
    /// The end LSN of the transaction.
    pub end_lsn: Lsn,
    /// Commit timestamp, microseconds since 2000-01-01 UTC.
    pub commit_time: i64,
}

impl Commit {
    #[inline]
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Commit");
        let m = Commit {
            flags: r.u8("flags")?,
            commit_lsn: r.lsn("commit_lsn")?,
            end_lsn: r.lsn("end_lsn")?,
            commit_time: r.i64("commit_time")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.flags);
        buf.put_u64(self.commit_lsn.0);
        buf.put_u64(self.end_lsn.0);
        buf.put_i64(self.commit_time);
    }
}

/// Origin (`O`): the replication origin the current transaction came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The LSN of the commit on the origin server.
    pub commit_lsn: Lsn,
    /// The origin's name.
    pub name: Name,
}

impl Origin {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Origin");
        let m = Origin {
            commit_lsn: r.lsn("commit_lsn")?,
            name: read_name(&mut r, data, "name")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.commit_lsn.0);
        write_name(buf, &self.name);
    }
}
