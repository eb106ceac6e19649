//! pgcdc's own connections against real PostgreSQL 15 and 18: authentication methods, the
//! errors users meet (wrong password, no REPLICATION, missing database, refused port, TLS
//! refusals), every sslmode, replication commands, and a pgoutput stream from
//! `START_REPLICATION` to `finish`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pgcdc::config::connection::{ConnectionConfig, SslMode};
use pgcdc::source::connection::{
    ConnectError, QueryError, ReplicationClient, ReplicationStream, StreamError, connect_sql,
};
use pgcdc_testkit::tls::TestCa;
use pgcdc_testkit::{AuthMethod, RoleSpec, TestCluster, config, start, start_with};
use pgoutput::{Decoder, Lsn, Message, ReplicationMessage, StandbyStatusUpdate, TupleData};

/// The longest any single step may take.
const STEP: Duration = Duration::from_secs(30);

async fn within<F: Future>(what: &str, work: F) -> F::Output {
    tokio::time::timeout(STEP, work)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {STEP:?}"))
}

fn conn(pg: &TestCluster, user: &str, password: Option<&str>, dbname: &str) -> ConnectionConfig {
    let mut config = ConnectionConfig::new("127.0.0.1", pg.port(), user, dbname);
    config.password = password.map(str::to_owned);
    config.sslmode = SslMode::Disable;
    config.connect_timeout = Some(Duration::from_secs(20));
    config
}

fn with_tls(
    mut config: ConnectionConfig,
    sslmode: SslMode,
    root: Option<&Path>,
) -> ConnectionConfig {
    config.sslmode = sslmode;
    config.sslrootcert = root.map(Path::to_path_buf);
    config
}

async fn connect(config: &ConnectionConfig) -> Result<ReplicationClient, ConnectError> {
    within("connect", ReplicationClient::connect(config)).await
}

async fn scalar(client: &mut ReplicationClient, sql: &str) -> Option<String> {
    let rows = within(sql, client.simple_query(sql)).await.unwrap();
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0].values[0].clone()
}

pgcdc_testkit::pg_test! {
    async fn authenticates_with_every_method(version: PgVersion) {
        let pg = start_with(
            config(version)
                .role(RoleSpec::new("scram_user", "s3cret'pw", AuthMethod::ScramSha256).replication())
                .role(RoleSpec::new("md5_user", "md5 pw", AuthMethod::Md5).replication())
                .role(RoleSpec::new("clear_user", "clearpw", AuthMethod::Password).replication())
                .database("app"),
        );
        for (user, password) in [
            ("postgres", None),
            ("scram_user", Some("s3cret'pw")),
            ("md5_user", Some("md5 pw")),
            ("clear_user", Some("clearpw")),
        ] {
            let mut client = connect(&conn(&pg, user, password, "app"))
                .await
                .unwrap_or_else(|e| panic!("{user}: {e}"));
            assert_eq!(scalar(&mut client, "SELECT current_user").await.as_deref(), Some(user));
            within("close", client.close()).await.unwrap();
            if password.is_none() {
                continue;
            }

            let error = connect(&conn(&pg, user, Some("wrong"), "app")).await.unwrap_err();
            assert!(matches!(error, ConnectError::PasswordFailed { .. }), "{user}: {error:?}");
            assert_eq!(
                error.to_string(),
                format!("password authentication failed for user \"{user}\" (check database.password / the URL's password)")
            );
            assert_eq!(error.server_error().unwrap().code, "28P01");

            let error = connect(&conn(&pg, user, None, "app")).await.unwrap_err();
            assert!(matches!(error, ConnectError::PasswordMissing { .. }), "{user}: {error:?}");

            // The same rules for SQL connections.
            let (sql, task) = within("connect_sql", connect_sql(&conn(&pg, user, password, "app"))).await.unwrap();
            let row = sql.query_one("SELECT current_user::text", &[]).await.unwrap();
            assert_eq!(row.get::<_, String>(0), user);
            drop(sql);
            within("sql task", task).await.unwrap().unwrap();
            let error = within("connect_sql", connect_sql(&conn(&pg, user, Some("wrong"), "app"))).await.unwrap_err();
            assert!(matches!(error, ConnectError::PasswordFailed { .. }), "{user}: {error:?}");
        }
    }
}

