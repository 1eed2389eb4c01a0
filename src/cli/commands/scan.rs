//! `scan`: print every item of the messages table as it arrives.

use clap::Parser;

use crate::cli;
use crate::cli::args::{CapacityArgs, OutputArgs, TableTargetArgs};
use crate::cli::output::{self, ItemWriter, Terminal};
use crate::ops::scan::{self, ScanRequest};

/// Print every item of the messages table (all pages), as the pages arrive: memory stays flat
/// however large the table. A whole-table scan shows a bar on stderr when stderr is a terminal,
/// and ends with a one-line summary on stderr.
#[derive(Parser, Debug)]
#[command(
    name = "scan",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): every attribute of each item (pk, sk, message, ...), as plain values, or DynamoDB's typed JSON with --raw. A table shows pk, sk, user_handle and message, fitted to 100 columns (message cut with an ellipsis, user_handle left out when there is no room); with --wide, every attribute of the page as a column, in full.\n\nExamples:\n  scan\n  scan | jq -r .message\n  scan | head -1                           # stops quietly\n  scan --wide --output table               # every attribute, in full\n  scan prod --limit 10 --output json\n  scan --segments 4 --raw                  # parallel scan, DynamoDB's typed JSON\n  scan prod --max-rcu 10 --output jsonl    # at most 10 read units a second")
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
    let request = ScanRequest {
        limit: args.limit,
        segments: args.segments,
        raw: args.raw,
        capacity: args.capacity.flags(),
    };
    let writer = ItemWriter::new(output::stdout(), args.output.format());
    scan::run(&ctx, &request, &mut Terminal::default(), writer).await
}
