//! The conversation seed: parsing a conversation file (or generating synthetic messages), planning
//! the items of one message group, and writing them with concurrent, retried BatchWriteItem calls.
//!
//! A seed is done in two steps so that nothing is written before everything is known to be good:
//! [`prepare`] checks the table's keys, validates the messages, looks both users up in PostgreSQL
//! and reads (never writes) what the group holds; [`execute`] then takes the group's seed lock,
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
//! **One seed of a group at a time**: [`execute`] holds a lease lock item in the table
//! ([`crate::ddb::lock`]) while it writes, so a second seed of the same group started meanwhile
//! fails at once, naming the holder, instead of leaving a second copy.
//!
//! Every step is idempotent and the plan is recomputed from the table on each run, so a run that
//! fails half-way is repaired by running the seed again.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

mod conversation;

use crate::context::Context;
use crate::context::SdkResultExt;
use crate::ddb::batch::{batch_write, delete_request, put_request, WriteOptions, MAX_CONCURRENCY};
use crate::ddb::item::{get_s, opt_s, s};
use crate::ddb::lock;
use crate::ddb::query::{self, query_all};
use crate::ddb::shape::require_message_keys;
use crate::model::keys::{Pk, Sk, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK};
use crate::model::messages::{Conversation, Message, Person};
use crate::ops::conversations;
use crate::pg;

/// Time between two seeded messages.
pub const MESSAGE_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

pub use conversation::{
    parse, read_file, synthetic, Line, Speaker, MAX_MESSAGE_BYTES, SHIPPED_CONVERSATION,
    SHIPPED_NAME,
};

/// The uuid of the message on line `index` (0-based) of a seed of `group`: a UUID v5 in the
/// group's namespace, so a re-seed gives every message the same uuid again.
pub fn message_uuid(group: Uuid, index: usize) -> Uuid {
    Uuid::new_v5(&group, format!("message-{index}").as_bytes())
}

/// The time of message `index` of `count` messages one minute apart, the last one at `end`.
pub fn message_time(end: DateTime<Utc>, count: usize, index: usize) -> DateTime<Utc> {
    let before = count.saturating_sub(1).saturating_sub(index);
    end - MESSAGE_INTERVAL * before as i32
}

/// Whether `sk` is exactly the key of one of `count` messages ending at `end` (so a new seed
/// overwrites the item that has it). Keys written in any other form are not.
pub fn is_message_time(end: DateTime<Utc>, count: usize, sk: &str) -> bool {
    let Ok(parsed) = Sk::parse(sk) else {
        return false;
    };
    if parsed.to_string() != sk || parsed.0 > end {
        return false;
    }
    let Some(micros) = (end - parsed.0).num_microseconds() else {
        return false;
    };
    let step = MESSAGE_INTERVAL.num_microseconds().unwrap_or(60_000_000);
    micros % step == 0 && ((micros / step) as u128) < count as u128
}

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

/// A validated seed: who, what, when, and which items of an earlier seed it replaces.
#[derive(Debug)]
pub struct Plan {
    /// The message group.
    pub group: Uuid,
    /// Person 1 and Person 2.
    pub people: [Person; 2],
    /// Time of the last message.
    pub end: DateTime<Utc>,
    lines: Vec<Line>,
    conversations: [Conversation; 2],
    /// Sort keys of an earlier seed's messages that this seed does not overwrite.
    stale_messages: Vec<String>,
    /// Keys (pk, sk) of an earlier seed's conversation rows that this seed does not overwrite.
    stale_conversations: Vec<(String, String)>,
    /// An earlier seed's messages this seed overwrites in place.
    overwritten: usize,
    /// Messages of the group that no seed wrote (the app's): kept as they are.
    kept_messages: usize,
    /// Participants whose conversation row carries an app message: kept, no seeded row written.
    kept_rows: HashSet<Uuid>,
}

/// A message the group already holds: its sort key and (when it has one) its uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingMessage {
    /// The sort key.
    pub sk: String,
    /// `message_uuid`.
    pub uuid: Option<String>,
}

/// A conversation row of the group already in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRow {
    /// `GRP#<owner>`.
    pub pk: String,
    /// Time of the row's last message.
    pub sk: String,
}

