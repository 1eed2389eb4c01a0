//! `table-import`: load DynamoDB JSON lines (from `table-export`, an Export to S3, or
//! `scan --raw`) into the messages table.

use std::path::PathBuf;

use clap::Parser;

use crate::cli;
use crate::cli::args::{BulkWriteArgs, TableTargetArgs};
use crate::cli::commands::backups::ChangeArgs;
use crate::cli::commands::native_s3::S3ImportArgs;
use crate::cli::output::Terminal;
use crate::ops::import::{self, ImportRequest};
use crate::ops::native;

/// Load items into the messages table from DynamoDB JSON lines: what `table-export` writes
/// ({"Item":{...}}), the data files of DynamoDB's native Export to S3 (DYNAMODB_JSON, gzipped;
/// give the files or the downloaded folder, or --s3 and the export's folder in S3), or
/// `scan --raw --output jsonl` lines. Gzip is recognised by its magic bytes. With --s3 and
/// --new-table, DynamoDB's ImportTable creates a new table from the export instead.
///
/// The table must be named (--table, or DDB_MESSAGE_TABLE): the default is the live table that
/// export reads by default, so an import without it is refused, on every target. It must have
/// the messages table's key (pk HASH, sk RANGE). Every line of the files is
/// checked before the first write: a bad line is an error naming the file and line, and nothing
/// is written. Standard input is checked a batch at a time, each batch before it is sent; the
/// error then says how many items were written. Puts overwrite, so a re-run leaves the same
/// table; within one batch the last line of a key wins. On prod it asks first (--yes for CI).
#[derive(Parser, Debug)]
#[command(
    name = "table-import",
    version,
    after_help = cli::after_help("Examples:\n  table-import --file messages.jsonl --table restored-messages\n  table-export | table-import --file - --table copy-of-messages\n  table-import prod --file ./AWSDynamoDB/01700000000000-abcdef12/data --table restored --yes\n  scan --raw --output jsonl | table-import --file - --table other\n  table-import --file messages.jsonl --table copy --dry-run   # check every line, count the items; writes nothing\n  table-import prod --file messages.jsonl --table restored --max-wcu 20 --yes   # at most 20 write units a second\n  table-import prod --file big.jsonl.gz --table restored --checkpoint big.ckpt --yes   # re-run the same to resume\n\nA DynamoDB export in S3 (table-export --s3 prints its folder):\n  table-import prod --s3 s3://my-bucket/exports/messages/AWSDynamoDB/01733000000000-abcdef12/ --table restored --yes\n  table-import prod --s3 s3://…/AWSDynamoDB/01733000000000-abcdef12/ --segment 0 --total-segments 4 --checkpoint part0.ckpt --yes\n  table-import prod --s3 s3://…/AWSDynamoDB/01733000000000-abcdef12/ --new-table restored-messages --yes   # ImportTable: no write capacity\n  table-import --s3 s3://rehearsal/exports/AWSDynamoDB/<folder>/ --export-arn ARN --table copy   # on moto (no manifest)")
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
    bulk: BulkWriteArgs,

    #[command(flatten)]
    change: ChangeArgs,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut ui = Terminal::new(args.change.confirm);
    if let Some(options) = args.s3.new_table_options()? {
        let ctx = args.table.connect().await?;
        return native::import_new_table(&ctx, &options, args.bulk.output, &mut ui).await;
    }
    let config = cli::config(&args.table.target, &args.table.table, &Default::default())?;
    if !config.table_given {
        // The default table is the live one `table-export` reads by default: an export imported back
        // into its own table. Name the table, even to write there on purpose.
        anyhow::bail!(
            "table-import needs the table to write into: --table NAME (or DDB_MESSAGE_TABLE); without \
             it, it would write into {}, the table table-export reads by default; nothing was written \
             (--table {} writes there on purpose)",
            config.table,
            config.table
        );
    }
    let s3 = args.s3.load_options()?;
    let dry_run = args.change.dry_run.dry_run;
    let request = ImportRequest::new(args.file, s3, args.checkpoint, dry_run)?
        .with_safety_net(args.change.safety_net.net());
    let ctx = args.table.connect().await?;
    let bulk = args.bulk.bulk(args.change.dry_run);
    import::run(&ctx, request, args.bulk.writes.options(), &bulk, &mut ui).await
}
