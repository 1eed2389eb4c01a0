//! `cognito-import`: restore a `cognito-export` file into a user pool. [`read`] checks the
//! whole file, [`prepare`] reads what the target pool holds and makes the [`Plan`] (or refuses
//! a pool whose schema cannot hold the users, before any write), [`execute`] carries it out
//! within Cognito's request-rate quotas, resumable with a [`checkpoint`].
//!
//! Passwords cannot be exported: every created user is FORCE_CHANGE_PASSWORD with a temporary
//! password no one was sent (MessageAction=SUPPRESS: no e-mail, no SMS), and must reset it.

pub mod checkpoint;
pub mod execute;
pub mod plan;
pub mod read;
mod run;

use std::collections::BTreeSet;

use anyhow::Result;
use serde::Serialize;

use crate::cognito::backup;
use crate::cognito::rate::Pacer;
use crate::context::Context;
use crate::report::Report;

pub use checkpoint::ImportState;
pub use plan::{Plan, Target, UserStep};
pub use read::Backup;
pub use run::{run, RestoreRequest};

/// The status an imported user ends in, and what it means.
pub const PASSWORD_NOTE: &str = "passwords cannot be exported: every created user is \
     FORCE_CHANGE_PASSWORD with a temporary password no one was sent (no invitation, no e-mail) \
     and must reset it (README: Cognito backup and restore)";

/// What the target pool holds: its description, users, groups and the memberships of the
/// file's groups that it has.
pub async fn read_target(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    backup: &Backup,
) -> Result<Target> {
    let pool = backup::describe_pool(ctx, pacer, pool_id).await?;
    let mut users = Vec::new();
    backup::for_each_user_page(ctx, pacer, pool_id, |page| {
        users.extend(page);
        Ok(())
    })
    .await?;
    let groups: BTreeSet<String> = backup::list_groups(ctx, pacer, pool_id)
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let mut members = BTreeSet::new();
    for group in backup.groups.iter().filter(|g| groups.contains(&g.name)) {
        backup::for_each_member_page(ctx, pacer, pool_id, &group.name, |names| {
            members.extend(names.into_iter().map(|n| (group.name.clone(), n)));
            Ok(())
        })
        .await?;
    }
    Ok(Target {
        pool,
        users,
        groups,
        members,
    })
}

/// Reads the target pool and plans the restore of `backup` into it; refuses (before any write)
/// a pool whose schema cannot hold the users.
pub async fn prepare(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    backup: &Backup,
) -> Result<(Target, Plan)> {
    let target = read_target(ctx, pacer, pool_id, backup).await?;
    let plan = plan::plan(backup, &target)?;
    Ok((target, plan))
}

/// A restore's plan or outcome in numbers, with a few names of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// The target pool.
    pub user_pool_id: String,
    /// A dry run: the counts are what would be done.
    pub dry_run: bool,
    /// Groups created (or to create).
    pub groups_created: u64,
    /// Groups the pool had already.
    pub groups_present: u64,
    /// Users created (or to create).
    pub users_created: u64,
    /// Users updated (or to update).
    pub users_updated: u64,
    /// Users already equal.
    pub users_equal: u64,
    /// Memberships added (or to add).
    pub memberships_added: u64,
    /// Memberships the pool had already.
    pub memberships_present: u64,
    /// Attribute differences left because the target holds the attribute immutable.
    pub immutable_differences: Vec<String>,
    /// Attributes of the file never written (developer-only ones).
    pub skipped_attributes: Vec<String>,
    /// The first few users to create (their names in the target pool).
    pub create_examples: Vec<String>,
    /// The first few users to update, with what changes.
    pub update_examples: Vec<String>,
    /// Requests sent to Cognito (this run).
    pub requests: u64,
    /// Requests Cognito throttled (each slowed the restore down and was tried again).
    pub throttled: u64,
}

/// How many example users a summary names.
const EXAMPLES: usize = 5;

