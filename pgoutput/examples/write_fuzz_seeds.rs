//! Writes seed corpora for the fuzz targets in `fuzz/`.
//!
//! ```text
//! cargo run -p pgoutput --example write_fuzz_seeds --features encode -- OUT_DIR [CAPTURE.pgcdcraw ...]
//! ```
//!
//! Seeds come from the encoder (every message type and protocol version) and
//! from the given capture files. `OUT_DIR/<target>/` receives one file per
//! seed, named by a hash of its content:
//!
//! - `decode_message`: messages in the fuzz target's input format, each a
//!   big-endian `u16` length then the message, in session order.
//! - `decode_replication`: single CopyData frames.
//! - `capture_reader`: whole capture files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/common/samples.rs"]
mod samples;

use std::collections::BTreeSet;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes, BytesMut};
use pgoutput::capture::{self, CaptureReader};
use pgoutput::{
    HotStandbyFeedback, Lsn, Message, ReplicationMessage, StandbyStatusUpdate, StreamStart,
};

/// Most messages per `decode_message` seed cut from a capture.
const MESSAGES_PER_SEED: usize = 16;
/// Most consecutive Inserts kept from a capture.
const INSERTS_IN_A_ROW: usize = 4;
/// Largest input kept as a seed; libFuzzer's default `-max_len` is far below.
const MAX_SEED_LEN: usize = 64 * 1024;

struct Corpus {
    dir: PathBuf,
    written: BTreeSet<u64>,
}

impl Corpus {
    fn new(root: &Path, target: &str) -> Result<Corpus, Box<dyn Error>> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        Ok(Corpus {
            dir,
            written: BTreeSet::new(),
        })
    }

    fn add(&mut self, seed: &[u8]) -> Result<(), Box<dyn Error>> {
        if seed.len() > MAX_SEED_LEN {
            return Ok(());
        }
        let hash = fnv1a(seed);
        if self.written.insert(hash) {
            fs::write(self.dir.join(format!("{hash:016x}")), seed)?;
        }
        Ok(())
    }
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Joins messages in the `decode_message` input format.
fn message_seed<'a>(messages: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut seed = Vec::new();
    for m in messages {
        let len = u16::try_from(m.len()).unwrap_or(u16::MAX);
        seed.put_u16(len);
        seed.extend_from_slice(m.get(..usize::from(len)).unwrap_or(m));
    }
    seed
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: write_fuzz_seeds OUT_DIR [CAPTURE.pgcdcraw ...]")?,
    );
    let captures: Vec<PathBuf> = args.map(PathBuf::from).collect();

    let mut messages = Corpus::new(&out, "decode_message")?;
    let mut frames = Corpus::new(&out, "decode_replication")?;
    let mut files = Corpus::new(&out, "capture_reader")?;

    // From the encoder: each sample message alone (behind a Stream Start if
    // it belongs in a streamed block), then the whole session.
    let stream_start = Message::StreamStart(StreamStart {
        xid: 900,
        first_segment: true,
    })
    .to_bytes();
    let encoded: Vec<Bytes> = samples::session().iter().map(Message::to_bytes).collect();
    for (message, in_stream) in samples::messages() {
        let data = message.to_bytes();
        if in_stream {
            messages.add(&message_seed([&stream_start[..], &data[..]]))?;
        } else {
            messages.add(&message_seed([&data[..]]))?;
        }
        frames.add(&samples::xlog_frame(Lsn(0x16_B374_D848), data))?;
    }
    messages.add(&message_seed(encoded.iter().map(|m| &m[..])))?;

    let mut buf = BytesMut::new();
    StandbyStatusUpdate {
        write: Lsn(1),
        flush: Lsn(2),
        apply: Lsn(3),
        send_time: 4,
        reply_requested: false,
    }
    .encode(&mut buf);
    frames.add(&buf)?;
    buf.clear();
    HotStandbyFeedback {
        send_time: 1,
        xmin: 2,
        xmin_epoch: 3,
        catalog_xmin: 4,
        catalog_xmin_epoch: 5,
    }
    .encode(&mut buf);
    frames.add(&buf)?;
    files.add(&samples::capture_file())?;

    // From captures of real servers, with long runs of Inserts cut short so
    // that the rarer messages further on are kept.
    for path in &captures {
        let data = Bytes::from(fs::read(path)?);
        let reader = CaptureReader::new(data).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut kept = BytesMut::new();
        capture::write_header(&mut kept);
        let mut payloads = Vec::new();
        let mut inserts_in_a_row = 0;
        for frame in reader {
            let frame = frame.map_err(|e| format!("{}: {e}", path.display()))?;
            let Ok(ReplicationMessage::XLogData(xlog)) = ReplicationMessage::decode(frame.clone())
            else {
                frames.add(&frame)?;
                continue;
            };
            if xlog.data.first() == Some(&b'I') {
                inserts_in_a_row += 1;
                if inserts_in_a_row > INSERTS_IN_A_ROW {
                    continue;
                }
            } else {
                inserts_in_a_row = 0;
            }
            frames.add(&frame)?;
            if kept.len() + 4 + frame.len() <= MAX_SEED_LEN {
                capture::write_frame(&mut kept, &frame)?;
            }
            payloads.push(xlog.data);
        }
        // Consecutive messages keep streamed blocks together most of the time.
        for chunk in payloads.chunks(MESSAGES_PER_SEED) {
            messages.add(&message_seed(chunk.iter().map(|m| &m[..])))?;
        }
        files.add(&kept)?;
    }

    for corpus in [&messages, &frames, &files] {
        println!("{}: {} seeds", corpus.dir.display(), corpus.written.len());
    }
    Ok(())
}
