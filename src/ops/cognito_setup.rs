//! `cognito-setup`: the local Cognito user pool and its users, created when missing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cognito::rate::{Pacer, Rates};
use crate::cognito::{create_pool, create_user, find_pool_by_name, list_users, NewUser};
use crate::config::Target;
use crate::context::Context;
use crate::ops::sync_users;
use crate::ops::ui::Ui;
use crate::pg;
use crate::report::Format;

/// `cognito-setup`: the pool `pool_name` and a user for each database user without one (only
/// said with `dry_run`); hands the report to `ui` in `format`.
pub async fn run(
    ctx: &Context,
    pool_name: &str,
    report: (bool, Format),
    ui: &mut impl Ui,
) -> Result<()> {
    let (dry_run, format) = report;
    let client = pg::connect(&ctx.config).await?;
    let rows = sync_users::db_users(&client).await?;
    let new_users = sync_users::new_users(&rows);
    let report = if dry_run {
        plan_local_pool(ctx, pool_name, &new_users).await?
    } else {
        setup_local_pool(ctx, pool_name, &new_users).await?
    };
    ui.emit(&report, format)?;
    ui.dry_run_note(dry_run);
    Ok(())
}

/// How many AdminCreateUser requests run at once.
const CREATE_CONCURRENCY: usize = 8;
/// How long a user creation may stay throttled before it fails (unpaced otherwise: the pool is
/// local).
const THROTTLED_AT_MOST: Duration = Duration::from_secs(60);

/// What [`setup_local_pool`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SetupReport {
    /// The pool's name.
    pub pool_name: String,
    /// The pool's id.
    pub pool_id: String,
    /// Whether the pool was created now (false: it existed).
    pub pool_created: bool,
    /// Handles of the users created now.
    pub created: Vec<String>,
    /// Handles of the users that already existed.
    pub found: Vec<String>,
    /// A dry run ([`plan_local_pool`]): `pool_created` and `created` say what would be created,
    /// and nothing was.
    pub dry_run: bool,
}

/// On the local emulator only: creates the pool `pool_name` if absent and one user per entry of
/// `users` if absent (matched by `preferred_username`, or by user name), with the invitation
/// message suppressed. Idempotent.
pub async fn setup_local_pool(
    ctx: &Context,
    pool_name: &str,
    users: &[NewUser],
) -> Result<SetupReport> {
    setup(ctx, pool_name, users, false).await
}

/// What [`setup_local_pool`] would do, from reads only (the pool's existence and its users):
/// the report of `cognito-setup --dry-run`, with `dry_run` set. Creates nothing.
pub async fn plan_local_pool(
    ctx: &Context,
    pool_name: &str,
    users: &[NewUser],
) -> Result<SetupReport> {
    setup(ctx, pool_name, users, true).await
}

async fn setup(
    ctx: &Context,
    pool_name: &str,
    users: &[NewUser],
    dry_run: bool,
) -> Result<SetupReport> {
    if ctx.target() != Target::Local {
        bail!(
            "cognito-setup only works on the local Cognito emulator, not on {}: \
             the production pool is managed outside this toolkit",
            ctx.target()
        );
    }
    let mut report = SetupReport {
        pool_name: pool_name.to_string(),
        dry_run,
        ..SetupReport::default()
    };
    report.pool_id = match find_pool_by_name(ctx, pool_name).await? {
        Some(id) => id,
        None if dry_run => {
            // A new pool has no users: every one would be created.
            report.pool_created = true;
            report.created = users.iter().map(|u| u.handle.clone()).collect();
            report.created.sort();
            return Ok(report);
        }
        None => {
            report.pool_created = true;
            create_pool(ctx, pool_name).await?
        }
    };
    let existing = list_users(ctx, &report.pool_id).await?;
    let mut known: HashSet<String> = HashSet::new();
    for user in existing.users {
        known.extend(user.handle);
        known.insert(user.username);
    }
    let (found, missing): (Vec<&NewUser>, Vec<&NewUser>) =
        users.iter().partition(|u| known.contains(&u.handle));
    report.found = found.iter().map(|u| u.handle.clone()).collect();
    if dry_run {
        report.created = missing.iter().map(|u| u.handle.clone()).collect();
        report.created.sort();
        report.found.sort();
        return Ok(report);
    }
    for (handle, created) in create_users(ctx, &report.pool_id, missing).await? {
        if created {
            report.created.push(handle);
        } else {
            report.found.push(handle);
        }
    }
    report.created.sort();
    report.found.sort();
    Ok(report)
}

/// Creates `users` (a few at a time). Returns each handle with `true` if it was created, `false`
/// if a user of that name already existed.
async fn create_users(
    ctx: &Context,
    pool_id: &str,
    users: Vec<&NewUser>,
) -> Result<Vec<(String, bool)>> {
    let permits = Arc::new(Semaphore::new(CREATE_CONCURRENCY));
    let pacer = Arc::new(Pacer::new(Rates::unlimited(), THROTTLED_AT_MOST));
    let mut tasks = JoinSet::new();
    for user in users {
        let (ctx, pool_id, user, permits, pacer) = (
            ctx.clone(),
            pool_id.to_string(),
            user.clone(),
            permits.clone(),
            pacer.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let created = create_user(&ctx, &pacer, &pool_id, &user).await?;
            anyhow::Ok((user.handle, created))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        done.push(joined.context("a user-creation task failed")??);
    }
    Ok(done)
}
