//! Decodes every frame of the captures recorded from real PostgreSQL servers
//! (`tests/data/pg*/*.pgcdcraw`), through a `Decoder` per file, and checks
//! that re-encoding each frame and each message gives the identical bytes.
//!
//! Without captures the test passes, saying so.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use pgoutput::capture::CaptureReader;
use pgoutput::{Decoder, Message, ReplicationMessage};

fn capture_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            capture_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "pgcdcraw") {
            found.push(path);
        }
    }
}

#[derive(Default)]
struct Counts {
    frames: usize,
    keepalives: usize,
    messages: BTreeMap<&'static str, usize>,
}

fn check_file(path: &Path, counts: &mut Counts) {
    let data = Bytes::from(fs::read(path).unwrap());
    let reader = CaptureReader::new(data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = Decoder::new();
    for (index, frame) in reader.enumerate() {
        let frame = frame.unwrap_or_else(|e| panic!("{}: frame {index}: {e}", path.display()));
        let context = || format!("{}: frame {index}", path.display());
        let decoded = ReplicationMessage::decode(frame.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", context()));
        let mut again = BytesMut::new();
        decoded.encode(&mut again);
        assert_eq!(again, frame, "{}: frame re-encodes differently", context());
        counts.frames += 1;
        match decoded {
            ReplicationMessage::PrimaryKeepalive(_) => counts.keepalives += 1,
            ReplicationMessage::XLogData(xlog) => {
                let message: Message = decoder
                    .decode(xlog.data.clone())
                    .unwrap_or_else(|e| panic!("{}: {e}", context()));
                assert_eq!(
                    message.to_bytes(),
                    xlog.data,
                    "{}: {message:?} re-encodes differently",
                    context()
                );
                let name = match &message {
                    Message::StreamAbort(a) if a.abort_info.is_some() => {
                        "Stream Abort (with abort LSN and time)"
                    }
                    m if m.stream_xid().is_some() => streamed_name(m),
                    m => m.name(),
                };
                *counts.messages.entry(name).or_default() += 1;
            }
        }
    }
}

/// The name of a message inside a streamed block.
fn streamed_name(message: &Message) -> &'static str {
    match message {
        Message::Relation(_) => "Relation (streamed)",
        Message::Type(_) => "Type (streamed)",
        Message::Insert(_) => "Insert (streamed)",
        Message::Update(_) => "Update (streamed)",
        Message::Delete(_) => "Delete (streamed)",
        Message::Truncate(_) => "Truncate (streamed)",
        Message::Message(_) => "Message (streamed)",
        other => other.name(),
    }
}

#[test]
fn captured_streams_decode_and_re_encode_identically() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = Vec::new();
    capture_files(&root, &mut files);
    let mut counts = Counts::default();
    for file in &files {
        check_file(file, &mut counts);
    }
    // Written to stderr directly, past the test harness's capture, so the
    // count shows in every run.
    let mut report = format!(
        "captured: {} files, {} frames ({} keepalives) under {}\n",
        files.len(),
        counts.frames,
        counts.keepalives,
        root.display()
    );
    for (name, count) in &counts.messages {
        report.push_str(&format!("captured:   {name}: {count}\n"));
    }
    if files.is_empty() {
        report.push_str("captured: no capture files yet, nothing checked\n");
    }
    std::io::stderr().write_all(report.as_bytes()).unwrap();
}
