//! `pgcdc bench`: runs the reference workloads on a throwaway cluster and prints how fast the
//! server drains them (`pg_recvlogical`) next to how fast pgcdc decodes them.

use std::time::{Duration, Instant};

use super::{Backlog, decode_all, time_pg_recvlogical, workload};
use crate::localpg::{ClusterConfig, Installation, LocalPgError};

/// Options of `pgcdc bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// PostgreSQL major version to run (default: the newest installed).
    #[arg(long)]
    pub pg_version: Option<u32>,
    /// Workloads to run, by name (default: all of `insert-200k`, `wide-updates`, `toasted`).
    #[arg(long = "workload")]
    pub workloads: Vec<String>,
    /// How many times each measurement is repeated; the best run is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: u32,
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
    /// No workload has that name.
    #[error("unknown workload {0:?}; the workloads are insert-200k, wide-updates and toasted")]
    UnknownWorkload(String),
}

/// Runs the benchmark and prints its figures.
pub fn run(options: &Options) -> Result<(), BenchError> {
    let selected = workload::ALL
        .into_iter()
        .filter(|w| options.workloads.is_empty() || options.workloads.iter().any(|n| n == w.name))
        .collect::<Vec<_>>();
    if let Some(unknown) = options
        .workloads
        .iter()
        .find(|name| !workload::ALL.iter().any(|w| w.name == name.as_str()))
    {
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
        "{:<14} {:>9} {:>10} {:>10} | {:>12} {:>12} | {:>9} {:>12} {:>12} | {:>8}",
        "workload",
        "messages",
        "rows",
        "MB",
        "recvlogical",
        "rows/s",
        "decode",
        "MB/s",
        "msgs/s",
        "ratio"
    );
    for workload in selected {
        // A fresh cluster per workload, so that one backlog does not slow down the next.
        let cluster = ClusterConfig::new(install.clone()).start()?;
        let backlog = Backlog::prepare(&cluster, workload)?;
        let mut recv = Duration::MAX;
        for _ in 0..options.repeat.max(1) {
            recv = recv.min(time_pg_recvlogical(&cluster, &backlog)?);
        }
        let mut decode = Duration::MAX;
        let mut messages = 0;
        for _ in 0..options.repeat.max(1) {
            let started = Instant::now();
            messages = decode_all(&backlog.frames)?;
            decode = decode.min(started.elapsed());
        }
        let megabytes = backlog.payload_bytes() as f64 / 1e6;
        let rows = workload.row_changes as f64;
        println!(
            "{:<14} {:>9} {:>10} {:>10.1} | {:>10.3} s {:>12.0} | {:>7.2}ms {:>12.0} {:>12.0} | {:>7.0}x",
            workload.name,
            messages,
            workload.row_changes,
            megabytes,
            recv.as_secs_f64(),
            rows / recv.as_secs_f64(),
            decode.as_secs_f64() * 1e3,
            megabytes / decode.as_secs_f64(),
            messages as f64 / decode.as_secs_f64(),
            recv.as_secs_f64() / decode.as_secs_f64(),
        );
    }
    println!(
        "recvlogical: pg_recvlogical draining a copy of the slot to /dev/null; decode: pgcdc \
         decoding the same messages on one core; ratio: how many times faster decoding is"
    );
    Ok(())
}
