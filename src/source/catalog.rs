//! Reads type descriptions from the server's catalog into the [`TypeCache`].
//!
//! pgoutput sends a Type message (namespace and name only) before the first change that uses a
//! type that is not built in. pgcdc then reads the type from `pg_type` — with what it is built
//! from (the element of an array, the base of a domain, the subtype of a range), recursively —
//! so its values parse as what they are. It also gives a table's primary key, which record keys
//! are made of.

use crate::change::types::{TypeCache, TypeInfo, TypeKind};
use crate::sql::PgError;

const TYPE_QUERY: &str = "
    SELECT t.oid, n.nspname::text, t.typname::text, t.typtype::text, t.typcategory::text,
           t.typelem, t.typbasetype, t.typarray, t.typdelim::text,
           (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
              FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels,
           (SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) AS subtype,
           (SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid) AS range
      FROM pg_catalog.pg_type t
      JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE t.oid = $1";

/// Loads `oid`, and every type it is built from, into `cache` (those already there are kept).
/// A type the catalog no longer has is left out: its values then parse as unknown text.
pub async fn load_type(
    client: &tokio_postgres::Client,
    cache: &mut TypeCache,
    oid: u32,
) -> Result<(), PgError> {
    let mut todo = vec![oid];
    while let Some(oid) = todo.pop() {
        if oid == 0 || cache.get(oid).is_some() {
            continue;
        }
        let Some(row) = client.query_opt(TYPE_QUERY, &[&oid]).await? else {
            tracing::warn!(oid, "type not found in the catalog; its values stay text");
            continue;
        };
        let namespace: String = row.try_get(1)?;
        let name: String = row.try_get(2)?;
        let typtype: String = row.try_get(3)?;
        let category: String = row.try_get(4)?;
        let element: u32 = row.try_get(5)?;
        let base: u32 = row.try_get(6)?;
        let array: u32 = row.try_get(7)?;
        let delimiter: String = row.try_get(8)?;
        let labels: Option<Vec<String>> = row.try_get(9)?;
        let subtype: Option<u32> = row.try_get(10)?;
        let range: Option<u32> = row.try_get(11)?;
        let kind = match typtype.as_str() {
            "e" => TypeKind::Enum {
                labels: labels.unwrap_or_default(),
            },
            "d" => {
                todo.push(base);
                TypeKind::Domain { base_oid: base }
            }
            "r" => {
                let subtype = subtype.unwrap_or(0);
                todo.push(subtype);
                TypeKind::Range {
                    subtype_oid: subtype,
                }
            }
            "m" => {
                let range = range.unwrap_or(0);
                todo.push(range);
                TypeKind::Multirange { range_oid: range }
            }
            "c" => TypeKind::Composite,
            "p" => TypeKind::Pseudo,
            _ if element != 0 && category == "A" => {
                todo.push(element);
                TypeKind::Array {
                    element_oid: element,
                }
            }
            _ => TypeKind::Base,
        };
        let delimiter = delimiter.bytes().next().unwrap_or(b',');
        tracing::debug!(oid, %namespace, %name, ?kind, "loaded a type from the catalog");
        cache.insert(
            TypeInfo::new(oid, &namespace, &name, kind)
                .with_array(array)
                .with_delimiter(delimiter),
        );
    }
    Ok(())
}

/// What the catalog says of a table's columns, beyond what the stream describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableMetadata {
    /// Per column name: whether it is part of the primary key.
    pub primary_key: Vec<String>,
    /// Per column name: (`NOT NULL`, the `DEFAULT` expression).
    pub columns: Vec<ColumnMetadata>,
}

/// What the catalog says of one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMetadata {
    /// The column name.
    pub name: String,
    /// Whether it is `NOT NULL`.
    pub not_null: bool,
    /// Its `DEFAULT`, as `pg_get_expr` prints it.
    pub default_expression: Option<String>,
}

/// The primary key, nullability and defaults of the table with `oid` (empty when it no longer
/// exists).
pub async fn table_metadata(
    client: &tokio_postgres::Client,
    oid: u32,
) -> Result<TableMetadata, PgError> {
    let rows = client
        .query(
            "SELECT a.attname::text, a.attnotnull,
                    pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                    COALESCE(a.attnum = ANY (i.indkey), false)
               FROM pg_catalog.pg_attribute a
               LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
              WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&oid],
        )
        .await?;
    let mut metadata = TableMetadata::default();
    for row in rows {
        let name: String = row.try_get(0)?;
        if row.try_get::<_, bool>(3)? {
            metadata.primary_key.push(name.clone());
        }
        metadata.columns.push(ColumnMetadata {
            name,
            not_null: row.try_get(1)?,
            default_expression: row.try_get(2)?,
        });
    }
    Ok(metadata)
}
