//! `get-conversations`: the messages of one message group.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{self, Format, ItemWriter};
use cruddur_ops::model::keys::DEFAULT_GROUP;
use cruddur_ops::ops::conversations::{self, MESSAGE_HEADER};
use uuid::Uuid;

/// Show the messages of one message group: the newest --limit, oldest first (as a chat shows
/// them), or every message with --all. Tables show the sender's handle, the time (UTC) and the
/// message cut to 40 characters; --output json gives every attribute.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  get-conversations                         # the 20 newest of the seeded group\n  get-conversations --limit 5\n  get-conversations --all --output jsonl | wc -l\n  get-conversations prod --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --output json"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// The message group's uuid.
    #[arg(long, value_name = "UUID", default_value = DEFAULT_GROUP)]
    group: Uuid,

    /// How many of the newest messages to show.
    #[arg(long, value_name = "N", default_value_t = 20, conflicts_with = "all",
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    limit: usize,

    /// Every message of the group, oldest first (all pages).
    #[arg(long)]
    all: bool,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let ctx = cli::connect(&args.target, &args.table).await?;
        let out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        if args.all && args.output != Format::Table {
            // Stream the pages: memory stays flat however long the conversation.
            let mut writer = ItemWriter::new(out, args.output, false);
            conversations::message_pages(&ctx, args.group, |page| {
                writer.write_page(&page).context("writing messages")
            })
            .await?;
            writer.finish().context("writing messages")?;
            return Ok(());
        }
        let items = if args.all {
            let mut all = Vec::new();
            conversations::message_pages(&ctx, args.group, |page| {
                all.extend(page);
                Ok(())
            })
            .await?;
            all
        } else {
            conversations::newest_messages(&ctx, args.group, args.limit).await?
        };
        let mut out = out;
        output::write_items(
            &mut out,
            args.output,
            &MESSAGE_HEADER,
            &items,
            conversations::message_row,
        )
        .and_then(|()| out.flush())
        .context("writing messages")
    })
}
