//! Following a table's stream through the Streams API: every shard, new shards as they appear
//! (children only once their parent has been read to its end), each batch handed to
//! [`handle_batch`](super::handle_batch). Works against DynamoDB Local's stream API as well as AWS.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodbstreams::types::{Shard, ShardIteratorType};

use super::{handle_batch, record_from_sdk, IncomingRecord, RecordOutcome};
use crate::context::{Context, SdkResultExt};

/// How to follow.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// Read every shard from its oldest record (TRIM_HORIZON) instead of only new records (LATEST).
    pub from_start: bool,
    /// Pause between rounds of GetRecords when no shard had anything new.
    pub idle_pause: Duration,
    /// How often to look for new shards.
    pub rescan_every: Duration,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            from_start: false,
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
        /// Where reading starts (`TRIM_HORIZON`, `LATEST`...).
        from: &'a str,
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
    last_sequence: Option<String>,
}

/// The ARN of `table`'s current stream.
pub async fn latest_stream_arn(ctx: &Context, table: &str) -> Result<String> {
    let described = ctx
        .dynamodb
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
    options: FollowOptions,
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<FollowSummary> {
    tokio::pin!(stop);
    let table = ctx.table().to_string();
    let stream_arn = tokio::select! {
        _ = &mut stop => return Ok(FollowSummary::default()),
        arn = latest_stream_arn(ctx, &table) => arn?,
    };
    let mut shards: BTreeMap<String, ShardState> = BTreeMap::new();
    let mut summary = FollowSummary::default();

    let listed = tokio::select! {
        _ = &mut stop => return Ok(summary),
        listed = list_shards(ctx, &stream_arn) => listed?,
    };
    let initial = listed.len();
    add_shards(&mut shards, listed);
    if !options.from_start {
        // Only what is written from now on: open shards at LATEST; closed ones hold only the past.
        let ids: Vec<String> = shards.keys().cloned().collect();
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
                    ShardIteratorType::Latest,
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
                r = ctx.dynamodb_streams.get_records().shard_iterator(iterator).send() => r,
            };
            let response = match response {
                Ok(r) => r,
                Err(err) => {
                    let service = err.as_service_error();
                    if service.is_some_and(|e| e.is_expired_iterator_exception()) {
                        // Restart right after the last record handled.
                        reopen_shard(ctx, &stream_arn, &id, &mut shards, false).await?;
                        continue;
                    }
                    if service.is_some_and(|e| e.is_trimmed_data_access_exception()) {
                        reopen_shard(ctx, &stream_arn, &id, &mut shards, true).await?;
                        continue;
                    }
                    if service.is_some_and(|e| e.is_resource_not_found_exception()) {
                        finish_shard(&id, &mut shards, &mut on_event)?;
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
                on_event(FollowEvent::Batch(&outcomes))?;
                if let Some(state) = shards.get_mut(&id) {
                    state.last_sequence = records
                        .iter()
                        .rev()
                        .find_map(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                        .map(str::to_string)
                        .or(state.last_sequence.take());
                }
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

/// Every shard of the stream (all DescribeStream pages). Hand-paged: the DynamoDB Streams SDK
/// has no paginator for DescribeStream (its token sits inside `StreamDescription`).
async fn list_shards(ctx: &Context, stream_arn: &str) -> Result<Vec<Shard>> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = ctx
            .dynamodb_streams
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
                ShardIteratorType::TrimHorizon,
                on_event,
            )
            .await?;
        }
    }
}

async fn shard_iterator(
    ctx: &Context,
    stream_arn: &str,
    shard_id: &str,
    kind: ShardIteratorType,
    after: Option<&str>,
) -> Result<Option<String>> {
    let response = ctx
        .dynamodb_streams
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(kind.clone())
        .set_sequence_number(after.map(str::to_string))
        .send()
        .await
        .on(
            &ctx.dynamodb_streams_endpoint,
            format_args!("getting a {kind} iterator for shard {shard_id} of {stream_arn}"),
        )?;
    Ok(response.shard_iterator)
}

async fn start_shard(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    shards: &mut BTreeMap<String, ShardState>,
    kind: ShardIteratorType,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    let iterator = shard_iterator(ctx, stream_arn, id, kind.clone(), None).await?;
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
            from: kind.as_str(),
        })?;
    }
    Ok(())
}

/// Gets a fresh iterator for a shard: after its last handled record, or from its oldest record.
async fn reopen_shard(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    shards: &mut BTreeMap<String, ShardState>,
    trimmed: bool,
) -> Result<()> {
    let last = shards.get(id).and_then(|s| s.last_sequence.clone());
    let iterator = match (&last, trimmed) {
        (Some(seq), false) => {
            shard_iterator(
                ctx,
                stream_arn,
                id,
                ShardIteratorType::AfterSequenceNumber,
                Some(seq),
            )
            .await?
        }
        _ => shard_iterator(ctx, stream_arn, id, ShardIteratorType::TrimHorizon, None).await?,
    };
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
