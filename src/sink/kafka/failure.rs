//! What the producer's errors mean for a run: each failure that stops it, with what to do.
//!
//! librdkafka retries what can be retried (a broker that is down or restarting, a leader that
//! moved, a request that timed out) by itself, without limit unless `message.timeout.ms` is
//! set. So a record whose delivery fails, or a record the producer refuses, stops the run: it
//! and everything after it stay unconfirmed, and the next run sends them again.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// A failure that stops the run, as a message for the user.
pub fn delivery(error: &KafkaError, topic: &str) -> String {
    let code = error.rdkafka_error_code();
    match code {
        Some(RDKafkaErrorCode::MessageSizeTooLarge) => format!(
            "a record for topic {topic} is larger than the producer or the broker accepts: raise kafka.message.max.bytes (the producer's limit, default 1000000) and the topic's max.message.bytes, or leave the large column out of the capture"
        ),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed) => format!(
            "not authorised to write to topic {topic}: grant the producer's principal WRITE and DESCRIBE on it"
        ),
        Some(RDKafkaErrorCode::ClusterAuthorizationFailed) => {
            "not authorised for idempotent writes: grant the producer's principal IDEMPOTENT_WRITE on the cluster".to_owned()
        }
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
            missing_topic(topic)
        }
        Some(RDKafkaErrorCode::MessageTimedOut) => format!(
            "records for topic {topic} were not delivered within message.timeout.ms (kafka.message.timeout.ms / producer.override.delivery.timeout.ms): nothing from them on is confirmed, and the next run sends them again; set it to 0 to retry without limit"
        ),
        _ => format!("delivery to topic {topic} failed: {}", describe(error)),
    }
}

/// The failure for a topic that does not exist and may not be created.
pub fn missing_topic(topic: &str) -> String {
    format!(
        "topic {topic} does not exist and topic.creation.enable is false: create the topic, or set topic.creation.enable=true"
    )
}

/// A client-wide error: `Some(message)` when it stops the run, `None` when librdkafka retries.
pub fn global(error: &KafkaError, reason: &str) -> Option<String> {
    match error.rdkafka_error_code() {
        Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed) => {
            Some(format!(
                "the Kafka brokers refused to authenticate pgcdc ({reason}): check kafka.security.protocol, kafka.sasl.mechanism, kafka.sasl.username and kafka.sasl.password"
            ))
        }
        Some(RDKafkaErrorCode::Fatal) => Some(format!(
            "the Kafka producer hit a fatal error ({reason}); nothing after the last delivered record is confirmed, and the next run sends it again"
        )),
        Some(
            RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed,
        ) => Some(format!("not authorised: {reason}")),
        _ => None,
    }
}

/// The error with its librdkafka code name, without rdkafka's wrapper text.
pub fn describe(error: &KafkaError) -> String {
    match error.rdkafka_error_code() {
        Some(code) => format!("{code} ({code:?})"),
        None => error.to_string(),
    }
}
