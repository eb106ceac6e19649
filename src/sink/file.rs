//! The file and stdout sinks: one JSON line per record (see [`Record::write_json_line`]).
//!
//! The file sink is exactly-once across restarts. After each flush it makes the data durable
//! (`fdatasync`), then atomically replaces `PATH.position` with the position reached and the
//! file's length. On start it cuts the file back to that length (dropping lines a crash left
//! after the last flush) and asks the pipeline for the events after that position only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use pgoutput::Lsn;
use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt as _;

use super::{Sink, SinkError};
use crate::change::{Event, Position};
use crate::record::{Encoder, Record};

/// Where a file sink writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (no durability, no saved position).
    Stdout,
    /// A file, appended to.
    File(PathBuf),
}

/// Writes records as JSON lines to a file or standard output.
pub struct FileSink {
    target: Target,
    file: Option<File>,
    length: u64,
    encoder: Box<dyn Encoder>,
    records: Vec<Record>,
    buffer: Vec<u8>,
    last: Option<Position>,
    saved: Option<Position>,
    resume: Option<Position>,
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("target", &self.target)
            .field("length", &self.length)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl FileSink {
    /// Opens the target; for a file, restores the saved position and cuts off what came after it.
    pub async fn open(target: Target, encoder: Box<dyn Encoder>) -> Result<Self, SinkError> {
        let mut sink = Self {
            target,
            file: None,
            length: 0,
            encoder,
            records: Vec::new(),
            buffer: Vec::with_capacity(1 << 20),
            last: None,
            saved: None,
            resume: None,
        };
        if let Target::File(path) = &sink.target {
            let path = path.clone();
            let saved = sink.read_position_file(&position_path(&path)).await?;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .await
                .map_err(|e| sink.io("opening the file", e))?;
            let current = file
                .metadata()
                .await
                .map_err(|e| sink.io("reading the file size", e))?
                .len();
            match saved {
                Some((position, length)) if length <= current => {
                    if length < current {
                        tracing::info!(
                            path = %path.display(),
                            cut = current - length,
                            "dropping the lines written after the last saved position"
                        );
                        file.set_len(length)
                            .await
                            .map_err(|e| sink.io("cutting the file back", e))?;
                    }
                    sink.length = length;
                    sink.resume = position;
                    sink.last = position;
                    sink.saved = position;
                }
                Some((_, length)) => {
                    return Err(SinkError::BadPositionFile {
                        sink: sink.describe(),
                        path: position_path(&path).display().to_string(),
                        reason: format!(
                            "it records {length} bytes but the file has only {current}"
                        ),
                    });
                }
                None => {
                    if current > 0 {
                        tracing::warn!(
                            path = %path.display(),
                            "appending to a file that pgcdc did not write; its lines are kept"
                        );
                    }
                    sink.length = current;
                    // Saved at once, so that a crash before the first flush can be cut back too.
                    sink.save_position(&path, None).await?;
                }
            }
            sink.file = Some(file);
        }
        Ok(sink)
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> SinkError {
        SinkError::Io {
            sink: self.describe(),
            action,
            source,
        }
    }

    /// The saved position (`None` inside when nothing was taken yet) and file length.
    async fn read_position_file(
        &self,
        path: &Path,
    ) -> Result<Option<(Option<Position>, u64)>, SinkError> {
        let text = match tokio::fs::read_to_string(path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("reading the position file", e)),
        };
        let bad = |reason: String| SinkError::BadPositionFile {
            sink: self.describe(),
            path: path.display().to_string(),
            reason,
        };
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let length = json["length"]
            .as_u64()
            .ok_or_else(|| bad("no length".into()))?;
        if json["commit_lsn"].is_null() {
            return Ok(Some((None, length)));
        }
        let commit_lsn = json["commit_lsn"]
            .as_str()
            .and_then(|s| s.parse::<Lsn>().ok())
            .ok_or_else(|| bad("no commit_lsn".into()))?;
        let index = json["index"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| bad("no index".into()))?;
        Ok(Some((Some(Position::new(commit_lsn, index)), length)))
    }

    async fn save_position(
        &self,
        path: &Path,
        position: Option<Position>,
    ) -> Result<(), SinkError> {
        let text = serde_json::json!({
            "commit_lsn": position.map(|p| p.commit_lsn.to_string()),
            "index": position.map(|p| p.index),
            "length": self.length,
        })
        .to_string();
        let final_path = position_path(path);
        let tmp = final_path.with_extension("position.tmp");
        let mut file = File::create(&tmp)
            .await
            .map_err(|e| self.io("writing the position file", e))?;
        file.write_all(text.as_bytes())
            .await
            .map_err(|e| self.io("writing the position file", e))?;
        file.sync_data()
            .await
            .map_err(|e| self.io("syncing the position file", e))?;
        tokio::fs::rename(&tmp, &final_path)
            .await
            .map_err(|e| self.io("replacing the position file", e))
    }
}

/// `PATH.position`.
fn position_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".position");
    PathBuf::from(name)
}

#[async_trait]
impl Sink for FileSink {
    fn describe(&self) -> String {
        match &self.target {
            Target::Stdout => "stdout".to_owned(),
            Target::File(path) => format!("file:{}", path.display()),
        }
    }

    fn resume_position(&self) -> Option<Position> {
        self.resume
    }

    async fn write(&mut self, events: &[Event]) -> Result<(), SinkError> {
        for event in events {
            self.records.clear();
            self.encoder.encode(event, &mut self.records)?;
            for record in &self.records {
                record.write_json_line(&mut self.buffer);
            }
            // A Begin carries no data: acknowledging its position would claim the first change.
            if !matches!(event, Event::Begin(_)) {
                self.last = Some(event.position());
            }
        }
        if self.target == Target::Stdout && self.buffer.len() >= 1 << 16 {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<Option<Position>, SinkError> {
        match &self.target {
            Target::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout
                    .write_all(&self.buffer)
                    .and_then(|()| stdout.flush())
                    .map_err(|e| SinkError::Io {
                        sink: "stdout".to_owned(),
                        action: "writing",
                        source: e,
                    })?;
                self.buffer.clear();
            }
            Target::File(path) => {
                let path = path.clone();
                let Some(file) = self.file.as_mut() else {
                    return Ok(self.last);
                };
                if !self.buffer.is_empty() {
                    let written = file.write_all(&self.buffer).await;
                    let synced = match written {
                        Ok(()) => file.sync_data().await,
                        Err(e) => Err(e),
                    };
                    synced.map_err(|e| SinkError::Io {
                        sink: format!("file:{}", path.display()),
                        action: "writing",
                        source: e,
                    })?;
                    self.length += self.buffer.len() as u64;
                    self.buffer.clear();
                }
                if self.last != self.saved {
                    self.save_position(&path, self.last).await?;
                    self.saved = self.last;
                }
            }
        }
        Ok(self.last)
    }
}
