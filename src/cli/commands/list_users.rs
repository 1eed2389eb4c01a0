//! `list-users`: every user of the Cognito user pool.

use std::time::Instant;

use clap::Parser;

use crate::cli::args::{OutputArgs, PoolTargetArgs};
use crate::cli::output::{self, Row};
use crate::cli::{self};
use crate::cognito::CognitoUser;
use crate::ops::list_users;
use crate::text::count;

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

impl Row for CognitoUser {
    const COLUMNS: &'static [&'static str] = &["Username", "Handle", "Sub"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.username.clone(),
            self.handle.clone().unwrap_or_default(),
            self.sub.clone().unwrap_or_default(),
        ]
    }
}

/// Lists the pool's users and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.pool.connect().await?;
    let pool_id = list_users::pool_id(&ctx, &args.pool.pool.pool_name).await?;
    let started = Instant::now();
    let bar = super::users_bar(&ctx, &pool_id).await;
    let listing = list_users::list(&ctx, &pool_id, |n| bar.set(n as u64)).await?;
    bar.finish();
    eprintln!(
        "listed {} of user pool {pool_id} in {} ({:.2} s)",
        count(listing.users.len() as u64, "user", "users"),
        count(listing.pages as u64, "ListUsers page", "ListUsers pages"),
        started.elapsed().as_secs_f64()
    );
    for user in list_users::without_handle(&listing) {
        eprintln!(
            "warning: Cognito user {} has no preferred_username",
            user.username
        );
    }
    output::emit(&listing.users, args.output.format())
}
