//! `update-cognito-user-ids`: copy each Cognito user's sub into users.cognito_user_id.

use clap::Parser;

use crate::cli;
use crate::cli::args::{DryRun, OutputArgs, PoolTargetArgs};
use crate::cli::output::Terminal;
use crate::context::Context;
use crate::ops::sync_users;

/// Copy each Cognito user's sub into users.cognito_user_id where users.handle =
/// preferred_username.
///
/// Reads every ListUsers page (a bar on stderr when it is a terminal), then writes every change
/// in one transaction with one statement: a failure leaves the table as it was. Reports what was
/// updated, what was already right, and what could not be matched. The database is
/// CONNECTION_URL (local) or PROD_CONNECTION_URL (prod; TLS when the URL says sslmode=require).
#[derive(Parser, Debug)]
#[command(
    name = "update-cognito-user-ids",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): one object: dry_run, cognito_users, pages, updated {count, users [{handle, from, to}]}, already_correct {count, handles}, unmatched_cognito [{handle, username}], missing_in_cognito, without_preferred_username, without_sub, ambiguous [{handle, usernames}].\n\nExamples:\n  update-cognito-user-ids                 # local pool and database\n  update-cognito-user-ids --dry-run       # report only, write nothing\n  update-cognito-user-ids prod --user-pool-id us-east-1_AbCdEfGhI --output json")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    output: OutputArgs,
}

/// Syncs the ids and prints the report.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.pool.config()?;
    // Fail on a missing database URL before reading Cognito.
    config.database_url()?;
    let ctx = Context::new(config).await?;
    let (pool_name, dry_run) = (&args.pool.pool.pool_name, args.dry_run.dry_run);
    let mut ui = Terminal::default();
    sync_users::run(&ctx, pool_name, dry_run, args.output.format(), &mut ui).await
}