pgcdc_testkit::pg_test! {
    async fn refusals_say_what_to_do(version: PgVersion) {
        let pg = start_with(
            config(version).role(RoleSpec::new("plain", "pw", AuthMethod::ScramSha256)),
        );

        // A role without REPLICATION may log in for SQL, not for replication.
        let plain = conn(&pg, "plain", Some("pw"), "postgres");
        let error = connect(&plain).await.unwrap_err();
        assert!(matches!(error, ConnectError::NotReplicationRole { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "user \"plain\" lacks the REPLICATION attribute: ALTER ROLE \"plain\" REPLICATION"
        );
        let (sql, _task) = within("connect_sql", connect_sql(&plain)).await.unwrap();
        sql.simple_query("SELECT 1").await.unwrap();

        let error = connect(&conn(&pg, "postgres", None, "nowhere")).await.unwrap_err();
        assert!(matches!(error, ConnectError::DatabaseMissing { .. }), "{error:?}");
        assert!(error.to_string().starts_with("database \"nowhere\" does not exist"), "{error}");
        let error = within("connect_sql", connect_sql(&conn(&pg, "postgres", None, "nowhere"))).await.unwrap_err();
        assert!(matches!(error, ConnectError::DatabaseMissing { .. }), "{error:?}");

        let error = connect(&conn(&pg, "ghost", None, "postgres")).await.unwrap_err();
        assert!(matches!(error, ConnectError::RoleMissing { .. }), "{error:?}");

        // A port nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut refused = conn(&pg, "postgres", None, "postgres");
        refused.port = port;
        let error = connect(&refused).await.unwrap_err();
        assert!(matches!(error, ConnectError::Connect { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!("cannot connect to 127.0.0.1:{port}: connection refused; is PostgreSQL running there, and is the host/port right?")
        );
        let error = within("connect_sql", connect_sql(&refused)).await.unwrap_err();
        assert!(matches!(error, ConnectError::Connect { .. }), "{error:?}");
    }
}

pgcdc_testkit::pg_test! {
    async fn queries_replication_commands_and_session_settings(version: PgVersion) {
        let pg = start(version);
        pg.psql("postgres", "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a b'), (2, NULL)").unwrap();
        let config = conn(&pg, "postgres", None, "postgres");
        let mut client = connect(&config).await.unwrap();
        assert_eq!(client.server_version_num().unwrap() / 10_000, version.major());
        assert!(client.backend_pid().is_some());

        let system = within("IDENTIFY_SYSTEM", client.identify_system()).await.unwrap();
        let expected_id: u64 = pg.psql("postgres", "SELECT system_identifier FROM pg_control_system()").unwrap().trim().parse().unwrap();
        assert_eq!(system.system_id, expected_id);
        assert_eq!(system.timeline, 1);
        assert!(system.xlogpos > Lsn(0));
        assert_eq!(system.dbname.as_deref(), Some("postgres"));

        let rows = within("select", client.simple_query("SELECT id, v, 'x''y' AS q FROM t ORDER BY id")).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0].columns[..], ["id", "v", "q"]);
        assert_eq!(rows[0].values, [Some("1".to_owned()), Some("a b".to_owned()), Some("x'y".to_owned())]);
        assert_eq!(rows[1].values, [Some("2".to_owned()), None, Some("x'y".to_owned())]);
        assert_eq!(rows[1].get_by_name("v"), None);
        assert_eq!(&*rows[0].command_tag, "SELECT 2");
        let tags = within("execute", client.execute("CREATE TEMP TABLE tmp (a int); INSERT INTO tmp VALUES (1)")).await.unwrap();
        assert_eq!(tags, ["CREATE TABLE", "INSERT 0 1"]);

        // An error leaves the connection usable.
        let error = within("bad query", client.simple_query("SELECT * FROM missing_table")).await.unwrap_err();
        let server = error.server_error().unwrap();
        assert_eq!((server.severity.as_str(), server.code.as_str()), ("ERROR", "42P01"));
        assert!(error.to_string().contains("missing_table"), "{error}");

        // The settings that fix the text form of values hold in the walsender.
        assert_eq!(scalar(&mut client, "SHOW TimeZone").await.as_deref(), Some("UTC"));
        assert_eq!(scalar(&mut client, "SHOW DateStyle").await.as_deref(), Some("ISO, MDY"));
        assert_eq!(scalar(&mut client, "SHOW IntervalStyle").await.as_deref(), Some("postgres"));
        assert_eq!(scalar(&mut client, "SHOW extra_float_digits").await.as_deref(), Some("3"));
        assert_eq!(scalar(&mut client, "SHOW client_encoding").await.as_deref(), Some("UTF8"));
        assert_eq!(
            scalar(&mut client, "SELECT '2024-05-06 07:08:09+02'::timestamptz::text").await.as_deref(),
            Some("2024-05-06 05:08:09+00")
        );
        assert_eq!(
            scalar(&mut client, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()").await.as_deref(),
            Some("pgcdc")
        );
        assert_eq!(
            scalar(&mut client, "SELECT backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid()").await.as_deref(),
            Some("walsender")
        );
        within("close", client.close()).await.unwrap();

        // SQL connections get the same settings.
        let (sql, _task) = within("connect_sql", connect_sql(&config)).await.unwrap();
        let rows = sql.simple_query("SHOW TimeZone").await.unwrap();
        let value = rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        });
        assert_eq!(value.as_deref(), Some("UTC"));

        // A Unix socket, as a percent-encoded host in a URL.
        let socket_dir = [pg.data_dir(), pg.data_dir().parent().unwrap()]
            .into_iter()
            .find(|dir| dir.join(format!(".s.PGSQL.{}", pg.port())).exists())
            .map(Path::to_path_buf)
            .expect("the cluster's socket directory");
        {
            let dir = socket_dir;
            let url = format!(
                "postgres://postgres@{}:{}/postgres",
                dir.display().to_string().replace('/', "%2F"),
                pg.port()
            );
            let unix = ConnectionConfig::parse(&url).unwrap();
            assert!(unix.is_unix_socket());
            let mut client = connect(&unix).await.unwrap();
            assert_eq!(scalar(&mut client, "SELECT 1").await.as_deref(), Some("1"));
        }
    }
}

/// Reads frames, answering keepalives, until `done` says so about a decoded message; returns
/// the decoded messages and the highest end-of-WAL position seen.
async fn read_until(
    stream: &mut ReplicationStream,
    decoder: &mut Decoder,
    mut done: impl FnMut(&Message) -> bool,
) -> Vec<Message> {
    let deadline = Instant::now() + STEP;
    let mut messages = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no end after {STEP:?}: {messages:?}"
        );
        let frame = within("next_frame", stream.next_frame())
            .await
            .unwrap()
            .expect("stream ended");
        match ReplicationMessage::decode(frame).unwrap() {
            ReplicationMessage::XLogData(xlog) => {
                let message = decoder.decode(xlog.data).unwrap();
                let stop = done(&message);
                messages.push(message);
                if stop {
                    return messages;
                }
            }
            ReplicationMessage::PrimaryKeepalive(keepalive) => {
                if keepalive.reply_requested {
                    within("status", stream.send_status(&status(Lsn(0))))
                        .await
                        .unwrap();
                }
            }
        }
    }
}

