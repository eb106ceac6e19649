//! Message: logical decoding messages.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use super::{read_name, read_stream_xid};
#[cfg(feature = "encode")]
use super::{write_name, write_stream_xid};
use crate::error::DecodeError;
use crate::reader::{self, Reader};
use crate::{Lsn, Name};

/// Message (`M`): a logical decoding message, as emitted by
/// `pg_logical_emit_message` (sent when the `messages` option is on).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogicalMessage {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Whether the message is transactional (flags bit 1).
    pub transactional: bool,
    /// The LSN of the message.
    pub lsn: Lsn,
    /// The prefix given by the emitter.
    pub prefix: Name,
    /// The content, zero-copy.
    pub content: Bytes,
}

impl LogicalMessage {
    pub(crate) fn decode(data: Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&data, 1, "Message");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let transactional = r.bool("flags")?;
        let lsn = r.lsn("lsn")?;
        let prefix = read_name(&mut r, &data, "prefix")?;
        let len = r.len32("content length")?;
        let range = r.take(len, "content")?;
        r.finish()?;
        Ok(LogicalMessage {
            xid,
            transactional,
            lsn,
            prefix,
            content: reader::tail(data, range.start),
        })
    }

    /// Encodes the message body. Content beyond `i32::MAX` bytes is cut.
    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u8(u8::from(self.transactional));
        buf.put_u64(self.lsn.0);
        write_name(buf, &self.prefix);
        let len = self.content.len().min(i32::MAX as usize);
        buf.put_u32(len as u32);
        buf.put_slice(self.content.get(..len).unwrap_or_default());
    }
}
