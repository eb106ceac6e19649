use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::os_user::RunAs;
use super::{Installation, LocalPgError};
use crate::sql::{quote_ident, quote_literal};

/// How a role authenticates over TCP (`pg_hba.conf` method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// No password.
    Trust,
    /// Cleartext password.
    Password,
    /// MD5 challenge; the password is stored as an MD5 hash.
    Md5,
    /// SCRAM-SHA-256.
    ScramSha256,
}

impl AuthMethod {
    fn hba(self) -> &'static str {
        match self {
            Self::Trust => "trust",
            Self::Password => "password",
            Self::Md5 => "md5",
            Self::ScramSha256 => "scram-sha-256",
        }
    }
}

/// A role created when the cluster starts.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    /// The role name.
    pub name: String,
    /// Its password, if any.
    pub password: Option<String>,
    /// How it must authenticate over TCP.
    pub auth: AuthMethod,
    /// Whether it has the REPLICATION attribute.
    pub replication: bool,
    /// Whether it is a superuser.
    pub superuser: bool,
}

impl RoleSpec {
    /// A login role with `password` that authenticates with `auth`, without REPLICATION.
    pub fn new(name: impl Into<String>, password: impl Into<String>, auth: AuthMethod) -> Self {
        Self {
            name: name.into(),
            password: Some(password.into()),
            auth,
            replication: false,
            superuser: false,
        }
    }

    /// Gives the role the REPLICATION attribute.
    pub fn replication(mut self) -> Self {
        self.replication = true;
        self
    }

    /// Makes the role a superuser.
    pub fn superuser(mut self) -> Self {
        self.superuser = true;
        self
    }
}

/// A server certificate and key (PEM) to turn TLS on with.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, PEM.
    pub cert_pem: String,
    /// The private key, PEM.
    pub key_pem: String,
}

/// How to set up a throwaway cluster; [`ClusterConfig::start`] starts it.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    install: Installation,
    settings: Vec<(String, String)>,
    roles: Vec<RoleSpec>,
    databases: Vec<String>,
    tls: Option<TlsFiles>,
    start_timeout: Duration,
}

impl ClusterConfig {
    /// A cluster of `install` with `wal_level = logical`, 20 slots and senders, trust
    /// authentication for the `postgres` superuser, listening on `127.0.0.1` only.
    pub fn new(install: Installation) -> Self {
        Self {
            install,
            settings: Vec::new(),
            roles: Vec::new(),
            databases: Vec::new(),
            tls: None,
            start_timeout: Duration::from_secs(60),
        }
    }

    /// Sets a `postgresql.conf` parameter (after the defaults, so it overrides them).
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Creates a role at start-up, with its own `pg_hba.conf` lines.
    pub fn role(mut self, role: RoleSpec) -> Self {
        self.roles.push(role);
        self
    }

    /// Creates a database at start-up.
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.databases.push(name.into());
        self
    }

    /// Turns TLS on with this certificate and key.
    pub fn tls(mut self, files: TlsFiles) -> Self {
        self.tls = Some(files);
        self
    }

    /// How long to wait for the server to accept connections (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Runs `initdb`, starts the server on a free port and creates the roles and databases.
    ///
    /// Call it from a thread that outlives the cluster (not from a short-lived worker thread):
    /// the server is told to stop when the thread that started it ends.
    pub fn start(self) -> Result<Cluster, LocalPgError> {
        if self.tls.is_some() && !self.install.supports_tls() {
            return Err(LocalPgError::TlsUnsupported {
                version: self.install.version().to_owned(),
                bin_dir: self.install.bin_dir().to_owned(),
            });
        }
        let run_as = RunAs::for_server()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("pgcdc-pg{}-", self.install.major()))
            .tempdir()
            .map_err(|e| LocalPgError::io("creating a directory in", std::env::temp_dir(), e))?
            .keep();
        let mut cluster = Cluster {
            data_dir: dir.join("data"),
            log_path: dir.join("server.log"),
            dir,
            port: 0,
            child: None,
            run_as,
            config: self,
        };
        cluster.init()?;
        cluster.start_on_free_port()?;
        cluster.create_roles_and_databases()?;
        Ok(cluster)
    }
}

/// A running throwaway cluster. Dropping it stops the server and removes its directory.
#[derive(Debug)]
pub struct Cluster {
    config: ClusterConfig,
    dir: PathBuf,
    data_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    child: Option<Child>,
    run_as: RunAs,
}

