//! Turns pgoutput messages into the change model's [`Event`]s.
//!
//! The assembler keeps the relation cache (a new Relation message changes a table's description
//! from that point on), parses every column value with the [`TypeCache`], numbers the changes of
//! each transaction, and, with protocol version 2, holds the blocks of large in-progress
//! transactions in a [`StreamBuffers`] until their Stream Commit (dropping them on Stream Abort).
//!
//! Two things come from the catalog rather than the stream, and the assembler asks for them for
//! the caller to load before the next message: a type that is not built in, named by a Type
//! message ([`Assembler::take_type_requests`]), and a table's primary key, which record keys are
//! made of, with its columns' nullability and defaults ([`Assembler::take_metadata_requests`];
//! the stream only marks the replica identity, which
//! with `REPLICA IDENTITY FULL` is every column).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use pgoutput::{Decoder, Lsn, Message, OldTuple, Tuple, TupleData};

use super::catalog::TableMetadata;
use super::stream_buffer::{StreamBufferError, StreamBuffers};
use crate::change::types::TypeCache;
use crate::change::value::{ValueError, parse_binary, parse_text};
use crate::change::{
    Change, ChangeKind, ColumnInfo, CommitInfo, Datum, Event, Position, RelationInfo,
    ReplicaIdentity, Row, TxnInfo,
};
use crate::config::filter::TableFilter;

