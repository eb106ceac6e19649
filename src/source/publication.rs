//! The publication: checked, and created or altered following Debezium's
//! `publication.autocreate.mode`.

use crate::config::filter::TableFilter;
use crate::config::source::AutocreateMode;
use crate::sql::{PgError, quote_ident};

/// Why the publication cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    /// It is missing and may not be created.
    #[error(
        "publication {name:?} does not exist and publication.autocreate.mode=disabled: create it \
         (CREATE PUBLICATION {name} FOR ALL TABLES, or FOR TABLE ...) or choose another mode"
    )]
    Missing {
        /// The publication.
        name: String,
    },
    /// The filters match no table, so a filtered publication would be empty.
    #[error(
        "publication.autocreate.mode=filtered, but the table filters match no table of the \
         database; check table.include.list / schema.include.list"
    )]
    NoTables,
    /// The server refused.
    #[error("publication {name:?}: {source}")]
    Sql {
        /// The publication.
        name: String,
        /// What the server said.
        #[source]
        source: PgError,
    },
}

/// What was done to the publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicationAction {
    /// It existed and was left as it is.
    Kept,
    /// It was created.
    Created,
    /// Its tables were set to the filtered list.
    Altered,
}

/// Whether the publication exists.
pub async fn exists(client: &tokio_postgres::Client, name: &str) -> Result<bool, PgError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1",
            &[&name],
        )
        .await?
        .is_some())
}

/// The user tables of the database that `filter` captures, as `(schema, table)`.
pub async fn filtered_tables(
    client: &tokio_postgres::Client,
    filter: &TableFilter,
) -> Result<Vec<(String, String)>, PgError> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text
               FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_%'
              ORDER BY 1, 2",
            &[],
        )
        .await?;
    let mut tables = Vec::new();
    for row in rows {
        let schema: String = row.try_get(0)?;
        let table: String = row.try_get(1)?;
        if filter.matches(&schema, &table) {
            tables.push((schema, table));
        }
    }
    Ok(tables)
}

/// Makes sure the publication is there as `mode` wants it.
pub async fn ensure(
    client: &tokio_postgres::Client,
    name: &str,
    mode: AutocreateMode,
    filter: &TableFilter,
) -> Result<PublicationAction, PublicationError> {
    let sql_error = |source: PgError| PublicationError::Sql {
        name: name.to_owned(),
        source,
    };
    let present = exists(client, name).await.map_err(sql_error)?;
    let statement = match (mode, present) {
        (AutocreateMode::Disabled, false) => {
            return Err(PublicationError::Missing {
                name: name.to_owned(),
            });
        }
        (AutocreateMode::Disabled | AutocreateMode::AllTables | AutocreateMode::NoTables, true) => {
            return Ok(PublicationAction::Kept);
        }
        (AutocreateMode::AllTables, false) => {
            format!("CREATE PUBLICATION {} FOR ALL TABLES", quote_ident(name))
        }
        (AutocreateMode::NoTables, false) => format!("CREATE PUBLICATION {}", quote_ident(name)),
        (AutocreateMode::Filtered, present) => {
            let tables = filtered_tables(client, filter).await.map_err(sql_error)?;
            if tables.is_empty() {
                return Err(PublicationError::NoTables);
            }
            let list = tables
                .iter()
                .map(|(schema, table)| format!("{}.{}", quote_ident(schema), quote_ident(table)))
                .collect::<Vec<_>>()
                .join(", ");
            if present {
                format!("ALTER PUBLICATION {} SET TABLE {list}", quote_ident(name))
            } else {
                format!("CREATE PUBLICATION {} FOR TABLE {list}", quote_ident(name))
            }
        }
    };
    tracing::info!(publication = name, %statement, "setting up the publication");
    client
        .batch_execute(&statement)
        .await
        .map_err(|e| sql_error(PgError(e)))?;
    Ok(if present {
        PublicationAction::Altered
    } else {
        PublicationAction::Created
    })
}
