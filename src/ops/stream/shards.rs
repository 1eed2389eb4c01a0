//! The follower's shards as a pure state machine, without I/O: which shards the stream has and
//! their parent/child order (a child is read only once its parent is read to its end), where each
//! one is read from, which to read next, and what to do with each answer of GetShardIterator and
//! GetRecords (records, nothing new, an expired iterator, trimmed records, a shard gone, a shard
//! closed). [`follow`](super::follow::follow) makes the calls and hands the answers to
//! [`Shards`].

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodbstreams::types::ShardIteratorType;

/// Where a shard is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The shard's oldest record still held.
    TrimHorizon,
    /// Only records written from now on.
    Latest,
    /// Right after the record with this sequence number.
    After(String),
}

impl Position {
    /// The GetShardIterator type that reads from here.
    pub fn iterator_type(&self) -> ShardIteratorType {
        match self {
            Position::TrimHorizon => ShardIteratorType::TrimHorizon,
            Position::Latest => ShardIteratorType::Latest,
            Position::After(_) => ShardIteratorType::AfterSequenceNumber,
        }
    }

    /// The sequence number, for [`Position::After`].
    pub fn sequence(&self) -> Option<&str> {
        match self {
            Position::After(seq) => Some(seq),
            _ => None,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::TrimHorizon => f.write_str("TRIM_HORIZON (its oldest record)"),
            Position::Latest => f.write_str("LATEST (new records only)"),
            Position::After(seq) => write!(f, "after sequence number {seq}"),
        }
    }
}

/// Why a shard's iterator has to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReopenCause {
    /// The iterator expired (unused for 15 minutes: a stalled or suspended follower).
    Expired,
    /// The records at the iterator's position are gone (older than the stream's 24 hours).
    Trimmed,
}

/// Where reading goes on after GetRecords answered TrimmedDataAccessException, and what to say
/// (pure). The answer is not taken on trust, because DynamoDB Local gives it for records that
/// are seconds old: its sequence numbers are counted across all its tables, an iterator opened on
/// a shard that holds no record yet (LATEST, or TRIM_HORIZON on a new table) points at the shard's
/// starting sequence number, and when another table's writes take the numbers in between, the
/// shard's first record is not the next number and the read is refused as "past the oldest
/// record". So:
/// - with a record to go on from (the last one handled, or the checkpoint's) and not checked
///   yet (`checked`): ask again right after it; GetShardIterator answers TrimmedDataAccessException
///   itself when that record is really gone ([`after_open`] then says records were missed), and a
///   second trimmed read from there is taken as real;
/// - with that check already made: the oldest record still held, and records were missed;
/// - nothing handled yet, started at LATEST: the oldest record; nothing written since following
///   began can be older than the stream's 24 hours, so none was missed (older records are seen
///   again, and a conversation row never moves back to an older message);
/// - nothing handled yet, started at the oldest record: the oldest record again.
///
/// Returns the position, why, and whether the next trimmed read counts as checked.
pub fn after_trimmed(
    last_read: Option<&str>,
    started: &Position,
    checked: bool,
) -> (Position, &'static str, bool) {
    match (last_read.or(started.sequence()), started) {
        (Some(seq), _) if !checked => (
            Position::After(seq.to_string()),
            "GetRecords answered that the records here were trimmed; asking again right after the \
             last record handled before anything is reported missed",
            true,
        ),
        (Some(_), _) => (Position::TrimHorizon, TRIMMED_AND_MISSED, false),
        (None, Position::Latest) => (
            Position::TrimHorizon,
            "GetRecords answered that records were trimmed before any was handled; nothing written \
             since following began can be that old, so none was missed (older records are seen \
             again, and a conversation row never moves back to an older message)",
            true,
        ),
        (None, _) => (
            Position::TrimHorizon,
            "GetRecords answered that records were trimmed before any was handled; going on from \
             the oldest record still held",
            true,
        ),
    }
}

/// What a trimmed position means once it is known to be gone.
const TRIMMED_AND_MISSED: &str = "the records after the last one handled are no longer on the \
     stream (older than 24 hours); going on from the oldest record still held: records in \
     between were missed";

/// Where to go on reading a shard whose iterator must be replaced (pure): right after the last
/// record handled when there is one; when nothing was read yet, where reading started (after the
/// checkpoint's record, or the oldest record when that was asked for), or at LATEST for a shard
/// that was read from LATEST: never silently back to the shard's oldest record, which would
/// replay up to 24 hours. Returns the position and, when records may have been missed, why.
pub fn reopen_position(
    cause: ReopenCause,
    last_read: Option<&str>,
    started: &Position,
) -> (Position, Option<&'static str>) {
    match (cause, last_read, started) {
        (ReopenCause::Trimmed, _, _) => (Position::TrimHorizon, Some(TRIMMED_AND_MISSED)),
        (ReopenCause::Expired, Some(seq), _) => (Position::After(seq.to_string()), None),
        (ReopenCause::Expired, None, Position::After(seq)) => (Position::After(seq.clone()), None),
        (ReopenCause::Expired, None, Position::TrimHorizon) => (Position::TrimHorizon, None),
        (ReopenCause::Expired, None, Position::Latest) => (
            Position::Latest,
            Some(
                "the iterator expired before any record was read; going on from LATEST: records \
                 written while this shard was not read may be missed (use --checkpoint to resume \
                 exactly)",
            ),
        ),
    }
}

