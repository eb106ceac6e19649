//! Debezium-compatible output: keys, envelopes, schemas, headers and topic names as Debezium's
//! PostgreSQL connector (3.6) writes them with Kafka Connect's `JsonConverter`, byte for byte.
//!
//! [`DebeziumEncoder`] is the [`Encoder`](crate::record::Encoder); [`DebeziumConfig`] reads its
//! settings from the connector properties. The parts:
//!
//! * [`json`]: the converter's JSON text (Java number text, Jackson's string escaping);
//! * [`schema`]: Connect schemas and their JSON;
//! * [`types`]: the PostgreSQL type to Connect schema mapping; [`values`]: the values;
//!   [`defaults`]: column defaults in schemas;
//! * [`source`], [`envelope`], [`topic`]: the source block, envelope schemas, topic names;
//! * [`columns`]: the column filter, `message.key.columns` and the column mappers (masks,
//!   truncation, hashes);
//! * [`table`]: what is worked out once per table description (schemas serialized once);
//! * [`header`]: keys as the `__debezium.newkey` / `oldkey` headers print them;
//! * [`txmeta`]: transaction metadata (the `transaction` topic and block);
//! * [`snapshot`]: what differs in snapshot records; [`julian`]: dates and timestamps as the
//!   JDBC driver reads them (snapshots, array elements);
//! * [`transform`]: Kafka's `RegexRouter`, applied to every record's topic;
//! * [`javamap`]: Java `HashMap` iteration order, which some of the output follows.
//!
//! `docs/compatibility.md` lists the supported properties and the known differences.

pub mod columns;
pub mod config;
pub mod defaults;
pub mod encoder;
pub mod envelope;
pub mod header;
pub mod java_float;
pub mod javamap;
pub mod json;
pub mod julian;
pub mod schema;
pub mod snapshot;
pub mod source;
pub mod table;
pub mod topic;
pub mod transform;
pub mod txmeta;
pub mod types;
pub mod values;

pub use config::{ConfigError, DebeziumConfig};
pub use encoder::{DebeziumEncoder, new_run_id};
