//! Request records on a Kafka topic joined to transactions by `txid_current()`, against
//! PostgreSQL 15 and 18, with a real Kafka-protocol broker (tansu) and with librdkafka's
//! in-process cluster: a record published before its transaction commits, one published after
//! the rows are stored (the context is filled late), one next to a context message, and a record
//! that is not a request record.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{Pgcdc, scalar, source_args, wait_until};
use nix::sys::signal::Signal;
use pgcdc_testkit::kafka::Broker;
use pgcdc_testkit::{TestCluster, start};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(120);

async fn publish(producer: &FutureProducer, value: &str) {
    producer
        .send(
            FutureRecord::<(), str>::to("requests").payload(value),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
}

async fn txid(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one("SELECT txid_current()", &[])
        .await
        .unwrap()
        .get(0)
}

fn context_of(pg: &TestCluster, id: i32) -> Value {
    let text = scalar(
        pg,
        "audit",
        &format!(
            "SELECT coalesce((SELECT context::text FROM pgcdc_audit.changes WHERE pk = '{{\"id\": {id}}}' AND op = 'insert'), 'null')"
        ),
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The scenario, with the topic `requests` made on the brokers at `servers`.
async fn request_records_scenario(pg: &TestCluster, servers: &str) {
    let servers = servers.to_owned();
    pg.create_database("audit").unwrap();
    pg.psql(
        "postgres",
        "CREATE TABLE orders (id int PRIMARY KEY, item text)",
    )
    .unwrap();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .create()
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["run".to_owned()];
    args.extend(source_args(
        pg,
        "postgres",
        &[
            ("slot.name", "audit_slot"),
            ("topic.prefix", "shop"),
            ("pgcdc.audit.requests.topic", "requests"),
            ("pgcdc.audit.requests.bootstrap.servers", &servers),
            ("pgcdc.audit.requests.window.ms", "60000"),
        ],
    ));
    args.extend(["--sink".to_owned(), format!("audit:{}", pg.url("audit"))]);
    let mut pgcdc = Pgcdc::spawn(dir.path(), &args);
    wait_until(LIMIT, "the audit store", || {
        scalar(
            pg,
            "postgres",
            "SELECT count(*) FROM pg_replication_slots WHERE active",
        ) == "1"
    })
    .await;

    let (client, connection) = tokio_postgres::connect(&pg.url("postgres"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);

    // The record comes before the transaction commits.
    client.batch_execute("BEGIN").await.unwrap();
    let first = txid(&client).await;
    publish(
        &producer,
        &json!({"txid": first, "user": "alice", "request_id": "r-1"}).to_string(),
    )
    .await;
    client
        .batch_execute("INSERT INTO orders VALUES (1, 'book'); COMMIT")
        .await
        .unwrap();
    wait_until(LIMIT, "alice's context", || {
        context_of(pg, 1) == json!({"user": "alice", "request_id": "r-1"})
    })
    .await;

    // Not a request record: skipped, and the consumer goes on.
    publish(&producer, "this is not JSON").await;

    // The rows are stored first; the record fills their context late.
    client.batch_execute("BEGIN").await.unwrap();
    let second = txid(&client).await;
    client
        .batch_execute(
            "INSERT INTO orders VALUES (2, 'pen'); INSERT INTO orders VALUES (3, 'ink'); COMMIT",
        )
        .await
        .unwrap();
    wait_until(LIMIT, "the rows of the second transaction", || {
        scalar(
            pg,
            "audit",
            "SELECT count(*) FROM pgcdc_audit.changes WHERE pk IN ('{\"id\": 2}', '{\"id\": 3}')",
        ) == "2"
    })
    .await;
    assert_eq!(context_of(pg, 2), Value::Null, "no record yet");
    publish(
        &producer,
        &json!({"txid": second.to_string(), "user": "bob", "request_id": "r-2"}).to_string(),
    )
    .await;
    wait_until(LIMIT, "bob's context, filled late", || {
        context_of(pg, 2) == json!({"user": "bob", "request_id": "r-2"})
    })
    .await;
    assert_eq!(
        context_of(pg, 3),
        context_of(pg, 2),
        "every row of the transaction"
    );

    // A context message and a record: the message's fields win, the record adds its own.
    client.batch_execute("BEGIN").await.unwrap();
    let third = txid(&client).await;
    client.batch_execute("SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{\"user\": \"carol\"}'); INSERT INTO orders VALUES (4, 'cup'); COMMIT").await.unwrap();
    publish(
        &producer,
        &json!({"txid": third, "user": "dave", "endpoint": "POST /orders"}).to_string(),
    )
    .await;
    wait_until(LIMIT, "the merged context", || {
        context_of(pg, 4) == json!({"user": "carol", "endpoint": "POST /orders"})
    })
    .await;

    // A transaction no record speaks of keeps no context.
    client
        .batch_execute("INSERT INTO orders VALUES (5, 'mug')")
        .await
        .unwrap();
    wait_until(LIMIT, "the last row", || {
        scalar(pg, "audit", "SELECT count(*) FROM pgcdc_audit.changes") == "5"
    })
    .await;
    assert_eq!(context_of(pg, 5), Value::Null);
    assert_eq!(
        scalar(pg, "audit", "SELECT count(*) FROM pgcdc_audit.requests"),
        "3"
    );
    assert!(
        pgcdc
            .stderr()
            .contains("skipping a record that is not a request record"),
        "{}",
        pgcdc.stderr()
    );

    pgcdc.signal(Signal::SIGTERM);
    assert!(pgcdc.wait(LIMIT).await.success(), "{}", pgcdc.stderr());
}

pgcdc_testkit::pg_test! {
    async fn request_records_from_a_real_broker(version: PgVersion) {
        let pg = start(version);
        let broker = Broker::start();
        let admin: AdminClient<_> = ClientConfig::new().set("bootstrap.servers", broker.bootstrap()).create().unwrap();
        let created = admin.create_topics([&NewTopic::new("requests", 1, TopicReplication::Fixed(1))], &AdminOptions::new()).await.unwrap();
        assert!(created.iter().all(Result::is_ok), "{created:?}");
        request_records_scenario(&pg, &broker.bootstrap()).await;
    }
}

pgcdc_testkit::pg_test! {
    async fn request_records_from_the_in_process_cluster(version: PgVersion) {
        let pg = start(version);
        let kafka = MockCluster::new(1).unwrap();
        kafka.create_topic("requests", 1, 1).unwrap();
        request_records_scenario(&pg, &kafka.bootstrap_servers()).await;
    }
}
