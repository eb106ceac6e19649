//! `pgcdc run` and `pgcdc replay`.

use pgoutput::Lsn;

use super::{CommandError, parse_lsn, shutdown_on_signals};
use crate::audit::config::AuditConfig;
use crate::audit::sink::AuditSink;
use crate::config::kafka::KafkaConfig;
use crate::config::load::{ConfigArgs, unsupported};
use crate::debezium::config::DebeziumConfig;
use crate::debezium::encoder::{DebeziumEncoder, new_run_id};
use crate::pipeline::run::{Replay, RunOptions, RunSummary, run as run_pipeline};
use crate::record::Encoder;
use crate::record::plain::PlainEncoder;
use crate::sink::file::FileSink;
use crate::sink::kafka::KafkaSink;
use crate::sink::{Sink, SinkTarget, parse_target};

/// What the records look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Debezium's records, as its PostgreSQL connector writes them with Kafka Connect's
    /// `JsonConverter` (keys, envelopes, schemas, headers), following the connector properties.
    Debezium,
    /// pgcdc's plain JSON of each change (see docs/operations.md).
    Plain,
}

/// Options of `pgcdc run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Where the configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where changes go: `stdout`, `file:PATH` (JSON lines; exactly once across restarts),
    /// `audit` / `audit:URL` (the audit store at `pgcdc.audit.url` or URL; exactly once),
    /// `kafka` (brokers from `kafka.bootstrap.servers`) or `kafka:HOST:PORT[,...]`.
    #[arg(long, default_value = "stdout", value_parser = parse_target)]
    pub sink: SinkTarget,
    /// What the records look like.
    #[arg(long, value_enum, default_value_t = Format::Debezium)]
    pub format: Format,
    /// Stop once everything committed before this LSN is delivered and confirmed.
    #[arg(long, value_parser = parse_lsn)]
    pub end_lsn: Option<Lsn>,
    /// Serve /healthz, /readyz, /metrics (and the audit API and page when an audit store is
    /// configured) here; `pgcdc.http.address` does the same from the configuration.
    #[arg(long, value_name = "HOST:PORT", value_parser = crate::http::parse_address)]
    pub http: Option<String>,
}

/// Options of `pgcdc replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// What to stream, and where to.
    #[command(flatten)]
    pub run: RunArgs,
    /// The slot to replay (a temporary copy of it is streamed; the slot itself stays as it is).
    #[arg(long)]
    pub slot: Option<String>,
    /// Start here instead of at the slot's confirmed position.
    #[arg(long, value_parser = parse_lsn)]
    pub from_lsn: Option<Lsn>,
}

/// Runs `pgcdc run`.
pub async fn run(args: RunArgs) -> Result<RunSummary, CommandError> {
    stream(args, None, None).await
}

/// Runs `pgcdc replay`.
pub async fn replay(args: ReplayArgs) -> Result<RunSummary, CommandError> {
    let replay = Replay {
        from_lsn: args.from_lsn,
    };
    stream(args.run, Some(replay), args.slot).await
}

async fn stream(
    args: RunArgs,
    replay: Option<Replay>,
    slot: Option<String>,
) -> Result<RunSummary, CommandError> {
    let loaded = args.config.load()?;
    let ignored = unsupported(&loaded.properties);
    if !ignored.is_empty() {
        tracing::warn!(
            "ignoring connector properties pgcdc does not support: {}",
            ignored.join(", ")
        );
    }
    let mut source = loaded.source.clone();
    if let Some(slot) = slot {
        source.slot = slot;
    }
    tracing::info!(
        database = %source.connection.redacted(),
        slot = %source.slot,
        publication = %source.publication,
        "starting"
    );
    let encoder: Box<dyn Encoder> = match args.format {
        Format::Debezium => Box::new(DebeziumEncoder::new(
            DebeziumConfig::from_properties(&loaded.properties)?,
            &new_run_id(),
        )),
        Format::Plain => Box::new(PlainEncoder::new(source.topic_prefix.clone())),
    };
    let mut audit = AuditConfig::from_properties(&loaded.properties)
        .map_err(crate::config::load::LoadError::Setting)?;
    let sink: Box<dyn Sink> = match args.sink {
        SinkTarget::File(target) => Box::new(FileSink::open(target, encoder).await?),
        SinkTarget::Audit(url) => {
            if url.is_some() {
                audit.url = url;
            }
            Box::new(AuditSink::open(&source.topic_prefix, audit.clone()).await?)
        }
        SinkTarget::Kafka { bootstrap } => {
            let config = KafkaConfig::from_properties(&loaded.properties, bootstrap.as_deref())
                .map_err(crate::config::load::LoadError::Setting)?;
            tracing::info!(bootstrap = %config.bootstrap_servers(), "producing to Kafka");
            Box::new(KafkaSink::new(config, encoder)?)
        }
    };
    let shutdown = shutdown_on_signals();
    let http = if args.http.is_some() || loaded.properties.contains_key("pgcdc.http.address") {
        let address = super::audit::http_address(args.http, &loaded.properties)?;
        let mut server = crate::http::Server::new();
        if audit.url.is_some() {
            let api = crate::http::audit::AuditApi::new(
                audit
                    .connection()
                    .map_err(crate::config::load::LoadError::Setting)?,
                audit.tokens.clone(),
            );
            server = server.mount(crate::http::audit::routes(api));
        }
        server.readiness().set("pipeline", true);
        let stop = shutdown.child_token();
        let (_, task) = server.start(&address, stop.clone()).await?;
        Some((stop, task))
    } else {
        None
    };
    let options = RunOptions {
        source,
        end_lsn: args.end_lsn,
        progress: replay.is_some(),
        replay,
    };
    let summary = run_pipeline(options, vec![sink], shutdown).await;
    if let Some((stop, task)) = http {
        stop.cancel();
        let _ = task.await;
    }
    let summary = summary?;
    tracing::info!(
        changes = summary.changes,
        transactions = summary.transactions,
        confirmed = %summary.confirmed,
        "stopped"
    );
    Ok(summary)
}
