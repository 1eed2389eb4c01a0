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

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodbstreams::types::Shard;

use super::checkpoint;
use super::shards::{
    after_open, retried_iterator, Action, AfterOpen, Opened, Read, ShardInfo, Shards,
};
use super::{handle_batch, record_from_sdk, IncomingRecord, RecordOutcome};
use crate::context::{Context, SdkResultExt};

pub use super::shards::{reopen_position, Position, ReopenCause};

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
/// stream processor and each event to `on_event`. The shards' bookkeeping is [`Shards`]; this
/// makes the calls.
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
        Some(path) => Some((
            path.clone(),
            checkpoint::open(path, checkpoint::job(&table, &stream_arn))?.checkpoint,
        )),
    };
    let mut shards = Shards::default();
    let mut summary = FollowSummary::default();

    let listed = tokio::select! {
        _ = &mut stop => return Ok(summary),
        listed = list_shards(ctx, &stream_arn) => listed?,
    };
    let initial = listed.len();
    shards.add(listed);
    let recorded: BTreeMap<String, String> = checkpoint
        .as_mut()
        .map(|(_, c)| {
            c.state.retain(|id, _| shards.contains(id));
            c.state.clone()
        })
        .unwrap_or_default();
    for (id, position) in shards.start_plan(&recorded, options.from_start) {
        start_shard(ctx, &stream_arn, &id, &mut shards, position, &mut on_event).await?;
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
        for (id, iterator) in shards.active() {
            let response = tokio::select! {
                _ = &mut stop => return Ok(summary),
                r = ctx.dynamodb_streams().get_records().shard_iterator(iterator).send() => r,
            };
            // The records handled in this read, for the checkpoint and the caller.
            let mut handled: Option<Vec<RecordOutcome>> = None;
            let read = match response {
                Ok(response) => {
                    let next = response.next_shard_iterator;
                    let records = response.records.unwrap_or_default();
                    if records.is_empty() {
                        Read::Empty { next }
                    } else {
                        got_any = true;
                        let incoming: Vec<IncomingRecord> =
                            records.iter().map(record_from_sdk).collect();
                        let outcomes = handle_batch(ctx, &incoming).await?;
                        summary.add(&outcomes);
                        handled = Some(outcomes);
                        let last_sequence = records
                            .iter()
                            .rev()
                            .find_map(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                            .map(str::to_string);
                        Read::Records {
                            last_sequence,
                            next,
                        }
                    }
                }
                Err(err) => {
                    let service = err.as_service_error();
                    if service.is_some_and(|e| e.is_expired_iterator_exception()) {
                        Read::Expired
                    } else if service.is_some_and(|e| e.is_trimmed_data_access_exception()) {
                        Read::Trimmed
                    } else if service.is_some_and(|e| e.is_resource_not_found_exception()) {
                        Read::NotFound
                    } else {
                        return Err(err).on(
                            &ctx.dynamodb_streams_endpoint,
                            format_args!("reading records of shard {id} of {stream_arn}"),
                        );
                    }
                }
            };
            let action = shards.step(&id, read);
            if let Some(outcomes) = handled {
                if let (Some((path, c)), Some(seq)) = (&mut checkpoint, shards.last_sequence(&id)) {
                    c.state.insert(id.clone(), seq.to_string());
                    c.save(path)?;
                }
                on_event(FollowEvent::Batch(&outcomes))?;
            }
            match action {
                Action::ReadOn => {}
                Action::Finished => {
                    on_event(FollowEvent::ShardFinished { shard_id: &id })?;
                    shard_ended = true;
                }
                Action::Rescan => shard_ended = true,
                Action::Reopen { position, why } => {
                    let (position, iterator, trimmed) =
                        open(ctx, &stream_arn, &id, position).await?;
                    on_event(FollowEvent::ShardReopened {
                        shard_id: &id,
                        from: &position.to_string(),
                        why: trimmed.unwrap_or(why),
                    })?;
                    shards.reopened(&id, iterator);
                }
            }
        }
        if shard_ended || last_scan.elapsed() >= options.rescan_every {
            let listed = tokio::select! {
                _ = &mut stop => return Ok(summary),
                listed = list_shards(ctx, &stream_arn) => listed?,
            };
            shards.add(listed);
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

impl FollowSummary {
    fn add(&mut self, outcomes: &[RecordOutcome]) {
        let count = |kind| outcomes.iter().filter(|o| o.kind == kind).count() as u64;
        self.records += outcomes.len() as u64;
        self.applied += count(super::OutcomeKind::Applied);
        self.malformed += count(super::OutcomeKind::Malformed);
    }
}

/// Every shard of the stream (all DescribeStream pages). Hand-paged: the DynamoDB Streams SDK
/// has no paginator for DescribeStream (its token sits inside `StreamDescription`).
async fn list_shards(ctx: &Context, stream_arn: &str) -> Result<Vec<ShardInfo>> {
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
        shards.extend(
            description
                .shards
                .unwrap_or_default()
                .into_iter()
                .filter_map(shard_info),
        );
        match description.last_evaluated_shard_id {
            Some(last) => start = Some(last),
            None => return Ok(shards),
        }
    }
}

/// A listed shard's id, parent and whether it is closed (a shard without an id is left out).
fn shard_info(shard: Shard) -> Option<ShardInfo> {
    let closed = shard
        .sequence_number_range
        .as_ref()
        .is_some_and(|r| r.ending_sequence_number.is_some());
    Some(ShardInfo {
        id: shard.shard_id?,
        parent: shard.parent_shard_id,
        closed,
    })
}

/// Starts, from their oldest record, the shards whose parent is read to its end (or unknown).
async fn start_ready_shards(
    ctx: &Context,
    stream_arn: &str,
    shards: &mut Shards,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    loop {
        let ready = shards.ready();
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

/// Gets an iterator for shard `id` at `position`; when the records there are gone, once more at
/// the oldest record (see [`after_open`]). Returns where reading goes on, the iterator (`None`:
/// nothing to read) and, when the records there were gone, why.
async fn open(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    position: Position,
) -> Result<(Position, Option<String>, Option<&'static str>)> {
    let opened = shard_iterator(ctx, stream_arn, id, &position).await?;
    Ok(match after_open(opened, &position) {
        AfterOpen::Use(iterator) => (position, iterator, None),
        AfterOpen::Retry { position, why } => {
            let opened = shard_iterator(ctx, stream_arn, id, &position).await?;
            (position, retried_iterator(opened), Some(why))
        }
    })
}

async fn start_shard(
    ctx: &Context,
    stream_arn: &str,
    id: &str,
    shards: &mut Shards,
    position: Position,
    on_event: &mut impl FnMut(FollowEvent<'_>) -> Result<()>,
) -> Result<()> {
    let (position, iterator, trimmed) = open(ctx, stream_arn, id, position).await?;
    if let Some(why) = trimmed {
        // The checkpoint's record is older than the stream holds.
        on_event(FollowEvent::ShardReopened {
            shard_id: id,
            from: &position.to_string(),
            why,
        })?;
    }
    let from = position.to_string();
    if shards.started(id, position, iterator) {
        on_event(FollowEvent::ShardStarted {
            shard_id: id,
            from: &from,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
