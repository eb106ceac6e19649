//! The progress file of a snapshot (`pgcdc.snapshot.progress.file`, by default
//! `pgcdc-snapshot-<slot>.json` in the working directory): what a later start needs to continue
//! an interrupted snapshot, and to keep the stream from repeating what a resumed snapshot read.
//!
//! It holds the database it is of (system identifier and name), the snapshot's in-progress slot and that slot's consistent point, the next row
//! sequence number a later start may use, and per table: its oid, relfilenode and columns when
//! its chunks were planned, the snapshot point its rows were read at, how it was split, which
//! chunks are finished (every row durably taken by every sink) and whether any of its rows was
//! handed to a sink at all. It also holds the stream filter ([`SavedSnapshot::overlap`]): per
//! table read in a later snapshot than the slot's, the point before which its streamed changes
//! are already in the snapshot.
//!
//! It is replaced atomically (a temporary file, `fsync`, `rename`, `fsync` of the directory), so
//! a crash leaves either the old or the new version. A file that cannot be read is reported and
//! the snapshot starts over; it never makes pgcdc skip rows, because the configured slot only
//! exists once a snapshot is complete.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use pgoutput::Lsn;
use serde_json::{Value, json};

/// The format's version; another version is not read (the snapshot starts over).
const VERSION: u64 = 1;

/// A progress file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    /// Reading or writing failed.
    #[error(
        "{action} the snapshot's progress file {path}: {source} (set pgcdc.snapshot.progress.file to a writable place on a persistent volume)"
    )]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not a progress file pgcdc can read.
    #[error("the snapshot's progress file {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// One table of a snapshot, as planned and as far as it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedTable {
    /// The table's oid.
    pub oid: u32,
    /// `schema.table`, for the log.
    pub name: String,
    /// Its relfilenode when it was planned (a rewrite changes it).
    pub relfilenode: u32,
    /// Its columns when it was planned (names and types, see [`columns_signature`]).
    pub columns: String,
    /// The snapshot point at which its chunks are read.
    pub read_at: Lsn,
    /// Pages per chunk; 0 when it is read in one piece.
    pub chunk_pages: u64,
    /// How many chunks it has.
    pub chunks: usize,
    /// The chunks whose rows every sink has durably taken.
    pub finished: BTreeSet<usize>,
    /// Whether any of its rows was handed to a sink.
    pub started: bool,
}

impl SavedTable {
    /// Whether every chunk is finished.
    pub fn is_finished(&self) -> bool {
        self.finished.len() >= self.chunks
    }
}

/// A snapshot's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSnapshot {
    /// The database the snapshot is of: `<system identifier>/<database name>` (a file of another
    /// database is never used).
    pub database: String,
    /// The configured slot the snapshot is for.
    pub slot: String,
    /// The permanent slot that keeps the WAL from the snapshot's consistent point.
    pub snapshot_slot: String,
    /// That slot's consistent point: where the stream starts once the snapshot is complete.
    pub consistent_point: Lsn,
    /// Row sequence numbers below this may have been handed to a sink: a later start continues
    /// from here, so that its rows come after any position a sink stored.
    pub sequence_reserved: u64,
    /// Whether the snapshot is complete (the file is then kept only for [`Self::overlap`]).
    pub complete: bool,
    /// The tables, in snapshot order.
    pub tables: Vec<SavedTable>,
    /// Per relation oid: streamed changes of it that commit before this LSN are already in the
    /// snapshot and are dropped.
    pub overlap: BTreeMap<u32, Lsn>,
}

impl SavedSnapshot {
    /// The largest LSN of the stream filter: once the slot is confirmed past it, the filter
    /// drops nothing more.
    pub fn overlap_until(&self) -> Option<Lsn> {
        self.overlap.values().max().copied()
    }

    /// The file's content.
    pub fn to_json(&self) -> Value {
        json!({
            "version": VERSION,
            "database": self.database,
            "slot": self.slot,
            "snapshot_slot": self.snapshot_slot,
            "consistent_point": self.consistent_point.to_string(),
            "sequence_reserved": self.sequence_reserved,
            "complete": self.complete,
            "overlap": self.overlap.iter().map(|(oid, until)| json!({
                "oid": oid,
                "until": until.to_string(),
            })).collect::<Vec<_>>(),
            "tables": self.tables.iter().map(|t| json!({
                "oid": t.oid,
                "name": t.name,
                "relfilenode": t.relfilenode,
                "columns": t.columns,
                "read_at": t.read_at.to_string(),
                "chunk_pages": t.chunk_pages,
                "chunks": t.chunks,
                "finished": t.finished.iter().collect::<Vec<_>>(),
                "started": t.started,
            })).collect::<Vec<_>>(),
        })
    }

