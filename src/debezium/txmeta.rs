//! Transaction metadata (`provide.transaction.metadata=true`): the BEGIN and END records of the
//! `<topic.prefix>.transaction` topic and the `transaction` block of each change record.
//!
//! Ids are `<xid>:<lsn>` as Debezium writes them: BEGIN with the transaction's first LSN, each
//! change with its own LSN, END with the commit's end LSN. `total_order` counts the
//! transaction's change records (tombstones excluded), `data_collection_order` counts them per
//! table; each logical decoding message is a collection of its own, named like the Java object
//! Debezium uses for it. END lists the per-collection counts in Java `HashMap` order.

use std::collections::HashMap;

use crate::change::Position;
use crate::record::Record;

use super::envelope::wrap;
use super::javamap::hash_map_order;
use super::json::{write_int, write_str};
use super::schema::{Field, Schema};
use super::topic::sanitize;

/// The class name Debezium's data collection of a logical decoding message prints as.
const MESSAGE_COLLECTION: &str =
    "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId";

/// The key schema of transaction records.
fn key_schema() -> Schema {
    Schema::structure(
        vec![Field::new("id", Schema::primitive("string", false))],
        false,
    )
    .named(
        "io.debezium.connector.common.TransactionMetadataKey",
        Some(1),
    )
}

/// The value schema of transaction records.
fn value_schema() -> Schema {
    let collection = Schema::structure(
        vec![
            Field::new("data_collection", Schema::primitive("string", false)),
            Field::new("event_count", Schema::primitive("int64", false)),
        ],
        true,
    )
    .named("event.collection", Some(1));
    Schema::structure(
        vec![
            Field::new("status", Schema::primitive("string", false)),
            Field::new("id", Schema::primitive("string", false)),
            Field::new("event_count", Schema::primitive("int64", true)),
            Field::new("data_collections", Schema::array(collection, true)),
            Field::new("ts_ms", Schema::primitive("int64", false)),
        ],
        false,
    )
    .named(
        "io.debezium.connector.common.TransactionMetadataValue",
        Some(1),
    )
}

/// Writes a transaction id, `"<xid>:<lsn>"`.
fn write_id(out: &mut Vec<u8>, xid: u32, lsn: u64) {
    out.push(b'"');
    write_int(out, xid);
    out.push(b':');
    write_int(out, lsn);
    out.push(b'"');
}

/// The transaction being encoded.
#[derive(Debug)]
struct OpenTxn {
    xid: u32,
    commit_time_us: i64,
    /// The LSN of its Begin message, which names its BEGIN record.
    begin_lsn: u64,
    /// The position of its Begin event.
    position: Position,
    begun: bool,
    total: u64,
    /// Collections in order of first appearance, with their counts.
    collections: Vec<(String, u64)>,
    index: HashMap<String, usize>,
}

/// Tracks transactions and writes their records and blocks.
#[derive(Debug)]
pub struct TxMetadata {
    topic: String,
    key_schema: Box<[u8]>,
    value_schema: Box<[u8]>,
    key_schemas: bool,
    value_schemas: bool,
    open: Option<OpenTxn>,
}

impl TxMetadata {
    /// Transaction metadata on `<prefix>.transaction`, with or without the converter schemas.
    pub fn new(prefix: &str, key_schemas: bool, value_schemas: bool) -> Self {
        let mut key = Vec::new();
        key_schema().write_json(&mut key, None);
        let mut value = Vec::new();
        value_schema().write_json(&mut value, None);
        Self {
            topic: sanitize(&format!("{prefix}.transaction")),
            key_schema: key.into_boxed_slice(),
            value_schema: value.into_boxed_slice(),
            key_schemas,
            value_schemas,
            open: None,
        }
    }

    /// A transaction starts (its BEGIN record waits for its first LSN).
    pub fn begin(&mut self, xid: u32, commit_time_us: i64, begin_lsn: u64, position: Position) {
        self.open = (xid != 0).then(|| OpenTxn {
            xid,
            commit_time_us,
            begin_lsn,
            position,
            begun: false,
            total: 0,
            collections: Vec::new(),
            index: HashMap::new(),
        });
    }

