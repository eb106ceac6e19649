//! What the audit tests share: a source with audited changes, the audit API server, an HTTP
//! client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use pgcdc_testkit::TestCluster;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Pgcdc, run_pgcdc, source_args, wait_until, wal_flush_lsn};

pub const LIMIT: Duration = Duration::from_secs(120);
pub const OPS_TOKEN: &str = "ops-0123456789abcdef";
pub const ADMIN_TOKEN: &str = "admin-0123456789abcdef";

/// The settings of the audit tests: a store in database `audit`, two tokens (`ops` reads
/// `public.customers` only, `admin` everything).
pub fn sets(pg: &TestCluster) -> Vec<(String, String)> {
    [
        ("slot.name", "audit_slot"),
        ("publication.name", "audit_pub"),
        ("topic.prefix", "shop"),
        ("pgcdc.audit.token.ops", OPS_TOKEN),
        ("pgcdc.audit.token.ops.tables", "public\\.customers"),
        ("pgcdc.audit.token.admin", ADMIN_TOKEN),
        ("pgcdc.audit.token.admin.tables", ".*"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([("pgcdc.audit.url".to_owned(), pg.url("audit"))])
    .collect()
}

fn args(command: &[&str], pg: &TestCluster) -> Vec<String> {
    let sets = sets(pg);
    let sets: Vec<(&str, &str)> = sets.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
    all.extend(source_args(pg, "postgres", &sets));
    all
}

/// Streams everything committed so far into the audit store.
pub async fn drain(pg: &TestCluster) {
    let mut all = args(&["run", "--sink", "audit"], pg);
    all.push("--end-lsn".to_owned());
    all.push(wal_flush_lsn(pg));
    let (status, _, stderr) = run_pgcdc(&all, LIMIT).await;
    assert!(status.success(), "pgcdc failed: {stderr}");
}

/// Starts `pgcdc audit serve` on a free port; returns it and its address.
pub async fn serve(pg: &TestCluster, dir: &std::path::Path) -> (Pgcdc, String) {
    let pgcdc = Pgcdc::spawn(dir, &args(&["audit", "serve", "--http", "127.0.0.1:0"], pg));
    let address = http_address(&pgcdc).await;
    (pgcdc, address)
}

/// The address a pgcdc started with `--http 127.0.0.1:0` listens on, from its log.
pub async fn http_address(pgcdc: &Pgcdc) -> String {
    let mut address = String::new();
    wait_until(LIMIT, "the HTTP server", || {
        let stderr = pgcdc.stderr();
        if let Some(line) = stderr.lines().find(|l| l.contains("HTTP server listening")) {
            let start = line.find("127.0.0.1:").unwrap();
            let port: String = line[start + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            address = format!("127.0.0.1:{port}");
            true
        } else {
            assert!(!stderr.contains("error:"), "{stderr}");
            false
        }
    })
    .await;
    address
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// `GET path` with an optional bearer token.
pub async fn get(address: &str, path: &str, token: Option<&str>) -> Answer {
    let mut stream = tokio::time::timeout(LIMIT, tokio::net::TcpStream::connect(address))
        .await
        .unwrap()
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(LIMIT, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    Answer {
        status,
        content_type,
        body: body.to_owned(),
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The demo data: customers (audited with contexts) and secrets (readable by admin only).
pub fn workload(pg: &TestCluster) {
    pg.create_database("audit").unwrap();
    pg.psql("postgres", "
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, balance numeric(10,2));
        ALTER TABLE customers REPLICA IDENTITY FULL;
        CREATE TABLE secrets (id int PRIMARY KEY, v text);
    ").unwrap();
}

pub fn changes(pg: &TestCluster) {
    pg.psql("postgres", r#"
        BEGIN;
        SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "alice", "request_id": "r-1"}');
        INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@example.com', 100.50), (2, 'Alan Turing', 'alan@example.com', 42);
        INSERT INTO secrets VALUES (1, 'hidden');
        COMMIT;
        BEGIN;
        SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "bob", "request_id": "r-2", "client": {"app": "crm"}}');
        UPDATE customers SET email = 'ada@lovelace.org' WHERE id = 1;
        COMMIT;
        UPDATE customers SET balance = 120.00, name = 'Ada King' WHERE id = 1;
        BEGIN;
        SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "alice", "request_id": "r-3"}');
        DELETE FROM customers WHERE id = 2;
        COMMIT;
    "#).unwrap();
    for i in 3..=12 {
        pg.psql(
            "postgres",
            &format!("INSERT INTO customers VALUES ({i}, 'c{i}', NULL, {i})"),
        )
        .unwrap();
    }
}
