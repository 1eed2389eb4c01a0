//! `cognito-import` from start to end: the backup read, the pool found, where a checkpoint
//! stands, the plan, a dry run's summary or the confirmation, the restore with a bar, and the
//! summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use super::execute::{self, Destination};
use super::{checkpoint, prepare, Backup, ImportSummary, PASSWORD_NOTE};
use crate::cognito;
use crate::context::Context;
use crate::ops::pace::Pace;
use crate::ops::ui::{Bar, Ui};
use crate::report::Format;

/// What `cognito-import` is asked for.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The `cognito-export` file.
    pub file: PathBuf,
    /// What it holds (read with [`super::read::read_file`] before anything is connected to).
    pub backup: Backup,
    /// The pool's name, to look it up on local when no id is configured.
    pub pool_name: String,
    /// The checkpoint to resume from and record in.
    pub checkpoint: Option<PathBuf>,
    /// Users (or memberships) handled at once.
    pub concurrency: usize,
    /// The request rates.
    pub pace: Pace,
    /// The summary's format on stdout.
    pub format: Format,
    /// Say what would be done; write nothing.
    pub dry_run: bool,
}

/// Restores `request.file` into the pool of `ctx`, telling `ui`.
pub async fn run(ctx: &Context, request: &RestoreRequest, ui: &mut impl Ui) -> Result<()> {
    let started = Instant::now();
    let backup = &request.backup;
    let pool_id = cognito::resolve_user_pool_id(ctx, &request.pool_name).await?;
    let pacer = Arc::new(request.pace.pacer(ctx.target()));
    let mut checkpoint = match &request.checkpoint {
        Some(path) => Some(checkpoint::open(
            path,
            checkpoint::job(ctx, &pool_id, &request.file)?,
        )?),
        None => None,
    };
    if let Some(c) = checkpoint.as_ref().filter(|c| c.resumed) {
        let state = &c.checkpoint.state;
        if c.checkpoint.complete {
            ui.note(&format!(
                "the checkpoint {} says this restore finished ({} users and {} memberships done): \
                 nothing to do",
                c.path.display(),
                state.users_done,
                state.members_done
            ));
            return Ok(());
        }
        ui.note(&format!(
            "resuming from the checkpoint {}: {} of {} users and {} of {} memberships done before",
            c.path.display(),
            state.users_done,
            backup.users.len(),
            state.members_done,
            backup.members.len()
        ));
    }
    let (target, plan) = prepare(ctx, &pacer, &pool_id, backup).await?;
    let planned = ImportSummary::of_plan(&pool_id, &plan, false);
    if planned.users_created > 0 {
        ui.note(PASSWORD_NOTE);
    }
    if request.dry_run {
        let mut summary = ImportSummary::of_plan(&pool_id, &plan, true);
        let stats = pacer.stats();
        (summary.requests, summary.throttled) = (stats.total(), stats.total_throttled());
        ui.emit(&summary, request.format)?;
        ui.dry_run_note(true);
        return Ok(());
    }
    ui.confirm(
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
    let total = (plan.users.len() + plan.members.len()) as u64;
    let mut bar = ui.bar("restoring", Some(total));
    let state = execute::execute(
        &dest,
        &pool_id,
        &plan,
        checkpoint.as_mut(),
        request.concurrency,
        |done, total| bar.show("restoring", done, total),
    )
    .await;
    bar.finish();
    let state = state?;
    let mut summary = ImportSummary::of_run(&pool_id, &plan, &state);
    let stats = pacer.stats();
    (summary.requests, summary.throttled) = (stats.total(), stats.total_throttled());
    ui.emit(&summary, request.format)?;
    ui.note(&format!(
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
        request.pace.describe(ctx.target())
    ));
    Ok(())
}
