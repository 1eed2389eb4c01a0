//! `drop`: delete a table and wait until it is gone.

use clap::Parser;

use crate::cli;
use crate::cli::args::{TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::commands::backups::ChangeArgs;
use crate::cli::output::Terminal;
use crate::ops::drop::{self, DropRequest};

/// Delete a DynamoDB table and wait until it is gone.
///
/// On prod it asks you to type the table name; without a terminal it refuses unless --yes.
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
    change: ChangeArgs,
}

/// Asks on prod, then deletes the table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let request = DropRequest {
        table: args.table,
        if_exists: args.if_exists,
        disable_deletion_protection: args.disable_deletion_protection,
        dry_run: args.change.dry_run.dry_run,
        safety_net: args.change.safety_net.net(),
    };
    let (no_table, no_pool) = (TableArgs::default(), UserPoolArgs::default());
    let connect = cli::connect(&args.target, &no_table, &no_pool);
    let mut ui = Terminal::new(args.change.confirm);
    drop::run(args.target.target(), connect, &request, &mut ui).await
}
