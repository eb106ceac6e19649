//! Making sure a topic exists before the first record goes to it: it is looked up once, and
//! created with Kafka Connect's `topic.creation.default.*` settings when missing (or the run
//! stops, when creation is off). Brokers that cannot be reached are waited for.
//!
//! The lookup runs in the background ([`Topics::check`] starts it and says when it is done), so
//! that the pipeline goes on answering the server meanwhile: the sink holds the topic's records,
//! and says it is full, until the answer comes.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::Producer as _;
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::oneshot;
use tokio::sync::oneshot::error::TryRecvError;
use tokio::task::JoinHandle;

use super::failure;
use super::{Producer, Shared};
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

/// The topics known to exist, and the lookup under way.
pub struct Topics {
    known: HashSet<String>,
    creator: Arc<Creator>,
    running: Option<Running>,
}

/// Looks a topic up, and creates it when it is missing and creation is on.
struct Creator {
    creation: Option<TopicCreation>,
    admin_config: BTreeMap<String, String>,
    /// Made when the first topic is created.
    admin: Mutex<Option<Arc<AdminClient<DefaultClientContext>>>>,
}

/// A lookup in the background: its topic, its task, and where the answer comes (`Err` is a
/// message that stops the run) before the task notifies. Dropping it stops the task.
struct Running {
    topic: String,
    task: JoinHandle<()>,
    answer: oneshot::Receiver<Result<(), String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
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
            creator: Arc::new(Creator {
                creation,
                admin_config,
                admin: Mutex::new(None),
            }),
            running: None,
        }
    }

    /// Whether `topic` is known to exist: `Ok(true)` once it is, `Ok(false)` while it is being
    /// looked up (or created) in the background; `shared.changed` is notified when that ends,
    /// and the next call gives the answer. `Err` is a message that stops the run.
    pub fn check(
        &mut self,
        topic: &str,
        producer: &Arc<Producer>,
        shared: &Arc<Shared>,
    ) -> Result<bool, String> {
        if self.known.contains(topic) {
            return Ok(true);
        }
        match self.running.take() {
            Some(mut running) if running.topic == topic => match running.answer.try_recv() {
                Ok(answer) => {
                    answer?;
                    self.known.insert(topic.to_owned());
                    Ok(true)
                }
                Err(TryRecvError::Empty) => {
                    self.running = Some(running);
                    Ok(false)
                }
                Err(TryRecvError::Closed) => {
                    Err(format!("looking topic {topic} up ended without an answer"))
                }
            },
            _ => {
                let (producer, shared) = (Arc::clone(producer), Arc::clone(shared));
                let creator = Arc::clone(&self.creator);
                let name = topic.to_owned();
                let (send, answer) = oneshot::channel();
                let task = tokio::spawn(async move {
                    // The answer is in place before the sink is woken to take it.
                    let _ = send.send(creator.ensure(&producer, &name).await);
                    shared.changed.notify_one();
                });
                self.running = Some(Running {
                    topic: topic.to_owned(),
                    task,
                    answer,
                });
                Ok(false)
            }
        }
    }
}

impl Creator {
    /// Makes sure `topic` exists; `Err` is a message that stops the run.
    async fn ensure(&self, producer: &Arc<Producer>, topic: &str) -> Result<(), String> {
        let mut unreachable = 0u32;
        let mut created = false;
        let mut waits = 0u32;
        loop {
            match lookup(producer, topic).await {
                Lookup::Exists => return Ok(()),
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
                    let Some(creation) = &self.creation else {
                        return Err(failure::missing_topic(topic));
                    };
                    self.create(topic, creation).await?;
                    created = true;
                }
            }
        }
    }

    /// The admin client, made on first use.
    fn admin(&self, topic: &str) -> Result<Arc<AdminClient<DefaultClientContext>>, String> {
        let mut admin = self
            .admin
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(admin) = admin.as_ref() {
            return Ok(Arc::clone(admin));
        }
        let mut config = ClientConfig::new();
        for (key, value) in &self.admin_config {
            config.set(key, value);
        }
        let made = Arc::new(
            config
                .create::<AdminClient<DefaultClientContext>>()
                .map_err(|e| {
                    format!("cannot make a Kafka admin client to create topic {topic}: {e}")
                })?,
        );
        *admin = Some(Arc::clone(&made));
        Ok(made)
    }

    async fn create(&self, topic: &str, creation: &TopicCreation) -> Result<(), String> {
        let admin = self.admin(topic)?;
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
