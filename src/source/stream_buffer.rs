//! Holds the blocks of large in-progress transactions (protocol version 2 streaming) until they
//! commit, within a memory limit.
//!
//! With `streaming` on, the server sends a transaction that outgrows `logical_decoding_work_mem`
//! in blocks before it commits, interleaved with other transactions. pgcdc delivers
//! transactions whole and in commit order, so it keeps each streamed transaction's messages until
//! its Stream Commit and drops them on Stream Abort (of the transaction, or of one of its
//! subtransactions). Past `memory_limit` bytes in all, a transaction's messages go to a temporary
//! file instead, so memory stays bounded however large the transaction is.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter};

use bytes::Bytes;
use pgoutput::Lsn;

/// A failure of the spill files.
#[derive(Debug, thiserror::Error)]
#[error("streamed transaction {xid}: {action} its spill file: {source}")]
pub struct StreamBufferError {
    xid: u32,
    action: &'static str,
    #[source]
    source: std::io::Error,
}

/// One streamed transaction's messages.
#[derive(Debug, Default)]
struct Buffered {
    /// Messages still in memory, after those in the spill file.
    memory: Vec<(Lsn, u32, Bytes)>,
    memory_bytes: usize,
    spill: Option<BufWriter<File>>,
    spilled: u64,
    aborted_subxacts: HashSet<u32>,
}

/// The streamed transactions not yet committed or aborted.
#[derive(Debug)]
pub struct StreamBuffers {
    transactions: HashMap<u32, Buffered>,
    current: Option<u32>,
    memory_limit: usize,
    memory_bytes: usize,
}

impl StreamBuffers {
    /// Buffers that keep at most `memory_limit` bytes of messages in memory.
    pub fn new(memory_limit: usize) -> Self {
        Self {
            transactions: HashMap::new(),
            current: None,
            memory_limit,
            memory_bytes: 0,
        }
    }

    /// Bytes of messages held in memory.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// Stream Start: the following messages belong to transaction `xid`.
    pub fn start(&mut self, xid: u32) {
        self.current = Some(xid);
        self.transactions.entry(xid).or_default();
    }

    /// Stream Stop.
    pub fn stop(&mut self) {
        self.current = None;
    }

    /// Keeps one message of the open block; `xid` is the (sub)transaction it carries.
    pub fn push(&mut self, xid: u32, lsn: Lsn, data: Bytes) -> Result<(), StreamBufferError> {
        let top = self.current.unwrap_or(xid);
        let over_limit = self.memory_bytes + data.len() > self.memory_limit;
        let buffered = self.transactions.entry(top).or_default();
        if over_limit || buffered.spill.is_some() {
            if buffered.spill.is_none() {
                // Move what this transaction holds in memory to its new spill file first, so the
                // file keeps the stream order.
                let file = tempfile::tempfile().map_err(|source| StreamBufferError {
                    xid: top,
                    action: "creating",
                    source,
                })?;
                tracing::debug!(xid = top, "spilling a streamed transaction to disk");
                let mut writer = BufWriter::with_capacity(1 << 16, file);
                for (lsn, xid, data) in buffered.memory.drain(..) {
                    write_entry(&mut writer, lsn, xid, &data).map_err(|source| {
                        StreamBufferError {
                            xid: top,
                            action: "writing",
                            source,
                        }
                    })?;
                    buffered.spilled += 1;
                }
                self.memory_bytes -= buffered.memory_bytes;
                buffered.memory_bytes = 0;
                buffered.spill = Some(writer);
            }
            if let Some(writer) = buffered.spill.as_mut() {
                write_entry(writer, lsn, xid, &data).map_err(|source| StreamBufferError {
                    xid: top,
                    action: "writing",
                    source,
                })?;
                buffered.spilled += 1;
            }
        } else {
            buffered.memory_bytes += data.len();
            self.memory_bytes += data.len();
            buffered.memory.push((lsn, xid, data));
        }
        Ok(())
    }

    /// Stream Abort: drops the transaction (`subxid == xid`) or one of its subtransactions.
    pub fn abort(&mut self, xid: u32, subxid: u32) {
        if xid == subxid {
            if let Some(buffered) = self.transactions.remove(&xid) {
                self.memory_bytes -= buffered.memory_bytes;
            }
        } else if let Some(buffered) = self.transactions.get_mut(&xid) {
            buffered.aborted_subxacts.insert(subxid);
            let before = buffered.memory_bytes;
            buffered.memory.retain(|(_, x, _)| *x != subxid);
            buffered.memory_bytes = buffered.memory.iter().map(|(_, _, d)| d.len()).sum();
            self.memory_bytes -= before - buffered.memory_bytes;
        }
    }

    /// Stream Commit: the transaction's messages, in stream order, without those of aborted
    /// subtransactions. `None` if no such transaction was streamed.
    pub fn commit(&mut self, xid: u32) -> Result<Option<Replay>, StreamBufferError> {
        let Some(buffered) = self.transactions.remove(&xid) else {
            return Ok(None);
        };
        self.memory_bytes -= buffered.memory_bytes;
        let spill = match buffered.spill {
            Some(writer) => {
                let mut file = writer.into_inner().map_err(|e| StreamBufferError {
                    xid,
                    action: "writing",
                    source: e.into_error(),
                })?;
                use std::io::Seek as _;
                file.rewind().map_err(|source| StreamBufferError {
                    xid,
                    action: "rewinding",
                    source,
                })?;
                Some((BufReader::with_capacity(1 << 16, file), buffered.spilled))
            }
            None => None,
        };
        Ok(Some(Replay {
            xid,
            spill,
            memory: buffered.memory.into_iter(),
            aborted: buffered.aborted_subxacts,
        }))
    }
}

