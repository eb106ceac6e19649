//! The audit API of `pgcdc audit serve` against PostgreSQL 15 and 18: filters, keyset
//! pagination, a row's history, a transaction, diffs, token scopes, bad parameters, health,
//! metrics and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod audit_common;
mod common;

use audit_common::{ADMIN_TOKEN, OPS_TOKEN, changes, drain, encode, get, serve, workload};
use nix::sys::signal::Signal;
use pgcdc_testkit::start;
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<i64> {
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

pgcdc_testkit::pg_test! {
    async fn the_api_filters_pages_and_refuses(version: PgVersion) {
        let pg = start(version);
        workload(&pg);
        drain(&pg).await;
        changes(&pg);
        drain(&pg).await;
        let dir = tempfile::tempdir().unwrap();
        let (mut server, address) = serve(&pg, dir.path()).await;
        let ops = Some(OPS_TOKEN);
        let admin = Some(ADMIN_TOKEN);

        // Health, metrics, the OpenAPI document, unknown paths.
        assert_eq!(get(&address, "/healthz", None).await.status, 200);
        let ready = get(&address, "/readyz", None).await;
        assert_eq!((ready.status, ready.json()["ready"].clone()), (200, json!(true)));
        let openapi = get(&address, "/openapi.json", None).await.json();
        for path in ["/api/audit/changes", "/api/audit/history", "/api/audit/transactions/{commit_lsn}", "/api/audit/changes/{id}", "/metrics", "/audit"] {
            assert!(openapi["paths"].get(path).is_some(), "{path} documented");
        }
        let missing = get(&address, "/api/nothing", ops).await;
        assert_eq!(missing.status, 404);
        assert!(missing.json()["error"].as_str().unwrap().contains("/openapi.json"));

        // Authentication and scopes.
        let answer = get(&address, "/api/audit/changes", None).await;
        assert_eq!(answer.status, 401);
        assert!(answer.json()["error"].as_str().unwrap().contains("Authorization: Bearer"), "{}", answer.body);
        assert_eq!(get(&address, "/api/audit/changes", Some("not-a-token-at-all")).await.status, 401);
        let answer = get(&address, "/api/audit/changes?table=public.secrets", ops).await;
        assert_eq!(answer.status, 403);
        assert!(answer.json()["error"].as_str().unwrap().contains("may not read table public.secrets"));
        assert_eq!(get(&address, "/api/audit/tables", ops).await.json(), json!({"tables": ["public.customers"]}));
        assert_eq!(get(&address, "/api/audit/tables", admin).await.json(), json!({"tables": ["public.customers", "public.secrets"]}));
        let all_ops = get(&address, "/api/audit/changes?limit=1000", ops).await.json();
        assert_eq!(all_ops["changes"].as_array().unwrap().len(), 15, "ops sees customers only");
        assert!(all_ops["changes"].as_array().unwrap().iter().all(|c| c["table"] == "customers"));
        assert_eq!(get(&address, "/api/audit/changes?limit=1000", admin).await.json()["changes"].as_array().unwrap().len(), 16);

        // Bad parameters: 400 with a message, never a 500.
        for (query, says) in [
            ("limit=0", "1 to 1000"), ("limit=1001", "1 to 1000"), ("op=merge", "insert, update"),
            ("pk=1", "JSON object"), ("pk=%7Bbroken", "JSON object"), ("since=yesterday", "ISO 8601"),
            ("until=2026-13-45", "out of range"), ("xid=abc", "transaction id"), ("cursor=-4", "next_cursor"),
            ("order=sideways", "asc or desc"), ("colour=red", "unknown parameter"), ("table=.x", "schema.table"),
            ("context.=x", "context.KEY"), ("limit=1&limit=2", "twice"),
            ("table=public.customers%27%3B%20DROP%20TABLE%20pgcdc_audit.changes%3B--", ""),
        ] {
            let answer = get(&address, &format!("/api/audit/changes?{query}"), admin).await;
            if says.is_empty() {
                assert_eq!(answer.status, 200, "{query}: an odd table name is just a table that has no changes");
                assert_eq!(answer.json()["changes"], json!([]));
                continue;
            }
            assert_eq!(answer.status, 400, "{query}: {}", answer.body);
            assert!(answer.content_type.starts_with("application/json"));
            assert!(answer.json()["error"].as_str().unwrap().contains(says), "{query}: {}", answer.body);
        }
        assert_eq!(get(&address, "/api/audit/changes/abc", admin).await.status, 400);
        assert_eq!(get(&address, "/api/audit/changes/999999", admin).await.status, 404);
        assert_eq!(get(&address, "/api/audit/transactions/not-an-lsn", admin).await.status, 400);
        assert_eq!(get(&address, "/api/audit/history?table=public.customers", admin).await.status, 400);

        // Filters.
        let table = "table=public.customers";
        let by_pk = get(&address, &format!("/api/audit/changes?{table}&pk={}", encode(r#"{"id":1}"#)), ops).await.json();
        let ops_of = |page: &Value| page["changes"].as_array().unwrap().iter().map(|c| c["op"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(ops_of(&by_pk), ["update", "update", "insert"], "newest first");
        let updates = get(&address, &format!("/api/audit/changes?{table}&op=update"), ops).await.json();
        assert_eq!(updates["changes"].as_array().unwrap().len(), 2);
        let alice = get(&address, "/api/audit/changes?context.user=alice", ops).await.json();
        assert_eq!(ops_of(&alice), ["delete", "insert", "insert"], "alice's changes on customers only");
        let nested = get(&address, "/api/audit/changes?context.client.app=crm&context.user=bob", ops).await.json();
        assert_eq!(ops_of(&nested), ["update"]);
        let xid = alice["changes"][0]["xid"].as_i64().unwrap();
        let by_xid = get(&address, &format!("/api/audit/changes?xid={xid}"), admin).await.json();
        assert_eq!(ops_of(&by_xid), ["delete"]);
        let future = get(&address, &format!("/api/audit/changes?{table}&since=2999-01-01"), ops).await.json();
        assert_eq!(future["changes"], json!([]));
        let past = get(&address, &format!("/api/audit/changes?{table}&since=2000-01-01T00:00:00Z&until=2999-01-01&limit=1000"), ops).await.json();
        assert_eq!(past["changes"].as_array().unwrap().len(), 15);

        // Keyset pagination: pages of 4 give every change once, in order, then no cursor.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let path = match &cursor {
                Some(c) => format!("/api/audit/changes?{table}&limit=4&cursor={c}"),
                None => format!("/api/audit/changes?{table}&limit=4"),
            };
            let page = get(&address, &path, ops).await.json();
            seen.extend(ids(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ids(&all_ops), "pages follow each other without gaps or repeats");
        assert!(seen.windows(2).all(|w| w[0] > w[1]));

        // A row's history, oldest first, with diffs and who.
        let history = get(&address, &format!("/api/audit/history?{table}&pk={}", encode(r#"{"id":1}"#)), ops).await.json();
        let changes = history["changes"].as_array().unwrap();
        assert_eq!(ops_of(&history), ["insert", "update", "update"]);
        assert_eq!(changes[1]["diff"], json!([{"column": "email", "before": "ada@example.com", "after": "ada@lovelace.org"}]));
        assert_eq!(changes[1]["context"]["user"], "bob");
        assert_eq!(changes[2]["diff"], json!([
            {"column": "name", "before": "Ada Lovelace", "after": "Ada King"},
            {"column": "balance", "before": "100.50", "after": "120.00"},
        ]));
        assert_eq!(changes[2]["context"], Value::Null);
        assert!(changes[0]["commit_time"].as_str().unwrap().ends_with('Z'));
        let one = get(&address, &format!("/api/audit/changes/{}", changes[1]["id"]), ops).await.json();
        assert_eq!(one["diff"], changes[1]["diff"]);
        let secret_id = get(&address, "/api/audit/changes?table=public.secrets", admin).await.json()["changes"][0]["id"].clone();
        assert_eq!(get(&address, &format!("/api/audit/changes/{secret_id}"), ops).await.status, 403);

        // A transaction with all its changes; a token sees only its tables.
        let lsn = changes[0]["commit_lsn"].as_str().unwrap();
        let txn = get(&address, &format!("/api/audit/transactions/{lsn}"), admin).await.json();
        assert_eq!(txn["context"], json!({"user": "alice", "request_id": "r-1"}), "{txn}");
        assert_eq!(txn["context"], json!({"user": "alice", "request_id": "r-1"}));
        assert_eq!(txn["changes"].as_array().unwrap().len(), 3);
        let txn = get(&address, &format!("/api/audit/transactions/{lsn}"), ops).await.json();
        assert_eq!(txn["changes"].as_array().unwrap().len(), 2);

        // The counters.
        let metrics = get(&address, "/metrics", None).await;
        assert!(metrics.content_type.starts_with("text/plain"));
        let count = |name: &str| metrics.body.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).unwrap_or_else(|| panic!("{name} in {}", metrics.body)).parse::<u64>().unwrap();
        assert!(count("pgcdc_audit_api_requests_total") >= 20);
        assert!(count("pgcdc_audit_api_refused_total") >= 15);

        server.signal(Signal::SIGTERM);
        assert!(server.wait(audit_common::LIMIT).await.success(), "{}", server.stderr());
    }
}
