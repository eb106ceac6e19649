//! The errors of connecting, querying and streaming: each says in one line what is wrong and
//! what to do about it; errors the server sent keep its severity, SQLSTATE, message, detail and
//! hint.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::config::connection::SslMode;
use crate::sql::quote_ident;

/// An error or notice as the server sent it (ErrorResponse / NoticeResponse fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    /// `ERROR`, `FATAL`, `PANIC`, `WARNING`, `NOTICE`, ... (never localized when the server
    /// says it both ways).
    pub severity: String,
    /// The SQLSTATE code, e.g. `28P01`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The optional detail.
    pub detail: Option<String>,
    /// The optional hint.
    pub hint: Option<String>,
    /// Where the error happened (the context lines), if the server said.
    pub context: Option<String>,
}

impl ServerError {
    /// Whether this is a FATAL or PANIC error, after which the server closes the connection.
    pub fn is_fatal(&self) -> bool {
        matches!(self.severity.as_str(), "FATAL" | "PANIC")
    }

    /// Builds one from a `tokio_postgres` server error.
    pub fn from_db_error(error: &tokio_postgres::error::DbError) -> Self {
        Self {
            severity: error
                .parsed_severity()
                .map(|severity| severity.to_string())
                .unwrap_or_else(|| error.severity().to_owned()),
            code: error.code().code().to_owned(),
            message: error.message().to_owned(),
            detail: error.detail().map(str::to_owned),
            hint: error.hint().map(str::to_owned),
            context: error.where_().map(str::to_owned),
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The host name does not resolve.
    #[error("cannot resolve host {host:?}: {source}; is the host name right?")]
    Resolve {
        /// The host name.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// The TCP (or Unix socket) connection failed.
    #[error(
        "cannot connect to {addr}: {reason}; is PostgreSQL running there, and is the host/port right?",
        reason = describe_io(source)
    )]
    Connect {
        /// The address tried (`host:port` or the socket path).
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The connection, TLS handshake or authentication took longer than `connect_timeout`.
    #[error(
        "timed out after {after:?} connecting to {addr}; is the host reachable (firewall?), or raise connect_timeout / database.connect.timeout.ms"
    )]
    Timeout {
        /// The address connected to.
        addr: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The server answered the TLS request with "no".
    #[error(
        "the server does not support TLS but sslmode={sslmode}: turn ssl on in postgresql.conf, or use sslmode=prefer or disable"
    )]
    TlsNotSupported {
        /// The mode that needs TLS.
        sslmode: SslMode,
    },
    /// The TLS settings cannot be used (unreadable or invalid certificate and key files).
    #[error("cannot set up TLS: {reason}")]
    TlsSetup {
        /// What is wrong, naming the file and the setting.
        reason: String,
    },
    /// The server certificate did not pass verification.
    #[error("certificate verify failed: {reason}")]
    CertificateVerify {
        /// Why, in words.
        reason: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("TLS handshake with {addr} failed: {reason}")]
    TlsHandshake {
        /// The address connected to.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The server asks for a password and none is configured.
    #[error(
        "the server asks for a password for user \"{user}\" but none is configured (set database.password or the URL's password)"
    )]
    PasswordMissing {
        /// The role.
        user: String,
    },
    /// Wrong password (or a role that does not exist, which the server reports the same way).
    #[error(
        "password authentication failed for user \"{user}\" (check database.password / the URL's password)"
    )]
    PasswordFailed {
        /// The role.
        user: String,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// No `pg_hba.conf` line lets this connection in.
    #[error("{}", hba_advice(user, dbname, *replication))]
    HbaRejected {
        /// The role.
        user: String,
        /// The database.
        dbname: String,
        /// Whether this was a replication connection.
        replication: bool,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// The role may log in but not open a replication connection.
    #[error(
        "user \"{user}\" lacks the REPLICATION attribute: ALTER ROLE {} REPLICATION",
        quote_ident(user)
    )]
    NotReplicationRole {
        /// The role.
        user: String,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// The database does not exist.
    #[error(
        "database \"{dbname}\" does not exist (check database.dbname / the URL's database name)"
    )]
    DatabaseMissing {
        /// The database.
        dbname: String,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// The role does not exist.
    #[error("role \"{user}\" does not exist (check database.user / the URL's user name)")]
    RoleMissing {
        /// The role.
        user: String,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// The server asks for an authentication method pgcdc does not implement.
    #[error(
        "the server asks for {method} authentication, which pgcdc does not support: use scram-sha-256, md5, password or trust for this user in pg_hba.conf"
    )]
    UnsupportedAuth {
        /// The method's name.
        method: String,
    },
    /// The server refused the connection with another error.
    #[error("the server refused the connection: {0}")]
    Server(#[source] Box<ServerError>),
    /// The server closed the connection before it was ready.
    #[error("the server closed the connection during start-up; see the server log")]
    Closed,
    /// An I/O error after the connection was made.
    #[error("connection to {addr} lost during start-up: {source}")]
    Io {
        /// The address connected to.
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The server sent something that is not the PostgreSQL protocol as pgcdc knows it.
    #[error(
        "protocol error during start-up: {0}; is this a PostgreSQL server (or a proxy that speaks its protocol)?"
    )]
    Protocol(String),
}