fn status(flush: Lsn) -> StandbyStatusUpdate {
    StandbyStatusUpdate {
        write: flush,
        flush,
        apply: flush,
        send_time: pgoutput::time::system_time_to_pg(std::time::SystemTime::now()).unwrap(),
        reply_requested: false,
    }
}

fn text(data: Option<TupleData>) -> Option<String> {
    match data {
        Some(TupleData::Text(bytes)) => Some(String::from_utf8(bytes.to_vec()).unwrap()),
        _ => None,
    }
}

const PGOUTPUT: [(&str, &str); 2] = [("proto_version", "1"), ("publication_names", "p")];

pgcdc_testkit::pg_test! {
    async fn streams_pgoutput_from_start_replication_to_finish(version: PgVersion) {
        let pg = start_with(config(version).setting("wal_sender_timeout", "2s"));
        pg.psql(
            "postgres",
            "CREATE TABLE items (id int PRIMARY KEY, name text);
             CREATE PUBLICATION p FOR ALL TABLES;
             SELECT pg_create_logical_replication_slot('s', 'pgoutput');
             INSERT INTO items VALUES (1, 'one'), (2, NULL);",
        )
        .unwrap();
        let config = conn(&pg, "postgres", None, "postgres");

        // A missing slot.
        let client = connect(&config).await.unwrap();
        let error = within("start", client.start_replication("nope", Lsn(0), &PGOUTPUT)).await.unwrap_err();
        assert!(matches!(error, QueryError::SlotMissing { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "replication slot \"nope\" does not exist: create it with pgcdc slot create or let pgcdc run create it"
        );

        let client = connect(&config).await.unwrap();
        let walsender = client.backend_pid().unwrap();
        let mut stream = within("start", client.start_replication("s", Lsn(0), &PGOUTPUT)).await.unwrap();
        let mut decoder = Decoder::new();
        let messages = read_until(&mut stream, &mut decoder, |m| matches!(m, Message::Commit(_))).await;
        let kinds: Vec<&str> = messages.iter().map(|m| match m {
            Message::Begin(_) => "Begin",
            Message::Relation(_) => "Relation",
            Message::Insert(_) => "Insert",
            Message::Commit(_) => "Commit",
            _ => "other",
        }).collect();
        assert_eq!(kinds, ["Begin", "Relation", "Insert", "Insert", "Commit"]);
        let Message::Relation(relation) = &messages[1] else { unreachable!() };
        assert_eq!(relation.name, "items");
        let Message::Insert(first) = &messages[2] else { unreachable!() };
        assert_eq!(text(first.new.get(0)).as_deref(), Some("1"));
        assert_eq!(text(first.new.get(1)).as_deref(), Some("one"));
        let Message::Insert(second) = &messages[3] else { unreachable!() };
        assert!(second.new.get(1).unwrap().is_null());
        let Message::Commit(commit) = &messages[4] else { unreachable!() };
        let end = commit.end_lsn;

        // Another connection cannot read the slot meanwhile.
        let other = connect(&config).await.unwrap();
        let error = within("start", other.start_replication("s", Lsn(0), &PGOUTPUT)).await.unwrap_err();
        assert!(matches!(error, QueryError::SlotActive { pid: Some(pid), .. } if pid as i32 == walsender), "{error:?}");
        assert!(error.to_string().starts_with(&format!("replication slot \"s\" is active for PID {walsender}")), "{error}");

        // Idle: with wal_sender_timeout = 2s the server asks for a reply within about a second.
        let keepalive = within("keepalive", async {
            loop {
                let frame = stream.next_frame().await.unwrap().unwrap();
                if let ReplicationMessage::PrimaryKeepalive(k) = ReplicationMessage::decode(frame).unwrap() {
                    if k.reply_requested {
                        break k;
                    }
                }
            }
        }).await;
        assert!(keepalive.wal_end >= end);

        // The status update moves the slot.
        within("status", stream.send_status(&status(end))).await.unwrap();
        let deadline = Instant::now() + STEP;
        loop {
            let confirmed: Lsn = pg
                .psql("postgres", "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 's'")
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            if confirmed >= end {
                break;
            }
            assert!(Instant::now() < deadline, "confirmed_flush_lsn stays at {confirmed}, sent {end}");
            // Keep answering keepalives meanwhile (next_frame is cancel-safe).
            if let Ok(frame) = tokio::time::timeout(Duration::from_millis(200), stream.next_frame()).await {
                let frame = frame.unwrap().unwrap();
                if let ReplicationMessage::PrimaryKeepalive(k) = ReplicationMessage::decode(frame).unwrap() {
                    if k.reply_requested {
                        within("status", stream.send_status(&status(end))).await.unwrap();
                    }
                }
            }
        }

        // A clean end: the slot is free again.
        within("finish", stream.finish()).await.unwrap();
        let deadline = Instant::now() + STEP;
        while pg.psql("postgres", "SELECT active FROM pg_replication_slots WHERE slot_name = 's'").unwrap().trim() != "f" {
            assert!(Instant::now() < deadline, "the slot stays active after finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // The stream continues after the confirmed position, and a terminated walsender is an
        // error, not a hang.
        pg.psql("postgres", "INSERT INTO items VALUES (3, 'three')").unwrap();
        let client = connect(&config).await.unwrap();
        let walsender = client.backend_pid().unwrap();
        let mut stream = within("start", client.start_replication("s", Lsn(0), &PGOUTPUT)).await.unwrap();
        let mut decoder = Decoder::new();
        let messages = read_until(&mut stream, &mut decoder, |m| matches!(m, Message::Commit(_))).await;
        let ids: Vec<Option<String>> = messages.iter().filter_map(|m| match m {
            Message::Insert(insert) => Some(text(insert.new.get(0))),
            _ => None,
        }).collect();
        assert_eq!(ids, [Some("3".to_owned())]);
        pg.psql("postgres", &format!("SELECT pg_terminate_backend({walsender})")).unwrap();
        let error = within("next_frame after terminate", async {
            loop {
                match stream.next_frame().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("the stream ended without an error"),
                    Err(error) => break error,
                }
            }
        }).await;
        match &error {
            StreamError::Server(server) => assert_eq!(server.code, "57P01", "{error}"),
            other => panic!("expected the server's error, got {other:?}"),
        }
        assert!(error.to_string().contains("terminating connection due to administrator command"), "{error}");
    }
}

/// Writes `pem` to a file in `dir`.
fn pem_file(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap();
    path
}

async fn ssl_in_use(config: &ConnectionConfig) -> Result<bool, ConnectError> {
    let mut client = connect(config).await?;
    let ssl = scalar(
        &mut client,
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .await;
    within("close", client.close()).await.unwrap();
    Ok(ssl.as_deref() == Some("t"))
}

async fn sql_ssl_in_use(config: &ConnectionConfig) -> Result<bool, ConnectError> {
    let (sql, _task) = within("connect_sql", connect_sql(config)).await?;
    let row = sql
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    Ok(row.get::<_, bool>(0))
}

pgcdc_testkit::pg_test! {
    async fn tls_follows_every_sslmode(version: PgVersion) {
        let ca = TestCa::for_localhost();
        let dir = tempfile::tempdir().unwrap();
        let root = pem_file(dir.path(), "root.crt", &ca.ca_pem);
        let other_root = pem_file(dir.path(), "other.crt", &TestCa::for_localhost().ca_pem);

        if !version.installation().supports_tls() {
            // A server without TLS: prefer falls back to plaintext, require fails clearly.
            let pg = start_with(config(version).role(RoleSpec::new("scram_user", "pw", AuthMethod::ScramSha256).replication()));
            let base = conn(&pg, "scram_user", Some("pw"), "postgres");
            for mode in [SslMode::Allow, SslMode::Prefer] {
                assert!(!ssl_in_use(&with_tls(base.clone(), mode, None)).await.unwrap(), "{mode}");
                assert!(!sql_ssl_in_use(&with_tls(base.clone(), mode, None)).await.unwrap(), "{mode}");
            }
            for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
                let config = with_tls(base.clone(), mode, Some(&root));
                let error = connect(&config).await.unwrap_err();
                assert!(matches!(error, ConnectError::TlsNotSupported { .. }), "{mode}: {error:?}");
                assert!(
                    error.to_string().starts_with(&format!("the server does not support TLS but sslmode={mode}")),
                    "{error}"
                );
                let error = within("connect_sql", connect_sql(&config)).await.unwrap_err();
                assert!(matches!(error, ConnectError::TlsNotSupported { .. }), "{mode}: {error:?}");
            }
            return;
        }

        let pg = start_with(
            config(version)
                .role(RoleSpec::new("scram_user", "s3cret", AuthMethod::ScramSha256).replication())
                .role(RoleSpec::new("md5_user", "md5pw", AuthMethod::Md5).replication())
                .tls(ca.server.clone()),
        );
        // SCRAM under TLS uses channel binding (SCRAM-SHA-256-PLUS): a wrong binding would fail.
        let base = conn(&pg, "scram_user", Some("s3cret"), "postgres");
        let cases: [(SslMode, Option<&Path>, bool); 8] = [
            (SslMode::Disable, None, false),
            (SslMode::Allow, None, false),
            (SslMode::Prefer, None, true),
            (SslMode::Prefer, Some(&root), true),
            (SslMode::Require, None, true),
            (SslMode::Require, Some(&root), true),
            (SslMode::VerifyCa, Some(&root), true),
            (SslMode::VerifyFull, Some(&root), true),
        ];
        for (mode, rootcert, encrypted) in cases {
            let config = with_tls(base.clone(), mode, rootcert);
            assert_eq!(ssl_in_use(&config).await.unwrap(), encrypted, "{mode} {rootcert:?}");
            assert_eq!(sql_ssl_in_use(&config).await.unwrap(), encrypted, "SQL {mode} {rootcert:?}");
        }
        let md5 = with_tls(conn(&pg, "md5_user", Some("md5pw"), "postgres"), SslMode::VerifyFull, Some(&root));
        assert!(ssl_in_use(&md5).await.unwrap());
        let mut by_name = with_tls(base.clone(), SslMode::VerifyFull, Some(&root));
        by_name.host = "localhost".to_owned();
        assert!(ssl_in_use(&by_name).await.unwrap());

        // A CA that did not sign the server certificate: refused by verify-ca, verify-full,
        // and by require once sslrootcert is given.
        for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            let config = with_tls(base.clone(), mode, Some(&other_root));
            let error = connect(&config).await.unwrap_err();
            assert!(matches!(error, ConnectError::CertificateVerify { .. }), "{mode}: {error:?}");
            assert!(error.to_string().starts_with("certificate verify failed: the server certificate is not signed by a CA in sslrootcert"), "{error}");
            let error = within("connect_sql", connect_sql(&config)).await.unwrap_err();
            assert!(matches!(error, ConnectError::CertificateVerify { .. }), "SQL {mode}: {error:?}");
        }

        // A certificate for other names: verify-full refuses, verify-ca accepts.
        let mut elsewhere = with_tls(base.clone(), SslMode::VerifyFull, Some(&root));
        elsewhere.host = "db.example.com".to_owned();
        elsewhere.hostaddr = Some("127.0.0.1".parse().unwrap());
        let error = connect(&elsewhere).await.unwrap_err();
        assert!(matches!(error, ConnectError::CertificateVerify { .. }), "{error:?}");
        assert!(error.to_string().contains("not valid for host \"db.example.com\""), "{error}");
        let error = within("connect_sql", connect_sql(&elsewhere)).await.unwrap_err();
        assert!(matches!(error, ConnectError::CertificateVerify { .. }), "{error:?}");
        elsewhere.sslmode = SslMode::VerifyCa;
        assert!(ssl_in_use(&elsewhere).await.unwrap());
        assert!(sql_ssl_in_use(&elsewhere).await.unwrap());

        // Wrong passwords still say so under TLS.
        let wrong = with_tls(conn(&pg, "scram_user", Some("nope"), "postgres"), SslMode::Require, None);
        let error = connect(&wrong).await.unwrap_err();
        assert!(matches!(error, ConnectError::PasswordFailed { .. }), "{error:?}");
    }
}
