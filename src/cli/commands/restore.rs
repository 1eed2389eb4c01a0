//! `restore`: a whole table back into a new table, from an on-demand backup or a point in time,
//! with the schema file's settings set again; parses, builds the request, calls
//! [`crate::ops::restore::restore`], renders its report.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::cli::args::{DryRun, OutputArgs, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::emit;
use crate::cli::progress::Progress;
use crate::cli::{self};
use crate::ops::restore::{self, Event, RestoreRequest, Source, ToTime};
use crate::ops::schema_load::TableDefinition;

/// Restore a table into a NEW table, from a backup or to a point in time, and set the schema
/// file's settings that a restore drops (stream, TTL, point-in-time recovery, deletion
/// protection, tags).
///
/// A --to that exists is refused before anything is done. It waits for the new table (at most
/// --wait-timeout), sets the settings, compares its item count with the backup's and, with
/// --verify, compares every item with the source table by key. On prod it asks first.
#[derive(Parser, Debug)]
#[command(
    name = "restore",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): table, from, source_table, dry_run, settings, notes, expected_items, items, verify (compared_with, source_items, restored_items, differences, listed: key, kind).\n\nExamples:\n  restore prod --from-backup arn:aws:dynamodb:…:table/cruddur-messages/backup/0173… --to cruddur-messages-restored\n  restore prod --from-backup cruddur-messages-20261206T184500Z --to restored --yes\n  restore prod --source cruddur-messages --to-time latest --to restored --verify\n  restore prod --source cruddur-messages --to-time 2026-12-06T10:00:00Z --to before-the-import\n  restore prod --from-backup NAME --to restored --dry-run       # checks, says what it would do\n  env AWS_ENDPOINT_URL_DYNAMODB=http://localhost:9229 restore --from-backup NAME --to copy   # on moto")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// The backup to restore: its ARN or its name (as `backups` lists them).
    #[arg(long, value_name = "ARN|NAME", required_unless_present = "source",
          conflicts_with_all = ["source", "to_time"])]
    from_backup: Option<String>,

    /// The table to restore to a point in time (needs point-in-time recovery on it).
    #[arg(long, value_name = "TABLE", requires = "to_time")]
    source: Option<String>,

    /// With --source: `latest` (the latest restorable time) or an RFC 3339 time.
    #[arg(long, value_name = "TIME|latest", requires = "source", value_parser = clap::value_parser!(ToTime))]
    to_time: Option<ToTime>,

    /// The new table (it must not exist).
    #[arg(long, value_name = "NEW_TABLE")]
    to: String,

    /// The definition whose settings are set on the new table [default: the shipped
    /// seeds/messages-table.json].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    /// Compare every item of the restored table with the source table, by key (a parallel scan
    /// of both).
    #[arg(long)]
    verify: bool,

    /// With --verify: compare with this table instead of the source (the backup's table was
    /// dropped, say).
    #[arg(long, value_name = "TABLE", requires = "verify")]
    verify_against: Option<String>,

    /// Seconds to wait for the new table to become ACTIVE, and for each setting after it.
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(0..=604_800))]
    wait_timeout: u64,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    confirm: Confirmation,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Restores, then prints the report; differences found by --verify make it fail.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let schema = TableDefinition::load(args.schema.as_deref())?;
    let (table, pool) = (TableArgs::default(), UserPoolArgs::default());
    let ctx = cli::connect(&args.target, &table, &pool).await?;
    let request = RestoreRequest {
        source: Source::new(&args.from_backup, &args.source, args.to_time)?,
        to: args.to.clone(),
        schema,
        wait_timeout: Duration::from_secs(args.wait_timeout),
        verify_against: args.verify_against.clone(),
        verify_source: args.verify && args.verify_against.is_none(),
        dry_run: args.dry_run.dry_run,
    };
    let (target, confirm, to) = (ctx.target(), args.confirm, args.to.clone());
    let mut approve = |what: &str| confirm.confirm(target, what, &to);
    // The spinner starts after the confirmation, with the first event.
    let mut bar: Option<Progress> = None;
    let mut on_event = |event: Event<'_>| {
        if let Some(text) = event.describe(&to) {
            let phase = format!("restoring table {to}");
            bar.get_or_insert_with(|| Progress::waiting(phase))
                .say(text);
        }
    };
    let report = restore::restore(&ctx, request, &mut approve, &mut on_event).await;
    bar.inspect(Progress::finish);
    let report = report?;
    emit(&report, args.output.format())?;
    for line in report.lines(&ctx.dynamodb_endpoint.to_string()) {
        eprintln!("{line}");
    }
    args.dry_run.note();
    report.differences()
}
