//! Events: transactions, row changes, truncates and logical decoding messages.

use std::sync::Arc;

use bytes::Bytes;
use pgoutput::Lsn;

use super::types::TypeCache;
use super::value::Value;

/// Where an event stands in the change stream.
///
/// Events are ordered by the commit LSN of their transaction, then by their index in it. Changes
/// of one transaction share its commit LSN, so the index is what tells them apart: a restart
/// resumes after a position without skipping or repeating changes that share an LSN. A
/// transaction's [`Commit`](Event::Commit) has the index after its last change. A logical
/// decoding message sent outside any transaction has its own LSN and index 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The LSN of the transaction's commit record.
    pub commit_lsn: Lsn,
    /// The event's index within its transaction, from 0.
    pub index: u32,
}

impl Position {
    /// A position.
    pub const fn new(commit_lsn: Lsn, index: u32) -> Self {
        Self { commit_lsn, index }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.commit_lsn, self.index)
    }
}

/// A transaction, as known at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnInfo {
    /// The transaction id.
    pub xid: u32,
    /// The LSN of its commit record.
    pub commit_lsn: Lsn,
    /// The LSN of its Begin message (from PostgreSQL 15 on, pgoutput sends Begin with the
    /// transaction's first published change, so this is that change's LSN). Debezium's
    /// transaction metadata names the BEGIN record with it.
    pub begin_lsn: Lsn,
    /// Its commit time, in microseconds since 1970-01-01 UTC.
    pub commit_time_us: i64,
    /// The replication origin it came from, if any.
    pub origin: Option<String>,
}

/// The end of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The transaction.
    pub txn: Arc<TxnInfo>,
    /// The LSN just after the commit record: what is confirmed to the server once the
    /// transaction is delivered.
    pub end_lsn: Lsn,
    /// How many changes the transaction had (after filtering).
    pub changes: u32,
}

impl CommitInfo {
    /// The position of the commit event: after the transaction's last change.
    pub fn position(&self) -> Position {
        Position::new(self.txn.commit_lsn, self.changes)
    }
}

/// How a table identifies the old row of an update or delete (`REPLICA IDENTITY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplicaIdentity {
    /// The primary key (`DEFAULT`).
    Default,
    /// No old row at all (`NOTHING`).
    Nothing,
    /// The whole old row (`FULL`).
    Full,
    /// The columns of a unique index (`USING INDEX`).
    Index,
}

/// A column of a table, as the stream describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column name.
    pub name: String,
    /// The type's oid.
    pub type_oid: u32,
    /// The type modifier (`atttypmod`), -1 when none.
    pub type_modifier: i32,
    /// Whether the stream marks the column as part of the replica identity (with
    /// `REPLICA IDENTITY FULL`, every column is).
    pub in_replica_identity: bool,
    /// Whether the column is part of the table's primary key (from the catalog).
    pub in_primary_key: bool,
    /// Whether the column may be NULL (`NOT NULL` absent; from the catalog, true when unknown).
    pub nullable: bool,
    /// The column's `DEFAULT`, as `pg_get_expr` prints it (`'new'::text`,
    /// `nextval('t_id_seq'::regclass)`, `now()`), from the catalog.
    pub default_expression: Option<String>,
}

/// A table, as the stream describes it. A new description (after `ALTER TABLE`) is a new
/// `RelationInfo` with a higher `generation`; events keep the one that was current for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationInfo {
    /// The table's oid.
    pub oid: u32,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub table: String,
    /// Its replica identity.
    pub replica_identity: ReplicaIdentity,
    /// Its columns, in the order of the stream's row images.
    pub columns: Vec<ColumnInfo>,
    /// Increases with every new description of any table in this stream; caches of per-table
    /// work (schemas, encoders) key on it.
    pub generation: u64,
    /// The type catalog as it was when the table was described: what the column types are
    /// (domains, enums and their labels, arrays of user types).
    pub types: Arc<TypeCache>,
}

