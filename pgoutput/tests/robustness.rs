//! Malformed input: truncated and corrupted messages and frames give errors,
//! never panics. Whenever a mangled input still decodes, it must be a valid
//! encoding in its own right: encoding the result gives the input back.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{Bytes, BytesMut};
use common::{samples, strategies};
use pgoutput::capture::CaptureReader;
use pgoutput::{Decoder, HotStandbyFeedback, Message, ReplicationMessage, StandbyStatusUpdate};
use proptest::prelude::*;

/// Decodes `data`; if it decodes, checks it re-encodes to itself.
fn check_message(data: &Bytes, in_stream: bool) -> bool {
    match Message::decode(data.clone(), in_stream) {
        Ok(m) => {
            assert_eq!(&m.to_bytes(), data, "{m:?} decoded from {data:?}");
            for tuple in tuples(&m) {
                assert_eq!(tuple.iter().count(), tuple.len());
                assert_eq!(tuple.iter_ref().count(), tuple.len());
            }
            true
        }
        Err(e) => {
            assert!(e.offset() <= data.len(), "{e} for {data:?}");
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

fn tuples(m: &Message) -> Vec<&pgoutput::Tuple> {
    match m {
        Message::Insert(i) => vec![&i.new],
        Message::Update(u) => u.old.iter().map(|o| o.tuple()).chain([&u.new]).collect(),
        Message::Delete(d) => vec![d.old.tuple()],
        _ => vec![],
    }
}

fn check_frame(frame: &Bytes) -> bool {
    match ReplicationMessage::decode(frame.clone()) {
        Ok(m) => {
            let mut buf = BytesMut::new();
            m.encode(&mut buf);
            assert_eq!(&buf.freeze(), frame);
            true
        }
        Err(e) => {
            assert!(e.offset() <= frame.len());
            false
        }
    }
}

#[test]
fn every_prefix_of_every_sample_message_is_an_error() {
    let mut checked = 0;
    for (message, in_stream) in samples::messages() {
        let data = message.to_bytes();
        assert!(check_message(&data, in_stream));
        for cut in 0..data.len() {
            let prefix = data.slice(..cut);
            let ok = check_message(&prefix, in_stream);
            // The only message with a valid shorter form is a protocol 4
            // Stream Abort, whose first 9 bytes are a protocol 2 one.
            let v2_abort =
                matches!(&message, Message::StreamAbort(a) if a.abort_info.is_some()) && cut == 9;
            assert_eq!(ok, v2_abort, "prefix {cut} of {message:?}");
            checked += 1;
        }
        // And one byte more is an error too.
        let mut longer = data.to_vec();
        longer.push(0);
        assert!(
            !check_message(&Bytes::from(longer), in_stream),
            "{message:?}"
        );
    }
    assert!(checked > 500);
}

#[test]
fn every_prefix_of_a_frame_is_an_error() {
    let frame = samples::xlog_frame(pgoutput::Lsn(1), Bytes::from_static(b"E"));
    for cut in 0..pgoutput::XLogData::HEADER_LEN {
        assert!(!check_frame(&frame.slice(..cut)));
    }
    let mut buf = BytesMut::new();
    StandbyStatusUpdate {
        write: pgoutput::Lsn(1),
        flush: pgoutput::Lsn(2),
        apply: pgoutput::Lsn(3),
        send_time: 4,
        reply_requested: true,
    }
    .encode(&mut buf);
    for cut in 0..buf.len() {
        assert!(StandbyStatusUpdate::decode(&buf[..cut]).is_err());
    }
    let mut buf = BytesMut::new();
    HotStandbyFeedback {
        send_time: 1,
        xmin: 2,
        xmin_epoch: 3,
        catalog_xmin: 4,
        catalog_xmin_epoch: 5,
    }
    .encode(&mut buf);
    for cut in 0..buf.len() {
        assert!(HotStandbyFeedback::decode(&buf[..cut]).is_err());
    }
}

#[test]
fn every_prefix_of_a_capture_reads_without_panic() {
    let file = samples::capture_file();
    for cut in 0..file.len() {
        if let Ok(reader) = CaptureReader::new(file.slice(..cut)) {
            let items: Vec<_> = reader.collect();
            // Every item but possibly the last is a frame.
            let errors = items.iter().filter(|i| i.is_err()).count();
            assert!(errors <= 1);
            if errors == 1 {
                assert!(items.last().unwrap().is_err());
            }
        }
    }
}

/// A mutation applied to an encoded message.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, 1 << bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn mutate(data: &[u8], mutations: &[Mutation]) -> Bytes {
    let mut data = data.to_vec();
    for m in mutations {
        let len = data.len();
        match *m {
            Mutation::Set(i, b) if len > 0 => data[i % len] = b,
            Mutation::Flip(i, bit) if len > 0 => data[i % len] ^= bit,
            Mutation::Insert(i, b) => data.insert(i % (len + 1), b),
            Mutation::Remove(i) if len > 0 => {
                data.remove(i % len);
            }
            _ => {}
        }
    }
    Bytes::from(data)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn corrupted_messages_do_not_panic(
        (message, in_stream) in strategies::message(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let data = mutate(&message.to_bytes(), &mutations);
        check_message(&data, in_stream);
        check_message(&data, !in_stream);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let data = Bytes::from(data);
        check_message(&data, false);
        check_message(&data, true);
        check_frame(&data);
        let _ = StandbyStatusUpdate::decode(&data);
        let _ = HotStandbyFeedback::decode(&data);
        let mut decoder = Decoder::new();
        let _ = decoder.decode(data.clone());
    }

    #[test]
    fn tagged_arbitrary_bodies_do_not_panic(
        tag in prop::sample::select(b"BCORYIUDTMSEcAbPKrpwk".to_vec()),
        body in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let mut data = vec![tag];
        data.extend(body);
        let data = Bytes::from(data);
        check_message(&data, false);
        check_message(&data, true);
        check_frame(&data);
    }

    #[test]
    fn corrupted_captures_do_not_panic(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let file = mutate(&samples::capture_file(), &mutations);
        if let Ok(reader) = CaptureReader::new(file) {
            let mut decoder = Decoder::new();
            for frame in reader.flatten() {
                if let Ok(ReplicationMessage::XLogData(x)) = ReplicationMessage::decode(frame) {
                    let _ = decoder.decode(x.data);
                }
            }
        }
    }
}
