//! Counters of a running snapshot, shared by the snapshot, its progress line and `/metrics`.
//!
//! The process's snapshot registers them in the metrics registry
//! ([`SnapshotStats::registered`]) as gauges (a new snapshot starts them again):
//!
//! | metric | meaning |
//! | --- | --- |
//! | `pgcdc_snapshot_running` | 1 while a snapshot is being taken |
//! | `pgcdc_snapshot_tables_total` / `pgcdc_snapshot_tables_done` | tables to read / read completely |
//! | `pgcdc_snapshot_chunks_total` / `pgcdc_snapshot_chunks_done` | chunks planned / finished: every row durably taken by every sink (a resumed snapshot counts the chunks finished before) |
//! | `pgcdc_snapshot_rows` | rows handed to the sinks by this process's snapshot |
//! | `pgcdc_snapshot_estimated_rows` | the planner's estimate of the rows left to read (0 when unknown) |

use std::sync::Arc;

use crate::metrics::{Gauge, Registry};

/// Counters of a running snapshot, for progress and metrics.
#[derive(Debug, Default)]
pub struct SnapshotStats {
    /// 1 while the snapshot runs.
    pub running: Arc<Gauge>,
    /// Tables to read.
    pub tables_total: Arc<Gauge>,
    /// Tables read completely.
    pub tables_done: Arc<Gauge>,
    /// Chunks planned.
    pub chunks_total: Arc<Gauge>,
    /// Chunks finished (every row durably taken by every sink).
    pub chunks_done: Arc<Gauge>,
    /// Rows handed to the sinks.
    pub rows: Arc<Gauge>,
    /// The planner's estimate of the rows left to read (0 when unknown).
    pub estimated_rows: Arc<Gauge>,
}

impl SnapshotStats {
    /// The counters registered in `registry` (served at `/metrics`), all set to 0.
    pub fn registered(registry: &Registry) -> Self {
        let stats = Self {
            running: registry.gauge(
                "pgcdc_snapshot_running",
                "1 while an initial snapshot is being taken.",
            ),
            tables_total: registry.gauge(
                "pgcdc_snapshot_tables_total",
                "Tables the initial snapshot reads.",
            ),
            tables_done: registry.gauge(
                "pgcdc_snapshot_tables_done",
                "Tables the initial snapshot has read completely.",
            ),
            chunks_total: registry.gauge(
                "pgcdc_snapshot_chunks_total",
                "Chunks (page ranges of large tables, or whole tables) the initial snapshot reads.",
            ),
            chunks_done: registry.gauge(
                "pgcdc_snapshot_chunks_done",
                "Chunks of the initial snapshot whose rows every sink has durably taken (including those finished before a resume).",
            ),
            rows: registry.gauge(
                "pgcdc_snapshot_rows",
                "Rows the initial snapshot has handed to the sinks in this process.",
            ),
            estimated_rows: registry.gauge(
                "pgcdc_snapshot_estimated_rows",
                "The planner's estimate of the rows the initial snapshot has left to read (0 when unknown).",
            ),
        };
        for gauge in [
            &stats.running,
            &stats.tables_total,
            &stats.tables_done,
            &stats.chunks_total,
            &stats.chunks_done,
            &stats.rows,
            &stats.estimated_rows,
        ] {
            gauge.set(0);
        }
        stats
    }

    /// A counter's value as a count (gauges are signed; these never go below 0).
    pub fn count(gauge: &Gauge) -> u64 {
        u64::try_from(gauge.get()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_counters_show_in_the_registry() {
        let registry = Registry::new();
        let stats = SnapshotStats::registered(&registry);
        stats.chunks_total.set(7);
        stats.rows.add(5);
        let text = registry.render();
        assert!(text.contains("pgcdc_snapshot_chunks_total 7\n"), "{text}");
        assert!(text.contains("pgcdc_snapshot_rows 5\n"), "{text}");
        // A new snapshot starts from 0 again.
        let again = SnapshotStats::registered(&registry);
        assert_eq!(again.rows.get(), 0);
        assert_eq!(SnapshotStats::count(&again.chunks_total), 0);
    }
}
