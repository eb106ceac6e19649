//! The test harness itself: throwaway PostgreSQL 15 and 18 clusters start with logical WAL,
//! accept replication connections, password and TLS clients, run side by side, and leave
//! nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use pgcdc_testkit::tls::TestCa;
use pgcdc_testkit::{AuthMethod, PgVersion, RoleSpec, TestCluster, config, start, start_with};

/// Runs `psql` from the cluster's installation with a libpq connection string.
fn psql(
    pg: &TestCluster,
    conninfo: &str,
    password: Option<&str>,
    sql: &str,
) -> Result<String, String> {
    let mut command = Command::new(pg.installation().program("psql"));
    command.args([
        "-X",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        conninfo,
        "-c",
        sql,
    ]);
    command
        .env_remove("PGPASSWORD")
        .env("PGCONNECT_TIMEOUT", "10");
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().unwrap();
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap().trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

pgcdc_testkit::pg_test! {
    fn starts_with_logical_wal_and_accepts_replication_connections(version: PgVersion) {
        let pg = start(version);
        assert_eq!(pg.major(), version.major());
        assert_eq!(pg.psql("postgres", "SHOW wal_level").unwrap().trim(), "logical");
        let server_version: u32 = pg
            .psql("postgres", "SHOW server_version_num")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(server_version / 10_000, version.major());

        // A logical replication connection (startup parameter replication=database) accepts
        // replication commands.
        let conninfo = format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres replication=database",
            pg.port()
        );
        let identify = psql(&pg, &conninfo, None, "IDENTIFY_SYSTEM").unwrap();
        let fields: Vec<&str> = identify.split('|').collect();
        assert_eq!(fields.len(), 4, "IDENTIFY_SYSTEM answered {identify:?}");
        assert!(fields[0].parse::<u64>().is_ok(), "system id {:?}", fields[0]);
        assert_eq!(fields[1], "1", "timeline");
        assert!(fields[2].contains('/'), "xlogpos {:?}", fields[2]);
        assert_eq!(fields[3], "postgres");
        assert_eq!(psql(&pg, &conninfo, None, "SHOW wal_level").unwrap(), "logical");
    }
}

pgcdc_testkit::pg_test! {
    async fn password_roles_authenticate_with_their_method(version: PgVersion) {
        let pg = start_with(
            config(version)
                .role(RoleSpec::new("scram_user", "s3cret'pw", AuthMethod::ScramSha256).replication())
                .role(RoleSpec::new("md5_user", "md5pw", AuthMethod::Md5))
                .role(RoleSpec::new("clear_user", "clearpw", AuthMethod::Password))
                .database("app"),
        );
        for (user, password, stored) in [
            ("scram_user", "s3cret'pw", "SCRAM-SHA-256$"),
            ("md5_user", "md5pw", "md5"),
            ("clear_user", "clearpw", "SCRAM-SHA-256$"),
        ] {
            let stored_hash = pg
                .psql("postgres", &format!("SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'"))
                .unwrap();
            assert!(stored_hash.starts_with(stored), "{user}: {stored_hash}");

            let mut config = tokio_postgres::Config::new();
            config.host("127.0.0.1").port(pg.port()).user(user).dbname("app");
            let (client, connection) = config
                .clone()
                .password(password)
                .connect(tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("{user} could not log in: {e}"));
            let task = tokio::spawn(connection);
            let row = client.query_one("SELECT current_user::text", &[]).await.unwrap();
            assert_eq!(row.get::<_, String>(0), user);
            drop(client);
            task.await.unwrap().unwrap();

            let wrong = config.password("wrong").connect(tokio_postgres::NoTls).await;
            let error = wrong.err().unwrap_or_else(|| panic!("{user} logged in with a wrong password"));
            let message = error.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
            assert!(message.contains("password authentication failed"), "{user}: {error:?}");
        }

        // The replication role opens a replication connection with its password.
        let conninfo = format!(
            "host=127.0.0.1 port={} user=scram_user dbname=app replication=database",
            pg.port()
        );
        let identify = psql(&pg, &conninfo, Some("s3cret'pw"), "IDENTIFY_SYSTEM").unwrap();
        assert!(identify.ends_with("|app"), "{identify}");
        let refused = psql(&pg, &conninfo, Some("nope"), "IDENTIFY_SYSTEM").unwrap_err();
        assert!(refused.contains("password authentication failed"), "{refused}");
    }
}

pgcdc_testkit::pg_test! {
    fn tls_with_a_self_signed_certificate(version: PgVersion) {
        let ca = TestCa::for_localhost();
        let install = version.installation();
        if !install.supports_tls() {
            // The PostgreSQL 18 build the tests use has no OpenSSL: asking it for TLS is a clear
            // error, and TLS is tested on the versions that have it.
            let error = config(version).tls(ca.server.clone()).start().unwrap_err();
            assert!(error.to_string().contains("without TLS support"), "{error}");
            return;
        }
        let pg = start_with(config(version).tls(ca.server.clone()));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root.crt");
        std::fs::write(&root, &ca.ca_pem).unwrap();

        let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
        let base = format!("host=127.0.0.1 port={} user=postgres dbname=postgres", pg.port());
        let verified = format!("{base} sslmode=verify-full sslrootcert={}", root.display());
        assert_eq!(psql(&pg, &verified, None, sql).unwrap(), "t");
        assert_eq!(psql(&pg, &format!("{base} sslmode=disable"), None, sql).unwrap(), "f");

        // A CA that did not sign the server certificate is refused.
        let other = TestCa::for_localhost();
        let other_root = dir.path().join("other.crt");
        std::fs::write(&other_root, &other.ca_pem).unwrap();
        let refused = psql(
            &pg,
            &format!("{base} sslmode=verify-ca sslrootcert={}", other_root.display()),
            None,
            sql,
        )
        .unwrap_err();
        assert!(refused.contains("certificate verify failed"), "{refused}");
    }
}

pgcdc_testkit::pg_test! {
    fn restart_keeps_port_and_data(version: PgVersion) {
        let mut pg = start(version);
        pg.psql("postgres", "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)").unwrap();
        let port = pg.port();
        pg.restart().unwrap();
        assert_eq!(pg.port(), port);
        assert_eq!(pg.psql("postgres", "SELECT id FROM kept").unwrap().trim(), "42");
    }
}

pgcdc_testkit::pg_test! {
    fn drop_stops_the_server_and_removes_its_directory(version: PgVersion) {
        let pg = start(version);
        let dir = pg.data_dir().to_owned();
        let pid = pg.pid().unwrap();
        assert!(dir.join("postmaster.pid").exists());
        drop(pg);
        assert!(!dir.exists(), "{} is left behind", dir.display());
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok();
        assert!(!alive, "postgres {pid} still runs");
    }
}

#[test]
fn both_versions_run_side_by_side() {
    let threads: Vec<_> = PgVersion::ALL
        .into_iter()
        .chain(PgVersion::ALL)
        .map(|version| {
            std::thread::spawn(move || {
                let pg = start(version);
                let answer = pg.psql("postgres", "SELECT 1 + 1").unwrap();
                (pg.port(), answer.trim().to_owned())
            })
        })
        .collect();
    let mut ports = Vec::new();
    for thread in threads {
        let (port, answer) = thread.join().unwrap();
        assert_eq!(answer, "2");
        ports.push(port);
    }
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4, "clusters shared a port: {ports:?}");
}
