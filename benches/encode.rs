//! Encoding speed of the Debezium encoder: the changes of the reference `bench` table
//! (`id serial primary key, a text, b int, c timestamptz`) turned into Debezium's records with
//! schemas enabled (the default), as Kafka Connect's `JsonConverter` writes them.
//!
//! Run with `cargo bench --bench encode`. Figures are in `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pgcdc::change::types::TypeCache;
use pgcdc::change::value::parse_text;
use pgcdc::change::{
    Change, ChangeKind, ColumnInfo, CommitInfo, Datum, Event, Position, RelationInfo,
    ReplicaIdentity, Row, TxnInfo,
};
use pgcdc::debezium::config::DebeziumConfig;
use pgcdc::debezium::encoder::DebeziumEncoder;
use pgcdc::record::{Encoder, Record};
use pgoutput::Lsn;

const CHANGES: u32 = 100_000;
const PER_TRANSACTION: u32 = 1_000;

fn column(name: &str, type_oid: u32, key: bool, default: Option<&str>) -> ColumnInfo {
    ColumnInfo {
        name: name.to_owned(),
        type_oid,
        type_modifier: -1,
        in_replica_identity: key,
        in_primary_key: key,
        nullable: !key,
        default_expression: default.map(str::to_owned),
    }
}

/// The events of 100,000 inserts into `bench`, 1,000 per transaction.
fn events() -> Vec<Event> {
    let types = Arc::new(TypeCache::new());
    let relation = Arc::new(RelationInfo {
        oid: 16_385,
        schema: "public".to_owned(),
        table: "bench".to_owned(),
        replica_identity: ReplicaIdentity::Default,
        columns: vec![
            column("id", 23, true, Some("nextval('bench_id_seq'::regclass)")),
            column("a", 25, false, None),
            column("b", 23, false, None),
            column("c", 1184, false, None),
        ],
        generation: 1,
        types: types.clone(),
    });
    let value = |oid: u32, text: String| {
        Datum::Value(parse_text(&types, oid, -1, Bytes::from(text)).unwrap())
    };
    let mut events = Vec::with_capacity((CHANGES + CHANGES / PER_TRANSACTION * 2) as usize);
    let mut lsn = 0x1_6B37_4800_u64;
    for t in 0..CHANGES / PER_TRANSACTION {
        let commit_lsn = Lsn::from(lsn + u64::from(PER_TRANSACTION) * 120);
        let txn = Arc::new(TxnInfo {
            xid: 750 + t,
            commit_lsn,
            begin_lsn: Lsn::from(lsn + 120),
            commit_time_us: 1_795_237_906_691_290 + i64::from(t) * 1_000,
            origin: None,
        });
        events.push(Event::Begin(txn.clone()));
        for i in 0..PER_TRANSACTION {
            let id = t * PER_TRANSACTION + i + 1;
            lsn += 120;
            let after = Row {
                values: vec![
                    value(23, id.to_string()),
                    value(
                        25,
                        format!("{:032x}", u128::from(id) * 0x9e37_79b9_7f4a_7c15),
                    ),
                    value(23, id.to_string()),
                    value(
                        1184,
                        format!("2024-01-01 00:{:02}:{:02}+00", (id / 60) % 60, id % 60),
                    ),
                ],
            };
            events.push(Event::Change(Change {
                position: Position::new(commit_lsn, i),
                lsn: Lsn::from(lsn),
                txn: txn.clone(),
                kind: ChangeKind::Insert {
                    relation: relation.clone(),
                    after,
                },
            }));
        }
        events.push(Event::Commit(CommitInfo {
            txn,
            end_lsn: Lsn::from(u64::from(commit_lsn) + 48),
            changes: PER_TRANSACTION,
        }));
        lsn = u64::from(commit_lsn) + 48;
    }
    events
}

fn encode(c: &mut Criterion) {
    let events = events();
    let properties: BTreeMap<String, String> =
        [("topic.prefix", "bench"), ("database.dbname", "postgres")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let config = DebeziumConfig::from_properties(&properties).unwrap();
    let mut group = c.benchmark_group("encode/debezium");
    group.throughput(Throughput::Elements(u64::from(CHANGES)));
    group.bench_function("bench-table-with-schemas", |b| {
        let mut encoder =
            DebeziumEncoder::new(config.clone(), "0190f6a8-7b1c-7c00-8000-000000000000");
        let mut records: Vec<Record> = Vec::with_capacity(4);
        b.iter(|| {
            let mut bytes = 0usize;
            for event in &events {
                records.clear();
                encoder.encode(event, &mut records).unwrap();
                bytes += records
                    .iter()
                    .map(|r| r.value.as_ref().map_or(0, Bytes::len))
                    .sum::<usize>();
            }
            bytes
        });
    });
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
