//! Hand-written messages with the layouts of PostgreSQL's documentation
//! ("Logical Replication Message Formats"), field by field.

use bytes::Bytes;

use super::*;
use crate::{Decoder, ErrorKind, Field, Lsn, Name, Tuple, TupleData};

/// Concatenates fields.
fn msg(fields: &[&[u8]]) -> Bytes {
    Bytes::from(fields.concat())
}

fn i16b(v: i16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn i32b(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn u32b(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn u64b(v: u64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn i64b(v: i64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn name(s: &'static str) -> Name {
    Name::try_from(s).unwrap()
}

fn text(s: &'static str) -> TupleData {
    TupleData::Text(Bytes::from_static(s.as_bytes()))
}

/// Decodes `data` and, with the `encode` feature, checks that encoding the
/// result gives `data` back.
fn decode(data: &Bytes, in_stream: bool) -> Message {
    let m = Message::decode(data.clone(), in_stream).unwrap();
    #[cfg(feature = "encode")]
    assert_eq!(m.to_bytes(), data, "re-encoding {m:?}");
    m
}

fn decode_err(data: &Bytes, in_stream: bool) -> crate::DecodeError {
    Message::decode(data.clone(), in_stream).unwrap_err()
}

const LSN: u64 = 0x16_B374_D848;
const TIME: i64 = 0x0002_9A3B_5C4D_2E10;

#[test]
fn begin() {
    let data = msg(&[b"B", &u64b(LSN), &i64b(TIME), &u32b(790)]);
    let m = decode(&data, false);
    assert_eq!(
        m,
        Message::Begin(Begin {
            final_lsn: Lsn(LSN),
            commit_time: TIME,
            xid: 790
        })
    );
    assert_eq!(m.tag(), b'B');
    assert_eq!(m.name(), "Begin");
    // Begin carries no streamed xid even inside a block.
    assert_eq!(decode(&data, true), m);
}

#[test]
fn begin_with_extreme_values() {
    let data = msg(&[b"B", &u64b(u64::MAX), &i64b(i64::MIN), &u32b(u32::MAX)]);
    let Message::Begin(b) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(
        (b.final_lsn, b.commit_time, b.xid),
        (Lsn::MAX, i64::MIN, u32::MAX)
    );
}

#[test]
fn commit() {
    let data = msg(&[b"C", &[0], &u64b(LSN), &u64b(LSN + 48), &i64b(TIME)]);
    assert_eq!(
        decode(&data, false),
        Message::Commit(Commit {
            flags: 0,
            commit_lsn: Lsn(LSN),
            end_lsn: Lsn(LSN + 48),
            commit_time: TIME
        })
    );
}

#[test]
fn origin() {
    let data = msg(&[b"O", &u64b(LSN), b"node_a\0"]);
    let Message::Origin(o) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(o.commit_lsn, Lsn(LSN));
    assert_eq!(o.name, "node_a");
    // Names are slices of the message.
    assert_eq!(o.name.as_bytes().as_ptr(), data[9..].as_ptr());
}

fn relation_body() -> Vec<&'static [u8]> {
    vec![
        b"\x00\x00\x40\x00",
        b"public\0",
        b"users\0",
        b"f",
        b"\x00\x02",
        b"\x01",
        b"id\0",
        b"\x00\x00\x00\x17",
        b"\xff\xff\xff\xff",
        b"\x00",
        b"name\0",
        b"\x00\x00\x04\x13",
        b"\x00\x00\x00\x44",
    ]
}

#[test]
fn relation() {
    let data = msg(&[&b"R"[..]]
        .into_iter()
        .chain(relation_body())
        .collect::<Vec<_>>());
    let Message::Relation(r) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(r.xid, None);
    assert_eq!(r.oid, 16384);
    assert_eq!(r.namespace, "public");
    assert_eq!(r.name, "users");
    assert_eq!(r.replica_identity, ReplicaIdentity::Full);
    assert_eq!(
        r.columns,
        [
            Column {
                flags: 1,
                name: name("id"),
                type_oid: 23,
                type_modifier: -1
            },
            Column {
                flags: 0,
                name: name("name"),
                type_oid: 1043,
                type_modifier: 68
            },
        ]
    );
    assert!(r.columns[0].is_key());
    assert!(!r.columns[1].is_key());
}

#[test]
fn relation_in_streamed_block() {
    let xid = u32b(1234);
    let mut fields: Vec<&[u8]> = vec![b"R", &xid];
    fields.extend(relation_body());
    let data = msg(&fields);
    let m = decode(&data, true);
    assert_eq!(m.stream_xid(), Some(1234));
    // Outside a block the xid is read as the oid and the rest is garbage.
    assert!(Message::decode(data, false).is_err());
}

#[test]
fn relation_with_no_columns_and_empty_names() {
    for (identity, expected) in [
        (b'd', ReplicaIdentity::Default),
        (b'n', ReplicaIdentity::Nothing),
        (b'f', ReplicaIdentity::Full),
        (b'i', ReplicaIdentity::Index),
    ] {
        let data = msg(&[b"R", &u32b(u32::MAX), b"\0", b"\0", &[identity], &i16b(0)]);
        let Message::Relation(r) = decode(&data, false) else {
            panic!()
        };
        assert!(r.namespace.is_empty() && r.name.is_empty() && r.columns.is_empty());
        assert_eq!(r.replica_identity, expected);
        assert_eq!(expected.as_byte(), identity);
    }
}

#[test]
fn relation_errors() {
    let data = msg(&[b"R", &u32b(1), b"s\0", b"t\0", b"x", &i16b(0)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Relation: replica_identity at byte 9: invalid value 0x78 ('x'), expected 'd', 'n', 'f' or 'i'"
    );
    let data = msg(&[b"R", &u32b(1), b"s\0", b"t\0", b"d", &i16b(-1)]);
    assert_eq!(
        decode_err(&data, false).kind(),
        &ErrorKind::NegativeLength(-1)
    );
    let data = msg(&[b"R", &u32b(1), b"s\0", b"t"]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Relation: name at byte 7: no terminating NUL in the 1 bytes left"
    );
    // A huge column count does not allocate for columns that are not there.
    let data = msg(&[b"R", &u32b(1), b"s\0", b"t\0", b"d", &i16b(i16::MAX)]);
    let e = decode_err(&data, false);
    assert_eq!(
        e.field(),
        Field::Column {
            list: "relation",
            index: 0,
            part: "flags"
        }
    );
}

#[test]
fn non_utf8_names_decode() {
    let data = msg(&[b"Y", &u32b(16500), b"sch\xe9ma\0", b"\xff\xfe\0"]);
    let Message::Type(t) = decode(&data, false) else {
        panic!()
    };
    assert!(t.namespace.as_str().is_err());
    assert_eq!(t.namespace.as_bytes(), b"sch\xe9ma");
    assert_eq!(t.name.as_bytes(), b"\xff\xfe");
}

#[test]
fn type_message() {
    let data = msg(&[b"Y", &u32b(16500), b"public\0", b"mood\0"]);
    assert_eq!(
        decode(&data, false),
        Message::Type(Type {
            xid: None,
            oid: 16500,
            namespace: name("public"),
            name: name("mood")
        })
    );
    let data = msg(&[b"Y", &u32b(7), &u32b(16500), b"\0", b"\0"]);
    let Message::Type(t) = decode(&data, true) else {
        panic!()
    };
    assert_eq!((t.xid, t.oid), (Some(7), 16500));
}

#[test]
fn insert_with_every_column_kind() {
    let data = msg(&[
        b"I",
        &u32b(16384),
        b"N",
        &i16b(4),
        b"t",
        &i32b(2),
        b"42",
        b"n",
        b"u",
        b"b",
        &i32b(3),
        b"\x00\x01\x02",
    ]);
    let Message::Insert(i) = decode(&data, false) else {
        panic!()
    };
    assert_eq!((i.xid, i.relation_oid), (None, 16384));
    let values: Vec<_> = i.new.iter().collect();
    assert_eq!(
        values,
        [
            text("42"),
            TupleData::Null,
            TupleData::UnchangedToast,
            TupleData::Binary(Bytes::from_static(b"\x00\x01\x02"))
        ]
    );
    // Column data are slices of the message.
    let Some(TupleData::Text(v)) = i.new.get(0) else {
        panic!()
    };
    assert_eq!(v.as_ptr(), data[13..].as_ptr());
}

#[test]
fn insert_with_zero_columns_and_empty_text() {
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(0)]);
    let Message::Insert(i) = decode(&data, false) else {
        panic!()
    };
    assert!(i.new.is_empty());
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(1), b"t", &i32b(0)]);
    let Message::Insert(i) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(i.new.get(0), Some(text("")));
}

#[test]
fn insert_in_streamed_block() {
    let data = msg(&[b"I", &u32b(900), &u32b(16384), b"N", &i16b(1), b"n"]);
    assert_eq!(
        decode(&data, true),
        Message::Insert(Insert {
            xid: Some(900),
            relation_oid: 16384,
            new: Tuple::from_columns([TupleData::Null]).unwrap()
        })
    );
}

#[test]
fn insert_errors() {
    let data = msg(&[b"I", &u32b(1), b"X", &i16b(0)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Insert: tuple marker at byte 5: invalid value 0x58 ('X'), expected 'N'"
    );
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(4), b"nnnt", &[0, 0]]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Insert: tuple column 3 length at byte 12: need 4 bytes, 2 left"
    );
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(1), b"t", &i32b(-5)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Insert: tuple column 0 length at byte 9: negative length -5"
    );
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(1), b"?"]);
    assert_eq!(
        decode_err(&data, false).kind(),
        &ErrorKind::UnknownTupleKind(b'?')
    );
    let data = msg(&[b"I", &u32b(1), b"N", &i16b(0), b"!"]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Insert: end of message at byte 8: 1 unexpected trailing bytes"
    );
}

