//! Benchmark support: the reference workloads and the measurements of `pgcdc bench`, shared
//! with the criterion benches in `benches/`.
//!
//! Everything runs against a throwaway cluster ([`crate::localpg`]), so every figure in
//! `docs/benchmarks.md` can be reproduced on a fresh machine with one command.

pub mod audit;
pub mod run;
pub mod snapshot;
pub mod workload;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pgoutput::Lsn;

use crate::localpg::decoding::{PgoutputOptions, get_binary_changes, xlog_frames};
use crate::localpg::{Cluster, LocalPgError};
use crate::sql::quote_literal;
use workload::Workload;

/// The database the benchmarks use.
pub const DATABASE: &str = "postgres";
/// The slot a workload is written to; measurements read copies of it.
pub const SLOT: &str = "bench";
/// The publication every workload creates.
pub const PUBLICATION: &str = "bench_pub";

/// A workload that has run: its slot holds the backlog up to `end_lsn`.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// The workload.
    pub workload: Workload,
    /// The LSN the server reports for the last message of the backlog: the end of the last
    /// commit record.
    pub end_lsn: Lsn,
    /// The backlog as XLogData frames, one pgoutput message each (protocol version 1).
    pub frames: Vec<Bytes>,
}

impl Backlog {
    /// Runs `workload` on `cluster` (slot [`SLOT`]) and captures the backlog from a copy of the
    /// slot, leaving the slot itself as it was.
    pub fn prepare(cluster: &Cluster, workload: Workload) -> Result<Self, LocalPgError> {
        workload.run(cluster, DATABASE, SLOT)?;
        let copy = CopiedSlot::new(cluster, "bench_capture")?;
        let messages = get_binary_changes(
            cluster,
            DATABASE,
            &copy.name,
            &PgoutputOptions::new(1, PUBLICATION),
        )?;
        let end_lsn = messages.last().map(|(lsn, _)| *lsn).unwrap_or_default();
        Ok(Self {
            workload,
            end_lsn,
            frames: xlog_frames(&messages),
        })
    }

    /// The size of the pgoutput messages, without the XLogData headers.
    pub fn payload_bytes(&self) -> u64 {
        self.frames
            .iter()
            .map(|f| f.len().saturating_sub(XLOGDATA_HEADER) as u64)
            .sum()
    }
}

/// The length of an XLogData header (`w`, start, end, send time).
const XLOGDATA_HEADER: usize = 25;

/// A temporary copy of [`SLOT`], dropped again with this value.
struct CopiedSlot<'a> {
    cluster: &'a Cluster,
    name: String,
}

impl<'a> CopiedSlot<'a> {
    fn new(cluster: &'a Cluster, name: &str) -> Result<Self, LocalPgError> {
        cluster.psql(
            DATABASE,
            &format!(
                "SELECT pg_copy_logical_replication_slot({}, {})",
                quote_literal(SLOT),
                quote_literal(name)
            ),
        )?;
        Ok(Self {
            cluster,
            name: name.to_owned(),
        })
    }
}

impl Drop for CopiedSlot<'_> {
    fn drop(&mut self) {
        let sql = format!(
            "SELECT pg_drop_replication_slot({}) FROM pg_replication_slots WHERE slot_name = {0}",
            quote_literal(&self.name)
        );
        if let Err(error) = self.cluster.psql(DATABASE, &sql) {
            tracing::warn!(%error, slot = %self.name, "could not drop a benchmark slot");
        }
    }
}

