//! `pgcdc check`: a preflight of the source database, saying what is wrong and how to fix it.

use super::CommandError;
use crate::config::load::ConfigArgs;
use crate::config::source::{AutocreateMode, SourceConfig};
use crate::source::connection::{ReplicationClient, connect_sql};
use crate::source::{publication, slot};
use crate::sql::{PgError, quote_ident};

/// How a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine.
    Ok,
    /// Worth knowing; pgcdc can run.
    Warn,
    /// pgcdc cannot run (or will lose changes) until it is fixed.
    Fail,
}

/// One finding of the preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How it stands.
    pub level: Level,
    /// What was found.
    pub what: String,
    /// How to fix it, when it needs fixing.
    pub fix: Option<String>,
}

fn ok(what: impl Into<String>) -> Finding {
    Finding {
        level: Level::Ok,
        what: what.into(),
        fix: None,
    }
}

fn warn(what: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: Level::Warn,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: Level::Fail,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

/// Runs `pgcdc check` and prints the findings; fails when any finding is a failure.
pub async fn run(config: ConfigArgs) -> Result<(), CommandError> {
    let loaded = config.load()?;
    let findings = preflight(&loaded.source).await;
    for finding in &findings {
        let tag = match finding.level {
            Level::Ok => "ok  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        println!("{tag}  {}", finding.what);
        if let Some(fix) = &finding.fix {
            println!("      fix: {fix}");
        }
    }
    let failures = findings.iter().filter(|f| f.level == Level::Fail).count();
    if failures > 0 {
        return Err(CommandError::CheckFailed(failures));
    }
    Ok(())
}

/// Checks the source database for everything pgcdc needs.
pub async fn preflight(config: &SourceConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    let (client, connection) = match connect_sql(&config.connection).await {
        Ok(pair) => pair,
        Err(error) => {
            findings.push(fail(
                format!(
                    "cannot connect to {}: {error}",
                    config.connection.redacted()
                ),
                "check the host, port, user, password and database (database.* or --url)",
            ));
            return findings;
        }
    };
    findings.push(ok(format!("connected to {}", config.connection.redacted())));
    if let Err(error) = checks(config, &client, &mut findings).await {
        findings.push(fail(
            format!("a catalog query failed: {error}"),
            "see the server's message above",
        ));
    }
    connection.abort();
    findings
}

async fn setting(client: &tokio_postgres::Client, name: &str) -> Result<String, PgError> {
    let row = client
        .query_one("SELECT current_setting($1)", &[&name])
        .await?;
    Ok(row.try_get(0)?)
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> Result<i64, PgError> {
    Ok(client.query_one(sql, &[]).await?.try_get(0)?)
}

async fn checks(
    config: &SourceConfig,
    client: &tokio_postgres::Client,
    findings: &mut Vec<Finding>,
) -> Result<(), PgError> {
    let version = setting(client, "server_version").await?;
    findings.push(ok(format!("PostgreSQL {version}")));

    let wal_level = setting(client, "wal_level").await?;
    findings.push(if wal_level == "logical" {
        ok("wal_level = logical")
    } else {
        fail(
            format!("wal_level = {wal_level}: logical decoding is off"),
            "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL",
        )
    });

    let existing = slot::get(client, &config.slot).await?;
    let max_slots: i64 = setting(client, "max_replication_slots")
        .await?
        .parse()
        .unwrap_or(0);
    let used_slots = count(
        client,
        "SELECT count(*) FROM pg_catalog.pg_replication_slots",
    )
    .await?;
    findings.push(if existing.is_none() && used_slots >= max_slots {
        fail(
            format!("all {max_slots} replication slots are in use (max_replication_slots), and slot \"{}\" does not exist yet", config.slot),
            "raise max_replication_slots (restart needed) or drop an unused slot (pgcdc slot list / drop)",
        )
    } else {
        ok(format!("replication slots: {used_slots} of {max_slots} in use"))
    });
    let max_senders: i64 = setting(client, "max_wal_senders")
        .await?
        .parse()
        .unwrap_or(0);
    let used_senders = count(
        client,
        "SELECT count(*) FROM pg_catalog.pg_stat_replication",
    )
    .await?;
    findings.push(if used_senders >= max_senders {
        fail(
            format!("all {max_senders} WAL senders are in use (max_wal_senders)"),
            "raise max_wal_senders (restart needed) or stop another replication client",
        )
    } else {
        ok(format!(
            "WAL senders: {used_senders} of {max_senders} in use"
        ))
    });

    let role = client
        .query_one(
            "SELECT current_user::text, rolreplication, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?;
    let (user, replication, superuser): (String, bool, bool) =
        (role.try_get(0)?, role.try_get(1)?, role.try_get(2)?);
    findings.push(if replication || superuser {
        ok(format!("role \"{user}\" may replicate"))
    } else {
        fail(
            format!("role \"{user}\" lacks the REPLICATION attribute"),
            format!("ALTER ROLE {} REPLICATION;", quote_ident(&user)),
        )
    });

    match ReplicationClient::connect(&config.connection).await {
        Ok(mut replication_client) => match replication_client.identify_system().await {
            Ok(system) => findings.push(ok(format!(
                "replication connection works (system {}, timeline {}, WAL at {})",
                system.system_id, system.timeline, system.xlogpos
            ))),
            Err(error) => findings.push(fail(format!("IDENTIFY_SYSTEM failed: {error}"), "see the server's message")),
        },
        Err(error) => findings.push(fail(
            format!("cannot open a replication connection: {error}"),
            "allow it in pg_hba.conf (a line for this user and database from this host) and grant REPLICATION",
        )),
    }

    let publication_exists = publication::exists(client, &config.publication).await?;
    let tables: Vec<(String, String)> = if publication_exists {
        findings.push(ok(format!("publication \"{}\" exists", config.publication)));
        let rows = client
            .query(
                "SELECT schemaname::text, tablename::text FROM pg_catalog.pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2",
                &[&config.publication],
            )
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, PgError>>()?
    } else {
        findings.push(match config.autocreate {
            AutocreateMode::Disabled => fail(
                format!("publication \"{}\" does not exist and publication.autocreate.mode=disabled", config.publication),
                format!("CREATE PUBLICATION {} FOR ALL TABLES; (or FOR TABLE ...)", quote_ident(&config.publication)),
            ),
            mode => ok(format!(
                "publication \"{}\" does not exist yet; pgcdc will create it (publication.autocreate.mode={})",
                config.publication,
                match mode {
                    AutocreateMode::AllTables => "all_tables",
                    AutocreateMode::Filtered => "filtered",
                    AutocreateMode::NoTables => "no_tables",
                    AutocreateMode::Disabled => "disabled",
                }
            )),
        });
        publication::filtered_tables(client, &config.filter).await?
    };
    check_tables(config, client, &tables, findings).await?;

    match existing {
        None => findings.push(ok(format!(
            "slot \"{}\" does not exist yet; pgcdc will create it",
            config.slot
        ))),
        Some(info) => {
            if info.plugin.as_deref() != Some("pgoutput") {
                findings.push(fail(
                    format!("slot \"{}\" uses plugin {:?}, not pgoutput", info.name, info.plugin.as_deref().unwrap_or("none")),
                    format!("pgcdc slot drop {} (then let pgcdc create it), or choose another slot.name", info.name),
                ));
            }
            if let Some(pid) = info.active_pid {
                findings.push(fail(
                    format!("slot \"{}\" is in use by another process (PID {pid})", info.name),
                    "stop the other consumer (an old Debezium or pgcdc?), or choose another slot.name",
                ));
            }
            match info.wal_status.as_deref() {
                Some("lost") => findings.push(fail(
                    format!("slot \"{}\" has lost WAL it needed (wal_status = lost): changes are gone", info.name),
                    format!("pgcdc slot drop {0}; let pgcdc create it again, and re-snapshot the tables", info.name),
                )),
                Some("unreserved") => findings.push(warn(
                    format!("slot \"{}\" is about to lose WAL (wal_status = unreserved)", info.name),
                    "start pgcdc soon, or raise max_slot_wal_keep_size",
                )),
                _ => {}
            }
            if info.active_pid.is_none()
                && !info.is_lost()
                && info.plugin.as_deref() == Some("pgoutput")
            {
                findings.push(ok(format!(
                    "slot \"{}\" is ready (confirmed up to {})",
                    info.name,
                    info.confirmed_flush_lsn
                        .map_or("-".to_owned(), |l| l.to_string())
                )));
            }
        }
    }
    Ok(())
}

async fn check_tables(
    config: &SourceConfig,
    client: &tokio_postgres::Client,
    tables: &[(String, String)],
    findings: &mut Vec<Finding>,
) -> Result<(), PgError> {
    let mut key_only = Vec::new();
    let mut captured = 0;
    for (schema, table) in tables {
        if !config.filter.matches(schema, table) {
            continue;
        }
        captured += 1;
        let row = client
            .query_one(
                "SELECT c.relreplident::text,
                        EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
                   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND c.relname = $2",
                &[schema, table],
            )
            .await?;
        let identity: String = row.try_get(0)?;
        let has_primary_key: bool = row.try_get(1)?;
        let name = format!("{}.{}", quote_ident(schema), quote_ident(table));
        match (identity.as_str(), has_primary_key) {
            ("d", false) => findings.push(fail(
                format!("table {schema}.{table} has no primary key and REPLICA IDENTITY DEFAULT: its UPDATEs and DELETEs fail once it is published, and carry no key"),
                format!("add a primary key, or ALTER TABLE {name} REPLICA IDENTITY FULL;"),
            )),
            ("n", _) => findings.push(warn(
                format!("table {schema}.{table} has REPLICA IDENTITY NOTHING: its UPDATEs and DELETEs carry no old values"),
                format!("ALTER TABLE {name} REPLICA IDENTITY FULL; (or DEFAULT with a primary key)"),
            )),
            ("d" | "i", true) | ("i", false) => key_only.push(format!("{schema}.{table}")),
            _ => {}
        }
    }
    findings.push(ok(format!("{captured} table(s) captured")));
    if !key_only.is_empty() {
        findings.push(warn(
            format!(
                "{} table(s) without REPLICA IDENTITY FULL: the before image of an UPDATE or DELETE holds only the key ({})",
                key_only.len(),
                key_only.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                    + if key_only.len() > 5 { ", ..." } else { "" }
            ),
            "where whole before images are wanted (auditing): ALTER TABLE ... REPLICA IDENTITY FULL;",
        ));
    }
    Ok(())
}
