//! Sample messages covering every message type and protocol version, with
//! edge cases. Shared by the integration tests and the fuzz seed writer.

use bytes::{Bytes, BytesMut};
use pgoutput::capture;
use pgoutput::{
    Begin, BeginPrepare, Column, Commit, CommitPrepared, Delete, Insert, LogicalMessage, Lsn,
    Message, Name, OldTuple, Origin, Prepare, Relation, ReplicaIdentity, ReplicationMessage,
    RollbackPrepared, StreamAbort, StreamAbortInfo, StreamCommit, StreamStart, StreamStop,
    Truncate, Tuple, TupleData, Type, Update, XLogData,
};

/// A name from a literal without NUL.
pub fn name(s: &'static str) -> Name {
    Name::try_from(s).unwrap_or_default()
}

fn tuple(values: &[Option<&'static str>]) -> Tuple {
    let columns = values.iter().map(|v| match v {
        Some(s) => TupleData::Text(Bytes::from_static(s.as_bytes())),
        None => TupleData::Null,
    });
    Tuple::from_columns(columns).unwrap_or_default()
}

fn mixed_tuple() -> Tuple {
    Tuple::from_columns([
        TupleData::Text(Bytes::from_static(b"42")),
        TupleData::Null,
        TupleData::UnchangedToast,
        TupleData::Binary(Bytes::from_static(b"\x00\x01\xff")),
        TupleData::Text(Bytes::new()),
    ])
    .unwrap_or_default()
}

const LSN: Lsn = Lsn(0x16_B374_D848);
const TIME: i64 = 0x0002_9A3B_5C4D_2E10;

/// A realistic sequence of messages as one replication session sends them,
/// exercising every message type once, streamed blocks included. Decoding
/// it in order with one `Decoder` works.
pub fn session() -> Vec<Message> {
    let relation = Relation {
        xid: None,
        oid: 16384,
        namespace: name("public"),
        name: name("users"),
        replica_identity: ReplicaIdentity::Default,
        columns: vec![
            Column {
                flags: Column::KEY,
                name: name("id"),
                type_oid: 23,
                type_modifier: -1,
            },
            Column {
                flags: 0,
                name: name("name"),
                type_oid: 1043,
                type_modifier: 68,
            },
        ],
    };
    let gid = name("pgcdc-tx-1");
    vec![
        // Protocol 1: a plain transaction.
        Message::Begin(Begin {
            final_lsn: LSN,
            commit_time: TIME,
            xid: 790,
        }),
        Message::Origin(Origin {
            commit_lsn: LSN,
            name: name("node_a"),
        }),
        Message::Type(Type {
            xid: None,
            oid: 16500,
            namespace: name("public"),
            name: name("mood"),
        }),
        Message::Relation(relation.clone()),
        Message::Insert(Insert {
            xid: None,
            relation_oid: 16384,
            new: tuple(&[Some("1"), Some("alice")]),
        }),
        Message::Update(Update {
            xid: None,
            relation_oid: 16384,
            old: None,
            new: tuple(&[Some("1"), Some("bob")]),
        }),
        Message::Update(Update {
            xid: None,
            relation_oid: 16384,
            old: Some(OldTuple::Key(tuple(&[Some("1"), None]))),
            new: mixed_tuple(),
        }),
        Message::Update(Update {
            xid: None,
            relation_oid: 16384,
            old: Some(OldTuple::Full(tuple(&[Some("1"), Some("bob")]))),
            new: tuple(&[Some("2"), Some("bob")]),
        }),
        Message::Delete(Delete {
            xid: None,
            relation_oid: 16384,
            old: OldTuple::Key(tuple(&[Some("2"), None])),
        }),
        Message::Delete(Delete {
            xid: None,
            relation_oid: 16384,
            old: OldTuple::Full(tuple(&[])),
        }),
        Message::Truncate(Truncate {
            xid: None,
            options: Truncate::CASCADE | Truncate::RESTART_IDENTITY,
            relation_oids: vec![16384, 16390],
        }),
        Message::Message(LogicalMessage {
            xid: None,
            transactional: true,
            lsn: LSN,
            prefix: name("pgcdc"),
            content: Bytes::from_static(b"hello"),
        }),
        Message::Commit(Commit {
            flags: 0,
            commit_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 48),
            commit_time: TIME,
        }),
        Message::Message(LogicalMessage {
            xid: None,
            transactional: false,
            lsn: Lsn::ZERO,
            prefix: Name::default(),
            content: Bytes::new(),
        }),
        // Protocol 2: a streamed transaction.
        Message::StreamStart(StreamStart {
            xid: 900,
            first_segment: true,
        }),
        Message::Relation(Relation {
            xid: Some(900),
            ..relation
        }),
        Message::Type(Type {
            xid: Some(900),
            oid: 16501,
            namespace: Name::default(),
            name: name("t"),
        }),
        Message::Insert(Insert {
            xid: Some(900),
            relation_oid: 16384,
            new: mixed_tuple(),
        }),
        Message::Update(Update {
            xid: Some(900),
            relation_oid: 16384,
            old: Some(OldTuple::Key(tuple(&[Some("1")]))),
            new: tuple(&[Some("1"), Some("carol")]),
        }),
        Message::Delete(Delete {
            xid: Some(900),
            relation_oid: 16384,
            old: OldTuple::Key(tuple(&[Some("1")])),
        }),
        Message::Truncate(Truncate {
            xid: Some(900),
            options: 0,
            relation_oids: vec![],
        }),
        Message::Message(LogicalMessage {
            xid: Some(900),
            transactional: true,
            lsn: LSN,
            prefix: name("p"),
            content: Bytes::from_static(b"\x00\xff"),
        }),
        Message::StreamStop(StreamStop),
        Message::StreamStart(StreamStart {
            xid: 900,
            first_segment: false,
        }),
        Message::StreamStop(StreamStop),
        Message::StreamAbort(StreamAbort {
            xid: 900,
            subxid: 901,
            abort_info: None,
        }),
        Message::StreamCommit(StreamCommit {
            xid: 900,
            flags: 0,
            commit_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 1),
            commit_time: TIME,
        }),
        // Protocol 3: two-phase commit.
        Message::BeginPrepare(BeginPrepare {
            prepare_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 8),
            prepare_time: TIME,
            xid: 42,
            gid: gid.clone(),
        }),
        Message::Prepare(Prepare {
            flags: 0,
            prepare_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 8),
            prepare_time: TIME,
            xid: 42,
            gid: gid.clone(),
        }),
        Message::CommitPrepared(CommitPrepared {
            flags: 0,
            commit_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 16),
            commit_time: TIME,
            xid: 42,
            gid: gid.clone(),
        }),
        Message::RollbackPrepared(RollbackPrepared {
            flags: 0,
            prepare_end_lsn: Lsn(LSN.0 + 8),
            rollback_end_lsn: Lsn(LSN.0 + 24),
            prepare_time: TIME,
            rollback_time: TIME + 1,
            xid: 43,
            gid: gid.clone(),
        }),
        Message::StreamPrepare(Prepare {
            flags: 0,
            prepare_lsn: LSN,
            end_lsn: Lsn(LSN.0 + 8),
            prepare_time: TIME,
            xid: 44,
            gid,
        }),
        // Protocol 4, streaming = parallel.
        Message::StreamAbort(StreamAbort {
            xid: 902,
            subxid: 902,
            abort_info: Some(StreamAbortInfo {
                abort_lsn: Lsn::MAX,
                abort_time: i64::MIN,
            }),
        }),
    ]
}

