//! Debezium-compatible output: keys, envelopes, schemas and topic names as Debezium's PostgreSQL
//! connector writes them with Kafka Connect's `JsonConverter`.