/// A shard as DescribeStream lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    /// The shard's id.
    pub id: String,
    /// The shard it was split from, if any.
    pub parent: Option<String>,
    /// Whether it is closed (has an ending sequence number).
    pub closed: bool,
}

#[derive(Debug)]
struct ShardState {
    parent: Option<String>,
    /// Closed shards have an ending sequence number.
    closed: bool,
    iterator: Option<String>,
    started: bool,
    finished: bool,
    /// Where reading started (set when started).
    start: Position,
    last_sequence: Option<String>,
    /// A TrimmedDataAccessException was answered and the shard reopened to check it (see
    /// [`after_trimmed`]); cleared by the next read that succeeds.
    trim_checked: bool,
}

impl ShardState {
    fn new(parent: Option<String>, closed: bool) -> ShardState {
        ShardState {
            parent,
            closed,
            iterator: None,
            started: false,
            finished: false,
            start: Position::TrimHorizon,
            last_sequence: None,
            trim_checked: false,
        }
    }
}

/// What GetShardIterator said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An iterator (`None`: the shard has nothing more to read).
    Iterator(Option<String>),
    /// The records at that position are gone (TrimmedDataAccessException).
    Trimmed,
    /// The shard is gone (ResourceNotFoundException).
    Gone,
}

/// What to do with the first answer of GetShardIterator for a shard being (re)opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterOpen {
    /// Read with this iterator (`None`: nothing to read, the shard is done).
    Use(Option<String>),
    /// The records at the position are gone: ask once more at `position` (the oldest record),
    /// and use that answer's iterator (or none); `why` says records were missed.
    Retry {
        /// Where to ask again.
        position: Position,
        /// Why, for the caller to report.
        why: &'static str,
    },
}

/// Decides what to do with GetShardIterator's answer `opened` for a shard opened at `position`.
pub fn after_open(opened: Opened, position: &Position) -> AfterOpen {
    match opened {
        Opened::Iterator(iterator) => AfterOpen::Use(iterator),
        Opened::Gone => AfterOpen::Use(None),
        Opened::Trimmed => {
            let (position, why) = reopen_position(ReopenCause::Trimmed, None, position);
            AfterOpen::Retry {
                position,
                why: why.unwrap_or_default(),
            }
        }
    }
}

/// The iterator of the second answer of GetShardIterator (after [`AfterOpen::Retry`]).
pub fn retried_iterator(opened: Opened) -> Option<String> {
    match opened {
        Opened::Iterator(iterator) => iterator,
        Opened::Gone | Opened::Trimmed => None,
    }
}

/// What GetRecords said for a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// Records, handled by the caller: the last sequence number among them (if any carries one)
    /// and the next iterator (`None`: the shard is closed and read to its end).
    Records {
        /// The last record's sequence number.
        last_sequence: Option<String>,
        /// The next iterator.
        next: Option<String>,
    },
    /// Nothing new, and the next iterator (`None`: the shard is closed and read to its end).
    Empty {
        /// The next iterator.
        next: Option<String>,
    },
    /// ExpiredIteratorException.
    Expired,
    /// TrimmedDataAccessException.
    Trimmed,
    /// ResourceNotFoundException: the shard is gone.
    NotFound,
}

/// What the caller does after a [`Read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the shard on with its next iterator, in the next round.
    ReadOn,
    /// The shard is read to its end: report it and look at the stream again (for its children).
    Finished,
    /// The shard is gone (not "read to its end"): look at the stream again, which fails clearly
    /// when the stream itself is gone.
    Rescan,
    /// Get a new iterator at `position` (see [`after_open`]), report [`why`](Action::Reopen::why)
    /// and hand the iterator to [`Shards::reopened`].
    Reopen {
        /// Where to go on.
        position: Position,
        /// Why, and what it means for the records in between.
        why: &'static str,
    },
}

/// The shards of a stream being followed.
#[derive(Debug, Default)]
pub struct Shards {
    shards: BTreeMap<String, ShardState>,
}

impl Shards {
    /// Adds the shards not known yet; a known shard listed as closed is closed from now on.
    pub fn add(&mut self, listed: impl IntoIterator<Item = ShardInfo>) {
        for shard in listed {
            match self.shards.get_mut(&shard.id) {
                Some(state) => state.closed |= shard.closed,
                None => {
                    self.shards
                        .insert(shard.id, ShardState::new(shard.parent, shard.closed));
                }
            }
        }
    }

    /// Whether the shard is known.
    pub fn contains(&self, id: &str) -> bool {
        self.shards.contains_key(id)
    }

