//! `messaging-stream`: the stream processor, following the table's stream or replaying an event.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{ArgGroup, Parser};
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::ops::stream::follow::{self, FollowEvent, FollowOptions};
use cruddur_ops::ops::stream::{self, OutcomeKind, RecordOutcome};

/// Keep each conversation row on the latest message of its group: follow the messages table's
/// DynamoDB stream (--follow), or apply a recorded Lambda stream event (--event FILE).
///
/// Prints one line per stream record on stdout: `#INDEX OUTCOME MSG#<group> <sk> [SEQUENCE]: detail`,
/// where OUTCOME is applied, stale (already at this message or newer), skipped-remove,
/// skipped-not-msg, no-conversation, malformed or conflict. Progress goes to stderr.
/// A malformed record is reported and skipped (exit status 0); a file that is not a JSON stream
/// event is an error. --follow stops cleanly on Ctrl-C or SIGTERM.
#[derive(Parser, Debug)]
#[command(
    version,
    group(ArgGroup::new("mode").required(true).args(["follow", "event"])),
    after_help = "Examples:\n  messaging-stream --follow                     # local, new records only\n  messaging-stream --follow --from-start        # every record the stream still holds\n  messaging-stream --follow --checkpoint follow.json   # resume where it stopped\n  messaging-stream prod --follow --output jsonl\n  messaging-stream --event event.json           # replay what a Lambda received\n  messaging-stream --event event.json --output json"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

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

    /// Output format: `table` prints one line per record, `jsonl` one JSON object per record;
    /// `json` is a JSON array with --event (JSON lines with --follow).
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn write_outcomes(
    out: &mut impl Write,
    format: Format,
    outcomes: &[RecordOutcome],
) -> io::Result<()> {
    match format {
        Format::Table => {
            for outcome in outcomes {
                writeln!(out, "{outcome}")?;
            }
        }
        Format::Jsonl | Format::Json => {
            for outcome in outcomes {
                serde_json::to_writer(&mut *out, &outcome.to_json())?;
                writeln!(out)?;
            }
        }
    }
    out.flush()
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

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        if let Some(path) = &args.event {
            // Read and parse before connecting: a bad file writes nothing.
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the event file {}", path.display()))?;
            let event: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?;
            let records = stream::records_from_event_json(&event)
                .and_then(|records| {
                    if !args.skip_malformed {
                        stream::check_replay(&records)?;
                    }
                    Ok(records)
                })
                .with_context(|| format!("reading {}", path.display()))?;
            let ctx = cli::connect(&args.target, &args.table).await?;
            let outcomes = stream::handle_batch(&ctx, &records).await?;
            let mut out = io::stdout().lock();
            match args.output {
                Format::Json => {
                    let values: Vec<_> = outcomes.iter().map(RecordOutcome::to_json).collect();
                    output::write_json(&mut out, Format::Json, &values)
                }
                format => write_outcomes(&mut out, format, &outcomes),
            }
            .context("writing the outcomes")?;
            let malformed = count(&outcomes, OutcomeKind::Malformed);
            eprintln!(
                "{} records: {} applied, {} stale, {} skipped, {malformed} malformed, {} conflict",
                outcomes.len(),
                count(&outcomes, OutcomeKind::Applied),
                count(&outcomes, OutcomeKind::Stale),
                count(&outcomes, OutcomeKind::SkippedRemove)
                    + count(&outcomes, OutcomeKind::SkippedNotMessage)
                    + count(&outcomes, OutcomeKind::NoConversation),
                count(&outcomes, OutcomeKind::Conflict),
            );
            if malformed > 0 {
                eprintln!("warning: {malformed} malformed records were skipped (see above)");
            }
            return Ok(());
        }

        let ctx = cli::connect(&args.target, &args.table).await?;
        let options = FollowOptions {
            from_start: args.from_start,
            checkpoint: args.checkpoint.clone(),
            ..FollowOptions::default()
        };
        let format = args.output;
        let summary =
            follow::follow(&ctx, &options, shutdown_signal(), |event| {
                match event {
                    FollowEvent::Following { stream_arn, shards } => {
                        eprintln!(
                    "following {stream_arn} ({shards} shards, from {}) on {}; Ctrl-C to stop",
                    if options.from_start { "the oldest record" } else { "new records" },
                    ctx.dynamodb_endpoint
                )
                    }
                    FollowEvent::ShardStarted { shard_id, from } => {
                        eprintln!("reading shard {shard_id} from {from}")
                    }
                    FollowEvent::ShardReopened {
                        shard_id,
                        from,
                        why,
                    } => {
                        eprintln!("reopening shard {shard_id} {from}: {why}")
                    }
                    FollowEvent::ShardFinished { shard_id } => {
                        eprintln!("shard {shard_id} is closed and read to its end")
                    }
                    FollowEvent::Batch(outcomes) => {
                        write_outcomes(&mut io::stdout().lock(), format, outcomes)
                            .context("writing the outcomes")?;
                    }
                }
                Ok(())
            })
            .await?;
        eprintln!(
            "stopped: {} records, {} applied, {} malformed",
            summary.records, summary.applied, summary.malformed
        );
        Ok(())
    })
}
