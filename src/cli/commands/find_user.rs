//! `find-user`: one user from PostgreSQL (and, with `--cognito`, its pool user).

use crate::cli;
use crate::cli::args::{OutputArgs, TargetArgs, UserPoolArgs};
use crate::cli::output::Terminal;
use crate::context::Context;
use crate::ops::find_user;
use clap::{ArgGroup, Parser};
use uuid::Uuid;

/// Print one user from PostgreSQL: uuid, handle, display name, email and Cognito id, found by
/// exactly one of --cognito-user-id, --handle or --uuid. With --cognito, also the user pool's
/// users whose preferred_username is that handle.
///
/// An unknown key is an error naming it. Several users share a Cognito id only while it is MOCK
/// (not synced yet): then every one is printed.
#[derive(Parser, Debug)]
#[command(
    name = "find-user",
    version,
    group(ArgGroup::new("key").required(true).args(["cognito_user_id", "handle", "uuid"])),
    after_help = cli::after_help("Examples:\n  find-user --handle bayko\n  find-user --cognito-user-id 8c1f2a4e-0b6d-4f0e-9a51-3c2d1e0f9a8b --cognito\n  find-user prod --uuid 1f0c6b8a-3d2e-4f5a-9b8c-7d6e5f4a3b2c --output json\n  find-user --handle bayko --cognito --user-pool-id us-east-1_AbCdEfGhI")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// Find the user whose users.cognito_user_id is SUB (a Cognito sub).
    #[arg(long, value_name = "SUB")]
    cognito_user_id: Option<String>,

    /// Find the user with this handle.
    #[arg(long, value_name = "HANDLE")]
    handle: Option<String>,

    /// Find the user with this uuid.
    #[arg(long, value_name = "UUID")]
    uuid: Option<Uuid>,

    /// Also show the pool users whose preferred_username is the user's handle.
    #[arg(long)]
    cognito: bool,

    #[command(flatten)]
    pool: UserPoolArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let key = find_user::account_key(args.cognito_user_id, args.handle, args.uuid)?;
    let config = args
        .target
        .config()?
        .with_user_pool_id(args.pool.user_pool_id);
    let ctx = Context::new(config).await?;
    let pool_name = args.cognito.then_some(args.pool.pool_name.as_str());
    let format = args.output.format();
    find_user::run(&ctx, &key, pool_name, format, &mut Terminal::default()).await
}
