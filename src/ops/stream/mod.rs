//! The stream processor: keeps each conversation (`GRP#`) row on the latest message of its group.
//!
//! Every write of a `MSG#` item shows up on the table's DynamoDB stream. For each batch of stream
//! records, [`handle_batch`]:
//!
//! - skips `REMOVE` events and records whose key is not a `MSG#` key (the conversation rows this
//!   processor itself rewrites come back on the stream, too);
//! - keeps, per message group, only the newest message of the batch;
//! - finds the group's conversation rows through the group index and moves each row that is older
//!   than the message to the message's `sk` and text: a delete of the old key and a put of the new
//!   item in one transaction, conditioned so that a row only ever moves forward in time. A replayed
//!   or late record finds the rows already at that message or newer and changes nothing;
//! - reports a malformed record and goes on with the rest of the batch.
//!
//! Records come from two places, both converted here into [`StreamRecord`]: the Streams API's
//! `GetRecords` ([`record_from_sdk`], used by [`follow`]) and the JSON event a Lambda function
//! receives ([`records_from_event_json`], DynamoDB's typed JSON).

pub mod checkpoint;
pub mod follow;
pub mod record;

pub use record::{
    record_from_event_json, record_from_sdk, records_from_event_json, IncomingRecord,
    MalformedRecord, StreamRecord,
};

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::context::{Context, SdkResultExt};
use crate::ddb::item::{get_s, opt_s, s, Item};
use crate::ddb::query::{self, query_all};
use crate::model::keys::{Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK};
use crate::ops::conversations::group_rows;

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// At least one conversation row was moved to this message.
    Applied,
    /// Every conversation row already carries this message or a newer one (a replay, a late
    /// record, or an older message of a group that has a newer one in the same batch).
    Stale,
    /// A `REMOVE` event: nothing to do.
    SkippedRemove,
    /// Not a `MSG#` item (a conversation row, say): nothing to do.
    SkippedNotMessage,
    /// The message's group has no conversation rows.
    NoConversation,
    /// The record could not be read; it was skipped.
    Malformed,
    /// A conversation row kept changing under us; it was left as it was.
    Conflict,
}

impl OutcomeKind {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Applied => "applied",
            OutcomeKind::Stale => "stale",
            OutcomeKind::SkippedRemove => "skipped-remove",
            OutcomeKind::SkippedNotMessage => "skipped-not-msg",
            OutcomeKind::NoConversation => "no-conversation",
            OutcomeKind::Malformed => "malformed",
            OutcomeKind::Conflict => "conflict",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    /// Position in the batch (from 0).
    pub index: usize,
    /// The record's sequence number or event id.
    pub id: Option<String>,
    /// What happened.
    pub kind: OutcomeKind,
    /// The message's group (for `MSG#` records).
    pub group: Option<Uuid>,
    /// The message's time (for `MSG#` records).
    pub at: Option<Sk>,
    /// The message's uuid, when the record carries one.
    pub message_uuid: Option<Uuid>,
    /// Details for people: which rows moved, why a record was skipped.
    pub detail: String,
}

impl RecordOutcome {
    fn new(index: usize, id: Option<String>, kind: OutcomeKind, detail: String) -> RecordOutcome {
        RecordOutcome {
            index,
            id,
            kind,
            group: None,
            at: None,
            message_uuid: None,
            detail,
        }
    }

    fn for_message(
        index: usize,
        id: Option<String>,
        message: &NewMessage,
        kind: OutcomeKind,
        detail: String,
    ) -> RecordOutcome {
        RecordOutcome {
            index,
            id,
            kind,
            group: Some(message.group),
            at: Some(message.at),
            message_uuid: message.uuid,
            detail,
        }
    }

    /// The outcome as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "index": self.index,
            "id": self.id,
            "outcome": self.kind.as_str(),
            "message_group_uuid": self.group.map(|g| g.to_string()),
            "sk": self.at.map(|t| t.to_string()),
            "message_uuid": self.message_uuid.map(|u| u.to_string()),
            "detail": self.detail,
        })
    }
}

