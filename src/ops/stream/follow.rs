//! Following a table's stream through the Streams API: every shard, new shards as they appear
//! (children only once their parent has been read to its end), each batch handed to
//! [`handle_batch`](super::handle_batch). Works against DynamoDB Local's stream API as well as AWS.
//!
//! With a checkpoint file ([`super::checkpoint`]) the follower records, after every handled batch,
//! the last sequence number of each shard, and on start resumes each recorded shard right after
//! it: records written while it was stopped are handled when it comes back. An expired iterator
//! is reopened where reading stood ([`reopen_position`]), never silently at the shard's oldest
//! record. Any other error (the server gone, the stream deleted, no answer within the timeout)
//! stops the follower with an error naming the endpoint and the stream.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodbstreams::types::{Shard, ShardIteratorType};

use super::checkpoint::Checkpoint;
use super::{handle_batch, record_from_sdk, IncomingRecord, RecordOutcome};
use crate::context::{Context, SdkResultExt};

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Read every shard from its oldest record (TRIM_HORIZON) instead of only new records (LATEST).
    /// Shards the checkpoint knows resume after their recorded record either way.
    pub from_start: bool,
    /// The checkpoint file: read on start (when it exists), replaced after every handled batch.
    pub checkpoint: Option<PathBuf>,
    /// Pause between rounds of GetRecords when no shard had anything new.
    pub idle_pause: Duration,
    /// How often to look for new shards.
    pub rescan_every: Duration,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            from_start: false,
            checkpoint: None,
            idle_pause: Duration::from_millis(250),
            rescan_every: Duration::from_secs(10),
        }
    }
}

/// What happens while following, in order, for the caller to report.
#[derive(Debug)]
pub enum FollowEvent<'a> {
    /// Reading the stream: iterators are in place; records written from now on will be seen.
    Following {
        /// The stream's ARN.
        stream_arn: &'a str,
        /// Shards known when starting.
        shards: usize,
    },
    /// Started reading a shard.
    ShardStarted {
        /// The shard.
        shard_id: &'a str,
        /// Where reading starts (`TRIM_HORIZON`, `LATEST`, `after sequence number N`).
        from: &'a str,
    },
    /// A shard's iterator expired or its records were trimmed: reading goes on from `from`.
    ShardReopened {
        /// The shard.
        shard_id: &'a str,
        /// Where reading goes on.
        from: &'a str,
        /// Why, and what it means for the records in between.
        why: &'a str,
    },
    /// A closed shard was read to its end.
    ShardFinished {
        /// The shard.
        shard_id: &'a str,
    },
    /// A batch of records was handled.
    Batch(&'a [RecordOutcome]),
}

