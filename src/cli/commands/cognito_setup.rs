//! `cognito-setup`: the local Cognito user pool and one user per row of the users table.

use anyhow::bail;
use clap::Parser;

use crate::cli;
use crate::cli::args::{DryRun, OutputArgs, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::output::{Report, Terminal};
use crate::config::{Target, LOCAL_USER_POOL_NAME};
use crate::ops::cognito_setup::{self, SetupReport};

/// Create the local Cognito user pool (if absent) and one user per row of the users table (if
/// absent), with preferred_username = handle and a verified email. Local emulator only.
///
/// The users come from the target's PostgreSQL users table (run db-setup first), so the pool
/// matches the seed. Running it again creates only what is missing.
#[derive(Parser, Debug)]
#[command(
    name = "cognito-setup",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): one object: pool_name, pool_id, pool_created, created (handles), found (handles), dry_run (then pool_created and created say what would be created).\n\nExamples:\n  cognito-setup                           # pool cruddur-user-pool on moto\n  cognito-setup --pool-name scratch-pool\n  cognito-setup --output json | jq .created\n  cognito-setup --dry-run                 # what would be created; creates nothing")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// The pool to find or create.
    #[arg(long, value_name = "NAME", default_value = LOCAL_USER_POOL_NAME)]
    pool_name: String,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    output: OutputArgs,
}

impl Report for SetupReport {
    const COLUMNS: &'static [&'static str] = &["What", "Name", "Status"];

    fn rows(&self) -> Vec<Vec<String>> {
        let status = |created: bool| {
            match (created, self.dry_run) {
                (true, true) => "would create",
                (true, false) => "created",
                (false, _) => "found",
            }
            .to_string()
        };
        let pool_id = if self.pool_id.is_empty() {
            "new".to_string()
        } else {
            self.pool_id.clone()
        };
        let pool = vec![
            "user pool".into(),
            format!("{} ({pool_id})", self.pool_name),
            status(self.pool_created),
        ];
        let users = |handles: &[String], created: bool| {
            handles
                .iter()
                .map(move |h| vec!["user".into(), h.clone(), status(created)])
                .collect::<Vec<_>>()
        };
        std::iter::once(pool)
            .chain(users(&self.created, true))
            .chain(users(&self.found, false))
            .collect()
    }
}

/// Creates what is missing and prints what it created and found.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = args.target.target();
    if target != Target::Local {
        bail!(
            "cognito-setup only works on the local Cognito emulator, not on {target}: \
             the production pool is managed outside this toolkit"
        );
    }
    let ctx = cli::connect(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )
    .await?;
    let report = (args.dry_run.dry_run, args.output.format());
    cognito_setup::run(&ctx, &args.pool_name, report, &mut Terminal::default()).await
}