impl RelationInfo {
    /// The indexes of the primary key columns (none when the table has no primary key): what
    /// record keys are made of.
    pub fn key_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.in_primary_key)
            .map(|(i, _)| i)
    }
}

/// One column value of a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// SQL NULL (or, in an old key image, a column that is not part of the key).
    Null,
    /// A TOASTed value that the change did not touch and the server did not send.
    UnchangedToast,
    /// A value.
    Value(Value),
}

/// A row image: one [`Datum`] per column of its [`RelationInfo`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// The values, in column order.
    pub values: Vec<Datum>,
}

/// Where a snapshot row stands in the snapshot (Debezium's `source.snapshot`): the first row
/// of the first table, the first or last row of a table, the very last row, or another row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SnapshotMarker {
    /// The first row of the snapshot's first table.
    First,
    /// The first row of a table.
    FirstInTable,
    /// Any other row.
    Middle,
    /// The last row of a table.
    LastInTable,
    /// The last row of the snapshot.
    Last,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    /// A row read by the initial snapshot.
    Read {
        /// The table.
        relation: Arc<RelationInfo>,
        /// The row.
        after: Row,
        /// Where it stands in the snapshot.
        marker: SnapshotMarker,
    },
    /// A row was inserted.
    Insert {
        /// The table.
        relation: Arc<RelationInfo>,
        /// The new row.
        after: Row,
    },
    /// A row was updated.
    Update {
        /// The table.
        relation: Arc<RelationInfo>,
        /// The old row: the whole row with `REPLICA IDENTITY FULL`, the old key when the key
        /// changed, otherwise none.
        before: Option<Row>,
        /// Whether `before` holds only the key columns.
        before_is_key: bool,
        /// The new row.
        after: Row,
    },
    /// A row was deleted.
    Delete {
        /// The table.
        relation: Arc<RelationInfo>,
        /// The old row (the key columns only unless `REPLICA IDENTITY FULL`).
        before: Row,
        /// Whether `before` holds only the key columns.
        before_is_key: bool,
    },
    /// Tables were truncated.
    Truncate {
        /// The tables.
        relations: Vec<Arc<RelationInfo>>,
        /// `TRUNCATE ... CASCADE`.
        cascade: bool,
        /// `TRUNCATE ... RESTART IDENTITY`.
        restart_identity: bool,
    },
    /// A logical decoding message (`pg_logical_emit_message`).
    Message {
        /// Whether it was sent as part of its transaction.
        transactional: bool,
        /// Its prefix.
        prefix: String,
        /// Its content.
        content: Bytes,
    },
}

/// One change, with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Its position.
    pub position: Position,
    /// The WAL position of the change itself.
    pub lsn: Lsn,
    /// Its transaction; for a non-transactional message, a transaction of its own with xid 0.
    pub txn: Arc<TxnInfo>,
    /// What it did.
    pub kind: ChangeKind,
}

impl Change {
    /// The table the change is about, for row changes.
    pub fn relation(&self) -> Option<&Arc<RelationInfo>> {
        match &self.kind {
            ChangeKind::Insert { relation, .. }
            | ChangeKind::Read { relation, .. }
            | ChangeKind::Update { relation, .. }
            | ChangeKind::Delete { relation, .. } => Some(relation),
            ChangeKind::Truncate { .. } | ChangeKind::Message { .. } => None,
        }
    }
}

/// What the source delivers to the pipeline, in commit order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A transaction starts.
    Begin(Arc<TxnInfo>),
    /// A change.
    Change(Change),
    /// A transaction ends; once it is delivered, its `end_lsn` can be confirmed.
    Commit(CommitInfo),
}

impl Event {
    /// The event's position. A Begin has the position of its transaction's first change.
    pub fn position(&self) -> Position {
        match self {
            Event::Begin(txn) => Position::new(txn.commit_lsn, 0),
            Event::Change(change) => change.position,
            Event::Commit(commit) => commit.position(),
        }
    }
}
