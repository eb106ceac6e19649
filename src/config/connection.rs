//! How pgcdc reaches PostgreSQL: host, port, credentials, database, TLS and timeouts.
//!
//! A [`ConnectionConfig`] is read from any of the forms users already have:
//!
//! - a libpq URL: `postgres://user:pass@host:5432/db?sslmode=require` (also `postgresql://`,
//!   percent-encoded parts, `[::1]` for IPv6 hosts, a percent-encoded socket directory as host);
//! - a libpq key/value string: `host=db port=5432 dbname=app user=cdc password='a b'`;
//! - Debezium connector keys: `database.hostname`, `database.port`, `database.user`, ...
//!
//! Its [`Display`](std::fmt::Display) form is a URL without the password, safe for logs, and its
//! `Debug` form never shows the password either.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The default PostgreSQL port.
pub const DEFAULT_PORT: u16 = 5432;

/// The default `application_name`, shown in `pg_stat_activity` and `pg_stat_replication`.
pub const DEFAULT_APPLICATION_NAME: &str = "pgcdc";

/// Whether and how to use TLS, with libpq's `sslmode` names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// Plaintext first; TLS only if the server refuses the plaintext connection.
    Allow,
    /// TLS if the server supports it, plaintext otherwise (the default).
    #[default]
    Prefer,
    /// TLS or fail. The certificate is not verified unless `sslrootcert` is given, in which case
    /// it is verified as with [`SslMode::VerifyCa`].
    Require,
    /// TLS, and the server certificate must chain to a trusted CA (`sslrootcert`).
    VerifyCa,
    /// As [`SslMode::VerifyCa`], and the certificate must also name the host connected to.
    VerifyFull,
}

impl SslMode {
    /// Every mode, in order of strictness.
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The libpq (and Debezium) name: `disable`, `allow`, `prefer`, `require`, `verify-ca` or
    /// `verify-full`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether a connection without TLS is acceptable.
    pub const fn allows_plaintext(self) -> bool {
        matches!(self, SslMode::Disable | SslMode::Allow | SslMode::Prefer)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `sslmode` value that is none of the known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown sslmode {0:?}: expected one of disable, allow, prefer, require, verify-ca, verify-full"
)]
pub struct UnknownSslMode(pub String);

impl FromStr for SslMode {
    type Err = UnknownSslMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SslMode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSslMode(s.to_owned()))
    }
}

/// A connection setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key has a value it cannot take.
    #[error("invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The key as the user wrote it (`sslmode`, `database.sslmode`, ...).
        key: String,
        /// The value given (never a password).
        value: String,
        /// What the key accepts.
        expected: String,
    },
    /// A libpq key pgcdc does not know.
    #[error("unknown connection option {key:?}: known options are {KNOWN_KEYS}")]
    UnknownKey {
        /// The key as written.
        key: String,
    },
    /// A required key is absent.
    #[error("{key} is required: {what}")]
    Missing {
        /// The key that must be given.
        key: String,
        /// What it is.
        what: &'static str,
    },
    /// A connection URL that cannot be read.
    #[error(
        "malformed connection URL: {reason} (expected postgres://user:password@host:port/dbname?option=value)"
    )]
    InvalidUrl {
        /// What is wrong (without the password).
        reason: String,
    },
    /// A key/value connection string that cannot be read.
    #[error(
        "malformed connection string: {reason} (expected key=value pairs such as \"host=db port=5432 dbname=app\")"
    )]
    InvalidKeyValue {
        /// What is wrong (without the password).
        reason: String,
    },
}

/// The libpq keys understood in URLs and key/value strings.
const KNOWN_KEYS: &str = "host, hostaddr, port, dbname, user, password, sslmode, ssl, sslrootcert, \
     sslcert, sslkey, connect_timeout, application_name, fallback_application_name, keepalives, \
     keepalives_idle, options, client_encoding, replication";

