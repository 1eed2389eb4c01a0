//! `scan`: every item of the messages table, handed over page by page as the pages arrive
//! (memory stays flat however large the table).

use anyhow::Result;

use crate::context::Context;
use crate::ddb::capacity::Governor;
use crate::ddb::item::Item;
use crate::ddb::scan::{scan_pages_within, ScanOptions};
use crate::ddb::table;

/// DynamoDB's estimate of how many items the messages table holds (DescribeTable's approximate
/// count, refreshed about every six hours): `None` when unknown, zero, or the call failed. For
/// a progress bar's total, so a failure here never stops the scan.
pub async fn estimated_items(ctx: &Context) -> Option<u64> {
    table::describe(ctx, ctx.table())
        .await
        .ok()
        .flatten()
        .and_then(|t| t.item_count())
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n > 0)
}

/// Scans the messages table with `options` inside `governor`'s read budget, calling `on_page`
/// with each page's items; returns how many items were read.
pub async fn scan(
    ctx: &Context,
    options: ScanOptions,
    governor: &Governor,
    on_page: impl FnMut(&[Item]) -> Result<()>,
) -> Result<u64> {
    scan_pages_within(ctx, ctx.table(), options, governor, on_page).await
}
