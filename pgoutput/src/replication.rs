//! The CopyData frames of the streaming replication protocol.
//!
//! After `START_REPLICATION`, the server sends [`ReplicationMessage`]s
//! (XLogData `w`, primary keepalive `k`) and the client answers with
//! [`StandbyStatusUpdate`] (`r`) and, rarely, [`HotStandbyFeedback`] (`h`).
//! All integers are big-endian; times are microseconds since 2000-01-01 UTC.

use bytes::{BufMut, Bytes, BytesMut};

use crate::Lsn;
use crate::error::{DecodeError, ErrorKind};
use crate::reader::{self, Reader};

const XLOG_DATA: u8 = b'w';
const PRIMARY_KEEPALIVE: u8 = b'k';
const STANDBY_STATUS_UPDATE: u8 = b'r';
const HOT_STANDBY_FEEDBACK: u8 = b'h';

/// A CopyData frame from the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReplicationMessage {
    /// `w`: WAL data, here one pgoutput message.
    XLogData(XLogData),
    /// `k`: a keepalive, possibly asking for a status update.
    PrimaryKeepalive(PrimaryKeepalive),
}

/// XLogData (`w`): a piece of WAL; with pgoutput, one logical replication
/// message, to be decoded by [`Decoder`](crate::Decoder).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XLogData {
    /// The starting point of the WAL data in this message.
    pub wal_start: Lsn,
    /// The current end of WAL on the server.
    pub wal_end: Lsn,
    /// The server's system clock at the time of transmission.
    pub send_time: i64,
    /// The WAL data: a zero-copy slice of the frame.
    pub data: Bytes,
}

/// Primary keepalive message (`k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrimaryKeepalive {
    /// The current end of WAL on the server.
    pub wal_end: Lsn,
    /// The server's system clock at the time of transmission.
    pub send_time: i64,
    /// Whether the server asks for a reply as soon as possible, to avoid a
    /// timeout disconnect.
    pub reply_requested: bool,
}

impl XLogData {
    /// The length of the frame header before `data`.
    pub const HEADER_LEN: usize = 1 + 8 + 8 + 8;

    /// Appends the frame.
    #[cfg(feature = "encode")]
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(Self::HEADER_LEN + self.data.len());
        buf.put_u8(XLOG_DATA);
        buf.put_u64(self.wal_start.0);
        buf.put_u64(self.wal_end.0);
        buf.put_i64(self.send_time);
        buf.put_slice(&self.data);
    }
}

impl PrimaryKeepalive {
    /// Appends the frame.
    #[cfg(feature = "encode")]
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(PRIMARY_KEEPALIVE);
        buf.put_u64(self.wal_end.0);
        buf.put_i64(self.send_time);
        buf.put_u8(u8::from(self.reply_requested));
    }
}

impl ReplicationMessage {
    /// Decodes a CopyData frame from the server. XLogData's `data` is a
    /// zero-copy slice of `frame`.
    #[inline]
    pub fn decode(frame: Bytes) -> Result<ReplicationMessage, DecodeError> {
        match frame.first() {
            Some(&XLOG_DATA) => {
                let mut r = Reader::new(&frame, 1, "XLogData");
                let wal_start = r.lsn("wal_start")?;
                let wal_end = r.lsn("wal_end")?;
                let send_time = r.i64("send_time")?;
                Ok(ReplicationMessage::XLogData(XLogData {
                    wal_start,
                    wal_end,
                    send_time,
                    data: reader::tail(frame, XLogData::HEADER_LEN),
                }))
            }
            Some(&PRIMARY_KEEPALIVE) => {
                let mut r = Reader::new(&frame, 1, "primary keepalive");
                let m = PrimaryKeepalive {
                    wal_end: r.lsn("wal_end")?,
                    send_time: r.i64("send_time")?,
                    reply_requested: r.bool("reply_requested")?,
                };
                r.finish()?;
                Ok(ReplicationMessage::PrimaryKeepalive(m))
            }
            other => Err(bad_tag(&frame, other.copied())),
        }
    }

    /// Appends the frame.
    #[cfg(feature = "encode")]
    pub fn encode(&self, buf: &mut BytesMut) {
        match self {
            ReplicationMessage::XLogData(m) => m.encode(buf),
            ReplicationMessage::PrimaryKeepalive(m) => m.encode(buf),
        }
    }
}

