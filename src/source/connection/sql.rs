//! Ordinary SQL connections through [`tokio_postgres`], with the same settings, TLS rules and
//! errors as the replication connection.

use std::error::Error as _;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixStream;
use tokio::task::JoinHandle;

use super::error::{ConnectError, ServerError};
use super::startup::{self, SESSION_SETTINGS, display_addr, within_connect_timeout};
use super::tls::{self, PgTlsConnect, TlsSetup};
use crate::config::connection::{ConnectionConfig, SslMode};

/// The task that drives a [`tokio_postgres::Client`]'s connection; it ends when the client is
/// dropped, or with the error that ended the connection.
pub type SqlConnectionTask = JoinHandle<Result<(), tokio_postgres::Error>>;

/// Opens an ordinary SQL connection with the settings, TLS behaviour and timeout of `config`.
///
/// The connection runs on a spawned task, returned so that callers can notice its end.
pub async fn connect_sql(
    config: &ConnectionConfig,
) -> Result<(tokio_postgres::Client, SqlConnectionTask), ConnectError> {
    within_connect_timeout(config, connect_untimed(config)).await
}

async fn connect_untimed(
    config: &ConnectionConfig,
) -> Result<(tokio_postgres::Client, SqlConnectionTask), ConnectError> {
    if config.is_unix_socket() {
        return connect_once(config, None, tokio_postgres::config::SslMode::Disable).await;
    }
    let setup = tls::setup(config)?;
    let Some(setup) = setup else {
        return connect_once(config, None, tokio_postgres::config::SslMode::Disable).await;
    };
    use tokio_postgres::config::SslMode as Pg;
    let (first, retry) = match config.sslmode {
        SslMode::Disable => (Pg::Disable, None),
        // Plaintext first; TLS when the server refuses plaintext.
        SslMode::Allow => (Pg::Disable, Some(Pg::Require)),
        // TLS if supported; plaintext when the server refuses the TLS connection.
        SslMode::Prefer => (Pg::Prefer, Some(Pg::Disable)),
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => (Pg::Require, None),
    };
    match (connect_once(config, Some(&setup), first).await, retry) {
        (Err(error @ ConnectError::HbaRejected { .. }), Some(retry)) => {
            tracing::debug!(%error, "connection refused, retrying with the other encryption");
            connect_once(config, Some(&setup), retry)
                .await
                .map_err(|second| match second {
                    ConnectError::HbaRejected { .. } => error,
                    second => second,
                })
        }
        (result, _) => result,
    }
}

/// The `tokio_postgres` configuration of `config`, for one TLS mode.
fn pg_config(
    config: &ConnectionConfig,
    ssl_mode: tokio_postgres::config::SslMode,
) -> tokio_postgres::Config {
    let mut pg = tokio_postgres::Config::new();
    pg.user(&config.user)
        .dbname(&config.dbname)
        .application_name(&config.application_name)
        .ssl_mode(ssl_mode);
    if let Some(password) = &config.password {
        pg.password(password);
    }
    // The session settings come after the user's own options, so they win, as in the
    // replication connection's startup message.
    let mut options = config.options.clone().unwrap_or_default();
    for (name, value) in SESSION_SETTINGS {
        if name != "client_encoding" {
            options.push_str(&format!(" -c {name}={value}"));
        }
    }
    pg.options(options.trim_start());
    pg
}

async fn connect_once(
    config: &ConnectionConfig,
    setup: Option<&TlsSetup>,
    ssl_mode: tokio_postgres::config::SslMode,
) -> Result<(tokio_postgres::Client, SqlConnectionTask), ConnectError> {
    let pg = pg_config(config, ssl_mode);
    let addr = display_addr(config);
    if config.is_unix_socket() {
        let path = format!(
            "{}/.s.PGSQL.{}",
            config.host.trim_end_matches('/'),
            config.port
        );
        let stream = UnixStream::connect(&path)
            .await
            .map_err(|source| ConnectError::Connect {
                addr: path.clone(),
                source,
            })?;
        return finish(
            config,
            setup,
            &addr,
            pg.connect_raw(stream, tokio_postgres::NoTls).await,
        );
    }
    let stream = startup::connect_tcp(config, &addr).await?;
    match setup {
        Some(setup) => {
            let result = pg.connect_raw(stream, PgTlsConnect(setup.clone())).await;
            finish(config, Some(setup), &addr, result)
        }
        None => finish(
            config,
            None,
            &addr,
            pg.connect_raw(stream, tokio_postgres::NoTls).await,
        ),
    }
}

fn finish<S, T>(
    config: &ConnectionConfig,
    setup: Option<&TlsSetup>,
    addr: &str,
    result: Result<
        (tokio_postgres::Client, tokio_postgres::Connection<S, T>),
        tokio_postgres::Error,
    >,
) -> Result<(tokio_postgres::Client, SqlConnectionTask), ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match result {
        Ok((client, connection)) => {
            tracing::debug!(addr, "SQL connection ready");
            Ok((client, tokio::spawn(connection)))
        }
        Err(error) => Err(map_error(config, setup, addr, &error)),
    }
}

/// Gives a `tokio_postgres` connection error the same meaning as the replication
/// connection's.
fn map_error(
    config: &ConnectionConfig,
    setup: Option<&TlsSetup>,
    addr: &str,
    error: &tokio_postgres::Error,
) -> ConnectError {
    if let Some(db) = error.as_db_error() {
        return ConnectError::from_server(
            Box::new(ServerError::from_db_error(db)),
            &config.user,
            &config.dbname,
            false,
        );
    }
    let text = crate::sql::describe(error);
    if text.contains("does not support TLS") {
        return ConnectError::TlsNotSupported {
            sslmode: config.sslmode,
        };
    }
    if text.contains("password missing") {
        return ConnectError::PasswordMissing {
            user: config.user.clone(),
        };
    }
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io_error) = cause.downcast_ref::<io::Error>() {
            if let (Some(setup), Some(_)) = (
                setup,
                io_error
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
            ) {
                return tls::handshake_error(io_error, setup, addr);
            }
            return ConnectError::Io {
                addr: addr.to_owned(),
                source: io::Error::new(io_error.kind(), io_error.to_string()),
            };
        }
        source = cause.source();
    }
    if error.is_closed() {
        return ConnectError::Closed;
    }
    ConnectError::Protocol(crate::sql::describe(error))
}
