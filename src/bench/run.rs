//! `pgcdc bench`: runs the reference workloads on a throwaway cluster and prints how fast the
//! server drains them (`pg_recvlogical`) next to how fast pgcdc decodes them.

use std::time::{Duration, Instant};

use super::{
    Backlog, DrainError, KafkaDrain, decode_all, time_pg_recvlogical, time_pgcdc_drain,
    time_pgcdc_to_kafka, workload,
};
use crate::localpg::{ClusterConfig, Installation, LocalPgError};

/// Options of `pgcdc bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// PostgreSQL major version to run (default: the newest installed).
    #[arg(long)]
    pub pg_version: Option<u32>,
    /// Workloads to run, by name (default: all of `insert-200k`, `wide-updates`, `toasted`;
    /// `snapshot-5m`, the initial snapshot of a 5,000,000-row table, only when named).
    #[arg(long = "workload")]
    pub workloads: Vec<String>,
    /// How many times each measurement is repeated; the best run is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: u32,
    /// Also drain each backlog into a fresh audit store (a second database of the cluster).
    #[arg(long)]
    pub audit: bool,
    /// Also measure `pgcdc replay` into the Kafka brokers at HOST:PORT (Debezium's records),
    /// with its peak memory; `mock`: into librdkafka's in-memory mock brokers (over TCP, in this
    /// process), which shows pgcdc's own limit rather than a broker's.
    #[arg(long, value_name = "HOST:PORT")]
    pub kafka: Option<String>,
}

/// What can stop `pgcdc bench`.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The throwaway cluster or a workload failed.
    #[error(transparent)]
    LocalPg(#[from] LocalPgError),
    /// A captured message did not decode.
    #[error("a captured message does not decode: {0}")]
    Decode(#[from] pgoutput::DecodeError),
    /// pgcdc's drain failed.
    #[error("pgcdc's drain: {0}")]
    Drain(#[from] DrainError),
    /// No workload has that name.
    #[error(
        "unknown workload {0:?}; the workloads are insert-200k, wide-updates, toasted and snapshot-5m"
    )]
    UnknownWorkload(String),
}

