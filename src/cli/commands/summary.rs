//! `summary`: what each store holds (PostgreSQL, Cognito, DynamoDB).

use clap::Parser;

use crate::cli::args::{OutputArgs, StoresArgs};
use crate::cli::output::{self, Report};
use crate::cli::{self};
use crate::ops::summary::{self, Summary};

/// Count what each store holds: users in PostgreSQL (and how many carry a Cognito id), users,
/// groups and group memberships in the Cognito pool, and messages and conversation rows in the messages table.
///
/// Reads only the table's keys, but it still scans the whole table: mind that on prod.
#[derive(Parser, Debug)]
#[command(
    name = "summary",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): one object: postgres {users, users_with_cognito_id, activities}, cognito {user_pool_id, users, groups, memberships}, dynamodb {table, messages, conversations, other_items}.\n\nExamples:\n  summary                 # the local stack, as `just setup` ends\n  summary --output json\n  summary | jq .dynamodb.messages")
)]
pub struct Args {
    #[command(flatten)]
    stores: StoresArgs,

    #[command(flatten)]
    output: OutputArgs,
}

impl Report for Summary {
    const COLUMNS: &'static [&'static str] = &["Store", "What", "Count"];

    fn rows(&self) -> Vec<Vec<String>> {
        let (pg, pool, table) = (&self.postgres, &self.cognito, &self.dynamodb);
        [
            ("PostgreSQL", "users".to_string(), pg.users.to_string()),
            (
                "PostgreSQL",
                "users with a Cognito id".into(),
                pg.users_with_cognito_id.to_string(),
            ),
            ("PostgreSQL", "activities".into(), pg.activities.to_string()),
            (
                "Cognito",
                format!("users in {}", pool.pool_id),
                pool.users.to_string(),
            ),
            (
                "Cognito",
                format!("groups in {}", pool.pool_id),
                pool.groups.to_string(),
            ),
            (
                "Cognito",
                format!("group memberships in {}", pool.pool_id),
                pool.memberships.to_string(),
            ),
            (
                "DynamoDB",
                format!("messages in {}", table.table),
                table.messages.to_string(),
            ),
            (
                "DynamoDB",
                format!("conversation rows in {}", table.table),
                table.conversations.to_string(),
            ),
        ]
        .into_iter()
        .map(|(store, what, count)| vec![store.to_string(), what, count])
        .collect()
    }
}

/// Counts and prints.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.stores.connect().await?;
    let summary = summary::collect(&ctx, &args.stores.pool.pool_name).await?;
    output::emit(&summary, args.output.format())
}