/// Where and how to connect to PostgreSQL.
///
/// Build one with [`ConnectionConfig::new`], or parse one with [`ConnectionConfig::parse`]
/// (URL or key/value string) or [`ConnectionConfig::from_debezium`].
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// The host name or IP address; a path starting with `/` is a Unix socket directory.
    pub host: String,
    /// The address to connect to instead of resolving `host` (libpq's `hostaddr`); `host` is
    /// still the name the server certificate must carry under `verify-full`.
    pub hostaddr: Option<IpAddr>,
    /// The TCP port (also the Unix socket's number).
    pub port: u16,
    /// The role to log in as.
    pub user: String,
    /// The password, if the server asks for one. Never shown by `Debug` or `Display`.
    pub password: Option<String>,
    /// The database: the one whose changes logical replication reads.
    pub dbname: String,
    /// Whether and how to use TLS.
    pub sslmode: SslMode,
    /// The PEM file of the CAs trusted to sign the server certificate.
    pub sslrootcert: Option<PathBuf>,
    /// The PEM file of a client certificate (chain), presented if the server asks for one.
    pub sslcert: Option<PathBuf>,
    /// The PEM file of the client certificate's private key.
    pub sslkey: Option<PathBuf>,
    /// How long to wait for the TCP connection, TLS and authentication; `None` waits as long as
    /// the operating system does.
    pub connect_timeout: Option<Duration>,
    /// The `application_name` the server shows for the session.
    pub application_name: String,
    /// Whether to turn TCP keepalives on.
    pub keepalives: bool,
    /// The idle time before the first keepalive probe; `None` keeps the system default.
    pub keepalives_idle: Option<Duration>,
    /// Extra server settings as libpq's `options` (`-c name=value ...`).
    pub options: Option<String>,
}

impl fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionConfig")
            .field("host", &self.host)
            .field("hostaddr", &self.hostaddr)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .field("connect_timeout", &self.connect_timeout)
            .field("application_name", &self.application_name)
            .field("keepalives", &self.keepalives)
            .field("keepalives_idle", &self.keepalives_idle)
            .field("options", &self.options)
            .finish()
    }
}

/// Characters percent-encoded in the redacted URL's user, host and database.
const URL_PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The redacted URL form: `postgres://user@host:5432/db?sslmode=prefer`, without the password.
impl fmt::Display for ConnectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "postgres://{}@",
            utf8_percent_encode(&self.user, URL_PART)
        )?;
        if self.host.parse::<std::net::Ipv6Addr>().is_ok() {
            write!(f, "[{}]", self.host)?;
        } else {
            write!(f, "{}", utf8_percent_encode(&self.host, URL_PART))?;
        }
        write!(
            f,
            ":{}/{}?sslmode={}",
            self.port,
            utf8_percent_encode(&self.dbname, URL_PART),
            self.sslmode
        )
    }
}

impl FromStr for ConnectionConfig {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnectionConfig::parse(s)
    }
}

/// A setting, whichever way it was spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Host,
    HostAddr,
    Port,
    DbName,
    User,
    Password,
    SslMode,
    /// JDBC's `ssl=true`.
    Ssl,
    SslRootCert,
    SslCert,
    SslKeyPath,
    /// Seconds (libpq).
    ConnectTimeoutSecs,
    /// Milliseconds (Debezium).
    ConnectTimeoutMillis,
    ApplicationName,
    FallbackApplicationName,
    /// `0`/`1` (libpq).
    Keepalives,
    /// `true`/`false` (Debezium, JDBC).
    KeepalivesBool,
    KeepalivesIdle,
    Options,
    ClientEncoding,
    Replication,
}

