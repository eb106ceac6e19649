//! The commands of the `pgcdc` binary, as library functions: `run`, `replay`, `capture`,
//! `slot` and `check`. The binary only parses arguments and calls these.

pub mod audit;
pub mod capture;
pub mod check;
pub mod run;
pub mod slot;

use pgoutput::Lsn;
use tokio_util::sync::CancellationToken;

use crate::config::load::LoadError;
use crate::pipeline::run::RunError;
use crate::sink::SinkError;
use crate::source::connection::ConnectError;
use crate::sql::PgError;

/// Why a command failed. Each says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] LoadError),
    /// Streaming failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A sink cannot be opened.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The database cannot be reached.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A statement failed.
    #[error("{context}: {source}")]
    Sql {
        /// What was being done.
        context: String,
        /// What the server said.
        #[source]
        source: PgError,
    },
    /// An argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// `pgcdc check` found problems.
    #[error("{0} problem(s) found; fix them and run pgcdc check again")]
    CheckFailed(usize),
    /// The Debezium output settings are wrong.
    #[error(transparent)]
    Debezium(#[from] crate::debezium::config::ConfigError),
    /// The audit store failed.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The HTTP server failed.
    #[error(transparent)]
    Http(#[from] crate::http::HttpError),
    /// Capturing failed.
    #[error(transparent)]
    Capture(#[from] capture::CaptureError),
}

/// Parses an LSN argument (`16/B374D848`).
pub fn parse_lsn(text: &str) -> Result<Lsn, String> {
    text.parse::<Lsn>().map_err(|error| {
        format!(
            "{text:?} is not an LSN ({error}); write it as PostgreSQL prints it, e.g. 0/16B3748"
        )
    })
}

/// A token cancelled on SIGTERM or SIGINT (a second signal exits at once).
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping gracefully"),
            _ = int.recv() => tracing::info!("SIGINT: stopping gracefully (again to stop at once)"),
        }
        cancel.cancel();
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::warn!("second signal: stopping at once");
        std::process::exit(130);
    });
    token
}