/// Standby status update (`r`): the client's progress, sent periodically
/// and whenever a keepalive asks for it. The server may recycle WAL before
/// `flush`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StandbyStatusUpdate {
    /// The location of the last WAL byte + 1 received and written.
    pub write: Lsn,
    /// The location of the last WAL byte + 1 flushed (durably processed).
    pub flush: Lsn,
    /// The location of the last WAL byte + 1 applied.
    pub apply: Lsn,
    /// The client's system clock at the time of transmission.
    pub send_time: i64,
    /// Whether the client asks the server to reply immediately.
    pub reply_requested: bool,
}

impl StandbyStatusUpdate {
    /// The length of the frame.
    pub const LEN: usize = 1 + 8 + 8 + 8 + 8 + 1;

    /// Appends the frame.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(Self::LEN);
        buf.put_u8(STANDBY_STATUS_UPDATE);
        buf.put_u64(self.write.0);
        buf.put_u64(self.flush.0);
        buf.put_u64(self.apply.0);
        buf.put_i64(self.send_time);
        buf.put_u8(u8::from(self.reply_requested));
    }

    /// Decodes the frame, as a server would.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = client_frame(frame, STANDBY_STATUS_UPDATE, "standby status update")?;
        let m = StandbyStatusUpdate {
            write: r.lsn("write")?,
            flush: r.lsn("flush")?,
            apply: r.lsn("apply")?,
            send_time: r.i64("send_time")?,
            reply_requested: r.bool("reply_requested")?,
        };
        r.finish()?;
        Ok(m)
    }
}

/// Hot standby feedback (`h`): the client's oldest transaction ids, which
/// physical standbys send; a logical replication client seldom needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HotStandbyFeedback {
    /// The client's system clock at the time of transmission.
    pub send_time: i64,
    /// The standby's current global xmin, or 0 to say none.
    pub xmin: u32,
    /// The epoch of `xmin`.
    pub xmin_epoch: u32,
    /// The lowest catalog_xmin of any replication slot on the standby, or 0.
    pub catalog_xmin: u32,
    /// The epoch of `catalog_xmin`.
    pub catalog_xmin_epoch: u32,
}

impl HotStandbyFeedback {
    /// The length of the frame.
    pub const LEN: usize = 1 + 8 + 4 + 4 + 4 + 4;

    /// Appends the frame.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(Self::LEN);
        buf.put_u8(HOT_STANDBY_FEEDBACK);
        buf.put_i64(self.send_time);
        buf.put_u32(self.xmin);
        buf.put_u32(self.xmin_epoch);
        buf.put_u32(self.catalog_xmin);
        buf.put_u32(self.catalog_xmin_epoch);
    }

    /// Decodes the frame, as a server would.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = client_frame(frame, HOT_STANDBY_FEEDBACK, "hot standby feedback")?;
        let m = HotStandbyFeedback {
            send_time: r.i64("send_time")?,
            xmin: r.u32("xmin")?,
            xmin_epoch: r.u32("xmin_epoch")?,
            catalog_xmin: r.u32("catalog_xmin")?,
            catalog_xmin_epoch: r.u32("catalog_xmin_epoch")?,
        };
        r.finish()?;
        Ok(m)
    }
}

/// A reader after the tag of a client frame, if the tag is `tag`.
fn client_frame<'a>(
    frame: &'a [u8],
    tag: u8,
    message: &'static str,
) -> Result<Reader<'a>, DecodeError> {
    match frame.first() {
        Some(&t) if t == tag => Ok(Reader::new(frame, 1, message)),
        other => Err(bad_tag(frame, other.copied())),
    }
}

