//! The Kafka sink against a real Kafka-protocol broker (tansu with SQLite storage, started by
//! each test): the records in Kafka are exactly the file sink's records for the same stream (per
//! partition, in order, with keys, values and headers), keys land where Java's partitioner puts
//! them, and neither a broker restart nor `kill -9` of pgcdc loses a committed change. A SIGTERM
//! mid-stream delivers and confirms exactly what pgcdc had read, and the next run goes on from
//! there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use common::{Pgcdc, confirmed_flush, scalar, source_args, source_properties, wal_flush_lsn};
use nix::sys::signal::Signal;
use pgcdc::change::Position;
use pgcdc::config::kafka::KafkaConfig;
use pgcdc::debezium::config::DebeziumConfig;
use pgcdc::debezium::encoder::DebeziumEncoder;
use pgcdc::pipeline::run::{RunOptions, run as run_pipeline};
use pgcdc::record::Record;
use pgcdc::sink::Sink;
use pgcdc::sink::file::{FileSink, Target};
use pgcdc::sink::kafka::KafkaSink;
use pgcdc_testkit::kafka::{Broker, Consumed, consume_all, java_partition};
use pgcdc_testkit::{TestCluster, start};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const PARTITIONS: i32 = 3;

fn properties(pg: &TestCluster, broker: &Broker) -> BTreeMap<String, String> {
    source_properties(
        pg,
        "k1",
        "shop",
        &[
            ("kafka.bootstrap.servers", broker.bootstrap()),
            ("topic.creation.default.partitions", PARTITIONS.to_string()),
            ("kafka.linger.ms", "5".to_owned()),
        ],
    )
}

const SCHEMA: &str = "
    CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), note text);
    CREATE TABLE items (sku text PRIMARY KEY, qty int, attrs jsonb);
    ALTER TABLE items REPLICA IDENTITY FULL;
";

/// Inserts, updates, deletes (with tombstones), several tables, a logical decoding message.
fn workload(pg: &TestCluster) {
    for batch in 0..10 {
        let first = batch * 50 + 1;
        pg.psql(
            "postgres",
            &format!(
                "INSERT INTO orders SELECT i, 'customer ' || (i % 17), i * 1.25, repeat('x', i % 40)
                   FROM generate_series({first}, {}) i;
                 INSERT INTO items SELECT 'sku-' || i, i, jsonb_build_object('n', i)
                   FROM generate_series({first}, {}) i;",
                first + 49,
                first + 49
            ),
        )
        .unwrap();
    }
    pg.psql(
        "postgres",
        "BEGIN;
         UPDATE orders SET amount = amount + 1 WHERE id % 7 = 0;
         DELETE FROM orders WHERE id % 11 = 0;
         SELECT pg_logical_emit_message(true, 'shop.audit', '{\"user\":\"ada\"}');
         COMMIT;
         UPDATE items SET qty = qty * 2 WHERE qty % 5 = 0;
         DELETE FROM items WHERE qty % 13 = 0;",
    )
    .unwrap();
}

/// The key bytes of a file-sink line (`{"topic":..,"key":<key>,"value":...`).
fn line_key(line: &str) -> Option<Vec<u8>> {
    let start = line.find(",\"key\":").unwrap() + ",\"key\":".len();
    let rest = &line.as_bytes()[start..];
    let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<serde_json::Value>();
    let value = stream.next().unwrap().unwrap();
    (!value.is_null()).then(|| rest[..stream.byte_offset()].to_vec())
}

fn line_topic(line: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    value["topic"].as_str().unwrap().to_owned()
}

/// Processing times differ between two encoders; everything else must not.
fn normalise(line: &str) -> String {
    let times = regex::Regex::new(r#""(ts_ms|ts_us|ts_ns)":-?\d+"#).unwrap();
    times.replace_all(line, r#""$1":0"#).into_owned()
}

/// A consumed record as a line of the file sink.
fn as_line(record: &Consumed) -> String {
    let record = Record {
        topic: record.topic.clone(),
        key: record.key.clone().map(Bytes::from),
        value: record.value.clone().map(Bytes::from),
        headers: record
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().map(Bytes::from)))
            .collect(),
        position: Position::new(pgoutput::Lsn::from(0), 0),
    };
    let mut out = Vec::new();
    record.write_json_line(&mut out);
    String::from_utf8(out).unwrap().trim_end().to_owned()
}

