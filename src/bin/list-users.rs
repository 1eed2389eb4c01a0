//! `list-users`: every user of the Cognito user pool.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TargetArgs, UserPoolArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::cognito;
use cruddur_ops::context::Context;
use serde_json::json;

/// List every user of the Cognito user pool (all pages): user name, handle
/// (preferred_username) and sub.
///
/// A user without preferred_username is listed with an empty handle and a warning on stderr.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  list-users                              # the local pool cruddur-user-pool\n  list-users --output json | jq -r '.[].handle'\n  list-users prod --user-pool-id us-east-1_AbCdEfGhI"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    pool: UserPoolArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let config = args
            .target
            .config()
            .with_user_pool_id(args.pool.user_pool_id);
        let ctx = Context::new(config).await?;
        let pool_id = cognito::resolve_user_pool_id(&ctx, &args.pool.pool_name).await?;
        let listing = cognito::list_users(&ctx, &pool_id).await?;
        for user in &listing.users {
            if user.handle.is_none() {
                eprintln!(
                    "warning: Cognito user {} has no preferred_username",
                    user.username
                );
            }
        }
        let mut out = std::io::stdout().lock();
        match args.output {
            Format::Table => output::write_table(
                &mut out,
                &["Username", "Handle", "Sub"],
                listing.users.into_iter().map(|u| {
                    vec![
                        u.username,
                        u.handle.unwrap_or_default(),
                        u.sub.unwrap_or_default(),
                    ]
                }),
            ),
            format => output::write_json(
                &mut out,
                format,
                &listing
                    .users
                    .into_iter()
                    .map(|u| {
                        json!({
                            "username": u.username,
                            "handle": u.handle.unwrap_or_default(),
                            "sub": u.sub,
                        })
                    })
                    .collect::<Vec<_>>(),
            ),
        }
        .and_then(|()| out.flush())
        .context("writing the user list")
    })
}
