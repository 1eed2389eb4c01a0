//! The conversation seed: parsing a conversation file (or generating synthetic messages), planning
//! the items of one message group, and writing them with concurrent, retried BatchWriteItem calls.
//!
//! A seed is done in two steps so that nothing is written before everything is known to be good:
//! [`prepare`] validates the messages, looks both users up in PostgreSQL and reads (never writes)
//! which items an earlier seed of the same group left; [`execute`] then replaces them:
//!
//! 1. delete the group's old conversation (`GRP#`) rows that the new seed does not overwrite,
//! 2. delete the group's old messages that the new seed does not overwrite,
//! 3. put every message,
//! 4. put the two conversation rows last, so they never name a last message that is not there yet.
//!
//! Every step is idempotent and the plan is recomputed from the table on each run, so a run that
//! fails half-way is repaired by running the seed again. Message uuids are derived from the group
//! and the line index, and a re-seed at the same `--now` overwrites every item in place.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

mod conversation;

use crate::context::Context;
use crate::ddb::batch::{batch_write, delete_request, put_request, WriteOptions, MAX_CONCURRENCY};
use crate::ddb::item::get_s;
use crate::ddb::query::{self, query_all};
use crate::model::keys::{Pk, Sk, PK, SK};
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
    /// Sort keys of old messages of the group that this seed does not overwrite.
    stale_messages: Vec<String>,
    /// Keys (pk, sk) of old conversation rows of the group that this seed does not overwrite.
    stale_conversations: Vec<(String, String)>,
    /// Old messages this seed overwrites in place.
    overwritten: usize,
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
        })
    }

    /// How many messages this seed writes.
    pub fn message_count(&self) -> usize {
        self.lines.len()
    }

    /// Items this seed puts: every message and two conversation rows.
    pub fn item_count(&self) -> usize {
        self.lines.len() + self.conversations.len()
    }

    /// Items of an earlier seed this one deletes (the rest it overwrites in place).
    pub fn stale_count(&self) -> usize {
        self.stale_messages.len() + self.stale_conversations.len()
    }

    /// Old messages this seed overwrites in place.
    pub fn overwritten_count(&self) -> usize {
        self.overwritten
    }

    /// The two conversation rows this seed writes.
    pub fn conversations(&self) -> &[Conversation; 2] {
        &self.conversations
    }

    /// Notes the group's existing items (message sort keys, conversation row keys) and keeps
    /// those this seed will not overwrite, to delete them first.
    pub fn set_existing(&mut self, messages: Vec<String>, conversations: Vec<(String, String)>) {
        let count = self.lines.len();
        let (overwritten, stale): (Vec<String>, Vec<String>) = messages
            .into_iter()
            .partition(|sk| is_message_time(self.end, count, sk));
        self.overwritten = overwritten.len();
        self.stale_messages = stale;
        let new: HashSet<(String, String)> = self
            .conversations
            .iter()
            .map(|c| (Pk::Group(c.owner).to_string(), c.last_at.to_string()))
            .collect();
        self.stale_conversations = conversations
            .into_iter()
            .filter(|key| !new.contains(key))
            .collect();
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

/// Validates `input` and reads what an earlier seed of the group left. Writes nothing.
///
/// Errors: an unknown handle (named), the same user twice, PostgreSQL or DynamoDB unreachable.
pub async fn prepare(ctx: &Context, input: SeedInput) -> Result<Plan> {
    if input.lines.is_empty() {
        bail!("nothing to seed: no messages");
    }
    // The three reads do not depend on each other: run them at once. The PostgreSQL lookup (a
    // connection with SCRAM authentication, then a query: ~5 ms locally) used to be followed by
    // two DynamoDB queries (~2 ms); for the standard conversation (~20 ms in all) that was a
    // tenth of the run. Nothing is written before all three are known to be good.
    let users = async {
        let client = pg::connect(&ctx.config).await?;
        pg::users_by_handle(&client, &[&input.from, &input.to])
            .await
            .context("looking up the two participants of the conversation")
    };
    let rows = async {
        conversations::group_rows(ctx, input.group)
            .await?
            .iter()
            .filter(|row| matches!(get_s(row, PK).map(str::parse), Ok(Ok(Pk::Group(_)))))
            .map(|row| Ok((get_s(row, PK)?.to_string(), get_s(row, SK)?.to_string())))
            .collect::<Result<Vec<_>>>()
            .context("reading the group's conversation rows")
    };
    let (users, messages, rows) =
        tokio::try_join!(users, existing_message_keys(ctx, input.group), rows)?;
    let people = [Person::from(&users[0]), Person::from(&users[1])];
    let end = input.now.map(|sk| sk.0).unwrap_or_else(Utc::now);
    let mut plan = Plan::new(input.group, people, input.lines, end)?;
    plan.set_existing(messages, rows);
    Ok(plan)
}

/// The sort keys of every message of `group` (keys only, all pages).
async fn existing_message_keys(ctx: &Context, group: Uuid) -> Result<Vec<String>> {
    let pk = Pk::Message(group).to_string();
    let request = query::partition(ctx, Pk::Message(group)).projection_expression("sk");
    let what = format!("reading the keys of {pk} in table {}", ctx.table());
    query_all(ctx, request, what)
        .await?
        .iter()
        .map(|item| {
            get_s(item, SK)
                .map(str::to_string)
                .context("a message without a sort key")
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

/// Carries out `plan`: deletes what it replaces, then writes every message, then the two
/// conversation rows. `progress(phase, done, total)` is called as batches complete.
pub async fn execute(
    ctx: &Context,
    plan: Plan,
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
    let Plan {
        group,
        people,
        end,
        lines,
        conversations,
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
    let deleted = batch_write(ctx, table, deletes, options, |done| {
        progress(Phase::Deleting, done, stale)
    })
    .await
    .with_context(|| format!("deleting the earlier seed of group {group} from table {table}"))?;

    let count = lines.len() as u64;
    let total = count + conversations.len() as u64;
    let puts = Plan::into_messages(lines, group, people, end).map(|m| put_request(m.into_item()));
    let messages = batch_write(ctx, table, puts, options, |done| {
        progress(Phase::Writing, done, total)
    })
    .await
    .with_context(|| format!("writing the messages of group {group} to table {table}"))?;

    let rows = conversations.iter().map(|c| put_request(c.to_item()));
    let written = batch_write(ctx, table, rows, options, |done| {
        progress(Phase::Writing, messages + done, total)
    })
    .await
    .with_context(|| format!("writing the conversation rows of group {group} to table {table}"))?;

    Ok(SeedReport {
        group,
        messages,
        conversations: written,
        deleted,
        elapsed: started.elapsed(),
    })
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

    #[test]
    fn existing_items_split_into_overwritten_and_stale() {
        let group = Uuid::new_v4();
        let people = [person("a"), person("b")];
        let mut plan = Plan::new(group, people.clone(), synthetic(4), end()).unwrap();
        let same: Vec<String> = plan.messages().map(|m| m.created.to_string()).collect();
        let older = Sk(end() - chrono::Duration::hours(1)).to_string();
        let [ra, rb] = plan.conversations().clone();
        let key = |c: &Conversation| (Pk::Group(c.owner).to_string(), c.last_at.to_string());
        let old_row = (Pk::Group(people[0].uuid).to_string(), older.clone());
        let mut existing = same.clone();
        existing.push(older.clone());
        plan.set_existing(existing, vec![key(&ra), key(&rb), old_row.clone()]);
        assert_eq!(plan.overwritten_count(), 4);
        assert_eq!(plan.stale_messages, vec![older]);
        assert_eq!(plan.stale_conversations, vec![old_row]);
        assert_eq!(plan.stale_count(), 2);
    }
}
