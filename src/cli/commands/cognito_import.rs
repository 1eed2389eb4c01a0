//! `cognito-import`: restore a `cognito-export` file into a user pool.

use std::path::PathBuf;

use clap::Parser;

use crate::cli;
use crate::cli::args::{CognitoRateArgs, DryRun, OutputArgs, PoolTargetArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::Terminal;
use crate::ops::cognito_import::{self, RestoreRequest};

/// Restore a `cognito-export` file into a user pool: create the groups it lacks, then each user
/// (AdminCreateUser with every writable attribute, MessageAction=SUPPRESS: no invitation is
/// sent), then each group membership.
///
/// Idempotent: a user who exists (matched by user name, or by email in a pool whose user name
/// is the email) is compared attribute by attribute and updated, never created twice; a re-run
/// after a failure or a kill continues. Every line is checked, and the target pool's schema
/// against every attribute the users carry, before the first write: a pool that cannot hold an
/// attribute is refused, naming it. Passwords cannot be exported: created users are
/// FORCE_CHANGE_PASSWORD and must reset theirs. Paced within Cognito's request-rate quotas on
/// prod (--rate to lower them); throttling slows it down instead of failing it. On prod it asks
/// first (--yes for CI).
#[derive(Parser, Debug)]
#[command(
    name = "cognito-import",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): one object: user_pool_id, dry_run, groups_created, groups_present, users_created, users_updated, users_equal, memberships_added, memberships_present, immutable_differences, skipped_attributes, create_examples, update_examples, requests, throttled.\n\nExamples:\n  cognito-import --file pool.jsonl --pool-name restored-pool\n  cognito-import --file pool.jsonl --pool-name restored-pool --dry-run   # the plan; writes nothing\n  cognito-import prod --user-pool-id us-east-1_NeWpOoL12 --file prod-pool.jsonl --checkpoint restore.ckpt --yes\n  cognito-import prod --user-pool-id us-east-1_NeWpOoL12 --file p.jsonl --rate 0.5 --yes       # half the quotas\n  cognito-import prod --user-pool-id us-east-1_NeWpOoL12 --file p.jsonl --rate UserCreation=10 --yes")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    /// The `cognito-export` file to restore.
    #[arg(long, short, value_name = "PATH")]
    file: PathBuf,

    /// Record in FILE how far the restore got, and resume from it: run the same command again
    /// after a failure or a kill and it skips what is known done. Refused for another file, pool
    /// or endpoint.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,

    /// Users (or memberships) handled at once, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,

    #[command(flatten)]
    rate: CognitoRateArgs,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    confirm: Confirmation,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let request = RestoreRequest {
        backup: cognito_import::read::read_file(&args.file)?,
        file: args.file,
        pool_name: args.pool.pool.pool_name.clone(),
        checkpoint: args.checkpoint,
        concurrency: usize::from(args.concurrency),
        pace: args.rate.pace(),
        format: args.output.format(),
        dry_run: args.dry_run.dry_run,
    };
    let ctx = args.pool.connect().await?;
    cognito_import::run(&ctx, &request, &mut Terminal::new(args.confirm)).await
}
