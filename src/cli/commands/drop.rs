//! `drop`: delete a table and wait until it is gone.

use clap::Parser;

use crate::cli::args::{DryRun, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::commands::backups::SafetyNetArgs;
use crate::cli::confirm::Confirmation;
use crate::cli::{self};
use crate::ops::drop::{self as drop_table, DropOutcome, DropPlan};

/// Delete a DynamoDB table and wait until it is gone.
///
/// On prod it asks you to type the table name; without a terminal it refuses unless --yes.
/// On prod it first takes an on-demand backup and waits until it is AVAILABLE (--no-backup
/// skips it), and prints its ARN; the local target takes none.
/// A table with deletion protection is refused, naming the setting, unless
/// --disable-deletion-protection (which turns it off first; on prod it asks for that separately).
/// With --dry-run it says whether the table exists and how many items it holds, and deletes
/// nothing.
/// It prints only messages, on stderr.
#[derive(Parser, Debug)]
#[command(
    name = "drop",
    version,
    after_help = cli::after_help("Examples:\n  drop cruddur-messages                  # local\n  drop cruddur-messages prod             # asks you to type the name\n  drop cruddur-messages --if-exists      # no error when it is missing\n  drop cruddur-messages prod --dry-run   # would it be deleted, and how many items; deletes nothing\n  drop cruddur-messages --if-exists --disable-deletion-protection   # what `just setup` runs\n  drop cruddur-messages prod --no-backup  # no backup first (prod takes one by default)")
)]
pub struct Args {
    /// The table to delete.
    table: String,

    #[command(flatten)]
    target: TargetArgs,

    /// A missing table is not an error.
    #[arg(long)]
    if_exists: bool,

    /// Turn the table's deletion protection off first, if it is on (on prod, after its own
    /// confirmation); without it a protected table is refused.
    #[arg(long)]
    disable_deletion_protection: bool,

    #[command(flatten)]
    safety_net: SafetyNetArgs,

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
    if args.disable_deletion_protection {
        args.confirm.confirm(
            args.target.target(),
            &format!("turn off the deletion protection of table {}", args.table),
            &args.table,
        )?;
    }
    args.confirm.confirm(
        args.target.target(),
        &format!(
            "delete table {}{}",
            args.table,
            args.safety_net.prompt_note()
        ),
        &args.table,
    )?;
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    let dropped = drop_table::drop(
        &ctx,
        &args.table,
        args.if_exists,
        args.disable_deletion_protection,
        args.safety_net.net(),
    );
    match dropped.await? {
        DropOutcome::Dropped {
            unprotected,
            backup,
        } => {
            eprintln!("{}", backup.line(&args.table));
            eprintln!(
                "dropped table {} on {}{}",
                args.table,
                ctx.dynamodb_endpoint,
                if unprotected {
                    " (its deletion protection was turned off first)"
                } else {
                    ""
                }
            )
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
        Ok(DropPlan::Delete { protected, .. })
            if protected && !args.disable_deletion_protection =>
        {
            Err(anyhow::anyhow!(drop_table::protected_message(
                &args.table,
                &ctx.dynamodb_endpoint
            )))
        }
        Ok(DropPlan::Delete { items, protected }) => {
            eprintln!(
                "would {}{}delete table {} on {} (it exists, about {items} items as DescribeTable counts them)",
                match (args.target.target(), args.safety_net.no_backup) {
                    (crate::config::Target::Prod, false) => "take a backup and wait until it is AVAILABLE, then ",
                    _ => "",
                },
                if protected { "turn off deletion protection, then " } else { "" },
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
