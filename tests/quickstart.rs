//! `pgcdc quickstart`, the README's first command, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

pgcdc_testkit::pg_test! {
    async fn quickstart_shows_the_captured_changes(version: PgVersion) {
        let install = version.installation();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgcdc"))
            .args(["quickstart", "--pg-version", &version.major().to_string()])
            .env("PGCDC_PG_BIN", install.bin_dir())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let read = async {
            use tokio::io::AsyncReadExt as _;
            let (mut out, mut err) = (String::new(), String::new());
            let (mut stdout, mut stderr) = (stdout, stderr);
            let (a, b) = tokio::join!(stdout.read_to_string(&mut out), stderr.read_to_string(&mut err));
            a.unwrap();
            b.unwrap();
            (out, err, child.wait().await.unwrap())
        };
        let (out, err, status) = tokio::time::timeout(Duration::from_secs(120), read).await.expect("quickstart finishes");
        assert!(status.success(), "quickstart failed: {err}\n{out}");
        assert!(!err.contains("WARN") && !err.contains("ERROR"), "the demo logs no warning: {err}");
        for expected in [
            &format!("Starting a throwaway PostgreSQL {}", version.major()),
            "INSERT public.customers {id: 1, name: \"Ada Lovelace\", email: \"ada@example.com\", balance: \"100.50\", tags: [\"math\",\"poetry\"], updated_at: \"2026-01-01T09:30:00Z\"}",
            "-> {id: 1, name: \"Ada Lovelace\", email: \"ada@lovelace.org\"",
            "MESSAGE pgcdc.audit {\"user\": \"alice\"",
            "DELETE public.customers {id: 2, name: \"Alan Turing\"",
            "TRUNCATE public.customers",
            "7 changes in 4 transactions delivered; the slot is confirmed up to",
            "The audit store (database demo_audit) has 6 rows; the history of customer {\"id\": 1}:",
            "UPDATE by {\"request_id\":\"r-17\",\"user\":\"alice\"}: email: \"ada@example.com\" -> \"ada@lovelace.org\"",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
        }
    }
}
