//! `drop`: delete a table and wait until it is gone.

use clap::Parser;

use crate::cli::args::{DryRun, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::{self};
use crate::ops::drop::{self as drop_table, DropOutcome, DropPlan};

/// Delete a DynamoDB table and wait until it is gone.
///
/// On prod it asks you to type the table name; without a terminal it refuses unless --yes.
/// With --dry-run it says whether the table exists and how many items it holds, and deletes
/// nothing.
/// It prints only messages, on stderr.
#[derive(Parser, Debug)]
#[command(
    name = "drop",
    version,
    after_help = cli::after_help("Examples:\n  drop cruddur-messages                  # local\n  drop cruddur-messages prod             # asks you to type the name\n  drop cruddur-messages --if-exists      # no error when it is missing\n  drop cruddur-messages prod --dry-run   # would it be deleted, and how many items; deletes nothing")
)]
pub struct Args {
    /// The table to delete.
    table: String,

    #[command(flatten)]
    target: TargetArgs,

    /// A missing table is not an error.
    #[arg(long)]
    if_exists: bool,

    #[command(flatten)]
    confirm: Confirmation,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Asks on prod, then deletes the table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.dry_run.dry_run {
        return dry_run(args).await;
    }
    args.confirm.confirm(
        args.target.target(),
        &format!("delete table {}", args.table),
        &args.table,
    )?;
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    match drop_table::drop(&ctx, &args.table, args.if_exists).await? {
        DropOutcome::Dropped => {
            eprintln!("dropped table {} on {}", args.table, ctx.dynamodb_endpoint)
        }
        DropOutcome::Missing => eprintln!(
            "table {} does not exist on {}: nothing to do",
            args.table, ctx.dynamodb_endpoint
        ),
    }
    Ok(())
}

/// Says whether the table would be deleted (with its approximate item count) and deletes nothing.
async fn dry_run(args: Args) -> anyhow::Result<()> {
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    let result = match drop_table::plan_drop(&ctx, &args.table, args.if_exists).await {
        Ok(DropPlan::Delete { items }) => {
            eprintln!(
                "would delete table {} on {} (it exists, about {items} items as DescribeTable counts them)",
                args.table, ctx.dynamodb_endpoint
            );
            Ok(())
        }
        Ok(DropPlan::Missing) => {
            eprintln!(
                "table {} does not exist on {}: nothing to do",
                args.table, ctx.dynamodb_endpoint
            );
            Ok(())
        }
        Err(err) => Err(err),
    };
    args.dry_run.note();
    result
}
