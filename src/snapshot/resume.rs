//! Continuing an interrupted snapshot, and the state a finished one leaves for the stream.
//!
//! [`begin`] decides, before a snapshot (`initial`, `initial_only`, `when_needed`), whether an
//! earlier one can be continued: its permanent in-progress slot must exist, not have lost WAL, and
//! still stand at the consistent point the progress file records. Otherwise the leftovers are
//! removed and the snapshot starts over, with a log line saying why.
//!
//! [`replan`] plans the rest of a continued snapshot, taken in a new exported snapshot Y while
//! the stream will start at the first snapshot's consistent point X:
//! - a table whose chunks are all finished is not read again;
//! - a table no sink has any row of yet is read whole in Y, and the stream drops its changes
//!   that commit before Y ([`super::overlap`]);
//! - a table partly delivered, which did not change since its chunks were read (same
//!   relfilenode and columns, no change committed since: see [`changed_tables`]), has only its
//!   unfinished chunks read, in Y (it is the same there); the rows of a chunk that was being
//!   delivered at the stop are delivered again;
//! - a table partly delivered that changed is read whole in Y and its changes are streamed from
//!   where its rows were read before: its rows and the changes in between appear again (dropping
//!   them instead would lose the deletes of rows a sink already has).
//!
//! [`settle`] runs once the configured slot exists: it drops a leftover in-progress slot and
//! returns the stream filter while the slot is not past it.

use std::collections::HashSet;
use std::path::Path;

use bytes::Bytes;
use futures_util::{StreamExt as _, pin_mut};
use pgoutput::{Lsn, Message};

use super::SnapshotError;
use super::chunks::{self, Chunk, Split};
use super::overlap::Overlap;
use super::saved::{SavedSnapshot, SavedTable, columns_signature};
use super::tables::SnapshotTable;
use crate::config::snapshot::SnapshotMode;
use crate::config::source::SourceConfig;
use crate::source::connection::ReplicationClient;
use crate::source::slot::{self, SlotInfo};
use crate::sql::{PgError, quote_ident};

/// The longest slot name PostgreSQL takes (`NAMEDATALEN - 1`).
const MAX_SLOT_NAME: usize = 63;
const SUFFIX: &str = "_snapshot";
/// The changes of the transactions that commit between the slot's position and `$2`, as
/// pgoutput (protocol 1) sends them for the publication `$3`, without consuming them.
/// The tables (oids) the publication `$1` sends every change of.
const WATCHED: &str = "
    SELECT (pg_catalog.quote_ident(pt.schemaname) || '.' || pg_catalog.quote_ident(pt.tablename))::regclass::oid
      FROM pg_catalog.pg_publication_tables pt
      JOIN pg_catalog.pg_publication p ON p.pubname = pt.pubname
     WHERE pt.pubname = $1 AND pt.rowfilter IS NULL
       AND p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate";
const PEEK: &str = "SELECT data FROM pg_catalog.pg_logical_slot_peek_binary_changes($1, $2::text::pg_lsn, NULL, 'proto_version', '1', 'publication_names', $3)";

/// The in-progress slot of a snapshot into `slot`: `<slot>_snapshot`, the slot's name cut so
/// that the whole fits in 63 characters.
pub fn in_progress_slot(slot: &str) -> String {
    let keep = slot.len().min(MAX_SLOT_NAME - SUFFIX.len());
    // Slot names are ASCII (lower-case letters, digits, underscores).
    let base = slot.get(..keep).unwrap_or(slot);
    let name = format!("{base}{SUFFIX}");
    if name == slot {
        // A 63-character slot name ending in the suffix: another name than the slot's own.
        format!("{}_snap", &base[..base.len().min(MAX_SLOT_NAME - 5)])
    } else {
        name
    }
}

/// How a snapshot begins.
#[derive(Debug)]
pub enum Beginning {
    /// `snapshot.mode=always`: a temporary slot, nothing kept (a stop starts it over).
    Temporary,
    /// A new snapshot with a permanent in-progress slot and a progress file.
    Fresh,
    /// The continuation of an interrupted snapshot.
    Resume(SavedSnapshot),
}