impl Cluster {
    /// The host the server listens on (`127.0.0.1`).
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The installation the cluster runs from.
    pub fn installation(&self) -> &Installation {
        &self.config.install
    }

    /// The major version of the server, e.g. `18`.
    pub fn major(&self) -> u32 {
        self.config.install.major()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A `postgres://` URL for the `postgres` superuser and `database`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@{}:{}/{}",
            self.host(),
            self.port,
            database
        )
    }

    /// A `postgres://` URL for `user` with `password` and `database`.
    pub fn url_for(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@{}:{}/{database}",
            self.host(),
            self.port
        )
    }

    /// The process id of the postmaster, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The whole server log so far.
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Runs the SQL script `sql` with `psql` as the `postgres` superuser in `database`, one
    /// statement after the other (so `BEGIN` ... `PREPARE TRANSACTION` and `VACUUM` work), and
    /// returns what it printed (unaligned, tuples only). Stops at the first error.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, LocalPgError> {
        let program = self.config.install.program("psql");
        let mut command = Command::new(&program);
        command
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", self.host(), "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", database, "-f", "-"]);
        clear_libpq_env(&mut command);
        run_with_input(command, &program, sql.as_bytes())
    }

    /// Creates a database.
    pub fn create_database(&self, name: &str) -> Result<(), LocalPgError> {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {}", quote_ident(name)),
        )
        .map(drop)
    }

    /// Stops the server (fast shutdown), keeping the data directory.
    pub fn stop(&mut self) -> Result<(), LocalPgError> {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
        Ok(())
    }

    /// Starts the stopped server again on the same port.
    pub fn start_again(&mut self) -> Result<(), LocalPgError> {
        if self.child.is_none() {
            self.spawn_and_wait()?;
        }
        Ok(())
    }

    /// Stops and starts the server, on the same port.
    pub fn restart(&mut self) -> Result<(), LocalPgError> {
        self.stop()?;
        self.start_again()
    }

    fn init(&mut self) -> Result<(), LocalPgError> {
        self.run_as.give(&self.dir)?;
        let initdb = self.config.install.program("initdb");
        let mut command = self.run_as.command(&initdb, false);
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .current_dir(&self.dir);
        clear_libpq_env(&mut command);
        run(command, &initdb)?;
        self.write_config()
    }

    fn write_config(&self) -> Result<(), LocalPgError> {
        let mut conf = String::from("\n# --- pgcdc throwaway cluster ---\n");
        let socket_dir = self.dir.display();
        let defaults = [
            ("listen_addresses", "'127.0.0.1'".to_owned()),
            ("unix_socket_directories", format!("'{socket_dir}'")),
            ("wal_level", "logical".to_owned()),
            ("max_replication_slots", "20".to_owned()),
            ("max_wal_senders", "20".to_owned()),
            ("max_connections", "60".to_owned()),
            ("shared_buffers", "32MB".to_owned()),
            ("fsync", "off".to_owned()),
            ("full_page_writes", "off".to_owned()),
            ("log_line_prefix", "'%m [%p] %q%u@%d '".to_owned()),
        ];
        for (name, value) in defaults {
            let _ = writeln!(conf, "{name} = {value}");
        }
        if self.config.tls.is_some() {
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        for (name, value) in &self.config.settings {
            let _ = writeln!(conf, "{name} = '{}'", value.replace('\'', "''"));
        }
        append(&self.data_dir.join("postgresql.conf"), &conf)?;

        let mut hba = String::from("local all all trust\n");
        for role in &self.config.roles {
            let method = role.auth.hba();
            let _ = writeln!(hba, "host all {} 127.0.0.1/32 {method}", role.name);
            let _ = writeln!(hba, "host replication {} 127.0.0.1/32 {method}", role.name);
        }
        hba.push_str("host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n");
        write_file(&self.data_dir.join("pg_hba.conf"), &hba)?;

        if let Some(tls) = &self.config.tls {
            let cert = self.data_dir.join("server.crt");
            let key = self.data_dir.join("server.key");
            write_file(&cert, &tls.cert_pem)?;
            write_file(&key, &tls.key_pem)?;
            set_mode(&key, 0o600)?;
            self.run_as.give(&cert)?;
            self.run_as.give(&key)?;
        }
        Ok(())
    }

    fn start_on_free_port(&mut self) -> Result<(), LocalPgError> {
        // Another process may take the port between our probe and the server's bind: try again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.port = free_port(&self.log_path)?;
            match self.spawn_and_wait() {
                Err(LocalPgError::StartFailed { log, .. })
                    if attempts < 5 && log.contains("could not bind") =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }

    fn spawn_and_wait(&mut self) -> Result<(), LocalPgError> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|e| LocalPgError::io("opening", &self.log_path, e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| LocalPgError::io("opening", &self.log_path, e))?;
        let postgres = self.config.install.program("postgres");
        let mut command = self.run_as.command(&postgres, true);
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-p", &self.port.to_string()])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        clear_libpq_env(&mut command);
        let child = command.spawn().map_err(|source| LocalPgError::Spawn {
            program: postgres.display().to_string(),
            source,
        })?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), LocalPgError> {
        let deadline = Instant::now() + self.config.start_timeout;
        let pid_file = self.data_dir.join("postmaster.pid");
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(LocalPgError::StartFailed {
                    status,
                    log: self.log_tail(40),
                });
            }
            // Line 8 of postmaster.pid is the postmaster's status: "ready" once it accepts
            // connections.
            if fs::read_to_string(&pid_file)
                .ok()
                .and_then(|text| text.lines().nth(7).map(|l| l.trim() == "ready"))
                .unwrap_or(false)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                if let Some(mut child) = self.child.take() {
                    stop_child(&mut child);
                }
                return Err(LocalPgError::StartTimeout {
                    seconds: self.config.start_timeout.as_secs(),
                    log: self.log_tail(40),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn create_roles_and_databases(&self) -> Result<(), LocalPgError> {
        for role in &self.config.roles {
            let mut sql = String::new();
            if role.auth == AuthMethod::Md5 {
                sql.push_str("SET password_encryption = 'md5'; ");
            }
            let _ = write!(sql, "CREATE ROLE {} LOGIN", quote_ident(&role.name));
            if role.replication {
                sql.push_str(" REPLICATION");
            }
            if role.superuser {
                sql.push_str(" SUPERUSER");
            }
            if let Some(password) = &role.password {
                let _ = write!(sql, " PASSWORD {}", quote_literal(password));
            }
            self.psql("postgres", &sql)?;
        }
        for database in &self.config.databases {
            self.create_database(database)?;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
        if let Err(error) = fs::remove_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), %error, "could not remove the cluster directory");
        }
    }
}