impl Plan {
    /// Plans a seed of `lines` between `people` in `group`, the last message at `end` (truncated
    /// to microseconds, the precision of a sort key). Knows nothing of the table yet.
    pub fn new(
        group: Uuid,
        people: [Person; 2],
        lines: Vec<Line>,
        end: DateTime<Utc>,
    ) -> Result<Plan> {
        let end = end.trunc_subsecs(6);
        let Some(last) = lines.last() else {
            bail!("nothing to seed: no messages");
        };
        if people[0].uuid == people[1].uuid {
            bail!(
                "Person 1 and Person 2 are the same user ({}): a conversation needs two people",
                people[0].handle
            );
        }
        let last = Message {
            group,
            uuid: message_uuid(group, lines.len() - 1),
            created: Sk(end),
            text: last.text.clone(),
            sender: people[last.speaker.index()].clone(),
        };
        let conversations = Conversation::pair(group, &people[0], &people[1], &last);
        Ok(Plan {
            group,
            people,
            end,
            lines,
            conversations,
            stale_messages: Vec::new(),
            stale_conversations: Vec::new(),
            overwritten: 0,
            kept_messages: 0,
            kept_rows: HashSet::new(),
        })
    }

    /// How many messages this seed writes.
    pub fn message_count(&self) -> usize {
        self.lines.len()
    }

    /// Items this seed puts: every message and the conversation rows (two, less those of
    /// participants whose row carries an app message).
    pub fn item_count(&self) -> usize {
        self.lines.len() + self.rows_to_write().count()
    }

    /// Messages of the group that no seed wrote; they are kept.
    pub fn kept_count(&self) -> usize {
        self.kept_messages
    }

    /// The conversation rows this seed puts.
    fn rows_to_write(&self) -> impl Iterator<Item = &Conversation> {
        self.conversations
            .iter()
            .filter(|c| !self.kept_rows.contains(&c.owner))
    }

    /// Items of an earlier seed this one deletes (the rest it overwrites in place).
    pub fn stale_count(&self) -> usize {
        self.stale_messages.len() + self.stale_conversations.len()
    }

    /// Old messages this seed overwrites in place.
    pub fn overwritten_count(&self) -> usize {
        self.overwritten
    }

    /// What this plan writes and deletes, in one line (the report of `seed --dry-run`): the
    /// items to put (messages and conversation rows, with their keys), the earlier seed's items
    /// to overwrite or delete, and what is kept.
    pub fn describe(&self) -> String {
        let rows: Vec<String> = self
            .rows_to_write()
            .map(|c| format!("{}", Pk::Group(c.owner)))
            .collect();
        format!(
            "put {} items: {} messages ({} of group {}) and {} conversation rows [{}]; \
             of an earlier seed: {} items overwritten in place, {} deleted ({} messages, {} \
             conversation rows); kept: {} messages no seed wrote, {} conversation rows carrying one",
            self.item_count(),
            self.message_count(),
            Pk::Message(self.group),
            self.group,
            rows.len(),
            rows.join(", "),
            self.overwritten,
            self.stale_count(),
            self.stale_messages.len(),
            self.stale_conversations.len(),
            self.kept_messages,
            self.kept_rows.len()
        )
    }

    /// The two conversation rows this seed writes.
    pub fn conversations(&self) -> &[Conversation; 2] {
        &self.conversations
    }

