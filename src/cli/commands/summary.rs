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
        let row = |store: &str, what: String, count: &dyn ToString| {
            vec![store.to_string(), what, count.to_string()]
        };
        let in_pool = |what: &str| format!("{what} in {}", pool.pool_id);
        let in_table = |what: &str| format!("{what} in {}", table.table);
        vec![
            row("PostgreSQL", "users".into(), &pg.users),
            row(
                "PostgreSQL",
                "users with a Cognito id".into(),
                &pg.users_with_cognito_id,
            ),
            row("PostgreSQL", "activities".into(), &pg.activities),
            row("Cognito", in_pool("users"), &pool.users),
            row("Cognito", in_pool("groups"), &pool.groups),
            row("Cognito", in_pool("group memberships"), &pool.memberships),
            row("DynamoDB", in_table("messages"), &table.messages),
            row(
                "DynamoDB",
                in_table("conversation rows"),
                &table.conversations,
            ),
        ]
    }
}
/// Counts and prints.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.stores.connect().await?;
    let summary = summary::collect(&ctx, &args.stores.pool.pool_name).await?;
    output::emit(&summary, args.output.format())
}