/// How long `pg_recvlogical` takes to drain the backlog from a copy of the slot, writing the
/// raw messages to `/dev/null`: the walsender's own limit, with no processing.
pub fn time_pg_recvlogical(cluster: &Cluster, backlog: &Backlog) -> Result<Duration, LocalPgError> {
    let copy = CopiedSlot::new(cluster, "bench_recvlogical")?;
    let program = cluster.installation().program("pg_recvlogical");
    let mut command = Command::new(&program);
    command
        .args(["-h", cluster.host(), "-p", &cluster.port().to_string()])
        .args(["-U", "postgres", "-d", DATABASE, "--slot", &copy.name])
        .args(["--start", "--no-loop", "-f", "/dev/null"])
        .arg(format!("--endpos={}", backlog.end_lsn))
        .args(["-o", "proto_version=1"])
        .args(["-o", &format!("publication_names={PUBLICATION}")])
        .stdin(Stdio::null());
    let started = Instant::now();
    let output = command.output().map_err(|source| LocalPgError::Spawn {
        program: program.display().to_string(),
        source,
    })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(LocalPgError::CommandFailed {
            program: format!("{command:?}"),
            status: output.status,
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(elapsed)
}

/// How long pgcdc takes to drain the backlog from a temporary copy of the slot into a file sink
/// (plain JSON, fsynced), through the whole pipeline: replication connection, decoding, typed
/// values, encoding, the file and the confirmed position.
pub async fn time_pgcdc_drain(
    cluster: &Cluster,
    backlog: &Backlog,
) -> Result<(Duration, crate::pipeline::run::RunSummary), DrainError> {
    use crate::record::plain::PlainEncoder;
    use crate::sink::file::{FileSink, Target};

    let dir = tempfile::tempdir().map_err(DrainError::Io)?;
    let sink = FileSink::open(
        Target::File(dir.path().join("drain.jsonl")),
        Box::new(PlainEncoder::new("bench")),
    )
    .await?;
    time_drain_into(cluster, backlog, Box::new(sink)).await
}

/// How long pgcdc takes to drain the backlog from a temporary copy of the slot into `sink`.
pub async fn time_drain_into(
    cluster: &Cluster,
    backlog: &Backlog,
    sink: Box<dyn crate::sink::Sink>,
) -> Result<(Duration, crate::pipeline::run::RunSummary), DrainError> {
    use crate::pipeline::run::{Replay, RunOptions, run};

    let source = crate::config::source::from_properties(&bench_properties(cluster, SLOT, &[]))?;
    let options = RunOptions {
        source,
        // Everything committed up to the end of the last commit record.
        end_lsn: Some(backlog.end_lsn),
        replay: Some(Replay::default()),
        progress: false,
    };
    let started = Instant::now();
    let summary = run(
        options,
        vec![sink],
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    Ok((started.elapsed(), summary))
}

/// What one run of `pgcdc replay` into Kafka took.
#[derive(Debug, Clone, Copy)]
pub struct KafkaDrain {
    /// From starting the process to its exit, everything delivered and confirmed.
    pub took: Duration,
    /// The process's peak resident memory (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

/// How long the `pgcdc` binary (`program`) takes to replay the backlog from a temporary copy of
/// the slot into Kafka at `bootstrap` (Debezium's records with schemas, as Debezium writes
/// them by default), and its peak memory. Each run writes to topics of its own
/// (`bench<run>.public.*`), created by pgcdc.
pub fn time_pgcdc_to_kafka(
    program: &std::path::Path,
    cluster: &Cluster,
    backlog: &Backlog,
    bootstrap: &str,
    run: u32,
) -> Result<KafkaDrain, LocalPgError> {
    let mut command = Command::new(program);
    command
        .args(["replay", "--url", &cluster.url(DATABASE), "--slot", SLOT])
        .args(["--end-lsn", &backlog.end_lsn.to_string()])
        .args(["--sink", &format!("kafka:{bootstrap}")])
        .args(["--set", &format!("publication.name={PUBLICATION}")])
        .args(["--set", &format!("topic.prefix=bench{run}")])
        .env("PGCDC_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| LocalPgError::Spawn {
        program: program.display().to_string(),
        source,
    })?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_rss_kib = 0;
    let status = loop {
        // VmHWM is the peak so far: the last reading before the exit is the run's peak.
        if let Some(kib) = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|status| vm_hwm_kib(&status))
        {
            peak_rss_kib = peak_rss_kib.max(kib);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                return Err(LocalPgError::Spawn {
                    program: program.display().to_string(),
                    source,
                });
            }
        }
    };
    let took = started.elapsed();
    if !status.success() {
        let mut output = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut output);
        }
        return Err(LocalPgError::CommandFailed {
            program: format!("{command:?}"),
            status,
            output,
        });
    }
    Ok(KafkaDrain { took, peak_rss_kib })
}

