//! `find-user`: one user from PostgreSQL (and, with `--cognito`, its pool user).

use std::process::ExitCode;

use clap::{ArgGroup, Parser};
use cruddur_ops::cli;
use cruddur_ops::cli::args::{OutputArgs, TargetArgs, UserPoolArgs};
use cruddur_ops::cli::output::emit;
use cruddur_ops::cognito;
use cruddur_ops::config::Config;
use cruddur_ops::context::Context;
use cruddur_ops::ops::find_user;
use cruddur_ops::pg::AccountKey;
use uuid::Uuid;

/// Print one user from PostgreSQL: uuid, handle, display name, email and Cognito id, found by
/// exactly one of --cognito-user-id, --handle or --uuid. With --cognito, also the user pool's
/// users whose preferred_username is that handle.
///
/// An unknown key is an error naming it. Several users share a Cognito id only while it is MOCK
/// (not synced yet): then every one is printed.
#[derive(Parser, Debug)]
#[command(
    version,
    group(ArgGroup::new("key").required(true).args(["cognito_user_id", "handle", "uuid"])),
    after_help = "Examples:\n  find-user --handle bayko\n  find-user --cognito-user-id 8c1f2a4e-... --cognito\n  find-user prod --uuid 1f0c... --output json\n  find-user --handle bayko --cognito --user-pool-id us-east-1_AbCdEfGhI"
)]
struct Args {
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

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let key = match (args.cognito_user_id, args.handle, args.uuid) {
            (Some(sub), _, _) => AccountKey::CognitoUserId(sub),
            (_, Some(handle), _) => AccountKey::Handle(handle),
            (_, _, Some(uuid)) => AccountKey::Uuid(uuid),
            _ => unreachable!("clap requires one of the keys"),
        };
        let config =
            Config::from_env(args.target.target()).with_user_pool_id(args.pool.user_pool_id);
        let ctx = Context::new(config).await?;
        let pool_id = match args.cognito {
            true => Some(cognito::resolve_user_pool_id(&ctx, &args.pool.pool_name).await?),
            false => None,
        };
        let report = find_user::find_user(&ctx, &key, pool_id.as_deref()).await?;
        emit(&report, args.output.format())
    })
}
