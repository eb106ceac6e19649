//! Decoding speed of the `pgoutput` crate on streams captured from a real PostgreSQL:
//! the 200,000-row insert backlog, an update-heavy stream of wide rows, and large TOASTed values
//! (see `pgcdc::bench::workload`). Each stream is captured once from a throwaway cluster and
//! cached under the target directory (`bench-data/`); delete it to capture again.
//!
//! Run with `cargo bench --bench decode`; `PGCDC_BENCH_PG=15` picks the server version
//! (default: the newest installed). Figures are in `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pgcdc::bench::{Backlog, decode_all, workload};
use pgcdc::localpg::{ClusterConfig, Installation};

/// The frames of `workload`, from the cache or freshly captured.
fn frames(workload: workload::Workload) -> Vec<Bytes> {
    let major = std::env::var("PGCDC_BENCH_PG")
        .ok()
        .map(|v| v.parse::<u32>().expect("PGCDC_BENCH_PG"));
    let install =
        Installation::find(major).expect("a PostgreSQL installation (./scripts/install-deps)");
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("bench-data")
        .join(format!("{}-pg{}.pgcdcraw", workload.name, install.major()));
    if let Ok(file) = std::fs::read(&path) {
        let reader =
            pgoutput::capture::CaptureReader::new(Bytes::from(file)).expect("capture file");
        return reader
            .collect::<Result<Vec<_>, _>>()
            .expect("capture frames");
    }
    eprintln!(
        "capturing {} from PostgreSQL {} into {}",
        workload.name,
        install.version(),
        path.display()
    );
    let cluster = ClusterConfig::new(install)
        .start()
        .expect("throwaway cluster");
    let backlog = Backlog::prepare(&cluster, workload).expect("workload");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = pgcdc::localpg::decoding::capture_file(&backlog.frames).unwrap();
    std::fs::write(&path, file).unwrap();
    backlog.frames
}

fn decode(c: &mut Criterion) {
    for workload in workload::ALL {
        let frames = frames(workload);
        let bytes: u64 = frames.iter().map(|f| f.len() as u64).sum();
        let messages = frames.len() as u64;
        eprintln!("{}: {messages} messages, {bytes} bytes", workload.name);

        let mut group = c.benchmark_group(format!("decode/{}", workload.name));
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("bytes", |b| b.iter(|| decode_all(&frames).unwrap()));
        group.throughput(Throughput::Elements(messages));
        group.bench_function("messages", |b| b.iter(|| decode_all(&frames).unwrap()));
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
