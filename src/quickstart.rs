//! `pgcdc quickstart`: a throwaway PostgreSQL, a demo table, a few changes, and what pgcdc
//! captures of them.

use crate::localpg::{ClusterConfig, Installation, LocalPgError};

/// Options of `pgcdc quickstart`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// PostgreSQL major version to run (default: the newest installed).
    #[arg(long)]
    pub pg_version: Option<u32>,
}

/// What can stop the quickstart.
#[derive(Debug, thiserror::Error)]
pub enum QuickstartError {
    /// The throwaway cluster could not be set up.
    #[error(transparent)]
    LocalPg(#[from] LocalPgError),
}

/// Runs the quickstart.
pub async fn run(options: Options) -> Result<(), QuickstartError> {
    let install = Installation::find(options.pg_version)?;
    println!(
        "Starting a throwaway PostgreSQL {} from {} ...",
        install.version(),
        install.bin_dir().display()
    );
    let cluster = ClusterConfig::new(install).database("demo").start()?;
    println!("PostgreSQL is listening on {}", cluster.url("demo"));
    Ok(())
}
