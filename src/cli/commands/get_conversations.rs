//! `get-conversations`: the messages of one message group.

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use clap::Parser;
use uuid::Uuid;

use crate::cli::args::{OutputArgs, TableTargetArgs};
use crate::cli::output::{self, Format, ItemWriter};
use crate::cli::{self};
use crate::model::keys::DEFAULT_GROUP;
use crate::ops::conversations::{self, MessageRow};

/// Show the messages of one message group: the newest --limit, oldest first (as a chat shows
/// them), or every message with --all. Tables show the sender's handle, the time (UTC) and the
/// message cut to 40 characters; JSON gives every attribute.
#[derive(Parser, Debug)]
#[command(
    name = "get-conversations",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): every attribute of each message: pk, sk, message_uuid, message, user_uuid, user_display_name, user_handle.\n\nExamples:\n  get-conversations                         # the 20 newest of the seeded group\n  get-conversations --limit 5\n  get-conversations --all | wc -l\n  get-conversations prod --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 --output json")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

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

    #[command(flatten)]
    output: OutputArgs,
}

/// Reads the messages and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.table.connect().await?;
    let format = args.output.format();
    if args.all && format != Format::Table {
        // Stream the pages: memory stays flat however long the conversation.
        let mut writer = ItemWriter::new(output::stdout(), format);
        conversations::message_pages(&ctx, args.group, |page| {
            writer
                .write_page(&conversations::plain_json(&page))
                .context("writing messages")
        })
        .await?;
        if writer.finish().context("writing messages")? == 0 {
            output::say(&nothing(&ctx, args.group));
        }
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
    let rows: Vec<MessageRow> = items.into_iter().map(MessageRow).collect();
    output::emit_rows(&rows, format, || nothing(&ctx, args.group))
}

/// What an empty group is told.
fn nothing(ctx: &crate::context::Context, group: Uuid) -> String {
    format!("no messages in group {group} of table {}", ctx.table())
}