impl Key {
    fn libpq(name: &str) -> Option<Key> {
        Some(match name {
            "host" => Key::Host,
            "hostaddr" => Key::HostAddr,
            "port" => Key::Port,
            "dbname" => Key::DbName,
            "user" => Key::User,
            "password" => Key::Password,
            "sslmode" => Key::SslMode,
            "ssl" => Key::Ssl,
            "sslrootcert" => Key::SslRootCert,
            "sslcert" => Key::SslCert,
            "sslkey" => Key::SslKeyPath,
            "connect_timeout" => Key::ConnectTimeoutSecs,
            "application_name" => Key::ApplicationName,
            "fallback_application_name" => Key::FallbackApplicationName,
            "keepalives" => Key::Keepalives,
            "keepalives_idle" => Key::KeepalivesIdle,
            "options" => Key::Options,
            "client_encoding" => Key::ClientEncoding,
            "replication" => Key::Replication,
            _ => return None,
        })
    }

    fn debezium(name: &str) -> Option<Key> {
        Some(match name {
            "database.hostname" => Key::Host,
            "database.port" => Key::Port,
            "database.user" => Key::User,
            "database.password" => Key::Password,
            "database.dbname" => Key::DbName,
            "database.sslmode" => Key::SslMode,
            "database.sslrootcert" => Key::SslRootCert,
            "database.sslcert" => Key::SslCert,
            "database.sslkey" => Key::SslKeyPath,
            "database.tcpKeepAlive" => Key::KeepalivesBool,
            "database.connect.timeout.ms" => Key::ConnectTimeoutMillis,
            "database.ApplicationName" => Key::ApplicationName,
            "database.options" => Key::Options,
            _ => return None,
        })
    }
}

/// Settings collected before defaults are filled in.
#[derive(Debug, Default)]
struct Builder {
    host: Option<String>,
    hostaddr: Option<IpAddr>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<SslMode>,
    sslrootcert: Option<PathBuf>,
    sslcert: Option<PathBuf>,
    sslkey: Option<PathBuf>,
    connect_timeout: Option<Option<Duration>>,
    application_name: Option<String>,
    fallback_application_name: Option<String>,
    keepalives: Option<bool>,
    keepalives_idle: Option<Duration>,
    options: Option<String>,
}

fn invalid(key: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(invalid(key, value, "true or false (or 1 or 0)")),
    }
}

fn parse_u64(key: &str, value: &str, expected: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| invalid(key, value, expected))
}

impl Builder {
    /// Applies one setting; `written` is the key as the user wrote it, for errors.
    fn apply(&mut self, key: Key, written: &str, value: &str) -> Result<(), ConfigError> {
        match key {
            Key::Host => {
                if value.contains(',') {
                    return Err(invalid(
                        written,
                        value,
                        "one host name or address (several hosts are not supported)",
                    ));
                }
                self.host = non_empty(value);
            }
            Key::HostAddr => {
                self.hostaddr =
                    if value.is_empty() {
                        None
                    } else {
                        Some(value.trim().parse().map_err(|_| {
                            invalid(written, value, "a numeric IPv4 or IPv6 address")
                        })?)
                    };
            }
            Key::Port => {
                if !value.is_empty() {
                    let port = value
                        .trim()
                        .parse::<u16>()
                        .ok()
                        .filter(|port| *port != 0)
                        .ok_or_else(|| invalid(written, value, "a TCP port number, 1 to 65535"))?;
                    self.port = Some(port);
                }
            }
            Key::DbName => self.dbname = non_empty(value),
            Key::User => self.user = non_empty(value),
            Key::Password => self.password = Some(value.to_owned()),
            Key::SslMode => {
                if !value.is_empty() {
                    self.sslmode = Some(value.parse().map_err(|_| {
                        invalid(
                            written,
                            value,
                            "one of disable, allow, prefer, require, verify-ca, verify-full",
                        )
                    })?);
                }
            }
            Key::Ssl => {
                if parse_bool(written, value)? {
                    self.sslmode.get_or_insert(SslMode::Require);
                } else {
                    self.sslmode = Some(SslMode::Disable);
                }
            }
            Key::SslRootCert => self.sslrootcert = non_empty(value).map(PathBuf::from),
            Key::SslCert => self.sslcert = non_empty(value).map(PathBuf::from),
            Key::SslKeyPath => self.sslkey = non_empty(value).map(PathBuf::from),
            Key::ConnectTimeoutSecs => {
                let secs = parse_u64(written, value, "a whole number of seconds (0: no limit)")?;
                // As libpq: 0 waits forever, and anything shorter than 2 s becomes 2 s.
                self.connect_timeout = Some((secs > 0).then(|| Duration::from_secs(secs.max(2))));
            }
            Key::ConnectTimeoutMillis => {
                let millis = parse_u64(
                    written,
                    value,
                    "a whole number of milliseconds (0: no limit)",
                )?;
                self.connect_timeout = Some((millis > 0).then(|| Duration::from_millis(millis)));
            }
            Key::ApplicationName => self.application_name = Some(value.to_owned()),
            Key::FallbackApplicationName => self.fallback_application_name = non_empty(value),
            Key::Keepalives => {
                self.keepalives = Some(match value.trim() {
                    "0" => false,
                    "1" => true,
                    _ => return Err(invalid(written, value, "1 (on) or 0 (off)")),
                });
            }
            Key::KeepalivesBool => self.keepalives = Some(parse_bool(written, value)?),
            Key::KeepalivesIdle => {
                let secs = parse_u64(written, value, "a whole number of seconds")?;
                self.keepalives_idle = (secs > 0).then(|| Duration::from_secs(secs));
            }
            Key::Options => self.options = non_empty(value),
            Key::ClientEncoding => {
                let encoding = value.trim().to_ascii_uppercase();
                if !matches!(
                    encoding.as_str(),
                    "UTF8" | "UTF-8" | "UNICODE" | "AUTO" | ""
                ) {
                    return Err(invalid(written, value, "UTF8 (pgcdc always reads UTF-8)"));
                }
            }
            Key::Replication => {
                // pgcdc opens replication connections itself where it needs them; a
                // `replication=database` copied from a psql command line changes nothing.
                tracing::debug!(key = written, "ignoring the replication option");
            }
        }
        Ok(())
    }