/// Decides how the snapshot for `config` begins; removes what is left of an interrupted
/// snapshot that cannot be continued.
pub async fn begin(
    config: &SourceConfig,
    sql: &tokio_postgres::Client,
) -> Result<Beginning, SnapshotError> {
    if config.snapshot.mode == SnapshotMode::Always {
        return Ok(Beginning::Temporary);
    }
    let path = config.snapshot.progress_path(&config.slot);
    let name = in_progress_slot(&config.slot);
    let leftover = read_slot(sql, &name).await?;
    if let Some(info) = &leftover
        && (info.temporary || info.plugin.as_deref() != Some("pgoutput"))
    {
        return Err(SnapshotError::Foreign { slot: name });
    }
    let saved = SavedSnapshot::load(&path).await;
    let database = match &saved {
        Ok(Some(_)) => identity(config).await?,
        _ => String::new(),
    };
    let shown = path.display();
    let why_not = match (saved, &leftover) {
        (Ok(None), None) => return Ok(Beginning::Fresh),
        (Err(error), _) => error.to_string(),
        (Ok(Some(saved)), _) if saved.database != database => format!(
            "the progress file {shown} is of another database ({}, this is {database}): give each pgcdc its own pgcdc.snapshot.progress.file",
            saved.database
        ),
        (Ok(None), Some(_)) => format!(
            "the in-progress slot {name} exists but there is no progress file at {shown} (deleted, or pgcdc.snapshot.progress.file changed; in a container it must be on a persistent volume)"
        ),
        (Ok(Some(saved)), _) if saved.slot != config.slot || saved.snapshot_slot != name => {
            format!(
                "the progress file {shown} is for slot {} (in-progress slot {}), not {}",
                saved.slot, saved.snapshot_slot, config.slot
            )
        }
        (Ok(Some(_)), None) => format!(
            "the progress file {shown} is there but the in-progress slot {name} is not (dropped?)"
        ),
        (Ok(Some(saved)), Some(_)) if saved.complete => format!(
            "the progress file {shown} says the snapshot was complete, but slot {} does not exist (dropped?)",
            config.slot
        ),
        (Ok(Some(_)), Some(info)) if info.is_lost() => {
            format!("the in-progress slot {name} lost WAL it needed (max_slot_wal_keep_size)")
        }
        (Ok(Some(saved)), Some(info))
            if info.confirmed_flush_lsn != Some(saved.consistent_point) =>
        {
            format!(
                "the in-progress slot {name} stands at {}, but the progress file {shown} was written for {}",
                info.confirmed_flush_lsn.unwrap_or_default(),
                saved.consistent_point
            )
        }
        (Ok(Some(saved)), Some(_)) => return Ok(Beginning::Resume(saved)),
    };
    tracing::warn!(
        reason = %why_not,
        "the interrupted snapshot cannot be continued, so the snapshot starts over"
    );
    if leftover.is_some() {
        slot::drop_slot(sql, &name)
            .await
            .map_err(|source| SnapshotError::Sql {
                context: "dropping the in-progress slot of the interrupted snapshot",
                source,
            })?;
        tracing::info!(slot = %name, "dropped the in-progress slot of the interrupted snapshot");
    }
    SavedSnapshot::remove(&path).await?;
    Ok(Beginning::Fresh)
}

/// Once the configured slot exists: drops a leftover in-progress slot (a stop between the copy
/// and the drop), and returns the stream filter of a resumed snapshot while the slot is not
/// confirmed past it (removing the progress file once it is).
pub async fn settle(
    config: &SourceConfig,
    sql: &tokio_postgres::Client,
    info: &SlotInfo,
) -> Result<Option<Overlap>, SnapshotError> {
    let name = in_progress_slot(&config.slot);
    if let Some(leftover) = read_slot(sql, &name).await?
        && !leftover.temporary
        && leftover.plugin.as_deref() == Some("pgoutput")
        && leftover.active_pid.is_none()
    {
        slot::drop_slot(sql, &name)
            .await
            .map_err(|source| SnapshotError::Sql {
                context: "dropping the in-progress slot of a completed snapshot",
                source,
            })?;
        tracing::info!(slot = %name, "dropped the in-progress slot left by a completed snapshot");
    }
    let path = config.snapshot.progress_path(&config.slot);
    let saved = match SavedSnapshot::load(&path).await {
        Ok(Some(saved)) if saved.slot == config.slot => saved,
        Ok(_) => return Ok(None),
        Err(error) => {
            tracing::warn!(%error, "the snapshot's progress file cannot be read, so the stream does not drop the changes a resumed snapshot already holds (they may appear twice)");
            return Ok(None);
        }
    };
    let database = identity(config).await?;
    if saved.database != database {
        tracing::warn!(
            path = %path.display(),
            file = %saved.database,
            database = %database,
            "the snapshot's progress file is of another database and is not used: give each pgcdc its own pgcdc.snapshot.progress.file"
        );
        return Ok(None);
    }
    let confirmed = info.confirmed_flush_lsn.unwrap_or_default();
    let overlap = Overlap::new(
        saved
            .overlap
            .iter()
            .filter(|(_, before)| **before > confirmed)
            .map(|(oid, before)| (*oid, *before)),
    );
    if overlap.is_none() {
        finish_overlap(&path).await;
    }
    Ok(overlap)
}

