//! The pgoutput logical replication messages, protocol versions 1 to 4.

mod change;
mod logical;
mod relation;
mod stream;
mod transaction;
mod two_phase;

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

pub use change::{Delete, Insert, OldTuple, Truncate, Update};
pub use logical::LogicalMessage;
pub use relation::{Column, Relation, ReplicaIdentity, Type};
pub use stream::{StreamAbort, StreamAbortInfo, StreamCommit, StreamStart, StreamStop};
pub use transaction::{Begin, Commit, Origin};
pub use two_phase::{BeginPrepare, CommitPrepared, Prepare, RollbackPrepared, StreamPrepare};

use crate::error::{DecodeError, ErrorKind};
use crate::reader::Reader;

/// The type bytes of the messages.
pub(crate) mod tag {
    pub(crate) const BEGIN: u8 = b'B';
    pub(crate) const COMMIT: u8 = b'C';
    pub(crate) const ORIGIN: u8 = b'O';
    pub(crate) const RELATION: u8 = b'R';
    pub(crate) const TYPE: u8 = b'Y';
    pub(crate) const INSERT: u8 = b'I';
    pub(crate) const UPDATE: u8 = b'U';
    pub(crate) const DELETE: u8 = b'D';
    pub(crate) const TRUNCATE: u8 = b'T';
    pub(crate) const MESSAGE: u8 = b'M';
    pub(crate) const STREAM_START: u8 = b'S';
    pub(crate) const STREAM_STOP: u8 = b'E';
    pub(crate) const STREAM_COMMIT: u8 = b'c';
    pub(crate) const STREAM_ABORT: u8 = b'A';
    pub(crate) const BEGIN_PREPARE: u8 = b'b';
    pub(crate) const PREPARE: u8 = b'P';
    pub(crate) const COMMIT_PREPARED: u8 = b'K';
    pub(crate) const ROLLBACK_PREPARED: u8 = b'r';
    pub(crate) const STREAM_PREPARE: u8 = b'p';
}

/// One pgoutput logical replication message: the `data` of an XLogData frame.
///
/// Decode with [`Decoder`](crate::Decoder), which remembers whether a
/// streamed block is open, or with [`Message::decode`] when the caller knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `B`: start of a transaction.
    Begin(Begin),
    /// `C`: end of a transaction.
    Commit(Commit),
    /// `O`: the replication origin of the current transaction.
    Origin(Origin),
    /// `R`: the description of a table, sent before its first change.
    Relation(Relation),
    /// `Y`: the description of a non-built-in data type.
    Type(Type),
    /// `I`: a row inserted.
    Insert(Insert),
    /// `U`: a row updated.
    Update(Update),
    /// `D`: a row deleted.
    Delete(Delete),
    /// `T`: tables truncated.
    Truncate(Truncate),
    /// `M`: a logical decoding message (`pg_logical_emit_message`).
    Message(LogicalMessage),
    /// `S`: start of a block of a streamed transaction (protocol 2+).
    StreamStart(StreamStart),
    /// `E`: end of a block of a streamed transaction (protocol 2+).
    StreamStop(StreamStop),
    /// `c`: commit of a streamed transaction (protocol 2+).
    StreamCommit(StreamCommit),
    /// `A`: abort of a streamed (sub)transaction (protocol 2+).
    StreamAbort(StreamAbort),
    /// `b`: start of a prepared transaction (protocol 3+).
    BeginPrepare(BeginPrepare),
    /// `P`: end of a prepared transaction (protocol 3+).
    Prepare(Prepare),
    /// `K`: commit of a prepared transaction (protocol 3+).
    CommitPrepared(CommitPrepared),
    /// `r`: rollback of a prepared transaction (protocol 3+).
    RollbackPrepared(RollbackPrepared),
    /// `p`: prepare of a streamed transaction (protocol 3+).
    StreamPrepare(StreamPrepare),
}

