//! `list-tables`: every DynamoDB table name.

use clap::Parser;
use serde::Serialize;

use crate::cli::args::{OutputArgs, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::output::{self, Row};
use crate::cli::{self};
use crate::ddb::table;

/// List every DynamoDB table (all pages).
#[derive(Parser, Debug)]
#[command(
    name = "list-tables",
    version,
    after_help = cli::after_help("Output: one table name per row; in JSON each row is the name as a string.\n\nExamples:\n  list-tables                 # the local DynamoDB\n  list-tables prod --output json\n  list-tables | grep messages")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// A table's name: one row of `list-tables` (a JSON string).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct TableName(pub String);

impl Row for TableName {
    const COLUMNS: &'static [&'static str] = &["Table"];

    fn cells(&self) -> Vec<String> {
        vec![self.0.clone()]
    }
}

/// Lists the tables and prints them.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    let names: Vec<TableName> = table::list(&ctx)
        .await?
        .into_iter()
        .map(TableName)
        .collect();
    output::emit(&names, args.output.format())
}