impl fmt::Display for RecordOutcome {
    /// One line: `#0 applied MSG#<group> <sk> <detail>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {:<15}", self.index, self.kind.as_str())?;
        if let Some(group) = self.group {
            write!(f, " {}", Pk::Message(group))?;
        }
        if let Some(at) = self.at {
            write!(f, " {at}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " [{id}]")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The part of a `MSG#` record the conversation rows need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The message group.
    pub group: Uuid,
    /// The message's time (its `sk`).
    pub at: Sk,
    /// The text.
    pub text: String,
    /// The message's uuid, if the item has one.
    pub uuid: Option<Uuid>,
}

/// What a record asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// A `REMOVE` event.
    Remove,
    /// Not a message item; carries the partition key.
    NotMessage(String),
    /// A new or changed message.
    Message(NewMessage),
    /// Unusable; carries the reason.
    Malformed(String),
}

/// Decides what a record asks for, without touching anything.
pub fn classify(record: &StreamRecord) -> Classified {
    match record.event_name.as_str() {
        "REMOVE" => return Classified::Remove,
        "INSERT" | "MODIFY" => {}
        other => return Classified::Malformed(format!("unknown event name {other:?}")),
    }
    let image = record.new_image.as_ref().filter(|i| !i.is_empty());
    let pk = match get_s(&record.keys, PK).or_else(|e| match image {
        Some(image) => get_s(image, PK),
        None => Err(e),
    }) {
        Ok(pk) => pk,
        Err(err) => return Classified::Malformed(format!("no partition key: {err}")),
    };
    let group = match pk.parse::<Pk>() {
        Ok(Pk::Message(group)) => group,
        Ok(Pk::Group(_)) | Err(_) => return Classified::NotMessage(pk.to_string()),
    };
    let Some(image) = image else {
        return Classified::Malformed(format!(
            "{pk}: the record has no NewImage (the stream must carry NEW_IMAGE or NEW_AND_OLD_IMAGES)"
        ));
    };
    let read = || -> Result<NewMessage> {
        let at = Sk::parse(get_s(image, SK)?).context("sk")?;
        let text = get_s(image, MESSAGE)?.to_string();
        let uuid = match opt_s(image, MESSAGE_UUID) {
            Some(u) => Some(Uuid::parse_str(u).with_context(|| format!("{MESSAGE_UUID} {u:?}"))?),
            None => None,
        };
        Ok(NewMessage {
            group,
            at,
            text,
            uuid,
        })
    };
    match read() {
        Ok(message) => Classified::Message(message),
        Err(err) => Classified::Malformed(format!("{pk}: {err:#}")),
    }
}

/// What to do with one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Decided without touching the table.
    Done(RecordOutcome),
    /// The newest message of its group in this batch: apply it.
    Apply(NewMessage),
    /// An older (or the same) message of a group whose newest message in the batch is at `by`.
    Superseded {
        /// The message.
        message: NewMessage,
        /// Index of the record that supersedes it.
        by: usize,
    },
}

/// Checks a recorded event before it is replayed (`messaging-stream --event`): it must hold at
/// least one record and no malformed one, so that a bad file writes nothing. (A live stream or a
/// Lambda batch instead skips malformed records: there, stopping would block every later record.)
pub fn check_replay(records: &[IncomingRecord]) -> Result<()> {
    if records.is_empty() {
        anyhow::bail!(
            "the event holds no records (its \"Records\" array is empty): nothing to apply"
        );
    }
    let bad: Vec<String> = plan_batch(records)
        .into_iter()
        .filter_map(|planned| match planned {
            Planned::Done(outcome) if outcome.kind == OutcomeKind::Malformed => Some(format!(
                "record #{}{}: {}",
                outcome.index,
                outcome.id.map(|id| format!(" ({id})")).unwrap_or_default(),
                outcome.detail
            )),
            _ => None,
        })
        .collect();
    if !bad.is_empty() {
        anyhow::bail!(
            "{} of {} records are malformed, so none was applied: {}",
            bad.len(),
            records.len(),
            bad.join("; ")
        );
    }
    Ok(())
}

