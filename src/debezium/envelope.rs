//! The envelope schemas: a table's `Envelope` (version 2), and the logical decoding message
//! key and value.

use bytes::Bytes;

use super::schema::{Field, Schema};
use super::source::source_schema;

/// The `transaction` block's schema (`event.block`).
fn transaction_block_schema() -> Schema {
    Schema::structure(
        vec![
            Field::new("id", Schema::primitive("string", false)),
            Field::new("total_order", Schema::primitive("int64", false)),
            Field::new("data_collection_order", Schema::primitive("int64", false)),
        ],
        true,
    )
    .named("event.block", Some(1))
}

/// A table's envelope schema, around its row schema (`<topic>.Value`).
pub fn envelope_schema(row: Schema, topic: &str) -> Schema {
    let int64 = || Schema::primitive("int64", true);
    Schema::structure(
        vec![
            Field::new("before", row.clone()),
            Field::new("after", row),
            Field::new("source", source_schema()),
            Field::new("transaction", transaction_block_schema()),
            Field::new("op", Schema::primitive("string", false)),
            Field::new("ts_ms", int64()),
            Field::new("ts_us", int64()),
            Field::new("ts_ns", int64()),
        ],
        false,
    )
    .named(format!("{topic}.Envelope"), Some(2))
}

/// The key schema of logical decoding messages.
pub fn message_key_schema() -> Schema {
    Schema::structure(
        vec![Field::new("prefix", Schema::primitive("string", true))],
        false,
    )
    .named("io.debezium.connector.postgresql.MessageKey", Some(1))
}

/// The value schema of logical decoding messages; `content` is `bytes`, or a `string` when
/// `binary.handling.mode` writes binary data as text.
pub fn message_value_schema(content_as_text: bool) -> Schema {
    let message = Schema::structure(
        vec![
            Field::new("prefix", Schema::primitive("string", true)),
            Field::new(
                "content",
                Schema::primitive(if content_as_text { "string" } else { "bytes" }, true),
            ),
        ],
        false,
    )
    .named("io.debezium.connector.postgresql.Message", Some(1));
    Schema::structure(
        vec![
            Field::new("op", Schema::primitive("string", false)),
            Field::new("ts_ms", Schema::primitive("int64", true)),
            Field::new("source", source_schema()),
            Field::new("transaction", transaction_block_schema()),
            Field::new("message", message),
        ],
        false,
    )
    .named("io.debezium.connector.postgresql.MessageValue", Some(1))
}

/// A key or value as `JsonConverter` writes it: `{"schema":..,"payload":..}`, or the bare
/// payload without schemas.
pub fn wrap(schema: &[u8], payload: &[u8], with_schema: bool) -> Bytes {
    if !with_schema {
        return Bytes::copy_from_slice(payload);
    }
    let mut out = Vec::with_capacity(schema.len() + payload.len() + 24);
    out.extend_from_slice(b"{\"schema\":");
    out.extend_from_slice(schema);
    out.extend_from_slice(b",\"payload\":");
    out.extend_from_slice(payload);
    out.push(b'}');
    Bytes::from(out)
}
