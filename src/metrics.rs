//! The process's metrics, in Prometheus' text exposition format (served at `/metrics`).
//!
//! One registry per process ([`global`]); every part of pgcdc registers its counters and gauges
//! there once, by name, and updates them with atomics (no locks on the hot path):
//!
//! ```
//! let rows = pgcdc::metrics::global().counter("pgcdc_example_rows_total", "Rows seen.");
//! rows.add(3);
//! assert!(pgcdc::metrics::global().render().contains("pgcdc_example_rows_total 3"));
//! ```
//!
//! Registering a name again returns the same metric, so modules may call
//! [`Registry::counter`] wherever they need it (keep the returned handle where it is hot).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A counter: only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A gauge: a value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// Adds `n` (subtracts, when negative).
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone)]
enum Metric {
    Counter(Arc<Counter>),
    Gauge(Arc<Gauge>),
}

#[derive(Debug, Clone)]
struct Entry {
    help: &'static str,
    metric: Metric,
}

/// The metrics of a process.
#[derive(Debug, Default)]
pub struct Registry {
    entries: Mutex<BTreeMap<&'static str, Entry>>,
}

impl Registry {
    /// An empty registry (tests); the process uses [`global`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The counter `name` (created on first use). A name registered as a gauge gets a detached
    /// counter, and a warning: names are unique per kind.
    pub fn counter(&self, name: &'static str, help: &'static str) -> Arc<Counter> {
        let mut entries = self.lock();
        let entry = entries.entry(name).or_insert_with(|| Entry {
            help,
            metric: Metric::Counter(Arc::default()),
        });
        match &entry.metric {
            Metric::Counter(counter) => counter.clone(),
            Metric::Gauge(_) => {
                tracing::warn!(name, "metric registered as a gauge and as a counter");
                Arc::default()
            }
        }
    }

    /// The gauge `name` (created on first use).
    pub fn gauge(&self, name: &'static str, help: &'static str) -> Arc<Gauge> {
        let mut entries = self.lock();
        let entry = entries.entry(name).or_insert_with(|| Entry {
            help,
            metric: Metric::Gauge(Arc::default()),
        });
        match &entry.metric {
            Metric::Gauge(gauge) => gauge.clone(),
            Metric::Counter(_) => {
                tracing::warn!(name, "metric registered as a counter and as a gauge");
                Arc::default()
            }
        }
    }

    /// Every metric in Prometheus' text format, by name.
    pub fn render(&self) -> String {
        let entries = self.lock().clone();
        let mut out = String::with_capacity(entries.len() * 96);
        for (name, entry) in entries {
            let (kind, value) = match &entry.metric {
                Metric::Counter(c) => ("counter", c.get().to_string()),
                Metric::Gauge(g) => ("gauge", g.get().to_string()),
            };
            let _ = writeln!(out, "# HELP {name} {}", entry.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Entry>> {
        // A panic while holding the lock cannot leave the map half-updated: use it as it is.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The process's registry.
pub fn global() -> &'static Registry {
    static GLOBAL: OnceLock<Registry> = OnceLock::new();
    GLOBAL.get_or_init(Registry::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_format() {
        let registry = Registry::new();
        registry.counter("b_total", "B things.").add(2);
        registry.counter("b_total", "B things.").inc();
        registry.gauge("a_level", "A level.").set(-4);
        assert_eq!(
            registry.render(),
            "# HELP a_level A level.\n# TYPE a_level gauge\na_level -4\n\
             # HELP b_total B things.\n# TYPE b_total counter\nb_total 3\n"
        );
    }
}
