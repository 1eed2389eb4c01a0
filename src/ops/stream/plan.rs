//! Pure planning of a batch: what each record asks for ([`classify`]) and which records to apply
//! ([`plan_batch_in`]: only the newest message of each group). Touches nothing.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use uuid::Uuid;

use super::outcome::{OutcomeKind, RecordOutcome};
use super::{IncomingRecord, StreamRecord};
use crate::ddb::item::{get_s, opt_s, s, Item};
use crate::ddb::size::{item_size, MAX_ITEM_BYTES};
use crate::model::keys::{Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK};

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
pub(super) fn too_large(size: usize) -> String {
    format!(
        "the message is too large: the conversation row carrying it would be {size} bytes, over \
         DynamoDB's 400 KB item limit ({MAX_ITEM_BYTES} bytes), so it can never be written"
    )
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
    /// A record as the first pass leaves it: decided, or a message waiting to learn whether it
    /// is the newest of its group.
    enum Slot<'a> {
        Done(RecordOutcome),
        Message(NewMessage, (&'a str, Uuid)),
    }
    let mut slots = Vec::with_capacity(records.len());
    // (table, group) -> index and time of its newest message so far
    let mut newest: BTreeMap<(&str, Uuid), (usize, Sk)> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(bad) => {
                slots.push(Slot::Done(RecordOutcome::new(
                    index,
                    bad.id.clone(),
                    OutcomeKind::Malformed,
                    bad.reason.clone(),
                )));
                continue;
            }
        };
        let done =
            |kind, detail| Slot::Done(RecordOutcome::new(index, record.id.clone(), kind, detail));
        match classify(record) {
            Classified::Remove => slots.push(done(
                OutcomeKind::SkippedRemove,
                "REMOVE event: nothing to do".into(),
            )),
            Classified::NotMessage(pk) => slots.push(done(
                OutcomeKind::SkippedNotMessage,
                format!("{pk} is not a message item"),
            )),
            Classified::Malformed(reason) => slots.push(done(OutcomeKind::Malformed, reason)),
            Classified::Message(message) => {
                let key = (table_of(record.table.as_deref()), message.group);
                let keep = newest
                    .get(&key)
                    .is_none_or(|(_, newest_at)| message.at > *newest_at);
                if keep {
                    newest.insert(key, (index, message.at));
                }
                slots.push(Slot::Message(message, key));
            }
        }
    }
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| match slot {
            Slot::Done(outcome) => Planned::Done(outcome),
            // Every message's key is in `newest` (the first message of a key inserts it).
            Slot::Message(message, key) => match newest.get(&key) {
                Some(&(by, _)) if by != index => Planned::Superseded { message, by },
                _ => Planned::Apply(message),
            },
        })
        .collect()
}