fn hba_advice(user: &str, dbname: &str, replication: bool) -> String {
    if replication {
        format!(
            "the server does not allow replication connections for user \"{user}\" to database \"{dbname}\" from this host: add a matching \"host {dbname} {user} <address> scram-sha-256\" line to pg_hba.conf (logical replication connections match the database name, not \"replication\") and reload"
        )
    } else {
        format!(
            "the server does not allow connections for user \"{user}\" to database \"{dbname}\" from this host: add a matching \"host {dbname} {user} <address> scram-sha-256\" line to pg_hba.conf and reload"
        )
    }
}

/// An I/O error in words, without the OS error number.
fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::TimedOut => "timed out".to_owned(),
        io::ErrorKind::NotFound => "no such socket file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::AddrNotAvailable => "address not available".to_owned(),
        io::ErrorKind::HostUnreachable => "host unreachable".to_owned(),
        io::ErrorKind::NetworkUnreachable => "network unreachable".to_owned(),
        _ => error.to_string(),
    }
}

impl ConnectError {
    /// Turns an error the server sent during start-up into the matching variant.
    pub(crate) fn from_server(
        server: Box<ServerError>,
        user: &str,
        dbname: &str,
        replication: bool,
    ) -> Self {
        let user = user.to_owned();
        match server.code.as_str() {
            "28P01" => ConnectError::PasswordFailed { user, server },
            "28000" if server.message.contains("pg_hba.conf") => ConnectError::HbaRejected {
                user,
                dbname: dbname.to_owned(),
                replication,
                server,
            },
            "28000" if server.message.contains("does not exist") => {
                ConnectError::RoleMissing { user, server }
            }
            "3D000" => ConnectError::DatabaseMissing {
                dbname: dbname.to_owned(),
                server,
            },
            "42501"
                if replication
                    && (server.message.contains("WAL sender")
                        || server.message.contains("walsender")) =>
            {
                ConnectError::NotReplicationRole { user, server }
            }
            _ => ConnectError::Server(server),
        }
    }

    /// The error the server sent, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            ConnectError::PasswordFailed { server, .. }
            | ConnectError::HbaRejected { server, .. }
            | ConnectError::NotReplicationRole { server, .. }
            | ConnectError::DatabaseMissing { server, .. }
            | ConnectError::RoleMissing { server, .. }
            | ConnectError::Server(server) => Some(server),
            _ => None,
        }
    }
}

/// Why a query or replication command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The server answered with an error.
    #[error("{0}")]
    Server(#[source] Box<ServerError>),
    /// `START_REPLICATION` names a slot that does not exist.
    #[error(
        "replication slot \"{slot}\" does not exist: create it with pgcdc slot create or let pgcdc run create it"
    )]
    SlotMissing {
        /// The slot.
        slot: String,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// Another connection is reading the slot.
    #[error("{}", slot_active(slot, *pid))]
    SlotActive {
        /// The slot.
        slot: String,
        /// The process reading it, if the server said.
        pid: Option<u32>,
        /// What the server said.
        #[source]
        server: Box<ServerError>,
    },
    /// The answer does not have the expected shape.
    #[error("unexpected answer to {command}: {reason}")]
    Unexpected {
        /// The command sent.
        command: String,
        /// What was wrong.
        reason: String,
    },
    /// The connection failed.
    #[error(transparent)]
    Connection(#[from] WireError),
}

fn slot_active(slot: &str, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(
            "replication slot \"{slot}\" is active for PID {pid}: another consumer is reading it; stop it, or wait for it to exit"
        ),
        None => format!(
            "replication slot \"{slot}\" is active: another consumer is reading it; stop it, or wait for it to exit"
        ),
    }
}

