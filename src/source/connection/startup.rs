//! Opening a replication connection: TCP (or Unix socket), the TLS request as `sslmode` says,
//! the startup message, authentication, and the parameters the server reports until it is ready
//! for queries.

use std::collections::HashMap;
use std::net::SocketAddr;

use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use super::auth;
use super::codec::Backend;
use super::error::{ConnectError, ServerError, WireError};
use super::tls::{self, TlsSetup};
use super::transport::{Socket, Transport};
use crate::config::connection::{ConnectionConfig, SslMode};

/// The settings that fix the text form of values the server sends, and so the form pgcdc
/// parses. They are startup parameters, so they hold for the whole session, also in a
/// walsender (a logical replication connection runs them like a normal backend).
pub(crate) const SESSION_SETTINGS: [(&str, &str); 5] = [
    ("client_encoding", "UTF8"),
    ("DateStyle", "ISO"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "3"),
    ("TimeZone", "UTC"),
];

/// The parameters of the startup message.
pub(crate) fn startup_parameters(
    config: &ConnectionConfig,
    replication: bool,
) -> Vec<(&'static str, &str)> {
    let mut parameters = vec![
        ("user", config.user.as_str()),
        ("database", config.dbname.as_str()),
        ("application_name", config.application_name.as_str()),
    ];
    if replication {
        parameters.push(("replication", "database"));
    }
    if let Some(options) = &config.options {
        parameters.push(("options", options.as_str()));
    }
    parameters.extend(SESSION_SETTINGS);
    parameters
}

/// One attempt at connecting: the configuration and what errors need to name.
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    pub(crate) config: &'a ConnectionConfig,
    pub(crate) addr: String,
    pub(crate) replication: bool,
}

impl Attempt<'_> {
    /// Maps a server error during start-up.
    pub(crate) fn server(&self, server: Box<ServerError>) -> ConnectError {
        ConnectError::from_server(
            server,
            &self.config.user,
            &self.config.dbname,
            self.replication,
        )
    }

    /// Maps a connection failure during start-up.
    pub(crate) fn wire(&self, error: WireError) -> ConnectError {
        match error {
            WireError::Io(source) => ConnectError::Io {
                addr: self.addr.clone(),
                source,
            },
            WireError::Closed => ConnectError::Closed,
            WireError::Server(server) => self.server(server),
            WireError::Protocol(reason) => ConnectError::Protocol(reason),
        }
    }
}

/// A connection that finished start-up and is ready for queries.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) transport: Transport,
    pub(crate) parameters: HashMap<String, String>,
    pub(crate) process_id: Option<i32>,
}

/// Whether to encrypt one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encryption {
    Plain,
    /// TLS if the server supports it.
    Preferred,
    Required,
}

/// The address as shown in errors: `host:port`, `[v6]:port` or the socket path.
pub(crate) fn display_addr(config: &ConnectionConfig) -> String {
    if config.is_unix_socket() {
        return socket_path(config);
    }
    let host = config
        .hostaddr
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| config.host.clone());
    if host.contains(':') {
        format!("[{host}]:{}", config.port)
    } else {
        format!("{host}:{}", config.port)
    }
}

fn socket_path(config: &ConnectionConfig) -> String {
    format!(
        "{}/.s.PGSQL.{}",
        config.host.trim_end_matches('/'),
        config.port
    )
}

/// Opens a session: a replication connection if `replication`, as `sslmode` asks, within
/// `connect_timeout`.
pub(crate) async fn open(
    config: &ConnectionConfig,
    replication: bool,
) -> Result<Session, ConnectError> {
    within_connect_timeout(config, open_untimed(config, replication)).await
}

/// Runs `work` (connecting, TLS, authentication) within `config.connect_timeout`, if any.
pub(crate) async fn within_connect_timeout<T>(
    config: &ConnectionConfig,
    work: impl std::future::Future<Output = Result<T, ConnectError>>,
) -> Result<T, ConnectError> {
    match config.connect_timeout {
        Some(limit) => {
            tokio::time::timeout(limit, work)
                .await
                .map_err(|_| ConnectError::Timeout {
                    addr: display_addr(config),
                    after: limit,
                })?
        }
        None => work.await,
    }
}

async fn open_untimed(
    config: &ConnectionConfig,
    replication: bool,
) -> Result<Session, ConnectError> {
    let setup = if config.is_unix_socket() {
        // As libpq: no TLS over Unix sockets, whatever sslmode says.
        None
    } else {
        tls::setup(config)?
    };
    let attempt = Attempt {
        config,
        addr: display_addr(config),
        replication,
    };
    let setup = setup.as_ref();
    match (config.sslmode, setup) {
        (_, None) | (SslMode::Disable, _) => open_once(&attempt, None, Encryption::Plain).await,
        (SslMode::Allow, Some(setup)) => {
            // Plaintext first; TLS only when the server refuses plaintext (hostssl lines).
            match open_once(&attempt, Some(setup), Encryption::Plain).await {
                Err(first @ ConnectError::HbaRejected { .. }) => {
                    tracing::debug!(error = %first, "plaintext refused, retrying with TLS");
                    open_once(&attempt, Some(setup), Encryption::Required)
                        .await
                        .map_err(|second| pick(first, second))
                }
                other => other,
            }
        }
        (SslMode::Prefer, Some(setup)) => {
            match open_once(&attempt, Some(setup), Encryption::Preferred).await {
                // The server refused the TLS connection (hostnossl lines): retry without.
                Err(first @ ConnectError::HbaRejected { .. }) => {
                    tracing::debug!(error = %first, "TLS connection refused, retrying without TLS");
                    open_once(&attempt, Some(setup), Encryption::Plain)
                        .await
                        .map_err(|second| pick(first, second))
                }
                other => other,
            }
        }
        (_, Some(setup)) => open_once(&attempt, Some(setup), Encryption::Required).await,
    }
}