impl Message {
    /// Decodes one message.
    ///
    /// `in_stream` says whether the message is inside a streamed block
    /// (between Stream Start and Stream Stop), where Relation, Type, Insert,
    /// Update, Delete, Truncate and Message carry a leading xid. Column data
    /// and names are zero-copy slices of `data`.
    #[inline]
    pub fn decode(data: Bytes, in_stream: bool) -> Result<Message, DecodeError> {
        let Some(&first) = data.first() else {
            let r = Reader::new(&data, 0, "pgoutput message");
            return Err(r.error(
                "tag",
                ErrorKind::Truncated {
                    needed: 1,
                    remaining: 0,
                },
            ));
        };
        Ok(match first {
            tag::INSERT => Message::Insert(Insert::decode(data, in_stream)?),
            tag::BEGIN => Message::Begin(Begin::decode(&data)?),
            tag::COMMIT => Message::Commit(Commit::decode(&data)?),
            tag::UPDATE => Message::Update(Update::decode(data, in_stream)?),
            tag::DELETE => Message::Delete(Delete::decode(data, in_stream)?),
            tag::RELATION => Message::Relation(Relation::decode(&data, in_stream)?),
            tag::TYPE => Message::Type(Type::decode(&data, in_stream)?),
            tag::ORIGIN => Message::Origin(Origin::decode(&data)?),
            tag::TRUNCATE => Message::Truncate(Truncate::decode(&data, in_stream)?),
            tag::MESSAGE => Message::Message(LogicalMessage::decode(data, in_stream)?),
            tag::STREAM_START => Message::StreamStart(StreamStart::decode(&data)?),
            tag::STREAM_STOP => Message::StreamStop(StreamStop::decode(&data)?),
            tag::STREAM_COMMIT => Message::StreamCommit(StreamCommit::decode(&data)?),
            tag::STREAM_ABORT => Message::StreamAbort(StreamAbort::decode(&data)?),
            tag::BEGIN_PREPARE => Message::BeginPrepare(BeginPrepare::decode(&data)?),
            tag::PREPARE => Message::Prepare(Prepare::decode(&data, "Prepare")?),
            tag::COMMIT_PREPARED => Message::CommitPrepared(CommitPrepared::decode(&data)?),
            tag::ROLLBACK_PREPARED => Message::RollbackPrepared(RollbackPrepared::decode(&data)?),
            tag::STREAM_PREPARE => {
                Message::StreamPrepare(Prepare::decode(&data, "Stream Prepare")?)
            }
            other => {
                let r = Reader::new(&data, 0, "pgoutput message");
                return Err(r.error("tag", ErrorKind::UnknownTag(other)));
            }
        })
    }

    /// The message's type byte (`b'B'` for Begin, ...).
    pub fn tag(&self) -> u8 {
        match self {
            Message::Begin(_) => tag::BEGIN,
            Message::Commit(_) => tag::COMMIT,
            Message::Origin(_) => tag::ORIGIN,
            Message::Relation(_) => tag::RELATION,
            Message::Type(_) => tag::TYPE,
            Message::Insert(_) => tag::INSERT,
            Message::Update(_) => tag::UPDATE,
            Message::Delete(_) => tag::DELETE,
            Message::Truncate(_) => tag::TRUNCATE,
            Message::Message(_) => tag::MESSAGE,
            Message::StreamStart(_) => tag::STREAM_START,
            Message::StreamStop(_) => tag::STREAM_STOP,
            Message::StreamCommit(_) => tag::STREAM_COMMIT,
            Message::StreamAbort(_) => tag::STREAM_ABORT,
            Message::BeginPrepare(_) => tag::BEGIN_PREPARE,
            Message::Prepare(_) => tag::PREPARE,
            Message::CommitPrepared(_) => tag::COMMIT_PREPARED,
            Message::RollbackPrepared(_) => tag::ROLLBACK_PREPARED,
            Message::StreamPrepare(_) => tag::STREAM_PREPARE,
        }
    }

