//! `pgcdc audit serve`: the audit API, page, health and metrics over an audit store, without
//! streaming (the writer is `pgcdc run --sink audit`).

use super::{CommandError, shutdown_on_signals};
use crate::audit::config::AuditConfig;
use crate::config::load::{ConfigArgs, LoadError};
use crate::http::audit::{AuditApi, routes};
use crate::http::{Server, parse_address};

/// The default address of the HTTP server.
pub const DEFAULT_HTTP_ADDRESS: &str = "127.0.0.1:8080";

/// `pgcdc audit ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditCommand {
    /// Serve the audit API and page (with /healthz, /readyz, /metrics) until SIGTERM.
    Serve(ServeArgs),
}

/// Options of `pgcdc audit serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The configuration (its `pgcdc.audit.*` keys: the store URL and the API tokens).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Listen here (default: `pgcdc.http.address`, else 127.0.0.1:8080).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_address)]
    pub http: Option<String>,
    /// The audit store (overrides `pgcdc.audit.url`).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

/// Runs `pgcdc audit ...`.
pub async fn run(command: AuditCommand) -> Result<(), CommandError> {
    match command {
        AuditCommand::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<(), CommandError> {
    let loaded = args.config.load()?;
    let mut audit = AuditConfig::from_properties(&loaded.properties).map_err(LoadError::Setting)?;
    if args.store.is_some() {
        audit.url = args.store;
    }
    let store = audit.connection().map_err(LoadError::Setting)?;
    // The schema the API reads: created or migrated now, so a fresh store answers too.
    let mut connection = crate::audit::connect(&store).await?;
    crate::audit::schema::migrate(&mut connection.client)
        .await
        .map_err(|source| CommandError::Sql {
            context: "migrating the audit store".to_owned(),
            source,
        })?;
    drop(connection);
    if audit.tokens.is_empty() {
        tracing::warn!(
            "no API tokens are configured (pgcdc.audit.token.NAME): every API request will be refused"
        );
    }
    let address = http_address(args.http, &loaded.properties)?;
    let server = Server::new().mount(routes(AuditApi::new(store, audit.tokens)));
    server.readiness().set("audit_store", true);
    let shutdown = shutdown_on_signals();
    let (bound, task) = server.start(&address, shutdown).await?;
    tracing::info!(address = %bound, "serving the audit API at /api/audit and the page at /audit");
    match task.await {
        Ok(result) => Ok(result?),
        Err(error) => Err(CommandError::Usage(format!(
            "the HTTP server failed: {error}"
        ))),
    }
}

/// `--http`, else `pgcdc.http.address`, else the default.
pub fn http_address(
    flag: Option<String>,
    properties: &crate::config::connector::Properties,
) -> Result<String, CommandError> {
    match flag {
        Some(address) => Ok(address),
        None => match properties.get("pgcdc.http.address") {
            Some(address) => parse_address(address)
                .map_err(|e| CommandError::Usage(format!("pgcdc.http.address: {e}"))),
            None => Ok(DEFAULT_HTTP_ADDRESS.to_owned()),
        },
    }
}