    /// Before an event of the open transaction: appends its BEGIN record if not done, named
    /// with the Begin message's LSN (as Debezium, which writes it when it reads Begin).
    pub fn before_event(&mut self, xid: u32, out: &mut Vec<Record>) {
        let Some(txn) = self.open.as_mut().filter(|t| t.xid == xid && !t.begun) else {
            return;
        };
        txn.begun = true;
        let (time, position, lsn) = (txn.commit_time_us, txn.position, txn.begin_lsn);
        out.push(self.record("BEGIN", xid, lsn, time, None, position));
    }

    /// Appends the `transaction` block of a change record of `collection` (`schema.table`), or
    /// `null` outside a transaction; `None` names a logical decoding message, a collection of
    /// its own.
    pub fn write_block(&mut self, out: &mut Vec<u8>, xid: u32, lsn: u64, collection: Option<&str>) {
        let Some(txn) = self.open.as_mut().filter(|t| t.xid == xid) else {
            out.extend_from_slice(b"null");
            return;
        };
        let name = match collection {
            Some(table) => table.to_owned(),
            None => format!("{MESSAGE_COLLECTION}@{:x}", identity_hash(lsn, txn.total)),
        };
        let slot = match txn.index.get(&name) {
            Some(&slot) => slot,
            None => {
                txn.index.insert(name.clone(), txn.collections.len());
                txn.collections.push((name, 0));
                txn.collections.len() - 1
            }
        };
        txn.total += 1;
        txn.collections[slot].1 += 1;
        out.extend_from_slice(b"{\"id\":");
        write_id(out, xid, lsn);
        out.extend_from_slice(b",\"total_order\":");
        write_int(out, txn.total);
        out.extend_from_slice(b",\"data_collection_order\":");
        write_int(out, txn.collections[slot].1);
        out.push(b'}');
    }

    /// The transaction `xid` committed (its commit record ending at `end_lsn`): appends its
    /// BEGIN record if it had no event and its END record, at `position` (the Commit event's).
    pub fn commit(&mut self, xid: u32, end_lsn: u64, position: Position, out: &mut Vec<Record>) {
        if self.open.as_ref().is_none_or(|t| t.xid != xid) {
            return;
        }
        self.before_event(xid, out);
        let Some(txn) = self.open.take() else {
            return;
        };
        let mut collections = Vec::with_capacity(64);
        collections.push(b'[');
        let order = hash_map_order(txn.collections.iter().map(|(name, _)| name.as_str()));
        for (n, i) in order.into_iter().enumerate() {
            if n > 0 {
                collections.push(b',');
            }
            let (name, count) = &txn.collections[i];
            collections.extend_from_slice(b"{\"data_collection\":");
            write_str(&mut collections, name);
            collections.extend_from_slice(b",\"event_count\":");
            write_int(&mut collections, *count);
            collections.push(b'}');
        }
        collections.push(b']');
        let end = Some((txn.total, collections.as_slice()));
        out.push(self.record("END", xid, end_lsn, txn.commit_time_us, end, position));
    }

    fn record(
        &self,
        status: &str,
        xid: u32,
        lsn: u64,
        commit_time_us: i64,
        end: Option<(u64, &[u8])>,
        position: Position,
    ) -> Record {
        let mut key = Vec::with_capacity(32);
        key.extend_from_slice(b"{\"id\":");
        write_id(&mut key, xid, lsn);
        key.push(b'}');
        let mut value = Vec::with_capacity(128);
        value.extend_from_slice(b"{\"status\":");
        write_str(&mut value, status);
        value.extend_from_slice(b",\"id\":");
        write_id(&mut value, xid, lsn);
        match end {
            Some((count, collections)) => {
                value.extend_from_slice(b",\"event_count\":");
                write_int(&mut value, count);
                value.extend_from_slice(b",\"data_collections\":");
                value.extend_from_slice(collections);
            }
            None => value.extend_from_slice(b",\"event_count\":null,\"data_collections\":null"),
        }
        value.extend_from_slice(b",\"ts_ms\":");
        write_int(&mut value, commit_time_us.div_euclid(1000));
        value.push(b'}');
        Record {
            topic: self.topic.clone(),
            key: Some(wrap(&self.key_schema, &key, self.key_schemas)),
            value: Some(wrap(&self.value_schema, &value, self.value_schemas)),
            headers: Vec::new(),
            position,
        }
    }
}

