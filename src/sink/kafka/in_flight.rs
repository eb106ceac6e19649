//! Records handed to the producer and not yet acknowledged, and the position they make taken.
//!
//! Every record gets a sequence number in stream order. Delivery reports arrive per partition,
//! so in any order across partitions; [`InFlight`] keeps the lowest sequence number below which
//! every record is delivered, and acknowledges a stream [`Position`] only once every record
//! written before it is below that mark. The in-flight count and bytes are measured from the
//! same mark, so a slow partition holds back the whole bound, as it holds back the checkpoint.

use std::collections::VecDeque;

use crate::change::Position;

/// One record not yet counted as delivered.
#[derive(Debug, Clone, Copy)]
struct Slot {
    delivered: bool,
    bytes: usize,
}

/// In-flight records and the acknowledged position.
#[derive(Debug, Default)]
pub struct InFlight {
    /// Sequence number of the first slot in `slots`: every record before it is delivered.
    low: u64,
    slots: VecDeque<Slot>,
    bytes: usize,
    /// `(sequence, position)`: `position` is taken once every record below `sequence` is.
    marks: VecDeque<(u64, Position)>,
    acked: Option<Position>,
}

impl InFlight {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a record of `bytes` bytes and returns its sequence number.
    pub fn push(&mut self, bytes: usize) -> u64 {
        let sequence = self.low + self.slots.len() as u64;
        self.slots.push_back(Slot {
            delivered: false,
            bytes,
        });
        self.bytes += bytes;
        sequence
    }

    /// Everything registered so far makes `position` taken once it is delivered.
    pub fn mark(&mut self, position: Position) {
        let next = self.low + self.slots.len() as u64;
        if self.slots.is_empty() {
            self.acked = Some(position);
        } else if let Some(last) = self.marks.back_mut()
            && last.0 == next
        {
            last.1 = position;
        } else {
            self.marks.push_back((next, position));
        }
    }

    /// The broker acknowledged record `sequence`.
    pub fn delivered(&mut self, sequence: u64) {
        let Some(index) = sequence
            .checked_sub(self.low)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(index) {
            slot.delivered = true;
        }
        while let Some(slot) = self.slots.front()
            && slot.delivered
        {
            self.bytes -= slot.bytes;
            self.slots.pop_front();
            self.low += 1;
        }
        while let Some(&(sequence, position)) = self.marks.front()
            && sequence <= self.low
        {
            self.acked = Some(position);
            self.marks.pop_front();
        }
    }

    /// The newest position whose records, and every record before them, are delivered.
    pub fn acked(&self) -> Option<Position> {
        self.acked
    }

    /// Records not yet counted as delivered (delivered ones behind an undelivered one count).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether every record is delivered.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The key and value bytes of the records counted by [`InFlight::len`].
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use pgoutput::Lsn;

    use super::*;

    fn at(commit: u64, index: u32) -> Position {
        Position::new(Lsn::from(commit), index)
    }

    #[test]
    fn a_position_is_acknowledged_only_after_everything_before_it() {
        let mut in_flight = InFlight::new();
        let a = in_flight.push(10);
        in_flight.mark(at(100, 0));
        let b = in_flight.push(20);
        let c = in_flight.push(30);
        in_flight.mark(at(100, 1));
        // A commit without records of its own.
        in_flight.mark(at(100, 2));
        assert_eq!((in_flight.len(), in_flight.bytes()), (3, 60));

        in_flight.delivered(c);
        in_flight.delivered(b);
        assert_eq!(in_flight.acked(), None, "record a is still out");
        assert_eq!(in_flight.len(), 3);
        in_flight.delivered(a);
        assert_eq!(in_flight.acked(), Some(at(100, 2)));
        assert!(in_flight.is_empty());
        assert_eq!(in_flight.bytes(), 0);

        // Nothing in flight: a mark is taken at once.
        in_flight.mark(at(200, 0));
        assert_eq!(in_flight.acked(), Some(at(200, 0)));
    }

    #[test]
    fn partial_delivery_acknowledges_the_prefix() {
        let mut in_flight = InFlight::new();
        let a = in_flight.push(1);
        in_flight.mark(at(100, 0));
        let b = in_flight.push(1);
        in_flight.mark(at(200, 0));
        let _c = in_flight.push(1);
        in_flight.mark(at(300, 0));
        in_flight.delivered(b);
        in_flight.delivered(a);
        assert_eq!(in_flight.acked(), Some(at(200, 0)));
        assert_eq!(in_flight.len(), 1);
        in_flight.delivered(a);
        in_flight.delivered(99);
        assert_eq!(
            in_flight.acked(),
            Some(at(200, 0)),
            "unknown reports change nothing"
        );
    }
}
