//! Throwaway local PostgreSQL clusters started from the installed server binaries.
//!
//! `pgcdc quickstart`, `pgcdc bench` and the test suite need a real PostgreSQL with
//! `wal_level = logical` that nobody has to set up by hand. This module finds an installation
//! ([`Installation`]), runs `initdb` into a fresh temporary directory, starts `postgres` on a
//! free `127.0.0.1` port and removes everything again when the [`Cluster`] is dropped.
//!
//! PostgreSQL refuses to run as root: when the current process is root, the server binaries run
//! as the `postgres` operating-system user, which then owns the cluster's directory.
//!
//! ```no_run
//! use pgcdc::localpg::{ClusterConfig, Installation};
//!
//! # fn main() -> Result<(), pgcdc::localpg::LocalPgError> {
//! let install = Installation::find(None)?;
//! let cluster = ClusterConfig::new(install).start()?;
//! println!("connect with {}", cluster.url("postgres"));
//! // The server is stopped and its directory removed here.
//! drop(cluster);
//! # Ok(())
//! # }
//! ```

mod cluster;
pub mod decoding;
mod error;
mod install;
mod os_user;

pub use cluster::{AuthMethod, Cluster, ClusterConfig, RoleSpec, TlsFiles};
pub use error::LocalPgError;
pub use install::{Installation, tools_dir};
