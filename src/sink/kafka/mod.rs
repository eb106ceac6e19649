//! The Kafka sink: records produced with librdkafka, idempotent and acknowledged by all in-sync
//! replicas, keys placed on partitions as Java's default partitioner places them.
//!
//! Delivery is asynchronous. [`Sink::write`] hands records to the producer and returns; the
//! delivery reports, arriving on the producer's thread, feed an [`InFlight`] tracker, and the
//! position the sink acknowledges is the newest one whose records, and every record before
//! them, the brokers have acknowledged. Records in flight are bounded by count and bytes; when
//! the bound is reached [`Sink::is_full`] says so and the pipeline stops reading the stream
//! until [`Sink::room`] resolves.
//!
//! A topic is looked up (and created when missing) before its first record goes out, in the
//! background: its records, and every record after them, wait in order in the sink, counted in
//! flight, and the sink says it is full until the answer comes, so the pipeline goes on
//! answering the server without reading on while the brokers cannot be reached.
//!
//! The producer retries what can be retried by itself. A delivery that fails (or a record the
//! producer refuses) stops the run with a message saying what to do; nothing
//! from that record on is acknowledged.

mod failure;
pub mod in_flight;
mod topics;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use tokio::sync::Notify;

use super::{RoomFuture, Sink, SinkError};
use crate::change::{Event, Position};
use crate::config::kafka::KafkaConfig;
use crate::record::{Encoder, Record};
use in_flight::InFlight;
use topics::Topics;

/// The producer type.
type Producer = ThreadedProducer<DeliveryContext>;

/// What the sink and the producer's thread share.
struct Shared {
    state: Mutex<State>,
    /// Woken on every delivery report and on a failure.
    changed: Notify,
}

#[derive(Default)]
struct State {
    in_flight: InFlight,
    /// The failure that stops the run, and whether `flush` has reported it.
    failure: Option<String>,
    reported: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fail(&self, message: String) {
        let mut state = self.lock();
        if state.failure.is_none() {
            tracing::error!(failure = %message, "the Kafka sink stops");
            state.failure = Some(message);
        }
        drop(state);
        self.changed.notify_one();
    }
}

/// The producer's callbacks: delivery reports, client errors and log lines.
struct DeliveryContext {
    shared: Arc<Shared>,
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", %facility, "{message}");
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", %facility, "{message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", %facility, "{message}");
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", %facility, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match failure::global(&error, reason) {
            Some(message) => self.shared.fail(message),
            None if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) => {
                tracing::warn!(
                    %reason,
                    "no Kafka broker can be reached; retrying, and confirming nothing new meanwhile"
                );
            }
            // librdkafka logs these itself, and retries.
            None => tracing::debug!(error = %failure::describe(&error), %reason, "Kafka producer"),
        }
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sequence: usize) {
        match result {
            Ok(_) => {
                self.shared.lock().in_flight.delivered(sequence as u64);
                self.shared.changed.notify_one();
            }
            Err((error, message)) => {
                self.shared.fail(failure::delivery(error, message.topic()));
            }
        }
    }
}

