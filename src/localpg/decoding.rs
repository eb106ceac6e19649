//! Reading a slot through the SQL interface of logical decoding
//! (`pg_logical_slot_get_binary_changes`): real pgoutput bytes without a replication connection,
//! for tests, benchmarks and the quickstart. The messages can be wrapped as the XLogData frames
//! a walsender sends and written in the capture format of [`pgoutput::capture`].

use bytes::{Bytes, BytesMut};
use pgoutput::{Lsn, ReplicationMessage, XLogData};

use super::{Cluster, LocalPgError};

/// The pgoutput options a slot is read with.
#[derive(Debug, Clone)]
pub struct PgoutputOptions {
    /// `proto_version`, 1 to 4.
    pub proto_version: u32,
    /// `publication_names`.
    pub publication: String,
    /// `messages`: logical decoding messages.
    pub messages: bool,
    /// `streaming`: `None`, `Some("on")` or `Some("parallel")`.
    pub streaming: Option<&'static str>,
    /// `two_phase` (the slot must have been created with two-phase decoding on).
    pub two_phase: bool,
    /// `binary`: column values in binary format.
    pub binary: bool,
}

impl PgoutputOptions {
    /// Protocol `proto_version` for `publication`, with messages, without streaming.
    pub fn new(proto_version: u32, publication: &str) -> Self {
        Self {
            proto_version,
            publication: publication.to_owned(),
            messages: true,
            streaming: None,
            two_phase: false,
            binary: false,
        }
    }

    fn sql_arguments(&self) -> String {
        let mut args = format!(
            "'proto_version', '{}', 'publication_names', '{}'",
            self.proto_version, self.publication
        );
        if self.messages {
            args.push_str(", 'messages', 'true'");
        }
        if let Some(mode) = self.streaming {
            args.push_str(&format!(", 'streaming', '{mode}'"));
        }
        if self.two_phase {
            args.push_str(", 'two_phase', 'true'");
        }
        if self.binary {
            args.push_str(", 'binary', 'true'");
        }
        args
    }
}

/// Consumes everything in `slot` (of database `database`) and returns each pgoutput message with
/// the LSN the server reports for it.
pub fn get_binary_changes(
    cluster: &Cluster,
    database: &str,
    slot: &str,
    options: &PgoutputOptions,
) -> Result<Vec<(Lsn, Bytes)>, LocalPgError> {
    let sql = format!(
        "SELECT lsn, data FROM pg_logical_slot_get_binary_changes({}, NULL, NULL, {})",
        crate::sql::quote_literal(slot),
        options.sql_arguments()
    );
    let out = cluster.psql(database, &sql)?;
    out.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.split_once("|\\x")
                .and_then(|(lsn, hex)| Some((lsn.parse().ok()?, Bytes::from(decode_hex(hex)?))))
                .ok_or_else(|| LocalPgError::UnexpectedOutput {
                    program: "psql".to_owned(),
                    output: line.chars().take(200).collect(),
                })
        })
        .collect()
}

/// Wraps each message in an XLogData frame (wal_start = wal_end = its LSN, send time 0).
pub fn xlog_frames(messages: &[(Lsn, Bytes)]) -> Vec<Bytes> {
    messages
        .iter()
        .map(|(lsn, data)| {
            let mut buf = BytesMut::with_capacity(data.len() + 25);
            ReplicationMessage::XLogData(XLogData {
                wal_start: *lsn,
                wal_end: *lsn,
                send_time: 0,
                data: data.clone(),
            })
            .encode(&mut buf);
            buf.freeze()
        })
        .collect()
}

/// The frames as a capture file (`pgoutput::capture` format).
pub fn capture_file(frames: &[Bytes]) -> Result<Vec<u8>, pgoutput::capture::CaptureError> {
    let mut file = Vec::with_capacity(frames.iter().map(|f| f.len() + 4).sum::<usize>() + 10);
    pgoutput::capture::write_header(&mut file);
    for frame in frames {
        pgoutput::capture::write_frame(&mut file, frame)?;
    }
    Ok(file)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}