/// The error to report when a retry failed too: the retry's, unless it is only the same
/// refusal.
fn pick(first: ConnectError, second: ConnectError) -> ConnectError {
    match second {
        ConnectError::HbaRejected { .. } => first,
        second => second,
    }
}

async fn open_once(
    attempt: &Attempt<'_>,
    setup: Option<&TlsSetup>,
    encryption: Encryption,
) -> Result<Session, ConnectError> {
    let config = attempt.config;
    let socket = if config.is_unix_socket() {
        let path = socket_path(config);
        tracing::debug!(path, "connecting over a Unix socket");
        let stream = UnixStream::connect(&path)
            .await
            .map_err(|source| ConnectError::Connect {
                addr: path.clone(),
                source,
            })?;
        Socket::Unix(stream)
    } else {
        let tcp = connect_tcp(config, &attempt.addr).await?;
        match (encryption, setup) {
            (Encryption::Plain, _) | (_, None) => Socket::Tcp(tcp),
            (_, Some(setup)) => negotiate_tls(tcp, setup, encryption, attempt).await?,
        }
    };
    tracing::debug!(tls = socket.is_tls(), addr = attempt.addr, "connected");
    let mut transport = Transport::new(socket);
    frontend::startup_message(
        startup_parameters(config, attempt.replication),
        transport.out(),
    )
    .map_err(|e| ConnectError::Protocol(format!("cannot build the startup message: {e}")))?;
    transport.flush().await.map_err(|e| attempt.wire(e))?;
    auth::authenticate(&mut transport, attempt).await?;

    let mut parameters = HashMap::new();
    let mut process_id = None;
    loop {
        match transport.next().await.map_err(|e| attempt.wire(e))? {
            Backend::ParameterStatus { name, value } => {
                parameters.insert(name, value);
            }
            Backend::KeyData { process_id: pid } => process_id = Some(pid),
            Backend::Notice(notice) => tracing::debug!(%notice, "notice during start-up"),
            Backend::ReadyForQuery => break,
            Backend::Error(server) => return Err(attempt.server(server)),
            other => {
                return Err(ConnectError::Protocol(format!(
                    "unexpected message during start-up: {other:?}"
                )));
            }
        }
    }
    tracing::debug!(
        process_id,
        server_version = parameters.get("server_version").map(String::as_str),
        "ready"
    );
    Ok(Session {
        transport,
        parameters,
        process_id,
    })
}

/// Resolves the host and connects to the first address that answers.
pub(crate) async fn connect_tcp(
    config: &ConnectionConfig,
    addr: &str,
) -> Result<TcpStream, ConnectError> {
    let addresses: Vec<SocketAddr> = match config.hostaddr {
        Some(ip) => vec![SocketAddr::new(ip, config.port)],
        None => tokio::net::lookup_host((config.host.as_str(), config.port))
            .await
            .map_err(|source| ConnectError::Resolve {
                host: config.host.clone(),
                source,
            })?
            .collect(),
    };
    let mut last = None;
    for address in addresses {
        tracing::debug!(%address, "connecting");
        match TcpStream::connect(address).await {
            Ok(stream) => {
                // Latency matters more than packet count: status updates are tiny.
                let _ = stream.set_nodelay(true);
                if config.keepalives {
                    let mut keepalive = socket2::TcpKeepalive::new();
                    if let Some(idle) = config.keepalives_idle {
                        keepalive = keepalive.with_time(idle);
                    }
                    if let Err(error) =
                        socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)
                    {
                        tracing::debug!(%error, "cannot turn TCP keepalives on");
                    }
                }
                return Ok(stream);
            }
            Err(source) => last = Some(source),
        }
    }
    Err(ConnectError::Connect {
        addr: addr.to_owned(),
        source: last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
        }),
    })
}

/// Sends SSLRequest and, if the server agrees, makes the TLS handshake.
async fn negotiate_tls(
    mut tcp: TcpStream,
    setup: &TlsSetup,
    encryption: Encryption,
    attempt: &Attempt<'_>,
) -> Result<Socket, ConnectError> {
    let io_error = |source| ConnectError::Io {
        addr: attempt.addr.clone(),
        source,
    };
    let mut request = bytes::BytesMut::with_capacity(8);
    frontend::ssl_request(&mut request);
    tcp.write_all(&request).await.map_err(io_error)?;
    // Exactly one byte: anything after it would be the TLS handshake, or an injection.
    let answer = tcp.read_u8().await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            ConnectError::Closed
        } else {
            io_error(source)
        }
    })?;
    match answer {
        b'S' => {
            tracing::debug!("the server accepts TLS");
            let connector = tokio_rustls::TlsConnector::from(setup.config.clone());
            let tls = connector
                .connect(setup.server_name.clone(), tcp)
                .await
                .map_err(|error| tls::handshake_error(&error, setup, &attempt.addr))?;
            Ok(Socket::Tls(Box::new(tls)))
        }
        b'N' if encryption == Encryption::Preferred => {
            tracing::debug!("the server does not support TLS; continuing without");
            Ok(Socket::Tcp(tcp))
        }
        b'N' => Err(ConnectError::TlsNotSupported {
            sslmode: attempt.config.sslmode,
        }),
        b'E' => Err(ConnectError::Protocol(
            "the server answered the TLS request with an error: it is older than PostgreSQL 7.0 or not PostgreSQL".to_owned(),
        )),
        other => Err(ConnectError::Protocol(format!(
            "unexpected answer 0x{other:02x} to the TLS request"
        ))),
    }
}
