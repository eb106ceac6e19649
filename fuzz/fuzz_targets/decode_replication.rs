//! CopyData frames: from the server (XLogData, keepalive) and to it
//! (standby status update, hot standby feedback). Whatever decodes must
//! re-encode to the same bytes; XLogData payloads go through the message
//! decoder both inside and outside a streamed block.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use pgoutput::{HotStandbyFeedback, Message, ReplicationMessage, StandbyStatusUpdate};

fuzz_target!(|input: &[u8]| {
    let frame = Bytes::copy_from_slice(input);
    match ReplicationMessage::decode(frame.clone()) {
        Ok(decoded) => {
            let mut buf = BytesMut::new();
            decoded.encode(&mut buf);
            assert_eq!(buf, frame);
            if let ReplicationMessage::XLogData(xlog) = decoded {
                for in_stream in [false, true] {
                    if let Ok(message) = Message::decode(xlog.data.clone(), in_stream) {
                        assert_eq!(message.to_bytes(), xlog.data);
                    }
                }
            }
        }
        Err(error) => assert!(error.offset() <= frame.len()),
    }
    if let Ok(update) = StandbyStatusUpdate::decode(input) {
        let mut buf = BytesMut::new();
        update.encode(&mut buf);
        assert_eq!(&buf[..], input);
    }
    if let Ok(feedback) = HotStandbyFeedback::decode(input) {
        let mut buf = BytesMut::new();
        feedback.encode(&mut buf);
        assert_eq!(&buf[..], input);
    }
});
