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
pub mod shards;

mod apply;
mod lambda;
mod outcome;
mod plan;
mod run;

pub use apply::{is_item_size_message, must_move, newest_per_owner};
pub use lambda::{
    batch_response, check_batch_response, handle_event_json, handle_event_records,
    plan_event_records, BatchItemFailure, BatchResponse, EventReport,
};
pub use outcome::{OutcomeKind, RecordOutcome};
pub use plan::{
    check_replay, classify, plan_batch, plan_batch_in, row_too_large, Classified, NewMessage,
    Planned,
};
pub use record::{
    record_from_event_json, record_from_sdk, records_from_event_json, table_from_arn,
    IncomingRecord, MalformedRecord, StreamRecord,
};
pub use run::{replay, run_follow, Outcomes, Replay};

use std::collections::BTreeMap;

use anyhow::Result;

use crate::context::Context;
use apply::apply_message;

/// Handles one batch: every record gets an outcome, in order. A malformed record is reported and
/// skipped. Applying stops at the first record that fails (a DynamoDB error): that record is
/// [`OutcomeKind::Failed`], every later record [`OutcomeKind::Pending`], and so is an earlier
/// record that was skipped as stale only because a newer message of its group, at or after the
/// failure, was going to be applied. [`batch_response`] turns the outcomes into Lambda's answer.
/// With them, the failed record's own error (its outcome's detail in words), so that a caller can
/// report it as the cause: an AccessDenied in it is then reported as one.
pub async fn process_batch(
    ctx: &Context,
    records: &[IncomingRecord],
) -> (Vec<RecordOutcome>, Option<anyhow::Error>) {
    process(ctx, records, false).await
}

/// What [`process_batch`] would do, with the same reads (the group index, the conversation
/// rows) and no TransactWriteItems: a record whose rows would move is [`OutcomeKind::Applied`],
/// its detail saying "would move".
pub async fn plan_batch_outcomes(ctx: &Context, records: &[IncomingRecord]) -> Vec<RecordOutcome> {
    process(ctx, records, true).await.0
}

/// The outcomes, and the error of the record that failed (its outcome's detail in words), if one
/// did.
async fn process(
    ctx: &Context,
    records: &[IncomingRecord],
    dry_run: bool,
) -> (Vec<RecordOutcome>, Option<anyhow::Error>) {
    let plan = plan_batch_in(records, |table| target_table(ctx, table));
    let mut outcomes: Vec<RecordOutcome> = Vec::with_capacity(plan.len());
    // Contexts for the tables the records name (`eventSourceARN`), built once per table.
    let mut tables: BTreeMap<String, Context> = BTreeMap::new();
    // The first record that failed, and its error.
    let mut failure: Option<(usize, anyhow::Error)> = None;
    // (record, the later record of a newer message of its group that made it stale)
    let mut superseded: Vec<(usize, usize)> = Vec::new();
    for (index, planned) in plan.into_iter().enumerate() {
        let (id, table) = match &records[index] {
            Ok(r) => (r.id.clone(), r.table.clone()),
            Err(bad) => (bad.id.clone(), None),
        };
        if let Some((failed, _)) = failure {
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
                        let detail = format!("{err:#}");
                        failure = Some((index, err));
                        RecordOutcome::for_message(index, id, &message, OutcomeKind::Failed, detail)
                    }
                }
            }
        });
    }
    if let Some((failed, _)) = failure {
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
    (outcomes, failure.map(|(_, err)| err))
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
/// record that was not applied). The error names the first failed record, over the record's own
/// error (so that an AccessDenied in it is reported as one).
pub async fn handle_batch(ctx: &Context, records: &[IncomingRecord]) -> Result<Vec<RecordOutcome>> {
    let (outcomes, failure) = process_batch(ctx, records).await;
    if let Some(failed) = outcomes.iter().find(|o| o.kind == OutcomeKind::Failed) {
        let which = format!(
            "record #{}{} failed",
            failed.index,
            failed
                .id
                .as_ref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
        );
        return Err(match failure {
            Some(err) => err.context(which),
            None => anyhow::anyhow!("{which}: {}", failed.detail),
        });
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests;
