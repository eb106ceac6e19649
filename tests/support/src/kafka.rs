//! A real Kafka-protocol broker for tests, and a consumer that reads topics back.
//!
//! [`Broker::start`] runs [tansu](https://github.com/tansu-io/tansu) with SQLite storage in a
//! temporary directory, on a free `127.0.0.1` port; it is killed and its directory removed when
//! the value is dropped (its log is printed when the test fails). [`Broker::stop`] and
//! [`Broker::start_again`] restart it on the same port and storage. `./scripts/install-deps`
//! installs tansu; `PGCDC_TANSU` names another binary.
//!
//! [`consume_all`] reads every record of every topic (or of the topics given) from the
//! beginning to the end, with librdkafka, in partition order.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// The tansu version the tests are written against.
pub const TANSU_VERSION: &str = "0.6.0";

/// A running broker.
#[derive(Debug)]
pub struct Broker {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    starts: u32,
}

/// The tansu binary: `PGCDC_TANSU`, else `tansu` in `~/.cargo/bin`, else on the `PATH`.
pub fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PGCDC_TANSU") {
        return PathBuf::from(path);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let path = PathBuf::from(home).join(".cargo/bin/tansu");
        if path.exists() {
            return path;
        }
    }
    PathBuf::from("tansu")
}

impl Broker {
    /// Starts a broker on a free port. Panics, with its log, if it does not come up.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free port");
        let dir = tempfile::Builder::new()
            .prefix("pgcdc-tansu-")
            .tempdir()
            .expect("cannot make a temporary directory");
        let mut broker = Self {
            child: None,
            port,
            dir,
            starts: 0,
        };
        broker.start_again();
        broker
    }

    /// `127.0.0.1:PORT`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's log so far (of every start).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tansu.log")).unwrap_or_default()
    }

    /// Kills the broker (SIGKILL) and waits for it; its storage stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker (again) on the same port and storage, and waits until it accepts
    /// connections.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the broker is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("tansu.log"))
            .expect("cannot open the broker log");
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let binary = tansu_binary();
        let child = Command::new(&binary)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .args(["broker", "--cluster-id", "pgcdc-test"])
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): tansu {TANSU_VERSION} is needed by this test; `./scripts/install-deps` installs it",
                    binary.display()
                )
            });
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("tansu exited at start ({status}):\n{}", self.log());
            }
            if Instant::now() >= deadline {
                panic!("tansu did not listen within 30 s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(100).collect();
            eprintln!(
                "----- tansu log on port {} (last 100 lines, {} start(s)) -----\n{}\n-----",
                self.port,
                self.starts,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value (`None`: a tombstone).
    pub value: Option<Vec<u8>>,
    /// The headers, in order (`None`: a null value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// The topics on the brokers (without internal ones starting with `__`), sorted.
pub fn topics(bootstrap: &str) -> Vec<String> {
    let consumer = consumer(bootstrap);
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("cannot read the brokers' metadata");
    let mut names: Vec<String> = metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|n| !n.starts_with("__"))
        .collect();
    names.sort();
    names
}

fn consumer(bootstrap: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "pgcdc-test-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("allow.auto.create.topics", "false")
        .create()
        .expect("cannot make a consumer")
}

/// Every record of `topics` (every topic when empty), from the beginning to the end of each
/// partition at the time of the call: by topic, then partition, then offset.
pub fn consume_all(bootstrap: &str, topics_wanted: &[&str]) -> Vec<Consumed> {
    let names: Vec<String> = if topics_wanted.is_empty() {
        topics(bootstrap)
    } else {
        topics_wanted.iter().map(|t| (*t).to_owned()).collect()
    };
    let consumer = consumer(bootstrap);
    let mut ends = std::collections::BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for name in &names {
        let metadata = consumer
            .fetch_metadata(Some(name), Duration::from_secs(10))
            .expect("cannot read the topic's metadata");
        for topic in metadata.topics() {
            for partition in topic.partitions() {
                let (low, high) = consumer
                    .fetch_watermarks(name, partition.id(), Duration::from_secs(10))
                    .expect("cannot read the watermarks");
                if high > low {
                    ends.insert((name.clone(), partition.id()), high);
                    assignment
                        .add_partition_offset(name, partition.id(), Offset::Offset(low))
                        .expect("assignment");
                }
            }
        }
    }
    let mut records = Vec::new();
    if ends.is_empty() {
        return records;
    }
    consumer.assign(&assignment).expect("cannot assign");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut remaining = ends.len();
    let mut done = std::collections::BTreeSet::new();
    while remaining > 0 {
        assert!(
            Instant::now() < deadline,
            "reading the topics back took more than 60 s ({} records so far)",
            records.len()
        );
        let Some(result) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = result.expect("consuming failed");
        let key = (message.topic().to_owned(), message.partition());
        let Some(&high) = ends.get(&key) else {
            continue;
        };
        if message.offset() >= high {
            continue;
        }
        let headers = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        records.push(Consumed {
            topic: key.0.clone(),
            partition: key.1,
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers,
        });
        if message.offset() + 1 >= high && done.insert(key) {
            remaining -= 1;
        }
    }
    records
        .sort_by(|a, b| (&a.topic, a.partition, a.offset).cmp(&(&b.topic, b.partition, b.offset)));
    records
        .dedup_by(|a, b| a.topic == b.topic && a.partition == b.partition && a.offset == b.offset);
    records
}

/// The partition Java's default partitioner chooses for a keyed record: Kafka's `murmur2` of
/// the key bytes (seed `0x9747b28c`), made positive, modulo the partition count.
pub fn java_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// Kafka's `Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's own test vectors for `Utils.murmur2`.
    #[test]
    fn murmur2_matches_kafka() {
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, hash) in cases {
            assert_eq!(murmur2(key), *hash, "{}", String::from_utf8_lossy(key));
        }
        assert_eq!(java_partition(b"21", 3), 0);
        assert_eq!(
            java_partition(b"foobar", 3),
            (-790_332_482i32 & 0x7fff_ffff) % 3
        );
    }
}