/// Plans a batch: classifies every record and keeps only the newest message of each group.
/// Pure: touches nothing.
pub fn plan_batch(records: &[IncomingRecord]) -> Vec<Planned> {
    let mut plan = Vec::with_capacity(records.len());
    // group -> index of its newest message so far
    let mut newest: BTreeMap<Uuid, usize> = BTreeMap::new();
    let mut messages: BTreeMap<usize, NewMessage> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(bad) => {
                plan.push(Some(RecordOutcome::new(
                    index,
                    bad.id.clone(),
                    OutcomeKind::Malformed,
                    bad.reason.clone(),
                )));
                continue;
            }
        };
        let done = |kind, detail| Some(RecordOutcome::new(index, record.id.clone(), kind, detail));
        match classify(record) {
            Classified::Remove => plan.push(done(
                OutcomeKind::SkippedRemove,
                "REMOVE event: nothing to do".into(),
            )),
            Classified::NotMessage(pk) => plan.push(done(
                OutcomeKind::SkippedNotMessage,
                format!("{pk} is not a message item"),
            )),
            Classified::Malformed(reason) => plan.push(done(OutcomeKind::Malformed, reason)),
            Classified::Message(message) => {
                let keep = match newest.get(&message.group) {
                    Some(&current) => message.at > messages[&current].at,
                    None => true,
                };
                if keep {
                    newest.insert(message.group, index);
                }
                messages.insert(index, message);
                plan.push(None);
            }
        }
    }
    plan.into_iter()
        .enumerate()
        .map(|(index, planned)| match planned {
            Some(outcome) => Planned::Done(outcome),
            None => {
                let message = messages.remove(&index).unwrap_or_else(|| {
                    unreachable!("every undecided record of the plan is a message")
                });
                let by = newest[&message.group];
                if by == index {
                    Planned::Apply(message)
                } else {
                    Planned::Superseded { message, by }
                }
            }
        })
        .collect()
}

/// Handles one batch: every record gets an outcome, in order. A malformed record is reported and
/// skipped; an error talking to DynamoDB fails the whole batch (which is safe to retry: applying a
/// record twice changes nothing).
pub async fn handle_batch(ctx: &Context, records: &[IncomingRecord]) -> Result<Vec<RecordOutcome>> {
    let plan = plan_batch(records);
    let mut outcomes = Vec::with_capacity(plan.len());
    for (index, planned) in plan.into_iter().enumerate() {
        let id = match &records[index] {
            Ok(r) => r.id.clone(),
            Err(bad) => bad.id.clone(),
        };
        outcomes.push(match planned {
            Planned::Done(outcome) => outcome,
            Planned::Superseded { message, by } => RecordOutcome::for_message(
                index,
                id,
                &message,
                OutcomeKind::Stale,
                format!("record #{by} of this batch carries a newer message of the group"),
            ),
            Planned::Apply(message) => {
                let (kind, detail) = apply_message(ctx, &message).await?;
                RecordOutcome::for_message(index, id, &message, kind, detail)
            }
        });
    }
    Ok(outcomes)
}

/// Reads a Lambda event (`{"Records": [...]}`) and handles its records as one batch.
pub async fn handle_event_json(ctx: &Context, event: &Value) -> Result<Vec<RecordOutcome>> {
    let records = records_from_event_json(event)?;
    handle_batch(ctx, &records).await
}

/// Pauses before asking the group index again when it shows no conversation rows.
const EMPTY_INDEX_PAUSES: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];

/// How many times a row is re-read and retried when its transaction is cancelled.
const MAX_ATTEMPTS: u32 = 5;

/// What happened to one conversation row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RowResult {
    Moved { owner: String, from: String },
    AlreadyCurrent { owner: String, sk: String },
    Vanished { owner: String },
    Conflict { owner: String, why: String },
}

/// Whether a row at `row` must move to a message at `message`: only ever forward in time.
pub fn must_move(row: Sk, message: Sk) -> bool {
    row < message
}

/// The newest row of each owner (`pk`) among a group's conversation rows, keyed by `pk`.
/// Rows without a readable `pk`/`sk` are left out.
pub fn newest_per_owner(rows: Vec<Item>) -> BTreeMap<String, (Sk, Item)> {
    let mut newest: BTreeMap<String, (Sk, Item)> = BTreeMap::new();
    for row in rows {
        let (Ok(pk), Ok(sk)) = (get_s(&row, PK), get_s(&row, SK)) else {
            continue;
        };
        let Ok(at) = Sk::parse(sk) else {
            continue;
        };
        let pk = pk.to_string();
        if newest.get(&pk).is_none_or(|(current, _)| at > *current) {
            newest.insert(pk, (at, row));
        }
    }
    newest
}

