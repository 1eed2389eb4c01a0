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
    record_from_event_json, record_from_sdk, records_from_event_json, table_from_arn,
    IncomingRecord, MalformedRecord, StreamRecord,
};

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::context::{Context, SdkResultExt};
use crate::ddb::item::{get_s, opt_s, s, Item};
use crate::ddb::query::{self, query_all};
use crate::ddb::retry;
use crate::ddb::size::{item_size, MAX_ITEM_BYTES};
use crate::model::keys::{Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK};
use crate::ops::conversations::group_rows;
use crate::report::{Report, Row};

/// What happened to one record of a batch (in JSON, the word of [`OutcomeKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// At least one conversation row was moved to this message.
    Applied,
    /// Every conversation row already carries this message or a newer one (a replay, a late
    /// record, or an older message of a group that has a newer one in the same batch).
    Stale,
    /// A `REMOVE` event: nothing to do.
    SkippedRemove,
    /// Not a `MSG#` item (a conversation row, say): nothing to do.
    #[serde(rename = "skipped-not-msg")]
    SkippedNotMessage,
    /// The message's group has no conversation rows.
    NoConversation,
    /// The record could not be read; it was skipped.
    Malformed,
    /// A conversation row kept changing under us; it was left as it was.
    Conflict,
    /// Applying the record failed (DynamoDB answered with an error, or not at all): the batch
    /// stopped here, and this record is where a retry starts.
    Failed,
    /// Not applied because an earlier record failed (or because the newer message of its group
    /// that made it stale was not applied): left for the retry.
    Pending,
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
            OutcomeKind::Failed => "failed",
            OutcomeKind::Pending => "pending",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordOutcome {
    /// Position in the batch (from 0).
    pub index: usize,
    /// The record's sequence number or event id.
    pub id: Option<String>,
    /// What happened.
    #[serde(rename = "outcome")]
    pub kind: OutcomeKind,
    /// The message's group (for `MSG#` records).
    #[serde(rename = "message_group_uuid")]
    pub group: Option<Uuid>,
    /// The message's time (for `MSG#` records).
    #[serde(rename = "sk")]
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
}

impl Row for RecordOutcome {
    const COLUMNS: &'static [&'static str] = &["#", "Outcome", "Group", "Time", "Id", "Detail"];

    fn cells(&self) -> Vec<String> {
        let text = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.index.to_string(),
            self.kind.as_str().to_string(),
            text(self.group.map(|g| Pk::Message(g).to_string())),
            text(self.at.map(|t| t.to_string())),
            text(self.id.clone()),
            self.detail.clone(),
        ]
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
        Ok(message) => match row_too_large(&message) {
            Some(why) => Classified::Malformed(format!("{pk}: {why}")),
            None => Classified::Message(message),
        },
        Err(err) => Classified::Malformed(format!("{pk}: {err:#}")),
    }
}

/// Why no conversation row can ever carry `message`, when even the smallest `GRP#` row with it
/// (its key, the group and the text, before the owner's other attributes) is over DynamoDB's
/// 400 KB item limit: such a record can never apply, so it is malformed, not a failure to retry.
pub fn row_too_large(message: &NewMessage) -> Option<String> {
    let group = message.group.to_string();
    let smallest: Item = [
        (PK.to_string(), s(Pk::Group(message.group).to_string())),
        (SK.to_string(), s(message.at.to_string())),
        (MESSAGE_GROUP_UUID.to_string(), s(group)),
        (MESSAGE.to_string(), s(message.text.clone())),
    ]
    .into_iter()
    .collect();
    let size = item_size(&smallest);
    (size > MAX_ITEM_BYTES).then(|| too_large(size))
}

/// The reason given for a conversation row of `size` bytes.
fn too_large(size: usize) -> String {
    format!(
        "the message is too large: the conversation row carrying it would be {size} bytes, over \
         DynamoDB's 400 KB item limit ({MAX_ITEM_BYTES} bytes), so it can never be written"
    )
}

