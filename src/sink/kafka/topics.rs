//! Making sure a topic exists before the first record goes to it: it is looked up once, and
//! created with Kafka Connect's `topic.creation.default.*` settings when missing (or the run
//! stops, when creation is off). Brokers that cannot be reached are waited for.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::Producer as _;
use rdkafka::types::RDKafkaRespErr;

use super::Producer;
use super::failure;
use crate::config::kafka::TopicCreation;

/// How long one metadata request may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a topic just created is looked up again before giving up on seeing it.
const VISIBLE_ATTEMPTS: u32 = 100;

/// What the brokers say of a topic.
enum Lookup {
    Exists,
    Missing,
    Refused(String),
    Unreachable(String),
}

/// The topics known to exist, and how to create the others.
pub struct Topics {
    known: HashSet<String>,
    creation: Option<TopicCreation>,
    admin_config: BTreeMap<String, String>,
    admin: Option<AdminClient<DefaultClientContext>>,
}

impl Topics {
    /// `producer_config` is the producer's librdkafka settings (the admin client takes its
    /// connection and security settings).
    pub fn new(
        creation: Option<TopicCreation>,
        producer_config: &BTreeMap<String, String>,
    ) -> Self {
        const PRODUCER_ONLY: &[&str] = &[
            "enable.idempotence",
            "acks",
            "partitioner",
            "message.timeout.ms",
            "delivery.timeout.ms",
            "allow.auto.create.topics",
            "queue.buffering.max.messages",
            "queue.buffering.max.kbytes",
            "compression.type",
            "compression.codec",
            "linger.ms",
            "queue.buffering.max.ms",
            "batch.size",
            "batch.num.messages",
            "transactional.id",
        ];
        let admin_config = producer_config
            .iter()
            .filter(|(key, _)| !PRODUCER_ONLY.contains(&key.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self {
            known: HashSet::new(),
            creation,
            admin_config,
            admin: None,
        }
    }

    /// Whether `topic` is known to exist.
    pub fn is_known(&self, topic: &str) -> bool {
        self.known.contains(topic)
    }

    /// Makes sure `topic` exists; `Err` is a message that stops the run.
    pub async fn ensure(&mut self, producer: &Arc<Producer>, topic: &str) -> Result<(), String> {
        let mut unreachable = 0u32;
        let mut created = false;
        let mut waits = 0u32;
        loop {
            match lookup(producer, topic).await {
                Lookup::Exists => {
                    self.known.insert(topic.to_owned());
                    return Ok(());
                }
                Lookup::Refused(message) => return Err(message),
                Lookup::Unreachable(reason) => {
                    unreachable += 1;
                    let wait = Duration::from_millis(500 * u64::from(unreachable.min(20)));
                    tracing::warn!(%topic, %reason, retry_in = ?wait, "cannot look the topic up on the Kafka brokers; retrying");
                    tokio::time::sleep(wait).await;
                }
                Lookup::Missing if created => {
                    waits += 1;
                    if waits > VISIBLE_ATTEMPTS {
                        return Err(format!(
                            "topic {topic} was created but the brokers still do not list it"
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Lookup::Missing => {
                    let Some(creation) = self.creation.clone() else {
                        return Err(failure::missing_topic(topic));
                    };
                    self.create(topic, &creation).await?;
                    created = true;
                }
            }
        }
    }

    async fn create(&mut self, topic: &str, creation: &TopicCreation) -> Result<(), String> {
        if self.admin.is_none() {
            let mut config = ClientConfig::new();
            for (key, value) in &self.admin_config {
                config.set(key, value);
            }
            let admin = config
                .create::<AdminClient<DefaultClientContext>>()
                .map_err(|e| {
                    format!("cannot make a Kafka admin client to create topic {topic}: {e}")
                })?;
            self.admin = Some(admin);
        }
        let Some(admin) = &self.admin else {
            return Err(format!(
                "cannot make a Kafka admin client to create topic {topic}"
            ));
        };
        let mut new_topic = NewTopic::new(
            topic,
            creation.partitions,
            TopicReplication::Fixed(creation.replication_factor),
        );
        for (key, value) in &creation.configs {
            new_topic = new_topic.set(key, value);
        }
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = admin
            .create_topics([&new_topic], &options)
            .await
            .map_err(|e| format!("creating topic {topic}: {}", failure::describe(&e)))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => {
                    return Err(format!(
                        "the brokers refused to create topic {topic} ({code}): create it yourself, or check topic.creation.default.partitions / topic.creation.default.replication.factor and the producer's CREATE permission"
                    ));
                }
            }
        }
        tracing::info!(
            %topic,
            partitions = creation.partitions,
            replication_factor = creation.replication_factor,
            "created the topic"
        );
        Ok(())
    }
}

/// Asks the brokers about `topic` (a blocking librdkafka call, so on a blocking thread).
async fn lookup(producer: &Arc<Producer>, topic: &str) -> Lookup {
    let producer = Arc::clone(producer);
    let name = topic.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        match producer
            .client()
            .fetch_metadata(Some(&name), METADATA_TIMEOUT)
        {
            Ok(metadata) => {
                let topic = metadata.topics().iter().find(|t| t.name() == name);
                match topic.map(|t| (t.error(), t.partitions().len())) {
                    Some((None, partitions)) if partitions > 0 => Lookup::Exists,
                    Some((
                        Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED),
                        _,
                    )) => Lookup::Refused(format!(
                        "not authorised to describe topic {name}: grant the producer's principal WRITE and DESCRIBE on it"
                    )),
                    Some((Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE), _)) => {
                        Lookup::Unreachable("the topic has no leader yet".to_owned())
                    }
                    _ => Lookup::Missing,
                }
            }
            Err(error) => Lookup::Unreachable(failure::describe(&error)),
        }
    })
    .await;
    result.unwrap_or_else(|e| Lookup::Unreachable(e.to_string()))
}