/// Removes the progress file once the stream filter drops nothing more.
pub async fn finish_overlap(path: &Path) {
    match SavedSnapshot::remove(path).await {
        Ok(()) => tracing::debug!(path = %path.display(), "removed the snapshot's progress file"),
        Err(error) => tracing::warn!(%error, "could not remove the snapshot's progress file"),
    }
}

/// `<system identifier>/<database>` of the source (`IDENTIFY_SYSTEM`).
pub async fn identity(config: &SourceConfig) -> Result<String, SnapshotError> {
    let mut client = ReplicationClient::connect(&config.connection).await?;
    let identity = database_of(&mut client).await;
    let _ = client.close().await;
    identity
}

/// `<system identifier>/<database>` of the server `client` is connected to.
pub async fn database_of(client: &mut ReplicationClient) -> Result<String, SnapshotError> {
    let system = client.identify_system().await?;
    Ok(format!(
        "{}/{}",
        system.system_id,
        system.dbname.unwrap_or_default()
    ))
}

async fn read_slot(
    sql: &tokio_postgres::Client,
    name: &str,
) -> Result<Option<SlotInfo>, SnapshotError> {
    slot::get(sql, name)
        .await
        .map_err(|source| SnapshotError::Sql {
            context: "reading the in-progress slot",
            source,
        })
}

/// A new snapshot's record: every table planned now, read at `at`.
pub fn fresh(
    config: &SourceConfig,
    database: String,
    snapshot_slot: &str,
    at: Lsn,
    tables: &[SnapshotTable],
) -> (SavedSnapshot, Vec<Chunk>) {
    let mut saved = SavedSnapshot {
        database,
        slot: config.slot.clone(),
        snapshot_slot: snapshot_slot.to_owned(),
        consistent_point: at,
        sequence_reserved: 0,
        complete: false,
        tables: Vec::with_capacity(tables.len()),
        overlap: Default::default(),
    };
    let mut chunks = Vec::new();
    for (n, table) in tables.iter().enumerate() {
        let split = chunks::split(table, &config.snapshot);
        saved.tables.push(record(table, split, at));
        chunks.extend(chunks::chunks_of(
            n,
            table,
            &config.snapshot,
            split,
            0..split.chunks,
        ));
    }
    (saved, chunks)
}

fn record(table: &SnapshotTable, split: Split, at: Lsn) -> SavedTable {
    SavedTable {
        oid: table.relation.oid,
        name: table.name(),
        relfilenode: table.relfilenode,
        columns: columns_signature(&table.relation),
        read_at: at,
        chunk_pages: split.chunk_pages,
        chunks: split.chunks,
        finished: Default::default(),
        started: false,
    }
}

/// The tables of `saved` that are partly delivered and may be continued chunk by chunk if they
/// did not change: same relfilenode and columns in `tables` (as snapshot Y sees them).
pub fn continuable<'a>(saved: &'a SavedSnapshot, tables: &[SnapshotTable]) -> Vec<&'a SavedTable> {
    saved
        .tables
        .iter()
        .filter(|t| t.started && !t.is_finished() && !t.finished.is_empty() && t.chunks > 1)
        .filter(|t| {
            tables.iter().any(|table| {
                table.relation.oid == t.oid
                    && table.relfilenode == t.relfilenode
                    && columns_signature(&table.relation) == t.columns
            })
        })
        .collect()
}

