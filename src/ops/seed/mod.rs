//! The conversation seed: parsing a conversation file (or generating synthetic messages), planning
//! the items of one message group, and writing them with concurrent, retried BatchWriteItem calls.
//!
//! A seed is done in two steps so that nothing is written before everything is known to be good:
//! [`prepare`] checks the table's keys, validates the messages, looks both users up in PostgreSQL
//! and reads (never writes) what the group holds; [`execute()`] then takes the group's seed lock,
//! reads the group again and replaces what an earlier seed wrote:
//!
//! 1. delete the earlier seed's conversation (`GRP#`) rows that the new seed does not overwrite,
//! 2. delete the earlier seed's messages that the new seed does not overwrite,
//! 3. put every message,
//! 4. put the conversation rows last, so they never name a last message that is not there yet.
//!
//! **Only the seed's own items are ever deleted or overwritten.** A seeded message is recognised by
//! its uuid, a UUID v5 of the group and its line index ([`message_uuid`]); every other message of
//! the group (written by `send-message` or the app) is kept, and a seed whose message would land on
//! the key of such a message is refused before anything is written. A conversation row is the
//! seed's when its last message (its `sk`) is a seeded message; a row that carries an app message
//! is kept, and the seed then writes no second row for that participant (the stream processor
//! moves that row forward as usual). Conversation rows are put conditionally, so a row of another
//! group that happens to share the key is never overwritten.
//!
//! **One seed of a group at a time**: [`execute()`] holds a lease lock item in the table
//! ([`crate::ddb::lock`]) while it writes, so a second seed of the same group started meanwhile
//! fails at once, naming the holder, instead of leaving a second copy. A seed whose lock is lost
//! (its item deleted or taken over, or not renewed before its lease ended) stops writing at once,
//! with an error saying why.
//!
//! Every step is idempotent and the plan is recomputed from the table on each run, so a run that
//! fails half-way is repaired by running the seed again.
//!
//! Files: `conversation` parses conversation files, `plan` is the pure plan and its matching
//! against what the group holds, `execute` the reads and the locked writes against DynamoDB; the
//! entry points ([`prepare`], [`execute()`]) and the types they share are here.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use chrono::Utc;
use uuid::Uuid;

mod conversation;
mod execute;
mod plan;
mod run;
#[cfg(test)]
mod tests;

use crate::context::Context;
use crate::ddb::batch::{WriteOptions, MAX_CONCURRENCY};
use crate::ddb::capacity::{CapacityStats, Governor};
use crate::ddb::lock;
use crate::ddb::shape::require_message_keys;
use crate::model::keys::Sk;
use crate::model::messages::Person;
use crate::pg;
use execute::{read_existing, write_plan};
pub use run::run;

pub use conversation::{
    parse, read_file, synthetic, Line, Speaker, MAX_MESSAGE_BYTES, SHIPPED_CONVERSATION,
    SHIPPED_NAME,
};
pub use plan::{
    is_message_time, message_time, message_uuid, ExistingMessage, ExistingRow, Plan,
    MESSAGE_INTERVAL,
};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedInput {
    /// The message group.
    pub group: Uuid,
    /// Handle of Person 1.
    pub from: String,
    /// Handle of Person 2.
    pub to: String,
    /// The messages, in order.
    pub lines: Vec<Line>,
    /// Time of the last message (default: now).
    pub now: Option<Sk>,
}

/// Validates `input` and reads what the group holds. Writes nothing.
///
/// Errors: a table without the messages table's keys, an unknown handle (named), the same user
/// twice, a seeded message that would overwrite an app message, PostgreSQL or DynamoDB
/// unreachable.
pub async fn prepare(ctx: &Context, input: SeedInput) -> Result<Plan> {
    if input.lines.is_empty() {
        bail!("nothing to seed: no messages");
    }
    // Settings before any request: a missing database URL is not worth a round trip.
    ctx.config.database_url()?;
    // The reads do not depend on each other: run them at once. Nothing is written before all of
    // them are known to be good.
    let users = async {
        let client = pg::connect(&ctx.config).await?;
        pg::users_by_handle(&client, &[&input.from, &input.to])
            .await
            .context("looking up the two participants of the conversation")
    };
    // The table's shape first: on a table of another shape the other reads fail obscurely.
    require_message_keys(ctx, ctx.table()).await?;
    let (users, (messages, rows)) = tokio::try_join!(users, read_existing(ctx, input.group))?;
    let people = [Person::from(&users[0]), Person::from(&users[1])];
    let end = input.now.map(|sk| sk.0).unwrap_or_else(Utc::now);
    let mut plan = Plan::new(input.group, people, input.lines, end)?;
    plan.set_existing(messages, rows)?;
    Ok(plan)
}

/// A phase of [`execute()`], for progress reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Deleting what an earlier seed left.
    Deleting,
    /// Writing messages and conversation rows.
    Writing,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Deleting => "deleting old items",
            Phase::Writing => "writing",
        })
    }
}

/// What a seed did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// The message group.
    pub group: Uuid,
    /// Messages written.
    pub messages: u64,
    /// Conversation rows written.
    pub conversations: u64,
    /// Old items deleted.
    pub deleted: u64,
    /// Time spent deleting and writing.
    pub elapsed: Duration,
    /// The write budget and what the writes consumed.
    pub capacity: CapacityStats,
}

impl SeedReport {
    /// Items put.
    pub fn written(&self) -> u64 {
        self.messages + self.conversations
    }

    /// Write requests (puts and deletes) per second.
    pub fn rate(&self) -> f64 {
        (self.written() + self.deleted) as f64 / self.elapsed.as_secs_f64().max(1e-6)
    }
}

/// How long the seed lock of a group lasts without renewal (it is renewed every third of it).
pub const LOCK_LEASE: std::time::Duration = lock::DEFAULT_LEASE;

/// Carries out `plan`: takes the group's seed lock, reads the group again (what another seed
/// may have changed since [`prepare`]), deletes the earlier seed's items it replaces, then writes
/// every message, then the conversation rows; releases the lock. `progress(phase, done, total)`
/// is called as batches complete.
///
/// Fails at once, writing nothing, when another seed of the same group holds the lock.
pub async fn execute(
    ctx: &Context,
    mut plan: Plan,
    options: WriteOptions,
    governor: &Governor,
    mut progress: impl FnMut(Phase, u64, u64),
) -> Result<SeedReport> {
    if options.concurrency == 0 || options.concurrency > MAX_CONCURRENCY {
        bail!(
            "--concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
            options.concurrency
        );
    }
    let started = Instant::now();
    let table = ctx.table();
    let group = plan.group;
    let holder = format!(
        "a seed of group {group} (pid {}, started {})",
        std::process::id(),
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    let lease = lock::acquire(ctx, table, &format!("seed#{group}"), &holder, LOCK_LEASE).await?;
    // A lost lease stops the writes at once (another seed may have taken the group over).
    let written = lease
        .guard(async {
            let (messages, rows) = read_existing(ctx, group).await?;
            plan.set_existing(messages, rows)?;
            write_plan(ctx, plan, options, governor, &mut progress).await
        })
        .await;
    let released = lease.release().await;
    let (messages, conversations, deleted) = written?;
    released?;
    Ok(SeedReport {
        group,
        messages,
        conversations,
        deleted,
        elapsed: started.elapsed(),
        capacity: governor.stats(),
    })
}
