//! `check`: are PostgreSQL, the Cognito user pool and the messages table consistent?

use crate::cli;
use crate::cli::args::{CapacityArgs, OutputArgs, StoresArgs};
use crate::cli::output::Terminal;
use crate::ops::check::{self, CheckRequest};
use clap::Parser;

/// Check that the three stores agree, reading only: every message and conversation row names a
/// PostgreSQL user with the same handle and display name; every PostgreSQL user carries the sub of
/// the pool user with its handle (not MOCK, not empty), and every pool user has a PostgreSQL user;
/// every conversation row names its group's newest message and has its partner row.
///
/// Prints one row per kind of problem (kind, store, count, the first few problems with their
/// key and detail; `--all`: one row per problem) and exits 1 when there is any, 0 when there is
/// none; a summary goes to stderr. Scans the whole table (a page at a time): mind that on
/// prod.
#[derive(Parser, Debug)]
#[command(
    name = "check",
    version,
    after_help = cli::after_help("Kinds: unknown-user, user-mismatch, malformed-item, empty-group, stale-conversation,\n  missing-partner (dynamodb); mock-cognito-id, empty-cognito-id, no-pool-user,\n  wrong-cognito-id (postgres); pool-user-without-db-user (cognito).\n\nExamples:\n  check                     # the local stack, as `just setup` ends\n  check --output jsonl | jq -r '[.count, .kind] | @tsv'\n  check --all --output jsonl | jq -r 'select(.kind == \"unknown-user\") | .key'\n  check prod --user-pool-id us-east-1_AbCdEfGhI --segments 8")
)]
pub struct Args {
    #[command(flatten)]
    stores: StoresArgs,

    /// Scan the table in N parallel segments (1 to 64).
    #[arg(long, value_name = "N", default_value_t = 1)]
    segments: u32,

    /// Print one row per problem (kind, store, key, detail) instead of one row per kind with
    /// its count and first few.
    #[arg(long)]
    all: bool,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    capacity: CapacityArgs,
}

/// Checks the stores and prints the problems.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.stores.connect().await?;
    let request = CheckRequest {
        pool_name: args.stores.pool.pool_name.clone(),
        segments: args.segments,
        all: args.all,
        format: args.output.format(),
        capacity: args.capacity.flags(),
    };
    check::run(&ctx, &request, &mut Terminal::default()).await
}