pgcdc_testkit::pg_test! {
    async fn kafka_holds_exactly_the_file_sinks_records(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        pg.psql("postgres", SCHEMA).unwrap();
        pg.psql(
            "postgres",
            "CREATE PUBLICATION k1 FOR ALL TABLES;
             SELECT pg_create_logical_replication_slot('k1', 'pgoutput');",
        )
        .unwrap();
        workload(&pg);
        let end: pgoutput::Lsn = wal_flush_lsn(&pg).parse().unwrap();

        let properties = properties(&pg, &broker);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("changes.jsonl");
        let encoder = || {
            Box::new(DebeziumEncoder::new(
                DebeziumConfig::from_properties(&properties).unwrap(),
                "0190c6a0-0000-7000-8000-000000000000",
            ))
        };
        let file_sink = FileSink::open(Target::File(file.clone()), encoder()).await.unwrap();
        let kafka_sink = KafkaSink::new(
            KafkaConfig::from_properties(&properties, None).unwrap(),
            encoder(),
        )
        .unwrap();
        let sinks: Vec<Box<dyn Sink>> = vec![Box::new(file_sink), Box::new(kafka_sink)];
        let options = RunOptions {
            source: pgcdc::config::source::from_properties(&properties).unwrap(),
            end_lsn: Some(end),
            replay: None,
            progress: false,
        };
        let summary = run_pipeline(options, sinks, tokio_util::sync::CancellationToken::new())
            .await
            .unwrap();
        assert!(summary.changes > 1000, "{summary:?}");
        assert!(summary.confirmed >= end, "{summary:?}");

        // The file's lines, per topic and the partition Java's partitioner gives their key.
        let text = std::fs::read_to_string(&file).unwrap();
        let mut expected: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
        for line in text.lines() {
            let key = line_key(line).expect("every record of this workload has a key");
            let partition = java_partition(&key, PARTITIONS);
            expected
                .entry((line_topic(line), partition))
                .or_default()
                .push(normalise(line));
        }
        let broker_addr = broker.bootstrap();
        let consumed = tokio::task::spawn_blocking(move || consume_all(&broker_addr, &[]))
            .await
            .unwrap();
        let mut actual: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
        for record in &consumed {
            actual
                .entry((record.topic.clone(), record.partition))
                .or_default()
                .push(normalise(&as_line(record)));
        }
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "the same topics and partitions"
        );
        for (place, lines) in &expected {
            assert_eq!(lines.len(), actual[place].len(), "{place:?}: record count");
            for (i, (want, got)) in lines.iter().zip(&actual[place]).enumerate() {
                assert_eq!(got, want, "{place:?}: record {i}");
            }
        }
        assert!(expected.keys().any(|(t, _)| t == "shop.public.orders"));
        assert!(text.contains("\"value\":null"), "deletes bring tombstones");
        assert!(consumed.iter().any(|r| r.value.is_none()), "tombstones in Kafka");
    }
}

#[tokio::test]
async fn keys_land_on_the_partitions_java_chooses() {
    // Kafka's murmur2 test vectors; the partitions Java's DefaultPartitioner / BuiltInPartitioner
    // gives them for a 3-partition topic, worked out from the hashes.
    let pairs: &[(&str, i32)] = &[
        ("21", 0),                                               // -973932308
        ("foobar", 0),                                           // -790332482
        ("a-little-bit-long-string", 2),                         // -985981536
        ("a-little-bit-longer-string", 2),                       // -1486304829
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 2), // -58897971
        ("abc", 0),                                              // 479470107
    ];
    for (key, partition) in pairs {
        assert_eq!(java_partition(key.as_bytes(), 3), *partition, "{key}");
    }
    let broker = Broker::start();
    let properties: BTreeMap<String, String> =
        [("kafka.bootstrap.servers".to_owned(), broker.bootstrap())]
            .into_iter()
            .collect();
    let config = KafkaConfig::from_properties(&properties, None).unwrap();
    let bootstrap = broker.bootstrap();
    let consumed = tokio::task::spawn_blocking(move || {
        let mut client = ClientConfig::new();
        for (key, value) in &config.producer {
            client.set(key, value);
        }
        let admin: rdkafka::admin::AdminClient<_> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        let topic = rdkafka::admin::NewTopic::new(
            "placement",
            3,
            rdkafka::admin::TopicReplication::Fixed(1),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(admin.create_topics([&topic], &rdkafka::admin::AdminOptions::new()))
            .unwrap();
        let producer: BaseProducer = client.create().unwrap();
        for (key, _) in pairs {
            producer
                .send(BaseRecord::to("placement").key(*key).payload("v"))
                .unwrap();
        }
        producer.flush(Duration::from_secs(30)).unwrap();
        consume_all(&bootstrap, &["placement"])
    })
    .await
    .unwrap();
    let placed: BTreeMap<String, i32> = consumed
        .iter()
        .map(|r| {
            (
                String::from_utf8(r.key.clone().unwrap()).unwrap(),
                r.partition,
            )
        })
        .collect();
    for (key, partition) in pairs {
        assert_eq!(placed.get(*key), Some(partition), "{key}");
    }
}

