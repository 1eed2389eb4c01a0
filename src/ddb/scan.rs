//! Reading every item of a table, page by page, optionally as a parallel scan. Pages are handed
//! to the caller as they arrive and then dropped, so memory stays flat however large the table.
//!
//! Every page is read inside the job's read budget ([`crate::ddb::capacity`]): with a budget, a
//! page's `Limit` is chosen so that it costs about one second of it (from what the segment's
//! earlier pages cost per item), the units are asked for before the request and settled with
//! the `ConsumedCapacity` DynamoDB reports, and a throttled page is asked for again, slower.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Result};
use aws_sdk_dynamodb::operation::scan::ScanError;
use tokio::sync::mpsc;

use crate::context::{Context, SdkResultExt};
use crate::ddb::batch::{consumption, throttle_cause};
use crate::ddb::capacity::{self, Direction, Governor, BURST};
use crate::ddb::item::Item;
use crate::ddb::retry;
use crate::model::keys::{PK, SK};

/// How to scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Stop after this many items.
    pub limit: Option<u64>,
    /// Parallel scan segments (1: a plain scan).
    pub segments: u32,
    /// Read only the key attributes (`pk`, `sk`): for counting.
    pub keys_only: bool,
    /// Scan only segment `index` of `total` (one worker): for splitting one scan over several
    /// processes or machines. `segments` must then be 1.
    pub part: Option<Part>,
}

/// One segment of a parallel scan split over several processes: `index` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The segment, from 0.
    pub index: u32,
    /// How many segments the whole scan has.
    pub total: u32,
}

/// The most segments a scan may be split into (DynamoDB's own limit).
pub const MAX_TOTAL_SEGMENTS: u32 = 1_000_000;

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            limit: None,
            segments: 1,
            keys_only: false,
            part: None,
        }
    }
}

/// The most segments a parallel scan may use here (DynamoDB allows up to 1,000,000).
pub const MAX_SEGMENTS: u32 = 64;

/// What a segment task hands over: its segment, a page's items, and where the segment goes on.
type Scanned = (u32, Vec<Item>, Option<Item>);

/// The `Limit` of a segment's first Scan request.
const FIRST_PAGE_LIMIT: u32 = 1_000;
/// The largest `Limit` a Scan request is sent with.
const MAX_PAGE_LIMIT: u32 = 16_384;

/// The `Limit` of the next Scan request, from the previous page's limit and how many items the
/// server read for it (`ScannedCount`).
///
/// DynamoDB ends a page at `Limit` items or 1 MB, whichever comes first. Without a `Limit`,
/// DynamoDB Local reads every remaining item of the table to cut a 1 MB page from them, so a
/// scan costs O(n²): 50,000 items took 4.3 s in 14 pages, against 2.3 s with a `Limit` just
/// above the page's item count. So: start small, double while pages end at the limit, and once
/// a page ends at 1 MB ask for just a little more than it held.
fn next_page_limit(limit: u32, scanned: u32) -> u32 {
    if scanned >= limit {
        limit.saturating_mul(2).min(MAX_PAGE_LIMIT)
    } else {
        (scanned + scanned / 8).clamp(FIRST_PAGE_LIMIT / 10, MAX_PAGE_LIMIT)
    }
}

/// The read units an item is assumed to cost before a segment's first page says: a 1 KB item in
/// an eventually consistent scan.
const FIRST_UNITS_PER_ITEM: f64 = 0.125;

/// The `Limit` of a page that costs about [`BURST`] of `rate` at `per_item` units an item.
fn budget_page_limit(rate: f64, per_item: f64) -> u32 {
    let items = rate * BURST.as_secs_f64() / per_item.max(1e-6);
    (items.floor() as u32).clamp(1, MAX_PAGE_LIMIT)
}

/// The cause of a Scan error when it is throttling (the page is then asked for again, slower).
fn throttling(
    err: &aws_sdk_dynamodb::error::SdkError<ScanError, aws_smithy_runtime_api::http::Response>,
) -> Option<String> {
    match err.as_service_error()? {
        ScanError::ProvisionedThroughputExceededException(e) => Some(throttle_cause(
            "ProvisionedThroughputExceededException",
            e.throttling_reasons(),
        )),
        ScanError::ThrottlingException(e) => Some(throttle_cause(
            "ThrottlingException",
            e.throttling_reasons(),
        )),
        ScanError::RequestLimitExceeded(e) => Some(throttle_cause(
            "RequestLimitExceeded",
            e.throttling_reasons(),
        )),
        _ => None,
    }
}

