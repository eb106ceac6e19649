//! Who made a change, told by request records on a Kafka topic: applications that cannot add a
//! statement to their transactions publish, per request, a JSON record carrying the
//! transaction's id (`txid_current()`) and what the audit should say:
//!
//! ```json
//! {"txid": 8589935339, "user": "alice", "request_id": "r-17", "endpoint": "PATCH /customers/1"}
//! ```
//!
//! pgcdc consumes the topic ([`super::kafka::spawn`]) and keeps each record in `pgcdc_audit.requests`. A
//! record and a transaction meet when the transaction id matches (its low 32 bits, which is what
//! the replication stream carries) and the record's timestamp is within
//! `pgcdc.audit.requests.window.ms` of the commit time. Whichever comes second does the join:
//! the audit sink sets the context of the rows it writes from records already there, and a
//! record arriving later sets the context of the rows already stored. Both take the same lock,
//! so one of them always sees the other. The record's fields (all but `txid`) become the context;
//! fields a context message of the transaction already set are kept.

use std::time::Duration;

use serde_json::Value as Json;
use tokio_postgres::Client;

use crate::sql::PgError;

/// The advisory lock that orders joins between the sink and the consumer.
pub const JOIN_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('pgcdc_audit.requests'))";

/// A request record, as read from the topic.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Where it was read: topic, partition, offset.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The record's timestamp, µs since 1970.
    pub timestamp_us: i64,
    /// The transaction id (`txid_current()`, with its epoch).
    pub txid: i64,
    /// What the audit should say: the record without `txid`.
    pub context: Json,
}

/// The transaction id and context of a record's value, or why it is not a request record.
pub fn parse(value: &[u8]) -> Result<(i64, Json), String> {
    let json: Json = serde_json::from_slice(value).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(mut map) = json else {
        return Err("not a JSON object".to_owned());
    };
    let txid = match map.remove("txid") {
        Some(Json::Number(n)) => n.as_i64(),
        Some(Json::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|t| *t >= 0)
    .ok_or_else(|| "no \"txid\" (the transaction's txid_current())".to_owned())?;
    Ok((txid, Json::Object(map)))
}

/// The SQL interval of a window.
pub fn interval(window: Duration) -> String {
    format!("{} milliseconds", window.as_millis())
}

/// Stores a record and sets the context of the rows of its transaction already stored; returns
/// how many rows it set. Storing the same record again changes nothing.
pub async fn apply(
    client: &mut Client,
    record: &RequestRecord,
    window: Duration,
) -> Result<u64, PgError> {
    let xid = record.txid & 0xFFFF_FFFF;
    let time = crate::change::value::format_timestamp_utc(record.timestamp_us);
    let tx = client.transaction().await?;
    tx.batch_execute(JOIN_LOCK).await?;
    tx.execute(
        "INSERT INTO pgcdc_audit.requests (topic, kafka_partition, kafka_offset, txid, xid, received_at, context)
         VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7::text::jsonb)
         ON CONFLICT DO NOTHING",
        &[&record.topic, &record.partition, &record.offset, &record.txid, &xid, &time, &record.context.to_string()],
    )
    .await?;
    let updated = tx
        .execute(
            "UPDATE pgcdc_audit.changes SET context = $1::text::jsonb || coalesce(context, '{}')
             WHERE xid = $2
               AND commit_time BETWEEN $3::text::timestamptz - $4::text::interval
                                   AND $3::text::timestamptz + $4::text::interval",
            &[&record.context.to_string(), &xid, &time, &interval(window)],
        )
        .await?;
    tx.commit().await?;
    Ok(updated)
}

/// The statement the sink runs in its write transaction (after [`JOIN_LOCK`]): the context of
/// the rows just written, from the records already stored. Parameters: the source, the commit
/// LSNs of the batch (text), the window (text interval), and the batch's first and last commit
/// times (text), which keep the update to the partitions concerned.
pub const JOIN_BATCH: &str = "UPDATE pgcdc_audit.changes c
     SET context = r.context || coalesce(c.context, '{}')
     FROM pgcdc_audit.requests r
     WHERE c.source = $1
       AND c.commit_lsn = ANY($2::text[]::pg_lsn[])
       AND c.commit_time BETWEEN $4::text::timestamptz AND $5::text::timestamptz
       AND r.xid = c.xid
       AND r.received_at BETWEEN c.commit_time - $3::text::interval AND c.commit_time + $3::text::interval";

/// Forgets records older than `keep` (they can no longer meet a transaction).
pub async fn expire(client: &Client, keep: Duration) -> Result<u64, PgError> {
    Ok(client
        .execute(
            "DELETE FROM pgcdc_audit.requests WHERE received_at < now() - $1::text::interval",
            &[&interval(keep)],
        )
        .await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn records_carry_a_txid() {
        let (txid, context) = parse(br#"{"txid": 8589935339, "user": "alice"}"#).unwrap();
        assert_eq!(txid, 8_589_935_339);
        assert_eq!(context, json!({"user": "alice"}));
        assert_eq!(parse(br#"{"txid": "42"}"#).unwrap().0, 42);
        assert!(parse(br#"{"user": "alice"}"#).unwrap_err().contains("txid"));
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{").is_err());
        assert_eq!(interval(Duration::from_secs(60)), "60000 milliseconds");
    }
}