/// Whether DynamoDB refused a write because the item or the request is too large (HTTP 413, or
/// a ValidationException about the item size): retrying can never succeed.
fn refused_as_too_large<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    err: &aws_sdk_dynamodb::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<String> {
    if let Some(service) = err.as_service_error() {
        if service.code() == Some("ValidationException") {
            return service
                .message()
                .filter(|m| is_item_size_message(m))
                .map(|m| format!("ValidationException: {m} (DynamoDB's 400 KB item limit)"));
        }
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    (status == Some(413)).then(|| {
        "HTTP 413: request too large (over DynamoDB's 400 KB item limit), so it can never be \
         written"
            .to_string()
    })
}

/// Whether a ValidationException's message is DynamoDB's "Item size has exceeded the maximum
/// allowed size" (or "Item size to update has exceeded ...").
pub fn is_item_size_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("item size") && m.contains("exceeded")
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

/// Plans a batch whose records without a table of their own go to the default table.
/// See [`plan_batch_in`].
pub fn plan_batch(records: &[IncomingRecord]) -> Vec<Planned> {
    plan_batch_in(records, |table| {
        table.unwrap_or(crate::config::DEFAULT_TABLE)
    })
}

/// Plans a batch: classifies every record and keeps only the newest message of each group of
/// each table (`table_of` maps a record's own table, if any, to the one it goes to).
/// Pure: touches nothing.
pub fn plan_batch_in<'a>(
    records: &'a [IncomingRecord],
    table_of: impl Fn(Option<&'a str>) -> &'a str,
) -> Vec<Planned> {
    let mut plan = Vec::with_capacity(records.len());
    // (table, group) -> index of its newest message so far
    let mut newest: BTreeMap<(&str, Uuid), usize> = BTreeMap::new();
    let mut keys: BTreeMap<usize, (&str, Uuid)> = BTreeMap::new();
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
                let key = (table_of(record.table.as_deref()), message.group);
                let keep = match newest.get(&key) {
                    Some(&current) => message.at > messages[&current].at,
                    None => true,
                };
                if keep {
                    newest.insert(key, index);
                }
                keys.insert(index, key);
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
                let by = newest[&keys[&index]];
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
/// skipped. Applying stops at the first record that fails (a DynamoDB error): that record is
/// [`OutcomeKind::Failed`], every later record [`OutcomeKind::Pending`], and so is an earlier
/// record that was skipped as stale only because a newer message of its group, at or after the
/// failure, was going to be applied. [`batch_response`] turns the outcomes into Lambda's answer.
pub async fn process_batch(ctx: &Context, records: &[IncomingRecord]) -> Vec<RecordOutcome> {
    process(ctx, records, false).await
}

/// What [`process_batch`] would do, with the same reads (the group index, the conversation
/// rows) and no TransactWriteItems: a record whose rows would move is [`OutcomeKind::Applied`],
/// its detail saying "would move".
pub async fn plan_batch_outcomes(ctx: &Context, records: &[IncomingRecord]) -> Vec<RecordOutcome> {
    process(ctx, records, true).await
}

async fn process(ctx: &Context, records: &[IncomingRecord], dry_run: bool) -> Vec<RecordOutcome> {
    let plan = plan_batch_in(records, |table| target_table(ctx, table));
    let mut outcomes: Vec<RecordOutcome> = Vec::with_capacity(plan.len());
    // Contexts for the tables the records name (`eventSourceARN`), built once per table.
    let mut tables: BTreeMap<String, Context> = BTreeMap::new();
    let mut first_failure: Option<usize> = None;
    // (record, the later record of a newer message of its group that made it stale)
    let mut superseded: Vec<(usize, usize)> = Vec::new();
    for (index, planned) in plan.into_iter().enumerate() {
        let (id, table) = match &records[index] {
            Ok(r) => (r.id.clone(), r.table.clone()),
            Err(bad) => (bad.id.clone(), None),
        };
        if let Some(failed) = first_failure {
            outcomes.push(RecordOutcome::new(
                index,
                id,
                OutcomeKind::Pending,
                format!("not applied: record #{failed} failed first"),
            ));
            continue;
        }
        outcomes.push(match planned {
            Planned::Done(outcome) => outcome,
            Planned::Superseded { message, by } => {
                if by > index {
                    superseded.push((index, by));
                }
                RecordOutcome::for_message(
                    index,
                    id,
                    &message,
                    OutcomeKind::Stale,
                    format!("record #{by} of this batch carries a newer message of the group"),
                )
            }
            Planned::Apply(message) => {
                let name = target_table(ctx, table.as_deref());
                let ctx = if name == ctx.table() {
                    ctx
                } else {
                    tables
                        .entry(name.to_string())
                        .or_insert_with(|| ctx.for_table(name))
                };
                match apply_message(ctx, &message, dry_run).await {
                    Ok((kind, detail)) => {
                        RecordOutcome::for_message(index, id, &message, kind, detail)
                    }
                    Err(err) => {
                        first_failure = Some(index);
                        RecordOutcome::for_message(
                            index,
                            id,
                            &message,
                            OutcomeKind::Failed,
                            format!("{err:#}"),
                        )
                    }
                }
            }
        });
    }
    if let Some(failed) = first_failure {
        // A record made stale by a newer message that was not applied is not done either.
        for (index, by) in superseded {
            if by >= failed {
                let outcome = &mut outcomes[index];
                outcome.kind = OutcomeKind::Pending;
                outcome.detail = format!(
                    "not applied: record #{by}, the newer message of its group, was not applied"
                );
            }
        }
    }
    outcomes
}

/// The table a record's message goes to: the context's when it was given explicitly (`--table`,
/// `DDB_MESSAGE_TABLE`) or the record names none, else the one of its `eventSourceARN`.
fn target_table<'a>(ctx: &'a Context, record_table: Option<&'a str>) -> &'a str {
    match record_table {
        Some(table) if !ctx.config.table_given => table,
        _ => ctx.table(),
    }
}

/// Handles one batch and fails if a record failed (what [`follow`] needs: it must not move past a
/// record that was not applied). The error names the first failed record.
pub async fn handle_batch(ctx: &Context, records: &[IncomingRecord]) -> Result<Vec<RecordOutcome>> {
    let outcomes = process_batch(ctx, records).await;
    if let Some(failed) = outcomes.iter().find(|o| o.kind == OutcomeKind::Failed) {
        anyhow::bail!(
            "record #{}{} failed: {}",
            failed.index,
            failed
                .id
                .as_ref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            failed.detail
        );
    }
    Ok(outcomes)
}

/// A Lambda function's answer to a DynamoDB stream batch with `ReportBatchItemFailures`: the
/// record to retry from, or nothing when every record is done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// At most one entry: the first record that is not done.
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One entry of [`BatchResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The record's `SequenceNumber`. Empty when the record carries none, which Lambda takes as
    /// "retry the whole batch".
    pub item_identifier: String,
}

/// The batch response for `outcomes`: the first record that failed or is pending (Lambda then
/// retries from it, in order), or an empty list when all are done.
pub fn batch_response(outcomes: &[RecordOutcome]) -> BatchResponse {
    BatchResponse {
        batch_item_failures: outcomes
            .iter()
            .filter(|o| matches!(o.kind, OutcomeKind::Failed | OutcomeKind::Pending))
            .min_by_key(|o| o.index)
            .map(|o| BatchItemFailure {
                item_identifier: o.id.clone().unwrap_or_default(),
            })
            .into_iter()
            .collect(),
    }
}

/// A handled Lambda event: every record's outcome, and the answer for Lambda. Serializes as
/// `{"outcomes": [...], "batchItemFailures": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventReport {
    /// One per record, in order.
    pub outcomes: Vec<RecordOutcome>,
    /// What the Lambda function returns.
    #[serde(flatten)]
    pub response: BatchResponse,
}

/// A table and JSON lines show the outcomes; JSON is the whole document, with the Lambda's answer.
impl Report for EventReport {
    const COLUMNS: &'static [&'static str] = RecordOutcome::COLUMNS;

    fn rows(&self) -> Vec<Vec<String>> {
        self.outcomes.rows()
    }

    fn write_jsonl<W: std::io::Write + ?Sized>(&self, out: &mut W) -> std::io::Result<()> {
        self.outcomes.write_jsonl(out)
    }
}

/// What [`handle_event_records`] would do, writing nothing (see [`plan_batch_outcomes`]).
pub async fn plan_event_records(ctx: &Context, records: &[IncomingRecord]) -> EventReport {
    let outcomes = plan_batch_outcomes(ctx, records).await;
    let response = batch_response(&outcomes);
    EventReport { outcomes, response }
}

/// Handles the records of a Lambda event as one batch.
pub async fn handle_event_records(ctx: &Context, records: &[IncomingRecord]) -> EventReport {
    let outcomes = process_batch(ctx, records).await;
    let response = batch_response(&outcomes);
    EventReport { outcomes, response }
}

/// Ok when every record of the report is done; else an error naming the record Lambda would retry
/// from (for `messaging-stream --event`, which then exits non-zero).
pub fn check_batch_response(report: &EventReport) -> Result<()> {
    let Some(first) = report
        .outcomes
        .iter()
        .find(|o| matches!(o.kind, OutcomeKind::Failed | OutcomeKind::Pending))
    else {
        return Ok(());
    };
    let failed = report
        .outcomes
        .iter()
        .filter(|o| o.kind == OutcomeKind::Failed)
        .count();
    let pending = report
        .outcomes
        .iter()
        .filter(|o| o.kind == OutcomeKind::Pending)
        .count();
    anyhow::bail!(
        "{failed} record(s) failed and {pending} were left pending; Lambda would retry from \
         record #{}{}",
        first.index,
        first
            .id
            .as_ref()
            .map(|id| format!(" (SequenceNumber {id})"))
            .unwrap_or_default()
    )
}

/// Reads a Lambda event (`{"Records": [...]}`) and handles its records as one batch. An event
/// that is not a stream event is an error.
pub async fn handle_event_json(ctx: &Context, event: &Value) -> Result<EventReport> {
    let records = records_from_event_json(event)?;
    Ok(handle_event_records(ctx, &records).await)
}

/// Pauses before asking the group index again when it shows no conversation rows.
const EMPTY_INDEX_PAUSES: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];

/// How many times a row is re-read and retried when its transaction is cancelled.
const MAX_ATTEMPTS: u32 = 5;

/// What happened to one conversation row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RowResult {
    Moved {
        owner: String,
        from: String,
    },
    AlreadyCurrent {
        owner: String,
        sk: String,
    },
    Vanished {
        owner: String,
    },
    Conflict {
        owner: String,
        why: String,
    },
    /// The moved row would be over DynamoDB's item limit: it can never be written.
    TooLarge {
        owner: String,
        why: String,
    },
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
async fn apply_message(
    ctx: &Context,
    message: &NewMessage,
    dry_run: bool,
) -> Result<(OutcomeKind, String)> {
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
        results.push(move_row(ctx, message, owner, row, dry_run).await?);
    }
    let (kind, detail) = summarize(&results);
    Ok(if dry_run {
        (
            kind,
            format!(
                "dry run: {}",
                detail.replace(" moved from ", " would move from ")
            ),
        )
    } else {
        (kind, detail)
    })
}

fn summarize(results: &[RowResult]) -> (OutcomeKind, String) {
    let moved = results
        .iter()
        .filter(|r| matches!(r, RowResult::Moved { .. }))
        .count();
    let conflict = results
        .iter()
        .any(|r| matches!(r, RowResult::Conflict { .. }));
    let too_large = results
        .iter()
        .any(|r| matches!(r, RowResult::TooLarge { .. }));
    let parts: Vec<String> = results
        .iter()
        .map(|r| match r {
            RowResult::Moved { owner, from } => format!("{owner} moved from {from}"),
            RowResult::AlreadyCurrent { owner, sk } => format!("{owner} already at {sk}"),
            RowResult::Vanished { owner } => format!("{owner} row is gone"),
            RowResult::Conflict { owner, why } => format!("{owner} left as it was: {why}"),
            RowResult::TooLarge { owner, why } => format!("{owner} not moved: {why}"),
        })
        .collect();
    let kind = if moved > 0 {
        OutcomeKind::Applied
    } else if too_large {
        // No row can ever carry this message: a record that can never apply is malformed, and
        // the batch goes on past it.
        OutcomeKind::Malformed
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
    dry_run: bool,
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
        let size = item_size(&moved);
        if size > MAX_ITEM_BYTES {
            return Ok(RowResult::TooLarge {
                owner,
                why: too_large(size),
            });
        }
        if dry_run {
            return Ok(RowResult::Moved {
                owner,
                from: old_sk,
            });
        }
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
            .dynamodb()
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
                // Someone moved the row (or is moving it): read it again and decide again,
                // after the shared jittered backoff (several processors may collide again).
                retry::pause(attempt + 1).await;
                match consistent_row(ctx, &owner, message.group).await? {
                    Some(fresh) => row = fresh,
                    None => return Ok(RowResult::Vanished { owner }),
                }
            }
            Err(err) if refused_as_too_large(&err).is_some() => {
                let why = refused_as_too_large(&err).unwrap_or_default();
                return Ok(RowResult::TooLarge { owner, why });
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
