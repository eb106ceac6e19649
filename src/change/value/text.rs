//! [`PgText`]: text kept in the received buffer.

use std::fmt;

use bytes::Bytes;

/// UTF-8 text that shares the buffer it was received in (no copy).
///
/// The bytes are checked to be UTF-8 once, when the value is made. [`PgText::as_str`] checks them
/// again rather than trusting that with `unsafe`; that costs a pass over the bytes, far less than
/// a copy.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PgText(Bytes);

impl PgText {
    /// Wraps `bytes` if they are UTF-8.
    pub fn new(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// Text from a string literal.
    pub const fn from_static(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The buffer slice holding the text.
    pub fn as_buffer(&self) -> &Bytes {
        &self.0
    }

    /// The buffer slice holding the text.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for PgText {
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl From<&str> for PgText {
    fn from(text: &str) -> Self {
        Self(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl AsRef<str> for PgText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for PgText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for PgText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for PgText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for PgText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn shares_the_buffer_and_checks_utf8() {
        let frame = Bytes::from_static("xx héllo ✓ yy".as_bytes());
        let slice = frame.slice(3..frame.len() - 3);
        let text = PgText::new(slice.clone()).unwrap();
        assert_eq!(text, "héllo ✓");
        assert_eq!(text.as_buffer().as_ptr(), slice.as_ptr());
        assert!(PgText::new(Bytes::from_static(b"\xc3")).is_err());
        assert_eq!(format!("{text:?}"), "\"héllo ✓\"");
    }
}
