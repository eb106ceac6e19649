//! Names: the NUL-terminated strings of the protocol.

use std::borrow::Cow;
use std::fmt;
use std::str::Utf8Error;

use bytes::Bytes;

/// A name from the protocol (namespace, relation, column, type, prefix,
/// origin, transaction gid), without its terminating NUL.
///
/// It is a zero-copy slice of the decoded frame. PostgreSQL sends names in
/// the database's encoding, which need not be UTF-8, so decoding never checks
/// it: [`Name::as_str`] does when asked.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Name(Bytes);

/// A [`Name`] cannot hold a NUL byte: the protocol ends names with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a name cannot contain a NUL byte (found at byte {position})")]
pub struct InteriorNulError {
    /// The offset of the first NUL.
    pub position: usize,
}

impl Name {
    /// A name from bytes without NUL.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Name, InteriorNulError> {
        let bytes = bytes.into();
        match bytes.iter().position(|&b| b == 0) {
            Some(position) => Err(InteriorNulError { position }),
            None => Ok(Name(bytes)),
        }
    }

    /// A name from decoded bytes already known to hold no NUL.
    pub(crate) fn from_wire(bytes: Bytes) -> Name {
        Name(bytes)
    }

    /// The raw bytes, in the database's encoding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The raw bytes as a zero-copy [`Bytes`].
    pub fn as_raw(&self) -> &Bytes {
        &self.0
    }

    /// The name as `&str` if it is valid UTF-8.
    pub fn as_str(&self) -> Result<&str, Utf8Error> {
        std::str::from_utf8(&self.0)
    }

    /// The name as text, with invalid UTF-8 sequences replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the name is empty (as the namespace of `pg_catalog` objects is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl AsRef<[u8]> for Name {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl TryFrom<&'static str> for Name {
    type Error = InteriorNulError;

    fn try_from(s: &'static str) -> Result<Self, Self::Error> {
        Name::new(Bytes::from_static(s.as_bytes()))
    }
}

impl TryFrom<String> for Name {
    type Error = InteriorNulError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Name::new(s)
    }
}

impl From<Name> for Bytes {
    fn from(name: Name) -> Bytes {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nul_and_accepts_non_utf8() {
        assert_eq!(
            Name::new(&b"ab\0c"[..]),
            Err(InteriorNulError { position: 2 })
        );
        let latin1 = Name::new(&b"caf\xe9"[..]).unwrap();
        assert!(latin1.as_str().is_err());
        assert_eq!(latin1.to_string_lossy(), "caf\u{fffd}");
        assert_eq!(format!("{latin1:?}"), "\"caf\u{fffd}\"");
        assert_eq!(latin1.len(), 4);
        let public = Name::try_from("public").unwrap();
        assert_eq!(public, "public");
        assert_eq!(public.as_str(), Ok("public"));
        assert_eq!(public.to_string(), "public");
        assert!(Name::default().is_empty());
        assert_eq!(Bytes::from(public), "public");
    }
}
