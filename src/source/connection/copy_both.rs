//! The CopyBoth phase after `START_REPLICATION`: frames from the server, status updates to it.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use pgoutput::StandbyStatusUpdate;
use postgres_protocol::message::frontend;

use super::codec::{self, Backend};
use super::error::{StreamError, WireError};
use super::transport::Transport;

/// Where the copy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Both sides stream.
    Streaming,
    /// The server sent CopyDone (or ended the command): no more frames will come.
    ServerDone,
}

/// A logical replication stream: the connection after `START_REPLICATION`, in CopyBoth mode.
///
/// Read it with [`ReplicationStream::next_frame`]; answer keepalives and report progress with
/// [`ReplicationStream::send_status`]; end it with [`ReplicationStream::finish`].
#[derive(Debug)]
pub struct ReplicationStream {
    transport: Transport,
    parameters: HashMap<String, String>,
    state: State,
    /// Whether CopyDone was sent.
    client_done: bool,
    /// Whether ReadyForQuery was read: the command is over.
    ready: bool,
    scratch: BytesMut,
}

impl ReplicationStream {
    pub(crate) fn new(transport: Transport, parameters: HashMap<String, String>) -> Self {
        Self {
            transport,
            parameters,
            state: State::Streaming,
            client_done: false,
            ready: false,
            scratch: BytesMut::with_capacity(64),
        }
    }

    /// The next CopyData payload from the server: an XLogData (`w`) or keepalive (`k`) frame,
    /// for [`pgoutput::ReplicationMessage::decode`]. The bytes are a slice of the connection's
    /// read buffer, not a copy.
    ///
    /// `Ok(None)` once the server has ended the copy (CopyDone). A server error (the walsender
    /// terminated, the server shutting down) is [`StreamError::Server`]; a connection closed
    /// without one is an error too.
    ///
    /// Cancel-safe: it can be a branch of `tokio::select!` next to a timer; a dropped call
    /// loses no data.
    pub async fn next_frame(&mut self) -> Result<Option<Bytes>, StreamError> {
        if self.state == State::ServerDone {
            return Ok(None);
        }
        loop {
            match self.transport.next().await? {
                Backend::CopyData(frame) => return Ok(Some(frame)),
                Backend::CopyDone | Backend::CommandComplete(_) => {
                    tracing::debug!("the server ended the replication stream");
                    self.state = State::ServerDone;
                    return Ok(None);
                }
                Backend::ReadyForQuery => {
                    tracing::debug!("the server ended the replication command");
                    self.state = State::ServerDone;
                    self.ready = true;
                    return Ok(None);
                }
                Backend::Error(server) => {
                    self.state = State::ServerDone;
                    return Err(StreamError::Server(server));
                }
                Backend::Notice(notice) => tracing::debug!(%notice, "notice during replication"),
                Backend::ParameterStatus { name, value } => {
                    self.parameters.insert(name, value);
                }
                Backend::Ignored(_) => {}
                other => {
                    return Err(WireError::Protocol(format!(
                        "unexpected message during replication: {other:?}"
                    ))
                    .into());
                }
            }
        }
    }

    /// Sends one CopyData frame (a standby status update or hot standby feedback, already
    /// encoded).
    ///
    /// Cancel-safe in that nothing is lost or corrupted: if the call is dropped, the frame is
    /// queued and goes out, whole, with the next `send` or `finish`.
    pub async fn send(&mut self, frame: &[u8]) -> Result<(), StreamError> {
        if self.client_done {
            return Err(StreamError::Ended);
        }
        codec::copy_data(frame, self.transport.out())?;
        self.transport.flush().await?;
        Ok(())
    }

    /// Sends a standby status update (`r`): what was received, flushed and applied. The server
    /// may recycle WAL before `flush`, and moves the slot's `confirmed_flush_lsn` to it.
    ///
    /// Cancel-safe as [`ReplicationStream::send`].
    pub async fn send_status(&mut self, update: &StandbyStatusUpdate) -> Result<(), StreamError> {
        tracing::debug!(
            write = %update.write,
            flush = %update.flush,
            apply = %update.apply,
            reply_requested = update.reply_requested,
            "standby status update"
        );
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        update.encode(&mut scratch);
        let result = self.send(&scratch).await;
        self.scratch = scratch;
        result
    }

    /// A server parameter as last reported (`server_version`, `TimeZone`, ...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// Ends replication cleanly: sends CopyDone, reads (and drops) what the server still
    /// sends up to ReadyForQuery, then says goodbye (Terminate) and closes the socket.
    ///
    /// Not cancel-safe (if dropped, the connection is simply closed); bound it with a timeout.
    pub async fn finish(mut self) -> Result<(), StreamError> {
        if !self.client_done && !self.ready {
            frontend::copy_done(self.transport.out());
            self.transport.flush().await?;
            self.client_done = true;
        }
        while !self.ready {
            match self.transport.next().await? {
                Backend::ReadyForQuery => self.ready = true,
                Backend::Error(server) => return Err(StreamError::Server(server)),
                Backend::CopyData(_)
                | Backend::CopyDone
                | Backend::CommandComplete(_)
                | Backend::RowDescription(_)
                | Backend::DataRow(_)
                | Backend::Ignored(_) => {}
                Backend::Notice(notice) => tracing::debug!(%notice, "notice"),
                Backend::ParameterStatus { name, value } => {
                    self.parameters.insert(name, value);
                }
                other => {
                    return Err(WireError::Protocol(format!(
                        "unexpected message while ending replication: {other:?}"
                    ))
                    .into());
                }
            }
        }
        frontend::terminate(self.transport.out());
        self.transport.flush().await?;
        // The server closes its side after Terminate; a failed close changes nothing.
        let _ = self.transport.shutdown().await;
        tracing::debug!("replication connection closed");
        Ok(())
    }
}