/// Produces records to Kafka.
pub struct KafkaSink {
    config: KafkaConfig,
    producer: Arc<Producer>,
    shared: Arc<Shared>,
    topics: Topics,
    encoder: Box<dyn Encoder>,
    records: Vec<Record>,
    /// Records not yet handed to the producer, with their in-flight sequence numbers, in stream
    /// order: the first one's topic is being looked up.
    waiting: VecDeque<(u64, Record)>,
    /// The last position taken (handed to the producer, or waiting): after a new replication
    /// session, the events up to it are in the sink's hands already and are not taken again.
    written: Option<Position>,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("bootstrap", &self.config.bootstrap_servers())
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    /// Makes the producer (it connects in the background; nothing is sent yet).
    pub fn new(config: KafkaConfig, encoder: Box<dyn Encoder>) -> Result<Self, SinkError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        });
        let mut client = ClientConfig::new();
        for (key, value) in &config.producer {
            client.set(key, value);
        }
        let context = DeliveryContext {
            shared: Arc::clone(&shared),
        };
        let producer: Producer =
            client
                .create_with_context(context)
                .map_err(|error| SinkError::Store {
                    sink: describe(&config),
                    reason: match &error {
                        KafkaError::ClientConfig(_, description, key, value) => format!(
                            "librdkafka refuses {key}={value}: {description} (set through kafka.{key} or producer.override.{key})"
                        ),
                        other => format!("cannot make the Kafka producer: {other}"),
                    },
                })?;
        Ok(Self {
            topics: Topics::new(config.topic_creation.clone(), &config.producer),
            config,
            producer: Arc::new(producer),
            shared,
            encoder,
            records: Vec::new(),
            waiting: VecDeque::new(),
            written: None,
        })
    }

    fn failed(&self, reason: String) -> SinkError {
        SinkError::Store {
            sink: self.describe(),
            reason,
        }
    }

    /// Hands the waiting records to the producer, in order, up to the first one whose topic is
    /// still being looked up. A failure is also recorded in the shared state.
    async fn send_waiting(&mut self) -> Result<(), SinkError> {
        while let Some((_, record)) = self.waiting.front() {
            match self
                .topics
                .check(&record.topic, &self.producer, &self.shared)
            {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(message) => {
                    self.shared.fail(message.clone());
                    return Err(self.failed(message));
                }
            }
            if let Some((sequence, record)) = self.waiting.pop_front() {
                self.produce(sequence, &record).await?;
            }
        }
        Ok(())
    }

    /// Hands one record, registered in flight as `sequence`, to the producer.
    async fn produce(&self, sequence: u64, record: &Record) -> Result<(), SinkError> {
        let mut message: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&record.topic, sequence as usize);
        if let Some(key) = &record.key {
            message = message.key(key.as_ref());
        }
        if let Some(value) = &record.value {
            message = message.payload(value.as_ref());
        }
        if !record.headers.is_empty() {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for (key, value) in &record.headers {
                headers = headers.insert(Header {
                    key,
                    value: value.as_deref(),
                });
            }
            message = message.headers(headers);
        }
        loop {
            match self.producer.send(message) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    message = returned;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((error, _)) => {
                    let text = failure::delivery(&error, &record.topic);
                    self.shared.fail(text.clone());
                    return Err(self.failed(text));
                }
            }
        }
    }
}

fn describe(config: &KafkaConfig) -> String {
    format!("kafka:{}", config.bootstrap_servers())
}

#[async_trait]
impl Sink for KafkaSink {
    fn describe(&self) -> String {
        describe(&self.config)
    }

    async fn write(&mut self, events: &[Event]) -> Result<(), SinkError> {
        if let Some(failure) = self.shared.lock().failure.clone() {
            return Err(self.failed(failure));
        }
        for event in events {
            let position = event.position();
            if self.written.is_some_and(|written| position <= written) {
                continue;
            }
            self.records.clear();
            self.encoder.encode(event, &mut self.records)?;
            {
                let mut state = self.shared.lock();
                for record in self.records.drain(..) {
                    let bytes = record.key.as_ref().map_or(0, |k| k.len())
                        + record.value.as_ref().map_or(0, |v| v.len());
                    self.waiting
                        .push_back((state.in_flight.push(bytes), record));
                }
                // A Begin carries no data: acknowledging its position would claim the first
                // change.
                if !matches!(event, Event::Begin(_)) {
                    state.in_flight.mark(position);
                    self.written = Some(position);
                }
            }
            self.send_waiting().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<Option<Position>, SinkError> {
        if self.shared.lock().failure.is_none() {
            // A failure is recorded in the shared state, and reported just below.
            self.send_waiting().await.ok();
        }
        let mut state = self.shared.lock();
        if let Some(failure) = state.failure.clone()
            && !state.reported
        {
            state.reported = true;
            drop(state);
            return Err(self.failed(failure));
        }
        Ok(state.in_flight.acked())
    }

    async fn finish(&mut self) -> Result<Option<Position>, SinkError> {
        let deadline = tokio::time::Instant::now() + self.config.shutdown_timeout;
        let shared = Arc::clone(&self.shared);
        loop {
            let notified = shared.changed.notified();
            if self.shared.lock().failure.is_none() {
                // A failure is recorded in the shared state, and ends the wait.
                self.send_waiting().await.ok();
            }
            {
                let state = self.shared.lock();
                if state.failure.is_some() || state.in_flight.is_empty() {
                    break;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let state = self.shared.lock();
                tracing::warn!(
                    records = state.in_flight.len(),
                    timeout = ?self.config.shutdown_timeout,
                    "records still undelivered at the stop (pgcdc.kafka.shutdown.timeout.ms); they are not confirmed and the next run sends them again"
                );
                break;
            }
        }
        self.flush().await
    }

    /// Full at the in-flight bound, and while records wait for their topic's lookup.
    fn is_full(&self) -> bool {
        let state = self.shared.lock();
        state.failure.is_none()
            && (!self.waiting.is_empty()
                || state.in_flight.len() >= self.config.max_in_flight_records
                || self
                    .config
                    .max_in_flight_bytes
                    .is_some_and(|max| state.in_flight.bytes() >= max))
    }

    fn room(&self) -> RoomFuture {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move { shared.changed.notified().await })
    }
}
