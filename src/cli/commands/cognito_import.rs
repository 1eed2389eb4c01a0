//! `cognito-import`: restore a `cognito-export` file into a user pool.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use crate::cli;
use crate::cli::args::{CognitoRateArgs, DryRun, OutputArgs, PoolTargetArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::emit;
use crate::cli::progress::Progress;
use crate::cognito;
use crate::ops::cognito_import::execute::{self, Destination};
use crate::ops::cognito_import::{self, checkpoint, read, ImportSummary, PASSWORD_NOTE};

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
    let started = std::time::Instant::now();
    let backup = read::read_file(&args.file)?;
    let ctx = args.pool.connect().await?;
    let pool_id = cognito::resolve_user_pool_id(&ctx, &args.pool.pool.pool_name).await?;
    let pacer = Arc::new(args.rate.pacer(ctx.target()));
    let mut checkpoint = match &args.checkpoint {
        Some(path) => Some(checkpoint::open(
            path,
            checkpoint::job(&ctx, &pool_id, &args.file)?,
        )?),
        None => None,
    };
    if let Some(c) = checkpoint.as_ref().filter(|c| c.resumed) {
        let state = &c.checkpoint.state;
        if c.checkpoint.complete {
            eprintln!(
                "the checkpoint {} says this restore finished ({} users and {} memberships done): \
                 nothing to do",
                c.path.display(),
                state.users_done,
                state.members_done
            );
            return Ok(());
        }
        eprintln!(
            "resuming from the checkpoint {}: {} of {} users and {} of {} memberships done before",
            c.path.display(),
            state.users_done,
            backup.users.len(),
            state.members_done,
            backup.members.len()
        );
    }
    let (target, plan) = cognito_import::prepare(&ctx, &pacer, &pool_id, &backup).await?;
    let planned = ImportSummary::of_plan(&pool_id, &plan, false);
    if planned.users_created > 0 {
        eprintln!("{PASSWORD_NOTE}");
    }
    let format = args.output.format();
    if args.dry_run.dry_run {
        let mut summary = ImportSummary::of_plan(&pool_id, &plan, true);
        let stats = pacer.stats();
        (summary.requests, summary.throttled) = (stats.total(), stats.total_throttled());
        emit(&summary, format)?;
        args.dry_run.note();
        return Ok(());
    }
    args.confirm.confirm(
        ctx.target(),
        &format!(
            "restore {} users ({} to create, {} to update) into user pool {pool_id}",
            backup.users.len(),
            planned.users_created,
            planned.users_updated
        ),
        &pool_id,
    )?;
    let dest = Destination {
        ctx: ctx.clone(),
        pacer: pacer.clone(),
        pool: Arc::new(target.pool),
    };
    let mut bar = Progress::new(
        "restoring",
        Some((plan.users.len() + plan.members.len()) as u64),
    );
    let state = execute::execute(
        &dest,
        &pool_id,
        &plan,
        checkpoint.as_mut(),
        usize::from(args.concurrency),
        |done, total| bar.show("restoring", done, total),
    )
    .await;
    bar.finish();
    let state = state?;
    let mut summary = ImportSummary::of_run(&pool_id, &plan, &state);
    let stats = pacer.stats();
    (summary.requests, summary.throttled) = (stats.total(), stats.total_throttled());
    emit(&summary, format)?;
    eprintln!(
        "restored {} users ({} created, {} updated) and {} memberships ({} added) into user pool \
         {pool_id} on {} in {:.2} s ({} requests, {} throttled; {})",
        plan.users.len(),
        summary.users_created,
        summary.users_updated,
        plan.members.len(),
        summary.memberships_added,
        ctx.cognito_endpoint,
        started.elapsed().as_secs_f64(),
        summary.requests,
        summary.throttled,
        args.rate.describe(ctx.target())
    );
    Ok(())
}
