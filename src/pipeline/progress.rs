//! A progress line on standard error for long runs (replay, capture): the LSN reached of the
//! target, changes and changes per second. Shown only when standard error is a terminal.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use pgoutput::Lsn;

use super::run::RunSummary;

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(250);

/// The progress line.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    target: Option<Lsn>,
    started: Instant,
    last_drawn: Option<Instant>,
    first_lsn: Option<Lsn>,
}

impl Progress {
    /// Progress towards `target`, drawn only when `wanted` and standard error is a terminal.
    pub fn new(wanted: bool, target: Option<Lsn>) -> Self {
        Self {
            enabled: wanted && std::io::stderr().is_terminal(),
            target,
            started: Instant::now(),
            last_drawn: None,
            first_lsn: None,
        }
    }

    /// Reports that the stream reached `lsn`.
    pub fn update(&mut self, lsn: Lsn, summary: &RunSummary) {
        if !self.enabled {
            return;
        }
        let first = *self.first_lsn.get_or_insert(lsn);
        if self.last_drawn.is_some_and(|at| at.elapsed() < EVERY) {
            return;
        }
        self.last_drawn = Some(Instant::now());
        let rate = summary.changes as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let position = match self.target {
            Some(target) if target > first => {
                let done = u64::from(lsn).saturating_sub(u64::from(first)) as f64;
                let total = (u64::from(target) - u64::from(first)) as f64;
                format!(
                    "{lsn} of {target} ({:.0}%)",
                    (done / total * 100.0).min(100.0)
                )
            }
            _ => lsn.to_string(),
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2K{position}  {} changes  {rate:.0} changes/s",
            summary.changes
        );
        let _ = stderr.flush();
    }

    /// Ends the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_drawn.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}
