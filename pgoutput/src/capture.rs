//! The raw capture format: replication CopyData frames saved as received.
//!
//! A capture is the 8-byte magic [`MAGIC`] (`PGCDCRAW`), a big-endian `u16`
//! [`VERSION`] (1), then records, each a big-endian `u32` length followed by
//! that many bytes: one CopyData payload from the server, starting with `w`
//! (XLogData) or `k` (primary keepalive). There is no I/O here: the writer
//! appends to any [`BufMut`] and the reader walks a [`Bytes`] without copying.
//!
//! ```
//! use bytes::Bytes;
//! use pgoutput::capture::{self, CaptureReader};
//!
//! let mut file = Vec::new();
//! capture::write_header(&mut file);
//! capture::write_frame(&mut file, b"k\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02\0").unwrap();
//!
//! let frames: Vec<Bytes> = CaptureReader::new(Bytes::from(file))?.collect::<Result<_, _>>()?;
//! assert_eq!(frames.len(), 1);
//! assert_eq!(frames[0][0], b'k');
//! # Ok::<(), pgoutput::capture::CaptureError>(())
//! ```

use bytes::{BufMut, Bytes};

use crate::reader;

/// The first bytes of a capture.
pub const MAGIC: &[u8; 8] = b"PGCDCRAW";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// The length of the header: magic and version.
pub const HEADER_LEN: usize = MAGIC.len() + 2;

/// Why a capture cannot be read or a frame cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input is shorter than the header.
    #[error("capture header: need {HEADER_LEN} bytes, {0} given")]
    TruncatedHeader(usize),
    /// The input does not start with [`MAGIC`].
    #[error("not a capture: the first 8 bytes are not \"PGCDCRAW\"")]
    BadMagic,
    /// The version is not [`VERSION`].
    #[error("capture version {0} is not supported (only version {VERSION})")]
    UnsupportedVersion(u16),
    /// A record's length or payload runs past the end of the input.
    #[error("capture record at byte {offset}: need {needed} bytes, {remaining} left")]
    TruncatedRecord {
        /// Offset of the record's length field.
        offset: usize,
        /// Bytes the record needs.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A frame does not start with `w` or `k` (or is empty).
    #[error("capture record at byte {offset}: frame does not start with 'w' or 'k'")]
    BadFrame {
        /// Offset of the record's length field (or 0 when writing).
        offset: usize,
    },
    /// A frame is longer than `u32::MAX` bytes.
    #[error("frame of {0} bytes is too long for a capture record")]
    FrameTooLong(usize),
}

/// Appends the capture header.
pub fn write_header(buf: &mut impl BufMut) {
    buf.put_slice(MAGIC);
    buf.put_u16(VERSION);
}

/// Appends one record holding `frame`, a CopyData payload from the server.
pub fn write_frame(buf: &mut impl BufMut, frame: &[u8]) -> Result<(), CaptureError> {
    if !is_server_frame(frame) {
        return Err(CaptureError::BadFrame { offset: 0 });
    }
    let len = u32::try_from(frame.len()).map_err(|_| CaptureError::FrameTooLong(frame.len()))?;
    buf.put_u32(len);
    buf.put_slice(frame);
    Ok(())
}

fn is_server_frame(frame: &[u8]) -> bool {
    matches!(frame.first(), Some(b'w' | b'k'))
}

/// Iterates the frames of a capture as zero-copy slices of it.
///
/// It checks the header on creation; each record is then yielded as
/// `Ok(frame)` until the end, or as one `Err` after which the iterator ends.
#[derive(Debug, Clone)]
pub struct CaptureReader {
    data: Bytes,
    pos: usize,
    version: u16,
}

impl CaptureReader {
    /// Checks the header of `data` and returns a reader at the first record.
    pub fn new(data: Bytes) -> Result<CaptureReader, CaptureError> {
        let header = data
            .first_chunk::<HEADER_LEN>()
            .ok_or(CaptureError::TruncatedHeader(data.len()))?;
        let (magic, version) = header.split_at(MAGIC.len());
        if magic != MAGIC {
            return Err(CaptureError::BadMagic);
        }
        let version = match version {
            &[high, low] => u16::from_be_bytes([high, low]),
            _ => return Err(CaptureError::TruncatedHeader(data.len())),
        };
        if version != VERSION {
            return Err(CaptureError::UnsupportedVersion(version));
        }
        Ok(CaptureReader {
            data,
            pos: HEADER_LEN,
            version,
        })
    }

