//! The pgoutput decoder against a real server: a workload that produces every message type is
//! read from PostgreSQL 15 and 18 with protocol versions 1 to 4 (streaming, two-phase, parallel
//! streaming) and binary columns; every message decodes, re-encodes to the same bytes, and the
//! decoded content is what the workload did.
//!
//! With `PGCDC_WRITE_FIXTURES=1` the captured frames are also written to
//! `pgoutput/tests/data/pg<N>/<name>.pgcdcraw`, the real-server corpus of the crate's own tests,
//! the fuzzers and bug reports.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;

use bytes::Bytes;
use pgcdc::localpg::decoding::{PgoutputOptions, capture_file, get_binary_changes, xlog_frames};
use pgcdc_testkit::{PgVersion, TestCluster, config, start_with};
use pgoutput::{Decoder, Lsn, Message, OldTuple, TupleData};

const SCHEMA: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE items (id int PRIMARY KEY, name text, qty int, big text);
ALTER TABLE items ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE full_ident (id int PRIMARY KEY, v text);
ALTER TABLE full_ident REPLICA IDENTITY FULL;
CREATE TABLE typed (id int PRIMARY KEY, m mood, arr int[], j jsonb, ts timestamptz, n numeric, b bytea);
CREATE PUBLICATION pub FOR ALL TABLES;
SELECT pg_replication_origin_create('pgcdc_test_origin');
"#;

const WORKLOAD: &str = r#"
INSERT INTO items VALUES (1, 'a', 1, NULL), (2, 'b', 2, repeat('x', 10000));
UPDATE items SET qty = 5 WHERE id = 2;
UPDATE items SET id = 3 WHERE id = 1;
DELETE FROM items WHERE id = 3;
INSERT INTO full_ident VALUES (1, 'x');
UPDATE full_ident SET v = 'y' WHERE id = 1;
DELETE FROM full_ident WHERE id = 1;
INSERT INTO typed VALUES (1, 'happy', '{1,2}', '{"a": 1}', '2024-05-06 07:08:09+00', 1.5, '\x00ff');
SELECT pg_logical_emit_message(true, 'pgcdc.test', 'transactional');
SELECT pg_logical_emit_message(false, 'pgcdc.test', 'not transactional');
TRUNCATE full_ident RESTART IDENTITY CASCADE;
ALTER TABLE items ADD COLUMN extra int;
INSERT INTO items VALUES (10, 'c', 1, NULL, 7);
BEGIN;
INSERT INTO items SELECT g, 'row ' || g, g, NULL, g FROM generate_series(100, 1300) g;
COMMIT;
BEGIN;
INSERT INTO items SELECT g, 'aborted ' || g, g, NULL, g FROM generate_series(4000, 5200) g;
ROLLBACK;
BEGIN;
INSERT INTO items VALUES (20, 'kept', 1, NULL, 1);
SAVEPOINT s1;
INSERT INTO items SELECT g, 'rolled back ' || g, g, NULL, g FROM generate_series(8000, 9200) g;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO items VALUES (21, 'kept too', 1, NULL, 1);
COMMIT;
BEGIN;
INSERT INTO items VALUES (30, 'prepared', 1, NULL, 1);
PREPARE TRANSACTION 'pgcdc_gid_commit';
COMMIT PREPARED 'pgcdc_gid_commit';
BEGIN;
INSERT INTO items VALUES (31, 'prepared then rolled back', 1, NULL, 1);
PREPARE TRANSACTION 'pgcdc_gid_rollback';
ROLLBACK PREPARED 'pgcdc_gid_rollback';
BEGIN;
INSERT INTO items SELECT g, 'big prepared ' || g, g, NULL, g FROM generate_series(12000, 13200) g;
PREPARE TRANSACTION 'pgcdc_gid_streamed';
COMMIT PREPARED 'pgcdc_gid_streamed';
SELECT pg_replication_origin_session_setup('pgcdc_test_origin');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/AABBCC', now());
INSERT INTO items VALUES (40, 'from origin', 1, NULL, 1);
COMMIT;
SELECT pg_replication_origin_session_reset();
"#;

/// A slot, the options it is read with, and the name of its capture file.
struct Reading {
    name: &'static str,
    options: PgoutputOptions,
    two_phase_slot: bool,
}