    /// Where to start reading when following begins, in order: the shards the checkpoint
    /// `recorded` knows resume after their record; their descendants wait for them (and then
    /// start at their oldest record, see [`Shards::ready`]). Without `from_start`, every other
    /// open shard starts at LATEST, and every other closed shard (it holds only the past) is
    /// done without being read; with it, they start at their oldest record once ready.
    pub fn start_plan(
        &mut self,
        recorded: &BTreeMap<String, String>,
        from_start: bool,
    ) -> Vec<(String, Position)> {
        let resumed = self.resumed_lineage(recorded);
        let mut plan: Vec<(String, Position)> = recorded
            .iter()
            .map(|(id, seq)| (id.clone(), Position::After(seq.clone())))
            .collect();
        if !from_start {
            for (id, state) in &mut self.shards {
                if resumed.contains(id) {
                    continue;
                }
                if state.closed {
                    state.started = true;
                    state.finished = true;
                } else {
                    plan.push((id.clone(), Position::Latest));
                }
            }
        }
        plan
    }

    /// The shards whose reading is resumed from the checkpoint `recorded`: those it names and,
    /// among the rest, the descendants of those (read from their oldest record once their parent
    /// is done, so nothing written while the follower was stopped is skipped).
    pub fn resumed_lineage(&self, recorded: &BTreeMap<String, String>) -> BTreeSet<String> {
        let mut resumed: BTreeSet<String> = recorded.keys().cloned().collect();
        loop {
            let more: Vec<String> = self
                .shards
                .iter()
                .filter(|(id, s)| {
                    !resumed.contains(*id) && s.parent.as_ref().is_some_and(|p| resumed.contains(p))
                })
                .map(|(id, _)| id.clone())
                .collect();
            if more.is_empty() {
                return resumed;
            }
            resumed.extend(more);
        }
    }

    /// The shards not started yet whose parent is read to its end (or unknown): to start at
    /// their oldest record. Starting them may make more ready (ask again until none is).
    pub fn ready(&self) -> Vec<String> {
        self.shards
            .iter()
            .filter(|(_, s)| !s.started)
            .filter(|(_, s)| match &s.parent {
                None => true,
                Some(parent) => self.shards.get(parent).is_none_or(|p| p.finished),
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records that reading `id` started at `position` with `iterator` (`None`: nothing to read,
    /// the shard is done). True when the shard is known and is now being read (the caller then
    /// reports it started).
    pub fn started(&mut self, id: &str, position: Position, iterator: Option<String>) -> bool {
        let Some(state) = self.shards.get_mut(id) else {
            return false;
        };
        state.started = true;
        state.finished = iterator.is_none();
        state.iterator = iterator;
        state.start = position;
        !state.finished
    }

    /// The shards to read in this round, with their iterators.
    pub fn active(&self) -> Vec<(String, String)> {
        self.shards
            .iter()
            .filter(|(_, s)| s.started && !s.finished)
            .filter_map(|(id, s)| Some((id.clone(), s.iterator.clone()?)))
            .collect()
    }

    /// The last sequence number handled of a shard (what a checkpoint records).
    pub fn last_sequence(&self, id: &str) -> Option<&str> {
        self.shards.get(id)?.last_sequence.as_deref()
    }

    /// Takes GetRecords' answer for shard `id` and says what to do next.
    pub fn step(&mut self, id: &str, read: Read) -> Action {
        let Some(state) = self.shards.get_mut(id) else {
            return Action::ReadOn;
        };
        let next = match read {
            Read::Records {
                last_sequence,
                next,
            } => {
                state.last_sequence = last_sequence.or(state.last_sequence.take());
                state.trim_checked = false;
                next
            }
            Read::Empty { next } => {
                state.trim_checked = false;
                next
            }
            Read::Expired => return reopen(state, ReopenCause::Expired),
            Read::Trimmed => {
                let (position, why, checked) = after_trimmed(
                    state.last_sequence.as_deref(),
                    &state.start,
                    state.trim_checked,
                );
                state.trim_checked = checked;
                return Action::Reopen { position, why };
            }
            Read::NotFound => {
                state.finished = true;
                state.iterator = None;
                return Action::Rescan;
            }
        };
        match next {
            Some(next) => {
                state.iterator = Some(next);
                Action::ReadOn
            }
            None => {
                state.finished = true;
                state.iterator = None;
                Action::Finished
            }
        }
    }

    /// Records the new iterator of a shard after [`Action::Reopen`] (`None`: the shard is done).
    pub fn reopened(&mut self, id: &str, iterator: Option<String>) {
        if let Some(state) = self.shards.get_mut(id) {
            state.finished = iterator.is_none();
            state.iterator = iterator;
        }
    }
}

/// The [`Action::Reopen`] of a shard whose iterator must be replaced (see [`reopen_position`]).
fn reopen(state: &ShardState, cause: ReopenCause) -> Action {
    let (position, why) = reopen_position(cause, state.last_sequence.as_deref(), &state.start);
    Action::Reopen {
        position,
        why: why.unwrap_or(match cause {
            ReopenCause::Expired => "the iterator expired; going on after the last record handled",
            ReopenCause::Trimmed => TRIMMED_AND_MISSED,
        }),
    }
}

#[cfg(test)]
mod tests;