    /// The format version of the capture.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The offset of the next record.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn read(&mut self) -> Result<Bytes, CaptureError> {
        let offset = self.pos;
        let rest = self.data.get(offset..).unwrap_or_default();
        let truncated = |needed| CaptureError::TruncatedRecord {
            offset,
            needed,
            remaining: rest.len(),
        };
        let len = rest.first_chunk::<4>().ok_or_else(|| truncated(4))?;
        let len = u32::from_be_bytes(*len) as usize;
        let end = len.saturating_add(4);
        let frame = rest.get(4..end).ok_or_else(|| truncated(end))?;
        if !is_server_frame(frame) {
            return Err(CaptureError::BadFrame { offset });
        }
        let start = offset + 4;
        self.pos = start + len;
        Ok(reader::slice(&self.data, start..self.pos))
    }
}

impl Iterator for CaptureReader {
    type Item = Result<Bytes, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            // Stop after the first error.
            self.pos = self.data.len();
        }
        Some(item)
    }
}

impl std::iter::FusedIterator for CaptureReader {}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn capture(frames: &[&[u8]]) -> Bytes {
        let mut buf = BytesMut::new();
        write_header(&mut buf);
        for frame in frames {
            write_frame(&mut buf, frame).unwrap();
        }
        buf.freeze()
    }

    #[test]
    fn layout() {
        let data = capture(&[b"wabc", b"k"]);
        assert_eq!(
            &data[..],
            b"PGCDCRAW\x00\x01\x00\x00\x00\x04wabc\x00\x00\x00\x01k"
        );
    }

    #[test]
    fn reads_back_zero_copy() {
        let data = capture(&[b"wabc", b"k", b"w"]);
        let mut reader = CaptureReader::new(data.clone()).unwrap();
        assert_eq!(reader.version(), 1);
        assert_eq!(reader.position(), HEADER_LEN);
        let first = reader.next().unwrap().unwrap();
        assert_eq!(first, "wabc");
        assert_eq!(first.as_ptr(), data[14..].as_ptr());
        assert_eq!(reader.next().unwrap().unwrap(), "k");
        assert_eq!(reader.next().unwrap().unwrap(), "w");
        assert!(reader.next().is_none());
        assert!(reader.next().is_none());
    }

    #[test]
    fn empty_capture_has_no_frame() {
        assert_eq!(CaptureReader::new(capture(&[])).unwrap().count(), 0);
    }

    #[test]
    fn bad_headers() {
        let e = CaptureReader::new(Bytes::from_static(b"PGCDCRAW\x00")).unwrap_err();
        assert_eq!(e, CaptureError::TruncatedHeader(9));
        let e = CaptureReader::new(Bytes::from_static(b"PGCDCRAX\x00\x01")).unwrap_err();
        assert_eq!(e, CaptureError::BadMagic);
        let e = CaptureReader::new(Bytes::from_static(b"PGCDCRAW\x00\x02")).unwrap_err();
        assert_eq!(e, CaptureError::UnsupportedVersion(2));
    }

    #[test]
    fn bad_records_end_iteration() {
        let data = capture(&[b"wabc"]);
        for cut in HEADER_LEN + 1..data.len() {
            let items: Vec<_> = CaptureReader::new(data.slice(..cut)).unwrap().collect();
            assert_eq!(items.len(), 1);
            let e = items[0].clone().unwrap_err();
            assert!(
                matches!(e, CaptureError::TruncatedRecord { offset: 10, .. }),
                "{e}"
            );
        }
        let items: Vec<_> =
            CaptureReader::new(Bytes::from_static(b"PGCDCRAW\x00\x01\x00\x00\x00\x01x\x00"))
                .unwrap()
                .collect();
        assert_eq!(items, [Err(CaptureError::BadFrame { offset: 10 })]);
        let huge = Bytes::from_static(b"PGCDCRAW\x00\x01\xff\xff\xff\xffw");
        let items: Vec<_> = CaptureReader::new(huge).unwrap().collect();
        assert_eq!(
            items,
            [Err(CaptureError::TruncatedRecord {
                offset: 10,
                needed: 0xffff_ffff + 4,
                remaining: 5
            })]
        );
    }

    #[test]
    fn writer_rejects_non_server_frames() {
        let mut buf = Vec::new();
        assert_eq!(
            write_frame(&mut buf, b""),
            Err(CaptureError::BadFrame { offset: 0 })
        );
        assert_eq!(
            write_frame(&mut buf, b"r"),
            Err(CaptureError::BadFrame { offset: 0 })
        );
        assert!(buf.is_empty());
    }
}
