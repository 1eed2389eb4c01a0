//! `send-message`: post a message as a user, into an existing group or a new one.

use clap::{ArgGroup, Parser};
use uuid::Uuid;

use crate::cli;
use crate::cli::args::{DryRun, OutputArgs, TableTargetArgs};
use crate::cli::output::{Report, Terminal};
use crate::ops::send::{self, Destination, Sent};

/// Post a message as a user (looked up in PostgreSQL): into an existing message group
/// (--group), or into a new group with another user (--to).
///
/// Only the message (and, for a new group, both conversation rows) is written; the stream
/// processor (`messaging-stream`) moves the conversation rows to the latest message. With
/// --dry-run every check still applies and the report says what would be written; nothing is.
#[derive(Parser, Debug)]
#[command(
    name = "send-message",
    version,
    group(ArgGroup::new("destination").required(true).args(["group", "to"])),
    after_help = cli::after_help("Output fields (json, jsonl): message_uuid, message_group_uuid, created_at, from, to, new_group.\n\nExamples:\n  send-message --from andrewbrown --to bayko 'Hi Andrew!'\n  send-message --from bayko --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 'Hello again'\n  send-message --from bayko --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 'From prod' prod\n  send-message --from bayko --to andrewbrown 'Hi' | jq -r .message_uuid\n  send-message --from bayko --to andrewbrown 'Hi' --dry-run   # checks and reports; writes nothing")
)]
pub struct Args {
    /// The message (1 to 1,024 characters).
    text: String,

    #[command(flatten)]
    table: TableTargetArgs,

    /// The sender's handle.
    #[arg(long, value_name = "HANDLE")]
    from: String,

    /// An existing message group the sender takes part in.
    #[arg(long, value_name = "UUID")]
    group: Option<Uuid>,

    /// Start a new group with this user.
    #[arg(long, value_name = "HANDLE")]
    to: Option<String>,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    output: OutputArgs,
}

impl Report for Sent {
    const COLUMNS: &'static [&'static str] = &[
        "message_uuid",
        "message_group_uuid",
        "created_at",
        "from",
        "to",
        "new_group",
    ];
    const HIDE: &'static [&'static str] = &["created_at", "new_group", "from", "to"];

    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.message.uuid.to_string(),
            self.message.group.to_string(),
            self.message.created.to_string(),
            self.message.sender.handle.clone(),
            self.recipient.handle.clone(),
            self.new_group.to_string(),
        ]]
    }
}

/// Checks the text, sends the message and prints what was written.
pub async fn run(args: Args) -> anyhow::Result<()> {
    // Refuse bad text before connecting to anything.
    send::validate_text(&args.text)?;
    let to = match (args.group, args.to) {
        (Some(group), _) => Destination::Group(group),
        (None, Some(handle)) => Destination::NewGroupWith(handle),
        (None, None) => anyhow::bail!("give --group UUID or --to HANDLE"),
    };
    let ctx = args.table.connect().await?;
    let (dry_run, format) = (args.dry_run.dry_run, args.output.format());
    let mut ui = Terminal::default();
    send::run(
        &ctx,
        (&args.from, &to),
        &args.text,
        (dry_run, format),
        &mut ui,
    )
    .await
}
