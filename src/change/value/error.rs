//! Errors of value parsing.

use std::fmt::Write as _;

/// Why a text was rejected, in a few words; [`ValueError`] adds the type and the text.
pub(crate) type Reason = &'static str;

/// How many bytes of a rejected value an error message quotes.
const QUOTED_BYTES: usize = 64;

/// A column value that is not a valid value of its type. The strings are boxed to keep the error
/// small (it travels in `Result`s of the hot path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The text is not valid for the type.
    #[error("invalid {type_name} value {text}: {reason}")]
    Invalid {
        /// The type's oid.
        type_oid: u32,
        /// The type's name (or `oid N` when the type is unknown).
        type_name: Box<str>,
        /// The start of the rejected text, quoted and escaped.
        text: Box<str>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The binary value has the wrong length or content for the type.
    #[error("invalid binary {type_name} value of {len} bytes: {reason}")]
    InvalidBinary {
        /// The type's oid.
        type_oid: u32,
        /// The type's name.
        type_name: Box<str>,
        /// The length of the value.
        len: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The binary format of this type is not decoded; request the text format for it.
    #[error("the binary format of {type_name} (oid {type_oid}) is not supported")]
    BinaryUnsupported {
        /// The type's oid.
        type_oid: u32,
        /// The type's name.
        type_name: Box<str>,
    },
}

/// `text` for a message: at most [`QUOTED_BYTES`] bytes, quoted, with escapes, and the full
/// length when it was cut.
pub(crate) fn quote_text(text: &[u8]) -> Box<str> {
    let (head, cut) = match text.get(..QUOTED_BYTES) {
        Some(head) if text.len() > QUOTED_BYTES => (head, true),
        _ => (text, false),
    };
    let mut quoted = format!("{:?}", String::from_utf8_lossy(head));
    if cut {
        let _ = write!(quoted, "... ({} bytes)", text.len());
    }
    quoted.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_stays_small() {
        assert!(std::mem::size_of::<ValueError>() <= 56);
    }

    #[test]
    fn long_and_strange_texts_are_cut_and_escaped() {
        assert_eq!(&*quote_text(b"ab\"c"), r#""ab\"c""#);
        let long = vec![b'x'; 100];
        let quoted = quote_text(&long);
        assert!(quoted.ends_with("\"... (100 bytes)"), "{quoted}");
        assert_eq!(&*quote_text(b"\xff"), "\"\u{fffd}\"");
    }
}
