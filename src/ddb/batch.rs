//! Batch writes: the one engine every bulk writer uses (`seed`, and later `import`).
//!
//! Requests go as BatchWriteItem calls of [`BATCH_SIZE`] with several in flight, each inside the
//! job's capacity budget ([`crate::ddb::capacity`]): a batch asks the governor for its items'
//! units before it is sent and is settled with the `ConsumedCapacity` DynamoDB reports. DynamoDB
//! answers a throttled batch with a 200 carrying `UnprocessedItems`, or with a
//! `ProvisionedThroughputExceededException` once the SDK's own retries are spent: either way the
//! governor slows down, the items are sent again (never dropped), and the job fails only when
//! nothing at all was written for its stall timeout.

use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::{
    DeleteRequest, PutRequest, ReturnConsumedCapacity, ThrottlingReason, WriteRequest,
};
use tokio::task::JoinSet;

use crate::context::{Context, Endpoint, SdkResultExt};
use crate::ddb::capacity::{self, Direction, Governor};
use crate::ddb::item::Item;
use crate::ddb::retry;
pub use crate::ddb::retry::backoff;
use crate::ddb::size::item_size;

/// Items per BatchWriteItem request (DynamoDB's maximum).
pub const BATCH_SIZE: usize = 25;
/// How far a batch may start ahead of the oldest batch not yet written, in multiples of the
/// concurrency ([`write_batches_within`]).
pub const AHEAD: usize = 2;
/// BatchWriteItem requests in flight by default.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most requests in flight `--concurrency` accepts.
pub const MAX_CONCURRENCY: usize = 64;
/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// BatchWriteItem requests in flight.
    pub concurrency: usize,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// The write units `request` is expected to cost: a put, its item's size rounded up to 1 KB; a
/// delete, 1 (its size is not known before; the settle corrects it).
pub fn request_units(request: &WriteRequest) -> f64 {
    match request.put_request() {
        Some(put) => capacity::write_units(item_size(put.item())),
        None => 1.0,
    }
}

/// What a throttling error says about its cause: its code, and for each reason DynamoDB gives
/// (`TableWriteProvisionedThroughputExceeded`, `IndexWriteProvisionedThroughputExceeded`, ...)
/// the reason and the table or index it names.
pub fn throttle_cause(code: &str, reasons: &[ThrottlingReason]) -> String {
    let named: Vec<String> = reasons
        .iter()
        .map(|r| {
            let reason = r.reason().unwrap_or("throttled");
            match r.resource() {
                Some(resource) => format!("{reason} on {}", resource_name(resource)),
                None => reason.to_string(),
            }
        })
        .collect();
    if named.is_empty() {
        code.to_string()
    } else {
        format!("{code} ({})", named.join(", "))
    }
}

/// `table/T/index/I` or `table/T` from an ARN: what a person recognises.
fn resource_name(arn: &str) -> String {
    match arn.split_once(":table/") {
        Some((_, rest)) => match rest.split_once("/index/") {
            Some((table, index)) => format!("index {index} of table {table}"),
            None => format!("table {rest}"),
        },
        None => arn.to_string(),
    }
}

/// The cause of a BatchWriteItem error when it is throttling (it is then retried, slower).
fn throttling(
    err: &SdkError<BatchWriteItemError, aws_smithy_runtime_api::http::Response>,
) -> Option<String> {
    let service = err.as_service_error()?;
    match service {
        BatchWriteItemError::ProvisionedThroughputExceededException(e) => Some(throttle_cause(
            "ProvisionedThroughputExceededException",
            e.throttling_reasons(),
        )),
        BatchWriteItemError::ThrottlingException(e) => Some(throttle_cause(
            "ThrottlingException",
            e.throttling_reasons(),
        )),
        BatchWriteItemError::RequestLimitExceeded(e) => Some(throttle_cause(
            "RequestLimitExceeded",
            e.throttling_reasons(),
        )),
        other => matches!(other.code(), Some("ThrottlingException"))
            .then(|| "ThrottlingException".to_string()),
    }
}

