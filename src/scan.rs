//! Reading every item of a table, page by page, optionally as a parallel scan. Pages are handed
//! to the caller as they arrive and then dropped, so memory stays flat however large the table.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Result};
use tokio::sync::mpsc;

use crate::context::{Context, SdkResultExt};
use crate::item::Item;
use crate::keys::{PK, SK};

/// How to scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Stop after this many items.
    pub limit: Option<u64>,
    /// Parallel scan segments (1: a plain scan).
    pub segments: u32,
    /// Read only the key attributes (`pk`, `sk`): for counting.
    pub keys_only: bool,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            limit: None,
            segments: 1,
            keys_only: false,
        }
    }
}

/// The most segments a parallel scan may use here (DynamoDB allows up to 1,000,000).
pub const MAX_SEGMENTS: u32 = 64;

/// Scans `table`, calling `on_page` with each page as it arrives; returns how many items were
/// passed on. With several segments, pages arrive in no particular order.
pub async fn scan_pages(
    ctx: &Context,
    table: &str,
    options: ScanOptions,
    mut on_page: impl FnMut(&[Item]) -> Result<()>,
) -> Result<u64> {
    if options.segments == 0 || options.segments > MAX_SEGMENTS {
        bail!(
            "--segments must be between 1 and {MAX_SEGMENTS}, not {}",
            options.segments
        );
    }
    if options.limit == Some(0) {
        return Ok(0);
    }
    // A few pages in flight per segment at most: memory does not grow with the table.
    let (tx, mut rx) = mpsc::channel::<Result<Vec<Item>>>(options.segments as usize);
    let remaining = Arc::new(AtomicU64::new(options.limit.unwrap_or(u64::MAX)));
    for segment in 0..options.segments {
        let tx = tx.clone();
        let client = ctx.dynamodb.clone();
        let endpoint = ctx.dynamodb_endpoint.clone();
        let table = table.to_string();
        let remaining = remaining.clone();
        let total = options.segments;
        tokio::spawn(async move {
            let mut start = None;
            loop {
                let left = remaining.load(Ordering::Relaxed);
                if left == 0 {
                    return;
                }
                let mut request = client
                    .scan()
                    .table_name(&table)
                    .set_exclusive_start_key(start.take());
                if total > 1 {
                    request = request.segment(segment as i32).total_segments(total as i32);
                }
                if options.keys_only {
                    request = request
                        .projection_expression("#pk, #sk")
                        .expression_attribute_names("#pk", PK)
                        .expression_attribute_names("#sk", SK);
                }
                if left < 1_000 {
                    request = request.limit(left as i32);
                }
                let page = request.send().await.on(
                    &endpoint,
                    format_args!("scanning table {table} (segment {segment} of {total})"),
                );
                let page = match page {
                    Ok(page) => page,
                    Err(err) => {
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                start = page.last_evaluated_key;
                let items = page.items.unwrap_or_default();
                if !items.is_empty() && tx.send(Ok(items)).await.is_err() {
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
        let mut items = page?;
        if items.len() as u64 > left {
            items.truncate(left as usize);
        }
        left -= items.len() as u64;
        remaining.store(left, Ordering::Relaxed);
        passed += items.len() as u64;
        on_page(&items)?;
        if left == 0 {
            break;
        }
    }
    Ok(passed)
}
