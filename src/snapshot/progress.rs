//! A progress line on standard error while a snapshot runs: tables, rows, rows per second and
//! the time left (from the planner's row estimates). Shown only when standard error is a
//! terminal.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::SnapshotStats;

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(250);

/// The progress line.
#[derive(Debug)]
pub struct SnapshotProgress {
    enabled: bool,
    stats: Arc<SnapshotStats>,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl SnapshotProgress {
    /// Progress of `stats`, drawn only when `wanted` and standard error is a terminal.
    pub fn new(wanted: bool, stats: Arc<SnapshotStats>) -> Self {
        Self {
            enabled: wanted && std::io::stderr().is_terminal(),
            stats,
            started: Instant::now(),
            last_drawn: None,
        }
    }

    /// Redraws the line if it is time to.
    pub fn update(&mut self) {
        if !self.enabled || self.last_drawn.is_some_and(|at| at.elapsed() < EVERY) {
            return;
        }
        self.last_drawn = Some(Instant::now());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2K{}",
            line(&self.stats, self.started.elapsed())
        );
        let _ = stderr.flush();
    }

    /// Ends the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_drawn.take().is_some() {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(
                stderr,
                "\r\x1b[2K{}",
                line(&self.stats, self.started.elapsed())
            );
        }
    }
}

/// `snapshot: 3/40 tables, 1234567 rows of ~5000000, 412345 rows/s, ETA 9s`.
pub fn line(stats: &SnapshotStats, elapsed: Duration) -> String {
    let rows = SnapshotStats::count(&stats.rows);
    let estimate = SnapshotStats::count(&stats.estimated_rows);
    let rate = rows as f64 / elapsed.as_secs_f64().max(1e-3);
    let mut text = format!(
        "snapshot: {}/{} tables, {rows} rows",
        stats.tables_done.get(),
        stats.tables_total.get(),
    );
    if estimate > rows {
        text.push_str(&format!(" of ~{estimate}"));
    }
    text.push_str(&format!(", {rate:.0} rows/s"));
    if estimate > rows && rate > 0.0 {
        text.push_str(&format!(", ETA {:.0}s", (estimate - rows) as f64 / rate));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_tables_rows_rate_and_time_left() {
        let stats = SnapshotStats::default();
        stats.tables_total.set(4);
        stats.tables_done.set(1);
        stats.rows.set(1000);
        stats.estimated_rows.set(3000);
        assert_eq!(
            line(&stats, Duration::from_secs(2)),
            "snapshot: 1/4 tables, 1000 rows of ~3000, 500 rows/s, ETA 4s"
        );
    }
}
