//! `list-users`: every user of the Cognito user pool.

use clap::Parser;

use crate::cli;
use crate::cli::args::{OutputArgs, PoolTargetArgs};
use crate::cli::output::Terminal;
use crate::ops::list_users;

/// List every user of the Cognito user pool (all pages): user name, handle
/// (preferred_username) and sub.
///
/// A user without preferred_username is listed with an empty handle and a warning on stderr.
/// A bar on stderr shows the listing's progress when stderr is a terminal.
#[derive(Parser, Debug)]
#[command(
    name = "list-users",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): username, handle, sub.\n\nExamples:\n  list-users                              # the local pool cruddur-user-pool\n  list-users | jq -r .handle\n  list-users --output json | jq length\n  list-users prod --user-pool-id us-east-1_AbCdEfGhI")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// Lists the pool's users and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.pool.connect().await?;
    let (pool_name, format) = (&args.pool.pool.pool_name, args.output.format());
    list_users::run(&ctx, pool_name, format, &mut Terminal::default()).await
}
