//! `cognito-export`: a user pool (its description, groups, users and memberships) as JSON lines.

use std::path::PathBuf;

use clap::Parser;

use crate::cli;
use crate::cli::args::{CognitoRateArgs, PoolTargetArgs};
use crate::cli::output::{self, Format, Terminal};
use crate::ops::cognito_export::{self, PoolExportRequest};

/// Write a Cognito user pool as JSON lines: first the pool's description (schema attributes,
/// password policy, user name settings: what a new pool needs to accept these users), then one
/// line per group (precedence, role, description), per user (user name, every attribute,
/// enabled, status, created time) and per group membership. `cognito-import` reads it back.
///
/// Every ListUsers (60 a page), ListGroups and ListUsersInGroup page is read and written as it
/// arrives. A file is written under a temporary name beside it and renamed when complete, so a
/// failed export never leaves a truncated file under its name. Passwords are not exported:
/// Cognito never gives them out.
#[derive(Parser, Debug)]
#[command(
    name = "cognito-export",
    version,
    after_help = cli::after_help("Line types (json lines, field \"type\"): pool {format, id, name, schema, username_attributes, alias_attributes, case_sensitive, auto_verified_attributes, password_policy, mfa, admin_create_user_only, estimated_users}, group {name, description, precedence, role_arn}, user {username, attributes, enabled, status, created}, member {group, username}.\n\nExamples:\n  cognito-export --file pool.jsonl                   # the local pool cruddur-user-pool\n  cognito-export prod --user-pool-id us-east-1_AbCdEfGhI --file prod-pool.jsonl\n  cognito-export prod --user-pool-id us-east-1_AbCdEfGhI --file p.jsonl --rate 0.5   # half the quotas\n  cognito-export | jq -c 'select(.type == \"group\")'")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    /// Where to write: a file, or - for standard output.
    #[arg(long, short, value_name = "PATH", default_value = "-")]
    file: PathBuf,

    #[command(flatten)]
    rate: CognitoRateArgs,

    /// Also print the summary (users, groups, memberships, requests, seconds) on stdout in this
    /// format; needs --file (stdout then holds only the summary).
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let pool_name = args.pool.pool.pool_name.clone();
    let request = PoolExportRequest::new(args.file, pool_name, args.rate.pace(), args.output)?;
    let ctx = args.pool.connect().await?;
    cognito_export::run(&ctx, &request, &mut Terminal::default(), output::stdout).await
}
