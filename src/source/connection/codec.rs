//! The messages of the PostgreSQL frontend/backend protocol that pgcdc's own connections use:
//! framing of backend messages (zero-copy splits of the read buffer), decoding of their bodies,
//! and the few frontend messages not built by `postgres_protocol`. No I/O here.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::error::{ServerError, WireError};

/// The largest backend message accepted: the server's own limit on one message (1 GiB) plus
/// room for the framing around it. Anything longer is a corrupt length, not a message.
pub(crate) const MAX_MESSAGE_LEN: usize = (1 << 30) + (1 << 20);

/// One backend message: its tag and its body (after the 5-byte header), sharing the read
/// buffer's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) tag: u8,
    pub(crate) body: Bytes,
}

/// What [`split_frame`] found at the front of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// A complete message, removed from the buffer.
    Frame(Frame),
    /// Not yet a complete message: at least this many more bytes are needed.
    Need(usize),
}

/// Splits one complete message off the front of `buf`, without copying it.
pub(crate) fn split_frame(buf: &mut BytesMut) -> Result<Split, WireError> {
    let Some(header) = buf.get(..5) else {
        return Ok(Split::Need(5 - buf.len()));
    };
    let tag = header[0];
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if !(4..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(WireError::Protocol(format!(
            "message {:?} has an invalid length {len}",
            char::from(tag)
        )));
    }
    let total = len + 1;
    if buf.len() < total {
        return Ok(Split::Need(total - buf.len()));
    }
    let body = buf.split_to(total).freeze().slice(5..);
    Ok(Split::Frame(Frame { tag, body }))
}

/// An authentication request (`R`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthRequest {
    Ok,
    Cleartext,
    Md5([u8; 4]),
    Sasl(Vec<String>),
    SaslContinue(Bytes),
    SaslFinal(Bytes),
    /// A method pgcdc does not implement, by its name.
    Unsupported(&'static str),
}

/// A decoded backend message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Backend {
    Auth(AuthRequest),
    ParameterStatus {
        name: String,
        value: String,
    },
    KeyData {
        process_id: i32,
    },
    ReadyForQuery,
    Error(Box<ServerError>),
    Notice(Box<ServerError>),
    RowDescription(Vec<String>),
    DataRow(Vec<Option<String>>),
    CommandComplete(String),
    EmptyQuery,
    CopyBoth,
    /// CopyIn or CopyOut: not used by pgcdc's commands.
    OtherCopy,
    CopyData(Bytes),
    CopyDone,
    NegotiateProtocolVersion {
        newest_minor: i32,
        unsupported: Vec<String>,
    },
    /// A message that needs no handling (NotificationResponse, ...).
    Ignored(u8),
}

/// Reads the fields of a message body.
struct Reader {
    tag: u8,
    body: Bytes,
}

impl Reader {
    fn malformed(&self, what: &str) -> WireError {
        WireError::Protocol(format!(
            "malformed {:?} message: {what}",
            char::from(self.tag)
        ))
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        if self.body.remaining() < 1 {
            return Err(self.malformed("too short"));
        }
        Ok(self.body.get_u8())
    }

    fn i16(&mut self) -> Result<i16, WireError> {
        if self.body.remaining() < 2 {
            return Err(self.malformed("too short"));
        }
        Ok(self.body.get_i16())
    }

    fn i32(&mut self) -> Result<i32, WireError> {
        if self.body.remaining() < 4 {
            return Err(self.malformed("too short"));
        }
        Ok(self.body.get_i32())
    }

    fn bytes(&mut self, len: usize) -> Result<Bytes, WireError> {
        if self.body.remaining() < len {
            return Err(self.malformed("too short"));
        }
        Ok(self.body.split_to(len))
    }

    /// A NUL-terminated string, as raw bytes.
    fn cstr_bytes(&mut self) -> Result<Bytes, WireError> {
        let end = self
            .body
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| self.malformed("a string is not NUL-terminated"))?;
        let text = self.body.split_to(end);
        self.body.advance(1);
        Ok(text)
    }

    /// A NUL-terminated UTF-8 string.
    fn cstr(&mut self) -> Result<String, WireError> {
        let raw = self.cstr_bytes()?;
        String::from_utf8(raw.to_vec()).map_err(|_| self.malformed("a string is not UTF-8"))
    }

    fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }

    fn end(&self) -> Result<(), WireError> {
        if self.body.is_empty() {
            Ok(())
        } else {
            Err(self.malformed("unexpected bytes at the end"))
        }
    }
}