    /// Reads the file's content.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(VERSION) {
            return Err(format!(
                "it has format version {version:?}; this pgcdc reads version {VERSION}"
            ));
        }
        let tables = array(value, "tables")?
            .iter()
            .map(|t| {
                Ok(SavedTable {
                    oid: number(t, "oid")?,
                    name: text(t, "name")?.to_owned(),
                    relfilenode: number(t, "relfilenode")?,
                    columns: text(t, "columns")?.to_owned(),
                    read_at: lsn(t, "read_at")?,
                    chunk_pages: number(t, "chunk_pages")?,
                    chunks: number(t, "chunks")?,
                    finished: array(t, "finished")?
                        .iter()
                        .map(|n| {
                            n.as_u64()
                                .and_then(|n| usize::try_from(n).ok())
                                .ok_or_else(|| "a finished chunk is not a number".to_owned())
                        })
                        .collect::<Result<_, String>>()?,
                    started: flag(t, "started")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let overlap = array(value, "overlap")?
            .iter()
            .map(|entry| Ok((number(entry, "oid")?, lsn(entry, "until")?)))
            .collect::<Result<_, String>>()?;
        Ok(SavedSnapshot {
            database: text(value, "database")?.to_owned(),
            slot: text(value, "slot")?.to_owned(),
            snapshot_slot: text(value, "snapshot_slot")?.to_owned(),
            consistent_point: lsn(value, "consistent_point")?,
            sequence_reserved: number(value, "sequence_reserved")?,
            complete: flag(value, "complete")?,
            tables,
            overlap,
        })
    }

    /// Reads the file at `path`: `None` when there is none.
    pub async fn load(path: &Path) -> Result<Option<Self>, SavedError> {
        let bytes = match tokio::fs::read(path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SavedError::Io {
                    action: "reading",
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let damaged = |reason: String| SavedError::Damaged {
            path: path.display().to_string(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| damaged(format!("not JSON ({e})")))?;
        Self::from_json(&value).map(Some).map_err(damaged)
    }

    /// Replaces the file at `path` atomically.
    pub async fn store(&self, path: &Path) -> Result<(), SavedError> {
        let text = self.to_json().to_string();
        let path = path.to_owned();
        let shown = path.display().to_string();
        tokio::task::spawn_blocking(move || write_atomically(&path, text.as_bytes()))
            .await
            .map_err(|e| SavedError::Io {
                action: "writing",
                path: shown,
                source: std::io::Error::other(e),
            })?
    }

    /// Removes the file at `path` (there being none is fine).
    pub async fn remove(path: &Path) -> Result<(), SavedError> {
        match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SavedError::Io {
                action: "removing",
                path: path.display().to_string(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// A table's columns as a string that changes when a column is added, dropped, renamed or
/// retyped.
pub fn columns_signature(relation: &crate::change::RelationInfo) -> String {
    relation
        .columns
        .iter()
        .map(|c| format!("{}:{}:{}", c.name, c.type_oid, c.type_modifier))
        .collect::<Vec<_>>()
        .join(",")
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SavedError> {
    let io = |action: &'static str| {
        let path = path.display().to_string();
        move |source| SavedError::Io {
            action,
            path,
            source,
        }
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary).map_err(io("writing"))?;
    file.write_all(bytes).map_err(io("writing"))?;
    file.sync_all().map_err(io("syncing"))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io("replacing"))?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if let Ok(directory) = std::fs::File::open(&directory) {
        directory
            .sync_all()
            .map_err(io("syncing the directory of"))?;
    }
    Ok(())
}

fn field<'a>(value: &'a Value, key: &str) -> Result<&'a Value, String> {
    value
        .get(key)
        .ok_or_else(|| format!("\"{key}\" is missing"))
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, String> {
    field(value, key)?
        .as_str()
        .ok_or_else(|| format!("\"{key}\" is not a string"))
}

fn flag(value: &Value, key: &str) -> Result<bool, String> {
    field(value, key)?
        .as_bool()
        .ok_or_else(|| format!("\"{key}\" is not true or false"))
}

fn number<T: TryFrom<u64>>(value: &Value, key: &str) -> Result<T, String> {
    field(value, key)?
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("\"{key}\" is not a number in range"))
}

fn lsn(value: &Value, key: &str) -> Result<Lsn, String> {
    text(value, key)?
        .parse()
        .map_err(|_| format!("\"{key}\" is not an LSN"))
}

fn array<'a>(value: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    field(value, key)?
        .as_array()
        .ok_or_else(|| format!("\"{key}\" is not a list"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> SavedSnapshot {
        SavedSnapshot {
            database: "7312345678901234567/shop".to_owned(),
            slot: "orders".to_owned(),
            snapshot_slot: "orders_snapshot".to_owned(),
            consistent_point: "0/16B3748".parse().unwrap(),
            sequence_reserved: 1 << 20,
            complete: false,
            tables: vec![SavedTable {
                oid: 16384,
                name: "public.big".to_owned(),
                relfilenode: 16390,
                columns: "id:23:-1,v:25:-1".to_owned(),
                read_at: "0/16B3748".parse().unwrap(),
                chunk_pages: 64,
                chunks: 3,
                finished: [0, 1].into(),
                started: true,
            }],
            overlap: [(16400, "0/1700000".parse().unwrap())].into(),
        }
    }

    #[tokio::test]
    async fn stores_and_loads_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        assert_eq!(SavedSnapshot::load(&path).await.unwrap(), None);
        let saved = sample();
        saved.store(&path).await.unwrap();
        assert_eq!(
            SavedSnapshot::load(&path).await.unwrap(),
            Some(saved.clone())
        );
        assert!(!dir.path().join("progress.json.tmp").exists());
        assert_eq!(saved.overlap_until(), Some("0/1700000".parse().unwrap()));
        assert!(!saved.tables[0].is_finished());
        SavedSnapshot::remove(&path).await.unwrap();
        SavedSnapshot::remove(&path).await.unwrap();
        assert_eq!(SavedSnapshot::load(&path).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_damaged_file_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        for (content, says) in [
            ("{", "not JSON"),
            ("{\"version\": 7}", "format version Some(7)"),
            ("{\"version\": 1, \"tables\": []}", "\"overlap\" is missing"),
        ] {
            std::fs::write(&path, content).unwrap();
            let error = SavedSnapshot::load(&path).await.unwrap_err().to_string();
            assert!(
                error.contains("is damaged") && error.contains(says),
                "{error}"
            );
        }
        let mut value = sample().to_json();
        value["tables"][0]["read_at"] = json!("nowhere");
        std::fs::write(&path, value.to_string()).unwrap();
        let error = SavedSnapshot::load(&path).await.unwrap_err().to_string();
        assert!(error.contains("\"read_at\" is not an LSN"), "{error}");
    }
}
