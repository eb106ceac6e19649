//! How tables are split into chunks. A table larger than `pgcdc.snapshot.chunk.pages` pages
//! is read in page ranges of that size, `WHERE ctid >= '(a,0)' AND ctid < '(b,0)'` (a TID range
//! scan, PostgreSQL 14 and later: no key needed, each page read once), the last range open at
//! its end. Smaller tables, partitioned tables and tables with a select override are one chunk,
//! read as Debezium reads them. Chunks of one table, read in order, give the rows in the order
//! of one sequential scan.
//!
//! A split is described by its pages per chunk and its number of chunks ([`Split`]), which the
//! progress file keeps, so that a resumed snapshot reads exactly the chunks that are left.

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

/// How a table is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Pages per chunk; 0 when the table is read in one piece.
    pub chunk_pages: u64,
    /// How many chunks.
    pub chunks: usize,
}

/// How `table` is split now.
pub fn split(table: &SnapshotTable, config: &SnapshotConfig) -> Split {
    let relation = &table.relation;
    let whole = Split {
        chunk_pages: 0,
        chunks: 1,
    };
    if table.partitioned
        || config
            .select_override(&relation.schema, &relation.table)
            .is_some()
    {
        return whole;
    }
    let size = u64::from(config.chunk_pages.max(1));
    match usize::try_from(table.pages.div_ceil(size)) {
        Ok(chunks) if chunks > 1 => Split {
            chunk_pages: size,
            chunks,
        },
        _ => whole,
    }
}

/// The chunks `wanted` of the table `n` split as `split`, in order.
pub fn chunks_of(
    n: usize,
    table: &SnapshotTable,
    config: &SnapshotConfig,
    split: Split,
    wanted: impl Iterator<Item = usize>,
) -> Vec<Chunk> {
    let relation = &table.relation;
    if let Some(statement) = config.select_override(&relation.schema, &relation.table) {
        return wanted
            .take(1)
            .map(|_| Chunk {
                table: n,
                index_in_table: 0,
                select: statement.to_owned(),
            })
            .collect();
    }
    let columns = relation
        .columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!("SELECT {columns} FROM {}", table.quoted_name());
    wanted
        .filter(|piece| *piece < split.chunks)
        .map(|piece| {
            let start = piece as u64 * split.chunk_pages;
            let condition = if split.chunks <= 1 {
                None
            } else if piece + 1 == split.chunks {
                Some(format!("ctid >= '({start},0)'::tid"))
            } else {
                Some(format!(
                    "ctid >= '({start},0)'::tid AND ctid < '({},0)'::tid",
                    start + split.chunk_pages
                ))
            };
            Chunk {
                table: n,
                index_in_table: piece,
                select: match condition {
                    Some(condition) => format!("{select} WHERE {condition}"),
                    None => select.clone(),
                },
            }
        })
        .collect()
}

/// The chunks of `tables`, in snapshot order.
pub fn plan(tables: &[SnapshotTable], config: &SnapshotConfig) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (n, table) in tables.iter().enumerate() {
        let split = split(table, config);
        chunks.extend(chunks_of(n, table, config, split, 0..split.chunks));
    }
    chunks
}