/// Decodes a backend message's body.
pub(crate) fn decode(frame: Frame) -> Result<Backend, WireError> {
    let mut r = Reader {
        tag: frame.tag,
        body: frame.body,
    };
    let message = match r.tag {
        b'd' => return Ok(Backend::CopyData(r.rest())),
        b'R' => Backend::Auth(decode_auth(&mut r)?),
        b'S' => {
            let name = r.cstr()?;
            let value = r.cstr()?;
            Backend::ParameterStatus { name, value }
        }
        b'K' => {
            let process_id = r.i32()?;
            // The secret key (4 bytes in protocol 3.0, longer in 3.2) is never used: pgcdc
            // cancels nothing.
            r.rest();
            Backend::KeyData { process_id }
        }
        b'Z' => {
            r.u8()?;
            Backend::ReadyForQuery
        }
        b'E' => Backend::Error(Box::new(decode_fields(&mut r)?)),
        b'N' => Backend::Notice(Box::new(decode_fields(&mut r)?)),
        b'T' => {
            let count = r.i16()?;
            let count = usize::try_from(count).map_err(|_| r.malformed("negative count"))?;
            let mut names = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                names.push(r.cstr()?);
                // table OID, column number, type OID, type size, type modifier, format
                r.bytes(4 + 2 + 4 + 2 + 4 + 2)?;
            }
            Backend::RowDescription(names)
        }
        b'D' => {
            let count = r.i16()?;
            let count = usize::try_from(count).map_err(|_| r.malformed("negative count"))?;
            let mut values = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                let len = r.i32()?;
                if len < 0 {
                    values.push(None);
                } else {
                    let raw = r.bytes(len as usize)?;
                    let text = String::from_utf8(raw.to_vec())
                        .map_err(|_| r.malformed("a value is not UTF-8"))?;
                    values.push(Some(text));
                }
            }
            Backend::DataRow(values)
        }
        b'C' => Backend::CommandComplete(r.cstr()?),
        b'I' => Backend::EmptyQuery,
        b'W' => {
            r.rest();
            Backend::CopyBoth
        }
        b'G' | b'H' => {
            r.rest();
            Backend::OtherCopy
        }
        b'c' => Backend::CopyDone,
        b'v' => {
            let newest_minor = r.i32()?;
            let count = r.i32()?;
            let count = usize::try_from(count).map_err(|_| r.malformed("negative count"))?;
            let mut unsupported = Vec::with_capacity(count.min(64));
            for _ in 0..count {
                unsupported.push(r.cstr()?);
            }
            Backend::NegotiateProtocolVersion {
                newest_minor,
                unsupported,
            }
        }
        b'A' => {
            r.rest();
            Backend::Ignored(b'A')
        }
        other => {
            return Err(WireError::Protocol(format!(
                "unknown message type {:?} (0x{other:02x})",
                char::from(other)
            )));
        }
    };
    r.end()?;
    Ok(message)
}

fn decode_auth(r: &mut Reader) -> Result<AuthRequest, WireError> {
    Ok(match r.i32()? {
        0 => AuthRequest::Ok,
        2 => AuthRequest::Unsupported("Kerberos V5"),
        3 => AuthRequest::Cleartext,
        5 => {
            let salt = r.bytes(4)?;
            AuthRequest::Md5([salt[0], salt[1], salt[2], salt[3]])
        }
        6 => AuthRequest::Unsupported("SCM credential"),
        7 | 8 => {
            r.rest();
            AuthRequest::Unsupported("GSSAPI")
        }
        9 => AuthRequest::Unsupported("SSPI"),
        10 => {
            let mut mechanisms = Vec::new();
            loop {
                let mechanism = r.cstr()?;
                if mechanism.is_empty() {
                    break;
                }
                mechanisms.push(mechanism);
            }
            AuthRequest::Sasl(mechanisms)
        }
        11 => AuthRequest::SaslContinue(r.rest()),
        12 => AuthRequest::SaslFinal(r.rest()),
        _ => {
            r.rest();
            AuthRequest::Unsupported("an unknown")
        }
    })
}

/// Decodes the fields of an ErrorResponse or NoticeResponse. Texts that are not UTF-8 (a
/// server with another `lc_messages` encoding) are converted lossily rather than refused.
fn decode_fields(r: &mut Reader) -> Result<ServerError, WireError> {
    let mut error = ServerError::default();
    let mut localized_severity = None;
    loop {
        let field = r.u8()?;
        if field == 0 {
            break;
        }
        let value = String::from_utf8_lossy(&r.cstr_bytes()?).into_owned();
        match field {
            b'S' => localized_severity = Some(value),
            b'V' => error.severity = value,
            b'C' => error.code = value,
            b'M' => error.message = value,
            b'D' => error.detail = Some(value),
            b'H' => error.hint = Some(value),
            b'W' => error.context = Some(value),
            _ => {}
        }
    }
    if error.severity.is_empty() {
        error.severity = localized_severity.unwrap_or_else(|| "ERROR".to_owned());
    }
    if error.code.is_empty() {
        error.code = "XX000".to_owned();
    }
    Ok(error)
}

/// Appends a CopyData message carrying `payload`.
pub(crate) fn copy_data(payload: &[u8], out: &mut BytesMut) -> Result<(), WireError> {
    let len = u32::try_from(payload.len() + 4)
        .ok()
        .filter(|len| *len as usize <= MAX_MESSAGE_LEN)
        .ok_or_else(|| {
            WireError::Protocol(format!("frame of {} bytes is too long", payload.len()))
        })?;
    out.reserve(payload.len() + 5);
    out.put_u8(b'd');
    out.put_u32(len);
    out.put_slice(payload);
    Ok(())
}

