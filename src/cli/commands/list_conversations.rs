//! `list-conversations`: one user's conversations.

use clap::Parser;
use uuid::Uuid;

use crate::cli::args::{OutputArgs, TableTargetArgs};
use crate::cli::output;
use crate::cli::{self};
use crate::ops::conversations::{self, ConversationRow};

/// List one user's conversations, newest first: the other person's handle and display name, the
/// last message and its time (UTC), and the message group. The user is found by handle in
/// PostgreSQL, or given by uuid (--user-uuid, which needs no database).
#[derive(Parser, Debug)]
#[command(
    name = "list-conversations",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): every attribute of each conversation row: pk, sk, message_group_uuid, message, user_uuid, user_display_name, user_handle.\n\nExamples:\n  list-conversations                        # everlygrandest's conversations\n  list-conversations --handle bayko --output json\n  list-conversations | jq -r .user_handle\n  list-conversations prod --user-uuid 3f6b1c9e-0c2a-4d7e-9a51-2b8f0d4c7e11")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// The user's handle, looked up in PostgreSQL.
    #[arg(long, value_name = "HANDLE", default_value = "everlygrandest")]
    handle: String,

    /// The user's uuid (skips the database lookup).
    #[arg(long, value_name = "UUID", conflicts_with = "handle")]
    user_uuid: Option<Uuid>,

    #[command(flatten)]
    output: OutputArgs,
}

/// Reads the user's conversation rows and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.table.connect().await?;
    let (user, who) = match args.user_uuid {
        Some(uuid) => (uuid, uuid.to_string()),
        None => {
            let uuid = conversations::user_uuid(&ctx, &args.handle).await?;
            (uuid, format!("{} ({uuid})", args.handle))
        }
    };
    let rows: Vec<ConversationRow> = conversations::conversations_of(&ctx, user)
        .await?
        .into_iter()
        .map(ConversationRow)
        .collect();
    output::emit_rows(&rows, args.output.format(), || {
        format!("no conversations for user {who} in table {}", ctx.table())
    })
}
