//! `cognito-setup`: the local Cognito user pool and one user per row of the users table.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Parser;
use cruddur_ops::cli::args::TargetArgs;
use cruddur_ops::config::{Target, LOCAL_USER_POOL_NAME};
use cruddur_ops::context::Context;
use cruddur_ops::ops::sync_users as users;
use cruddur_ops::{cli, cognito, pg};

/// Create the local Cognito user pool (if absent) and one user per row of the users table (if
/// absent), with preferred_username = handle and a verified email. Local emulator only.
///
/// The users come from the target's PostgreSQL users table (run db-setup first), so the pool
/// matches the seed. Running it again creates only what is missing.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  cognito-setup                           # pool cruddur-user-pool on moto\n  cognito-setup --pool-name scratch-pool"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// The pool to find or create.
    #[arg(long, value_name = "NAME", default_value = LOCAL_USER_POOL_NAME)]
    pool_name: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let target = args.target.target();
        if target != Target::Local {
            bail!(
                "cognito-setup only works on the local Cognito emulator, not on {target}: \
                 the production pool is managed outside this toolkit"
            );
        }
        let ctx = Context::new(args.target.config()).await?;
        let client = pg::connect(&ctx.config).await?;
        let rows = users::db_users(&client).await?;
        let report =
            cognito::setup_local_pool(&ctx, &args.pool_name, &users::new_users(&rows)).await?;
        let mut out = std::io::stdout().lock();
        let pool = if report.pool_created {
            "created"
        } else {
            "found"
        };
        writeln!(
            out,
            "user pool {} ({}): {pool}",
            args.pool_name, report.pool_id
        )
        .and_then(|()| {
            writeln!(out, "users created: {}", report.created.len())?;
            for handle in &report.created {
                writeln!(out, "  + {handle}")?;
            }
            writeln!(out, "users found: {}", report.found.len())?;
            for handle in &report.found {
                writeln!(out, "  = {handle}")?;
            }
            out.flush()
        })
        .context("writing the summary")
    })
}
