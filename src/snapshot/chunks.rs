//! How tables are split into chunks. A table larger than `pgcdc.snapshot.chunk.pages` pages
//! is read in page ranges of that size, `WHERE ctid >= '(a,0)' AND ctid < '(b,0)'` (a TID range
//! scan, PostgreSQL 14 and later: no key needed, each page read once), the last range open at
//! its end. Smaller tables, partitioned tables and tables with a select override are one chunk,
//! read as Debezium reads them. Chunks of one table, read in order, give the rows in the order
//! of one sequential scan.

use super::tables::SnapshotTable;
use crate::config::snapshot::SnapshotConfig;
use crate::sql::quote_ident;

/// A piece of a table.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The table's index in the snapshot.
    pub table: usize,
    /// The chunk's index within its table.
    pub index_in_table: usize,
    /// The SELECT that reads it.
    pub select: String,
}

/// The chunks of `tables`, in snapshot order.
pub fn plan(tables: &[SnapshotTable], config: &SnapshotConfig) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (n, table) in tables.iter().enumerate() {
        let relation = &table.relation;
        if let Some(statement) = config.select_override(&relation.schema, &relation.table) {
            chunks.push(Chunk {
                table: n,
                index_in_table: 0,
                select: statement.to_owned(),
            });
            continue;
        }
        let columns = relation
            .columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!("SELECT {columns} FROM {}", table.quoted_name());
        let size = u64::from(config.chunk_pages.max(1));
        let pieces = if table.partitioned {
            1
        } else {
            table.pages.div_ceil(size).max(1)
        };
        if pieces == 1 {
            chunks.push(Chunk {
                table: n,
                index_in_table: 0,
                select,
            });
            continue;
        }
        for piece in 0..pieces {
            let start = piece * size;
            let condition = if piece + 1 == pieces {
                format!("ctid >= '({start},0)'::tid")
            } else {
                format!(
                    "ctid >= '({start},0)'::tid AND ctid < '({},0)'::tid",
                    start + size
                )
            };
            chunks.push(Chunk {
                table: n,
                index_in_table: piece as usize,
                select: format!("{select} WHERE {condition}"),
            });
        }
    }
    chunks
}
