//! The audit page in headless Chromium (Debian's `chromium`) against PostgreSQL 15 and 18: a
//! row's history as a timeline with its changed columns highlighted and who made each change;
//! a screenshot is taken and checked to be a PNG.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod audit_common;
mod common;

use std::path::Path;
use std::process::Stdio;

use audit_common::{LIMIT, OPS_TOKEN, changes, drain, encode, serve, workload};
use nix::sys::signal::Signal;
use pgcdc_testkit::start;

/// Runs headless Chromium on `url` with `extra` arguments; returns its standard output.
async fn chromium(profile: &Path, url: &str, extra: &[String]) -> String {
    let mut command = tokio::process::Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .expect("chromium is installed (scripts/install-deps installs it)");
    let output = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .expect("chromium finished in time")
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pgcdc_testkit::pg_test! {
    async fn the_page_shows_a_rows_history(version: PgVersion) {
        let pg = start(version);
        workload(&pg);
        drain(&pg).await;
        changes(&pg);
        drain(&pg).await;
        let dir = tempfile::tempdir().unwrap();
        let (mut server, address) = serve(&pg, dir.path()).await;
        let url = format!(
            "http://{address}/audit?table=public.customers&pk={}#token={OPS_TOKEN}",
            encode(r#"{"id":1}"#)
        );

        let dom = chromium(&dir.path().join("profile-dom"), &url, &["--dump-dom".to_owned()]).await;
        assert!(dom.contains(r#"data-state="loaded""#), "the history loaded: {dom}");
        assert!(dom.contains("3 changes of public.customers"), "{dom}");
        // Newest first: the update without context, bob's update, alice's insert.
        let timeline = &dom[dom.find(r#"<ol id="timeline">"#).unwrap()..];
        let order: Vec<usize> = ["Ada King", ">bob<", ">alice<"].iter().map(|s| timeline.find(s).unwrap_or_else(|| panic!("{s} in {timeline}"))).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
        assert!(timeline.contains(">unknown<"), "a change without context says so");
        assert!(timeline.contains(r#"<tr class="changed"><td class="column">email</td><td>ada@example.com</td><td>ada@lovelace.org</td></tr>"#), "{timeline}");
        assert!(timeline.contains(r#"<tr class="changed"><td class="column">balance</td><td>100.50</td><td>120.00</td></tr>"#), "{timeline}");
        assert!(timeline.contains(r#"<tr><td class="column">id</td><td>1</td><td>1</td></tr>"#), "unchanged columns are not highlighted");

        // A token that may not read the table: the page says so.
        let denied = url.replace("public.customers", "public.secrets");
        let dom = chromium(&dir.path().join("profile-denied"), &denied, &["--dump-dom".to_owned()]).await;
        assert!(dom.contains(r#"data-state="error""#) && dom.contains("may not read table public.secrets"), "{dom}");

        let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("audit-page-pg{}.png", version.major()));
        let _ = std::fs::remove_file(&screenshot);
        chromium(
            &dir.path().join("profile-shot"),
            &url,
            &[format!("--screenshot={}", screenshot.display()), "--window-size=1200,1400".to_owned(), "--hide-scrollbars".to_owned()],
        )
        .await;
        let png = std::fs::read(&screenshot).unwrap();
        assert!(png.len() > 10_000, "a real picture: {} bytes", png.len());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        eprintln!("screenshot: {}", screenshot.display());

        server.signal(Signal::SIGTERM);
        assert!(server.wait(LIMIT).await.success());
    }
}
