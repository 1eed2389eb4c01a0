//! `schema-load`: create the messages table exactly as the app needs it, or plan (and with
//! `--apply`, carry out) the calls that bring an existing table to its definition.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::cli::args::{TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::commands::backups::ChangeArgs;
use crate::cli::output::{Format, Terminal};
use crate::cli::{self, Exit, EXIT_DRIFT};
use crate::ops::schema_load::{self as schema, Drift, SchemaRequest, TableDefinition};

/// Create the messages table, or plan and apply the changes that bring it to its definition.
///
/// A missing table is created (keys, indexes, capacity, stream, deletion protection, tags), then
/// TTL and point-in-time recovery are set; it waits until everything is ACTIVE. An identical table
/// is left alone (exit 0). A table that differs gets a plan: the ordered calls that would bring it
/// to the definition, each with its cost or risk; nothing is changed (exit 3) unless --apply.
/// Changes that would lose data or cannot be made in place are refused with the reason. The plan
/// goes to stderr; --output prints it (and each step's outcome) on stdout.
#[derive(Parser, Debug)]
#[command(
    name = "schema-load",
    version,
    after_help = cli::after_help("Examples:\n  schema-load                          # local DynamoDB\n  schema-load prod                     # create, or print the plan (exit 3 when the table differs)\n  schema-load prod --apply             # carry the plan out; asks you to type the table name\n  schema-load prod --apply --yes       # the same from CI\n  schema-load --apply --allow-index-rebuild   # a GSI's keys or projection changed\n  schema-load --table test-messages\n  schema-load --schema my-table.json   # a create-table --cli-input-json file (+ TTL, PITR)\n  schema-load prod --output json       # the plan as JSON on stdout\n  schema-load; [ $? -eq 3 ] && echo 'the table differs'    # exit 3: drift\n  schema-load prod --apply --allow-index-rebuild --no-backup   # prod takes a backup before deleting or rebuilding an index or changing the billing mode, unless --no-backup")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// Table definition in `aws dynamodb create-table --cli-input-json` form, plus
    /// `TimeToLiveSpecification` and `PointInTimeRecoverySpecification` [default: the shipped
    /// seeds/messages-table.json].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    /// Carry out the plan on an existing table that differs (on prod, after you confirm).
    #[arg(long)]
    apply: bool,

    /// Allow a GSI whose keys or projection changed to be deleted and created again (the index is
    /// unavailable while it rebuilds).
    #[arg(long)]
    allow_index_rebuild: bool,

    /// Seconds to wait, after each step, for the table and its indexes to become ACTIVE (an index
    /// backfill reads the whole table); on expiry the index is left building [default: 1800].
    #[arg(long, value_name = "SECS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(0..=604_800))]
    wait_timeout: u64,

    /// Print the report (the plan, or each step's outcome) on stdout as a table, JSON or JSON
    /// lines [default: messages on stderr only].
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,

    #[command(flatten)]
    change: ChangeArgs,
}

/// Creates the table, or plans (and applies) the changes to it.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let definition = TableDefinition::load(args.schema.as_deref())?;
    let ctx = cli::connect(&args.target, &args.table, &UserPoolArgs::default()).await?;
    let request = SchemaRequest {
        definition,
        schema: args.schema,
        explicit_table: args.table.table.is_some(),
        apply: args.apply,
        allow_index_rebuild: args.allow_index_rebuild,
        wait: Duration::from_secs(args.wait_timeout),
        output: args.output,
        dry_run: args.change.dry_run.dry_run,
        safety_net: args.change.safety_net.net(),
    };
    let mut ui = Terminal::new(args.change.confirm);
    schema::run(&ctx, &request, &mut ui)
        .await
        .map_err(|err| match err.downcast::<Drift>() {
            Ok(drift) => Exit::plain(EXIT_DRIFT, drift.to_string()).into(),
            Err(err) => err,
        })
}
