//! `export`: the messages table as DynamoDB JSON lines (the shape of DynamoDB's Export to S3).

use std::io::{self, BufWriter};
use std::path::PathBuf;

use crate::cli;
use crate::cli::args::{CapacityArgs, TableArgs, TargetArgs, UserPoolArgs};
use crate::ddb::capacity::{self, Direction};
use crate::ddb::scan::{Part, ScanOptions};
use crate::ops::export::{self, ExportFile, MaybeGzip};
use anyhow::Context as _;
use clap::Parser;

/// Write every item of the messages table as one line of DynamoDB JSON each, in the shape
/// DynamoDB's own Export to S3 writes: {"Item":{"pk":{"S":"..."},...}}. `import` reads it back.
///
/// Items are written as the scan's pages arrive (memory stays flat). A file is written under a
/// temporary name beside it and renamed when complete, so a failed export never leaves a
/// truncated file under its name. --segment K --total-segments N exports one disjoint part, so
/// several machines or CI jobs can each export a share of a large table.
#[derive(Parser, Debug)]
#[command(
    name = "export",
    version,
    after_help = cli::after_help("Examples:\n  export --file messages.jsonl\n  export prod --file messages.json.gz --gzip --segments 8\n  export --file - | head\n  export prod --file part-0.jsonl --segment 0 --total-segments 4   # one of four jobs\n  export prod --file messages.jsonl --capacity 20                  # a fifth of the provisioned reads\n  export prod --file messages.jsonl --max-rcu 40")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

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

    #[command(flatten)]
    capacity: CapacityArgs,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.file.as_os_str() != "-" {
        export::check_destination(&args.file)?;
    }
    let ctx = cli::connect(&args.target, &args.table, &UserPoolArgs::default()).await?;
    let options = ScanOptions {
        segments: args.segments,
        part: args
            .segment
            .zip(args.total_segments)
            .map(|(index, total)| Part { index, total }),
        ..ScanOptions::default()
    };
    let governor =
        capacity::governor_for(&ctx, ctx.table(), Direction::Read, &args.capacity.flags()).await?;
    let (report, place) = if args.file.as_os_str() == "-" {
        let stdout = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
        let mut out = MaybeGzip::new(stdout, args.gzip);
        let report = export::export(&ctx, options, &governor, &mut out).await?;
        out.finish().context("writing the export")?;
        (report, "standard output".to_string())
    } else {
        let mut file = ExportFile::create(&args.file, args.gzip)?;
        let report = export::export(&ctx, options, &governor, file.writer()).await?;
        let path = file.commit()?;
        (report, path.display().to_string())
    };
    eprintln!(
        "exported {} items of table {} on {} to {place} in {:.2} s ({})",
        report.items,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.elapsed.as_secs_f64(),
        report.capacity
    );
    Ok(())
}
