//! `drop`: delete a table and wait until it is gone.

use std::process::ExitCode;

use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::TargetArgs;
use cruddur_ops::cli::confirm::Confirmation;
use cruddur_ops::context::Context;
use cruddur_ops::ddb::table::{self, DropOutcome};

/// Delete a DynamoDB table and wait until it is gone.
///
/// On prod it asks you to type the table name; without a terminal it refuses unless --yes.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  drop cruddur-messages                  # local\n  drop cruddur-messages prod             # asks you to type the name\n  drop cruddur-messages --if-exists      # no error when it is missing"
)]
struct Args {
    /// The table to delete.
    table: String,

    #[command(flatten)]
    target: TargetArgs,

    /// A missing table is not an error.
    #[arg(long)]
    if_exists: bool,

    #[command(flatten)]
    confirm: Confirmation,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let target = args.target.target();
        args.confirm
            .confirm(target, &format!("delete table {}", args.table), &args.table)?;
        let ctx = Context::new(args.target.config()).await?;
        match table::drop(&ctx, &args.table, args.if_exists).await? {
            DropOutcome::Dropped => {
                eprintln!("dropped table {} on {}", args.table, ctx.dynamodb_endpoint)
            }
            DropOutcome::Missing => eprintln!(
                "table {} does not exist on {}: nothing to do",
                args.table, ctx.dynamodb_endpoint
            ),
        }
        Ok(())
    })
}
