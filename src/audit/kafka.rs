//! The consumer of request records ([`super::requests`]): reads the topic with a consumer group
//! of its own (`pgcdc-audit-SOURCE`), stores each record and joins it, then commits its offset.
//! A record is committed only once it is stored, so a restart re-reads at most what was not; a
//! record read twice changes nothing.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message as _;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};

use super::config::RequestsConfig;
use super::requests::{RequestRecord, apply, parse};
use super::{StoreConnection, connect};
use crate::config::connection::ConnectionConfig;
use crate::metrics::{Counter, global};

/// How long to wait before retrying after an error.
const RETRY: Duration = Duration::from_secs(2);

/// Starts the consumer; it runs until the returned task is aborted.
pub fn spawn(
    config: RequestsConfig,
    store: ConnectionConfig,
    source: &str,
) -> Result<tokio::task::JoinHandle<()>, rdkafka::error::KafkaError> {
    let consumer: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &config.bootstrap_servers)
        .set("group.id", format!("pgcdc-audit-{source}"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[&config.topic])?;
    let registry = global();
    let counters = Counters {
        stored: registry.counter(
            "pgcdc_audit_requests_total",
            "Request records read from Kafka and stored.",
        ),
        skipped: registry.counter(
            "pgcdc_audit_requests_skipped_total",
            "Records of the request topic that are not request records.",
        ),
        joined: registry.counter(
            "pgcdc_audit_requests_late_rows_total",
            "Stored audit rows whose context a request record set after them.",
        ),
    };
    tracing::info!(topic = %config.topic, servers = %config.bootstrap_servers, "reading request records");
    Ok(tokio::spawn(run(consumer, config, store, counters)))
}

struct Counters {
    stored: Arc<Counter>,
    skipped: Arc<Counter>,
    joined: Arc<Counter>,
}

async fn run(
    consumer: StreamConsumer,
    config: RequestsConfig,
    store: ConnectionConfig,
    counters: Counters,
) {
    let mut connection: Option<StoreConnection> = None;
    loop {
        let message = match consumer.recv().await {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, topic = %config.topic, "reading request records failed; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        match parse(message.payload().unwrap_or_default()) {
            Err(reason) => {
                counters.skipped.inc();
                tracing::warn!(
                    topic = %config.topic,
                    partition = message.partition(),
                    offset = message.offset(),
                    %reason,
                    "skipping a record that is not a request record"
                );
            }
            Ok((txid, context)) => {
                let timestamp_us = message
                    .timestamp()
                    .to_millis()
                    .map(|ms| ms.saturating_mul(1000))
                    .unwrap_or_else(now_us);
                let record = RequestRecord {
                    topic: message.topic().to_owned(),
                    partition: message.partition(),
                    offset: message.offset(),
                    timestamp_us,
                    txid,
                    context,
                };
                loop {
                    let result = match connection.as_mut() {
                        Some(store) => apply(&mut store.client, &record, config.window)
                            .await
                            .map_err(|e| e.to_string()),
                        None => match connect(&store).await {
                            Ok(store) => {
                                connection = Some(store);
                                continue;
                            }
                            Err(error) => Err(error.to_string()),
                        },
                    };
                    match result {
                        Ok(rows) => {
                            counters.stored.inc();
                            counters.joined.add(rows);
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "storing a request record failed; retrying");
                            connection = None;
                            tokio::time::sleep(RETRY).await;
                        }
                    }
                }
            }
        }
        if let Err(error) = consumer.commit_message(&message, CommitMode::Async) {
            tracing::warn!(%error, "committing the request topic's offset failed");
        }
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
