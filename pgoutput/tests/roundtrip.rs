//! Round trips: encode, decode, compare, for every message type, every
//! protocol version, the CopyData frames and the capture format.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{Bytes, BytesMut};
use common::{samples, strategies};
use pgoutput::capture::{self, CaptureReader};
use pgoutput::{
    Decoder, HotStandbyFeedback, Lsn, Message, ReplicationMessage, StandbyStatusUpdate, TupleData,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn message_round_trip((message, in_stream) in strategies::message()) {
        let encoded = message.to_bytes();
        let decoded = Message::decode(encoded.clone(), in_stream).unwrap();
        prop_assert_eq!(&decoded, &message);
        prop_assert_eq!(decoded.to_bytes(), encoded);
    }

    #[test]
    fn message_in_xlog_data_round_trip((message, in_stream) in strategies::message(), wal_start in strategies::lsn()) {
        let frame = samples::xlog_frame(wal_start, message.to_bytes());
        let ReplicationMessage::XLogData(xlog) = ReplicationMessage::decode(frame).unwrap() else {
            panic!("not XLogData");
        };
        prop_assert_eq!(xlog.wal_start, wal_start);
        prop_assert_eq!(Message::decode(xlog.data, in_stream).unwrap(), message);
    }

    #[test]
    fn tuple_round_trip(columns in proptest::collection::vec(strategies::tuple_data(), 0..40)) {
        let tuple = pgoutput::Tuple::from_columns(columns.clone()).unwrap();
        prop_assert_eq!(tuple.len(), columns.len());
        prop_assert_eq!(tuple.iter().collect::<Vec<_>>(), columns.clone());
        for (i, column) in columns.iter().enumerate() {
            prop_assert_eq!(tuple.get(i), Some(column.clone()));
        }
        let as_refs: Vec<Option<Vec<u8>>> = tuple
            .iter_ref()
            .map(|c| match c {
                pgoutput::TupleDataRef::Text(b) | pgoutput::TupleDataRef::Binary(b) => Some(b.to_vec()),
                _ => None,
            })
            .collect();
        let expected: Vec<Option<Vec<u8>>> = columns.iter().map(|c| c.bytes().map(|b| b.to_vec())).collect();
        prop_assert_eq!(as_refs, expected);
    }

    #[test]
    fn replication_message_round_trip(frame in strategies::replication_message()) {
        let mut buf = BytesMut::new();
        frame.encode(&mut buf);
        let encoded = buf.freeze();
        let decoded = ReplicationMessage::decode(encoded.clone()).unwrap();
        prop_assert_eq!(&decoded, &frame);
        let mut again = BytesMut::new();
        decoded.encode(&mut again);
        prop_assert_eq!(again.freeze(), encoded);
    }

    #[test]
    fn standby_status_update_round_trip(update in strategies::standby_status_update()) {
        let mut buf = BytesMut::new();
        update.encode(&mut buf);
        prop_assert_eq!(buf.len(), StandbyStatusUpdate::LEN);
        prop_assert_eq!(StandbyStatusUpdate::decode(&buf).unwrap(), update);
    }

    #[test]
    fn hot_standby_feedback_round_trip(feedback in strategies::hot_standby_feedback()) {
        let mut buf = BytesMut::new();
        feedback.encode(&mut buf);
        prop_assert_eq!(buf.len(), HotStandbyFeedback::LEN);
        prop_assert_eq!(HotStandbyFeedback::decode(&buf).unwrap(), feedback);
    }

    #[test]
    fn capture_round_trip(frames in proptest::collection::vec(strategies::replication_message(), 0..20)) {
        let mut file = Vec::new();
        capture::write_header(&mut file);
        let mut encoded = Vec::new();
        for frame in &frames {
            let mut buf = BytesMut::new();
            frame.encode(&mut buf);
            capture::write_frame(&mut file, &buf).unwrap();
            encoded.push(buf.freeze());
        }
        let read: Vec<Bytes> = CaptureReader::new(Bytes::from(file)).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&read, &encoded);
        let decoded: Vec<ReplicationMessage> = read.into_iter().map(|f| ReplicationMessage::decode(f).unwrap()).collect();
        prop_assert_eq!(decoded, frames);
    }

    #[test]
    fn lsn_text_round_trip(value in any::<u64>()) {
        let lsn = Lsn(value);
        let text = lsn.to_string();
        prop_assert_eq!(text.parse::<Lsn>(), Ok(lsn));
        prop_assert_eq!(text.to_lowercase().parse::<Lsn>(), Ok(lsn));
        prop_assert!(!text.contains(|c: char| c.is_ascii_lowercase()));
    }
}

#[test]
fn sample_session_round_trips_through_a_decoder() {
    let mut decoder = Decoder::new();
    for message in samples::session() {
        let encoded = message.to_bytes();
        let decoded = decoder.decode(encoded.clone()).unwrap();
        assert_eq!(decoded, message);
        assert_eq!(decoded.to_bytes(), encoded);
    }
    assert!(!decoder.in_stream());
}

#[test]
fn sample_capture_round_trips() {
    let file = samples::capture_file();
    let mut decoder = Decoder::new();
    let mut expected = samples::session().into_iter();
    let mut keepalives = 0;
    for frame in CaptureReader::new(file).unwrap() {
        match ReplicationMessage::decode(frame.unwrap()).unwrap() {
            ReplicationMessage::XLogData(xlog) => {
                assert_eq!(Some(decoder.decode(xlog.data).unwrap()), expected.next());
            }
            ReplicationMessage::PrimaryKeepalive(k) => {
                assert!(k.reply_requested);
                keepalives += 1;
            }
        }
    }
    assert_eq!(expected.next(), None);
    assert_eq!(keepalives, 1);
}

#[test]
fn every_message_type_is_sampled() {
    let mut tags: Vec<u8> = samples::session().iter().map(Message::tag).collect();
    tags.sort_unstable();
    tags.dedup();
    assert_eq!(tags.len(), 19, "{:?}", String::from_utf8_lossy(&tags));
    let session = samples::session();
    assert!(session.iter().any(
        |m| matches!(m, Message::Insert(i) if i.new.iter().any(|c| c == TupleData::UnchangedToast))
    ));
}