/// The `START_REPLICATION` command for a logical slot, with the slot name quoted as an
/// identifier, option names as identifiers and values as string literals.
pub(crate) fn start_replication_command(
    slot: &str,
    start: pgoutput::Lsn,
    options: &[(&str, &str)],
) -> String {
    use crate::sql::{quote_ident, quote_literal};
    let mut command = format!(
        "START_REPLICATION SLOT {} LOGICAL {start}",
        quote_ident(slot)
    );
    if !options.is_empty() {
        let options: Vec<String> = options
            .iter()
            .map(|(name, value)| format!("{} {}", quote_ident(name), quote_literal(value)))
            .collect();
        command.push_str(" (");
        command.push_str(&options.join(", "));
        command.push(')');
    }
    command
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn splits_frames_without_copying() {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&message(b'd', b"hello"));
        buf.extend_from_slice(&message(b'd', b"world")[..7]);
        let base = buf.as_ptr();
        let Split::Frame(frame) = split_frame(&mut buf).unwrap() else {
            panic!("no frame")
        };
        assert_eq!(frame.body, Bytes::from_static(b"hello"));
        assert_eq!(frame.body.as_ptr(), base.wrapping_add(5));
        assert_eq!(split_frame(&mut buf).unwrap(), Split::Need(3));
        let mut short = BytesMut::from(&b"d\0\0"[..]);
        assert_eq!(split_frame(&mut short).unwrap(), Split::Need(2));
    }

    #[test]
    fn refuses_bad_lengths() {
        let mut buf = BytesMut::from(&b"d\0\0\0\x02"[..]);
        assert!(split_frame(&mut buf).is_err());
        let mut buf = BytesMut::from(&b"d\x7f\xff\xff\xff"[..]);
        assert!(split_frame(&mut buf).is_err());
    }

    fn decode_one(tag: u8, body: &[u8]) -> Result<Backend, WireError> {
        decode(Frame {
            tag,
            body: Bytes::copy_from_slice(body),
        })
    }

    #[test]
    fn decodes_errors_and_rows() {
        let error = decode_one(
            b'E',
            b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0Dmore\0Htry\0\0",
        )
        .unwrap();
        let Backend::Error(error) = error else {
            panic!()
        };
        assert_eq!(error.code, "28P01");
        assert_eq!(error.detail.as_deref(), Some("more"));
        assert_eq!(error.hint.as_deref(), Some("try"));
        assert!(error.is_fatal());

        let row = decode_one(b'D', b"\0\x02\0\0\0\x01a\xff\xff\xff\xff").unwrap();
        assert_eq!(row, Backend::DataRow(vec![Some("a".into()), None]));
        assert!(decode_one(b'D', b"\0\x02\0\0\0\x05a").is_err());
        assert!(decode_one(b'D', b"\xff\xff").is_err());
        assert!(decode_one(b'C', b"SELECT 1").is_err());
        assert!(decode_one(b'Z', b"").is_err());
        assert!(decode_one(b'Z', b"II").is_err());
        assert!(decode_one(b'?', b"").is_err());
        assert!(decode_one(b'R', b"\0\0\0\x05ab").is_err());
        let sasl = decode_one(b'R', b"\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0").unwrap();
        assert_eq!(
            sasl,
            Backend::Auth(AuthRequest::Sasl(vec![
                "SCRAM-SHA-256-PLUS".into(),
                "SCRAM-SHA-256".into()
            ]))
        );
    }

    #[test]
    fn never_panics_on_truncated_messages() {
        let samples: &[(u8, &[u8])] = &[
            (b'E', b"SFATAL\0C28P01\0\0"),
            (
                b'T',
                b"\0\x01id\0\0\0\0\0\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0",
            ),
            (b'D', b"\0\x01\0\0\0\x02ab"),
            (b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0"),
            (b'S', b"server_version\x0018.0\0"),
            (b'v', b"\0\0\0\0\0\0\0\x01_pq_.x\0"),
            (b'K', b"\0\0\0\x01\0\0\0\x02"),
        ];
        for (tag, body) in samples {
            assert!(decode_one(*tag, body).is_ok(), "{}", char::from(*tag));
            for cut in 0..body.len() {
                let _ = decode_one(*tag, &body[..cut]);
            }
        }
    }

    #[test]
    fn quotes_start_replication() {
        let command = start_replication_command(
            "my \"slot\"",
            pgoutput::Lsn(0x1_0000_00A0),
            &[("proto_version", "1"), ("publication_names", "p, 'q'")],
        );
        assert_eq!(
            command,
            "START_REPLICATION SLOT \"my \"\"slot\"\"\" LOGICAL 1/A0 (\"proto_version\" '1', \"publication_names\" 'p, ''q''')"
        );
        assert_eq!(
            start_replication_command("s", pgoutput::Lsn(0), &[]),
            "START_REPLICATION SLOT \"s\" LOGICAL 0/0"
        );
    }
}
