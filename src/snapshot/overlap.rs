//! The stream filter of a resumed snapshot. A resumed snapshot streams from the consistent point
//! X of the interrupted one, but reads the tables that no sink had any row of yet in its own,
//! later snapshot Y. Their changes that commit before Y are in both; the stream drops them.
//! The filter is kept in the progress file until the slot is confirmed past Y, so that it also
//! holds across a restart (see [`super::saved`]).

use std::collections::HashMap;

use pgoutput::Lsn;

use crate::change::{ChangeKind, Event};

/// Drops the streamed changes that a resumed snapshot already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// Per relation oid: changes committed before this LSN are dropped.
    before: HashMap<u32, Lsn>,
    until: Lsn,
}

impl Overlap {
    /// A filter from `(oid, lsn)` pairs; `None` when there are none.
    pub fn new(entries: impl IntoIterator<Item = (u32, Lsn)>) -> Option<Self> {
        let before: HashMap<u32, Lsn> = entries.into_iter().collect();
        let until = before.values().max().copied()?;
        Some(Self { before, until })
    }

    /// The largest LSN: from a confirmed position at or past it on, nothing is dropped.
    pub fn until(&self) -> Lsn {
        self.until
    }

    /// Whether `event` is a change already in the snapshot.
    pub fn drops(&self, event: &Event) -> bool {
        let Event::Change(change) = event else {
            return false;
        };
        let commit = change.position.commit_lsn;
        let covered = |oid: u32| self.before.get(&oid).is_some_and(|lsn| commit < *lsn);
        match &change.kind {
            ChangeKind::Insert { relation, .. }
            | ChangeKind::Update { relation, .. }
            | ChangeKind::Delete { relation, .. } => covered(relation.oid),
            ChangeKind::Truncate { relations, .. } => {
                !relations.is_empty() && relations.iter().all(|r| covered(r.oid))
            }
            _ => false,
        }
    }

    /// Removes the changes already in the snapshot from `events`; returns how many.
    pub fn apply(&self, events: &mut Vec<Event>) -> usize {
        let before = events.len();
        events.retain(|event| !self.drops(event));
        before - events.len()
    }
}