/// `pgcdc run --sink kafka:...` arguments.
fn run_args(pg: &TestCluster, broker: &Broker, sets: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["run".to_owned()];
    args.extend(source_args(pg, "postgres", sets));
    args.push("--sink".to_owned());
    args.push(format!("kafka:{}", broker.bootstrap()));
    args.push("--format".to_owned());
    args.push("plain".to_owned());
    args
}

const SETS: &[(&str, &str)] = &[
    ("slot.name", "k2"),
    ("publication.name", "k2"),
    ("topic.prefix", "app"),
    ("topic.creation.default.partitions", "3"),
];

fn insert(pg: &TestCluster, first: i64, count: i64) {
    pg.psql(
        "postgres",
        &format!(
            "INSERT INTO seq SELECT i, md5(i::text) FROM generate_series({first}, {}) i",
            first + count - 1
        ),
    )
    .unwrap();
}

/// The inserts into `seq` Kafka holds (plain format): per record, the id and the commit LSN of
/// its transaction.
fn inserts_in_kafka(bootstrap: &str) -> Vec<(i64, pgoutput::Lsn)> {
    consume_all(bootstrap, &["app.public.seq"])
        .into_iter()
        .filter_map(|record| {
            let value: serde_json::Value = serde_json::from_slice(&record.value.unwrap()).unwrap();
            (value["op"] == "insert").then(|| {
                (
                    value["after"]["id"].as_i64().unwrap(),
                    value["commit_lsn"].as_str().unwrap().parse().unwrap(),
                )
            })
        })
        .collect()
}

/// The ids inserted into `seq`, as Kafka holds them, with how often.
fn ids_in_kafka(bootstrap: &str) -> BTreeMap<i64, usize> {
    let mut ids = BTreeMap::new();
    for (id, _) in inserts_in_kafka(bootstrap) {
        *ids.entry(id).or_default() += 1;
    }
    ids
}

/// Starts `pgcdc ARGS` and waits until its slot exists (changes count from then on).
async fn spawn(pg: &TestCluster, dir: &std::path::Path, args: &[String]) -> Pgcdc {
    let pgcdc = Pgcdc::spawn(dir, args);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while confirmed_flush(pg, "k2").is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no slot after 30 s; pgcdc:\n{}",
            pgcdc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pgcdc
}

async fn wait_confirmed(pg: &TestCluster, slot: &str, target: &str, pgcdc: &Pgcdc) {
    let target: pgoutput::Lsn = target.parse().unwrap();
    let limit = Duration::from_secs(120);
    let deadline = tokio::time::Instant::now() + limit;
    while confirmed_flush(pg, slot).is_none_or(|c| c < target) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot did not reach {target} within {limit:?}; pgcdc:\n{}",
            pgcdc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pgcdc_testkit::pg_test! {
    async fn a_broker_restart_loses_nothing(version: PgVersion) {
        let pg = start(version);
        let mut broker = Broker::start();
        pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY, t text)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut pgcdc = spawn(&pg, dir.path(), &run_args(&pg, &broker, SETS)).await;
        insert(&pg, 1, 500);
        wait_confirmed(&pg, "k2", &wal_flush_lsn(&pg), &pgcdc).await;

        broker.stop();
        insert(&pg, 501, 500);
        // Past the first transaction made while the broker is down: never confirmed until it is up.
        let after_first: pgoutput::Lsn =
            scalar(&pg, "postgres", "SELECT pg_current_wal_insert_lsn()").parse().unwrap();
        insert(&pg, 1001, 500);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let confirmed = confirmed_flush(&pg, "k2").unwrap();
        assert!(
            confirmed < after_first,
            "{confirmed} is confirmed while the broker is down, past {after_first}"
        );
        broker.start_again();
        insert(&pg, 1501, 500);
        wait_confirmed(&pg, "k2", &wal_flush_lsn(&pg), &pgcdc).await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(Duration::from_secs(60)).await.success(), "{}", pgcdc.stderr());

        let bootstrap = broker.bootstrap();
        let ids = tokio::task::spawn_blocking(move || ids_in_kafka(&bootstrap)).await.unwrap();
        let missing: Vec<i64> = (1..=2000).filter(|id| !ids.contains_key(id)).collect();
        assert!(missing.is_empty(), "missing after the broker restart: {missing:?}");
        assert!(pgcdc.stderr().contains("Kafka"), "{}", pgcdc.stderr());
    }
}