    fn build(self) -> ConnectionConfig {
        let user = self.user.unwrap_or_else(default_user);
        ConnectionConfig {
            host: self.host.unwrap_or_else(|| "localhost".to_owned()),
            hostaddr: self.hostaddr,
            port: self.port.unwrap_or(DEFAULT_PORT),
            dbname: self.dbname.unwrap_or_else(|| user.clone()),
            user,
            password: self.password,
            sslmode: self.sslmode.unwrap_or_default(),
            sslrootcert: self.sslrootcert,
            sslcert: self.sslcert,
            sslkey: self.sslkey,
            connect_timeout: self.connect_timeout.flatten(),
            application_name: self
                .application_name
                .or(self.fallback_application_name)
                .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_owned()),
            keepalives: self.keepalives.unwrap_or(true),
            keepalives_idle: self.keepalives_idle,
            options: self.options,
        }
    }
}

/// The name of the operating-system user, libpq's default role name.
fn default_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|user| user.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "postgres".to_owned())
}

impl ConnectionConfig {
    /// A configuration for `user` on `dbname` at `host:port`, with every other setting at its
    /// default (`sslmode=prefer`, no password, keepalives on, `application_name=pgcdc`).
    pub fn new(
        host: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        dbname: impl Into<String>,
    ) -> Self {
        Builder {
            host: Some(host.into()),
            port: Some(port),
            user: Some(user.into()),
            dbname: Some(dbname.into()),
            ..Builder::default()
        }
        .build()
    }

