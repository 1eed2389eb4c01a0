//! What happened to each record of a batch: [`OutcomeKind`] and [`RecordOutcome`], and how they
//! read in a report (a table row, one line of text).

use std::fmt;

use serde::Serialize;
use strum::{Display, IntoStaticStr};
use uuid::Uuid;

use super::plan::NewMessage;
use crate::model::keys::{Pk, Sk};
use crate::report::Row;

/// What happened to one record of a batch (in JSON, the word of [`OutcomeKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, IntoStaticStr, Display)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "kebab-case")]
pub enum OutcomeKind {
    /// At least one conversation row was moved to this message.
    Applied,
    /// Every conversation row already carries this message or a newer one (a replay, a late
    /// record, or an older message of a group that has a newer one in the same batch).
    Stale,
    /// A `REMOVE` event: nothing to do.
    SkippedRemove,
    /// Not a `MSG#` item (a conversation row, say): nothing to do.
    #[strum(serialize = "skipped-not-msg")]
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
    /// The word used in reports (and in JSON).
    pub fn as_str(self) -> &'static str {
        self.into()
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
    pub(super) fn new(
        index: usize,
        id: Option<String>,
        kind: OutcomeKind,
        detail: String,
    ) -> RecordOutcome {
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

    pub(super) fn for_message(
        index: usize,
        id: Option<String>,
        message: &NewMessage,
        kind: OutcomeKind,
        detail: String,
    ) -> RecordOutcome {
        RecordOutcome {
            group: Some(message.group),
            at: Some(message.at),
            message_uuid: message.uuid,
            ..RecordOutcome::new(index, id, kind, detail)
        }
    }
}

impl Row for RecordOutcome {
    const COLUMNS: &'static [&'static str] = &["#", "Outcome", "Group", "Time", "Id", "Detail"];
    const CUT: &'static [&'static str] = &["Detail"];
    const HIDE: &'static [&'static str] = &["Id", "Time"];

    fn cells(&self) -> Vec<String> {
        let text = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.index.to_string(),
            self.kind.as_str().to_string(),
            // The group's uuid, as message_group_uuid in JSON (not the MSG# key).
            text(self.group.map(|g| g.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_word_in_reports_and_json() {
        let words = [
            (OutcomeKind::Applied, "applied"),
            (OutcomeKind::Stale, "stale"),
            (OutcomeKind::SkippedRemove, "skipped-remove"),
            (OutcomeKind::SkippedNotMessage, "skipped-not-msg"),
            (OutcomeKind::NoConversation, "no-conversation"),
            (OutcomeKind::Malformed, "malformed"),
            (OutcomeKind::Conflict, "conflict"),
            (OutcomeKind::Failed, "failed"),
            (OutcomeKind::Pending, "pending"),
        ];
        for (kind, word) in words {
            assert_eq!(kind.as_str(), word);
            assert_eq!(kind.to_string(), word);
            assert_eq!(serde_json::to_value(kind).unwrap(), word);
        }
    }
}