pgcdc_testkit::pg_test! {
    async fn kill_9_of_pgcdc_loses_no_committed_change(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY, t text)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = run_args(&pg, &broker, SETS);
        let mut next = 1;
        for round in 0..3 {
            let pgcdc = spawn(&pg, dir.path(), &args).await;
            for _ in 0..8 {
                insert(&pg, next, 250);
                next += 250;
                tokio::time::sleep(Duration::from_millis(50 + 40 * round)).await;
            }
            pgcdc.signal(Signal::SIGKILL);
            drop(pgcdc);
        }
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args);
        wait_confirmed(&pg, "k2", &wal_flush_lsn(&pg), &pgcdc).await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(Duration::from_secs(60)).await.success(), "{}", pgcdc.stderr());

        let bootstrap = broker.bootstrap();
        let ids = tokio::task::spawn_blocking(move || ids_in_kafka(&bootstrap)).await.unwrap();
        let missing: BTreeSet<i64> = (1..next).filter(|id| !ids.contains_key(id)).collect();
        assert!(missing.is_empty(), "{} committed inserts missing: {missing:?}", missing.len());
        let count = scalar(&pg, "postgres", "SELECT count(*) FROM seq");
        assert_eq!(count, (next - 1).to_string());
    }
}

pgcdc_testkit::pg_test! {
    async fn a_missing_topic_with_creation_off_stops_the_run(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY, t text)").unwrap();
        let mut args = run_args(&pg, &broker, SETS);
        args.extend(["--set".to_owned(), "topic.creation.enable=false".to_owned()]);
        let dir = tempfile::tempdir().unwrap();
        let mut pgcdc = spawn(&pg, dir.path(), &args).await;
        let before = confirmed_flush(&pg, "k2").unwrap();
        insert(&pg, 1, 10);
        let status = pgcdc.wait(Duration::from_secs(60)).await;
        assert!(!status.success());
        let stderr = pgcdc.stderr();
        assert!(
            stderr.contains("topic app.public.seq does not exist and topic.creation.enable is false"),
            "{stderr}"
        );
        assert_eq!(confirmed_flush(&pg, "k2").unwrap(), before, "the slot did not move");
    }
}

pgcdc_testkit::pg_test! {
    async fn a_record_too_large_stops_the_run_without_confirming_it(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY, t text)").unwrap();
        let mut args = run_args(&pg, &broker, SETS);
        args.extend(["--set".to_owned(), "kafka.message.max.bytes=2000".to_owned()]);
        let dir = tempfile::tempdir().unwrap();
        let mut pgcdc = spawn(&pg, dir.path(), &args).await;
        insert(&pg, 1, 10);
        wait_confirmed(&pg, "k2", &wal_flush_lsn(&pg), &pgcdc).await;
        let before = confirmed_flush(&pg, "k2").unwrap();
        pg.psql("postgres", "INSERT INTO seq VALUES (100, repeat('y', 5000))").unwrap();
        let status = pgcdc.wait(Duration::from_secs(60)).await;
        assert!(!status.success());
        let stderr = pgcdc.stderr();
        assert!(stderr.contains("larger than the producer or the broker accepts"), "{stderr}");
        assert_eq!(confirmed_flush(&pg, "k2").unwrap(), before, "the slot did not move");
    }
}

