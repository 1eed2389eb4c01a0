//! `check`: are PostgreSQL, the Cognito user pool and the messages table consistent? Read-only.
//!
//! The users and the pool are read whole (they are small); the messages table is streamed a page
//! at a time ([`scan_pages`](crate::ddb::scan::scan_pages)) through a [`Checker`], which keeps only
//! the newest message of each group and the conversation rows (few), so memory does not grow
//! with the number of messages. Every problem found is a [`Problem`] row: its kind, the store it
//! is in, the key of the item or user, and what is wrong. [`group`] makes one
//! [`ProblemGroup`] of each kind's problems, as `check` prints them unless asked for all.

use anyhow::Result;
use serde::Serialize;
use strum::{Display, IntoStaticStr};

use crate::cognito;
use crate::context::Context;
use crate::ddb::capacity::Governor;
use crate::ddb::scan::{self, ScanOptions};
use crate::ops::bulk::{self, CapacityFlags};
use crate::ops::ui::Ui;
use crate::pg;
use crate::report::{Format, Row};
use crate::text::count;

mod group;
mod table;
mod users;

pub use group::{group, Example, ProblemGroup, SAMPLE};
pub use table::Checker;
pub use users::check_users;

/// The `cognito_user_id` a user has until `update-cognito-user-ids` ran.
pub const MOCK: &str = "MOCK";

/// What kind of inconsistency a [`Problem`] is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, IntoStaticStr, Display,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "kebab-case")]
pub enum Kind {
    /// An item's `user_uuid` (or a conversation row's owner) is not a PostgreSQL user.
    UnknownUser,
    /// An item's `user_handle` or `user_display_name` differs from the PostgreSQL user's.
    UserMismatch,
    /// An item that is neither a readable message nor a readable conversation row.
    MalformedItem,
    /// A conversation row whose group has no messages.
    EmptyGroup,
    /// A conversation row whose last message or time is not its group's newest message.
    StaleConversation,
    /// A conversation row without the other participant's row for the same group.
    MissingPartner,
    /// A PostgreSQL user whose `cognito_user_id` is still `MOCK`.
    MockCognitoId,
    /// A PostgreSQL user whose `cognito_user_id` is empty.
    EmptyCognitoId,
    /// A PostgreSQL user no pool user carries as `preferred_username`.
    NoPoolUser,
    /// A PostgreSQL user whose `cognito_user_id` is not the `sub` of the pool user with its handle.
    WrongCognitoId,
    /// A pool user with no PostgreSQL user (its `preferred_username` matches no handle).
    PoolUserWithoutDbUser,
}

impl Kind {
    /// The kind as `check` prints it (`unknown-user`, ...), and as JSON has it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "lowercase")]
pub enum Store {
    /// The messages table.
    Dynamodb,
    /// The `users` table.
    Postgres,
    /// The Cognito user pool.
    Cognito,
}

impl Store {
    /// The store as `check` prints it (`dynamodb`, ...).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong, as a kind.
    pub kind: Kind,
    /// The store holding the offending item or user.
    pub store: Store,
    /// The item's key (`pk sk`), the user's handle, or the pool user's user name.
    pub key: String,
    /// What is wrong, in words.
    pub detail: String,
}

impl Row for Problem {
    const COLUMNS: &'static [&'static str] = &["Kind", "Store", "Key", "Detail"];
    const CUT: &'static [&'static str] = &["Detail"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.kind.to_string(),
            self.store.as_str().to_string(),
            self.key.clone(),
            self.detail.clone(),
        ]
    }
}

/// How much was checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// PostgreSQL users.
    pub users: usize,
    /// Pool users.
    pub pool_users: usize,
    /// The pool's groups.
    pub pool_groups: usize,
    /// The pool's group memberships.
    pub pool_memberships: usize,
    /// `MSG#` items.
    pub messages: u64,
    /// Message groups with at least one message.
    pub groups: usize,
    /// `GRP#` items.
    pub conversations: usize,
    /// Items of neither kind.
    pub other_items: u64,
}

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every problem, sorted by store, kind and key.
    pub problems: Vec<Problem>,
    /// What was read.
    pub checked: Checked,
}

/// Checks the target's three stores: the users against the pool (`pool_id`), then every item of
/// the messages table (`segments` parallel scan segments) against the users.
/// The scan stays inside `governor`'s read budget.
pub async fn check(
    ctx: &Context,
    pool_id: &str,
    segments: u32,
    governor: &Governor,
) -> Result<CheckReport> {
    let (client, listing, groups) = tokio::try_join!(
        pg::connect(&ctx.config),
        cognito::list_users(ctx, pool_id),
        cognito::group_counts(ctx, pool_id)
    )?;
    let accounts = pg::all_accounts(&client).await?;
    drop(client);
    let mut problems = check_users(&accounts, &listing.users);
    let mut checker = Checker::new(&accounts);
    let options = ScanOptions {
        segments,
        ..ScanOptions::default()
    };
    scan::scan_pages_within(ctx, ctx.table(), options, governor, |page| {
        page.iter().for_each(|item| checker.item(item));
        Ok(())
    })
    .await?;
    let (table_problems, mut checked) = checker.finish();
    checked.pool_users = listing.users.len();
    checked.pool_groups = groups.groups;
    checked.pool_memberships = groups.memberships;
    problems.extend(table_problems);
    problems.sort_by(|a, b| (a.store, a.kind, &a.key).cmp(&(b.store, b.kind, &b.key)));
    Ok(CheckReport { problems, checked })
}

/// What `check` is asked for.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// The pool's name, to look it up on local when no id is configured.
    pub pool_name: String,
    /// Parallel scan segments.
    pub segments: u32,
    /// Every problem on its own row instead of grouped by kind.
    pub all: bool,
    /// The problems' format on stdout.
    pub format: Format,
    /// The read budget of the table's scan.
    pub capacity: CapacityFlags,
}

/// Checks the stores of `ctx` as `request` says, hands the problems to `ui` and tells what was
/// checked; fails when there is a problem.
pub async fn run(ctx: &Context, request: &CheckRequest, ui: &mut impl Ui) -> Result<()> {
    let pool_id = cognito::resolve_user_pool_id(ctx, &request.pool_name).await?;
    let direction = crate::ddb::capacity::Direction::Read;
    let governor = bulk::governor(ctx, direction, &request.capacity, None).await?;
    let report = check(ctx, &pool_id, request.segments, &governor).await?;
    if report.problems.is_empty() && request.format == Format::Table {
        // No empty table: the summary below says it.
    } else if request.all {
        ui.emit(&report.problems, request.format)?;
    } else {
        ui.emit(&group(&report.problems), request.format)?;
    }
    let c = &report.checked;
    let n = |n: usize| n as u64;
    ui.note(&format!(
        "checked {}, {} ({} and {}) of pool {pool_id}, {} in {} and {} of table {} ({}): {}",
        count(n(c.users), "PostgreSQL user", "PostgreSQL users"),
        count(n(c.pool_users), "user", "users"),
        count(n(c.pool_groups), "group", "groups"),
        count(n(c.pool_memberships), "membership", "memberships"),
        count(c.messages, "message", "messages"),
        count(n(c.groups), "group", "groups"),
        count(n(c.conversations), "conversation row", "conversation rows"),
        ctx.table(),
        governor.stats(),
        count(n(report.problems.len()), "problem", "problems")
    ));
    if !report.problems.is_empty() {
        anyhow::bail!(
            "the stores are not consistent ({})",
            count(report.problems.len() as u64, "problem", "problems")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
