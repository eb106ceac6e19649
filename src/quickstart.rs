//! `pgcdc quickstart`: a throwaway PostgreSQL, a demo table, a few changes, and what pgcdc
//! captures of them.

use std::collections::HashMap;
use std::fmt::Write as _;

use bytes::Bytes;
use pgoutput::{Decoder, Message, Relation, Tuple, TupleData};

use crate::localpg::{Cluster, ClusterConfig, Installation, LocalPgError};
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
    /// A captured message did not decode.
    #[error("a captured message does not decode: {0}")]
    Decode(#[from] pgoutput::DecodeError),
}

const DEMO_SCHEMA: &str = "
    CREATE TABLE public.customers (
        id serial PRIMARY KEY,
        name text NOT NULL,
        email text,
        balance numeric(10, 2) DEFAULT 0
    );
    ALTER TABLE public.customers REPLICA IDENTITY FULL;
    CREATE PUBLICATION pgcdc_demo FOR TABLE public.customers;
";

const DEMO_SLOT: &str = "SELECT pg_create_logical_replication_slot('pgcdc_demo', 'pgoutput')";

const DEMO_CHANGES: [&str; 4] = [
    "INSERT INTO public.customers (name, email, balance) VALUES
        ('Ada Lovelace', 'ada@example.com', 100.50),
        ('Alan Turing', 'alan@example.com', 42.00)",
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

    let client = connect(&cluster).await?;
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

    println!("4. What the slot captured, decoded from pgoutput (protocol version 1):");
    let rows = client
        .query(
            "SELECT data FROM pg_logical_slot_get_binary_changes('pgcdc_demo', NULL, NULL, \
             'proto_version', '1', 'publication_names', 'pgcdc_demo', 'messages', 'true')",
            &[],
        )
        .await
        .map_err(PgError)?;
    let mut printer = Printer::default();
    for row in rows {
        let data: Vec<u8> = row.try_get(0).map_err(PgError)?;
        printer.print(Bytes::from(data))?;
    }
    println!(
        "   {} changes in {} transactions; the throwaway cluster is removed now.",
        printer.changes, printer.transactions
    );
    Ok(())
}

async fn connect(cluster: &Cluster) -> Result<tokio_postgres::Client, QuickstartError> {
    let (client, connection) = tokio_postgres::connect(&cluster.url("demo"), tokio_postgres::NoTls)
        .await
        .map_err(PgError)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "demo connection closed");
        }
    });
    Ok(client)
}

fn one_line(statement: &str) -> String {
    statement.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints decoded messages as readable lines.
#[derive(Default)]
struct Printer {
    decoder: Decoder,
    relations: HashMap<u32, Relation>,
    changes: usize,
    transactions: usize,
}

impl Printer {
    fn print(&mut self, data: Bytes) -> Result<(), pgoutput::DecodeError> {
        match self.decoder.decode(data)? {
            Message::Begin(begin) => {
                self.transactions += 1;
                println!(
                    "   BEGIN xid {} (commits at {})",
                    begin.xid, begin.final_lsn
                );
            }
            Message::Commit(commit) => println!("   COMMIT {}", commit.end_lsn),
            Message::Relation(relation) => {
                self.relations.insert(relation.oid, relation);
            }
            Message::Insert(insert) => {
                self.changes += 1;
                let row = self.row(insert.relation_oid, &insert.new);
                println!("     INSERT {} {row}", self.table(insert.relation_oid));
            }
            Message::Update(update) => {
                self.changes += 1;
                let before = update
                    .old
                    .as_ref()
                    .map(|old| self.row(update.relation_oid, old.tuple()))
                    .unwrap_or_else(|| "(key unchanged)".to_owned());
                let after = self.row(update.relation_oid, &update.new);
                println!(
                    "     UPDATE {} {before}\n                           -> {after}",
                    self.table(update.relation_oid)
                );
            }
            Message::Delete(delete) => {
                self.changes += 1;
                let before = self.row(delete.relation_oid, delete.old.tuple());
                println!("     DELETE {} {before}", self.table(delete.relation_oid));
            }
            Message::Truncate(truncate) => {
                self.changes += 1;
                let tables: Vec<String> = truncate
                    .relation_oids
                    .iter()
                    .map(|oid| self.table(*oid))
                    .collect();
                println!("     TRUNCATE {}", tables.join(", "));
            }
            Message::Message(message) => println!(
                "     MESSAGE {} {}",
                message.prefix.to_string_lossy(),
                String::from_utf8_lossy(&message.content)
            ),
            _ => {}
        }
        Ok(())
    }

    fn table(&self, oid: u32) -> String {
        self.relations
            .get(&oid)
            .map(|r| {
                format!(
                    "{}.{}",
                    r.namespace.to_string_lossy(),
                    r.name.to_string_lossy()
                )
            })
            .unwrap_or_else(|| format!("relation {oid}"))
    }

    fn row(&self, oid: u32, tuple: &Tuple) -> String {
        let mut text = String::from("{");
        let columns = self.relations.get(&oid).map(|r| r.columns.as_slice());
        for (i, value) in tuple.iter().enumerate() {
            let name = columns
                .and_then(|c| c.get(i))
                .map(|c| c.name.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("#{i}"));
            let shown = match &value {
                TupleData::Null => "null".to_owned(),
                TupleData::UnchangedToast => "(unchanged)".to_owned(),
                TupleData::Text(bytes) => format!("{:?}", String::from_utf8_lossy(bytes)),
                TupleData::Binary(bytes) => format!("<{} bytes>", bytes.len()),
            };
            let separator = if i == 0 { "" } else { ", " };
            let _ = write!(text, "{separator}{name}: {shown}");
        }
        text.push('}');
        text
    }
}