/// Inserts transactions of `ROWS` rows into `seq` (ids from 1 on) until `stop` is cancelled;
/// returns the next id. `written` counts the transactions committed.
async fn write_until(
    url: String,
    stop: tokio_util::sync::CancellationToken,
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> i64 {
    const ROWS: i64 = 40;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut next = 1;
    while !stop.is_cancelled() {
        client
            .batch_execute(&format!(
                "INSERT INTO seq SELECT i, md5(i::text) FROM generate_series({next}, {}) i",
                next + ROWS - 1
            ))
            .await
            .unwrap();
        next += ROWS;
        written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    next
}

pgcdc_testkit::pg_test! {
    async fn sigterm_mid_stream_confirms_exactly_what_was_delivered(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        pg.psql("postgres", "CREATE TABLE seq (id bigint PRIMARY KEY, t text)").unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Records wait up to 2 s in the producer before they are sent: at the stop, some of what
        // pgcdc has read is always still undelivered and unconfirmed.
        let mut sets = SETS.to_vec();
        sets.push(("kafka.linger.ms", "2000"));
        let args = run_args(&pg, &broker, &sets);
        let mut pgcdc = spawn(&pg, dir.path(), &args).await;

        let stop_writing = tokio_util::sync::CancellationToken::new();
        let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writer = tokio::spawn(write_until(
            pg.url("postgres"),
            stop_writing.clone(),
            std::sync::Arc::clone(&written),
        ));
        // Mid-stream: transactions are being committed, read and produced when the signal comes.
        let at_least = |n: usize| {
            let written = std::sync::Arc::clone(&written);
            move || written.load(std::sync::atomic::Ordering::Relaxed) >= n
        };
        common::wait_until(Duration::from_secs(60), "30 transactions", at_least(30)).await;
        let before = confirmed_flush(&pg, "k2").unwrap();
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(Duration::from_secs(90)).await.success(), "{}", pgcdc.stderr());
        let stopped_at = confirmed_flush(&pg, "k2").unwrap();
        let bootstrap = broker.bootstrap();
        let at_stop = tokio::task::spawn_blocking(move || inserts_in_kafka(&bootstrap))
            .await
            .unwrap();
        // The writer goes on while pgcdc is stopped.
        let more = written.load(std::sync::atomic::Ordering::Relaxed) + 10;
        common::wait_until(Duration::from_secs(60), "10 more transactions", at_least(more)).await;
        stop_writing.cancel();
        let next = tokio::time::timeout(Duration::from_secs(60), writer)
            .await
            .expect("the writer did not stop")
            .unwrap();
        assert!(
            stopped_at > before,
            "the stop confirmed nothing beyond {before}; pgcdc:\n{}",
            pgcdc.stderr()
        );

        // A restart continues from there.
        let mut pgcdc = Pgcdc::spawn(dir.path(), &args);
        wait_confirmed(&pg, "k2", &wal_flush_lsn(&pg), &pgcdc).await;
        pgcdc.signal(Signal::SIGTERM);
        assert!(pgcdc.wait(Duration::from_secs(90)).await.success(), "{}", pgcdc.stderr());
        let bootstrap = broker.bootstrap();
        let at_end = tokio::task::spawn_blocking(move || inserts_in_kafka(&bootstrap))
            .await
            .unwrap();

        // Every committed insert is in Kafka exactly once: nothing lost, and nothing the first
        // run confirmed was sent again.
        let mut commits: BTreeMap<i64, pgoutput::Lsn> = BTreeMap::new();
        for (id, commit) in &at_end {
            assert!(commits.insert(*id, *commit).is_none(), "id {id} is in Kafka twice");
        }
        let missing: Vec<i64> = (1..next).filter(|id| !commits.contains_key(id)).collect();
        assert!(missing.is_empty(), "committed inserts missing after the restart: {missing:?}");
        assert_eq!(commits.len() as i64, next - 1, "no id beyond those inserted");

        // At the stop, Kafka held exactly the transactions the confirmed LSN covers, in full:
        // none it covers is missing a record (nothing confirmed before delivery), and none it
        // does not cover has a record (everything delivered was confirmed at the stop).
        let delivered: BTreeSet<i64> = at_stop.iter().map(|(id, _)| *id).collect();
        let (covered, after): (Vec<_>, Vec<_>) =
            commits.iter().partition(|(_, commit)| **commit < stopped_at);
        assert!(
            !covered.is_empty() && !after.is_empty(),
            "the stop came mid-stream: {} inserts before {stopped_at}, {} after",
            covered.len(),
            after.len()
        );
        let not_delivered: Vec<i64> = covered
            .iter()
            .map(|(id, _)| **id)
            .filter(|id| !delivered.contains(id))
            .collect();
        assert!(
            not_delivered.is_empty(),
            "the slot was confirmed at {stopped_at}, but at the stop Kafka lacked {not_delivered:?}"
        );
        let unconfirmed: Vec<(i64, pgoutput::Lsn)> = after
            .iter()
            .map(|(id, commit)| (**id, **commit))
            .filter(|(id, _)| delivered.contains(id))
            .collect();
        assert!(
            unconfirmed.is_empty(),
            "delivered before the stop but not confirmed at {stopped_at}: {unconfirmed:?}"
        );
    }
}
