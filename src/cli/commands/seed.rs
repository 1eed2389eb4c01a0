//! `seed`: write one conversation between two users into the messages table.

use std::path::PathBuf;

use clap::Parser;
use uuid::Uuid;

use crate::cli;
use crate::cli::args::{BulkWriteArgs, DryRun, TableTargetArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::Terminal;
use crate::model::keys::{Sk, DEFAULT_GROUP};
use crate::ops::seed::{self, SeedInput};

/// Write one conversation between two users (read from PostgreSQL by handle) into the messages
/// table: one MSG# item per message, one minute apart and ending now, and a GRP# row for each
/// participant naming the other one and carrying the last message.
///
/// Everything is validated before the first write. Re-running replaces what the previous seed of
/// the same group wrote (same --now: overwritten in place; otherwise the old items are deleted
/// first), so the table never holds two copies; messages it did not write (send-message, the app)
/// are never touched. Two seeds of one group at once: the second fails (a lock in the table).
/// The table must have the messages table's keys (pk, sk). On prod it asks first (--yes for CI).
/// With --dry-run it validates and reads as usual, says what it would put and delete, and
/// writes nothing (no lock either).
///
/// A bar with the rate and ETA shows on stderr when it is a terminal; the tool ends with one
/// summary line on stderr and prints nothing on stdout.
#[derive(Parser, Debug)]
#[command(
    name = "seed",
    version,
    after_help = cli::after_help("Examples:\n  seed                                   # the built-in conversation, local\n  seed --now 2026-11-22T10:00:00+00:00    # reproducible times\n  seed --file my-chat.txt --from alice --to bob\n  seed --messages 50000 --concurrency 16  # synthetic load\n  seed prod --yes\n  seed prod --dry-run                     # the plan only: no lock, nothing written\n  seed prod --capacity 100 --yes          # all of the provisioned writes (default: half)")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// Handle of Person 1 (the users table in PostgreSQL).
    #[arg(long, value_name = "HANDLE", default_value = "everlygrandest")]
    from: String,

    /// Handle of Person 2.
    #[arg(long, value_name = "HANDLE", default_value = "bayko")]
    to: String,

    /// The message group's uuid.
    #[arg(long, value_name = "UUID", default_value = DEFAULT_GROUP)]
    group: Uuid,

    /// A conversation file, one `Person 1: <text>` or `Person 2: <text>` per line
    /// [default: the built-in seeds/conversation.txt].
    #[arg(long, value_name = "PATH", conflicts_with = "messages")]
    file: Option<PathBuf>,

    /// Time of the last message, ISO-8601 with an offset (e.g. 2026-11-22T10:00:00+00:00)
    /// [default: now].
    #[arg(long, value_name = "TIME")]
    now: Option<Sk>,

    /// Write N synthetic messages (alternating senders) instead of a conversation file.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    messages: Option<u64>,

    #[command(flatten)]
    bulk: BulkWriteArgs,

    #[command(flatten)]
    confirm: Confirmation,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Validates everything, asks on prod, then writes with a progress bar.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let lines = match (&args.file, args.messages) {
        (_, Some(n)) => seed::synthetic(n as usize),
        (Some(path), None) => seed::read_file(path)?,
        (None, None) => seed::parse(seed::SHIPPED_NAME, seed::SHIPPED_CONVERSATION)?,
    };
    let ctx = args.table.connect().await?;
    let input = SeedInput {
        group: args.group,
        from: args.from,
        to: args.to,
        lines,
        now: args.now,
    };
    let bulk = args.bulk.bulk(args.dry_run);
    let mut ui = Terminal::new(args.confirm);
    seed::run(&ctx, input, args.bulk.writes.options(), &bulk, &mut ui).await
}
