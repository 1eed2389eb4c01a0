//! The Lambda side of the processor: a stream event's records handled as one batch, and the
//! answer Lambda expects ([`BatchResponse`], `batchItemFailures`).

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::outcome::{OutcomeKind, RecordOutcome};
use super::{plan_batch_outcomes, process_batch, records_from_event_json, IncomingRecord};
use crate::context::Context;
use crate::report::{Report, Row};

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
    const CUT: &'static [&'static str] = <RecordOutcome as Row>::CUT;
    const HIDE: &'static [&'static str] = <RecordOutcome as Row>::HIDE;

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

/// Handles the records of a Lambda event as one batch; with the error of the record that failed,
/// if one did (for [`check_batch_response`]).
pub async fn handle_event_records(
    ctx: &Context,
    records: &[IncomingRecord],
) -> (EventReport, Option<anyhow::Error>) {
    let (outcomes, failure) = process_batch(ctx, records).await;
    let response = batch_response(&outcomes);
    (EventReport { outcomes, response }, failure)
}

/// Ok when every record of the report is done; else an error naming the record Lambda would retry
/// from (for `messaging-stream --event`, which then exits non-zero), over the failed record's own
/// error when there is one (`failure`: an AccessDenied in it is then reported as one).
pub fn check_batch_response(report: &EventReport, failure: Option<anyhow::Error>) -> Result<()> {
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
    let message = format!(
        "{failed} record(s) failed and {pending} were left pending; Lambda would retry from \
         record #{}{}",
        first.index,
        first
            .id
            .as_ref()
            .map(|id| format!(" (SequenceNumber {id})"))
            .unwrap_or_default()
    );
    Err(match failure {
        Some(err) => err.context(message),
        None => anyhow::anyhow!(message),
    })
}

/// Reads a Lambda event (`{"Records": [...]}`) and handles its records as one batch. An event
/// that is not a stream event is an error.
pub async fn handle_event_json(ctx: &Context, event: &Value) -> Result<EventReport> {
    let records = records_from_event_json(event)?;
    Ok(handle_event_records(ctx, &records).await.0)
}
