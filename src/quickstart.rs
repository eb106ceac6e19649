//! `pgcdc quickstart`: a throwaway PostgreSQL, a demo table, a few changes, and what pgcdc
//! captures of them through its replication pipeline.

use std::fmt::Write as _;

use async_trait::async_trait;
use pgoutput::Lsn;

use crate::audit::config::AuditConfig;
use crate::audit::query::{ChangeFilter, TableName};
use crate::audit::sink::AuditSink;
use crate::change::{ChangeKind, Datum, Event, Position, RelationInfo, Row};
use crate::localpg::{Cluster, ClusterConfig, Installation, LocalPgError};
use crate::pipeline::run::{RunError, RunOptions, run as run_pipeline};
use crate::sink::{Sink, SinkError};
use crate::sql::PgError;

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
    /// A statement of the demo failed.
    #[error("the demo database refused a statement: {0}")]
    Sql(#[from] PgError),
    /// The demo's settings were refused.
    #[error(transparent)]
    Setting(#[from] crate::config::source::SettingError),
    /// Streaming failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The audit store failed.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

const DEMO_SCHEMA: &str = "
    CREATE TABLE public.customers (
        id serial PRIMARY KEY,
        name text NOT NULL,
        email text,
        balance numeric(10, 2) DEFAULT 0,
        tags text[],
        updated_at timestamptz DEFAULT '2026-01-01 09:30:00+00'
    );
    ALTER TABLE public.customers REPLICA IDENTITY FULL;
    CREATE PUBLICATION pgcdc_demo FOR TABLE public.customers;
";

const DEMO_SLOT: &str = "SELECT pg_create_logical_replication_slot('pgcdc_demo', 'pgoutput')";

const DEMO_CHANGES: [&str; 4] = [
    "INSERT INTO public.customers (name, email, balance, tags) VALUES
        ('Ada Lovelace', 'ada@example.com', 100.50, '{math,poetry}'),
        ('Alan Turing', 'alan@example.com', 42.00, NULL)",
    "BEGIN;
     SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{\"user\": \"alice\", \"request_id\": \"r-17\"}');
     UPDATE public.customers SET email = 'ada@lovelace.org' WHERE name = 'Ada Lovelace';
     INSERT INTO public.customers (name) VALUES ('Grace Hopper');
     COMMIT",
    "DELETE FROM public.customers WHERE name = 'Alan Turing'",
    "TRUNCATE public.customers",
];

/// Runs the quickstart.
pub async fn run(options: Options) -> Result<(), QuickstartError> {
    let install = Installation::find(options.pg_version)?;
    println!(
        "1. Starting a throwaway PostgreSQL {} (wal_level = logical) from {}",
        install.version(),
        install.bin_dir().display()
    );
    let cluster = ClusterConfig::new(install).database("demo").start()?;
    println!("   listening on {}", cluster.url("demo"));

    let (client, connection) = connect(&cluster).await?;
    client.batch_execute(DEMO_SCHEMA).await.map_err(PgError)?;
    client.batch_execute(DEMO_SLOT).await.map_err(PgError)?;
    println!(
        "2. Created table public.customers, publication pgcdc_demo and replication slot pgcdc_demo"
    );

    println!("3. Making changes:");
    for statement in DEMO_CHANGES {
        println!("   {}", one_line(statement));
        client.batch_execute(statement).await.map_err(PgError)?;
    }
    let end: String = client
        .query_one("SELECT pg_current_wal_flush_lsn()::text", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(PgError)?;

    // The audit store: a second database of the same cluster, written by a second sink.
    client
        .batch_execute("CREATE DATABASE demo_audit")
        .await
        .map_err(PgError)?;
    let audit_properties = [("pgcdc.audit.url".to_owned(), cluster.url("demo_audit"))]
        .into_iter()
        .collect();
    let audit_config = AuditConfig::from_properties(&audit_properties)?;
    let audit_sink = AuditSink::open("demo", audit_config.clone()).await?;

    println!(
        "4. What pgcdc streamed from the slot (replication protocol, pgoutput, typed values):"
    );
    let properties = [
        ("database.hostname", cluster.host().to_owned()),
        ("database.port", cluster.port().to_string()),
        ("database.user", "postgres".to_owned()),
        ("database.dbname", "demo".to_owned()),
        ("database.sslmode", "disable".to_owned()),
        ("slot.name", "pgcdc_demo".to_owned()),
        ("publication.name", "pgcdc_demo".to_owned()),
        ("publication.autocreate.mode", "disabled".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let run_options = RunOptions {
        source: crate::config::source::from_properties(&properties)?,
        end_lsn: end.parse::<Lsn>().ok(),
        replay: None,
        progress: false,
    };
    let summary = run_pipeline(
        run_options,
        vec![Box::new(Printer::default()), Box::new(audit_sink)],
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    let confirmed: String = client
        .query_one(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'pgcdc_demo'",
            &[],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(PgError)?;
    println!(
        "5. {} changes in {} transactions delivered; the slot is confirmed up to {confirmed}.",
        summary.changes, summary.transactions
    );
    show_audit(&audit_config).await?;
    println!(
        "   The throwaway cluster is removed now. Next: pgcdc run --connector YOUR-CONNECTOR.json"
    );
    println!(
        "   (with --sink audit:postgres://.../audit for the audit store, and --http 127.0.0.1:8080 for its API and page)"
    );
    // Close the demo's connection before the cluster stops, so its end is not an error.
    drop(client);
    let _ = connection.await;
    Ok(())
}

/// The demo's SQL connection, and the task that drives it (it ends when the client is dropped).
async fn connect(
    cluster: &Cluster,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), QuickstartError> {
    let (client, connection) = tokio_postgres::connect(&cluster.url("demo"), tokio_postgres::NoTls)
        .await
        .map_err(PgError)?;
    let task = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(error = %PgError(error), "the demo's connection failed");
        }
    });
    Ok((client, task))
}

/// Prints what the audit store holds about customer 1, as the audit API reads it.
async fn show_audit(config: &AuditConfig) -> Result<(), QuickstartError> {
    let store = crate::audit::connect(&config.connection()?).await?;
    let filter = ChangeFilter {
        tables: vec![TableName {
            schema: "public".into(),
            table: "customers".into(),
        }],
        pk: Some(serde_json::json!({"id": 1})),
        ascending: true,
        limit: 100,
        ..ChangeFilter::default()
    };
    let page = crate::audit::query::list(&store.client, &filter)
        .await
        .map_err(PgError)?;
    let total: i64 = store
        .client
        .query_one("SELECT count(*) FROM pgcdc_audit.changes", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(PgError)?;
    println!(
        "6. The audit store (database demo_audit) has {total} rows; the history of customer {{\"id\": 1}}:"
    );
    for change in &page.changes {
        let who = match &change["context"] {
            serde_json::Value::Null => "no context".to_owned(),
            context => context.to_string(),
        };
        let what = match change["diff"].as_array() {
            Some(diff) => diff
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} -> {}",
                        d["column"].as_str().unwrap_or("?"),
                        d["before"],
                        d["after"]
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            None => format!("{}", change["after"]),
        };
        println!(
            "   {} {:<6} by {who}: {what}",
            change["commit_time"].as_str().unwrap_or_default(),
            change["op"].as_str().unwrap_or_default().to_uppercase(),
        );
    }
    Ok(())
}

fn one_line(statement: &str) -> String {
    statement.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A sink that prints events as readable lines.
#[derive(Debug, Default)]
struct Printer {
    last: Option<Position>,
}

#[async_trait]
impl Sink for Printer {
    fn describe(&self) -> String {
        "quickstart printer".to_owned()
    }

    async fn write(&mut self, events: &[Event]) -> Result<(), SinkError> {
        for event in events {
            match event {
                Event::Begin(txn) => {
                    println!("   BEGIN xid {} (commits at {})", txn.xid, txn.commit_lsn)
                }
                Event::Commit(commit) => println!("   COMMIT {}", commit.end_lsn),
                Event::Change(change) => match &change.kind {
                    ChangeKind::Insert { relation, after } => {
                        println!("     INSERT {} {}", table(relation), row(relation, after));
                    }
                    ChangeKind::Read {
                        relation, after, ..
                    } => {
                        println!("     READ {} {}", table(relation), row(relation, after));
                    }
                    ChangeKind::Update {
                        relation,
                        before,
                        after,
                        ..
                    } => {
                        let before = before
                            .as_ref()
                            .map_or_else(|| "(key unchanged)".to_owned(), |b| row(relation, b));
                        println!(
                            "     UPDATE {} {before}\n                           -> {}",
                            table(relation),
                            row(relation, after)
                        );
                    }
                    ChangeKind::Delete {
                        relation, before, ..
                    } => {
                        println!("     DELETE {} {}", table(relation), row(relation, before));
                    }
                    ChangeKind::Truncate { relations, .. } => {
                        let names: Vec<String> = relations.iter().map(|r| table(r)).collect();
                        println!("     TRUNCATE {}", names.join(", "));
                    }
                    ChangeKind::Message {
                        prefix, content, ..
                    } => {
                        println!("     MESSAGE {prefix} {}", String::from_utf8_lossy(content));
                    }
                },
            }
            if !matches!(event, Event::Begin(_)) {
                self.last = Some(event.position());
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<Option<Position>, SinkError> {
        Ok(self.last)
    }
}

fn table(relation: &RelationInfo) -> String {
    format!("{}.{}", relation.schema, relation.table)
}

fn row(relation: &RelationInfo, row: &Row) -> String {
    let mut text = String::from("{");
    for (i, (column, datum)) in relation.columns.iter().zip(&row.values).enumerate() {
        let shown = match datum {
            Datum::Null => "null".to_owned(),
            Datum::UnchangedToast => "(unchanged)".to_owned(),
            Datum::Value(value) => value.to_json().to_string(),
        };
        let separator = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{separator}{}: {shown}", column.name);
    }
    text.push('}');
    text
}
