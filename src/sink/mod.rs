//! Sinks: where the change stream goes.
//!
//! A [`Sink`] takes events in stream order and says, when flushed, up to which [`Position`] it
//! has durably taken them; the pipeline's checkpoint confirms an LSN to the server only once
//! every sink has. A sink that keeps its own position ([`Sink::resume_position`]) is given only
//! the events after it when the stream is replayed after a restart, so it takes nothing twice.

pub mod file;
pub mod kafka;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use crate::change::{Event, Position};
use crate::record::EncodeError;

/// A future that resolves when a full sink may have room again (see [`Sink::room`]).
pub type RoomFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A destination of the change stream.
#[async_trait]
pub trait Sink: Send {
    /// A short description for logs and errors (`file:/tmp/out.jsonl`).
    fn describe(&self) -> String;

    /// Where an earlier run left off, when the sink keeps its own position.
    fn resume_position(&self) -> Option<Position> {
        None
    }

    /// Takes events, in stream order. The sink may buffer them until [`Sink::flush`].
    async fn write(&mut self, events: &[Event]) -> Result<(), SinkError>;

    /// Makes everything taken so far durable, and returns the position of the last change or
    /// commit taken (`None` when nothing was ever written). A Begin is not acknowledged: it
    /// shares its position with the transaction's first change.
    async fn flush(&mut self) -> Result<Option<Position>, SinkError>;

    /// Like [`Sink::flush`], at the end of a run: waits until everything taken is durable (a
    /// sink that delivers in the background waits for its deliveries, within its own limit).
    async fn finish(&mut self) -> Result<Option<Position>, SinkError> {
        self.flush().await
    }

    /// Whether the sink can take no more for now (it holds as much undelivered data as it may,
    /// or waits for something before it can deliver): the pipeline then stops reading the
    /// stream (still answering the server) until [`Sink::room`] resolves.
    fn is_full(&self) -> bool {
        false
    }

    /// Resolves when something changed that may have made room (it may resolve early: the
    /// pipeline asks [`Sink::is_full`] again, and flushes to collect acknowledgements and errors).
    fn room(&self) -> RoomFuture {
        Box::pin(std::future::ready(()))
    }
}

/// A sink failure.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing failed.
    #[error("{sink}: {action}: {source}")]
    Io {
        /// The sink.
        sink: String,
        /// What was being done.
        action: &'static str,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// An event could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A sink cannot go on: the audit store's database or Kafka's brokers failed (the reason
    /// says what went wrong and what to do).
    #[error("{sink}: {reason}")]
    Store {
        /// The sink.
        sink: String,
        /// What went wrong.
        reason: String,
    },
    /// The sink's saved position cannot be read.
    #[error("{sink}: the position file {path} is damaged ({reason}); remove it to start over")]
    BadPositionFile {
        /// The sink.
        sink: String,
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where `--sink` sends the changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    /// Standard output or a file.
    File(file::Target),
    /// The audit store: at the URL given, or at `pgcdc.audit.url`.
    Audit(Option<String>),
    /// Kafka; the brokers from `--sink kafka:HOSTS` or the properties.
    Kafka {
        /// `HOSTS` of `kafka:HOSTS`.
        bootstrap: Option<String>,
    },
}

/// Parses a `--sink` argument: `stdout`, `file:PATH`, `audit`, `audit:URL`, `kafka` or
/// `kafka:HOST:PORT[,...]`.
pub fn parse_target(text: &str) -> Result<SinkTarget, String> {
    match text {
        "stdout" | "-" => Ok(SinkTarget::File(file::Target::Stdout)),
        "audit" => Ok(SinkTarget::Audit(None)),
        "kafka" => Ok(SinkTarget::Kafka { bootstrap: None }),
        _ => {
            if let Some(hosts) = text.strip_prefix("kafka:").filter(|h| !h.is_empty()) {
                return Ok(SinkTarget::Kafka {
                    bootstrap: Some(hosts.to_owned()),
                });
            }
            match (text.strip_prefix("file:"), text.strip_prefix("audit:")) {
                (Some(path), _) if !path.is_empty() => {
                    Ok(SinkTarget::File(file::Target::File(path.into())))
                }
                (_, Some(url)) if !url.is_empty() => Ok(SinkTarget::Audit(Some(url.to_owned()))),
                _ => Err(format!(
                    "unknown sink {text:?}: use stdout, file:PATH (for example file:/tmp/changes.jsonl), audit / audit:postgres://user@host/audit (the audit store), kafka (brokers from kafka.bootstrap.servers) or kafka:HOST:9092"
                )),
            }
        }
    }
}
