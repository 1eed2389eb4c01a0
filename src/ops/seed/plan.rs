//! The pure plan of a seed: the keys and uuids of seeded messages, the items one seed of a group
//! writes, and the matching of that plan against what the group already holds (which of its items
//! an earlier seed wrote, to overwrite or delete, and which are kept). No I/O.

use crate::ddb::capacity::write_units;
use crate::ddb::size::item_size;
use std::collections::HashSet;

use anyhow::{bail, Result};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::conversation::Line;
use crate::model::keys::{Pk, Sk};
use crate::model::messages::{Conversation, Message, Person};

/// Time between two seeded messages.
pub const MESSAGE_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

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

/// A validated seed: who, what, when, and which items of an earlier seed it replaces.
#[derive(Debug)]
pub struct Plan {
    /// The message group.
    pub group: Uuid,
    /// Person 1 and Person 2.
    pub people: [Person; 2],
    /// Time of the last message.
    pub end: DateTime<Utc>,
    pub(super) lines: Vec<Line>,
    conversations: [Conversation; 2],
    /// Sort keys of an earlier seed's messages that this seed does not overwrite.
    pub(super) stale_messages: Vec<String>,
    /// Keys (pk, sk) of an earlier seed's conversation rows that this seed does not overwrite.
    pub(super) stale_conversations: Vec<(String, String)>,
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

    /// The write units the seed is expected to consume: each message and conversation row its
    /// size rounded up to 1 KB, each delete one unit (what a dry run reports against the budget).
    pub fn write_units(&self) -> f64 {
        let messages: f64 = Plan::into_messages(
            self.lines.clone(),
            self.group,
            self.people.clone(),
            self.end,
        )
        .map(|m| write_units(item_size(&m.into_item())))
        .sum();
        let rows: f64 = self
            .rows_to_write()
            .map(|c| write_units(item_size(&c.to_item())))
            .sum();
        messages + rows + self.stale_count() as f64
    }

    /// Messages of the group that no seed wrote; they are kept.
    pub fn kept_count(&self) -> usize {
        self.kept_messages
    }

    /// The conversation rows this seed puts.
    pub(super) fn rows_to_write(&self) -> impl Iterator<Item = &Conversation> {
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
    pub(super) fn into_messages(
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
