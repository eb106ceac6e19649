//! Decoding errors.

use std::fmt;

/// Why a frame or message could not be decoded: which message, which field,
/// at which byte offset (from the start of the frame or message given to the
/// decoder), and what was wrong.
///
/// Its [`Display`](fmt::Display) reads like
/// `Insert: tuple column 3 length at byte 17: need 4 bytes, 2 left`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}: {field} at byte {offset}: {kind}")]
pub struct DecodeError {
    message: &'static str,
    field: Field,
    offset: usize,
    kind: ErrorKind,
}

impl DecodeError {
    #[cold]
    pub(crate) fn new(message: &'static str, field: Field, offset: usize, kind: ErrorKind) -> Self {
        DecodeError {
            message,
            field,
            offset,
            kind,
        }
    }

    /// The message or frame being decoded, as PostgreSQL's documentation
    /// names it (`"Insert"`, `"Stream Abort"`, `"XLogData"`, ...), or
    /// `"pgoutput message"` / `"CopyData"` when the tag itself is bad.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// The field being read.
    pub fn field(&self) -> Field {
        self.field
    }

    /// The byte offset of the field, from the start of the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// The field of a message that a [`DecodeError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A field of the message itself, such as `"xid"` or `"commit_lsn"`.
    Named(&'static str),
    /// Part of one column of a tuple or of a Relation message.
    Column {
        /// The list the column belongs to: `"tuple"`, `"old tuple"`,
        /// `"new tuple"` or `"relation"`.
        list: &'static str,
        /// The zero-based column index.
        index: u16,
        /// The part of the column: `"kind"`, `"length"`, `"data"`, `"name"`, ...
        part: &'static str,
    },
}

impl From<&'static str> for Field {
    fn from(name: &'static str) -> Self {
        Field::Named(name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Named(name) => f.write_str(name),
            Field::Column { list, index, part } => write!(f, "{list} column {index} {part}"),
        }
    }
}

/// What was wrong with the field a [`DecodeError`] points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends inside the field.
    #[error("need {needed} bytes, {remaining} left")]
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A NUL-terminated string has no NUL before the end of the input.
    #[error("no terminating NUL in the {remaining} bytes left")]
    UnterminatedString {
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A length or count is negative.
    #[error("negative length {0}")]
    NegativeLength(i64),
    /// The message type byte is not one this crate knows.
    #[error("unknown message tag {}", ByteName(*.0))]
    UnknownTag(u8),
    /// A tuple column kind is not `n`, `u`, `t` or `b`.
    #[error("unknown tuple column kind {}", ByteName(*.0))]
    UnknownTupleKind(u8),
    /// A byte has a value the protocol does not allow there.
    #[error("invalid value {}, expected {expected}", ByteName(*.found))]
    InvalidValue {
        /// The byte found.
        found: u8,
        /// What the protocol allows, in words.
        expected: &'static str,
    },
    /// The message is complete but bytes are left after it.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
    /// A Stream Start arrived while a streamed block was already open.
    #[error("Stream Start inside a streamed block")]
    NestedStreamStart,
    /// A Stream Stop arrived outside a streamed block.
    #[error("Stream Stop outside a streamed block")]
    StreamStopOutsideBlock,
}

/// Prints a protocol byte as hex, with its ASCII letter when printable.
struct ByteName(u8);

impl fmt::Display for ByteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "{:#04x} ('{}')", self.0, char::from(self.0))
        } else {
            write!(f, "{:#04x}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_message_field_offset_and_cause() {
        let e = DecodeError::new(
            "Insert",
            Field::Column {
                list: "tuple",
                index: 3,
                part: "length",
            },
            17,
            ErrorKind::Truncated {
                needed: 4,
                remaining: 2,
            },
        );
        assert_eq!(
            e.to_string(),
            "Insert: tuple column 3 length at byte 17: need 4 bytes, 2 left"
        );
        assert_eq!(e.message(), "Insert");
        assert_eq!(e.offset(), 17);
        let e = DecodeError::new(
            "pgoutput message",
            "tag".into(),
            0,
            ErrorKind::UnknownTag(b'Z'),
        );
        assert_eq!(
            e.to_string(),
            "pgoutput message: tag at byte 0: unknown message tag 0x5a ('Z')"
        );
        assert_eq!(e.field(), Field::Named("tag"));
        assert_eq!(e.kind(), &ErrorKind::UnknownTag(b'Z'));
        assert_eq!(
            ErrorKind::UnknownTupleKind(0).to_string(),
            "unknown tuple column kind 0x00"
        );
    }
}
