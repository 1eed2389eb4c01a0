//! Batch writes: the one engine every bulk writer uses (`seed`, and later `import`).
//!
//! Requests go as BatchWriteItem calls of [`BATCH_SIZE`] with several in flight. DynamoDB answers
//! a throttled batch with a 200 carrying `UnprocessedItems`, so retrying those is ours: one loop,
//! exponential backoff with jitter, capped ([`crate::ddb::retry`]).

use std::sync::Arc;

use anyhow::{bail, Result};
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use tokio::task::JoinSet;

use crate::context::{Context, Endpoint, SdkResultExt};
use crate::ddb::item::{s, Item};
use crate::ddb::item::{PK, SK};
use crate::ddb::retry;
pub use crate::ddb::retry::backoff;

/// Items per BatchWriteItem request (DynamoDB's maximum).
pub const BATCH_SIZE: usize = 25;
/// BatchWriteItem requests in flight by default.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most requests in flight `--concurrency` accepts.
pub const MAX_CONCURRENCY: usize = 64;
/// Attempts per batch before unprocessed items become an error.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// BatchWriteItem requests in flight.
    pub concurrency: usize,
    /// Attempts per batch before unprocessed items are an error.
    pub max_attempts: u32,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

pub fn put_request(item: Item) -> WriteRequest {
    // `build` only fails when the item is missing, and it is always set.
    match PutRequest::builder().set_item(Some(item)).build() {
        Ok(put) => WriteRequest::builder().put_request(put).build(),
        Err(_) => unreachable!("a put request with an item always builds"),
    }
}

pub fn delete_request(pk: String, sk: String) -> WriteRequest {
    let key: Item = [(PK.to_string(), s(pk)), (SK.to_string(), s(sk))].into();
    match DeleteRequest::builder().set_key(Some(key)).build() {
        Ok(delete) => WriteRequest::builder().delete_request(delete).build(),
        Err(_) => unreachable!("a delete request with a key always builds"),
    }
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

/// Writes `requests` to `table` in BatchWriteItem calls of [`BATCH_SIZE`], with up to
/// `options.concurrency` calls in flight; returns how many were written. `progress(done)` is
/// called after each batch. The first failed batch stops the rest and is the error.
pub async fn batch_write(
    ctx: &Context,
    table: &str,
    requests: impl IntoIterator<Item = WriteRequest>,
    options: WriteOptions,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let table: Arc<str> = Arc::from(table);
    let concurrency = options.concurrency.max(1);
    let mut pending = batches(requests, BATCH_SIZE).peekable();
    let mut tasks = JoinSet::new();
    let mut done = 0u64;
    loop {
        while tasks.len() < concurrency {
            let Some(batch) = pending.next() else { break };
            tasks.spawn(write_batch(
                ctx.dynamodb().clone(),
                ctx.dynamodb_endpoint.clone(),
                table.clone(),
                batch,
                options.max_attempts,
            ));
        }
        let Some(joined) = tasks.join_next().await else {
            return Ok(done);
        };
        let written = match joined {
            Ok(Ok(written)) => written,
            Ok(Err(err)) => {
                tasks.abort_all();
                return Err(err);
            }
            Err(err) => {
                tasks.abort_all();
                bail!("a batch write task ended unexpectedly: {err}");
            }
        };
        done += written;
        progress(done);
    }
}

/// One BatchWriteItem call, retrying its UnprocessedItems with exponential backoff and jitter.
async fn write_batch(
    client: aws_sdk_dynamodb::Client,
    endpoint: Endpoint,
    table: Arc<str>,
    mut batch: Vec<WriteRequest>,
    max_attempts: u32,
) -> Result<u64> {
    let size = batch.len() as u64;
    let mut attempt = 1;
    loop {
        let sent = batch.len();
        let output = client
            .batch_write_item()
            .request_items(table.as_ref(), batch)
            .send()
            .await
            .on(
                &endpoint,
                format_args!("writing a batch of {sent} items to table {table}"),
            )?;
        let unprocessed = output
            .unprocessed_items
            .and_then(|mut tables| tables.remove(table.as_ref()))
            .unwrap_or_default();
        if unprocessed.is_empty() {
            return Ok(size);
        }
        if attempt >= max_attempts {
            bail!(
                "{} of {size} items of a batch were still unprocessed after {attempt} attempts: \
                 table {table} is throttling writes (try a lower --concurrency, or more write capacity)",
                unprocessed.len()
            );
        }
        retry::pause(attempt).await;
        attempt += 1;
        batch = unprocessed;
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