#[test]
fn update_without_old_tuple() {
    let data = msg(&[
        b"U",
        &u32b(16384),
        b"N",
        &i16b(2),
        b"t",
        &i32b(1),
        b"1",
        b"u",
    ]);
    let Message::Update(u) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(u.old, None);
    assert_eq!(u.new.len(), 2);
}

#[test]
fn update_with_key_and_full_old_tuples() {
    for (marker, is_key) in [(b"K", true), (b"O", false)] {
        let data = msg(&[
            b"U",
            &u32b(16384),
            marker,
            &i16b(2),
            b"t",
            &i32b(1),
            b"1",
            b"n",
            b"N",
            &i16b(2),
            b"t",
            &i32b(1),
            b"2",
            b"t",
            &i32b(1),
            b"x",
        ]);
        let Message::Update(u) = decode(&data, false) else {
            panic!()
        };
        let old = u.old.unwrap();
        assert_eq!(old.is_key(), is_key);
        assert_eq!(
            old.tuple().iter().collect::<Vec<_>>(),
            [text("1"), TupleData::Null]
        );
        assert_eq!(u.new.iter().collect::<Vec<_>>(), [text("2"), text("x")]);
    }
}

#[test]
fn update_in_streamed_block() {
    let data = msg(&[b"U", &u32b(5), &u32b(16384), b"N", &i16b(0)]);
    assert_eq!(decode(&data, true).stream_xid(), Some(5));
}