    /// Parses a libpq URL (`postgres://` or `postgresql://`) or key/value string, whichever
    /// `text` is.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let trimmed = text.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            Self::from_url(trimmed)
        } else {
            Self::from_key_value(trimmed)
        }
    }

    /// Parses a libpq URL: `postgres[ql]://[user[:password]@][host][:port][/dbname][?k=v&...]`.
    ///
    /// Every part is percent-decoded; the query takes the keys of a key/value string.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::InvalidUrl {
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or_else(|| bad("it must start with postgres:// or postgresql://"))?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, Some(path)),
            None => (rest, None),
        };
        let mut builder = Builder::default();
        let host_port = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (userinfo, None),
                };
                builder.user = non_empty(&decode_part("user", user)?);
                if let Some(password) = password {
                    let password = percent_decode_str(password)
                        .decode_utf8()
                        .map_err(|_| bad("the password is not valid UTF-8 once percent-decoded"))?;
                    builder.password = Some(password.into_owned());
                }
                host_port
            }
            None => authority,
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address opened with '[' is not closed with ']'"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("expected ':port' after the IPv6 address"))?,
                ),
            };
            (host.to_owned(), port)
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (decode_part("host", host)?, Some(port)),
                None => (decode_part("host", host_port)?, None),
            }
        };
        builder.apply(Key::Host, "host", &host)?;
        if let Some(port) = port {
            builder.apply(Key::Port, "port", port)?;
        }
        if let Some(path) = path {
            builder.dbname = non_empty(&decode_part("dbname", path)?);
        }
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::InvalidUrl {
                    reason: format!("query parameter {pair:?} has no '='"),
                })?;
            let key = decode_part("query parameter name", key)?;
            let value = if key == "password" {
                percent_decode_str(value)
                    .decode_utf8()
                    .map_err(|_| bad("the password is not valid UTF-8 once percent-decoded"))?
                    .into_owned()
            } else {
                decode_part(&key, value)?
            };
            let parsed = Key::libpq(&key).ok_or(ConfigError::UnknownKey { key: key.clone() })?;
            builder.apply(parsed, &key, &value)?;
        }
        Ok(builder.build())
    }

    /// Parses a libpq key/value string: `host=db port=5432 password='a b'`.
    ///
    /// Values may be single-quoted; inside or outside quotes, a backslash takes the next
    /// character literally (`\'`, `\\`).
    pub fn from_key_value(text: &str) -> Result<Self, ConfigError> {
        let mut builder = Builder::default();
        for (key, value) in split_key_value(text)? {
            let parsed = Key::libpq(&key).ok_or(ConfigError::UnknownKey { key: key.clone() })?;
            builder.apply(parsed, &key, &value)?;
        }
        Ok(builder.build())
    }

    /// Reads Debezium's PostgreSQL connector keys: `database.hostname`, `database.port`
    /// (default 5432), `database.user`, `database.password`, `database.dbname`,
    /// `database.sslmode` (default `prefer`), `database.sslrootcert`, `database.sslcert`,
    /// `database.sslkey`, `database.tcpKeepAlive` (default true),
    /// `database.connect.timeout.ms`, `database.ApplicationName` and `database.options`.
    ///
    /// `database.hostname`, `database.user` and `database.dbname` are required; keys that are
    /// not connection settings (the rest of a connector configuration) are ignored.
    pub fn from_debezium<I, K, V>(properties: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut builder = Builder::default();
        for (key, value) in properties {
            let (key, value) = (key.as_ref(), value.as_ref());
            if let Some(parsed) = Key::debezium(key) {
                builder.apply(parsed, key, value)?;
            }
        }
        for (key, present, what) in [
            (
                "database.hostname",
                builder.host.is_some(),
                "the host name or address of the PostgreSQL server",
            ),
            (
                "database.user",
                builder.user.is_some(),
                "the role pgcdc logs in as",
            ),
            (
                "database.dbname",
                builder.dbname.is_some(),
                "the database to capture changes from",
            ),
        ] {
            if !present {
                return Err(ConfigError::Missing {
                    key: key.to_owned(),
                    what,
                });
            }
        }
        Ok(builder.build())
    }

    /// Whether `host` names a Unix socket directory rather than a TCP host.
    pub fn is_unix_socket(&self) -> bool {
        self.hostaddr.is_none() && self.host.starts_with('/')
    }

    /// The redacted URL form (the same as `Display`), for logs and error messages.
    pub fn redacted(&self) -> String {
        self.to_string()
    }
}