/// librdkafka's mock brokers (in memory, listening on TCP), with the topics of run `run`'s
/// records (`bench<run>.<schema>.<table>` of every published table, one partition) created.
pub fn kafka_mock_for(
    cluster: &Cluster,
    run: u32,
) -> Result<
    rdkafka::mocking::MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    LocalPgError,
> {
    let mock = rdkafka::mocking::MockCluster::new(1).map_err(|error| LocalPgError::Spawn {
        program: "librdkafka mock cluster".to_owned(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let tables = cluster.psql(
        DATABASE,
        &format!(
            "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = {}",
            quote_literal(PUBLICATION)
        ),
    )?;
    for table in tables.lines().map(str::trim).filter(|t| !t.is_empty()) {
        mock.create_topic(&format!("bench{run}.{table}"), 1, 1)
            .map_err(|error| LocalPgError::Spawn {
                program: "librdkafka mock cluster".to_owned(),
                source: std::io::Error::other(error.to_string()),
            })?;
    }
    Ok(mock)
}

/// `VmHWM` of a `/proc/PID/status`, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The properties of a benchmark run on `cluster`: slot `slot`, the benchmark's publication,
/// and `extra` settings.
pub fn bench_properties(
    cluster: &Cluster,
    slot: &str,
    extra: &[(&str, String)],
) -> std::collections::BTreeMap<String, String> {
    [
        ("database.hostname", cluster.host().to_owned()),
        ("database.port", cluster.port().to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.dbname", DATABASE.to_owned()),
        ("database.sslmode", "disable".to_owned()),
        ("slot.name", slot.to_owned()),
        ("publication.name", PUBLICATION.to_owned()),
        ("topic.prefix", "bench".to_owned()),
    ]
    .into_iter()
    .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Why pgcdc's drain could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum DrainError {
    /// The settings were refused.
    #[error(transparent)]
    Setting(#[from] crate::config::source::SettingError),
    /// The sink could not be opened.
    #[error(transparent)]
    Sink(#[from] crate::sink::SinkError),
    /// Streaming failed.
    #[error(transparent)]
    Run(#[from] crate::pipeline::run::RunError),
    /// The audit store failed.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The temporary directory could not be made.
    #[error("creating a temporary directory: {0}")]
    Io(#[source] std::io::Error),
}

/// Decodes every frame of the backlog (XLogData header, pgoutput message, every column of every
/// tuple) and returns how many messages there were.
pub fn decode_all(frames: &[Bytes]) -> Result<u64, pgoutput::DecodeError> {
    let mut decoder = pgoutput::Decoder::new();
    let mut messages = 0;
    for frame in frames {
        let pgoutput::ReplicationMessage::XLogData(xlog) =
            pgoutput::ReplicationMessage::decode(frame.clone())?
        else {
            continue;
        };
        let message = decoder.decode(xlog.data)?;
        let columns = match &message {
            pgoutput::Message::Insert(insert) => insert.new.iter().count(),
            pgoutput::Message::Update(update) => {
                update.new.iter().count()
                    + update.old.as_ref().map_or(0, |o| o.tuple().iter().count())
            }
            pgoutput::Message::Delete(delete) => delete.old.tuple().iter().count(),
            _ => 0,
        };
        std::hint::black_box(columns);
        messages += 1;
    }
    Ok(messages)
}
