//! Relation and Type: schema descriptions.

use bytes::Bytes;
#[cfg(feature = "encode")]
use bytes::{BufMut, BytesMut};

use super::{read_name, read_stream_xid};
#[cfg(feature = "encode")]
use super::{write_name, write_stream_xid};
use crate::Name;
use crate::error::{DecodeError, ErrorKind, Field};
use crate::reader::Reader;

/// Relation (`R`): the description of a table. PostgreSQL sends it before the
/// first change of the table in a session and again whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relation {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Oid of the relation.
    pub oid: u32,
    /// Namespace (schema); empty for `pg_catalog`.
    pub namespace: Name,
    /// Relation name.
    pub name: Name,
    /// Replica identity setting (`REPLICA IDENTITY`).
    pub replica_identity: ReplicaIdentity,
    /// The published columns, in order.
    pub columns: Vec<Column>,
}

/// One column of a [`Relation`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// Flags: [`Column::KEY`] if the column is part of the replica identity key.
    pub flags: u8,
    /// Column name.
    pub name: Name,
    /// Oid of the column's data type.
    pub type_oid: u32,
    /// Type modifier (`atttypmod`), -1 when there is none.
    pub type_modifier: i32,
}

impl Column {
    /// The flag bit marking a column of the replica identity key.
    pub const KEY: u8 = 1;

    /// Whether the column is part of the replica identity key.
    pub fn is_key(&self) -> bool {
        self.flags & Column::KEY != 0
    }
}

/// A table's replica identity: which old values Update and Delete carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplicaIdentity {
    /// `d`: the primary key (`REPLICA IDENTITY DEFAULT`).
    Default,
    /// `n`: nothing (`REPLICA IDENTITY NOTHING`).
    Nothing,
    /// `f`: all columns (`REPLICA IDENTITY FULL`).
    Full,
    /// `i`: the columns of an index (`REPLICA IDENTITY USING INDEX`).
    Index,
}

impl ReplicaIdentity {
    /// The setting's byte on the wire (`pg_class.relreplident`).
    pub fn as_byte(self) -> u8 {
        match self {
            ReplicaIdentity::Default => b'd',
            ReplicaIdentity::Nothing => b'n',
            ReplicaIdentity::Full => b'f',
            ReplicaIdentity::Index => b'i',
        }
    }

    /// The setting for a byte on the wire, `None` if unknown.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'd' => Some(ReplicaIdentity::Default),
            b'n' => Some(ReplicaIdentity::Nothing),
            b'f' => Some(ReplicaIdentity::Full),
            b'i' => Some(ReplicaIdentity::Index),
            _ => None,
        }
    }
}

/// The smallest encoded column: flags, empty name, type oid, modifier.
const MIN_COLUMN_LEN: usize = 1 + 1 + 4 + 4;

impl Relation {
    pub(crate) fn decode(data: &Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Relation");
        let xid = read_stream_xid(&mut r, in_stream)?;
        let oid = r.u32("oid")?;
        let namespace = read_name(&mut r, data, "namespace")?;
        let name = read_name(&mut r, data, "name")?;
        let found = r.u8("replica_identity")?;
        let replica_identity = ReplicaIdentity::from_byte(found).ok_or_else(|| {
            r.error_at(
                r.pos().saturating_sub(1),
                "replica_identity",
                ErrorKind::InvalidValue {
                    found,
                    expected: "'d', 'n', 'f' or 'i'",
                },
            )
        })?;
        let count = r.count16("number of columns")?;
        let capacity = usize::from(count).min(r.remaining() / MIN_COLUMN_LEN);
        let mut columns = Vec::with_capacity(capacity);
        for index in 0..count {
            let field = |part| Field::Column {
                list: "relation",
                index,
                part,
            };
            columns.push(Column {
                flags: r.u8(field("flags"))?,
                name: read_name(&mut r, data, field("name"))?,
                type_oid: r.u32(field("type_oid"))?,
                type_modifier: r.i32(field("type_modifier"))?,
            });
        }
        r.finish()?;
        Ok(Relation {
            xid,
            oid,
            namespace,
            name,
            replica_identity,
            columns,
        })
    }

    /// Encodes the message body. The column count saturates at `i16::MAX`
    /// (PostgreSQL tables have at most 1,600 columns).
    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u32(self.oid);
        write_name(buf, &self.namespace);
        write_name(buf, &self.name);
        buf.put_u8(self.replica_identity.as_byte());
        let count = self.columns.len().min(i16::MAX as usize);
        buf.put_u16(count as u16);
        for column in self.columns.iter().take(count) {
            buf.put_u8(column.flags);
            write_name(buf, &column.name);
            buf.put_u32(column.type_oid);
            buf.put_i32(column.type_modifier);
        }
    }
}

/// Type (`Y`): the description of a data type that is not built in, sent
/// before the first Relation that uses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Type {
    /// Xid of the transaction, inside a streamed block only (protocol 2+).
    pub xid: Option<u32>,
    /// Oid of the data type.
    pub oid: u32,
    /// Namespace (schema); empty for `pg_catalog`.
    pub namespace: Name,
    /// Name of the data type.
    pub name: Name,
}

impl Type {
    pub(crate) fn decode(data: &Bytes, in_stream: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, 1, "Type");
        let m = Type {
            xid: read_stream_xid(&mut r, in_stream)?,
            oid: r.u32("oid")?,
            namespace: read_name(&mut r, data, "namespace")?,
            name: read_name(&mut r, data, "name")?,
        };
        r.finish()?;
        Ok(m)
    }

    #[cfg(feature = "encode")]
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        write_stream_xid(buf, self.xid);
        buf.put_u32(self.oid);
        write_name(buf, &self.namespace);
        write_name(buf, &self.name);
    }
}