fn decode_part(what: &str, part: &str) -> Result<String, ConfigError> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ConfigError::InvalidUrl {
            reason: format!("the {what} {part:?} is not valid UTF-8 once percent-decoded"),
        })
}

/// Splits a key/value connection string into its pairs, unquoting values.
fn split_key_value(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidKeyValue { reason };
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(bad(format!("missing \"=\" after {key:?}")));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(bad(format!("unterminated quoted value for {key:?}")));
                    }
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(bad(format!("unterminated quoted value for {key:?}")));
                        }
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashMap;

    use super::*;

    #[test]
    fn parses_a_full_url_with_percent_encoding() {
        let config = ConnectionConfig::parse(
            "postgresql://cdc%40corp:p%40ss%3Aw%2Fd@db.example.com:6543/my%20db?sslmode=verify-full&sslrootcert=%2Fetc%2Froot.crt&application_name=mine&connect_timeout=1",
        )
        .unwrap();
        assert_eq!(config.user, "cdc@corp");
        assert_eq!(config.password.as_deref(), Some("p@ss:w/d"));
        assert_eq!(config.host, "db.example.com");
        assert_eq!(config.port, 6543);
        assert_eq!(config.dbname, "my db");
        assert_eq!(config.sslmode, SslMode::VerifyFull);
        assert_eq!(config.sslrootcert, Some(PathBuf::from("/etc/root.crt")));
        assert_eq!(config.application_name, "mine");
        assert_eq!(config.connect_timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn url_defaults_and_ipv6() {
        let config = ConnectionConfig::parse("postgres://u@[::1]/").unwrap();
        assert_eq!(config.host, "::1");
        assert_eq!(config.port, 5432);
        assert_eq!(config.dbname, "u");
        assert_eq!(config.sslmode, SslMode::Prefer);
        assert_eq!(config.application_name, "pgcdc");
        assert!(config.keepalives);
        let config = ConnectionConfig::parse("postgres://u@[::1]:7000/d?ssl=true").unwrap();
        assert_eq!((config.port, config.sslmode), (7000, SslMode::Require));
        assert_eq!(
            config.to_string(),
            "postgres://u@[::1]:7000/d?sslmode=require"
        );
        let socket = ConnectionConfig::parse("postgres://u@%2Frun%2Fpg:5433/d").unwrap();
        assert_eq!(socket.host, "/run/pg");
        assert!(socket.is_unix_socket());
    }

    #[test]
    fn url_errors_name_the_key_and_value() {
        let error = ConnectionConfig::parse("postgres://u@h:99999/d").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value \"99999\" for port: expected a TCP port number, 1 to 65535"
        );
        let error = ConnectionConfig::parse("postgres://u@h/d?sslmode=strict").unwrap_err();
        assert!(
            error.to_string().contains("\"strict\" for sslmode"),
            "{error}"
        );
        assert!(error.to_string().contains("verify-full"), "{error}");
        let error = ConnectionConfig::parse("postgres://u@h/d?colour=blue").unwrap_err();
        assert!(matches!(error, ConfigError::UnknownKey { ref key } if key == "colour"));
        let error = ConnectionConfig::parse("postgres://u:secret@[::1/d").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        let error = ConnectionConfig::parse("postgres://u@a,b/d").unwrap_err();
        assert!(error.to_string().contains("several hosts"), "{error}");
    }

    #[test]
    fn parses_key_value_strings_with_quoting() {
        let config = ConnectionConfig::parse(
            r"host=10.0.0.5 port = 5433 dbname='my db' user=cdc password='a b\'c\\d' sslmode=require keepalives=0 options='-c statement_timeout=0'",
        )
        .unwrap();
        assert_eq!(config.host, "10.0.0.5");
        assert_eq!(config.port, 5433);
        assert_eq!(config.dbname, "my db");
        assert_eq!(config.user, "cdc");
        assert_eq!(config.password.as_deref(), Some(r"a b'c\d"));
        assert_eq!(config.sslmode, SslMode::Require);
        assert!(!config.keepalives);
        assert_eq!(config.options.as_deref(), Some("-c statement_timeout=0"));
        let config = ConnectionConfig::parse(r"host=h user=u password=x\ y").unwrap();
        assert_eq!(config.password.as_deref(), Some("x y"));
    }

    #[test]
    fn key_value_errors() {
        assert!(matches!(
            ConnectionConfig::parse("host=h password='open").unwrap_err(),
            ConfigError::InvalidKeyValue { .. }
        ));
        assert!(matches!(
            ConnectionConfig::parse("host h").unwrap_err(),
            ConfigError::InvalidKeyValue { .. }
        ));
        let error = ConnectionConfig::parse("host=h connect_timeout=soon").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value \"soon\" for connect_timeout: expected a whole number of seconds (0: no limit)"
        );
        let error = ConnectionConfig::parse("host=h client_encoding=LATIN1").unwrap_err();
        assert!(error.to_string().contains("UTF8"), "{error}");
    }

    #[test]
    fn reads_debezium_keys() {
        let properties: HashMap<String, String> = [
            (
                "connector.class",
                "io.debezium.connector.postgresql.PostgresConnector",
            ),
            ("database.hostname", "pg.internal"),
            ("database.user", "debezium"),
            ("database.password", "dbz"),
            ("database.dbname", "inventory"),
            ("database.sslmode", "verify-ca"),
            ("database.sslrootcert", "/certs/ca.pem"),
            ("database.tcpKeepAlive", "false"),
            ("database.connect.timeout.ms", "1500"),
            ("topic.prefix", "dbserver1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config = ConnectionConfig::from_debezium(&properties).unwrap();
        assert_eq!(config.host, "pg.internal");
        assert_eq!(config.port, 5432);
        assert_eq!(config.user, "debezium");
        assert_eq!(config.password.as_deref(), Some("dbz"));
        assert_eq!(config.dbname, "inventory");
        assert_eq!(config.sslmode, SslMode::VerifyCa);
        assert_eq!(config.sslrootcert, Some(PathBuf::from("/certs/ca.pem")));
        assert!(!config.keepalives);
        assert_eq!(config.connect_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            config.to_string(),
            "postgres://debezium@pg.internal:5432/inventory?sslmode=verify-ca"
        );
    }

    #[test]
    fn debezium_errors_name_the_key() {
        let base = [
            ("database.hostname", "h"),
            ("database.user", "u"),
            ("database.dbname", "d"),
        ];
        let with = |key: &'static str, value: &'static str| {
            ConnectionConfig::from_debezium(base.into_iter().chain([(key, value)]))
        };
        assert_eq!(
            with("database.port", "x").unwrap_err().to_string(),
            "invalid value \"x\" for database.port: expected a TCP port number, 1 to 65535"
        );
        let error = with("database.sslmode", "required").unwrap_err();
        assert!(error.to_string().starts_with("invalid value \"required\" for database.sslmode: expected one of disable, allow, prefer"), "{error}");
        let error = with("database.tcpKeepAlive", "maybe").unwrap_err();
        assert!(
            error.to_string().contains("database.tcpKeepAlive"),
            "{error}"
        );
        assert_eq!(with("database.port", "6000").unwrap().port, 6000);
        let error = ConnectionConfig::from_debezium([("database.hostname", "h")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "database.user is required: the role pgcdc logs in as"
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let config = ConnectionConfig::parse("postgres://u:hunter2@h/d").unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!config.to_string().contains("hunter2"));
        assert_eq!(config.redacted(), "postgres://u@h:5432/d?sslmode=prefer");
    }

    #[test]
    fn sslmode_names_round_trip() {
        for mode in SslMode::ALL {
            assert_eq!(mode.as_str().parse::<SslMode>().unwrap(), mode);
        }
        assert_eq!(
            "VERIFY-FULL".parse::<SslMode>().unwrap(),
            SslMode::VerifyFull
        );
        assert!("verify".parse::<SslMode>().is_err());
    }
}
