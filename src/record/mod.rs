//! Records: what the record sinks (file, stdout, Kafka) write, and the encoders that make them.
//!
//! A [`Record`] is a Kafka-shaped message: a topic, a key, a value and headers, the key and value
//! already encoded as bytes. An [`Encoder`] turns the change stream's [`Event`]s into records;
//! [`plain::PlainEncoder`] writes pgcdc's own JSON form of a change.

pub mod plain;

use bytes::Bytes;

use crate::change::{Event, Position};

/// One record for a record sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The topic.
    pub topic: String,
    /// The key, if any.
    pub key: Option<Bytes>,
    /// The value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// Headers, in order: name and value (`None`: a header whose value is null).
    pub headers: Vec<Header>,
    /// The position of the event the record came from.
    pub position: Position,
}

/// A record header: its name and its value (`None`: a header whose value is null).
pub type Header = (String, Option<Bytes>);

/// Turns events into records.
pub trait Encoder: Send + Sync {
    /// Appends the records for `event` (none for a Begin or Commit, several for some changes).
    fn encode(&mut self, event: &Event, out: &mut Vec<Record>) -> Result<(), EncodeError>;
}

/// An event that cannot be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the change at {position}: {reason}")]
pub struct EncodeError {
    /// Where the event stands.
    pub position: Position,
    /// What is wrong.
    pub reason: String,
}

impl Record {
    /// Appends the record as one line of the file sink's format:
    /// `{"topic":...,"key":<key>,"value":<value>,"headers":[{"key":..,"value":..}]}`, with the
    /// key and value pasted verbatim (they are JSON) and `null` for a missing key or a tombstone;
    /// `headers` only when there are any, their values as UTF-8 text (`null` for a null value).
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"topic\":");
        write_json_string(&self.topic, out);
        out.extend_from_slice(b",\"key\":");
        out.extend_from_slice(self.key.as_deref().unwrap_or(b"null"));
        out.extend_from_slice(b",\"value\":");
        out.extend_from_slice(self.value.as_deref().unwrap_or(b"null"));
        if !self.headers.is_empty() {
            out.extend_from_slice(b",\"headers\":[");
            for (i, (key, value)) in self.headers.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"key\":");
                write_json_string(key, out);
                out.extend_from_slice(b",\"value\":");
                match value {
                    Some(value) => write_json_string(&String::from_utf8_lossy(value), out),
                    None => out.extend_from_slice(b"null"),
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}\n");
    }
}

fn write_json_string(text: &str, out: &mut Vec<u8>) {
    // serde_json writes a &str as a JSON string and cannot fail for one.
    if serde_json::to_writer(&mut *out, text).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}
