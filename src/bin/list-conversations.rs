//! `list-conversations`: one user's conversations.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::ops::conversations::{self, CONVERSATION_HEADER};
use uuid::Uuid;

/// List one user's conversations, newest first: the other person's handle and display name, the
/// last message and its time (UTC), and the message group. The user is found by handle in
/// PostgreSQL, or given by uuid (--user-uuid, which needs no database).
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  list-conversations                        # everlygrandest's conversations\n  list-conversations --handle bayko --output json\n  list-conversations prod --user-uuid 3f6b1c9e-0c2a-4d7e-9a51-2b8f0d4c7e11"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// The user's handle, looked up in PostgreSQL.
    #[arg(long, value_name = "HANDLE", default_value = "everlygrandest")]
    handle: String,

    /// The user's uuid (skips the database lookup).
    #[arg(long, value_name = "UUID", conflicts_with = "handle")]
    user_uuid: Option<Uuid>,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let ctx = cli::connect(&args.target, &args.table).await?;
        let user = match args.user_uuid {
            Some(uuid) => uuid,
            None => conversations::user_uuid(&ctx, &args.handle).await?,
        };
        let rows = conversations::conversations_of(&ctx, user).await?;
        let mut out = io::stdout().lock();
        output::write_items(
            &mut out,
            args.output,
            &CONVERSATION_HEADER,
            &rows,
            conversations::conversation_row,
        )
        .and_then(|()| out.flush())
        .context("writing the conversations")
    })
}
