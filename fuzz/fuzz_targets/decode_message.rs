//! A stateful `Decoder` over a sequence of messages.
//!
//! Input: messages one after the other, each a big-endian `u16` length then
//! that many bytes (a short last message takes what is left). Whatever
//! decodes must re-encode to the same bytes, agree with the stateless
//! decoder, and iterate its tuples fully; an error must leave the streamed
//! block state as it was.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use pgoutput::{Decoder, Message};

fn split(input: &Bytes) -> impl Iterator<Item = Bytes> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = input.get(pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (len, start) = match rest {
            [a, b, ..] => (usize::from(u16::from_be_bytes([*a, *b])), pos + 2),
            _ => (0, input.len()),
        };
        let end = start.saturating_add(len).min(input.len());
        pos = end;
        Some(input.slice(start..end))
    })
}

fn check_tuples(message: &Message) {
    let tuples = match message {
        Message::Insert(m) => vec![&m.new],
        Message::Update(m) => m.old.iter().map(|o| o.tuple()).chain([&m.new]).collect(),
        Message::Delete(m) => vec![m.old.tuple()],
        _ => vec![],
    };
    for tuple in tuples {
        assert_eq!(tuple.iter().count(), tuple.len());
        assert_eq!(tuple.iter_ref().count(), tuple.len());
        if !tuple.is_empty() {
            assert!(tuple.get(tuple.len() - 1).is_some());
        }
        assert!(tuple.get(tuple.len()).is_none());
    }
}

fuzz_target!(|input: &[u8]| {
    let input = Bytes::copy_from_slice(input);
    let mut decoder = Decoder::new();
    for data in split(&input) {
        let in_stream = decoder.in_stream();
        match decoder.decode(data.clone()) {
            Ok(message) => {
                assert_eq!(message.to_bytes(), data, "{message:?}");
                assert_eq!(
                    Message::decode(data.clone(), in_stream).as_ref(),
                    Ok(&message)
                );
                check_tuples(&message);
                let expected_state = match message {
                    Message::StreamStart(_) => true,
                    Message::StreamStop(_) => false,
                    _ => in_stream,
                };
                assert_eq!(decoder.in_stream(), expected_state);
            }
            Err(error) => {
                assert_eq!(decoder.in_stream(), in_stream);
                assert!(error.offset() <= data.len(), "{error}");
                let _ = error.to_string();
            }
        }
    }
});