/// The messages of a committed streamed transaction.
#[derive(Debug)]
pub struct Replay {
    xid: u32,
    spill: Option<(BufReader<File>, u64)>,
    memory: std::vec::IntoIter<(Lsn, u32, Bytes)>,
    aborted: HashSet<u32>,
}

impl Replay {
    /// The next message, or `None` at the end.
    pub fn next_message(&mut self) -> Result<Option<(Lsn, Bytes)>, StreamBufferError> {
        loop {
            let entry = match self.spill.as_mut() {
                Some((reader, remaining)) if *remaining > 0 => {
                    *remaining -= 1;
                    read_entry(reader).map_err(|source| StreamBufferError {
                        xid: self.xid,
                        action: "reading",
                        source,
                    })?
                }
                _ => match self.memory.next() {
                    Some(entry) => entry,
                    None => return Ok(None),
                },
            };
            let (lsn, xid, data) = entry;
            if !self.aborted.contains(&xid) {
                return Ok(Some((lsn, data)));
            }
        }
    }
}

fn write_entry(
    out: &mut impl std::io::Write,
    lsn: Lsn,
    xid: u32,
    data: &[u8],
) -> std::io::Result<()> {
    let length = u32::try_from(data.len())
        .map_err(|_| std::io::Error::other("a message larger than 4 GiB"))?;
    out.write_all(&u64::from(lsn).to_be_bytes())?;
    out.write_all(&xid.to_be_bytes())?;
    out.write_all(&length.to_be_bytes())?;
    out.write_all(data)
}

fn read_entry(input: &mut impl std::io::Read) -> std::io::Result<(Lsn, u32, Bytes)> {
    let mut header = [0u8; 16];
    input.read_exact(&mut header)?;
    let [
        l0,
        l1,
        l2,
        l3,
        l4,
        l5,
        l6,
        l7,
        x0,
        x1,
        x2,
        x3,
        n0,
        n1,
        n2,
        n3,
    ] = header;
    let lsn = Lsn::from(u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]));
    let xid = u32::from_be_bytes([x0, x1, x2, x3]);
    let length = u32::from_be_bytes([n0, n1, n2, n3]) as usize;
    let mut data = vec![0u8; length];
    input.read_exact(&mut data)?;
    Ok((lsn, xid, Bytes::from(data)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn drain(mut replay: Replay) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((lsn, data)) = replay.next_message().unwrap() {
            out.push((u64::from(lsn), data.to_vec()));
        }
        out
    }

    #[test]
    fn keeps_order_across_memory_and_spill_and_drops_aborted_subtransactions() {
        let mut buffers = StreamBuffers::new(10);
        buffers.start(7);
        buffers
            .push(7, Lsn::from(1), Bytes::from_static(b"aaaa"))
            .unwrap();
        buffers
            .push(8, Lsn::from(2), Bytes::from_static(b"bbbb"))
            .unwrap();
        buffers.stop();
        assert_eq!(buffers.memory_bytes(), 8);
        buffers.start(9);
        // 8 + 5 bytes would cross the limit: transaction 9 goes to a spill file.
        buffers
            .push(9, Lsn::from(3), Bytes::from_static(b"other"))
            .unwrap();
        buffers.stop();
        assert_eq!(buffers.memory_bytes(), 8);
        buffers.start(7);
        // Over the limit again: transaction 7 moves to a spill file, its first messages first.
        buffers
            .push(7, Lsn::from(4), Bytes::from_static(b"cccc"))
            .unwrap();
        buffers
            .push(8, Lsn::from(5), Bytes::from_static(b"dddd"))
            .unwrap();
        buffers.stop();
        assert_eq!(buffers.memory_bytes(), 0, "both transactions are on disk");
        buffers.abort(7, 8);
        let replay = buffers.commit(7).unwrap().unwrap();
        assert_eq!(
            drain(replay),
            [(1, b"aaaa".to_vec()), (4, b"cccc".to_vec())]
        );
        let replay = buffers.commit(9).unwrap().unwrap();
        assert_eq!(drain(replay), [(3, b"other".to_vec())]);
        assert!(buffers.commit(9).unwrap().is_none(), "committed once");
    }

    #[test]
    fn subtransaction_abort_in_memory_frees_its_bytes() {
        let mut buffers = StreamBuffers::new(1 << 20);
        buffers.start(1);
        buffers
            .push(1, Lsn::from(1), Bytes::from_static(b"keep"))
            .unwrap();
        buffers
            .push(2, Lsn::from(2), Bytes::from_static(b"drop!"))
            .unwrap();
        buffers.abort(1, 2);
        assert_eq!(buffers.memory_bytes(), 4);
        let replay = buffers.commit(1).unwrap().unwrap();
        assert_eq!(drain(replay), [(1, b"keep".to_vec())]);
    }
}
