//! `messaging-stream`: the stream processor, following the table's stream or replaying an event.

use std::path::PathBuf;

use clap::{ArgGroup, Parser};

use crate::cli;
use crate::cli::args::{DryRun, OutputArgs, TableTargetArgs};
use crate::cli::output::{self, RowWriter, Terminal};
use crate::ops::stream::follow::FollowOptions;
use crate::ops::stream::{self, Replay};

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
    let mut ui = Terminal::default();
    if let Some(path) = &args.event {
        // Read and parse before connecting: a bad file writes nothing.
        let replay = Replay::read(path, args.skip_malformed)?;
        let ctx = args.table.connect().await?;
        let (dry_run, format) = (args.dry_run.dry_run, args.output.format());
        return stream::replay(&ctx, &replay, dry_run, format, &mut ui).await;
    }
    let writer = RowWriter::new(output::stdout(), args.output.format());
    let ctx = args.table.connect().await?;
    let options = FollowOptions {
        from_start: args.from_start,
        checkpoint: args.checkpoint.clone(),
        ..FollowOptions::default()
    };
    stream::run_follow(&ctx, &options, shutdown_signal(), writer, &mut ui).await
}
