//! `pgcdc slot list|create|drop`.

use super::CommandError;
use crate::config::load::ConfigArgs;
use crate::source::connection::connect_sql;
use crate::source::slot;

/// What to do with slots.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SlotCommand {
    /// List the server's replication slots.
    List {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Create a logical slot with the pgoutput plugin (default: `slot.name`).
    Create {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArgs,
        /// The slot name.
        name: Option<String>,
    },
    /// Drop a slot (default: `slot.name`). Its position is lost.
    Drop {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArgs,
        /// The slot name.
        name: Option<String>,
    },
}

/// Runs a slot command, printing its result.
pub async fn run(command: SlotCommand) -> Result<(), CommandError> {
    let (config, name) = match &command {
        SlotCommand::List { config } => (config, None),
        SlotCommand::Create { config, name } | SlotCommand::Drop { config, name } => {
            (config, name.clone())
        }
    };
    let loaded = config.load()?;
    let name = name.unwrap_or_else(|| loaded.source.slot.clone());
    let (client, connection) = connect_sql(&loaded.source.connection).await?;
    let _connection = connection;
    let sql = |context: &str| {
        let context = context.to_owned();
        move |source| CommandError::Sql { context, source }
    };
    match command {
        SlotCommand::List { .. } => {
            let slots = slot::list(&client).await.map_err(sql("listing slots"))?;
            println!(
                "{:<32} {:<9} {:<10} {:<16} {:<8} {:<14} {:<14} wal_status",
                "slot", "type", "plugin", "database", "active", "restart_lsn", "confirmed",
            );
            for s in slots {
                println!(
                    "{:<32} {:<9} {:<10} {:<16} {:<8} {:<14} {:<14} {}",
                    s.name,
                    s.slot_type,
                    s.plugin.as_deref().unwrap_or("-"),
                    s.database.as_deref().unwrap_or("-"),
                    s.active_pid
                        .map_or("no".to_owned(), |pid| format!("pid {pid}")),
                    s.restart_lsn.map_or("-".to_owned(), |l| l.to_string()),
                    s.confirmed_flush_lsn
                        .map_or("-".to_owned(), |l| l.to_string()),
                    s.wal_status.as_deref().unwrap_or("-"),
                );
            }
        }
        SlotCommand::Create { .. } => {
            if slot::get(&client, &name)
                .await
                .map_err(sql("reading the slot"))?
                .is_some()
            {
                return Err(CommandError::Usage(format!(
                    "replication slot \"{name}\" already exists"
                )));
            }
            let point = slot::create(&client, &name)
                .await
                .map_err(sql("creating the slot"))?;
            println!("created replication slot \"{name}\" (pgoutput) at {point}");
        }
        SlotCommand::Drop { .. } => {
            match slot::get(&client, &name)
                .await
                .map_err(sql("reading the slot"))?
            {
                None => {
                    return Err(CommandError::Usage(format!(
                        "replication slot \"{name}\" does not exist; pgcdc slot list shows the slots"
                    )));
                }
                Some(info) if info.active_pid.is_some() => {
                    return Err(CommandError::Usage(format!(
                        "replication slot \"{name}\" is in use by PID {}; stop that consumer first",
                        info.active_pid.unwrap_or_default()
                    )));
                }
                Some(_) => {}
            }
            slot::drop_slot(&client, &name)
                .await
                .map_err(sql("dropping the slot"))?;
            println!("dropped replication slot \"{name}\"");
        }
    }
    Ok(())
}
