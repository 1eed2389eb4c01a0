//! `table-export`: the messages table as DynamoDB JSON lines (the shape of DynamoDB's Export to S3).

use std::path::PathBuf;

use clap::Parser;

use crate::cli;
use crate::cli::args::{CapacityArgs, DryRun, TableTargetArgs};
use crate::cli::commands::native_s3::S3ExportArgs;
use crate::cli::output::{self, Format, Terminal};
use crate::ops::export::{self, ExportRequest};
use crate::ops::native;

/// Write every item of the messages table as one line of DynamoDB JSON each, in the shape
/// DynamoDB's own Export to S3 writes: {"Item":{"pk":{"S":"..."},...}}. `table-import` reads it back.
/// With --s3, DynamoDB exports the table itself to S3 instead (ExportTableToPointInTime).
///
/// Items are written as the scan's pages arrive (memory stays flat). A file is written under a
/// temporary name beside it and renamed when complete, so a failed export never leaves a
/// truncated file under its name. --segment K --total-segments N exports one disjoint part, so
/// several machines or CI jobs can each export a share of a large table.
#[derive(Parser, Debug)]
#[command(
    name = "table-export",
    version,
    after_help = cli::after_help("Examples:\n  table-export --file messages.jsonl\n  table-export prod --file messages.json.gz --gzip --segments 8\n  table-export --file - | head\n  table-export prod --file part-0.jsonl --segment 0 --total-segments 4   # one of four jobs\n  table-export prod --file messages.jsonl --capacity 20                  # a fifth of the provisioned reads\n  table-export prod --file messages.jsonl --max-rcu 40\n  table-export prod --file messages.json.gz --gzip --checkpoint export.ckpt   # re-run the same to resume\n\nDynamoDB's own export to S3 (no read capacity; needs point-in-time recovery):\n  table-export prod --s3 s3://my-bucket/exports/messages            # waits, prints the manifest\n  table-export prod --s3 s3://my-bucket/exports/messages --output json\n  table-export prod --s3 s3://my-bucket/exports/changes --since 2026-12-06T08:00:00Z   # incremental\n  AWS_ENDPOINT_URL_DYNAMODB=http://localhost:9229 table-export --s3 s3://rehearsal/exports   # on moto")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// Where to write: a file, or - for standard output.
    #[arg(long, short, value_name = "PATH", default_value = "-")]
    file: PathBuf,

    /// Compress with gzip (the file then reads like an Export to S3 data file).
    #[arg(long)]
    gzip: bool,

    /// Scan in N parallel segments inside this process (1 to 64).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        conflicts_with = "segment"
    )]
    segments: u32,

    /// Export only segment K (from 0) of --total-segments: one disjoint part of the table.
    #[arg(long, value_name = "K", requires = "total_segments")]
    segment: Option<u32>,

    /// How many parts the table is split into (with --segment; up to 1,000,000).
    #[arg(long, value_name = "N", requires = "segment")]
    total_segments: Option<u32>,

    /// Record in FILE how far each segment is read and how much of the output is complete, and
    /// resume from it: run the same command again after a failure or a kill and it goes on
    /// (only the pages in flight then are read again). Needs --file; refused for another table,
    /// file or set of options.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,

    #[command(flatten)]
    capacity: CapacityArgs,

    #[command(flatten)]
    s3: S3ExportArgs,

    /// Also print the summary (items, seconds, budget, units consumed) on stdout in this
    /// format; needs --file or --s3 (stdout then holds only the summary).
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,

    /// Say how many items and read units the export would take, and how long at the budget
    /// (from DescribeTable's figures, which DynamoDB refreshes about every six hours); read
    /// nothing, write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut ui = Terminal::default();
    if let Some(options) = args.s3.options()? {
        let ctx = args.table.connect().await?;
        return native::export_to_s3(&ctx, &options, args.output, &mut ui).await;
    }
    let bulk = args.capacity.bulk(
        args.output,
        DryRun {
            dry_run: args.dry_run,
        },
    );
    let part = args.segment.zip(args.total_segments);
    let (scan, checkpoint) = ((args.segments, part), args.checkpoint);
    let request = ExportRequest::new(&args.file, args.gzip, scan, checkpoint, &bulk)?;
    let ctx = args.table.connect().await?;
    export::run(&ctx, request, &bulk, &mut ui, output::stdout).await
}
