//! `seed`: write one conversation between two users into the messages table.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::builder::TypedValueParser as _;
use clap::Parser;
use cruddur_ops::config::{TableArgs, TargetArgs};
use cruddur_ops::confirm::Confirmation;
use cruddur_ops::keys::{Sk, DEFAULT_GROUP};
use cruddur_ops::seed::{self, Phase, SeedInput, WriteOptions};
use cruddur_ops::{cli, context};
use uuid::Uuid;

/// Write one conversation between two users (read from PostgreSQL by handle) into the messages
/// table: one MSG# item per message, one minute apart and ending now, and a GRP# row for each
/// participant naming the other one and carrying the last message.
///
/// Everything is validated before the first write. Re-running replaces what the previous seed of
/// the same group wrote (same --now: overwritten in place; otherwise the old items are deleted
/// first), so the table never holds two copies. On prod it asks first (--yes for CI).
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  seed                                   # the built-in conversation, local\n  seed --now 2026-11-22T10:00:00+00:00    # reproducible times\n  seed --file my-chat.txt --from alice --to bob\n  seed --messages 50000 --concurrency 16  # synthetic load\n  seed prod --yes"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

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

    /// BatchWriteItem requests (of 25 items) in flight, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = seed::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=64).map(usize::from))]
    concurrency: usize,

    #[command(flatten)]
    confirm: Confirmation,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let lines = match (&args.file, args.messages) {
            (_, Some(n)) => seed::synthetic(n as usize),
            (Some(path), None) => seed::read_file(path)?,
            (None, None) => seed::parse(seed::SHIPPED_NAME, seed::SHIPPED_CONVERSATION)?,
        };
        let ctx = context::connect(&args.target, &args.table).await?;
        let input = SeedInput {
            group: args.group,
            from: args.from,
            to: args.to,
            lines,
            now: args.now,
        };
        let plan = seed::prepare(&ctx, input).await?;
        args.confirm.confirm(
            ctx.target(),
            &format!(
                "write {} items of group {} to table {} (replacing {} items of an earlier seed)",
                plan.item_count(),
                plan.group,
                ctx.table(),
                plan.stale_count() + plan.overwritten_count()
            ),
            ctx.table(),
        )?;
        let mut bar = Progress::new();
        let options = WriteOptions {
            concurrency: args.concurrency,
            ..WriteOptions::default()
        };
        let report = seed::execute(&ctx, plan, options, |phase, done, total| {
            bar.show(phase, done, total)
        })
        .await;
        bar.finish();
        let report = report?;
        eprintln!(
            "seeded group {} in table {} on {}: {} messages + {} conversation rows written, {} old items deleted, in {:.2} s ({:.0} writes/s)",
            report.group,
            ctx.table(),
            ctx.dynamodb_endpoint,
            report.messages,
            report.conversations,
            report.deleted,
            report.elapsed.as_secs_f64(),
            report.rate()
        );
        Ok(())
    })
}

/// A one-line progress indicator on stderr, drawn only when stderr is a terminal.
struct Progress {
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    const EVERY: Duration = Duration::from_millis(100);

    fn new() -> Progress {
        Progress {
            enabled: io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    fn show(&mut self, phase: Phase, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let now = Instant::now();
        if done < total && self.last.is_some_and(|t| now - t < Self::EVERY) {
            return;
        }
        self.last = Some(now);
        const WIDTH: u64 = 30;
        let filled = (done.min(total) * WIDTH / total) as usize;
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let mut err = io::stderr().lock();
        let _ = write!(
            err,
            "\r{phase:>18} [{}{}] {done}/{total} ({:.0}%)",
            "#".repeat(filled),
            " ".repeat(WIDTH as usize - filled),
            done as f64 * 100.0 / total as f64,
        );
        if phase == Phase::Writing {
            let _ = write!(err, " {rate:.0}/s ");
        }
        let _ = err.flush();
        self.drawn = true;
        if done >= total {
            self.started = Instant::now();
        }
    }

    fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(io::stderr());
            self.drawn = false;
        }
    }
}
