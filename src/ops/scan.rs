//! `scan`: every item of the messages table, handed over page by page as the pages arrive
//! (memory stays flat however large the table).

use std::time::Instant;

use anyhow::Result;
use serde_json::Value;

use crate::context::Context;
use crate::ddb::capacity::{Direction, Governor};
use crate::ddb::item::{to_plain_json, to_typed_json, Item};
use crate::ddb::scan::{scan_pages_within, ScanOptions};
use crate::ddb::table;
use crate::ops::bulk::{self, CapacityFlags};
use crate::ops::ui::{Bar, Ui};

/// What `scan` is asked for.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Stop after this many items.
    pub limit: Option<u64>,
    /// Parallel segments.
    pub segments: u32,
    /// DynamoDB's typed JSON instead of plain values.
    pub raw: bool,
    /// The read budget.
    pub capacity: CapacityFlags,
}

/// Where the scanned items go, a page at a time, as JSON values.
pub trait Pages {
    /// Writes one page.
    fn write(&mut self, page: &[Value]) -> Result<()>;
    /// Closes the output; how many items were written.
    fn finish(self) -> Result<u64>;
}

/// Scans the table as `request` says into `pages`, with a bar and a summary line for `ui`.
pub async fn run(
    ctx: &Context,
    request: &ScanRequest,
    ui: &mut impl Ui,
    mut pages: impl Pages,
) -> Result<()> {
    let options = ScanOptions {
        limit: request.limit,
        segments: request.segments,
        ..ScanOptions::default()
    };
    // The bar's total: DynamoDB's item count estimate, asked only when a bar is drawn.
    let total = match request.limit {
        None if ui.drawn() => estimated_items(ctx).await,
        _ => None,
    };
    let governor = bulk::governor(ctx, Direction::Read, &request.capacity, None).await?;
    let bar = ui
        .bar("scanning", total)
        .with_note(&bulk::budget_note(&governor.stats()));
    let started = Instant::now();
    let json = if request.raw {
        to_typed_json
    } else {
        to_plain_json
    };
    scan(ctx, options, &governor, |page| {
        bar.add(page.len() as u64);
        pages.write(&page.iter().map(json).collect::<Vec<_>>())
    })
    .await?;
    let written = pages.finish()?;
    bar.finish();
    ui.note(&format!(
        "scanned {written} items of table {} in {:.2} s ({})",
        ctx.table(),
        started.elapsed().as_secs_f64(),
        governor.stats()
    ));
    Ok(())
}

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