#[test]
fn update_errors() {
    let data = msg(&[b"U", &u32b(1), b"Z"]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Update: tuple marker at byte 5: invalid value 0x5a ('Z'), expected 'K', 'O' or 'N'"
    );
    let data = msg(&[b"U", &u32b(1), b"K", &i16b(0), b"K", &i16b(0)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Update: new tuple marker at byte 8: invalid value 0x4b ('K'), expected 'N'"
    );
    let data = msg(&[b"U", &u32b(1), b"O", &i16b(1), b"t", &i32b(9)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Update: old tuple column 0 data at byte 13: need 9 bytes, 0 left"
    );
}

#[test]
fn delete_with_key_and_full_old_tuples() {
    let data = msg(&[b"D", &u32b(16384), b"K", &i16b(1), b"t", &i32b(2), b"42"]);
    let Message::Delete(d) = decode(&data, false) else {
        panic!()
    };
    assert!(d.old.is_key());
    assert_eq!(d.old.tuple().get(0), Some(text("42")));
    let data = msg(&[b"D", &u32b(3), &u32b(16384), b"O", &i16b(0)]);
    let Message::Delete(d) = decode(&data, true) else {
        panic!()
    };
    assert_eq!(d.xid, Some(3));
    assert_eq!(d.old, OldTuple::Full(Tuple::default()));
    let data = msg(&[b"D", &u32b(16384), b"N", &i16b(0)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Delete: tuple marker at byte 5: invalid value 0x4e ('N'), expected 'K' or 'O'"
    );
}

#[test]
fn truncate() {
    let data = msg(&[b"T", &i32b(2), &[3], &u32b(16384), &u32b(16390)]);
    let Message::Truncate(t) = decode(&data, false) else {
        panic!()
    };
    assert_eq!(t.relation_oids, [16384, 16390]);
    assert!(t.cascade() && t.restart_identity());
    let data = msg(&[
        b"T",
        &u32b(77),
        &i32b(1),
        &[Truncate::RESTART_IDENTITY],
        &u32b(1),
    ]);
    let Message::Truncate(t) = decode(&data, true) else {
        panic!()
    };
    assert_eq!(t.xid, Some(77));
    assert!(!t.cascade() && t.restart_identity());
    let data = msg(&[b"T", &i32b(0), &[0]]);
    let Message::Truncate(t) = decode(&data, false) else {
        panic!()
    };
    assert!(t.relation_oids.is_empty() && !t.cascade());
}

#[test]
fn truncate_errors() {
    let data = msg(&[b"T", &i32b(-1), &[0]]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Truncate: number of relations at byte 1: negative length -1"
    );
    let data = msg(&[b"T", &i32b(i32::MAX), &[0], &u32b(1)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Truncate: relation oids at byte 6: need 8589934588 bytes, 4 left"
    );
    let data = msg(&[b"T", &i32b(1), &[0], &u32b(1), &[0]]);
    assert_eq!(
        decode_err(&data, false).kind(),
        &ErrorKind::TrailingBytes(1)
    );
}

#[test]
fn logical_message() {
    let data = msg(&[b"M", &[1], &u64b(LSN), b"pgcdc\0", &i32b(5), b"hello"]);
    let Message::Message(m) = decode(&data, false) else {
        panic!()
    };
    assert!(m.transactional);
    assert_eq!((m.lsn, m.xid), (Lsn(LSN), None));
    assert_eq!(m.prefix, "pgcdc");
    assert_eq!(m.content, "hello");
    assert_eq!(m.content.as_ptr(), data[data.len() - 5..].as_ptr());
    let data = msg(&[b"M", &u32b(12), &[0], &u64b(0), b"\0", &i32b(0)]);
    let Message::Message(m) = decode(&data, true) else {
        panic!()
    };
    assert_eq!(m.xid, Some(12));
    assert!(!m.transactional && m.prefix.is_empty() && m.content.is_empty());
}

#[test]
fn logical_message_errors() {
    let data = msg(&[b"M", &[2], &u64b(0), b"\0", &i32b(0)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Message: flags at byte 1: invalid value 0x02, expected 0 or 1"
    );
    let data = msg(&[b"M", &[0], &u64b(0), b"\0", &i32b(-1)]);
    assert_eq!(
        decode_err(&data, false).kind(),
        &ErrorKind::NegativeLength(-1)
    );
    let data = msg(&[b"M", &[0], &u64b(0), b"\0", &i32b(6), b"hello"]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Message: content at byte 15: need 6 bytes, 5 left"
    );
}

#[test]
fn stream_start_and_stop() {
    let data = msg(&[b"S", &u32b(900), &[1]]);
    assert_eq!(
        decode(&data, false),
        Message::StreamStart(StreamStart {
            xid: 900,
            first_segment: true
        })
    );
    let data = msg(&[b"S", &u32b(900), &[0]]);
    let Message::StreamStart(s) = decode(&data, false) else {
        panic!()
    };
    assert!(!s.first_segment);
    assert_eq!(decode(&msg(&[b"E"]), true), Message::StreamStop(StreamStop));
    assert_eq!(
        decode_err(&msg(&[b"E", b"x"]), true).kind(),
        &ErrorKind::TrailingBytes(1)
    );
}

#[test]
fn stream_commit() {
    let data = msg(&[
        b"c",
        &u32b(900),
        &[0],
        &u64b(LSN),
        &u64b(LSN + 1),
        &i64b(TIME),
    ]);
    assert_eq!(
        decode(&data, false),
        Message::StreamCommit(StreamCommit {
            xid: 900,
            flags: 0,
            commit_lsn: Lsn(LSN),
            end_lsn: Lsn(LSN + 1),
            commit_time: TIME
        })
    );
}

#[test]
fn stream_abort_protocol_2() {
    let data = msg(&[b"A", &u32b(900), &u32b(901)]);
    assert_eq!(
        decode(&data, false),
        Message::StreamAbort(StreamAbort {
            xid: 900,
            subxid: 901,
            abort_info: None
        })
    );
}

#[test]
fn stream_abort_protocol_4_parallel() {
    let data = msg(&[b"A", &u32b(900), &u32b(900), &u64b(LSN), &i64b(TIME)]);
    assert_eq!(
        decode(&data, false),
        Message::StreamAbort(StreamAbort {
            xid: 900,
            subxid: 900,
            abort_info: Some(StreamAbortInfo {
                abort_lsn: Lsn(LSN),
                abort_time: TIME
            })
        })
    );
}

#[test]
fn stream_abort_with_partial_extra_fields() {
    let data = msg(&[b"A", &u32b(900), &u32b(900), &u64b(LSN)]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Stream Abort: abort_time at byte 17: need 8 bytes, 0 left"
    );
    let data = msg(&[b"A", &u32b(900), &u32b(900), &[0; 3]]);
    assert_eq!(
        decode_err(&data, false).to_string(),
        "Stream Abort: abort_lsn at byte 9: need 8 bytes, 3 left"
    );
    let data = msg(&[b"A", &u32b(900), &u32b(900), &[0; 17]]);
    assert_eq!(
        decode_err(&data, false).kind(),
        &ErrorKind::TrailingBytes(1)
    );
}

#[test]
fn begin_prepare() {
    let data = msg(&[
        b"b",
        &u64b(LSN),
        &u64b(LSN + 8),
        &i64b(TIME),
        &u32b(42),
        b"tx-1\0",
    ]);
    assert_eq!(
        decode(&data, false),
        Message::BeginPrepare(BeginPrepare {
            prepare_lsn: Lsn(LSN),
            end_lsn: Lsn(LSN + 8),
            prepare_time: TIME,
            xid: 42,
            gid: name("tx-1")
        })
    );
}

#[test]
fn prepare_and_stream_prepare() {
    let body: &[&[u8]] = &[
        &[0],
        &u64b(LSN),
        &u64b(LSN + 8),
        &i64b(TIME),
        &u32b(42),
        b"tx-1\0",
    ];
    let expected = Prepare {
        flags: 0,
        prepare_lsn: Lsn(LSN),
        end_lsn: Lsn(LSN + 8),
        prepare_time: TIME,
        xid: 42,
        gid: name("tx-1"),
    };
    let data = msg(&[b"P", &body.concat()]);
    assert_eq!(decode(&data, false), Message::Prepare(expected.clone()));
    let data = msg(&[b"p", &body.concat()]);
    let m = decode(&data, false);
    assert_eq!(m.name(), "Stream Prepare");
    assert_eq!(m, Message::StreamPrepare(expected));
    let e = decode_err(&data.slice(..data.len() - 1), false);
    assert_eq!(e.message(), "Stream Prepare");
}

#[test]
fn commit_prepared() {
    let data = msg(&[
        b"K",
        &[0],
        &u64b(LSN),
        &u64b(LSN + 8),
        &i64b(TIME),
        &u32b(42),
        b"\0",
    ]);
    assert_eq!(
        decode(&data, false),
        Message::CommitPrepared(CommitPrepared {
            flags: 0,
            commit_lsn: Lsn(LSN),
            end_lsn: Lsn(LSN + 8),
            commit_time: TIME,
            xid: 42,
            gid: Name::default()
        })
    );
}

#[test]
fn rollback_prepared() {
    let data = msg(&[
        b"r",
        &[0],
        &u64b(LSN),
        &u64b(LSN + 8),
        &i64b(TIME),
        &i64b(TIME + 1),
        &u32b(42),
        b"tx-1\0",
    ]);
    assert_eq!(
        decode(&data, false),
        Message::RollbackPrepared(RollbackPrepared {
            flags: 0,
            prepare_end_lsn: Lsn(LSN),
            rollback_end_lsn: Lsn(LSN + 8),
            prepare_time: TIME,
            rollback_time: TIME + 1,
            xid: 42,
            gid: name("tx-1")
        })
    );
}

#[test]
fn unknown_and_empty_messages() {
    assert_eq!(
        decode_err(&msg(&[b"Z"]), false).to_string(),
        "pgoutput message: tag at byte 0: unknown message tag 0x5a ('Z')"
    );
    assert_eq!(
        decode_err(&Bytes::new(), false).to_string(),
        "pgoutput message: tag at byte 0: need 1 bytes, 0 left"
    );
}

#[test]
fn decoder_tracks_streamed_blocks() {
    let mut d = Decoder::new();
    let insert_plain = msg(&[b"I", &u32b(16384), b"N", &i16b(0)]);
    let insert_streamed = msg(&[b"I", &u32b(900), &u32b(16384), b"N", &i16b(0)]);
    assert_eq!(d.decode(insert_plain.clone()).unwrap().stream_xid(), None);
    assert!(!d.in_stream());
    d.decode(msg(&[b"S", &u32b(900), &[1]])).unwrap();
    assert!(d.in_stream());
    assert_eq!(
        d.decode(insert_streamed.clone()).unwrap().stream_xid(),
        Some(900)
    );
    let e = d.decode(msg(&[b"S", &u32b(901), &[0]])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Stream Start: tag at byte 0: Stream Start inside a streamed block"
    );
    assert!(d.in_stream());
    // A malformed Stream Stop does not close the block.
    assert!(d.decode(msg(&[b"E", b"!"])).is_err());
    assert!(d.in_stream());
    d.decode(msg(&[b"E"])).unwrap();
    assert!(!d.in_stream());
    let e = d.decode(msg(&[b"E"])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::StreamStopOutsideBlock);
    assert_eq!(d.decode(insert_plain).unwrap().stream_xid(), None);
    d.decode(msg(&[b"S", &u32b(900), &[0]])).unwrap();
    d.reset();
    assert!(!d.in_stream());
    // The streamed form is not a valid plain Insert.
    assert!(d.decode(insert_streamed).is_err());
}
