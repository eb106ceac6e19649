//! `pgcdc capture`: records the raw replication frames of a slot, up to an LSN, in the capture
//! format of [`pgoutput::capture`] — for the decoder benchmarks and for bug reports. Like
//! `replay`, it streams a temporary copy of the slot: the slot itself is not advanced.

use std::io::Write as _;
use std::path::PathBuf;

use pgoutput::{Lsn, ReplicationMessage, StandbyStatusUpdate};

use super::{CommandError, parse_lsn, shutdown_on_signals};
use crate::config::load::ConfigArgs;
use crate::pipeline::progress::Progress;
use crate::pipeline::run::RunSummary;
use crate::source::connection::{ConnectError, QueryError, ReplicationClient, StreamError};
use crate::source::slot;

/// Options of `pgcdc capture`.
#[derive(Debug, Clone, clap::Args)]
pub struct CaptureArgs {
    /// Where the configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The slot to read (default: `slot.name`); a temporary copy of it is streamed.
    #[arg(long)]
    pub slot: Option<String>,
    /// Stop at this LSN.
    #[arg(long, value_parser = parse_lsn)]
    pub end_lsn: Lsn,
    /// The capture file to write.
    #[arg(long, value_name = "FILE")]
    pub raw: PathBuf,
}

/// Why capturing failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The capture file cannot be written.
    #[error("cannot write the capture file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The connection failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A command failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The stream failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// A frame does not decode.
    #[error("corrupt replication frame: {0}")]
    Frame(#[from] pgoutput::DecodeError),
    /// A frame is too large for the capture format.
    #[error(transparent)]
    Format(#[from] pgoutput::capture::CaptureError),
    /// The server ended the stream before the end LSN.
    #[error("the server ended the stream before {0}")]
    Ended(Lsn),
}

/// What was captured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Frames written.
    pub frames: u64,
    /// Bytes of the file.
    pub bytes: u64,
}

/// Runs `pgcdc capture`.
pub async fn run(args: CaptureArgs) -> Result<CaptureSummary, CommandError> {
    let loaded = args.config.load()?;
    let source = loaded.source;
    let slot_name = args.slot.unwrap_or_else(|| source.slot.clone());
    let io_error = |source| CaptureError::Io {
        path: args.raw.display().to_string(),
        source,
    };
    let file = std::fs::File::create(&args.raw).map_err(io_error)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut buffer = Vec::with_capacity(1 << 16);
    pgoutput::capture::write_header(&mut buffer);

    let mut client = ReplicationClient::connect(&source.connection)
        .await
        .map_err(CaptureError::from)?;
    let copy = format!("pgcdc_capture_{}", std::process::id());
    client
        .simple_query(&slot::copy_sql(&slot_name, &copy))
        .await
        .map_err(CaptureError::from)?;
    let options = source.pgoutput_options();
    let options: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut stream = client
        .start_replication(&copy, Lsn::from(0), &options)
        .await
        .map_err(CaptureError::from)?;
    let shutdown = shutdown_on_signals();
    let mut progress = Progress::new(true, Some(args.end_lsn));
    let mut summary = CaptureSummary::default();
    let mut seen = RunSummary::default();
    let mut received = Lsn::from(0);
    loop {
        let frame = tokio::select! {
            frame = stream.next_frame() => frame.map_err(CaptureError::from)?,
            () = shutdown.cancelled() => break,
        };
        let Some(frame) = frame else {
            return Err(CaptureError::Ended(args.end_lsn).into());
        };
        let (reached, reply) =
            match ReplicationMessage::decode(frame.clone()).map_err(CaptureError::from)? {
                ReplicationMessage::XLogData(xlog) => {
                    received = received.max(xlog.wal_start);
                    (xlog.wal_start >= args.end_lsn, false)
                }
                ReplicationMessage::PrimaryKeepalive(keepalive) => {
                    received = received.max(keepalive.wal_end);
                    (keepalive.wal_end >= args.end_lsn, keepalive.reply_requested)
                }
            };
        if reached {
            break;
        }
        pgoutput::capture::write_frame(&mut buffer, &frame).map_err(CaptureError::from)?;
        summary.frames += 1;
        seen.changes = summary.frames;
        if buffer.len() >= 1 << 16 {
            out.write_all(&buffer).map_err(io_error)?;
            summary.bytes += buffer.len() as u64;
            buffer.clear();
        }
        if reply {
            // The copy is temporary: report what arrived so the server keeps streaming.
            let now = pgoutput::time::system_time_to_pg(std::time::SystemTime::now()).unwrap_or(0);
            stream
                .send_status(&StandbyStatusUpdate {
                    write: received,
                    flush: Lsn::from(0),
                    apply: Lsn::from(0),
                    send_time: now,
                    reply_requested: false,
                })
                .await
                .map_err(CaptureError::from)?;
        }
        progress.update(received, &seen);
    }
    progress.finish();
    out.write_all(&buffer).map_err(io_error)?;
    summary.bytes += buffer.len() as u64;
    out.flush().map_err(io_error)?;
    stream.finish().await.map_err(CaptureError::from)?;
    tracing::info!(frames = summary.frames, bytes = summary.bytes, file = %args.raw.display(), "captured");
    Ok(summary)
}
