//! `messaging-stream`: the stream processor, following the table's stream or replaying an event.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{ArgGroup, Parser};

use crate::cli::args::{DryRun, OutputArgs, TableTargetArgs};
use crate::cli::output::{self, RowWriter};
use crate::cli::{self};
use crate::ops::stream::follow::{self, FollowEvent, FollowOptions};
use crate::ops::stream::{self, OutcomeKind, RecordOutcome};

/// Keep each conversation row on the latest message of its group: follow the messages table's
/// DynamoDB stream (--follow), or apply a recorded Lambda stream event (--event FILE).
///
/// Prints one row per stream record on stdout, as the batches arrive; OUTCOME is applied, stale
/// (already at this message or newer), skipped-remove, skipped-not-msg, no-conversation,
/// malformed, conflict, failed (a DynamoDB error: applying stops there) or pending (left for the
/// retry). Progress and the final counts go to stderr. With --event, a file with no records or a
/// malformed one is refused (see --skip-malformed), a failed record makes the exit status
/// non-zero, and `--output json` prints the outcomes with the Lambda's answer
/// (`batchItemFailures`). A file that is not a JSON stream event is an error. --follow stops
/// cleanly on Ctrl-C or SIGTERM (closing a JSON array first).
#[derive(Parser, Debug)]
#[command(
    name = "messaging-stream",
    version,
    group(ArgGroup::new("mode").required(true).args(["follow", "event"])),
    after_help = cli::after_help("Output fields (jsonl, and json with --follow): index, id, outcome, message_group_uuid, sk, message_uuid, detail; json with --event: {\"outcomes\": [...], \"batchItemFailures\": [{\"itemIdentifier\": SEQ}]}.\n\nExamples:\n  messaging-stream --follow                     # local, new records only\n  messaging-stream --follow --from-start        # every record the stream still holds\n  messaging-stream --follow --checkpoint follow.json   # resume where it stopped\n  messaging-stream prod --follow --output jsonl\n  messaging-stream --event event.json           # replay what a Lambda received\n  messaging-stream --event event.json --output json\n  messaging-stream --event event.json --dry-run # what each record would do; writes nothing")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// Follow the table's stream (every shard, new shards as they appear) until Ctrl-C.
    #[arg(long)]
    follow: bool,

    /// With --follow: start at each shard's oldest record instead of only new records.
    #[arg(long, requires = "follow")]
    from_start: bool,

    /// With --follow: keep the last handled sequence number of each shard in FILE (JSON, replaced
    /// atomically after every batch) and, when FILE exists, resume each shard it names right
    /// after that record: what was written while the follower was stopped is handled on restart.
    #[arg(long, requires = "follow", value_name = "FILE")]
    checkpoint: Option<PathBuf>,

    /// Apply a recorded DynamoDB stream event (the JSON a Lambda receives) and exit. A file with
    /// no records or a malformed one is refused and nothing is written (see --skip-malformed).
    #[arg(long, value_name = "FILE")]
    event: Option<PathBuf>,

    /// With --event: apply the well-formed records and report the malformed ones, as the Lambda
    /// function does, instead of refusing the file.
    #[arg(long, requires = "event")]
    skip_malformed: bool,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    output: OutputArgs,
}

fn count(outcomes: &[RecordOutcome], kind: OutcomeKind) -> usize {
    outcomes.iter().filter(|o| o.kind == kind).count()
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// Replays an event file, or follows the stream until stopped.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.dry_run.dry_run && args.follow {
        anyhow::bail!("--dry-run works with --event only: --follow always applies what it reads");
    }
    if let Some(path) = &args.event {
        // Read and parse before connecting: a bad file writes nothing.
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the event file {}", path.display()))?;
        let event: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let records = stream::records_from_event_json(&event)
            .with_context(|| format!("reading {}", path.display()))?;
        if !args.skip_malformed {
            stream::check_replay(&records)
                .with_context(|| format!("replaying {}", path.display()))?;
        }
        let ctx = args.table.connect().await?;
        let report = if args.dry_run.dry_run {
            stream::plan_event_records(&ctx, &records).await
        } else {
            stream::handle_event_records(&ctx, &records).await
        };
        output::emit(&report, args.output.format())?;
        let outcomes = &report.outcomes;
        let malformed = count(outcomes, OutcomeKind::Malformed);
        eprintln!(
            "{} records: {} applied, {} stale, {} skipped, {malformed} malformed, {} conflict",
            outcomes.len(),
            count(outcomes, OutcomeKind::Applied),
            count(outcomes, OutcomeKind::Stale),
            count(outcomes, OutcomeKind::SkippedRemove)
                + count(outcomes, OutcomeKind::SkippedNotMessage)
                + count(outcomes, OutcomeKind::NoConversation),
            count(outcomes, OutcomeKind::Conflict),
        );
        if malformed > 0 {
            eprintln!("warning: {malformed} malformed records were skipped (see above)");
        }
        args.dry_run.note();
        return stream::check_batch_response(&report);
    }

    let mut writer = RowWriter::new(output::stdout(), args.output.format());
    let ctx = args.table.connect().await?;
    let options = FollowOptions {
        from_start: args.from_start,
        checkpoint: args.checkpoint.clone(),
        ..FollowOptions::default()
    };
    let summary = follow::follow(&ctx, &options, shutdown_signal(), |event| {
        match event {
            FollowEvent::Following { stream_arn, shards } => eprintln!(
                "following {stream_arn} ({shards} shards, from {}) on {}; Ctrl-C to stop",
                if options.from_start {
                    "the oldest record"
                } else {
                    "new records"
                },
                ctx.dynamodb_endpoint
            ),
            FollowEvent::ShardStarted { shard_id, from } => {
                eprintln!("reading shard {shard_id} from {from}")
            }
            FollowEvent::ShardReopened {
                shard_id,
                from,
                why,
            } => eprintln!("reopening shard {shard_id} {from}: {why}"),
            FollowEvent::ShardFinished { shard_id } => {
                eprintln!("shard {shard_id} is closed and read to its end")
            }
            FollowEvent::Batch(outcomes) => {
                writer.write(outcomes).context("writing the outcomes")?;
            }
        }
        Ok(())
    })
    .await?;
    writer.finish().context("writing the outcomes")?;
    eprintln!(
        "stopped: {} records, {} applied, {} malformed",
        summary.records, summary.applied, summary.malformed
    );
    Ok(())
}