/// Moves every conversation row of the message's group that is older than the message.
async fn apply_message(ctx: &Context, message: &NewMessage) -> Result<(OutcomeKind, String)> {
    // The group index is eventually consistent: a group created a moment ago, or a row in the
    // middle of a move (deleted, not yet put, as the index sees it), may briefly be missing.
    let mut newest = newest_per_owner(group_rows(ctx, message.group).await?);
    for pause in EMPTY_INDEX_PAUSES {
        if !newest.is_empty() {
            break;
        }
        tokio::time::sleep(pause).await;
        newest = newest_per_owner(group_rows(ctx, message.group).await?);
    }
    if newest.is_empty() {
        return Ok((
            OutcomeKind::NoConversation,
            "the group has no conversation rows".into(),
        ));
    }
    let mut results = Vec::with_capacity(newest.len());
    for (owner, (_, row)) in newest {
        results.push(move_row(ctx, message, owner, row).await?);
    }
    Ok(summarize(&results))
}

fn summarize(results: &[RowResult]) -> (OutcomeKind, String) {
    let moved = results
        .iter()
        .filter(|r| matches!(r, RowResult::Moved { .. }))
        .count();
    let conflict = results
        .iter()
        .any(|r| matches!(r, RowResult::Conflict { .. }));
    let parts: Vec<String> = results
        .iter()
        .map(|r| match r {
            RowResult::Moved { owner, from } => format!("{owner} moved from {from}"),
            RowResult::AlreadyCurrent { owner, sk } => format!("{owner} already at {sk}"),
            RowResult::Vanished { owner } => format!("{owner} row is gone"),
            RowResult::Conflict { owner, why } => format!("{owner} left as it was: {why}"),
        })
        .collect();
    let kind = if moved > 0 {
        OutcomeKind::Applied
    } else if conflict {
        OutcomeKind::Conflict
    } else {
        OutcomeKind::Stale
    };
    (kind, parts.join("; "))
}

/// Moves one conversation row forward to `message`, retrying on a cancelled transaction with a
/// fresh, strongly consistent read of the row.
async fn move_row(
    ctx: &Context,
    message: &NewMessage,
    owner: String,
    mut row: Item,
) -> Result<RowResult> {
    let new_sk = message.at.to_string();
    for attempt in 0..MAX_ATTEMPTS {
        let old_sk = get_s(&row, SK)?.to_string();
        let current = Sk::parse(&old_sk)?;
        if !must_move(current, message.at) {
            return Ok(RowResult::AlreadyCurrent { owner, sk: old_sk });
        }
        let mut moved = row.clone();
        moved.insert(SK.into(), s(&new_sk));
        moved.insert(MESSAGE.into(), s(&message.text));
        let delete = Delete::builder()
            .table_name(ctx.table())
            .key(PK, s(&owner))
            .key(SK, s(&old_sk))
            .condition_expression("attribute_exists(#pk) AND #g = :g")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
            .expression_attribute_values(":g", s(message.group.to_string()))
            .build()
            .context("building the delete of a conversation row")?;
        let put = Put::builder()
            .table_name(ctx.table())
            .set_item(Some(moved))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .context("building the put of a conversation row")?;
        let sent = ctx
            .dynamodb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match sent {
            Ok(_) => {
                return Ok(RowResult::Moved {
                    owner,
                    from: old_sk,
                })
            }
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_transaction_canceled_exception()
                        || e.is_transaction_in_progress_exception()
                }) =>
            {
                // Someone moved the row (or is moving it): read it again and decide again.
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
                match consistent_row(ctx, &owner, message.group).await? {
                    Some(fresh) => row = fresh,
                    None => return Ok(RowResult::Vanished { owner }),
                }
            }
            Err(err) => {
                return Err(err).on(
                    &ctx.dynamodb_endpoint,
                    format_args!(
                        "moving conversation row {owner} of group {} to {new_sk} in table {}",
                        message.group,
                        ctx.table()
                    ),
                )
            }
        }
    }
    Ok(RowResult::Conflict {
        owner,
        why: format!("still changing after {MAX_ATTEMPTS} attempts"),
    })
}

/// The newest row of `group` in the partition `owner` (`GRP#<user>`), read strongly consistent.
async fn consistent_row(ctx: &Context, owner: &str, group: Uuid) -> Result<Option<Item>> {
    let request = query::partition(ctx, owner.parse::<Pk>()?)
        .consistent_read(true)
        .filter_expression("#g = :g")
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":g", s(group.to_string()));
    let what = format!("re-reading conversation row {owner} of group {group}");
    let rows = query_all(ctx, request, what).await?;
    Ok(newest_per_owner(rows)
        .into_values()
        .next()
        .map(|(_, row)| row))
}

// ---- Reading records -------------------------------------------------------------------------

#[cfg(test)]
mod tests;
