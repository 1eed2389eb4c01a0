//! `scan`: print every item of the messages table as it arrives.

use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;

use crate::cli::args::{CapacityArgs, OutputArgs, TableTargetArgs};
use crate::cli::output::{self, ItemWriter};
use crate::cli::progress::Progress;
use crate::cli::{self};
use crate::ddb::capacity::{self, Direction};
use crate::ddb::scan::ScanOptions;
use crate::ops::scan;

/// Print every item of the messages table (all pages), as the pages arrive: memory stays flat
/// however large the table. A whole-table scan shows a bar on stderr when stderr is a terminal,
/// and ends with a one-line summary on stderr.
#[derive(Parser, Debug)]
#[command(
    name = "scan",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): every attribute of each item (pk, sk, message, ...), as plain values, or DynamoDB's typed JSON with --raw. A table shows each page's attributes as columns.\n\nExamples:\n  scan\n  scan | jq -r .message\n  scan | head -1                           # stops quietly\n  scan prod --limit 10 --output json\n  scan --segments 4 --raw                  # parallel scan, DynamoDB's typed JSON\n  scan prod --max-rcu 10 --output jsonl    # at most 10 read units a second")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    #[command(flatten)]
    output: OutputArgs,

    /// Keep DynamoDB's typed JSON ({"S": "..."}) instead of plain values.
    #[arg(long)]
    raw: bool,

    /// Stop after N items (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,

    /// Scan in N parallel segments (1 to 64); items then arrive in no particular order.
    #[arg(long, value_name = "N", default_value_t = 1)]
    segments: u32,

    #[command(flatten)]
    capacity: CapacityArgs,
}

/// Scans the table and prints its items page by page.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.table.connect().await?;
    let options = ScanOptions {
        limit: args.limit,
        segments: args.segments,
        ..ScanOptions::default()
    };
    // The bar's total: DynamoDB's item count estimate, asked only when a bar is drawn.
    let total = match args.limit {
        None if Progress::drawn() => scan::estimated_items(&ctx).await,
        _ => None,
    };
    let governor =
        capacity::governor_for(&ctx, ctx.table(), Direction::Read, &args.capacity.flags()).await?;
    let bar = Progress::new("scanning", total).budget(&governor.stats());
    let started = Instant::now();
    let mut writer = ItemWriter::new(output::stdout(), args.output.format(), args.raw);
    scan::scan(&ctx, options, &governor, |page| {
        bar.add(page.len() as u64);
        writer.write_page(page).context("writing items")
    })
    .await?;
    let written = writer.finish().context("writing items")?;
    bar.finish();
    eprintln!(
        "scanned {written} items of table {} in {:.2} s ({})",
        ctx.table(),
        started.elapsed().as_secs_f64(),
        governor.stats()
    );
    Ok(())
}
