//! `messaging-stream` from start to end: a recorded event read, checked and replayed (or
//! planned), or the table's stream followed until stopped, each outcome handed over for stdout
//! as it comes and the counts told at the end.

use std::future::Future;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::follow::{follow, FollowEvent, FollowOptions};
use super::{
    check_batch_response, check_replay, handle_event_records, plan_event_records,
    records_from_event_json, OutcomeKind, RecordOutcome,
};
use crate::context::Context;
use crate::ops::ui::Ui;
use crate::report::Format;

/// Where outcomes go as they come, a batch at a time.
pub trait Outcomes {
    /// Writes one batch.
    fn write(&mut self, outcomes: &[RecordOutcome]) -> Result<()>;
    /// Closes the output (a JSON array's bracket).
    fn finish(self) -> Result<()>;
}

/// A recorded stream event, read and checked before anything is connected to.
pub struct Replay {
    records: Vec<super::IncomingRecord>,
}

impl Replay {
    /// Reads the event file at `path`; without `skip_malformed`, refuses one with no records or
    /// a malformed one.
    pub fn read(path: &Path, skip_malformed: bool) -> Result<Replay> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the event file {}", path.display()))?;
        let event: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let records = records_from_event_json(&event)
            .with_context(|| format!("reading {}", path.display()))?;
        if !skip_malformed {
            check_replay(&records).with_context(|| format!("replaying {}", path.display()))?;
        }
        Ok(Replay { records })
    }
}

fn count(outcomes: &[RecordOutcome], kind: OutcomeKind) -> usize {
    outcomes.iter().filter(|o| o.kind == kind).count()
}

/// Applies (or with `dry_run`, plans) `replay`'s records, hands the report to `ui` in `format`
/// and tells the counts; fails when a record failed.
pub async fn replay(
    ctx: &Context,
    replay: &Replay,
    dry_run: bool,
    format: Format,
    ui: &mut impl Ui,
) -> Result<()> {
    let (report, failure) = if dry_run {
        (plan_event_records(ctx, &replay.records).await, None)
    } else {
        handle_event_records(ctx, &replay.records).await
    };
    ui.emit(&report, format)?;
    let outcomes = &report.outcomes;
    let malformed = count(outcomes, OutcomeKind::Malformed);
    ui.note(&format!(
        "{} records: {} applied, {} stale, {} skipped, {malformed} malformed, {} conflict",
        outcomes.len(),
        count(outcomes, OutcomeKind::Applied),
        count(outcomes, OutcomeKind::Stale),
        count(outcomes, OutcomeKind::SkippedRemove)
            + count(outcomes, OutcomeKind::SkippedNotMessage)
            + count(outcomes, OutcomeKind::NoConversation),
        count(outcomes, OutcomeKind::Conflict),
    ));
    if malformed > 0 {
        ui.note(&format!(
            "warning: {malformed} malformed records were skipped (see above)"
        ));
    }
    ui.dry_run_note(dry_run);
    check_batch_response(&report, failure)
}

/// Follows the stream of `ctx`'s table as `options` say until `stop` completes, each batch's
/// outcomes to `out`, telling `ui` where it reads.
pub async fn run_follow(
    ctx: &Context,
    options: &FollowOptions,
    stop: impl Future<Output = ()>,
    mut out: impl Outcomes,
    ui: &mut impl Ui,
) -> Result<()> {
    let summary = follow(ctx, options, stop, |event| {
        match event {
            FollowEvent::Following { stream_arn, shards } => ui.note(&format!(
                "following {stream_arn} ({shards} shards, from {}) on {}; Ctrl-C to stop",
                if options.from_start {
                    "the oldest record"
                } else {
                    "new records"
                },
                ctx.dynamodb_endpoint
            )),
            FollowEvent::ShardStarted { shard_id, from } => {
                ui.note(&format!("reading shard {shard_id} from {from}"))
            }
            FollowEvent::ShardReopened {
                shard_id,
                from,
                why,
            } => ui.note(&format!("reopening shard {shard_id} {from}: {why}")),
            FollowEvent::ShardFinished { shard_id } => {
                ui.note(&format!("shard {shard_id} is closed and read to its end"))
            }
            FollowEvent::Batch(outcomes) => out.write(outcomes)?,
        }
        Ok(())
    })
    .await?;
    out.finish()?;
    ui.note(&format!(
        "stopped: {} records, {} applied, {} malformed",
        summary.records, summary.applied, summary.malformed
    ));
    if summary.applied == 0 {
        if let Some(hint) = nothing_applied_hint(options) {
            ui.note(&hint);
        }
    }
    Ok(())
}

/// What a follower that applied nothing says about where it started reading, when that was
/// LATEST (records written before it started were never read): how to read them.
pub fn nothing_applied_hint(options: &FollowOptions) -> Option<String> {
    if options.from_start {
        return None;
    }
    let which = if options.checkpoint.is_some() {
        "shards the checkpoint did not name were read"
    } else {
        "every shard was read"
    };
    Some(format!(
        "nothing applied: {which} from LATEST, only records written after it started; \
         --from-start reads every record the stream still holds (24 hours), and --checkpoint FILE \
         makes the next run resume exactly where this one stopped"
    ))
}
