//! `list-tables`: every DynamoDB table, with its status, item count, billing mode, stream and
//! deletion protection.

use clap::Parser;

use crate::cli::args::{OutputArgs, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::output;
use crate::cli::{self};
use crate::ops::list_tables;

/// List every DynamoDB table (all pages), with its status, approximate item count, billing mode,
/// stream and deletion protection (one DescribeTable per table, a few at a time).
#[derive(Parser, Debug)]
#[command(
    name = "list-tables",
    version,
    after_help = cli::after_help("Output: one row per table; in JSON each row is an object:\n  {\"name\", \"status\", \"items\", \"billing_mode\", \"stream\", \"deletion_protection\"}\n  (stream is the view type, e.g. NEW_AND_OLD_IMAGES, or null without a stream; items is\n  DynamoDB's approximate count).\n\nExamples:\n  list-tables                 # the local DynamoDB\n  list-tables prod --output json\n  list-tables | jq -r .name | grep messages")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// Lists and describes the tables and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    let tables = list_tables::list(&ctx).await?;
    output::emit_rows(&tables, args.output.format(), || {
        format!("no tables on {}", ctx.dynamodb_endpoint)
    })
}
