//! The `source` block of every change record (`io.debezium.connector.postgresql.Source`).

use super::json::{write_int, write_str};
use super::schema::{Field, Schema};

/// The Debezium version the records claim, as `source.version`.
pub const DEBEZIUM_VERSION: &str = "3.6.3.Final";

/// The values of `snapshot`'s `io.debezium.data.Enum`.
const SNAPSHOT_VALUES: &str =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

/// The source block's schema.
pub fn source_schema() -> Schema {
    let string = |optional| Schema::primitive("string", optional);
    let int64 = |optional| Schema::primitive("int64", optional);
    let mut snapshot = Schema::primitive("string", true)
        .named("io.debezium.data.Enum", Some(1))
        .with_parameter("allowed", SNAPSHOT_VALUES);
    snapshot.default = Some(b"\"false\"".to_vec().into_boxed_slice());
    Schema::structure(
        vec![
            Field::new("version", string(false)),
            Field::new("connector", string(false)),
            Field::new("name", string(false)),
            Field::new("ts_ms", int64(false)),
            Field::new("snapshot", snapshot),
            Field::new("db", string(false)),
            Field::new("sequence", string(true)),
            Field::new("ts_us", int64(true)),
            Field::new("ts_ns", int64(true)),
            Field::new("schema", string(false)),
            Field::new("table", string(false)),
            Field::new("txId", int64(true)),
            Field::new("lsn", int64(true)),
            Field::new("xmin", int64(true)),
            Field::new("origin", string(true)),
            Field::new("origin_lsn", int64(true)),
        ],
        false,
    )
    .named("io.debezium.connector.postgresql.Source", Some(1))
}

/// What one source block says.
#[derive(Debug, Clone, Copy)]
pub struct SourceInfo<'a> {
    /// `topic.prefix`.
    pub name: &'a str,
    /// `database.dbname`.
    pub db: &'a str,
    /// The commit time, µs since the epoch.
    pub commit_time_us: i64,
    /// The end LSN of the last commit seen, if any.
    pub last_commit_lsn: Option<u64>,
    /// The event's LSN.
    pub lsn: u64,
    /// The table's schema (`""` for messages).
    pub schema: &'a str,
    /// The table (`""` for messages).
    pub table: &'a str,
    /// The transaction id, if any.
    pub tx_id: Option<u32>,
    /// The replication origin, if any.
    pub origin: Option<&'a str>,
    /// Whether `snapshot` shows its schema default `"false"` (a streamed change has no
    /// snapshot value; `replace.null.with.default` turns that null into the default).
    pub snapshot_default: bool,
    /// A snapshot row's `snapshot` value (`first`, `true`, ...), which wins over the default.
    pub snapshot: Option<&'a str>,
}

impl SourceInfo<'_> {
    /// Appends the block's JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"version\":\"");
        out.extend_from_slice(DEBEZIUM_VERSION.as_bytes());
        out.extend_from_slice(b"\",\"connector\":\"postgresql\",\"name\":");
        write_str(out, self.name);
        out.extend_from_slice(b",\"ts_ms\":");
        write_int(out, self.commit_time_us.div_euclid(1000));
        match self.snapshot {
            Some(marker) => {
                out.extend_from_slice(b",\"snapshot\":");
                write_str(out, marker);
                out.extend_from_slice(b",\"db\":");
            }
            None if self.snapshot_default => {
                out.extend_from_slice(b",\"snapshot\":\"false\",\"db\":");
            }
            None => out.extend_from_slice(b",\"snapshot\":null,\"db\":"),
        }
        write_str(out, self.db);
        out.extend_from_slice(b",\"sequence\":\"[");
        match self.last_commit_lsn {
            Some(lsn) => {
                out.extend_from_slice(b"\\\"");
                write_int(out, lsn);
                out.extend_from_slice(b"\\\"");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\\\"");
        write_int(out, self.lsn);
        out.extend_from_slice(b"\\\"]\",\"ts_us\":");
        write_int(out, self.commit_time_us);
        out.extend_from_slice(b",\"ts_ns\":");
        write_int(out, i128::from(self.commit_time_us) * 1000);
        out.extend_from_slice(b",\"schema\":");
        write_str(out, self.schema);
        out.extend_from_slice(b",\"table\":");
        write_str(out, self.table);
        out.extend_from_slice(b",\"txId\":");
        match self.tx_id {
            Some(xid) => write_int(out, xid),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"lsn\":");
        write_int(out, self.lsn);
        out.extend_from_slice(b",\"xmin\":null,\"origin\":");
        match self.origin {
            Some(origin) => write_str(out, origin),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"origin_lsn\":null}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn block_as_in_the_golden_files() {
        let info = SourceInfo {
            name: "oracle",
            db: "app",
            commit_time_us: 1_795_237_906_691_290,
            last_commit_lsn: Some(435_135_240),
            lsn: 435_135_240,
            schema: "public",
            table: "t_msg",
            tx_id: Some(4942),
            origin: None,
            snapshot_default: true,
            snapshot: None,
        };
        let mut out = Vec::new();
        info.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            r#"{"version":"3.6.3.Final","connector":"postgresql","name":"oracle","ts_ms":1795237906691,"snapshot":"false","db":"app","sequence":"[\"435135240\",\"435135240\"]","ts_us":1795237906691290,"ts_ns":1795237906691290000,"schema":"public","table":"t_msg","txId":4942,"lsn":435135240,"xmin":null,"origin":null,"origin_lsn":null}"#
        );
    }
}