/// Scans `table` without a read budget: [`scan_pages_within`] with an unlimited governor.
pub async fn scan_pages(
    ctx: &Context,
    table: &str,
    options: ScanOptions,
    on_page: impl FnMut(&[Item]) -> Result<()>,
) -> Result<u64> {
    let governor = Governor::unlimited(table, Direction::Read);
    scan_pages_within(ctx, table, options, &governor, on_page).await
}

/// Scans `table` inside `governor`'s budget, calling `on_page` with each page as it arrives;
/// returns how many items were passed on. With several segments, pages arrive in no particular
/// order.
pub async fn scan_pages_within(
    ctx: &Context,
    table: &str,
    options: ScanOptions,
    governor: &Governor,
    mut on_page: impl FnMut(&[Item]) -> Result<()>,
) -> Result<u64> {
    scan_pages_from(
        ctx,
        table,
        options,
        governor,
        &|_| Start::Beginning,
        |page| {
            if page.items.is_empty() {
                Ok(())
            } else {
                on_page(page.items)
            }
        },
    )
    .await
}

/// Where a segment of a scan starts: for a resumed scan, after the last key a checkpoint holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// From the segment's first item.
    Beginning,
    /// After this key (a page's `LastEvaluatedKey`).
    After(Item),
    /// Nowhere: the segment was read to its end.
    Done,
}

/// One page of a scan as it arrives.
#[derive(Debug)]
pub struct Page<'a> {
    /// The segment it belongs to.
    pub segment: u32,
    /// Its items (possibly none).
    pub items: &'a [Item],
    /// Where the segment goes on (its `LastEvaluatedKey`), `None` once it is read to its end.
    pub next: Option<&'a Item>,
}

