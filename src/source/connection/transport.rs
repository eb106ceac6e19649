//! The socket of a replication connection (TCP, Unix or TLS over TCP) and the buffered,
//! message-at-a-time reading and writing on top of it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::client::TlsStream;

use super::codec::{self, Backend, Split};
use super::error::WireError;

/// How much is read from the socket at a time, at least: large reads keep system calls few
/// when the server streams.
const READ_CHUNK: usize = 128 * 1024;

/// A connected socket.
#[derive(Debug)]
pub(crate) enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Socket {
    /// The server certificate, when TLS is on.
    pub(crate) fn peer_certificate(&self) -> Option<&[u8]> {
        match self {
            Socket::Tls(tls) => tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|cert| cert.as_ref()),
            _ => None,
        }
    }

    /// Whether the connection is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Socket::Tls(_))
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Socket::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_flush(cx),
            Socket::Unix(s) => Pin::new(s).poll_flush(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A socket with a read buffer that backend messages are split from, and a write buffer of
/// frontend messages not yet sent.
#[derive(Debug)]
pub(crate) struct Transport {
    socket: Socket,
    read: BytesMut,
    write: BytesMut,
}

impl Transport {
    pub(crate) fn new(socket: Socket) -> Self {
        Self {
            socket,
            read: BytesMut::with_capacity(READ_CHUNK),
            write: BytesMut::with_capacity(1024),
        }
    }

    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The buffer that frontend messages are appended to; [`Transport::flush`] sends them.
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        &mut self.write
    }

    /// The next backend message.
    ///
    /// Cancel-safe: bytes already read stay in the buffer, so a dropped call loses nothing and
    /// the next call continues where it stopped.
    pub(crate) async fn next(&mut self) -> Result<Backend, WireError> {
        let frame = loop {
            match codec::split_frame(&mut self.read)? {
                Split::Frame(frame) => break frame,
                Split::Need(more) => {
                    self.read.reserve(more.max(READ_CHUNK));
                    let read =
                        tokio::io::AsyncReadExt::read_buf(&mut self.socket, &mut self.read).await?;
                    if read == 0 {
                        return Err(WireError::Closed);
                    }
                }
            }
        };
        codec::decode(frame)
    }

    /// Sends everything in the write buffer.
    ///
    /// Cancel-safe in that a dropped call loses nothing: what was not written stays in the
    /// buffer and goes out with the next flush.
    pub(crate) async fn flush(&mut self) -> Result<(), WireError> {
        while !self.write.is_empty() {
            let written = self.socket.write_buf(&mut self.write).await?;
            if written == 0 {
                return Err(WireError::Io(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepts no more data",
                )));
            }
        }
        self.socket.flush().await?;
        Ok(())
    }

    /// Closes the socket (after a TLS close_notify, when TLS is on).
    pub(crate) async fn shutdown(&mut self) -> Result<(), WireError> {
        self.socket.shutdown().await?;
        Ok(())
    }
}
