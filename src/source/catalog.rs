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

/// The primary key columns of the table with `oid`, in key order (empty when it has none or no
/// longer exists).
pub async fn primary_key(
    client: &tokio_postgres::Client,
    oid: u32,
) -> Result<Vec<String>, PgError> {
    let rows = client
        .query(
            "SELECT a.attname::text
               FROM pg_catalog.pg_index i
               JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = $1 AND i.indisprimary
              ORDER BY k.ord",
            &[&oid],
        )
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}