/// [`scan_pages_within`] for a scan that may resume: each segment starts where `start` says,
/// and `on_page` gets every page, empty ones too, with its segment and where that segment goes
/// on, so that the caller can record how far each segment got.
pub async fn scan_pages_from(
    ctx: &Context,
    table: &str,
    options: ScanOptions,
    governor: &Governor,
    start: &dyn Fn(u32) -> Start,
    mut on_page: impl FnMut(Page<'_>) -> Result<()>,
) -> Result<u64> {
    if options.segments == 0 || options.segments > MAX_SEGMENTS {
        bail!(
            "--segments must be between 1 and {MAX_SEGMENTS}, not {}",
            options.segments
        );
    }
    // The segments this process scans, and how many the whole scan has.
    let (first, count, total) = match options.part {
        None => (0, options.segments, options.segments),
        Some(part) => {
            if options.segments != 1 {
                bail!("a scan of one segment of several (--segment) runs with one worker");
            }
            if part.total == 0 || part.total > MAX_TOTAL_SEGMENTS || part.index >= part.total {
                bail!(
                    "segment {} of {} does not exist: --total-segments must be between 1 and \
                     {MAX_TOTAL_SEGMENTS}, and --segment between 0 and --total-segments - 1",
                    part.index,
                    part.total
                );
            }
            (part.index, 1, part.total)
        }
    };
    if options.limit == Some(0) {
        return Ok(0);
    }
    // Every segment's requests run on this task's thread (a LocalSet), not on the runtime's
    // workers: a page is then parsed, written and freed by one thread, in one malloc arena. Spread
    // over the worker threads, each worker's arena grew to hold whole pages and the peak RSS rose
    // with the number of pages (50,000 items: 23 MB, 10,000: 20 MB). Parsing is a small part of
    // a scan (0.15 s of CPU for 50,000 items); the waiting overlaps as before. Tasks still
    // running when this returns (a reached --limit, an error) are dropped with the set.
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            // A few pages in flight per segment at most: memory does not grow with the table.
            let (tx, mut rx) = mpsc::channel::<Result<Scanned>>(count as usize);
            let remaining = Arc::new(AtomicU64::new(options.limit.unwrap_or(u64::MAX)));
            for segment in first..first + count {
                let start = match start(segment) {
                    Start::Beginning => None,
                    Start::After(key) => Some(key),
                    Start::Done => continue,
                };
                let tx = tx.clone();
                let client = ctx.dynamodb().clone();
                let endpoint = ctx.dynamodb_endpoint.clone();
                let table = table.to_string();
                let remaining = remaining.clone();
                let governor = governor.clone();
                tokio::task::spawn_local(async move {
                    let mut start = start;
                    let mut page_limit = FIRST_PAGE_LIMIT;
                    let mut per_item = FIRST_UNITS_PER_ITEM;
                    let mut attempt = 1;
                    loop {
                        let left = remaining.load(Ordering::Relaxed);
                        if left == 0 {
                            return;
                        }
                        let mut request = client
                            .scan()
                            .table_name(&table)
                            .set_exclusive_start_key(start.clone());
                        if total > 1 {
                            request = request.segment(segment as i32).total_segments(total as i32);
                        }
                        if options.keys_only {
                            request = request
                                .projection_expression("#pk, #sk")
                                .expression_attribute_names("#pk", PK)
                                .expression_attribute_names("#sk", SK);
                        }
                        let limit = match governor.rate() {
                            Some(rate) => page_limit.min(budget_page_limit(rate, per_item)),
                            None => page_limit,
                        };
                        let limit = u64::from(limit).min(left) as u32;
                        request = request
                            .limit(limit as i32)
                            .return_consumed_capacity(consumption(&governor));
                        let reservation = governor.acquire(f64::from(limit) * per_item).await;
                        let page = match request.send().await {
                            Ok(page) => page,
                            Err(err) => {
                                reservation.refund();
                                if let Some(cause) = throttling(&err) {
                                    governor.throttled(1);
                                    if let Err(stalled) = governor.check_stall(Some(&cause)) {
                                        let _ = tx.send(Err(stalled)).await;
                                        return;
                                    }
                                    retry::pause(attempt).await;
                                    attempt += 1;
                                    continue;
                                }
                                let what = format!(
                                    "scanning table {table} (segment {segment} of {total})"
                                );
                                let _ = tx.send(Err(err).on(&endpoint, what)).await;
                                return;
                            }
                        };
                        attempt = 1;
                        let consumed = page
                            .consumed_capacity
                            .as_ref()
                            .and_then(|c| capacity::consumed_units(std::slice::from_ref(c)));
                        reservation.settle(consumed, true);
                        start = page.last_evaluated_key;
                        let items = page.items.unwrap_or_default();
                        let next = start.clone();
                        // ScannedCount: what the server read (more than it returned under a filter).
                        let scanned = u32::try_from(page.scanned_count)
                            .unwrap_or(0)
                            .max(items.len() as u32);
                        page_limit = next_page_limit(limit, scanned);
                        if let (Some(units), true) = (consumed, scanned > 0) {
                            per_item = units / f64::from(scanned);
                        }
                        if tx.send(Ok((segment, items, next))).await.is_err() {
                            return; // the reader has stopped
                        }
                        if start.is_none() {
                            return;
                        }
                    }
                });
            }
            drop(tx);

            let mut passed = 0u64;
            let mut left = options.limit.unwrap_or(u64::MAX);
            while let Some(page) = rx.recv().await {
                let (segment, mut items, next) = page?;
                if items.len() as u64 > left {
                    items.truncate(left as usize);
                }
                left -= items.len() as u64;
                remaining.store(left, Ordering::Relaxed);
                passed += items.len() as u64;
                on_page(Page {
                    segment,
                    items: &items,
                    next: next.as_ref(),
                })?;
                if left == 0 {
                    break;
                }
            }
            Ok(passed)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limit_grows_until_pages_end_at_one_megabyte() {
        // pages ending at the limit: double, up to the cap
        assert_eq!(next_page_limit(1_000, 1_000), 2_000);
        assert_eq!(
            next_page_limit(MAX_PAGE_LIMIT, MAX_PAGE_LIMIT),
            MAX_PAGE_LIMIT
        );
        // a page cut at 1 MB: a little more than it held
        assert_eq!(next_page_limit(4_000, 3_741), 4_208);
        assert_eq!(next_page_limit(4_208, 3_741), 4_208);
        // a short last page or an empty one never drops the limit to nothing
        assert_eq!(next_page_limit(4_000, 0), FIRST_PAGE_LIMIT / 10);
    }
}
