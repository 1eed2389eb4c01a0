//! `table-export`: the messages table as DynamoDB JSON lines (the shape of DynamoDB's Export to S3).

use std::io::{self, BufWriter};
use std::path::PathBuf;

use crate::cli;
use crate::cli::args::{CapacityArgs, DryRun, TableTargetArgs};
use crate::cli::commands::native_s3::{self, S3ExportArgs};
use crate::cli::output::{emit, Format};
use crate::cli::progress;
use crate::ddb::capacity::{self, Direction};
use crate::ddb::scan::{Part, ScanOptions};
use crate::ops::bulk::BulkSummary;
use crate::ops::export::resume::{self, ResumableExport};
use crate::ops::export::{self, ExportFile, MaybeGzip};
use anyhow::Context as _;
use clap::Parser;

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
    if args.s3.s3.is_some() {
        return native_s3::export(&args.table, &args.s3, args.output).await;
    }
    let stdout = args.file.as_os_str() == "-";
    if stdout && args.output.is_some() {
        anyhow::bail!(
            "--output needs --file: the items go to standard output, so the summary cannot"
        );
    }
    if !stdout {
        export::check_destination(&args.file)?;
    } else if args.checkpoint.is_some() {
        anyhow::bail!(
            "--checkpoint needs --file: what went to standard output cannot be taken back, so \
             an export to it cannot be resumed"
        );
    }
    let ctx = args.table.connect().await?;
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
    if args.dry_run {
        let estimate = export::estimate(&ctx, &options).await?;
        eprintln!(
            "would export about {} items ({} bytes) of table {} on {}: {}",
            estimate.items,
            estimate.bytes,
            ctx.table(),
            ctx.dynamodb_endpoint,
            progress::budget_estimate(estimate.units, &governor.stats())
        );
        eprintln!("{}", DryRun::NOTE);
        return Ok(());
    }
    governor.set_resume(match &args.checkpoint {
        Some(path) => format!(
            "run the same command again (with --checkpoint {}) to go on where each segment \
             stopped",
            path.display()
        ),
        None => {
            "run it again with --checkpoint FILE to be able to resume a long export".to_string()
        }
    });
    let (report, place) = if let Some(checkpoint) = &args.checkpoint {
        let job = resume::job(&ctx, &args.file, args.gzip, &options)?;
        let mut export = ResumableExport::open(&args.file, args.gzip, checkpoint, job)?;
        if export.is_complete()? {
            eprintln!(
                "the checkpoint {} says this export to {} finished: nothing to do",
                checkpoint.display(),
                args.file.display()
            );
            return Ok(());
        }
        if let Some(state) = export.resumed() {
            eprintln!(
                "resuming from the checkpoint {}: {} items ({} bytes) exported before",
                checkpoint.display(),
                state.items,
                state.bytes
            );
        }
        let report = export.run(&ctx, options, &governor).await?;
        (report, args.file.display().to_string())
    } else if stdout {
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
    let earlier = match report.earlier {
        Some(n) if n > 0 => format!(" ({n} more were exported before, per the checkpoint)"),
        _ => String::new(),
    };
    eprintln!(
        "exported {} items{earlier} of table {} on {} to {place} in {:.2} s ({})",
        report.items,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.elapsed.as_secs_f64(),
        report.capacity
    );
    if let Some(format) = args.output {
        let items = (report.items, report.earlier);
        let seconds = report.elapsed.as_secs_f64();
        emit(
            &BulkSummary::new(
                "table-export",
                ctx.table(),
                items,
                seconds,
                &report.capacity,
            ),
            format,
        )?;
    }
    Ok(())
}