/// Why a message could not be turned into events.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// The message does not decode.
    #[error("corrupt replication message at {lsn}: {source}")]
    Decode {
        /// Where it was.
        lsn: Lsn,
        /// The decoder's error.
        #[source]
        source: pgoutput::DecodeError,
    },
    /// A change names a relation the stream never described.
    #[error("a change at {lsn} names relation {oid}, which the stream never described")]
    UnknownRelation {
        /// Where it was.
        lsn: Lsn,
        /// The relation oid.
        oid: u32,
    },
    /// A column value does not parse as its type.
    #[error("column {table}.{column} at {lsn}: {source}")]
    Value {
        /// Where it was.
        lsn: Lsn,
        /// `schema.table`.
        table: String,
        /// The column.
        column: String,
        /// What is wrong.
        #[source]
        source: ValueError,
    },
    /// A row image does not have the relation's number of columns.
    #[error("a row of {table} at {lsn} has {found} columns, the table has {expected}")]
    ColumnCount {
        /// Where it was.
        lsn: Lsn,
        /// `schema.table`.
        table: String,
        /// Columns in the description.
        expected: usize,
        /// Columns in the row.
        found: usize,
    },
    /// A message came where the protocol does not allow it.
    #[error("unexpected {message} at {lsn}: {reason}")]
    Protocol {
        /// Where it was.
        lsn: Lsn,
        /// The message.
        message: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The buffer of streamed transactions failed.
    #[error(transparent)]
    StreamBuffer(#[from] StreamBufferError),
}

/// An open transaction.
#[derive(Debug)]
struct OpenTxn {
    info: Arc<TxnInfo>,
    changes: u32,
}

/// Turns pgoutput messages into events.
#[derive(Debug)]
pub struct Assembler {
    decoder: Decoder,
    relations: HashMap<u32, Arc<RelationInfo>>,
    types: Arc<TypeCache>,
    generation: u64,
    txn: Option<OpenTxn>,
    origin: Option<String>,
    streams: StreamBuffers,
    type_requests: Vec<u32>,
    metadata: HashMap<u32, TableMetadata>,
    metadata_requests: Vec<u32>,
    filter: TableFilter,
    /// Per relation oid: whether the filter captures it (decided when it is described).
    captured: HashMap<u32, bool>,
}

impl Assembler {
    /// An assembler that parses values with `types` and buffers streamed transactions with
    /// `streams`.
    pub fn new(types: TypeCache, streams: StreamBuffers) -> Self {
        Self {
            decoder: Decoder::new(),
            relations: HashMap::new(),
            types: Arc::new(types),
            generation: 0,
            txn: None,
            origin: None,
            streams,
            type_requests: Vec::new(),
            metadata: HashMap::new(),
            metadata_requests: Vec::new(),
            filter: TableFilter::default(),
            captured: HashMap::new(),
        }
    }

    /// Keeps only the changes of the tables `filter` captures (Debezium's
    /// `table.include.list` and friends): the others are dropped before their values are parsed,
    /// whatever the publication holds.
    #[must_use]
    pub fn with_filter(mut self, filter: TableFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Whether relation `oid` is captured (true for a relation never described: that is an
    /// error found later).
    fn is_captured(&self, oid: u32) -> bool {
        self.captured.get(&oid).copied().unwrap_or(true)
    }

    /// The relations whose catalog metadata (primary key, nullability, defaults) is not known
    /// yet.
    pub fn take_metadata_requests(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.metadata_requests)
    }

    /// Sets the catalog metadata of relation `oid`.
    pub fn set_metadata(&mut self, oid: u32, metadata: TableMetadata) {
        if let Some(relation) = self.relations.get_mut(&oid) {
            apply_metadata(Arc::make_mut(relation), &metadata);
        }
        self.metadata.insert(oid, metadata);
    }

    fn request_metadata(&mut self, oid: u32) {
        if !self.metadata.contains_key(&oid) && !self.metadata_requests.contains(&oid) {
            self.metadata_requests.push(oid);
        }
    }

    /// The type cache, to add types loaded from the catalog.
    pub fn types_mut(&mut self) -> &mut TypeCache {
        Arc::make_mut(&mut self.types)
    }

    /// The type oids named by Type messages that are not in the cache yet.
    pub fn take_type_requests(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.type_requests)
    }

    /// Whether a transaction is open (Begin seen, Commit not yet).
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The relation with `oid`, as last described.
    pub fn relation(&self, oid: u32) -> Option<&Arc<RelationInfo>> {
        self.relations.get(&oid)
    }

    /// Takes one pgoutput message (the data of an XLogData frame starting at `lsn`) and appends
    /// the events it completes to `out`.
    pub fn push(
        &mut self,
        lsn: Lsn,
        data: Bytes,
        out: &mut Vec<Event>,
    ) -> Result<(), AssembleError> {
        let message = self
            .decoder
            .decode(data.clone())
            .map_err(|source| AssembleError::Decode { lsn, source })?;
        match message {
            Message::StreamStart(start) => self.streams.start(start.xid),
            Message::StreamStop(_) => self.streams.stop(),
            Message::StreamAbort(abort) => self.streams.abort(abort.xid, abort.subxid),
            Message::StreamCommit(commit) => {
                let Some(mut replay) = self.streams.commit(commit.xid)? else {
                    return Err(AssembleError::Protocol {
                        lsn,
                        message: "Stream Commit",
                        reason: "no streamed transaction has this xid",
                    });
                };
                let info = Arc::new(TxnInfo {
                    xid: commit.xid,
                    commit_lsn: commit.commit_lsn,
                    begin_lsn: lsn,
                    commit_time_us: unix_micros(commit.commit_time),
                    origin: None,
                });
                out.push(Event::Begin(info.clone()));
                self.txn = Some(OpenTxn { info, changes: 0 });
                while let Some((message_lsn, data)) = replay.next_message()? {
                    let message =
                        Message::decode(data, true).map_err(|source| AssembleError::Decode {
                            lsn: message_lsn,
                            source,
                        })?;
                    self.apply(message_lsn, message, out)?;
                }
                self.end_txn(commit.end_lsn, out);
            }
            message if self.decoder.in_stream() => {
                let Some(xid) = message.stream_xid() else {
                    return Err(AssembleError::Protocol {
                        lsn,
                        message: message.name(),
                        reason: "inside a streamed block without an xid",
                    });
                };
                match &message {
                    Message::Type(ty) => self.request_type(ty.oid),
                    Message::Relation(relation) => self.request_metadata(relation.oid),
                    _ => {}
                }
                self.streams.push(xid, lsn, data)?;
            }
            message => self.apply(lsn, message, out)?,
        }
        Ok(())
    }

    fn request_type(&mut self, oid: u32) {
        if self.types.get(oid).is_none() && !self.type_requests.contains(&oid) {
            self.type_requests.push(oid);
        }
    }

    /// Applies one message of a transaction (or outside of one).
    fn apply(
        &mut self,
        lsn: Lsn,
        message: Message,
        out: &mut Vec<Event>,
    ) -> Result<(), AssembleError> {
        match message {
            Message::Begin(begin) => {
                let info = Arc::new(TxnInfo {
                    xid: begin.xid,
                    commit_lsn: begin.final_lsn,
                    begin_lsn: lsn,
                    commit_time_us: unix_micros(begin.commit_time),
                    origin: None,
                });
                out.push(Event::Begin(info.clone()));
                self.txn = Some(OpenTxn { info, changes: 0 });
                self.origin = None;
            }
            Message::Origin(origin) => {
                let name = origin.name.to_string_lossy().into_owned();
                if let Some(txn) = self.txn.as_mut() {
                    Arc::make_mut(&mut txn.info).origin = Some(name.clone());
                }
                self.origin = Some(name);
            }
            Message::Commit(commit) => self.end_txn(commit.end_lsn, out),
            Message::Relation(relation) => {
                self.generation += 1;
                self.request_metadata(relation.oid);
                let mut info = RelationInfo {
                    oid: relation.oid,
                    schema: relation.namespace.to_string_lossy().into_owned(),
                    table: relation.name.to_string_lossy().into_owned(),
                    replica_identity: match relation.replica_identity {
                        pgoutput::ReplicaIdentity::Default => ReplicaIdentity::Default,
                        pgoutput::ReplicaIdentity::Nothing => ReplicaIdentity::Nothing,
                        pgoutput::ReplicaIdentity::Full => ReplicaIdentity::Full,
                        pgoutput::ReplicaIdentity::Index => ReplicaIdentity::Index,
                    },
                    columns: relation
                        .columns
                        .iter()
                        .map(|column| ColumnInfo {
                            name: column.name.to_string_lossy().into_owned(),
                            type_oid: column.type_oid,
                            type_modifier: column.type_modifier,
                            in_replica_identity: column.is_key(),
                            in_primary_key: false,
                            nullable: true,
                            default_expression: None,
                        })
                        .collect(),
                    generation: self.generation,
                    types: self.types.clone(),
                };
                if let Some(metadata) = self.metadata.get(&relation.oid) {
                    apply_metadata(&mut info, metadata);
                }
                let captured = self.filter.matches(&info.schema, &info.table);
                self.captured.insert(relation.oid, captured);
                self.relations.insert(relation.oid, Arc::new(info));
            }
            Message::Type(ty) => self.request_type(ty.oid),
            Message::Insert(insert) if !self.is_captured(insert.relation_oid) => {}
            Message::Update(update) if !self.is_captured(update.relation_oid) => {}
            Message::Delete(delete) if !self.is_captured(delete.relation_oid) => {}
            Message::Insert(insert) => {
                let relation = self.relation_for(lsn, insert.relation_oid)?;
                let after = self.row(lsn, &relation, &insert.new)?;
                self.change(lsn, ChangeKind::Insert { relation, after }, out);
            }
            Message::Update(update) => {
                let relation = self.relation_for(lsn, update.relation_oid)?;
                let (before, before_is_key) = match &update.old {
                    Some(old) => (Some(self.row(lsn, &relation, old.tuple())?), old.is_key()),
                    None => (None, false),
                };
                let after = self.row(lsn, &relation, &update.new)?;
                self.change(
                    lsn,
                    ChangeKind::Update {
                        relation,
                        before,
                        before_is_key,
                        after,
                    },
                    out,
                );
            }
            Message::Delete(delete) => {
                let relation = self.relation_for(lsn, delete.relation_oid)?;
                let before = self.row(lsn, &relation, delete.old.tuple())?;
                let before_is_key = matches!(delete.old, OldTuple::Key(_));
                self.change(
                    lsn,
                    ChangeKind::Delete {
                        relation,
                        before,
                        before_is_key,
                    },
                    out,
                );
            }
            Message::Truncate(truncate) => {
                let relations = truncate
                    .relation_oids
                    .iter()
                    .filter(|oid| self.is_captured(**oid))
                    .map(|oid| self.relation_for(lsn, *oid))
                    .collect::<Result<Vec<_>, _>>()?;
                if relations.is_empty() {
                    return Ok(());
                }
                self.change(
                    lsn,
                    ChangeKind::Truncate {
                        relations,
                        cascade: truncate.cascade(),
                        restart_identity: truncate.restart_identity(),
                    },
                    out,
                );
            }
            Message::Message(message) => {
                let kind = ChangeKind::Message {
                    transactional: message.transactional,
                    prefix: message.prefix.to_string_lossy().into_owned(),
                    content: message.content.clone(),
                };
                if message.transactional && self.txn.is_some() {
                    self.change(lsn, kind, out);
                } else {
                    // Outside any transaction: a transaction of its own, confirmed past its LSN.
                    let info = Arc::new(TxnInfo {
                        xid: 0,
                        commit_lsn: message.lsn,
                        begin_lsn: message.lsn,
                        commit_time_us: 0,
                        origin: self.origin.clone(),
                    });
                    out.push(Event::Change(Change {
                        position: Position::new(message.lsn, 0),
                        lsn: message.lsn,
                        txn: info.clone(),
                        kind,
                    }));
                    out.push(Event::Commit(CommitInfo {
                        txn: info,
                        end_lsn: Lsn::from(u64::from(message.lsn) + 1),
                        changes: 1,
                    }));
                }
            }
            Message::StreamStart(_)
            | Message::StreamStop(_)
            | Message::StreamCommit(_)
            | Message::StreamAbort(_) => {
                return Err(AssembleError::Protocol {
                    lsn,
                    message: "stream control message",
                    reason: "inside a replayed streamed transaction",
                });
            }
            other => {
                return Err(AssembleError::Protocol {
                    lsn,
                    message: other.name(),
                    reason: "two-phase decoding is not requested by pgcdc",
                });
            }
        }
        Ok(())
    }

    fn end_txn(&mut self, end_lsn: Lsn, out: &mut Vec<Event>) {
        if let Some(txn) = self.txn.take() {
            out.push(Event::Commit(CommitInfo {
                txn: txn.info,
                end_lsn,
                changes: txn.changes,
            }));
        }
        self.origin = None;
    }

    fn change(&mut self, lsn: Lsn, kind: ChangeKind, out: &mut Vec<Event>) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        let position = Position::new(txn.info.commit_lsn, txn.changes);
        txn.changes += 1;
        out.push(Event::Change(Change {
            position,
            lsn,
            txn: txn.info.clone(),
            kind,
        }));
    }

    fn relation_for(&self, lsn: Lsn, oid: u32) -> Result<Arc<RelationInfo>, AssembleError> {
        self.relations
            .get(&oid)
            .cloned()
            .ok_or(AssembleError::UnknownRelation { lsn, oid })
    }

    fn row(&self, lsn: Lsn, relation: &RelationInfo, tuple: &Tuple) -> Result<Row, AssembleError> {
        if tuple.len() != relation.columns.len() {
            return Err(AssembleError::ColumnCount {
                lsn,
                table: format!("{}.{}", relation.schema, relation.table),
                expected: relation.columns.len(),
                found: tuple.len(),
            });
        }
        let mut values = Vec::with_capacity(tuple.len());
        for (column, data) in relation.columns.iter().zip(tuple.iter()) {
            let parsed = match data {
                TupleData::Null => Ok(Datum::Null),
                TupleData::UnchangedToast => Ok(Datum::UnchangedToast),
                TupleData::Text(text) => {
                    parse_text(&self.types, column.type_oid, column.type_modifier, text)
                        .map(Datum::Value)
                }
                TupleData::Binary(bytes) => {
                    parse_binary(&self.types, column.type_oid, column.type_modifier, bytes)
                        .map(Datum::Value)
                }
            };
            values.push(parsed.map_err(|source| AssembleError::Value {
                lsn,
                table: format!("{}.{}", relation.schema, relation.table),
                column: column.name.clone(),
                source,
            })?);
        }
        Ok(Row { values })
    }
}

/// Marks the primary key, nullability and defaults the catalog gave.
fn apply_metadata(relation: &mut RelationInfo, metadata: &TableMetadata) {
    for column in &mut relation.columns {
        column.in_primary_key = metadata.primary_key.contains(&column.name);
        if let Some(known) = metadata.columns.iter().find(|c| c.name == column.name) {
            column.nullable = !known.not_null;
            column.default_expression = known.default_expression.clone();
        }
    }
}

/// A commit time from the wire, in microseconds since the Unix epoch (saturating).
fn unix_micros(pg_micros: i64) -> i64 {
    pgoutput::time::pg_to_unix_micros(pg_micros).unwrap_or(i64::MAX)
}