/// Runs the benchmark and prints its figures.
pub async fn run(options: &Options) -> Result<(), BenchError> {
    let selected = workload::ALL
        .into_iter()
        .filter(|w| options.workloads.is_empty() || options.workloads.iter().any(|n| n == w.name))
        .collect::<Vec<_>>();
    if let Some(unknown) = options.workloads.iter().find(|name| {
        name.as_str() != super::snapshot::NAME
            && !workload::ALL.iter().any(|w| w.name == name.as_str())
    }) {
        return Err(BenchError::UnknownWorkload(unknown.clone()));
    }
    let install = Installation::find(options.pg_version)?;
    println!(
        "PostgreSQL {} ({}), best of {} runs",
        install.version(),
        install.bin_dir().display(),
        options.repeat
    );
    println!(
        "{:<14} {:>8} {:>6} | {:>11} {:>9} | {:>9} {:>9} {:>6} | {:>8} {:>7} {:>11} {:>6}",
        "workload",
        "rows",
        "MB",
        "recvlogical",
        "rows/s",
        "pgcdc",
        "rows/s",
        "ratio",
        "decode",
        "MB/s",
        "msgs/s",
        "x"
    );
    if options.workloads.iter().any(|n| n == super::snapshot::NAME) {
        let cluster = ClusterConfig::new(install.clone()).start()?;
        super::snapshot::prepare(&cluster)?;
        super::snapshot::run(&cluster, options.repeat).await?;
    }
    let mut kafka_rows = Vec::new();
    for workload in selected {
        // A fresh cluster per workload, so that one backlog does not slow down the next.
        let cluster = ClusterConfig::new(install.clone()).start()?;
        let backlog = Backlog::prepare(&cluster, workload)?;
        let mut recv = Duration::MAX;
        for _ in 0..options.repeat.max(1) {
            recv = recv.min(time_pg_recvlogical(&cluster, &backlog)?);
        }
        let mut drain = Duration::MAX;
        for _ in 0..options.repeat.max(1) {
            let (took, summary) = time_pgcdc_drain(&cluster, &backlog).await?;
            if summary.changes != workload.row_changes {
                tracing::warn!(
                    expected = workload.row_changes,
                    got = summary.changes,
                    "pgcdc drained a different number of changes"
                );
            }
            drain = drain.min(took);
        }
        let mut decode = Duration::MAX;
        let mut messages = 0;
        for _ in 0..options.repeat.max(1) {
            let started = Instant::now();
            messages = decode_all(&backlog.frames)?;
            decode = decode.min(started.elapsed());
        }
        if let Some(bootstrap) = &options.kafka {
            let program = std::env::current_exe().map_err(|source| LocalPgError::Spawn {
                program: "pgcdc".to_owned(),
                source,
            })?;
            let mut best: Option<KafkaDrain> = None;
            for run in 0..options.repeat.max(1) {
                let drain = if bootstrap == "mock" {
                    let mock = super::kafka_mock_for(&cluster, run)?;
                    time_pgcdc_to_kafka(
                        &program,
                        &cluster,
                        &backlog,
                        &mock.bootstrap_servers(),
                        run,
                    )?
                } else {
                    time_pgcdc_to_kafka(&program, &cluster, &backlog, bootstrap, run)?
                };
                if best.is_none_or(|b| drain.took < b.took) {
                    best = Some(drain);
                }
            }
            if let Some(best) = best {
                kafka_rows.push((workload.name, workload.row_changes, recv, best));
            }
        }
        let megabytes = backlog.payload_bytes() as f64 / 1e6;
        let rows = workload.row_changes as f64;
        println!(
            "{:<14} {:>8} {:>6.1} | {:>9.3} s {:>9.0} | {:>7.3} s {:>9.0} {:>6.2} | {:>6.2}ms {:>7.0} {:>11.0} {:>5.0}x",
            workload.name,
            workload.row_changes,
            megabytes,
            recv.as_secs_f64(),
            rows / recv.as_secs_f64(),
            drain.as_secs_f64(),
            rows / drain.as_secs_f64(),
            recv.as_secs_f64() / drain.as_secs_f64(),
            decode.as_secs_f64() * 1e3,
            megabytes / decode.as_secs_f64(),
            messages as f64 / decode.as_secs_f64(),
            recv.as_secs_f64() / decode.as_secs_f64(),
        );
        if options.audit {
            let mut best = Duration::MAX;
            for attempt in 0..options.repeat.max(1) {
                let database = format!("bench_audit_{attempt}");
                let (took, stored) =
                    super::audit::time_audit_drain(&cluster, &backlog, &database).await?;
                if stored != workload.row_changes {
                    tracing::warn!(
                        expected = workload.row_changes,
                        stored,
                        "the audit store holds a different number of rows"
                    );
                }
                best = best.min(took);
            }
            println!(
                "{:<14} {:>8} audit store: {:.3} s, {:.0} audit rows/s ({:.2} of pg_recvlogical's rate)",
                "",
                workload.row_changes,
                best.as_secs_f64(),
                rows / best.as_secs_f64(),
                recv.as_secs_f64() / best.as_secs_f64(),
            );
        }
    }
    if !kafka_rows.is_empty() {
        println!(
            "\n{:<14} {:>8} | {:>11} {:>9} | {:>9} {:>9} {:>6} {:>9}",
            "kafka", "rows", "recvlogical", "rows/s", "pgcdc", "rows/s", "ratio", "peak RSS"
        );
        for (name, rows, recv, drain) in &kafka_rows {
            let rows_f = *rows as f64;
            println!(
                "{:<14} {:>8} | {:>9.3} s {:>9.0} | {:>7.3} s {:>9.0} {:>6.2} {:>6.1} MB",
                name,
                rows,
                recv.as_secs_f64(),
                rows_f / recv.as_secs_f64(),
                drain.took.as_secs_f64(),
                rows_f / drain.took.as_secs_f64(),
                recv.as_secs_f64() / drain.took.as_secs_f64(),
                drain.peak_rss_kib as f64 / 1024.0,
            );
        }
        println!(
            "kafka: the pgcdc binary replaying a copy of the slot into the brokers (Debezium's \
             records with schemas, idempotent, acks=all, topics created by pgcdc), from process \
             start to exit with everything delivered and confirmed; peak RSS = its VmHWM"
        );
    }
    println!(
        "recvlogical: pg_recvlogical draining a copy of the slot to /dev/null (no processing); \
         pgcdc: pgcdc replaying a copy of the slot into a file sink (plain JSON, fsynced), \
         ratio = pgcdc's rate / pg_recvlogical's; decode: the pgoutput decoder alone on the \
         same messages, one core, x = how many times faster than pg_recvlogical"
    );
    Ok(())
}
