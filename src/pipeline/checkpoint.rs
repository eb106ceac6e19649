//! Which position the server may be told is flushed.
//!
//! Every sink acknowledges the [`Position`] up to which it has durably taken the stream. The
//! source registers each transaction's commit (its position and end LSN) in stream order. The
//! confirmed LSN is the end LSN of the newest commit that every sink has acknowledged, and never
//! more: a transaction only partly delivered keeps the slot at the previous one, so a crash
//! loses nothing.
//!
//! When nothing is pending (no open transaction, every commit acknowledged), the WAL end a
//! keepalive reports can be confirmed as well: an idle or fully filtered database then does not
//! make the slot hold WAL forever.

use std::collections::VecDeque;

use pgoutput::Lsn;

use crate::change::Position;

/// Tracks acknowledgements and derives the confirmed LSN.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    acked: Vec<Option<Position>>,
    pending: VecDeque<(Position, Lsn)>,
    confirmed: Lsn,
    open_txn: bool,
}

impl Checkpoint {
    /// A checkpoint for `sinks` sinks, starting from the slot's confirmed LSN.
    pub fn new(sinks: usize, confirmed: Lsn) -> Self {
        Self {
            acked: vec![None; sinks],
            pending: VecDeque::new(),
            confirmed,
            open_txn: false,
        }
    }

    /// A transaction has started in the stream.
    pub fn begin(&mut self) {
        self.open_txn = true;
    }

    /// A transaction (or a non-transactional message) has ended in the stream: once every sink
    /// has acknowledged `position`, `end_lsn` may be confirmed. Commits come in stream order.
    pub fn commit(&mut self, position: Position, end_lsn: Lsn) {
        self.open_txn = false;
        self.pending.push_back((position, end_lsn));
        self.advance();
    }

    /// Sink `sink` has durably taken everything up to `position`.
    pub fn ack(&mut self, sink: usize, position: Position) {
        if let Some(acked) = self.acked.get_mut(sink)
            && acked.is_none_or(|previous| previous < position)
        {
            *acked = Some(position);
        }
        self.advance();
    }

    /// The server reported `wal_end` (keepalive or XLogData): confirm it if nothing is pending.
    pub fn idle(&mut self, wal_end: Lsn) {
        if !self.open_txn && self.pending.is_empty() && wal_end > self.confirmed {
            self.confirmed = wal_end;
        }
    }

    /// The LSN that may be reported as flushed.
    pub fn confirmed(&self) -> Lsn {
        self.confirmed
    }

    /// Whether every registered commit is acknowledged and no transaction is open.
    pub fn is_drained(&self) -> bool {
        !self.open_txn && self.pending.is_empty()
    }

    /// How many commits wait for acknowledgement.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn advance(&mut self) {
        let Some(low) = self.acked.iter().min().copied().flatten() else {
            return;
        };
        while let Some(&(position, end_lsn)) = self.pending.front() {
            if position > low {
                break;
            }
            self.pending.pop_front();
            self.confirmed = self.confirmed.max(end_lsn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lsn(n: u64) -> Lsn {
        Lsn::from(n)
    }

    #[test]
    fn confirms_only_what_every_sink_acknowledged() {
        let mut checkpoint = Checkpoint::new(2, lsn(10));
        checkpoint.begin();
        checkpoint.commit(Position::new(lsn(100), 3), lsn(108));
        checkpoint.begin();
        checkpoint.commit(Position::new(lsn(200), 1), lsn(208));
        assert_eq!(checkpoint.confirmed(), lsn(10));

        checkpoint.ack(0, Position::new(lsn(200), 1));
        assert_eq!(checkpoint.confirmed(), lsn(10), "sink 1 has nothing yet");
        checkpoint.ack(1, Position::new(lsn(100), 2));
        assert_eq!(
            checkpoint.confirmed(),
            lsn(10),
            "the first commit is not fully taken"
        );
        checkpoint.ack(1, Position::new(lsn(100), 3));
        assert_eq!(checkpoint.confirmed(), lsn(108));
        checkpoint.ack(1, Position::new(lsn(200), 1));
        assert_eq!(checkpoint.confirmed(), lsn(208));
        assert!(checkpoint.is_drained());
    }

    #[test]
    fn acknowledgements_never_go_back() {
        let mut checkpoint = Checkpoint::new(1, lsn(0));
        checkpoint.commit(Position::new(lsn(100), 0), lsn(108));
        checkpoint.ack(0, Position::new(lsn(100), 0));
        checkpoint.ack(0, Position::new(lsn(50), 0));
        checkpoint.commit(Position::new(lsn(200), 0), lsn(208));
        assert_eq!(checkpoint.confirmed(), lsn(108));
        assert_eq!(checkpoint.pending(), 1);
    }

    #[test]
    fn idle_wal_end_is_confirmed_only_when_nothing_is_pending() {
        let mut checkpoint = Checkpoint::new(1, lsn(0));
        checkpoint.idle(lsn(50));
        assert_eq!(checkpoint.confirmed(), lsn(50));

        checkpoint.begin();
        checkpoint.idle(lsn(90));
        assert_eq!(checkpoint.confirmed(), lsn(50), "a transaction is open");
        checkpoint.commit(Position::new(lsn(100), 2), lsn(108));
        checkpoint.idle(lsn(120));
        assert_eq!(
            checkpoint.confirmed(),
            lsn(50),
            "the commit is not acknowledged"
        );
        checkpoint.ack(0, Position::new(lsn(100), 2));
        checkpoint.idle(lsn(120));
        assert_eq!(checkpoint.confirmed(), lsn(120));
        checkpoint.idle(lsn(110));
        assert_eq!(checkpoint.confirmed(), lsn(120), "never goes back");
    }

    #[test]
    fn no_sinks_means_nothing_is_confirmed_by_acks() {
        let mut checkpoint = Checkpoint::new(0, lsn(5));
        checkpoint.commit(Position::new(lsn(100), 0), lsn(108));
        assert_eq!(checkpoint.confirmed(), lsn(5));
    }
}
