//! Two-phase commit (protocol 3+): Begin Prepare, Prepare, Commit Prepared,
//! Rollback Prepared and Stream Prepare.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use super::read_name;
#[cfg(feature = "encode")]
use super::write_name;
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::{Lsn, Name};

/// Begin Prepare (`b`): the start of a transaction that will be prepared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BeginPrepare {
    /// The LSN of the prepare.
    pub prepare_lsn: Lsn,
    /// The end LSN of the prepared transaction.
    pub end_lsn: Lsn,
    /// Prepare timestamp, microseconds since 2000-01-01 UTC.
    pub prepare_time: i64,
    /// Xid of the transaction.
    pub xid: u32,
    /// The user-defined transaction identifier (`PREPARE TRANSACTION 'gid'`).
    pub gid: Name,
}

impl BeginPrepare {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Begin Prepare");
        let m = BeginPrepare {
            prepare_lsn: r.lsn("prepare_lsn")?,
            end_lsn: r.lsn("end_lsn")?,
            prepare_time: r.i64("prepare_time")?,
            xid: r.u32("xid")?,
            gid: read_name(&mut r, data, "gid")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.prepare_lsn.0);
        buf.put_u64(self.end_lsn.0);
        buf.put_i64(self.prepare_time);
        buf.put_u32(self.xid);
        write_name(buf, &self.gid);
    }
}

/// Prepare (`P`) and Stream Prepare (`p`): a transaction prepared for
/// two-phase commit. Both messages have this layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prepare {
    /// Flags; currently unused (0).
    pub flags: u8,
    /// The LSN of the prepare.
    pub prepare_lsn: Lsn,
    /// The end LSN of the prepared transaction.
    pub end_lsn: Lsn,
    /// Prepare timestamp, microseconds since 2000-01-01 UTC.
    pub prepare_time: i64,
    /// Xid of the transaction.
    pub xid: u32,
    /// The user-defined transaction identifier.
    pub gid: Name,
}

/// Stream Prepare (`p`): the prepare of a streamed transaction, laid out as
/// [`Prepare`].
pub type StreamPrepare = Prepare;

impl Prepare {
    /// Decodes a Prepare or, with `message` = `"Stream Prepare"`, a Stream
    /// Prepare.
    pub(crate) fn decode(data: &Bytes, message: &'static str) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, message);
        let m = Prepare {
            flags: r.u8("flags")?,
            prepare_lsn: r.lsn("prepare_lsn")?,
            end_lsn: r.lsn("end_lsn")?,
            prepare_time: r.i64("prepare_time")?,
            xid: r.u32("xid")?,
            gid: read_name(&mut r, data, "gid")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.flags);
        buf.put_u64(self.prepare_lsn.0);
        buf.put_u64(self.end_lsn.0);
        buf.put_i64(self.prepare_time);
        buf.put_u32(self.xid);
        write_name(buf, &self.gid);
    }
}

/// Commit Prepared (`K`): `COMMIT PREPARED` of a prepared transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommitPrepared {
    /// Flags; currently unused (0).
    pub flags: u8,
    /// The LSN of the commit prepared.
    pub commit_lsn: Lsn,
    /// The end LSN of the commit prepared transaction.
    pub end_lsn: Lsn,
    /// Commit timestamp, microseconds since 2000-01-01 UTC.
    pub commit_time: i64,
    /// Xid of the transaction.
    pub xid: u32,
    /// The user-defined transaction identifier.
    pub gid: Name,
}

impl CommitPrepared {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Commit Prepared");
        let m = CommitPrepared {
            flags: r.u8("flags")?,
            commit_lsn: r.lsn("commit_lsn")?,
            end_lsn: r.lsn("end_lsn")?,
            commit_time: r.i64("commit_time")?,
            xid: r.u32("xid")?,
            gid: read_name(&mut r, data, "gid")?,
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
        buf.put_u32(self.xid);
        write_name(buf, &self.gid);
    }
}

/// Rollback Prepared (`r`): `ROLLBACK PREPARED` of a prepared transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RollbackPrepared {
    /// Flags; currently unused (0).
    pub flags: u8,
    /// The end LSN of the prepared transaction.
    pub prepare_end_lsn: Lsn,
    /// The end LSN of the rollback prepared transaction.
    pub rollback_end_lsn: Lsn,
    /// Prepare timestamp, microseconds since 2000-01-01 UTC.
    pub prepare_time: i64,
    /// Rollback timestamp, microseconds since 2000-01-01 UTC.
    pub rollback_time: i64,
    /// Xid of the transaction.
    pub xid: u32,
    /// The user-defined transaction identifier.
    pub gid: Name,
}

impl RollbackPrepared {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Rollback Prepared");
        let m = RollbackPrepared {
            flags: r.u8("flags")?,
            prepare_end_lsn: r.lsn("prepare_end_lsn")?,
            rollback_end_lsn: r.lsn("rollback_end_lsn")?,
            prepare_time: r.i64("prepare_time")?,
            rollback_time: r.i64("rollback_time")?,
            xid: r.u32("xid")?,
            gid: read_name(&mut r, data, "gid")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.flags);
        buf.put_u64(self.prepare_end_lsn.0);
        buf.put_u64(self.rollback_end_lsn.0);
        buf.put_i64(self.prepare_time);
        buf.put_i64(self.rollback_time);
        buf.put_u32(self.xid);
        write_name(buf, &self.gid);
    }
}
