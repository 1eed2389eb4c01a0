//! `list-tables`: every DynamoDB table name.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TableArgs, TargetArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::ddb::table as tables;

/// List every DynamoDB table (all pages).
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  list-tables                 # the local DynamoDB\n  list-tables prod --output json"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let ctx = cli::connect(&args.target, &TableArgs::default()).await?;
        let names = tables::list(&ctx).await?;
        let mut out = std::io::stdout().lock();
        match args.output {
            Format::Table => {
                output::write_table(&mut out, &["Table"], names.into_iter().map(|n| vec![n]))
            }
            format => output::write_json(
                &mut out,
                format,
                &names.into_iter().map(Into::into).collect::<Vec<_>>(),
            ),
        }
        .and_then(|()| out.flush())
        .context("writing the table list")
    })
}