/// Fast shutdown; immediate shutdown after 30 s; SIGKILL after 5 more.
fn stop_child(child: &mut Child) {
    let Ok(raw) = i32::try_from(child.id()) else {
        return;
    };
    let pid = Pid::from_raw(raw);
    for (signal, wait) in [
        (Signal::SIGINT, Duration::from_secs(30)),
        (Signal::SIGQUIT, Duration::from_secs(5)),
        (Signal::SIGKILL, Duration::from_secs(5)),
    ] {
        if kill(pid, signal).is_err() {
            break;
        }
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.wait();
}

fn free_port(log_path: &Path) -> Result<u16, LocalPgError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| LocalPgError::io("finding a free port for", log_path, e))
}

fn run(command: Command, program: &Path) -> Result<String, LocalPgError> {
    run_with_input(command, program, &[])
}

fn run_with_input(
    mut command: Command,
    program: &Path,
    input: &[u8],
) -> Result<String, LocalPgError> {
    use std::io::Write as _;
    let spawn_error = |source| LocalPgError::Spawn {
        program: program.display().to_string(),
        source,
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    if let Some(mut stdin) = child.stdin.take() {
        // The program may stop reading early (on an error); what it says is in its output.
        let _ = stdin.write_all(input);
    }
    let output = child.wait_with_output().map_err(spawn_error)?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        let mut text = stdout;
        let _ = output.stderr.as_slice().read_to_string(&mut text);
        Err(LocalPgError::CommandFailed {
            program: format!("{command:?}"),
            status: output.status,
            output: text,
        })
    }
}

/// Keeps the caller's libpq settings (`PGHOST`, `PGPASSWORD`, ...) out of the throwaway cluster.
fn clear_libpq_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("PG")) {
            command.env_remove(name);
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), LocalPgError> {
    fs::write(path, text).map_err(|e| LocalPgError::io("writing", path, e))
}

fn append(path: &Path, text: &str) -> Result<(), LocalPgError> {
    use std::io::Write as _;
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| LocalPgError::io("writing", path, e))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), LocalPgError> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| LocalPgError::io("setting permissions of", path, e))
}
