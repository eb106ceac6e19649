//! Capture files: the reader must never panic, must stop after its first
//! error, and a file it reads without error must be rebuilt identically by
//! the writer. Frames then go through the frame and message decoders.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use pgoutput::capture::{self, CaptureReader};
use pgoutput::{Decoder, ReplicationMessage};

fuzz_target!(|input: &[u8]| {
    let Ok(reader) = CaptureReader::new(Bytes::copy_from_slice(input)) else {
        return;
    };
    let mut rebuilt = BytesMut::new();
    capture::write_header(&mut rebuilt);
    let mut decoder = Decoder::new();
    let mut failed = false;
    for item in reader {
        assert!(!failed, "an item after an error");
        match item {
            Ok(frame) => {
                capture::write_frame(&mut rebuilt, &frame).unwrap_or_else(|e| panic!("{e}"));
                if let Ok(ReplicationMessage::XLogData(xlog)) = ReplicationMessage::decode(frame) {
                    let _ = decoder.decode(xlog.data);
                }
            }
            Err(_) => failed = true,
        }
    }
    if !failed {
        assert_eq!(&rebuilt[..], input);
    }
});
