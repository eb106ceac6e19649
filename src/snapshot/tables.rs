//! The tables a snapshot reads, as the snapshot sees them: every ordinary and partitioned table
//! the filters capture (and `snapshot.include.collection.list` keeps), in Debezium's order
//! (`schema.table` sorted byte by byte), each with its columns (generated ones included, as a
//! snapshot reads them), key, defaults and types, and its size for chunking and progress.

use std::sync::Arc;

use crate::change::types::TypeCache;
use crate::change::{ColumnInfo, RelationInfo, ReplicaIdentity};
use crate::config::source::SourceConfig;
use crate::source::catalog;
use crate::sql::PgError;

/// A table to read.
#[derive(Debug, Clone)]
pub struct SnapshotTable {
    /// Its description, as snapshot rows carry it.
    pub relation: Arc<RelationInfo>,
    /// Whether it is a partitioned table (read through its partitions, never in chunks).
    pub partitioned: bool,
    /// Its size in pages when the snapshot started.
    pub pages: u64,
    /// The planner's estimate of its rows (for progress only; -1 when never analysed).
    pub estimated_rows: f64,
    /// Its relfilenode (a rewrite by `TRUNCATE`, `VACUUM FULL` or `CLUSTER` changes it; 0 for a
    /// partitioned table).
    pub relfilenode: u32,
    /// The relations whose streamed changes are changes of this table: the table, and for a
    /// partitioned table its partitions.
    pub stream_oids: Vec<u32>,
}

impl SnapshotTable {
    /// `"schema"."table"`, quoted for SQL.
    pub fn quoted_name(&self) -> String {
        format!(
            "{}.{}",
            crate::sql::quote_ident(&self.relation.schema),
            crate::sql::quote_ident(&self.relation.table)
        )
    }

    /// `schema.table`, as logs and Debezium name it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.relation.schema, self.relation.table)
    }
}

const TABLES: &str = "
    SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relreplident::text,
           c.reltuples::float8,
           (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::int8)::int8,
           c.relfilenode
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

const COLUMNS: &str = "
    SELECT a.attname::text, a.atttypid, a.atttypmod, a.attnotnull,
           CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
           COALESCE(a.attnum = ANY (pk.indkey), false),
           COALESCE(a.attnum = ANY (ri.indkey), false)
      FROM pg_catalog.pg_attribute a
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
      LEFT JOIN pg_catalog.pg_index ri ON ri.indrelid = a.attrelid AND ri.indisreplident
     WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum";

const PARTITIONS: &str = "SELECT relid::oid FROM pg_catalog.pg_partition_tree($1::oid::regclass)";

/// The tables to read, in Debezium's order, read from the catalog on `client` (which should see
/// the snapshot). Their descriptions get generations from `first_generation` up, apart from
/// those of the stream.
pub async fn list(
    client: &tokio_postgres::Client,
    config: &SourceConfig,
    first_generation: u64,
) -> Result<Vec<SnapshotTable>, PgError> {
    let mut rows = Vec::new();
    for row in client.query(TABLES, &[]).await? {
        let schema: String = row.try_get(1)?;
        let table: String = row.try_get(2)?;
        if config.filter.matches(&schema, &table) && config.snapshot.includes(&schema, &table) {
            rows.push((format!("{schema}.{table}"), row));
        }
    }
    rows.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut types = TypeCache::new();
    let mut described = Vec::with_capacity(rows.len());
    for (_, row) in &rows {
        let oid: u32 = row.try_get(0)?;
        let columns = client.query(COLUMNS, &[&oid]).await?;
        for column in &columns {
            let type_oid: u32 = column.try_get(1)?;
            if !TypeCache::is_builtin(type_oid) {
                catalog::load_type(client, &mut types, type_oid).await?;
            }
        }
        described.push(columns);
    }
    let types = Arc::new(types);
    let mut tables = Vec::with_capacity(rows.len());
    for (n, ((_, row), columns)) in rows.iter().zip(described).enumerate() {
        let identity = match row.try_get::<_, String>(4)?.as_str() {
            "n" => ReplicaIdentity::Nothing,
            "f" => ReplicaIdentity::Full,
            "i" => ReplicaIdentity::Index,
            _ => ReplicaIdentity::Default,
        };
        let mut infos = Vec::with_capacity(columns.len());
        for column in &columns {
            let in_primary_key: bool = column.try_get(5)?;
            let in_index: bool = column.try_get(6)?;
            infos.push(ColumnInfo {
                name: column.try_get(0)?,
                type_oid: column.try_get(1)?,
                type_modifier: column.try_get(2)?,
                in_replica_identity: match identity {
                    ReplicaIdentity::Full => true,
                    ReplicaIdentity::Index => in_index,
                    ReplicaIdentity::Default => in_primary_key,
                    ReplicaIdentity::Nothing => false,
                },
                in_primary_key,
                nullable: !column.try_get::<_, bool>(3)?,
                default_expression: column.try_get(4)?,
            });
        }
        let relation = RelationInfo {
            oid: row.try_get(0)?,
            schema: row.try_get(1)?,
            table: row.try_get(2)?,
            replica_identity: identity,
            columns: infos,
            generation: first_generation + n as u64,
            types: Arc::clone(&types),
        };
        let partitioned = row.try_get::<_, String>(3)? == "p";
        let stream_oids = if partitioned {
            client
                .query(PARTITIONS, &[&relation.oid])
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<Vec<u32>, _>>()?
        } else {
            vec![relation.oid]
        };
        tables.push(SnapshotTable {
            relation: Arc::new(relation),
            partitioned,
            relfilenode: row.try_get(7)?,
            stream_oids,
            pages: u64::try_from(row.try_get::<_, i64>(6)?).unwrap_or(0),
            estimated_rows: row.try_get(5)?,
        });
    }
    Ok(tables)
}