#[cold]
fn bad_tag(frame: &[u8], tag: Option<u8>) -> DecodeError {
    let r = Reader::new(frame, 0, "CopyData");
    match tag {
        Some(tag) => r.error("tag", ErrorKind::UnknownTag(tag)),
        None => r.error(
            "tag",
            ErrorKind::Truncated {
                needed: 1,
                remaining: 0,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XLOG: &[u8] = b"w\
        \x00\x00\x00\x16\xb3\x74\xd8\x48\
        \x00\x00\x00\x16\xb3\x74\xd9\x00\
        \x00\x02\x9a\x3b\x5c\x4d\x2e\x10\
        E";

    #[test]
    fn xlog_data() {
        let frame = Bytes::from_static(XLOG);
        let Ok(ReplicationMessage::XLogData(x)) = ReplicationMessage::decode(frame.clone()) else {
            panic!("not XLogData");
        };
        assert_eq!(x.wal_start, Lsn(0x16_b374_d848));
        assert_eq!(x.wal_end, Lsn(0x16_b374_d900));
        assert_eq!(x.send_time, 0x0002_9a3b_5c4d_2e10);
        assert_eq!(x.data, "E");
        // Zero copy: `data` points into the frame.
        assert_eq!(x.data.as_ptr(), frame[25..].as_ptr());
    }

    #[test]
    fn xlog_data_may_be_empty_but_not_short() {
        let Ok(ReplicationMessage::XLogData(x)) =
            ReplicationMessage::decode(Bytes::from_static(&XLOG[..25]))
        else {
            panic!("not XLogData");
        };
        assert!(x.data.is_empty());
        let e = ReplicationMessage::decode(Bytes::from_static(&XLOG[..20])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "XLogData: send_time at byte 17: need 8 bytes, 3 left"
        );
    }

    #[test]
    fn primary_keepalive() {
        let frame = b"k\x00\x00\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x01";
        let m = ReplicationMessage::decode(Bytes::from_static(frame)).unwrap();
        assert_eq!(
            m,
            ReplicationMessage::PrimaryKeepalive(PrimaryKeepalive {
                wal_end: Lsn(0x1_0000_0000),
                send_time: -1,
                reply_requested: true,
            })
        );
        let mut bad = frame.to_vec();
        bad[17] = 2;
        let e = ReplicationMessage::decode(Bytes::from(bad)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "primary keepalive: reply_requested at byte 17: invalid value 0x02, expected 0 or 1"
        );
        let mut long = frame.to_vec();
        long.push(0);
        let e = ReplicationMessage::decode(Bytes::from(long)).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::TrailingBytes(1));
    }

    #[test]
    fn unknown_and_empty_frames() {
        let e = ReplicationMessage::decode(Bytes::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CopyData: tag at byte 0: need 1 bytes, 0 left"
        );
        let e = ReplicationMessage::decode(Bytes::from_static(b"r")).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::UnknownTag(b'r'));
    }

    #[test]
    fn standby_status_update_layout() {
        let update = StandbyStatusUpdate {
            write: Lsn(0x0102_0304_0506_0708),
            flush: Lsn(0x10),
            apply: Lsn::INVALID,
            send_time: 0x7fff_ffff_ffff_ffff,
            reply_requested: false,
        };
        let mut buf = BytesMut::new();
        update.encode(&mut buf);
        assert_eq!(
            &buf[..],
            b"r\x01\x02\x03\x04\x05\x06\x07\x08\
              \x00\x00\x00\x00\x00\x00\x00\x10\
              \x00\x00\x00\x00\x00\x00\x00\x00\
              \x7f\xff\xff\xff\xff\xff\xff\xff\x00"
        );
        assert_eq!(buf.len(), StandbyStatusUpdate::LEN);
        assert_eq!(StandbyStatusUpdate::decode(&buf), Ok(update));
        assert!(StandbyStatusUpdate::decode(&buf[..33]).is_err());
        assert!(StandbyStatusUpdate::decode(b"h").is_err());
    }

    #[test]
    fn hot_standby_feedback_layout() {
        let feedback = HotStandbyFeedback {
            send_time: 1,
            xmin: 2,
            xmin_epoch: 3,
            catalog_xmin: 4,
            catalog_xmin_epoch: u32::MAX,
        };
        let mut buf = BytesMut::new();
        feedback.encode(&mut buf);
        assert_eq!(
            &buf[..],
            b"h\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\xff\xff\xff\xff"
        );
        assert_eq!(buf.len(), HotStandbyFeedback::LEN);
        assert_eq!(HotStandbyFeedback::decode(&buf), Ok(feedback));
        assert!(HotStandbyFeedback::decode(&buf[..1]).is_err());
        assert!(HotStandbyFeedback::decode(b"").is_err());
    }
}