fn readings(major: u32) -> Vec<Reading> {
    let mut list = vec![
        Reading {
            name: "v1",
            options: PgoutputOptions::new(1, "pub"),
            two_phase_slot: false,
        },
        Reading {
            name: "v1-binary",
            options: PgoutputOptions {
                binary: true,
                ..PgoutputOptions::new(1, "pub")
            },
            two_phase_slot: false,
        },
        Reading {
            name: "v2-streaming",
            options: PgoutputOptions {
                streaming: Some("on"),
                ..PgoutputOptions::new(2, "pub")
            },
            two_phase_slot: false,
        },
        Reading {
            name: "v3-two-phase",
            options: PgoutputOptions {
                streaming: Some("on"),
                two_phase: true,
                ..PgoutputOptions::new(3, "pub")
            },
            two_phase_slot: true,
        },
    ];
    if major >= 16 {
        list.push(Reading {
            name: "v4-parallel",
            options: PgoutputOptions {
                streaming: Some("parallel"),
                two_phase: true,
                ..PgoutputOptions::new(4, "pub")
            },
            two_phase_slot: true,
        });
    }
    list
}

/// What one slot gave: the reading's name, its options and the messages.
type Captured = Vec<(&'static str, PgoutputOptions, Vec<(Lsn, Bytes)>)>;

/// Runs the workload once and reads it through every slot.
fn capture_all(version: PgVersion) -> (TestCluster, Captured) {
    let pg = start_with(
        config(version)
            .setting("max_prepared_transactions", "10")
            .setting("logical_decoding_work_mem", "64kB"),
    );
    pg.psql("postgres", SCHEMA).unwrap();
    let readings = readings(version.major());
    for reading in &readings {
        let slot = slot_name(reading.name);
        pg.psql(
            "postgres",
            &format!(
                "SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput', false, {})",
                reading.two_phase_slot
            ),
        )
        .unwrap();
    }
    pg.psql("postgres", WORKLOAD).unwrap();
    let captured = readings
        .into_iter()
        .map(|reading| {
            let messages =
                get_binary_changes(&pg, "postgres", &slot_name(reading.name), &reading.options)
                    .unwrap();
            (reading.name, reading.options, messages)
        })
        .collect();
    (pg, captured)
}

fn slot_name(reading: &str) -> String {
    format!("s_{}", reading.replace('-', "_"))
}

fn decode_all(messages: &[(Lsn, Bytes)]) -> Vec<Message> {
    let mut decoder = Decoder::new();
    messages
        .iter()
        .map(|(lsn, data)| {
            let message = decoder
                .decode(data.clone())
                .unwrap_or_else(|e| panic!("message at {lsn} does not decode: {e}"));
            assert_eq!(
                message.to_bytes(),
                *data,
                "message at {lsn} re-encodes differently"
            );
            message
        })
        .collect()
}

fn tags(messages: &[Message]) -> BTreeSet<&'static str> {
    messages.iter().map(Message::name).collect()
}