impl QueryError {
    /// Turns a server error answering `START_REPLICATION` on `slot` into the matching variant.
    pub(crate) fn from_replication_error(server: Box<ServerError>, slot: &str) -> Self {
        let slot = slot.to_owned();
        match server.code.as_str() {
            "42704" if server.message.contains("replication slot") => {
                QueryError::SlotMissing { slot, server }
            }
            "55006" => {
                let pid = server
                    .message
                    .split_once("PID ")
                    .map(|(_, rest)| {
                        rest.chars()
                            .take_while(char::is_ascii_digit)
                            .collect::<String>()
                    })
                    .and_then(|digits| digits.parse().ok());
                QueryError::SlotActive { slot, pid, server }
            }
            _ => QueryError::Server(server),
        }
    }

    /// The error the server sent, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            QueryError::Server(server)
            | QueryError::SlotMissing { server, .. }
            | QueryError::SlotActive { server, .. } => Some(server),
            QueryError::Connection(WireError::Server(server)) => Some(server),
            _ => None,
        }
    }
}

/// A failure of the connection itself, after start-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Reading or writing the socket failed.
    #[error("connection to the server lost: {0}")]
    Io(#[from] io::Error),
    /// The server closed the connection without saying why.
    #[error("the server closed the connection without an error message; see the server log")]
    Closed,
    /// The server sent an error and ended the session (FATAL, or an error where none fits).
    #[error("the server ended the session: {0}")]
    Server(Box<ServerError>),
    /// The server sent bytes that are not a valid message here.
    #[error("protocol error: {0}")]
    Protocol(String),
}

/// Why reading or writing the replication stream failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The server ended replication with an error (the walsender was terminated, the slot was
    /// dropped, the server shuts down, ...).
    #[error("replication stopped with a server error: {0}")]
    Server(#[source] Box<ServerError>),
    /// The connection failed.
    #[error(transparent)]
    Connection(#[from] WireError),
    /// A frame was sent after the stream had ended.
    #[error("the replication stream has already ended")]
    Ended,
}

impl StreamError {
    /// The error the server sent, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            StreamError::Server(server) | StreamError::Connection(WireError::Server(server)) => {
                Some(server)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn server(code: &str, message: &str) -> Box<ServerError> {
        Box::new(ServerError {
            severity: "FATAL".into(),
            code: code.into(),
            message: message.into(),
            ..ServerError::default()
        })
    }

    #[test]
    fn start_up_errors_are_classified() {
        let error = ConnectError::from_server(
            server("28P01", "password authentication failed for user \"x\""),
            "x",
            "d",
            true,
        );
        assert_eq!(
            error.to_string(),
            "password authentication failed for user \"x\" (check database.password / the URL's password)"
        );
        let error = ConnectError::from_server(
            server("42501", "permission denied to start WAL sender"),
            "Cdc",
            "d",
            true,
        );
        assert_eq!(
            error.to_string(),
            "user \"Cdc\" lacks the REPLICATION attribute: ALTER ROLE \"Cdc\" REPLICATION"
        );
        let error = ConnectError::from_server(
            server("28000", "no pg_hba.conf entry for replication connection"),
            "x",
            "d",
            true,
        );
        assert!(error.to_string().contains("pg_hba.conf"), "{error}");
        let error = ConnectError::from_server(server("3D000", "..."), "x", "d", true);
        assert_eq!(
            error.to_string(),
            "database \"d\" does not exist (check database.dbname / the URL's database name)"
        );
        let error = ConnectError::from_server(server("53300", "too many clients"), "x", "d", true);
        assert_eq!(
            error.to_string(),
            "the server refused the connection: FATAL 53300: too many clients"
        );
    }

    #[test]
    fn slot_errors_are_classified() {
        let error = QueryError::from_replication_error(
            server("55006", "replication slot \"s\" is active for PID 4242"),
            "s",
        );
        assert!(matches!(
            error,
            QueryError::SlotActive {
                pid: Some(4242),
                ..
            }
        ));
        assert!(
            error
                .to_string()
                .starts_with("replication slot \"s\" is active for PID 4242")
        );
        let error = QueryError::from_replication_error(
            server("42704", "replication slot \"s\" does not exist"),
            "s",
        );
        assert!(matches!(error, QueryError::SlotMissing { .. }));
    }

    #[test]
    fn server_errors_show_every_field() {
        let error = ServerError {
            severity: "ERROR".into(),
            code: "42P01".into(),
            message: "relation \"t\" does not exist".into(),
            detail: Some("d".into()),
            hint: Some("h".into()),
            context: None,
        };
        assert_eq!(
            error.to_string(),
            "ERROR 42P01: relation \"t\" does not exist; detail: d; hint: h"
        );
    }
}
