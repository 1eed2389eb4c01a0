//! Carrying out a restore's [`Plan`]: the missing groups first, then each user (AdminCreateUser
//! with no message, or AdminUpdateUserAttributes, and AdminDisableUser / AdminEnableUser), then
//! each missing membership (AdminAddUserToGroup). Users and memberships go `concurrency` at a
//! time, every request paced by the [`Pacer`]; the checkpoint moves over the unbroken run of
//! finished ones from the first.

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use tokio::task::JoinSet;

use super::checkpoint::{ImportCheckpoint, ImportState, Watermark};
use super::plan::{compare, MemberAction, Plan, UserAction, UserStep};
use crate::cognito::backup;
use crate::cognito::rate::Pacer;
use crate::cognito::records::{PoolDescription, UserRecord};
use crate::context::Context;
use crate::ops::checkpoint::Saver;

/// What happened to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Created,
    Updated,
    Equal,
}

/// Where a restore's work goes: the pool, its description, and the shared pacer.
#[derive(Clone)]
pub struct Destination {
    /// The context (its Cognito client).
    pub ctx: Context,
    /// The pacer every request goes through.
    pub pacer: Arc<Pacer>,
    /// The target pool.
    pub pool: Arc<PoolDescription>,
}

/// Runs `work(i)` for every index in `from..total`, at most `concurrency` at a time, calling
/// `on_done(watermark, outcome)` as each finishes. Stops at the first error (tasks in flight are
/// aborted).
async fn run_all<R, F, Fut>(
    from: u64,
    total: u64,
    concurrency: usize,
    work: F,
    mut on_done: impl FnMut(&Watermark, R) -> Result<()>,
) -> Result<()>
where
    R: Send + 'static,
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<R>> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    let mut watermark = Watermark::at(from);
    let mut next = from;
    loop {
        while next < total && tasks.len() < concurrency.max(1) {
            let index = next;
            let fut = work(index);
            tasks.spawn(async move { (index, fut.await) });
            next += 1;
        }
        let Some(joined) = tasks.join_next().await else {
            return Ok(());
        };
        let (index, outcome) = joined.context("a restore task stopped")?;
        let outcome = outcome?;
        watermark.finished(index);
        on_done(&watermark, outcome)?;
    }
}

async fn apply_user(dest: Destination, pool_id: String, action: UserAction) -> Result<Done> {
    let (ctx, pacer) = (&dest.ctx, dest.pacer.as_ref());
    let login = action.login.as_str();
    match action.step {
        UserStep::Equal => Ok(Done::Equal),
        UserStep::Update {
            attributes,
            enabled,
        } => {
            if !attributes.is_empty() {
                backup::update_attributes(ctx, pacer, &pool_id, login, &attributes).await?;
            }
            if let Some(enabled) = enabled {
                backup::set_enabled(ctx, pacer, &pool_id, login, enabled).await?;
            }
            Ok(Done::Updated)
        }
        UserStep::Create {
            attributes,
            enabled,
        } => {
            if backup::admin_create_user(ctx, pacer, &pool_id, login, &attributes).await? {
                if !enabled {
                    backup::set_enabled(ctx, pacer, &pool_id, login, false).await?;
                }
                return Ok(Done::Created);
            }
            // Created meanwhile (by an earlier run killed in flight, or someone else): compare.
            let current = backup::get_user(ctx, pacer, &pool_id, login)
                .await?
                .with_context(|| format!("user {login} exists and then does not"))?;
            let wanted = UserRecord {
                username: action.username.clone(),
                attributes,
                enabled,
                ..UserRecord::default()
            };
            let (step, _) = compare(&wanted, &current, &dest.pool);
            let update = UserAction { step, ..action };
            Box::pin(apply_user(dest.clone(), pool_id, update)).await
        }
    }
}

/// Carries out `plan` on `pool_id`, recording progress in `checkpoint` (when given) and calling
/// `on_progress(users and memberships done, of all)` as it goes. Returns the state over every
/// run.
pub async fn execute(
    dest: &Destination,
    pool_id: &str,
    plan: &Plan,
    checkpoint: Option<&mut ImportCheckpoint>,
    concurrency: usize,
    mut on_progress: impl FnMut(u64, u64),
) -> Result<ImportState> {
    let mut state = checkpoint
        .as_ref()
        .map(|c| c.checkpoint.state.clone())
        .unwrap_or_default();
    let saver = checkpoint.as_ref().map(|c| Saver::start(&c.path, None));
    let mut snapshot = checkpoint.map(|c| &mut c.checkpoint);
    let mut save = |state: &ImportState| -> Result<()> {
        if let (Some(saver), Some(c)) = (&saver, snapshot.as_deref_mut()) {
            c.state = state.clone();
            saver.offer(c);
            if let Some(err) = saver.failure() {
                return Err(err);
            }
        }
        Ok(())
    };
    let (users, members) = (plan.users.len() as u64, plan.members.len() as u64);
    let total = users + members;
    if !state.groups_done {
        for group in &plan.groups_to_create {
            if backup::create_group(&dest.ctx, &dest.pacer, pool_id, group).await? {
                state.groups_created += 1;
            }
        }
        state.groups_done = true;
        save(&state)?;
    }
    on_progress(state.users_done + state.members_done, total);
    let actions = Arc::new(plan.users.clone());
    run_all(
        state.users_done,
        users,
        concurrency,
        |i| {
            let action = actions[i as usize].clone();
            apply_user(dest.clone(), pool_id.to_string(), action)
        },
        |mark, done| {
            match done {
                Done::Created => state.users_created += 1,
                Done::Updated => state.users_updated += 1,
                Done::Equal => {}
            }
            state.users_done = mark.done();
            on_progress(state.users_done + state.members_done, total);
            save(&state)
        },
    )
    .await?;
    let memberships: Arc<Vec<MemberAction>> = Arc::new(plan.members.clone());
    run_all(
        state.members_done,
        members,
        concurrency,
        |i| {
            let member = memberships[i as usize].clone();
            let (dest, pool_id) = (dest.clone(), pool_id.to_string());
            async move {
                if member.present {
                    return Ok(false);
                }
                backup::add_to_group(
                    &dest.ctx,
                    &dest.pacer,
                    &pool_id,
                    &member.login,
                    &member.group,
                )
                .await?;
                Ok(true)
            }
        },
        |mark, added| {
            if added {
                state.members_added += 1;
            }
            state.members_done = mark.done();
            on_progress(state.users_done + state.members_done, total);
            save(&state)
        },
    )
    .await?;
    if let (Some(saver), Some(c)) = (saver, snapshot) {
        c.state = state.clone();
        c.complete = true;
        saver.offer(c);
        saver.close()?;
    }
    Ok(state)
}
