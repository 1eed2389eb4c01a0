//! `send-message`: post a message as a user, into an existing group or a new one.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{ArgGroup, Parser};
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::ops::send::{self, Destination};
use cruddur_ops::{cli, pg};
use serde_json::json;
use uuid::Uuid;

/// Post a message as a user (looked up in PostgreSQL): into an existing message group
/// (--group), or into a new group with another user (--to).
///
/// Only the message (and, for a new group, both conversation rows) is written; the stream
/// processor (`messaging-stream`) moves the conversation rows to the latest message.
#[derive(Parser, Debug)]
#[command(
    version,
    group(ArgGroup::new("destination").required(true).args(["group", "to"])),
    after_help = "Examples:\n  send-message --from andrewbrown --to bayko 'Hi Andrew!'\n  send-message --from bayko --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 'Hello again'\n  send-message --from bayko --group 5ae290ed-55d1-47a0-bc6d-fe2bc2700399 'From prod' prod\n  send-message --from bayko --to andrewbrown --output json 'Hi'   # {\"message_uuid\": ...}"
)]
struct Args {
    /// The message (1 to 1,024 characters).
    text: String,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// The sender's handle.
    #[arg(long, value_name = "HANDLE")]
    from: String,

    /// An existing message group the sender takes part in.
    #[arg(long, value_name = "UUID")]
    group: Option<Uuid>,

    /// Start a new group with this user.
    #[arg(long, value_name = "HANDLE")]
    to: Option<String>,

    /// Output format (`jsonl` prints one JSON object on one line).
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        // Refuse bad text before connecting to anything.
        send::validate_text(&args.text)?;
        let to = match (args.group, args.to) {
            (Some(group), _) => Destination::Group(group),
            (None, Some(handle)) => Destination::NewGroupWith(handle),
            (None, None) => anyhow::bail!("give --group UUID or --to HANDLE"),
        };
        let ctx = cli::connect(&args.target, &args.table).await?;
        let pg = pg::connect(&ctx.config).await?;
        let sent = send::send(&ctx, &pg, &args.from, &to, &args.text).await?;
        let m = &sent.message;
        let mut out = io::stdout().lock();
        match args.output {
            Format::Table => output::write_table(
                &mut out,
                &[
                    "message_uuid",
                    "message_group_uuid",
                    "created_at",
                    "from",
                    "to",
                    "new_group",
                ],
                [vec![
                    m.uuid.to_string(),
                    m.group.to_string(),
                    m.created.to_string(),
                    m.sender.handle.clone(),
                    sent.recipient.handle.clone(),
                    sent.new_group.to_string(),
                ]],
            ),
            format => output::write_json_value(
                &mut out,
                format,
                &json!({
                    "message_uuid": m.uuid.to_string(),
                    "message_group_uuid": m.group.to_string(),
                    "created_at": m.created.to_string(),
                    "from": m.sender.handle,
                    "to": sent.recipient.handle,
                    "new_group": sent.new_group,
                }),
            ),
        }
        .and_then(|()| out.flush())
        .context("writing the result")?;
        Ok(())
    })
}
