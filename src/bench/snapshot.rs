//! The snapshot benchmark (`pgcdc bench --workload snapshot-5m`): how fast an initial snapshot
//! of one 5,000,000-row table reaches a file sink with 1 and 2 readers, next to the limit of
//! any client, `COPY ... TO STDOUT` of the same table read to the end without processing.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::{DATABASE, DrainError};
use crate::localpg::{Cluster, LocalPgError};
use crate::pipeline::run::RunSummary;

/// The workload's name.
pub const NAME: &str = "snapshot-5m";
/// Rows in the table.
pub const ROWS: u64 = 5_000_000;
/// The table.
const TABLE: &str = "bench_snapshot";

/// Creates and fills the table (server-side, `generate_series`), then `VACUUM ANALYZE`s it.
pub fn prepare(cluster: &Cluster) -> Result<(), LocalPgError> {
    cluster.psql(
        DATABASE,
        &format!(
            "CREATE TABLE {TABLE} (id int PRIMARY KEY, a text, b int, c timestamptz);
             INSERT INTO {TABLE}
               SELECT i, 'row-' || i, i, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 second'
                 FROM generate_series(1, {ROWS}) i;
             VACUUM ANALYZE {TABLE};"
        ),
    )?;
    Ok(())
}

/// How long `COPY (SELECT * FROM table) TO STDOUT` takes to read to the end, and its bytes.
pub async fn time_copy(cluster: &Cluster) -> Result<(Duration, u64), DrainError> {
    let config = crate::config::connection::ConnectionConfig::from_url(&cluster.url(DATABASE))
        .map_err(|e| DrainError::Setting(e.into()))?;
    let (client, _task) = crate::source::connection::connect_sql(&config)
        .await
        .map_err(|e| DrainError::Run(e.into()))?;
    let started = Instant::now();
    let stream = client
        .copy_out(&format!("COPY (SELECT * FROM {TABLE}) TO STDOUT"))
        .await
        .map_err(copy_error)?;
    let mut stream = std::pin::pin!(stream);
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        bytes += chunk.map_err(copy_error)?.len() as u64;
    }
    Ok((started.elapsed(), bytes))
}

fn copy_error(error: tokio_postgres::Error) -> DrainError {
    DrainError::Run(crate::pipeline::run::RunError::Sql {
        context: "COPY of the benchmark table",
        source: crate::sql::PgError(error),
    })
}

/// How long pgcdc's initial snapshot (`snapshot.mode=initial_only`, `readers` readers) takes
/// to deliver the table into a file sink (plain JSON, fsynced): from the start of the run to
/// the slot holding the snapshot's position.
pub async fn time_snapshot(
    cluster: &Cluster,
    readers: usize,
    run: u32,
) -> Result<(Duration, RunSummary), DrainError> {
    use crate::pipeline::run::{RunOptions, run as run_pipeline};
    use crate::record::plain::PlainEncoder;
    use crate::sink::file::{FileSink, Target};

    let slot = format!("bench_snapshot_{readers}_{run}");
    let properties = super::bench_properties(
        cluster,
        &slot,
        &[
            ("snapshot.mode", "initial_only".to_owned()),
            ("snapshot.max.threads", readers.to_string()),
            ("table.include.list", format!("public.{TABLE}")),
        ],
    );
    let source = crate::config::source::from_properties(&properties)?;
    let dir = tempfile::tempdir().map_err(DrainError::Io)?;
    let sink = FileSink::open(
        Target::File(dir.path().join("snapshot.jsonl")),
        Box::new(PlainEncoder::new("bench")),
    )
    .await?;
    let options = RunOptions {
        source,
        end_lsn: None,
        replay: None,
        progress: false,
    };
    let started = Instant::now();
    let summary = run_pipeline(
        options,
        vec![Box::new(sink)],
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    let took = started.elapsed();
    if let Err(error) = cluster.psql(
        DATABASE,
        &format!("SELECT pg_drop_replication_slot('{slot}')"),
    ) {
        tracing::warn!(%error, %slot, "could not drop a benchmark slot");
    }
    Ok((took, summary))
}

/// Runs the snapshot benchmark on `cluster` and prints its line.
pub async fn run(cluster: &Cluster, repeat: u32) -> Result<(), DrainError> {
    let mut copy = (Duration::MAX, 0);
    for _ in 0..repeat.max(1) {
        let (took, bytes) = time_copy(cluster).await?;
        if took < copy.0 {
            copy = (took, bytes);
        }
    }
    let mut best = [Duration::MAX; 2];
    for run in 0..repeat.max(1) {
        for (slot, readers) in [1usize, 2].into_iter().enumerate() {
            let (took, summary) = time_snapshot(cluster, readers, run).await?;
            if summary.snapshot_rows != ROWS {
                tracing::warn!(
                    expected = ROWS,
                    got = summary.snapshot_rows,
                    "the snapshot read a different number of rows"
                );
            }
            best[slot] = best[slot].min(took);
        }
    }
    let rate = |d: Duration| ROWS as f64 / d.as_secs_f64();
    println!(
        "{:<14} {:>8} {:>6.1} | COPY {:>7.3} s {:>9.0} rows/s | 1 reader {:>7.3} s {:>9.0} rows/s | 2 readers {:>7.3} s {:>9.0} rows/s",
        NAME,
        ROWS,
        copy.1 as f64 / 1e6,
        copy.0.as_secs_f64(),
        rate(copy.0),
        best[0].as_secs_f64(),
        rate(best[0]),
        best[1].as_secs_f64(),
        rate(best[1]),
    );
    println!(
        "COPY: COPY (SELECT * FROM {TABLE}) TO STDOUT read to the end by one client, no processing \
         (the limit); readers: pgcdc's initial snapshot (snapshot.mode=initial_only, \
         snapshot.max.threads) into a file sink (plain JSON, fsynced), from start to the slot \
         holding the snapshot's position"
    );
    Ok(())
}