fn text(data: &TupleData) -> Option<&str> {
    match data {
        TupleData::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

pgcdc_testkit::pg_test! {
    fn every_message_of_every_protocol_version_decodes(version: PgVersion) {
        let (_pg, captured) = capture_all(version);
        for (name, options, messages) in &captured {
            let decoded = decode_all(messages);
            let seen = tags(&decoded);
            let mut expected: BTreeSet<&str> = ["Begin", "Commit", "Origin", "Relation", "Type", "Insert", "Update", "Delete", "Truncate", "Message"].into();
            if options.streaming.is_some() {
                expected.extend(["Stream Start", "Stream Stop", "Stream Commit", "Stream Abort"]);
            }
            if options.two_phase {
                expected.extend(["Begin Prepare", "Prepare", "Commit Prepared", "Rollback Prepared", "Stream Prepare"]);
            }
            assert_eq!(seen, expected, "{name}: message types");

            if options.proto_version >= 4 {
                let with_abort_info = decoded.iter().any(|m| matches!(m, Message::StreamAbort(a) if a.abort_info.is_some()));
                assert!(with_abort_info, "{name}: parallel streaming sends the abort LSN and time");
            }
            if options.binary {
                let binary = decoded.iter().any(|m| matches!(m, Message::Insert(i) if i.new.iter().any(|c| matches!(c, TupleData::Binary(_)))));
                assert!(binary, "{name}: binary columns");
            }
            if options.streaming.is_some() {
                let streamed_change = decoded.iter().any(|m| matches!(m, Message::Insert(i) if i.xid.is_some()));
                assert!(streamed_change, "{name}: changes inside streamed blocks carry their xid");
            }
        }
    }
}

pgcdc_testkit::pg_test! {
    fn decoded_protocol_1_content_matches_the_workload(version: PgVersion) {
        let (_pg, captured) = capture_all(version);
        let (_, _, messages) = captured.iter().find(|(name, _, _)| *name == "v1").unwrap();
        let decoded = decode_all(messages);

        // Relations: items is described again after ALTER TABLE, with one more column.
        let items: Vec<_> = decoded.iter().filter_map(|m| match m {
            Message::Relation(r) if r.name.as_str() == Ok("items") => Some(r),
            _ => None,
        }).collect();
        assert!(items.len() >= 2, "items is described again after ALTER TABLE");
        assert_eq!(items[0].namespace.as_str(), Ok("public"));
        let names: Vec<&str> = items[0].columns.iter().map(|c| c.name.as_str().unwrap()).collect();
        assert_eq!(names, ["id", "name", "qty", "big"]);
        assert_eq!(items[0].columns[0].flags & 1, 1, "id is the key");
        assert_eq!(items[0].columns[0].type_oid, 23, "int4");
        assert_eq!(items.last().unwrap().columns.len(), 5);

        // The enum is described by a Type message.
        assert!(decoded.iter().any(|m| matches!(m, Message::Type(t) if t.name.as_str() == Ok("mood"))));

        // The first insert, column by column.
        let first = decoded.iter().find_map(|m| match m { Message::Insert(i) => Some(i), _ => None }).unwrap();
        let row: Vec<TupleData> = first.new.iter().collect();
        assert_eq!(text(&row[0]), Some("1"));
        assert_eq!(text(&row[1]), Some("a"));
        assert_eq!(row[3], TupleData::Null);

        // Updates: unchanged TOAST, old key on a key change, whole old row with FULL identity.
        let updates: Vec<_> = decoded.iter().filter_map(|m| match m { Message::Update(u) => Some(u), _ => None }).collect();
        assert!(updates.iter().any(|u| u.old.is_none() && u.new.iter().any(|c| c == TupleData::UnchangedToast)));
        assert!(updates.iter().any(|u| matches!(&u.old, Some(OldTuple::Key(k)) if k.get(0).as_ref().and_then(text) == Some("1"))));
        assert!(updates.iter().any(|u| matches!(&u.old, Some(OldTuple::Full(o)) if o.get(1).as_ref().and_then(text) == Some("x"))));
        let deletes: Vec<_> = decoded.iter().filter_map(|m| match m { Message::Delete(d) => Some(d), _ => None }).collect();
        assert!(deletes.iter().any(|d| d.old.is_key()));
        assert!(deletes.iter().any(|d| !d.old.is_key()));

        // Truncate flags, logical messages, origin.
        let truncate = decoded.iter().find_map(|m| match m { Message::Truncate(t) => Some(t), _ => None }).unwrap();
        assert!(truncate.cascade() && truncate.restart_identity());
        assert_eq!(truncate.relation_oids.len(), 1);
        let logical: Vec<_> = decoded.iter().filter_map(|m| match m { Message::Message(l) => Some(l), _ => None }).collect();
        assert!(logical.iter().any(|l| l.transactional && &l.content[..] == b"transactional"));
        assert!(logical.iter().any(|l| !l.transactional && &l.content[..] == b"not transactional"));
        assert!(logical.iter().all(|l| l.prefix.as_str() == Ok("pgcdc.test")));
        assert!(decoded.iter().any(|m| matches!(m, Message::Origin(o) if o.name.as_str() == Ok("pgcdc_test_origin"))));

        // Transactions: the aborted ones are absent, and commits are in LSN order.
        let inserted: usize = decoded.iter().filter(|m| matches!(m, Message::Insert(_))).count();
        assert_eq!(inserted, 2 + 1 + 1 + 1 + 1201 + 2 + 1 + 1201 + 1, "inserted rows");
        let commits: Vec<Lsn> = decoded.iter().filter_map(|m| match m { Message::Commit(c) => Some(c.end_lsn), _ => None }).collect();
        assert!(commits.windows(2).all(|w| w[0] < w[1]), "commit LSNs ascend");
        for message in &decoded {
            if let Message::Begin(begin) = message {
                assert!(begin.xid > 0 && begin.final_lsn > Lsn::from(0));
            }
        }
    }
}

/// Writes the real-server corpus when asked to (`PGCDC_WRITE_FIXTURES=1`).
#[test]
fn write_fixtures_when_asked() {
    if std::env::var_os("PGCDC_WRITE_FIXTURES").is_none() {
        return;
    }
    for version in PgVersion::ALL {
        let (_pg, captured) = capture_all(version);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("pgoutput/tests/data/pg{}", version.major()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, _, messages) in captured {
            let file = capture_file(&xlog_frames(&messages)).unwrap();
            std::fs::write(dir.join(format!("{name}.pgcdcraw")), file).unwrap();
        }
    }
}
