//! `summary`: what each store holds (PostgreSQL, Cognito, DynamoDB).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs, UserPoolArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::context::Context;
use cruddur_ops::ops::summary;

/// Count what each store holds: users in PostgreSQL (and how many carry a Cognito id), users
/// in the Cognito pool, and messages and conversation rows in the messages table.
///
/// Reads only the table's keys, but it still scans the whole table: mind that on prod.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  summary                 # the local stack, as `just setup` ends\n  summary --output json"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    #[command(flatten)]
    pool: UserPoolArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let config = args
            .target
            .config()
            .with_table(args.table.table)
            .with_user_pool_id(args.pool.user_pool_id);
        let ctx = Context::new(config).await?;
        let s = summary::collect(&ctx, &args.pool.pool_name).await?;
        let mut out = std::io::stdout().lock();
        match args.output {
            Format::Table => output::write_table(
                &mut out,
                &["Store", "What", "Count"],
                [
                    ("PostgreSQL", "users".to_string(), s.users.to_string()),
                    (
                        "PostgreSQL",
                        "users with a Cognito id".into(),
                        s.users_with_cognito_id.to_string(),
                    ),
                    ("PostgreSQL", "activities".into(), s.activities.to_string()),
                    (
                        "Cognito",
                        format!("users in {}", s.pool_id),
                        s.cognito_users.to_string(),
                    ),
                    (
                        "DynamoDB",
                        format!("messages in {}", s.table),
                        s.messages.to_string(),
                    ),
                    (
                        "DynamoDB",
                        format!("conversation rows in {}", s.table),
                        s.conversations.to_string(),
                    ),
                ]
                .into_iter()
                .map(|(a, b, c)| vec![a.to_string(), b, c]),
            ),
            format => output::write_json_value(&mut out, format, &s.to_json()),
        }
        .and_then(|()| out.flush())
        .context("writing the summary")
    })
}