/// What [`follow`] did until it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowSummary {
    /// Records handled.
    pub records: u64,
    /// Records that moved conversation rows.
    pub applied: u64,
    /// Malformed records skipped.
    pub malformed: u64,
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
}

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
    fn iterator_type(&self) -> ShardIteratorType {
        match self {
            Position::TrimHorizon => ShardIteratorType::TrimHorizon,
            Position::Latest => ShardIteratorType::Latest,
            Position::After(_) => ShardIteratorType::AfterSequenceNumber,
        }
    }

    fn sequence(&self) -> Option<&str> {
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
        (ReopenCause::Trimmed, _, _) => (
            Position::TrimHorizon,
            Some(
                "the records after the last one handled are no longer on the stream (older than \
                 24 hours); going on from the oldest record still held: records in between were \
                 missed",
            ),
        ),
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

/// The ARN of `table`'s current stream.
pub async fn latest_stream_arn(ctx: &Context, table: &str) -> Result<String> {
    let described = ctx
        .dynamodb()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .on(
            &ctx.dynamodb_endpoint,
            format_args!("describing table {table}"),
        )?;
    let arn = described
        .table
        .and_then(|t| t.latest_stream_arn)
        .with_context(|| {
            format!(
                "table {table} has no stream: create it with `schema-load` (stream NEW_IMAGE) or enable one"
            )
        })?;
    Ok(arn)
}

/// Follows the stream of the context's table until `stop` completes, handing each batch to the
/// stream processor and each event to `on_event`.
pub async fn follow(
    ctx: &Context,
    options: &FollowOptions,
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<FollowSummary> {
    tokio::pin!(stop);
    let table = ctx.table().to_string();
    let stream_arn = tokio::select! {
        _ = &mut stop => return Ok(FollowSummary::default()),
        arn = latest_stream_arn(ctx, &table) => arn?,
    };
    let mut checkpoint = match &options.checkpoint {
        None => None,
        Some(path) => {
            let loaded = Checkpoint::load(path)?;
            if let Some(c) = &loaded {
                c.check_matches(path, &table, &stream_arn)?;
            }
            Some((
                path.clone(),
                loaded.unwrap_or_else(|| Checkpoint::new(&table, &stream_arn)),
            ))
        }
    };
    let mut shards: BTreeMap<String, ShardState> = BTreeMap::new();
    let mut summary = FollowSummary::default();

    let listed = tokio::select! {
        _ = &mut stop => return Ok(summary),
        listed = list_shards(ctx, &stream_arn) => listed?,
    };
    let initial = listed.len();
    add_shards(&mut shards, listed);
    // Shards the checkpoint knows resume after their record; their descendants wait for them and
    // then start at their oldest record; every other shard follows --from-start.
    let recorded: BTreeMap<String, String> = checkpoint
        .as_mut()
        .map(|(_, c)| {
            c.shards.retain(|id, _| shards.contains_key(id));
            c.shards.clone()
        })
        .unwrap_or_default();
    let resumed = resumed_lineage(&shards, &recorded);
    for (id, seq) in &recorded {
        let position = Position::After(seq.clone());
        start_shard(ctx, &stream_arn, id, &mut shards, position, &mut on_event).await?;
    }
    if !options.from_start {
        // Only what is written from now on: open shards at LATEST; closed ones hold only the past.
        let ids: Vec<String> = shards
            .keys()
            .filter(|id| !resumed.contains(*id))
            .cloned()
            .collect();
        for id in ids {
            let closed = shards[&id].closed;
            if closed {
                if let Some(state) = shards.get_mut(&id) {
                    state.started = true;
                    state.finished = true;
                }
            } else {
                start_shard(
                    ctx,
                    &stream_arn,
                    &id,
                    &mut shards,
                    Position::Latest,
                    &mut on_event,
                )
                .await?;
            }
        }
    }
    start_ready_shards(ctx, &stream_arn, &mut shards, &mut on_event).await?;
    on_event(FollowEvent::Following {
        stream_arn: &stream_arn,
        shards: initial,
    })?;

    let mut last_scan = Instant::now();
    loop {
        let mut got_any = false;
        let mut shard_ended = false;
        let active: Vec<String> = shards
            .iter()
            .filter(|(_, s)| s.started && !s.finished)
            .map(|(id, _)| id.clone())
            .collect();
        for id in active {
            let Some(iterator) = shards.get(&id).and_then(|s| s.iterator.clone()) else {
                continue;
            };
            let response = tokio::select! {
                _ = &mut stop => return Ok(summary),
                r = ctx.dynamodb_streams().get_records().shard_iterator(iterator).send() => r,
            };
            let response = match response {
                Ok(r) => r,
                Err(err) => {
                    let service = err.as_service_error();
                    if service.is_some_and(|e| e.is_expired_iterator_exception()) {
                        reopen_shard(
                            ctx,
                            &stream_arn,
                            &id,
                            &mut shards,
                            ReopenCause::Expired,
                            &mut on_event,
                        )
                        .await?;
                        continue;
                    }
                    if service.is_some_and(|e| e.is_trimmed_data_access_exception()) {
                        reopen_shard(
                            ctx,
                            &stream_arn,
                            &id,
                            &mut shards,
                            ReopenCause::Trimmed,
                            &mut on_event,
                        )
                        .await?;
                        continue;
                    }
                    if service.is_some_and(|e| e.is_resource_not_found_exception()) {
                        // The shard is gone (not "read to its end"): look at the stream again
                        // (below), which fails clearly when the stream itself is gone.
                        if let Some(state) = shards.get_mut(&id) {
                            state.finished = true;
                            state.iterator = None;
                        }
                        shard_ended = true;
                        continue;
                    }
                    return Err(err).on(
                        &ctx.dynamodb_streams_endpoint,
                        format_args!("reading records of shard {id} of {stream_arn}"),
                    );
                }
            };
            let records = response.records.unwrap_or_default();
            if !records.is_empty() {
                got_any = true;
                let incoming: Vec<IncomingRecord> = records.iter().map(record_from_sdk).collect();
                let outcomes = handle_batch(ctx, &incoming).await?;
                summary.records += outcomes.len() as u64;
                summary.applied += outcomes
                    .iter()
                    .filter(|o| o.kind == super::OutcomeKind::Applied)
                    .count() as u64;
                summary.malformed += outcomes
                    .iter()
                    .filter(|o| o.kind == super::OutcomeKind::Malformed)
                    .count() as u64;
                let last = records
                    .iter()
                    .rev()
                    .find_map(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                    .map(str::to_string);
                if let Some(state) = shards.get_mut(&id) {
                    state.last_sequence = last.or(state.last_sequence.take());
                    if let (Some((path, c)), Some(seq)) = (&mut checkpoint, &state.last_sequence) {
                        c.shards.insert(id.clone(), seq.clone());
                        c.save(path)?;
                    }
                }
                on_event(FollowEvent::Batch(&outcomes))?;
            }
            match response.next_shard_iterator {
                Some(next) => {
                    if let Some(state) = shards.get_mut(&id) {
                        state.iterator = Some(next);
                    }
                }
                None => {
                    finish_shard(&id, &mut shards, &mut on_event)?;
                    shard_ended = true;
                }
            }
        }
        if shard_ended || last_scan.elapsed() >= options.rescan_every {
            let listed = tokio::select! {
                _ = &mut stop => return Ok(summary),
                listed = list_shards(ctx, &stream_arn) => listed?,
            };
            add_shards(&mut shards, listed);
            start_ready_shards(ctx, &stream_arn, &mut shards, &mut on_event).await?;
            last_scan = Instant::now();
        }
        if !got_any {
            tokio::select! {
                _ = &mut stop => return Ok(summary),
                _ = tokio::time::sleep(options.idle_pause) => {}
            }
        }
    }
}

/// The shards whose reading is resumed from the checkpoint `recorded`: those it names and, among
/// the rest, the descendants of those (read from their oldest record once their parent is done,
/// so nothing written while the follower was stopped is skipped).
fn resumed_lineage(
    shards: &BTreeMap<String, ShardState>,
    recorded: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut resumed: BTreeSet<String> = recorded.keys().cloned().collect();
    loop {
        let more: Vec<String> = shards
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

/// Every shard of the stream (all DescribeStream pages). Hand-paged: the DynamoDB Streams SDK
/// has no paginator for DescribeStream (its token sits inside `StreamDescription`).
async fn list_shards(ctx: &Context, stream_arn: &str) -> Result<Vec<Shard>> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = ctx
            .dynamodb_streams()
            .describe_stream()
            .stream_arn(stream_arn)
            .set_exclusive_start_shard_id(start.take())
            .send()
            .await
            .on(
                &ctx.dynamodb_streams_endpoint,
                format_args!("describing stream {stream_arn}"),
            )?;
        let Some(description) = page.stream_description else {
            bail!("stream {stream_arn} has no description");
        };
        shards.extend(description.shards.unwrap_or_default());
        match description.last_evaluated_shard_id {
            Some(last) => start = Some(last),
            None => return Ok(shards),
        }
    }
}

fn add_shards(known: &mut BTreeMap<String, ShardState>, listed: Vec<Shard>) {
    for shard in listed {
        let Some(id) = shard.shard_id else { continue };
        let closed = shard
            .sequence_number_range
            .as_ref()
            .is_some_and(|r| r.ending_sequence_number.is_some());
        match known.get_mut(&id) {
            Some(state) => state.closed |= closed,
            None => {
                known.insert(
                    id,
                    ShardState {
                        parent: shard.parent_shard_id,
                        closed,
                        iterator: None,
                        started: false,
                        finished: false,
                        start: Position::TrimHorizon,
                        last_sequence: None,
                    },
                );
            }
        }
    }
}

/// Starts, from their oldest record, the shards whose parent is read to its end (or unknown).
async fn start_ready_shards(
    ctx: &Context,
    stream_arn: &str,
    shards: &mut BTreeMap<String, ShardState>,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    loop {
        let ready: Vec<String> = shards
            .iter()
            .filter(|(_, s)| !s.started)
            .filter(|(_, s)| match &s.parent {
                None => true,
                Some(parent) => shards.get(parent).is_none_or(|p| p.finished),
            })
            .map(|(id, _)| id.clone())
            .collect();
        if ready.is_empty() {
            return Ok(());
        }
        for id in ready {
            start_shard(
                ctx,
                stream_arn,
                &id,
                shards,
                Position::TrimHorizon,
                on_event,
            )
            .await?;
        }
    }
}

/// What GetShardIterator said.
enum Opened {
    /// An iterator (`None`: the shard has nothing more to read).
    Iterator(Option<String>),
    /// The records at that position are gone (TrimmedDataAccessException).
    Trimmed,
    /// The shard is gone (ResourceNotFoundException).
    Gone,
}

async fn shard_iterator(
    ctx: &Context,
    stream_arn: &str,
    shard_id: &str,
    position: &Position,
) -> Result<Opened> {
    let kind = position.iterator_type();
    let response = ctx
        .dynamodb_streams()
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(kind.clone())
        .set_sequence_number(position.sequence().map(str::to_string))
        .send()
        .await;
    match response {
        Ok(r) => Ok(Opened::Iterator(r.shard_iterator)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
        {
            Ok(Opened::Trimmed)
        }
        Err(err)
            if position.sequence().is_some()
                && err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(Opened::Gone)
        }
        Err(err) => Err(err).on(
            &ctx.dynamodb_streams_endpoint,
            format_args!("getting a {kind} iterator for shard {shard_id} of {stream_arn}"),
        ),
    }
}

async fn start_shard(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    shards: &mut BTreeMap<String, ShardState>,
    position: Position,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    let (iterator, position) = match shard_iterator(ctx, stream_arn, id, &position).await? {
        Opened::Iterator(iterator) => (iterator, position),
        Opened::Gone => (None, position),
        Opened::Trimmed => {
            // The checkpoint's record is older than the stream holds.
            let (position, why) = reopen_position(ReopenCause::Trimmed, None, &position);
            let iterator = match shard_iterator(ctx, stream_arn, id, &position).await? {
                Opened::Iterator(iterator) => iterator,
                Opened::Gone | Opened::Trimmed => None,
            };
            on_event(FollowEvent::ShardReopened {
                shard_id: id,
                from: &position.to_string(),
                why: why.unwrap_or_default(),
            })?;
            (iterator, position)
        }
    };
    let Some(state) = shards.get_mut(id) else {
        return Ok(());
    };
    state.started = true;
    state.iterator = iterator;
    if state.iterator.is_none() {
        state.finished = true;
    } else {
        on_event(FollowEvent::ShardStarted {
            shard_id: id,
            from: &position.to_string(),
        })?;
    }
    state.start = position;
    Ok(())
}

/// Gets a fresh iterator for a shard (see [`reopen_position`]).
async fn reopen_shard(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    shards: &mut BTreeMap<String, ShardState>,
    cause: ReopenCause,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    let Some(state) = shards.get(id) else {
        return Ok(());
    };
    let (mut position, mut why) =
        reopen_position(cause, state.last_sequence.as_deref(), &state.start);
    let iterator = match shard_iterator(ctx, stream_arn, id, &position).await? {
        Opened::Iterator(iterator) => iterator,
        Opened::Gone => None,
        Opened::Trimmed => {
            (position, why) = reopen_position(ReopenCause::Trimmed, None, &position);
            match shard_iterator(ctx, stream_arn, id, &position).await? {
                Opened::Iterator(iterator) => iterator,
                Opened::Gone | Opened::Trimmed => None,
            }
        }
    };
    on_event(FollowEvent::ShardReopened {
        shard_id: id,
        from: &position.to_string(),
        why: why.unwrap_or(match cause {
            ReopenCause::Expired => "the iterator expired; going on after the last record handled",
            ReopenCause::Trimmed => "records were trimmed",
        }),
    })?;
    if let Some(state) = shards.get_mut(id) {
        state.finished = iterator.is_none();
        state.iterator = iterator;
    }
    Ok(())
}

fn finish_shard(
    id: &str,
    shards: &mut BTreeMap<String, ShardState>,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    if let Some(state) = shards.get_mut(id) {
        state.finished = true;
        state.iterator = None;
    }
    on_event(FollowEvent::ShardFinished { shard_id: id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_iterator_goes_on_after_the_last_record_read() {
        for started in [
            Position::Latest,
            Position::TrimHorizon,
            Position::After("100".into()),
        ] {
            assert_eq!(
                reopen_position(ReopenCause::Expired, Some("205"), &started),
                (Position::After("205".into()), None)
            );
        }
    }

    #[test]
    fn an_expired_iterator_with_nothing_read_never_falls_back_to_the_oldest_record() {
        // Started at LATEST: LATEST again, and the caller is told records may be missed.
        let (position, why) = reopen_position(ReopenCause::Expired, None, &Position::Latest);
        assert_eq!(position, Position::Latest);
        assert!(why.is_some_and(|w| w.contains("may be missed")));
        // Started at a checkpoint: the checkpoint again, nothing missed.
        assert_eq!(
            reopen_position(ReopenCause::Expired, None, &Position::After("42".into())),
            (Position::After("42".into()), None)
        );
        // Asked for the oldest record (--from-start) and read nothing yet: the same request.
        assert_eq!(
            reopen_position(ReopenCause::Expired, None, &Position::TrimHorizon),
            (Position::TrimHorizon, None)
        );
    }

    #[test]
    fn trimmed_records_go_on_from_the_oldest_record_and_say_so() {
        for last in [None, Some("7")] {
            let (position, why) =
                reopen_position(ReopenCause::Trimmed, last, &Position::After("1".into()));
            assert_eq!(position, Position::TrimHorizon);
            assert!(why.is_some_and(|w| w.contains("missed")));
        }
    }

    #[test]
    fn the_reopen_messages_read_as_one_sentence() {
        let cases = [
            (ReopenCause::Trimmed, None, Position::TrimHorizon),
            (ReopenCause::Expired, None, Position::Latest),
        ];
        for (cause, last, started) in cases {
            let (_, why) = reopen_position(cause, last, &started);
            let why = why.expect("a message");
            assert!(!why.contains("  "), "double space in {why:?}");
            assert!(!why.contains('\n'), "line break in {why:?}");
        }
    }

    fn shard(parent: Option<&str>) -> ShardState {
        ShardState {
            parent: parent.map(str::to_string),
            closed: false,
            iterator: None,
            started: false,
            finished: false,
            start: Position::TrimHorizon,
            last_sequence: None,
        }
    }

    #[test]
    fn descendants_of_checkpointed_shards_are_resumed_too() {
        let shards: BTreeMap<String, ShardState> = [
            ("a".to_string(), shard(None)),
            ("a1".to_string(), shard(Some("a"))),
            ("a11".to_string(), shard(Some("a1"))),
            ("b".to_string(), shard(None)),
            ("b1".to_string(), shard(Some("b"))),
        ]
        .into_iter()
        .collect();
        let recorded = [("a".to_string(), "9".to_string())].into_iter().collect();
        let resumed = resumed_lineage(&shards, &recorded);
        assert_eq!(
            resumed.into_iter().collect::<Vec<_>>(),
            vec!["a", "a1", "a11"]
        );
    }
}