    /// Notes what the group holds and sorts it: an earlier seed's items (recognised by their
    /// uuids) are overwritten in place or deleted; every other message, and every conversation
    /// row that carries one, is kept.
    ///
    /// Fails, before anything is written, when a message of this seed would land on the key of a
    /// message the seed did not write.
    pub fn set_existing(
        &mut self,
        messages: Vec<ExistingMessage>,
        rows: Vec<ExistingRow>,
    ) -> Result<()> {
        let count = self.lines.len();
        // A seed of the group wrote at most as many messages as it had lines: every seeded
        // message still there has an index below (messages there) + (lines now).
        let seeded: HashSet<String> = (0..messages.len() + count)
            .map(|i| message_uuid(self.group, i).to_string())
            .collect();
        let mut seeded_sks: HashSet<String> = HashSet::new();
        let (mut overwritten, mut stale, mut kept) = (0, Vec::new(), 0);
        for message in messages {
            let ours = message.uuid.as_ref().is_some_and(|u| seeded.contains(u));
            let lands_on = is_message_time(self.end, count, &message.sk);
            match (ours, lands_on) {
                (true, true) => overwritten += 1,
                (true, false) => stale.push(message.sk.clone()),
                (false, true) => bail!(
                    "message {} of group {} (sk {}) was not written by a seed, and this seed \
                     would overwrite it: nothing was written; seed with another --now",
                    message.uuid.as_deref().unwrap_or("without a message_uuid"),
                    self.group,
                    message.sk
                ),
                (false, false) => kept += 1,
            }
            if ours {
                seeded_sks.insert(message.sk);
            }
        }
        self.overwritten = overwritten;
        self.stale_messages = stale;
        self.kept_messages = kept;
        let new: HashSet<(String, String)> = self
            .conversations
            .iter()
            .map(|c| (Pk::Group(c.owner).to_string(), c.last_at.to_string()))
            .collect();
        self.kept_rows.clear();
        self.stale_conversations.clear();
        for row in rows {
            if seeded_sks.contains(&row.sk) {
                if !new.contains(&(row.pk.clone(), row.sk.clone())) {
                    self.stale_conversations.push((row.pk, row.sk));
                }
            } else if let Ok(Pk::Group(owner)) = row.pk.parse::<Pk>() {
                // The row carries a message no seed wrote (or none at all): never ours to touch.
                self.kept_rows.insert(owner);
            }
        }
        Ok(())
    }

    /// The messages, in order, built as they are consumed.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        let count = self.lines.len();
        self.lines.iter().enumerate().map(move |(i, line)| Message {
            group: self.group,
            uuid: message_uuid(self.group, i),
            created: Sk(message_time(self.end, count, i)),
            text: line.text.clone(),
            sender: self.people[line.speaker.index()].clone(),
        })
    }

    /// Like [`Plan::messages`], moving the texts out of the plan.
    fn into_messages(
        lines: Vec<Line>,
        group: Uuid,
        people: [Person; 2],
        end: DateTime<Utc>,
    ) -> impl Iterator<Item = Message> {
        let count = lines.len();
        lines.into_iter().enumerate().map(move |(i, line)| Message {
            group,
            uuid: message_uuid(group, i),
            created: Sk(message_time(end, count, i)),
            text: line.text,
            sender: people[line.speaker.index()].clone(),
        })
    }
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

