//! `schema-load`: create the messages table exactly as the app needs it.

use std::path::PathBuf;

use clap::Parser;

use crate::cli::args::{DryRun, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::{self, Exit, EXIT_DRIFT};
use crate::ops::schema_load::{self, LoadOutcome, TableDefinition};
use crate::text::count;

/// Create the messages table (keys, GSI, throughput, stream) and wait until it is ACTIVE.
///
/// An existing identical table is left alone (exit 0); an existing table that differs is
/// reported difference by difference on stderr and left alone (exit 3). Nothing is ever deleted.
#[derive(Parser, Debug)]
#[command(
    name = "schema-load",
    version,
    after_help = cli::after_help("Examples:\n  schema-load                          # local DynamoDB\n  schema-load prod\n  schema-load --table test-messages\n  schema-load --schema my-table.json   # any create-table --cli-input-json file\n  schema-load prod --dry-run           # what would be created; creates nothing\n  schema-load; [ $? -eq 3 ] && echo 'the table differs'    # exit 3: drift")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// Table definition in `aws dynamodb create-table --cli-input-json` form [default: the shipped seeds/messages-table.json].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Creates the table, or compares it with the definition.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut def = TableDefinition::load(args.schema.as_deref())?;
    let ctx = cli::connect(&args.target, &args.table, &UserPoolArgs::default()).await?;
    let explicit = args.table.table.is_some();
    if let Some(note) = def.retarget(args.schema.as_deref(), ctx.table(), explicit)? {
        eprintln!("note: {note}");
    }
    let name = &def.table_name;
    let outcome = if args.dry_run.dry_run {
        schema_load::plan(&ctx, &def).await?
    } else {
        schema_load::load(&ctx, &def).await?
    };
    let result = match outcome {
        LoadOutcome::WouldCreate => {
            eprintln!(
                "would create table {name} on {}: {}",
                ctx.dynamodb_endpoint,
                def.summary()
            );
            Ok(())
        }
        LoadOutcome::Created => {
            eprintln!("created table {name} on {}: ACTIVE", ctx.dynamodb_endpoint);
            Ok(())
        }
        LoadOutcome::Unchanged => {
            eprintln!(
                "table {name} already exists on {} exactly as defined: nothing to do",
                ctx.dynamodb_endpoint
            );
            Ok(())
        }
        LoadOutcome::Differs(diffs) => {
            eprintln!(
                "table {name} exists on {} but differs from the definition:",
                ctx.dynamodb_endpoint
            );
            for diff in &diffs {
                eprintln!("  - {diff}");
            }
            Err(Exit::new(
                EXIT_DRIFT,
                format!(
                    "table {name} differs from the definition in {}; nothing was changed",
                    count(diffs.len() as u64, "way", "ways")
                ),
            )
            .into())
        }
    };
    args.dry_run.note();
    result
}
