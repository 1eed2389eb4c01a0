//! `import`: load DynamoDB JSON lines (from `export`, an Export to S3, or `scan --raw`) into the
//! messages table.

use std::path::PathBuf;

use clap::Parser;

use crate::cli::args::{BatchWriteArgs, CapacityArgs, DryRun, TableTargetArgs};
use crate::cli::commands::backups::SafetyNetArgs;
use crate::cli::commands::native_s3::{self, S3ImportArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::{emit, Format};
use crate::cli::{self, progress};
use crate::ddb::capacity::{self, Direction};
use crate::ops::backup;
use crate::ops::bulk::BulkSummary;
use crate::ops::import::{self, Source};

/// Load items into the messages table from DynamoDB JSON lines: what `export` writes
/// ({"Item":{...}}), the data files of DynamoDB's native Export to S3 (DYNAMODB_JSON, gzipped;
/// give the files or the downloaded folder, or --s3 and the export's folder in S3), or
/// `scan --raw --output jsonl` lines. Gzip is recognised by its magic bytes. With --s3 and
/// --new-table, DynamoDB's ImportTable creates a new table from the export instead.
///
/// The table must have the messages table's key (pk HASH, sk RANGE). Every line of the files is
/// checked before the first write: a bad line is an error naming the file and line, and nothing
/// is written. Standard input is checked a batch at a time, each batch before it is sent; the
/// error then says how many items were written. Puts overwrite, so a re-run leaves the same
/// table; within one batch the last line of a key wins. On prod it asks first (--yes for CI).
#[derive(Parser, Debug)]
#[command(
    name = "import",
    version,
    after_help = cli::after_help("Examples:\n  import --file messages.jsonl --table restored-messages\n  export | import --file - --table copy-of-messages\n  import prod --file ./AWSDynamoDB/01700000000000-abcdef12/data --yes\n  scan --raw --output jsonl | import --file - --table other\n  import --file messages.jsonl --dry-run      # check every line, count the items; writes nothing\n  import prod --file messages.jsonl --max-wcu 20 --yes   # at most 20 write units a second\n  import prod --file big.jsonl.gz --checkpoint big.ckpt --yes   # re-run the same to resume\n\nA DynamoDB export in S3 (export --s3 prints its folder):\n  import prod --s3 s3://my-bucket/exports/messages/AWSDynamoDB/01733000000000-abcdef12/ --table restored --yes\n  import prod --s3 s3://…/AWSDynamoDB/01733000000000-abcdef12/ --segment 0 --total-segments 4 --checkpoint part0.ckpt --yes\n  import prod --s3 s3://…/AWSDynamoDB/01733000000000-abcdef12/ --new-table restored-messages --yes   # ImportTable: no write capacity\n  import --s3 s3://rehearsal/exports/AWSDynamoDB/<folder>/ --export-arn ARN --table copy   # on moto (no manifest)")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// Where to read: a file (plain or gzip), a folder of *.json.gz files, or - for standard
    /// input. Repeat for several.
    #[arg(long, short, value_name = "PATH", required_unless_present = "s3")]
    file: Vec<PathBuf>,

    #[command(flatten)]
    s3: S3ImportArgs,

    /// Record in FILE how far the input is written, and resume from it: run the same command
    /// again after a failure or a kill and it goes on after the last line known written (only
    /// the batches in flight then are written again). Refused for another table or input.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,

    #[command(flatten)]
    writes: BatchWriteArgs,

    #[command(flatten)]
    capacity: CapacityArgs,

    /// Also print the summary (items, seconds, budget, units consumed) on stdout in this
    /// format; the line on stderr comes either way.
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    safety_net: SafetyNetArgs,

    #[command(flatten)]
    confirm: Confirmation,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.s3.new_table.is_some() {
        return native_s3::import_new_table(&args.table, &args.s3, args.output, &args.confirm)
            .await;
    }
    let from_s3 = args.s3.load_options()?;
    let stdin = args.file.iter().any(|f| f.as_os_str() == "-");
    if stdin && args.file.len() > 1 {
        anyhow::bail!("--file - (standard input) cannot be combined with other files");
    }
    let source = if stdin {
        Source::Stdin
    } else {
        Source::Files(args.file.clone())
    };
    if stdin && args.dry_run.dry_run {
        anyhow::bail!(
            "--dry-run needs files: standard input is checked a batch at a time as it is written \
             (save it to a file and give that)"
        );
    }
    let ctx = args.table.connect().await?;
    let plan = match &from_s3 {
        Some(options) => {
            let (plan, files) =
                native_s3::load_plan(&ctx, options, args.checkpoint.as_deref()).await?;
            eprintln!("reading {}: {}", files.folder, files.note());
            plan
        }
        None => import::prepare(&ctx, source, args.checkpoint.as_deref()).await?,
    };
    let governor =
        capacity::governor_for(&ctx, ctx.table(), Direction::Write, &args.capacity.flags()).await?;
    governor.set_resume(match &args.checkpoint {
        Some(path) => format!(
            "run the same command again (with --checkpoint {}) to go on after the last line \
             written",
            path.display()
        ),
        None => {
            "run it again with --checkpoint FILE to be able to resume a long import".to_string()
        }
    });
    if let Some(c) = plan.checkpoint.as_ref().filter(|c| c.resumed) {
        let state = &c.checkpoint.state;
        let place = match (&plan.source, state.through) {
            (Source::Files(files), Some(mark)) => files
                .get(mark.file)
                .map(|f| format!(" (through {}: line {})", f.display(), mark.line))
                .unwrap_or_default(),
            _ => String::new(),
        };
        if c.checkpoint.complete {
            eprintln!(
                "the checkpoint {} says this import finished ({} items written): nothing to do",
                c.path.display(),
                state.items
            );
        } else {
            eprintln!(
                "resuming from the checkpoint {}: {} items written before{place}",
                c.path.display(),
                state.items
            );
        }
    }
    if args.dry_run.dry_run {
        eprintln!(
            "would write {} items to table {} on {} (every line{} checked): {}",
            plan.items.unwrap_or(0),
            ctx.table(),
            ctx.dynamodb_endpoint,
            if plan.checkpoint.as_ref().is_some_and(|c| c.resumed) {
                " after the checkpoint's mark"
            } else {
                ""
            },
            progress::budget_estimate(plan.units.unwrap_or(0.0), &governor.stats())
        );
        args.dry_run.note();
        return Ok(());
    }
    let what = match plan.items {
        Some(n) => format!("write {n} items to table {}", ctx.table()),
        None => format!("write the items of standard input to table {}", ctx.table()),
    };
    args.confirm.confirm(ctx.target(), &what, ctx.table())?;
    if let Some(saved) = backup::before_import(&ctx, ctx.table(), args.safety_net.net()).await? {
        eprintln!("{}", saved.line(ctx.table()));
    }
    let total = plan.items.unwrap_or(0);
    let mut bar = progress::Progress::new("writing", plan.items).budget(&governor.stats());
    let options = args.writes.options();
    let report = import::execute(&ctx, plan, options, &governor, |done| {
        bar.show("writing", done, total)
    })
    .await;
    bar.finish();
    let report = report?;
    let earlier = match report.earlier {
        Some(n) if n > 0 => format!(" ({n} more were written before, per the checkpoint)"),
        _ => String::new(),
    };
    eprintln!(
        "imported {} items{earlier} into table {} on {} in {:.2} s ({:.0} items/s; {}){}",
        report.written,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.elapsed.as_secs_f64(),
        report.written as f64 / report.elapsed.as_secs_f64().max(1e-9),
        report.capacity,
        if report.duplicates > 0 {
            format!(
                "; {} lines repeated a key of their batch (the later line won)",
                report.duplicates
            )
        } else {
            String::new()
        }
    );
    if let Some(format) = args.output {
        let items = (report.written, report.earlier);
        let seconds = report.elapsed.as_secs_f64();
        emit(
            &BulkSummary::new("import", ctx.table(), items, seconds, &report.capacity),
            format,
        )?;
    }
    Ok(())
}