/// What `group` holds: its messages (keys and uuids) and its conversation rows (keys).
async fn read_existing(
    ctx: &Context,
    group: Uuid,
) -> Result<(Vec<ExistingMessage>, Vec<ExistingRow>)> {
    let rows = async {
        conversations::group_rows(ctx, group)
            .await?
            .iter()
            .filter(|row| matches!(get_s(row, PK).map(str::parse), Ok(Ok(Pk::Group(_)))))
            .map(|row| {
                Ok(ExistingRow {
                    pk: get_s(row, PK)?.to_string(),
                    sk: get_s(row, SK)?.to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()
            .context("reading the group's conversation rows")
    };
    tokio::try_join!(existing_messages(ctx, group), rows)
}

/// The sort keys and uuids of every message of `group` (all pages).
async fn existing_messages(ctx: &Context, group: Uuid) -> Result<Vec<ExistingMessage>> {
    let pk = Pk::Message(group).to_string();
    let request = query::partition(ctx, Pk::Message(group))
        .projection_expression("#sk, #u")
        .expression_attribute_names("#sk", SK)
        .expression_attribute_names("#u", MESSAGE_UUID);
    let what = format!("reading the keys of {pk} in table {}", ctx.table());
    query_all(ctx, request, what)
        .await?
        .iter()
        .map(|item| {
            Ok(ExistingMessage {
                sk: get_s(item, SK)
                    .context("a message without a sort key")?
                    .to_string(),
                uuid: opt_s(item, MESSAGE_UUID).map(str::to_string),
            })
        })
        .collect()
}

/// A phase of [`execute`], for progress reports.
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
    let written = async {
        let (messages, rows) = read_existing(ctx, group).await?;
        plan.set_existing(messages, rows)?;
        write_plan(ctx, plan, options, &lease, &mut progress).await
    }
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
    })
}

/// The writes of [`execute`], under its lock: (messages, conversation rows, deleted).
async fn write_plan(
    ctx: &Context,
    plan: Plan,
    options: WriteOptions,
    lease: &lock::Lease,
    progress: &mut impl FnMut(Phase, u64, u64),
) -> Result<(u64, u64, u64)> {
    let table = ctx.table();
    let rows: Vec<Conversation> = plan.rows_to_write().cloned().collect();
    let Plan {
        group,
        people,
        end,
        lines,
        stale_messages,
        stale_conversations,
        ..
    } = plan;

    let stale = (stale_conversations.len() + stale_messages.len()) as u64;
    let message_pk = Pk::Message(group).to_string();
    let deletes = stale_conversations
        .into_iter()
        .chain(
            stale_messages
                .into_iter()
                .map(|sk| (message_pk.clone(), sk)),
        )
        .map(|(pk, sk)| delete_request(pk, sk));
    // Conversation rows first: a half-done run leaves no list entry pointing at missing messages.
    let done = std::cell::Cell::new(0u64);
    let deleted = batch_write(ctx, table, deletes, options, |n| {
        done.set(n);
        progress(Phase::Deleting, n, stale)
    })
    .await
    .with_context(|| {
        format!(
            "deleting the earlier seed of group {group} from table {table} \
             ({} of {stale} deleted before the error; run the seed again to finish)",
            done.get()
        )
    })?;
    lease.check()?;

    let count = lines.len() as u64;
    let total = count + rows.len() as u64;
    let puts = Plan::into_messages(lines, group, people, end).map(|m| put_request(m.into_item()));
    done.set(0);
    let messages = batch_write(ctx, table, puts, options, |n| {
        done.set(n);
        progress(Phase::Writing, n, total)
    })
    .await
    .with_context(|| {
        format!(
            "writing the messages of group {group} to table {table} \
             ({} of {count} messages written before the error; run the seed again to finish)",
            done.get()
        )
    })?;
    lease.check()?;

    let mut written = 0;
    for row in &rows {
        put_conversation(ctx, row).await?;
        written += 1;
        progress(Phase::Writing, messages + written, total);
    }
    Ok((messages, written, deleted))
}

/// Puts a conversation row unless its key holds a row of another message group.
async fn put_conversation(ctx: &Context, row: &Conversation) -> Result<()> {
    let put = ctx
        .dynamodb()
        .put_item()
        .table_name(ctx.table())
        .set_item(Some(row.to_item()))
        .condition_expression("attribute_not_exists(#pk) OR #g = :g")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":g", s(row.group.to_string()))
        .send()
        .await;
    let key = || format!("{} {}", Pk::Group(row.owner), row.last_at);
    match put {
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            bail!(
                "conversation row {} in table {} belongs to another message group: not \
                 overwritten; the messages of group {} are written, seed with another --now to \
                 add the conversation row",
                key(),
                ctx.table(),
                row.group
            )
        }
        other => other.map(|_| ()).on(
            &ctx.dynamodb_endpoint,
            format_args!(
                "writing conversation row {} to table {}",
                key(),
                ctx.table()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::Path;

    fn person(handle: &str) -> Person {
        Person {
            uuid: Uuid::new_v5(&Uuid::NAMESPACE_OID, handle.as_bytes()),
            display_name: format!("{handle} name"),
            handle: handle.into(),
        }
    }

    fn end() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    #[test]
    fn parses_lines_and_skips_blanks() {
        let lines = parse(
            "f.txt",
            "\u{feff}Person 1: Hello, café ☕\r\n\nPerson 2:   灯台   \nPerson 1:x\n",
        )
        .unwrap();
        assert_eq!(
            lines,
            vec![
                Line {
                    speaker: Speaker::One,
                    text: "Hello, café ☕".into()
                },
                Line {
                    speaker: Speaker::Two,
                    text: "灯台".into()
                },
                Line {
                    speaker: Speaker::One,
                    text: "x".into()
                },
            ]
        );
    }

    #[test]
    fn bad_lines_name_the_file_and_line() {
        for (text, line, what) in [
            ("Person 1: hi\nPerson 3: no\n", 2, "expected"),
            ("Person 1: hi\n\n\nperson 2: lower\n", 4, "expected"),
            ("Person 1: hi\nPerson 2:   \n", 2, "empty"),
            ("Person 1 hi\n", 1, "expected"),
        ] {
            let err = parse("conv.txt", text).unwrap_err().to_string();
            assert!(err.starts_with(&format!("conv.txt:{line}: ")), "{err}");
            assert!(err.contains(what), "{err}");
        }
        let err = parse("conv.txt", "\n\n").unwrap_err().to_string();
        assert!(
            err.contains("conv.txt") && err.contains("no messages"),
            "{err}"
        );
        let long = format!("Person 1: {}\n", "x".repeat(MAX_MESSAGE_BYTES + 1));
        let err = parse("big.txt", &long).unwrap_err().to_string();
        assert!(err.starts_with("big.txt:1:"), "{err}");
    }

    #[test]
    fn the_shipped_conversation_is_valid_and_rich() {
        let lines = parse(SHIPPED_NAME, SHIPPED_CONVERSATION).unwrap();
        assert!(lines.len() >= 60, "{}", lines.len());
        assert!(lines.iter().any(|l| l.text.chars().count() > 1_000));
        assert!(lines.iter().any(|l| !l.text.is_ascii()));
        assert!(lines.iter().any(|l| l.speaker == Speaker::One));
        assert!(lines.iter().any(|l| l.speaker == Speaker::Two));
    }

    #[test]
    fn non_utf8_files_name_the_line() {
        let path = std::env::temp_dir().join(format!("seed-{}.txt", Uuid::new_v4()));
        std::fs::write(&path, b"Person 1: ok\nPerson 2: caf\xe9\n").unwrap();
        let err = read_file(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(err.ends_with(":2: the text is not UTF-8"), "{err}");
        let err = read_file(Path::new("/nonexistent/conv.txt")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/conv.txt"));
    }

    #[test]
    fn synthetic_messages_alternate_and_vary() {
        let lines = synthetic(100);
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[0].speaker, Speaker::One);
        assert_eq!(lines[1].speaker, Speaker::Two);
        let distinct: HashSet<_> = lines.iter().map(|l| &l.text).collect();
        assert_eq!(distinct.len(), 100);
        let lengths: HashSet<_> = lines.iter().map(|l| l.text.len()).collect();
        assert!(lengths.len() > 5);
        assert!(synthetic(0).is_empty());
    }

    #[test]
    fn times_are_a_minute_apart_and_end_at_now() {
        let end = end();
        assert_eq!(message_time(end, 3, 2), end);
        assert_eq!(message_time(end, 3, 0), end - chrono::Duration::minutes(2));
        for n in [1, 5] {
            for i in 0..n {
                let sk = Sk(message_time(end, n, i)).to_string();
                assert!(is_message_time(end, n, &sk), "{sk}");
            }
        }
        assert!(!is_message_time(
            end,
            3,
            &Sk(end - chrono::Duration::minutes(3)).to_string()
        ));
        assert!(!is_message_time(
            end,
            3,
            &Sk(end + chrono::Duration::minutes(1)).to_string()
        ));
        assert!(!is_message_time(
            end,
            3,
            &Sk(end - chrono::Duration::seconds(30)).to_string()
        ));
        assert!(!is_message_time(end, 3, "2026-11-22T10:00:00Z"));
        assert!(!is_message_time(end, 3, "garbage"));
    }

    #[test]
    fn message_uuids_are_deterministic() {
        let group = Uuid::parse_str(crate::model::keys::DEFAULT_GROUP).unwrap();
        assert_eq!(message_uuid(group, 7), message_uuid(group, 7));
        assert_ne!(message_uuid(group, 7), message_uuid(group, 8));
        assert_ne!(message_uuid(group, 7), message_uuid(Uuid::new_v4(), 7));
        assert_eq!(message_uuid(group, 0).get_version_num(), 5);
    }

    #[test]
    fn plan_builds_messages_and_conversation_rows() {
        let group = Uuid::new_v4();
        let (a, b) = (person("a"), person("b"));
        let lines = parse("t", "Person 1: one\nPerson 2: two\nPerson 2: three\n").unwrap();
        let now = end() + chrono::Duration::nanoseconds(1_234_567);
        let plan = Plan::new(group, [a.clone(), b.clone()], lines, now).unwrap();
        let msgs: Vec<_> = plan.messages().collect();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].sender, a);
        assert_eq!(msgs[2].sender, b);
        assert_eq!(
            msgs[2].created.to_string(),
            "2026-11-22T10:00:00.001234+00:00"
        );
        assert_eq!(msgs[1].uuid, message_uuid(group, 1));
        let [ra, rb] = plan.conversations().clone();
        assert_eq!((ra.owner, &ra.other), (a.uuid, &b));
        assert_eq!((rb.owner, &rb.other), (b.uuid, &a));
        assert_eq!(ra.last_message, "three");
        assert_eq!(ra.last_at, msgs[2].created);
        assert_eq!(plan.item_count(), 5);

        let same = Plan::new(group, [a.clone(), a.clone()], synthetic(2), now);
        assert!(same.unwrap_err().to_string().contains("same user"));
    }

    fn existing(
        plan: &Plan,
        end: DateTime<Utc>,
        indexes: std::ops::Range<usize>,
        count: usize,
    ) -> Vec<ExistingMessage> {
        indexes
            .map(|i| ExistingMessage {
                sk: Sk(message_time(end, count, i)).to_string(),
                uuid: Some(message_uuid(plan.group, i).to_string()),
            })
            .collect()
    }

    fn row(owner: Uuid, sk: &str) -> ExistingRow {
        ExistingRow {
            pk: Pk::Group(owner).to_string(),
            sk: sk.to_string(),
        }
    }

    #[test]
    fn existing_items_split_into_overwritten_and_stale() {
        let group = Uuid::new_v4();
        let people = [person("a"), person("b")];
        let mut plan = Plan::new(group, people.clone(), synthetic(4), end()).unwrap();
        // The same seed (4 messages, same end) and one message of an older, longer seed.
        let older_end = end() - chrono::Duration::hours(1);
        let mut messages = existing(&plan, end(), 0..4, 4);
        messages.extend(existing(&plan, older_end, 4..5, 5));
        let older = messages[4].sk.clone();
        let [ra, rb] = plan.conversations().clone();
        let now = ra.last_at.to_string();
        plan.set_existing(
            messages,
            vec![
                row(ra.owner, &now),
                row(rb.owner, &now),
                row(people[0].uuid, &older),
            ],
        )
        .unwrap();
        assert_eq!(plan.overwritten_count(), 4);
        assert_eq!(plan.stale_messages, vec![older.clone()]);
        assert_eq!(
            plan.stale_conversations,
            vec![(Pk::Group(people[0].uuid).to_string(), older)]
        );
        assert_eq!(plan.stale_count(), 2);
        assert_eq!(plan.kept_count(), 0);
        assert_eq!(plan.item_count(), 6);
    }

    #[test]
    fn app_messages_and_their_rows_are_kept() {
        let group = Uuid::new_v4();
        let people = [person("a"), person("b")];
        let mut plan = Plan::new(group, people.clone(), synthetic(3), end()).unwrap();
        let earlier = end() - chrono::Duration::days(1);
        let mut messages = existing(&plan, earlier, 0..3, 3);
        let app_sk = Sk(earlier + chrono::Duration::seconds(7)).to_string();
        messages.push(ExistingMessage {
            sk: app_sk.clone(),
            uuid: Some(Uuid::new_v4().to_string()),
        });
        let seeded_last = messages[2].sk.clone();
        // Person 1's row moved on to the app message (the stream processor did it); Person 2's
        // still carries the seeded one.
        plan.set_existing(
            messages,
            vec![
                row(people[0].uuid, &app_sk),
                row(people[1].uuid, &seeded_last),
            ],
        )
        .unwrap();
        assert_eq!(plan.kept_count(), 1);
        assert_eq!(plan.stale_messages.len(), 3);
        assert!(!plan.stale_messages.contains(&app_sk));
        assert_eq!(
            plan.stale_conversations,
            vec![(Pk::Group(people[1].uuid).to_string(), seeded_last)]
        );
        let owners: Vec<Uuid> = plan.rows_to_write().map(|c| c.owner).collect();
        assert_eq!(owners, vec![people[1].uuid]);
        assert_eq!(plan.item_count(), 4);
    }

    #[test]
    fn a_seed_onto_an_app_message_is_refused() {
        let group = Uuid::new_v4();
        let mut plan = Plan::new(group, [person("a"), person("b")], synthetic(3), end()).unwrap();
        let app = ExistingMessage {
            sk: Sk(end()).to_string(),
            uuid: Some(Uuid::new_v4().to_string()),
        };
        let err = plan
            .set_existing(vec![app], vec![])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not written by a seed") && err.contains("--now"),
            "{err}"
        );
        let bare = ExistingMessage {
            sk: Sk(end()).to_string(),
            uuid: None,
        };
        assert!(plan.set_existing(vec![bare], vec![]).is_err());
    }
}