/// A put of `item` for a batch. (The SDK's builder fails only on a missing item; that error is
/// kept, with what was being built, rather than assumed away.)
pub fn put_request(item: Item) -> Result<WriteRequest> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .context("building a put request of a batch")?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// A delete of the item with `key` (its key attributes) for a batch.
pub fn delete_request(key: Item) -> Result<WriteRequest> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .context("building a delete request of a batch")?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// Groups `requests` into batches of at most `size`, lazily.
pub fn batches<T>(
    requests: impl IntoIterator<Item = T>,
    size: usize,
) -> impl Iterator<Item = Vec<T>> {
    let mut requests = requests.into_iter();
    let size = size.max(1);
    std::iter::from_fn(move || {
        let batch: Vec<T> = requests.by_ref().take(size).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

/// Writes `requests` to `table` without a capacity budget: [`batch_write_within`] with an
/// unlimited governor.
pub async fn batch_write(
    ctx: &Context,
    table: &str,
    requests: impl IntoIterator<Item = WriteRequest>,
    options: WriteOptions,
    progress: impl FnMut(u64),
) -> Result<u64> {
    let governor = Governor::unlimited(table, Direction::Write);
    batch_write_within(ctx, table, requests, options, &governor, progress).await
}

/// Writes `requests` to `table` in BatchWriteItem calls of [`BATCH_SIZE`], with up to
/// `options.concurrency` calls in flight, inside `governor`'s budget; returns how many were
/// written. `progress(done)` is called after each batch. The first failed batch stops the rest
/// and is the error.
pub async fn batch_write_within(
    ctx: &Context,
    table: &str,
    requests: impl IntoIterator<Item = WriteRequest>,
    options: WriteOptions,
    governor: &Governor,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let tagged = batches(requests, BATCH_SIZE).map(|batch| ((), batch));
    write_batches_within(ctx, table, tagged, options, governor, |done, ()| {
        progress(done)
    })
    .await
}

/// [`batch_write_within`] for batches the caller makes (each of at most [`BATCH_SIZE`]), each
/// with a tag handed back to `progress(done, tag)` once every item of that batch is written:
/// batches finish in any order, and the tag says which one did (`import --checkpoint` records
/// how far the input is written from it).
///
/// A batch is started only while fewer than [`AHEAD`] times `concurrency` batches separate it
/// from the oldest one not yet written: a slow batch (retried, throttled) holds the others back
/// instead of letting them run far ahead of it, so the unbroken run of written batches that a
/// checkpoint records never trails the newest written batch by more than that.
pub async fn write_batches_within<T: Send + 'static>(
    ctx: &Context,
    table: &str,
    batches: impl IntoIterator<Item = (T, Vec<WriteRequest>)>,
    options: WriteOptions,
    governor: &Governor,
    mut progress: impl FnMut(u64, T),
) -> Result<u64> {
    let table: Arc<str> = Arc::from(table);
    let concurrency = options.concurrency.max(1);
    let window = (AHEAD * concurrency) as u64;
    let mut pending = batches.into_iter();
    let mut tasks = JoinSet::new();
    let mut done = 0u64;
    // Batch numbers in the order they were started, and those not yet written.
    let mut next = 0u64;
    let mut unwritten = std::collections::BTreeSet::new();
    loop {
        while tasks.len() < concurrency
            && unwritten
                .first()
                .is_none_or(|oldest| next - oldest < window)
        {
            let Some((tag, batch)) = pending.next() else {
                break;
            };
            if batch.is_empty() {
                progress(done, tag);
                continue;
            }
            if batch.len() > BATCH_SIZE {
                tasks.abort_all();
                bail!(
                    "a batch of {} write requests is over BatchWriteItem's {BATCH_SIZE}",
                    batch.len()
                );
            }
            let write = write_batch(
                ctx.dynamodb().clone(),
                ctx.dynamodb_endpoint.clone(),
                table.clone(),
                batch,
                governor.clone(),
            );
            let number = next;
            next += 1;
            unwritten.insert(number);
            tasks.spawn(async move { write.await.map(|written| (written, tag, number)) });
        }
        let Some(joined) = tasks.join_next().await else {
            return Ok(done);
        };
        let (written, tag, number) = match joined {
            Ok(Ok(finished)) => finished,
            Ok(Err(err)) => {
                tasks.abort_all();
                return Err(err);
            }
            Err(err) => {
                tasks.abort_all();
                return Err(err).context("a batch write task ended unexpectedly");
            }
        };
        unwritten.remove(&number);
        done += written;
        progress(done, tag);
    }
}

/// What to ask DynamoDB to report: the consumed capacity by index when there is a budget to
/// settle; nothing without one. (DynamoDB Local answers about ten times slower when asked, so
/// a local run with a budget tops out near 70 items a second.)
pub fn consumption(governor: &Governor) -> ReturnConsumedCapacity {
    if governor.budget() == capacity::Budget::Unlimited {
        ReturnConsumedCapacity::None
    } else {
        ReturnConsumedCapacity::Indexes
    }
}

/// One batch: a BatchWriteItem call inside the governor's budget, sending its unprocessed items
/// again (slower) until every one is written, or nothing was written for the stall timeout.
async fn write_batch(
    client: aws_sdk_dynamodb::Client,
    endpoint: Endpoint,
    table: Arc<str>,
    mut batch: Vec<WriteRequest>,
    governor: Governor,
) -> Result<u64> {
    let size = batch.len() as u64;
    let mut attempt = 1;
    loop {
        let sent = batch.len();
        let units: f64 = batch.iter().map(request_units).sum();
        let reservation = governor.acquire(units).await;
        let answer = client
            .batch_write_item()
            .request_items(table.as_ref(), batch.clone())
            .return_consumed_capacity(consumption(&governor))
            .send()
            .await;
        let cause = match answer {
            Ok(output) => {
                let unprocessed = output
                    .unprocessed_items
                    .and_then(|mut tables| tables.remove(table.as_ref()))
                    .unwrap_or_default();
                let written = sent - unprocessed.len();
                let consumed = output
                    .consumed_capacity
                    .as_deref()
                    .and_then(capacity::consumed_units);
                reservation.settle(consumed, written > 0);
                if unprocessed.is_empty() {
                    return Ok(size);
                }
                governor.throttled(unprocessed.len() as u64);
                batch = unprocessed;
                format!(
                    "{} of {sent} items of a batch sent back unprocessed",
                    batch.len()
                )
            }
            Err(err) => match throttling(&err) {
                Some(cause) => {
                    reservation.refund();
                    governor.throttled(sent as u64);
                    cause
                }
                None => {
                    reservation.refund();
                    return Err(err).on(
                        &endpoint,
                        format_args!("writing a batch of {sent} items to table {table}"),
                    );
                }
            },
        };
        governor.check_stall(Some(&cause))?;
        retry::pause(attempt).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_25() {
        let sizes: Vec<usize> = batches(0..101, BATCH_SIZE).map(|b| b.len()).collect();
        assert_eq!(sizes, vec![25, 25, 25, 25, 1]);
        let all: Vec<i32> = batches(0..101, BATCH_SIZE).flatten().collect();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        assert_eq!(batches(0..0, BATCH_SIZE).count(), 0);
        assert_eq!(batches(0..25, BATCH_SIZE).count(), 1);
    }
}
