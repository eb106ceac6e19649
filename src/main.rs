//! The `pgcdc` command line: parses arguments and calls into the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Native PostgreSQL change-data-capture, compatible with Debezium's PostgreSQL connector.
#[derive(Debug, Parser)]
#[command(name = "pgcdc", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Stream changes from the source database to a sink until stopped (SIGTERM/SIGINT).
    Run(pgcdc::command::run::RunArgs),
    /// Stream a temporary copy of a slot (the slot itself is not advanced).
    Replay(pgcdc::command::run::ReplayArgs),
    /// Record the raw replication frames of a slot up to an LSN.
    Capture(pgcdc::command::capture::CaptureArgs),
    /// List, create or drop replication slots.
    #[command(subcommand)]
    Slot(pgcdc::command::slot::SlotCommand),
    /// The audit store: serve its API and page.
    #[command(subcommand)]
    Audit(pgcdc::command::audit::AuditCommand),
    /// Check the source database for everything pgcdc needs, and say how to fix what is missing.
    Check(pgcdc::config::load::ConfigArgs),
    /// Start a throwaway local PostgreSQL, make a few changes and show what pgcdc captures.
    Quickstart(pgcdc::quickstart::Options),
    /// Measure on a throwaway PostgreSQL: pg_recvlogical's drain rate and pgcdc's decoding rate.
    Bench(pgcdc::bench::run::Options),
}

fn boxed(error: impl std::error::Error + 'static) -> Box<dyn std::error::Error> {
    Box::new(error)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo and the benchmark print their own report; logs would only interleave with it.
    let default_filter = match cli.command {
        Command::Quickstart(_) | Command::Bench(_) => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PGCDC_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => pgcdc::command::run::run(args)
                .await
                .map(drop)
                .map_err(boxed),
            Command::Replay(args) => pgcdc::command::run::replay(args)
                .await
                .map(drop)
                .map_err(boxed),
            Command::Capture(args) => pgcdc::command::capture::run(args)
                .await
                .map(drop)
                .map_err(boxed),
            Command::Slot(command) => pgcdc::command::slot::run(command).await.map_err(boxed),
            Command::Audit(command) => pgcdc::command::audit::run(command).await.map_err(boxed),
            Command::Check(config) => pgcdc::command::check::run(config).await.map_err(boxed),
            Command::Quickstart(options) => pgcdc::quickstart::run(options)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>),
            Command::Bench(options) => pgcdc::bench::run::run(&options).await.map_err(boxed),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
