//! Streamed transactions (protocol 2+): Stream Start, Stop, Commit, Abort.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use crate::Lsn;
use crate::error::DecodeError;
use crate::reader::Reader;

/// Stream Start (`S`): opens a block of changes of an in-progress
/// transaction. Until the matching [`StreamStop`], Relation, Type, Insert,
/// Update, Delete, Truncate and Message carry the transaction's xid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamStart {
    /// Xid of the transaction.
    pub xid: u32,
    /// Whether this is the transaction's first block.
    pub first_segment: bool,
}

impl StreamStart {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Stream Start");
        let m = StreamStart {
            xid: r.u32("xid")?,
            first_segment: r.bool("first_segment")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.xid);
        buf.put_u8(u8::from(self.first_segment));
    }
}

/// Stream Stop (`E`): closes the current streamed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StreamStop;

impl StreamStop {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        Reader::new(data, 1, "Stream Stop").finish()?;
        Ok(StreamStop)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, _buf: &mut BytesMut) {}
}

/// Stream Commit (`c`): commit of a streamed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamCommit {
    /// Xid of the transaction.
    pub xid: u32,
    /// Flags; currently unused (0).
    pub flags: u8,
    /// The LSN of the commit.
    pub commit_lsn: Lsn,
    /// The end LSN of the transaction.
    pub end_lsn: Lsn,
    /// Commit timestamp, microseconds since 2000-01-01 UTC.
    pub commit_time: i64,
}

impl StreamCommit {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Stream Commit");
        let m = StreamCommit {
            xid: r.u32("xid")?,
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
        buf.put_u32(self.xid);
        buf.put_u8(self.flags);
        buf.put_u64(self.commit_lsn.0);
        buf.put_u64(self.end_lsn.0);
        buf.put_i64(self.commit_time);
    }
}

/// Stream Abort (`A`): abort of a streamed transaction or subtransaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamAbort {
    /// Xid of the transaction.
    pub xid: u32,
    /// Xid of the subtransaction (the same as `xid` for a top-level abort).
    pub subxid: u32,
    /// Abort LSN and time, sent only by protocol 4 with `streaming = parallel`.
    /// The decoder infers their presence from the message length.
    pub abort_info: Option<StreamAbortInfo>,
}

/// The extra fields of a [`StreamAbort`] under protocol 4 with
/// `streaming = parallel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamAbortInfo {
    /// The LSN of the abort.
    pub abort_lsn: Lsn,
    /// Abort timestamp, microseconds since 2000-01-01 UTC.
    pub abort_time: i64,
}

impl StreamAbort {
    pub(crate) fn decode(data: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Stream Abort");
        let xid = r.u32("xid")?;
        let subxid = r.u32("subxid")?;
        // Protocol 4 with `streaming = parallel` appends two fields; nothing
        // else tells whether they are there, so the length decides.
        let abort_info = if r.remaining() == 0 {
            None
        } else {
            Some(StreamAbortInfo {
                abort_lsn: r.lsn("abort_lsn")?,
                abort_time: r.i64("abort_time")?,
            })
        };
        r.finish()?;
        Ok(StreamAbort {
            xid,
            subxid,
            abort_info,
        })
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.xid);
        buf.put_u32(self.subxid);
        if let Some(info) = &self.abort_info {
            buf.put_u64(info.abort_lsn.0);
            buf.put_i64(info.abort_time);
        }
    }
}
