//! The stateful message decoder.

use bytes::Bytes;

use crate::error::{DecodeError, ErrorKind};
use crate::message::{Message, tag};
use crate::reader::Reader;

/// Decodes a stream of pgoutput messages, tracking whether a streamed block
/// (Stream Start ... Stream Stop) is open, since inside one several messages
/// carry a leading xid.
///
/// A Stream Start inside an open block and a Stream Stop outside one are
/// errors; an error leaves the state unchanged.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    in_stream: bool,
}

impl Decoder {
    /// A decoder outside any streamed block, as at the start of replication.
    pub fn new() -> Self {
        Decoder { in_stream: false }
    }

    /// Decodes one message (the `data` of an XLogData frame).
    #[inline]
    pub fn decode(&mut self, data: Bytes) -> Result<Message, DecodeError> {
        match data.first() {
            Some(&tag::STREAM_START) if self.in_stream => {
                return Err(state_error(&data, ErrorKind::NestedStreamStart));
            }
            Some(&tag::STREAM_STOP) if !self.in_stream => {
                return Err(state_error(&data, ErrorKind::StreamStopOutsideBlock));
            }
            _ => {}
        }
        let message = Message::decode(data, self.in_stream)?;
        match message {
            Message::StreamStart(_) => self.in_stream = true,
            Message::StreamStop(_) => self.in_stream = false,
            _ => {}
        }
        Ok(message)
    }

    /// Whether a streamed block is open.
    pub fn in_stream(&self) -> bool {
        self.in_stream
    }

    /// Forgets any open streamed block, as when replication restarts.
    pub fn reset(&mut self) {
        self.in_stream = false;
    }
}

#[cold]
fn state_error(data: &[u8], kind: ErrorKind) -> DecodeError {
    let message = match kind {
        ErrorKind::NestedStreamStart => "Stream Start",
        _ => "Stream Stop",
    };
    Reader::new(data, 0, message).error("tag", kind)
}