/// Every sample message with whether it sits in a streamed block.
pub fn messages() -> Vec<(Message, bool)> {
    let mut in_stream = false;
    session()
        .into_iter()
        .map(|m| {
            match m {
                Message::StreamStart(_) => in_stream = true,
                Message::StreamStop(_) => in_stream = false,
                _ => {}
            }
            let inside = in_stream && !matches!(m, Message::StreamStart(_));
            (m, inside)
        })
        .collect()
}

/// Encodes a message.
pub fn encode(message: &Message) -> Bytes {
    message.to_bytes()
}

/// An XLogData frame wrapping `data`.
pub fn xlog_frame(wal_start: Lsn, data: Bytes) -> Bytes {
    let mut buf = BytesMut::new();
    ReplicationMessage::XLogData(XLogData {
        wal_start,
        wal_end: wal_start.saturating_add(1000),
        send_time: TIME,
        data,
    })
    .encode(&mut buf);
    buf.freeze()
}

/// A capture holding the whole sample session, plus one keepalive.
pub fn capture_file() -> Bytes {
    let mut buf = BytesMut::new();
    capture::write_header(&mut buf);
    for (i, message) in session().iter().enumerate() {
        let frame = xlog_frame(Lsn(LSN.0 + 100 * i as u64), encode(message));
        capture::write_frame(&mut buf, &frame).unwrap_or_default();
    }
    let mut keepalive = BytesMut::new();
    ReplicationMessage::PrimaryKeepalive(pgoutput::PrimaryKeepalive {
        wal_end: LSN,
        send_time: TIME,
        reply_requested: true,
    })
    .encode(&mut keepalive);
    capture::write_frame(&mut buf, &keepalive).unwrap_or_default();
    buf.freeze()
}
