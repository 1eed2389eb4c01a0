//! `scan`: print every item of the messages table as it arrives.

use std::io::{self, BufWriter};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{Format, ItemWriter};
use cruddur_ops::ddb::scan::{self, ScanOptions};

/// Print every item of the messages table (all pages), as the pages arrive.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  scan\n  scan --output jsonl | jq .message\n  scan prod --limit 10 --output json\n  scan --segments 4 --output jsonl --raw   # parallel scan, DynamoDB's typed JSON"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,

    /// Keep DynamoDB's typed JSON ({"S": "..."}) instead of plain values.
    #[arg(long)]
    raw: bool,

    /// Stop after N items (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,

    /// Scan in N parallel segments (1 to 64); items then arrive in no particular order.
    #[arg(long, value_name = "N", default_value_t = 1)]
    segments: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let ctx = cli::connect(&args.target, &args.table).await?;
        let options = ScanOptions {
            limit: args.limit,
            segments: args.segments,
            ..ScanOptions::default()
        };
        let mut writer = ItemWriter::new(
            BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
            args.output,
            args.raw,
        );
        scan::scan_pages(&ctx, ctx.table(), options, |page| {
            writer.write_page(page).context("writing items")
        })
        .await?;
        writer.finish().context("writing items")?;
        Ok(())
    })
}