/// A stand-in for the Java identity hash in a message collection's name: 31 bits, never 0,
/// different for each message (Debezium's changes from run to run).
fn identity_hash(lsn: u64, order: u64) -> u32 {
    let mut x = lsn ^ order.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    ((x as u32) & 0x7FFF_FFFF).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use bytes::Bytes;
    use pgoutput::Lsn;

    use super::*;

    fn text(record: &Record) -> (String, String) {
        let s = |b: &Option<Bytes>| String::from_utf8(b.as_ref().unwrap().to_vec()).unwrap();
        (s(&record.key), s(&record.value))
    }

    #[test]
    fn begin_blocks_and_end_as_in_txmeta_jsonl() {
        let mut meta = TxMetadata::new("oracle", false, false);
        let mut out = Vec::new();
        meta.begin(
            8092,
            1_795_238_517_442_123,
            735_991_440,
            Position::new(Lsn::from(9), 0),
        );
        meta.before_event(8092, &mut out);
        let mut blocks = Vec::new();
        for (lsn, table) in [
            (735_991_440, "public.t_bool"),
            (735_991_568, "public.t_enum"),
        ] {
            meta.before_event(8092, &mut out);
            meta.write_block(&mut blocks, 8092, lsn, Some(table));
        }
        meta.write_block(&mut blocks, 8092, 735_991_696, Some("public.t_bool"));
        meta.commit(8092, 735_991_816, Position::default(), &mut out);
        assert_eq!(
            String::from_utf8(blocks).unwrap(),
            concat!(
                r#"{"id":"8092:735991440","total_order":1,"data_collection_order":1}"#,
                r#"{"id":"8092:735991568","total_order":2,"data_collection_order":1}"#,
                r#"{"id":"8092:735991696","total_order":3,"data_collection_order":2}"#,
            )
        );
        assert_eq!(out.len(), 2);
        assert_eq!(
            text(&out[0]),
            (
                r#"{"id":"8092:735991440"}"#.to_owned(),
                r#"{"status":"BEGIN","id":"8092:735991440","event_count":null,"data_collections":null,"ts_ms":1795238517442}"#.to_owned()
            )
        );
        assert_eq!(
            text(&out[1]).1,
            r#"{"status":"END","id":"8092:735991816","event_count":3,"data_collections":[{"data_collection":"public.t_bool","event_count":2},{"data_collection":"public.t_enum","event_count":1}],"ts_ms":1795238517442}"#
        );
    }

    #[test]
    fn empty_transactions_and_messages() {
        let mut meta = TxMetadata::new("oracle", true, true);
        let mut out = Vec::new();
        meta.begin(8094, 0, 150, Position::default());
        meta.commit(8094, 200, Position::default(), &mut out);
        assert_eq!(out.len(), 2);
        // As txbegin.jsonl: a transaction with no captured change is named by its Begin.
        assert!(text(&out[0]).1.contains(r#""id":"8094:150""#));
        assert!(text(&out[1]).1.contains(
            r#""payload":{"status":"END","id":"8094:200","event_count":0,"data_collections":[]"#
        ));
        assert!(text(&out[0]).0.starts_with(
            r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1},"payload""#
        ));
        let mut block = Vec::new();
        meta.write_block(&mut block, 0, 300, None);
        assert_eq!(block, b"null");
        meta.begin(8095, 0, 0, Position::default());
        meta.write_block(&mut block, 8095, 301, None);
        meta.write_block(&mut block, 8095, 302, None);
        let block = String::from_utf8(block).unwrap();
        assert!(
            block.ends_with(r#""total_order":2,"data_collection_order":1}"#),
            "{block}"
        );
    }
}