impl ImportSummary {
    /// The plan's counts, for a dry run (or before a run).
    pub fn of_plan(pool_id: &str, plan: &Plan, dry_run: bool) -> ImportSummary {
        let count =
            |f: &dyn Fn(&UserStep) -> bool| plan.users.iter().filter(|u| f(&u.step)).count() as u64;
        // The first few by name (a pool lists its users in no set order).
        let mut create_examples: Vec<String> = plan
            .users
            .iter()
            .filter(|u| matches!(u.step, UserStep::Create { .. }))
            .map(|u| u.login.clone())
            .collect();
        create_examples.sort();
        create_examples.truncate(EXAMPLES);
        let mut update_examples: Vec<String> = plan
            .users
            .iter()
            .filter_map(|u| match &u.step {
                UserStep::Update {
                    attributes,
                    enabled,
                } => {
                    let mut what: Vec<String> = attributes.keys().cloned().collect();
                    if let Some(e) = enabled {
                        what.push(if *e { "enable" } else { "disable" }.to_string());
                    }
                    Some(format!("{}: {}", u.login, what.join(", ")))
                }
                _ => None,
            })
            .collect();
        update_examples.sort();
        update_examples.truncate(EXAMPLES);
        let present = plan.members.iter().filter(|m| m.present).count() as u64;
        ImportSummary {
            user_pool_id: pool_id.to_string(),
            dry_run,
            groups_created: plan.groups_to_create.len() as u64,
            groups_present: plan.groups_present.len() as u64,
            users_created: count(&|s| matches!(s, UserStep::Create { .. })),
            users_updated: count(&|s| matches!(s, UserStep::Update { .. })),
            users_equal: count(&|s| matches!(s, UserStep::Equal)),
            memberships_added: plan.members.len() as u64 - present,
            memberships_present: present,
            immutable_differences: plan.immutable_differences.clone(),
            skipped_attributes: plan.skipped_attributes.iter().cloned().collect(),
            create_examples,
            update_examples,
            requests: 0,
            throttled: 0,
        }
    }

    /// The outcome of a run: the plan's figures with what the run (all runs, per the
    /// checkpoint) did.
    pub fn of_run(pool_id: &str, plan: &Plan, state: &ImportState) -> ImportSummary {
        let mut summary = ImportSummary::of_plan(pool_id, plan, false);
        summary.groups_created = state.groups_created;
        summary.users_created = state.users_created;
        summary.users_updated = state.users_updated;
        summary.users_equal = plan.users.len() as u64 - state.users_created - state.users_updated;
        summary.memberships_added = state.members_added;
        summary.memberships_present = plan.members.len() as u64 - state.members_added;
        summary
    }
}

impl Report for ImportSummary {
    const COLUMNS: &'static [&'static str] = &["What", "Count", "Which"];

    fn rows(&self) -> Vec<Vec<String>> {
        let verb = |done: &str, todo: &str| if self.dry_run { todo } else { done }.to_string();
        let row = |what: String, n: u64, which: String| vec![what, n.to_string(), which];
        let mut rows = vec![
            row(
                verb("groups created", "groups to create"),
                self.groups_created,
                String::new(),
            ),
            row(
                "groups already there".into(),
                self.groups_present,
                String::new(),
            ),
            row(
                verb("users created", "users to create"),
                self.users_created,
                String::new(),
            ),
            row(
                verb("users updated", "users to update"),
                self.users_updated,
                String::new(),
            ),
            row(
                "users already equal".into(),
                self.users_equal,
                String::new(),
            ),
            row(
                verb("memberships added", "memberships to add"),
                self.memberships_added,
                String::new(),
            ),
            row(
                "memberships already there".into(),
                self.memberships_present,
                String::new(),
            ),
        ];
        let more = |shown: usize, of: u64| {
            let more = of.saturating_sub(shown as u64);
            if more > 0 {
                format!("\n({more} more)")
            } else {
                String::new()
            }
        };
        // A plan names the first few users; after a run the counts say it all.
        if self.dry_run {
            rows[2][2] = format!(
                "{}{}",
                self.create_examples.join("\n"),
                more(self.create_examples.len(), self.users_created)
            );
            rows[3][2] = format!(
                "{}{}",
                self.update_examples.join("\n"),
                more(self.update_examples.len(), self.users_updated)
            );
        }
        if !self.immutable_differences.is_empty() {
            rows.push(row(
                "immutable attributes that differ (left)".into(),
                self.immutable_differences.len() as u64,
                self.immutable_differences
                    .iter()
                    .take(EXAMPLES)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        if !self.skipped_attributes.is_empty() {
            rows.push(row(
                "attributes never written (developer-only)".into(),
                self.skipped_attributes.len() as u64,
                self.skipped_attributes.join(", "),
            ));
        }
        rows
    }
}