/// Which of `candidates` had a change (insert, update, delete, truncate) committed at or after
/// the point its rows were read, up to `upto` (snapshot Y's consistent point): peeks the
/// in-progress slot, which holds every change since X, without consuming it. A table whose
/// changes the publication does not all send counts as changed.
pub async fn changed_tables(
    sql: &tokio_postgres::Client,
    config: &SourceConfig,
    snapshot_slot: &str,
    upto: Lsn,
    candidates: &[&SavedTable],
) -> Result<HashSet<u32>, SnapshotError> {
    let mut changed = HashSet::new();
    if candidates.is_empty() {
        return Ok(changed);
    }
    // Only changes the publication sends are seen: a table it does not send every insert,
    // update, delete and truncate of (unpublished, row filter, `publish` limited) counts as
    // changed.
    let watched: HashSet<u32> = sql
        .query(WATCHED, &[&config.publication])
        .await
        .map_err(|source| SnapshotError::Sql {
            context: "reading the tables the publication sends every change of",
            source: PgError(source),
        })?
        .iter()
        .filter_map(|row| row.try_get(0).ok())
        .collect();
    changed.extend(
        candidates
            .iter()
            .map(|t| t.oid)
            .filter(|oid| !watched.contains(oid)),
    );
    let publication = quote_ident(&config.publication);
    let upto_text = upto.to_string();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&snapshot_slot, &upto_text, &publication];
    let peek_error = |source| SnapshotError::Sql {
        context: "reading the changes since the interrupted snapshot (peeking its slot)",
        source: PgError(source),
    };
    let rows = sql.query_raw(PEEK, params).await.map_err(peek_error)?;
    pin_mut!(rows);
    let mut commit = Lsn::from(0);
    while let Some(row) = rows.next().await {
        let row = row.map_err(peek_error)?;
        let data: Vec<u8> = row.try_get(0).map_err(peek_error)?;
        let message =
            Message::decode(Bytes::from(data), false).map_err(|e| SnapshotError::Peek {
                reason: e.to_string(),
            })?;
        let oids: Vec<u32> = match message {
            Message::Begin(begin) => {
                commit = begin.final_lsn;
                continue;
            }
            Message::Insert(m) => vec![m.relation_oid],
            Message::Update(m) => vec![m.relation_oid],
            Message::Delete(m) => vec![m.relation_oid],
            Message::Truncate(m) => m.relation_oids,
            _ => continue,
        };
        for table in candidates {
            if commit >= table.read_at && oids.contains(&table.oid) {
                changed.insert(table.oid);
            }
        }
    }
    Ok(changed)
}

