//! The connector configurations our users run today (an audit pipeline and a replication
//! pipeline, kept verbatim in `tests/data/seeds/`) start pgcdc unchanged: only the host, port and
//! password are adapted, as a user moving to pgcdc would.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{records, run_pgcdc, scalar, wal_flush_lsn};
use pgcdc_testkit::{TestCluster, start};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(120);

fn seed(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/seeds")
            .join(name),
    )
    .unwrap()
}

async fn run_to_end(pg: &TestCluster, connector: &Path, out: &Path) -> String {
    let args: Vec<String> = vec![
        "run".into(),
        "--connector".into(),
        connector.display().to_string(),
        "--sink".into(),
        format!("file:{}", out.display()),
        "--end-lsn".into(),
        wal_flush_lsn(pg),
    ];
    let (status, _, stderr) = run_pgcdc(&args, LIMIT).await;
    assert!(status.success(), "pgcdc failed: {stderr}");
    stderr
}

fn payload(value: &Value) -> &Value {
    &value["payload"]
}

pgcdc_testkit::pg_test! {
    async fn replication_pipeline_connector(version: PgVersion) {
        let pg = start(version);
        pg.create_database("connect_test_db").unwrap();
        // The seed's init.sql.
        pg.psql("connect_test_db", "
            CREATE TABLE public.source_table (id SERIAL PRIMARY KEY, name VARCHAR(10));
            CREATE PUBLICATION dbz_publication FOR TABLE public.source_table;
        ").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let connector = dir.path().join("postgresdb-source-connector.json");
        let text = seed("postgresdb-source-connector.json")
            .replace("\"postgres-main\"", "\"127.0.0.1\"")
            .replace("\"5432\"", &format!("\"{}\"", pg.port()));
        std::fs::write(&connector, text).unwrap();
        let out = dir.path().join("out.jsonl");

        let stderr = run_to_end(&pg, &connector, &out).await;
        assert!(
            !stderr.contains("ignoring connector properties"),
            "every property of this connector is understood: {stderr}"
        );
        assert_eq!(scalar(&pg, "postgres", "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'debezium_slot'"), "pgoutput");

        // The seed's changes.
        pg.psql("connect_test_db", "
            insert into public.source_table (name) values ('test1');
            insert into public.source_table (name) values ('test2');
            insert into public.source_table (name) values ('test3');
            insert into public.source_table (name) values ('test4');
            insert into public.source_table (name) values ('test5');
            update public.source_table set name='test4' where id=2;
            delete from public.source_table where id=4;
        ").unwrap();
        run_to_end(&pg, &connector, &out).await;

        let all = records(&out);
        assert!(all.iter().all(|(topic, _, _)| topic == "postgres_server.connect_test_db.public.source_table"));
        let ops: Vec<String> = all.iter().map(|(_, _, v)| if v.is_null() { "tombstone".to_owned() } else { payload(v)["op"].as_str().unwrap().to_owned() }).collect();
        assert_eq!(ops, ["c", "c", "c", "c", "c", "u", "d", "tombstone"]);

        // As in the seed's example: key and value with schemas, the envelope's names.
        let (_, key, value) = &all[0];
        assert_eq!(key["payload"], serde_json::json!({"id": 1}));
        assert_eq!(key["schema"]["name"], "postgres_server.connect_test_db.public.source_table.Key");
        assert_eq!(value["schema"]["name"], "postgres_server.connect_test_db.public.source_table.Envelope");
        assert_eq!(payload(value)["after"], serde_json::json!({"id": 1, "name": "test1"}));
        let source = &payload(value)["source"];
        assert_eq!(source["connector"], "postgresql");
        assert_eq!(source["name"], "postgres_server.connect_test_db");
        assert_eq!(source["db"], "connect_test_db");
        assert_eq!(source["table"], "source_table");
        let after_fields: Vec<&str> = value["schema"]["fields"][1]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(after_fields, ["id", "name"]);
        assert_eq!(payload(&all[5].2)["after"], serde_json::json!({"id": 2, "name": "test4"}));
        assert_eq!(payload(&all[6].2)["before"]["id"], 4);
        assert_eq!(all[7].1["payload"], serde_json::json!({"id": 4}), "the tombstone keeps the key");
    }
}

pgcdc_testkit::pg_test! {
    async fn audit_pipeline_connector(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "
            CREATE TABLE public.orders (id int PRIMARY KEY, status text);
            ALTER TABLE public.orders REPLICA IDENTITY FULL;
            CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY);
        ").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let connector = dir.path().join("audit-connector.json");
        let text = seed("audit-connector.json")
            .replace("${name}", "\"audit-connector\"")
            .replace("${hostname}", "\"127.0.0.1\"")
            .replace("${port} or \"5432\"", &format!("\"{}\"", pg.port()))
            .replace("${username}", "\"postgres\"")
            .replace("${password}", "\"secret\"")
            .replace("${db_name}", "\"postgres\"");
        std::fs::write(&connector, text).unwrap();
        let out = dir.path().join("out.jsonl");

        let stderr = run_to_end(&pg, &connector, &out).await;
        assert!(
            !stderr.contains("ignoring connector properties"),
            "every property of this connector is understood (snapshot.mode=never is no_data): {stderr}"
        );
        assert!(!stderr.contains("transforms"), "the RegexRouter is applied: {stderr}");
        pg.psql("postgres", "
            INSERT INTO public.orders VALUES (1, 'new');
            INSERT INTO public.alembic_version VALUES ('abc123');
            UPDATE public.orders SET status = 'paid' WHERE id = 1;
        ").unwrap();
        run_to_end(&pg, &connector, &out).await;

        let all = records(&out);
        let topics: Vec<&str> = all.iter().map(|(t, _, _)| t.as_str()).collect();
        // RegexRouter sends every record to "audit"; alembic_version is excluded.
        assert_eq!(topics, ["audit", "audit"]);
        assert!(all.iter().all(|(_, _, v)| payload(v)["source"]["table"] == "orders"));
        let update = payload(&all[1].2);
        assert_eq!(update["op"], "u");
        assert_eq!(update["before"], serde_json::json!({"id": 1, "status": "new"}));
        assert_eq!(update["after"], serde_json::json!({"id": 1, "status": "paid"}));
    }
}