    /// The message's name in PostgreSQL's documentation (`"Stream Abort"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Message::Begin(_) => "Begin",
            Message::Commit(_) => "Commit",
            Message::Origin(_) => "Origin",
            Message::Relation(_) => "Relation",
            Message::Type(_) => "Type",
            Message::Insert(_) => "Insert",
            Message::Update(_) => "Update",
            Message::Delete(_) => "Delete",
            Message::Truncate(_) => "Truncate",
            Message::Message(_) => "Message",
            Message::StreamStart(_) => "Stream Start",
            Message::StreamStop(_) => "Stream Stop",
            Message::StreamCommit(_) => "Stream Commit",
            Message::StreamAbort(_) => "Stream Abort",
            Message::BeginPrepare(_) => "Begin Prepare",
            Message::Prepare(_) => "Prepare",
            Message::CommitPrepared(_) => "Commit Prepared",
            Message::RollbackPrepared(_) => "Rollback Prepared",
            Message::StreamPrepare(_) => "Stream Prepare",
        }
    }

    /// Appends the message, type byte first, as pgoutput sends it.
    ///
    /// The messages that may carry a streamed-block xid write it when their
    /// `xid` is `Some`. Decoding the output (with `in_stream` set as the xid
    /// says) gives back an equal message.
    #[cfg(feature = "encode")]
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.tag());
        match self {
            Message::Begin(m) => m.encode(buf),
            Message::Commit(m) => m.encode(buf),
            Message::Origin(m) => m.encode(buf),
            Message::Relation(m) => m.encode(buf),
            Message::Type(m) => m.encode(buf),
            Message::Insert(m) => m.encode(buf),
            Message::Update(m) => m.encode(buf),
            Message::Delete(m) => m.encode(buf),
            Message::Truncate(m) => m.encode(buf),
            Message::Message(m) => m.encode(buf),
            Message::StreamStart(m) => m.encode(buf),
            Message::StreamStop(m) => m.encode(buf),
            Message::StreamCommit(m) => m.encode(buf),
            Message::StreamAbort(m) => m.encode(buf),
            Message::BeginPrepare(m) => m.encode(buf),
            Message::Prepare(m) | Message::StreamPrepare(m) => m.encode(buf),
            Message::CommitPrepared(m) => m.encode(buf),
            Message::RollbackPrepared(m) => m.encode(buf),
        }
    }

    /// The encoded message as [`Bytes`]; see [`Message::encode`].
    #[cfg(feature = "encode")]
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf.freeze()
    }

    /// The streamed-block xid of the messages that carry one, `None` for the
    /// others and outside streamed blocks.
    pub fn stream_xid(&self) -> Option<u32> {
        match self {
            Message::Relation(m) => m.xid,
            Message::Type(m) => m.xid,
            Message::Insert(m) => m.xid,
            Message::Update(m) => m.xid,
            Message::Delete(m) => m.xid,
            Message::Truncate(m) => m.xid,
            Message::Message(m) => m.xid,
            _ => None,
        }
    }
}

/// Reads the leading xid of a message inside a streamed block.
#[inline]
fn read_stream_xid(r: &mut Reader<'_>, in_stream: bool) -> Result<Option<u32>, DecodeError> {
    if in_stream {
        r.u32("xid").map(Some)
    } else {
        Ok(None)
    }
}

/// Writes the leading xid of a message inside a streamed block.
#[cfg(feature = "encode")]
#[inline]
fn write_stream_xid(buf: &mut BytesMut, xid: Option<u32>) {
    if let Some(xid) = xid {
        buf.put_u32(xid);
    }
}

/// Reads a NUL-terminated name as a zero-copy slice of `data`.
#[inline]
fn read_name(
    r: &mut Reader<'_>,
    data: &Bytes,
    field: impl Into<crate::error::Field>,
) -> Result<crate::Name, DecodeError> {
    let range = r.cstr(field)?;
    Ok(crate::Name::from_wire(crate::reader::slice(data, range)))
}

/// Writes a name and its terminating NUL.
#[cfg(feature = "encode")]
#[inline]
fn write_name(buf: &mut BytesMut, name: &crate::Name) {
    buf.put_slice(name.as_bytes());
    buf.put_u8(0);
}

#[cfg(test)]
mod tests;