/// Plans the rest of the snapshot `saved` in the new snapshot taken at `y`, whose tables are
/// `tables`; `unchanged` are the partly delivered tables that may be continued chunk by chunk.
/// Updates `saved` (plan, stream filter) and returns the chunks to read.
pub fn replan(
    saved: &mut SavedSnapshot,
    config: &SourceConfig,
    tables: &[SnapshotTable],
    y: Lsn,
    unchanged: &HashSet<u32>,
) -> Vec<Chunk> {
    let mut previous: std::collections::HashMap<u32, SavedTable> =
        saved.tables.drain(..).map(|t| (t.oid, t)).collect();
    let mut chunks = Vec::new();
    let (mut skipped, mut continued, mut fresh, mut again) = (0usize, 0usize, 0usize, 0usize);
    for (n, table) in tables.iter().enumerate() {
        let oid = table.relation.oid;
        let same = |t: &SavedTable| {
            t.relfilenode == table.relfilenode && t.columns == columns_signature(&table.relation)
        };
        match previous.remove(&oid) {
            Some(t) if t.is_finished() => {
                skipped += 1;
                saved.tables.push(t);
            }
            Some(t) if t.started && unchanged.contains(&oid) && same(&t) => {
                continued += 1;
                let split = Split {
                    chunk_pages: t.chunk_pages,
                    chunks: t.chunks,
                };
                let left = (0..t.chunks).filter(|c| !t.finished.contains(c));
                chunks.extend(chunks::chunks_of(n, table, &config.snapshot, split, left));
                tracing::info!(
                    table = %t.name,
                    finished = t.finished.len(),
                    chunks = t.chunks,
                    "the table did not change since its chunks were read: reading only its unfinished chunks"
                );
                saved.tables.push(t);
            }
            Some(t) if t.started => {
                again += 1;
                tracing::warn!(
                    table = %t.name,
                    "the table was partly delivered and changed since (or cannot be checked): it is read whole again, and its rows delivered before and its changes since then appear again"
                );
                let split = chunks::split(table, &config.snapshot);
                let mut record = record(table, split, y);
                record.started = true;
                saved.tables.push(record);
                chunks.extend(chunks::chunks_of(
                    n,
                    table,
                    &config.snapshot,
                    split,
                    0..split.chunks,
                ));
            }
            _ => {
                fresh += 1;
                let split = chunks::split(table, &config.snapshot);
                saved.tables.push(record(table, split, y));
                for oid in &table.stream_oids {
                    saved.overlap.insert(*oid, y);
                }
                chunks.extend(chunks::chunks_of(
                    n,
                    table,
                    &config.snapshot,
                    split,
                    0..split.chunks,
                ));
            }
        }
    }
    tracing::info!(
        consistent_point = %saved.consistent_point,
        new_snapshot = %y,
        tables_done = skipped,
        tables_continued = continued,
        tables_from_the_start = fresh,
        tables_read_again = again,
        "continuing the interrupted snapshot: finished chunks are not read again"
    );
    chunks
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::*;
    use crate::change::types::TypeCache;
    use crate::change::{ColumnInfo, RelationInfo, ReplicaIdentity};

    fn config() -> SourceConfig {
        let properties = [
            ("database.hostname", "localhost"),
            ("database.dbname", "shop"),
            ("database.user", "pgcdc"),
            ("slot.name", "orders"),
            ("pgcdc.snapshot.chunk.pages", "4"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        crate::config::source::from_properties(&properties).unwrap()
    }

    fn table(oid: u32, name: &str, pages: u64, column: &str) -> SnapshotTable {
        SnapshotTable {
            relation: Arc::new(RelationInfo {
                oid,
                schema: "public".to_owned(),
                table: name.to_owned(),
                replica_identity: ReplicaIdentity::Default,
                columns: vec![ColumnInfo {
                    name: column.to_owned(),
                    type_oid: 23,
                    type_modifier: -1,
                    in_replica_identity: true,
                    in_primary_key: true,
                    nullable: false,
                    default_expression: None,
                }],
                generation: 1,
                types: Arc::new(TypeCache::new()),
            }),
            partitioned: false,
            pages,
            estimated_rows: 0.0,
            relfilenode: oid + 1000,
            stream_oids: vec![oid],
        }
    }

    #[test]
    fn a_resumed_snapshot_reads_what_is_left_consistently() {
        let config = config();
        let x: Lsn = "0/1000".parse().unwrap();
        let y: Lsn = "0/2000".parse().unwrap();
        // done: finished; part: 3 of 4 chunks started and 2 finished (unchanged since);
        // moved: partly delivered and changed; fresh: never started.
        let tables = [
            table(1, "done", 8, "id"),
            table(2, "part", 16, "id"),
            table(3, "moved", 16, "id"),
            table(4, "fresh", 16, "id"),
        ];
        let (mut saved, chunks) =
            fresh(&config, "1/shop".to_owned(), "orders_snapshot", x, &tables);
        assert_eq!(chunks.len(), 2 + 4 + 4 + 4);
        saved.tables[0].finished = [0, 1].into();
        saved.tables[0].started = true;
        saved.tables[1].finished = [0, 1].into();
        saved.tables[1].started = true;
        saved.tables[2].finished = [0].into();
        saved.tables[2].started = true;
        assert_eq!(
            continuable(&saved, &tables)
                .iter()
                .map(|t| t.oid)
                .collect::<Vec<_>>(),
            [2, 3]
        );

        // In Y: `moved` has another column; `part` did not change.
        let now = [
            table(1, "done", 8, "id"),
            table(2, "part", 16, "id"),
            table(3, "moved", 16, "key"),
            table(4, "fresh", 20, "id"),
        ];
        let chunks = replan(&mut saved, &config, &now, y, &[2, 3].into());
        let planned: Vec<(usize, usize)> =
            chunks.iter().map(|c| (c.table, c.index_in_table)).collect();
        assert_eq!(
            planned,
            [
                (1, 2),
                (1, 3),
                (2, 0),
                (2, 1),
                (2, 2),
                (2, 3),
                (3, 0),
                (3, 1),
                (3, 2),
                (3, 3),
                (3, 4)
            ]
        );
        assert!(
            chunks[0]
                .select
                .contains("ctid >= '(8,0)'::tid AND ctid < '(12,0)'::tid")
        );
        assert!(chunks[1].select.ends_with("WHERE ctid >= '(12,0)'::tid"));
        // Only the table no sink has a row of gets the stream filter.
        assert_eq!(saved.overlap, [(4, y)].into());
        assert_eq!(saved.tables[1].read_at, x, "continued in Y, as it was at X");
        assert!(saved.tables[2].started && saved.tables[2].finished.is_empty());
        assert_eq!(saved.tables[2].read_at, y);
        assert_eq!(saved.tables[3].chunks, 5);
    }

    #[test]
    fn in_progress_slot_names_fit() {
        assert_eq!(in_progress_slot("orders"), "orders_snapshot");
        let long = "a".repeat(63);
        let name = in_progress_slot(&long);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_snapshot"));
        let tricky = format!("{}_snapshot", "b".repeat(54));
        assert_eq!(tricky.len(), 63);
        let name = in_progress_slot(&tricky);
        assert_ne!(name, tricky);
        assert!(name.len() <= 63);
    }
}
