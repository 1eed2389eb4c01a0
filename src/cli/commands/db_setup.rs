//! `db-setup`: replace the database's schema and seed users in one transaction.

use std::path::PathBuf;

use anyhow::bail;
use clap::Parser;

use crate::cli::args::{DryRun, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::{self};
use crate::config::Target;
use crate::ops::db_setup;

/// Rebuild the Cruddur database: its schema and seed users, loaded in one transaction.
///
/// The database is CONNECTION_URL (local, default postgresql://postgres:password@localhost:5432/cruddur)
/// or PROD_CONNECTION_URL (prod). Its public schema is replaced in one transaction, so the
/// database always holds the old data or the new, whenever it is interrupted (a missing database
/// is built under a staging name and renamed into place). A database db-setup did not create
/// that holds tables is refused unless --replace NAME. On prod it refuses unless --yes. It prints
/// only messages, on stderr. With --dry-run it says what it would replace (or refuse) and
/// changes nothing.
#[derive(Parser, Debug)]
#[command(
    name = "db-setup",
    version,
    after_help = cli::after_help("Examples:\n  db-setup                                # rebuild the local cruddur database\n  db-setup --seed my-users.sql            # another seed file\n  db-setup prod --yes                     # destroys the production database\n  db-setup --replace cruddur              # a database db-setup did not create\n  db-setup prod --dry-run                 # what would be replaced; changes nothing")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    /// The schema to load instead of the shipped seeds/schema.sql.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    /// The seed to load instead of the shipped seeds/users.sql.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,

    /// Replace the database NAME although db-setup did not create it (it has no db-setup mark
    /// and holds tables). NAME must be the database's name, typed out.
    #[arg(long, value_name = "NAME")]
    replace: Option<String>,

    #[command(flatten)]
    confirm: Confirmation,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Reads the files, says what it will destroy, and rebuilds the database.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = args.target.target();
    let sources = db_setup::Sources::read(args.schema.as_deref(), args.seed.as_deref())?;
    let config = cli::config(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    )?;
    let db = db_setup::database(&config)?;
    let place = &db.place;
    if args.dry_run.dry_run {
        let plan = db_setup::plan(&config, &db, &sources, args.replace.as_deref()).await;
        args.dry_run.note();
        let plan = plan?;
        let what = if !plan.exists {
            format!("would create database {} ({target})", plan.database)
        } else {
            format!(
                "would replace database {place} ({target}), {}, holding {} tables{}",
                if plan.marked {
                    "created by db-setup"
                } else {
                    "not created by db-setup"
                },
                plan.tables,
                plan.users_now
                    .map(|n| format!(" and {n} users"))
                    .unwrap_or_default()
            )
        };
        eprintln!(
            "db-setup: {what}, with the schema and {} users from the seed file",
            plan.seed_users
        );
        return Ok(());
    }
    eprintln!(
        "db-setup: about to replace database {place} ({target}) with all its data \
         (its public schema) by the schema and seed, in one transaction"
    );
    if target == Target::Prod && !args.confirm.yes {
        bail!("refusing to destroy the {target} database {place} without --yes");
    }
    let rebuilt = db_setup::rebuild(&config, &db, &sources, args.replace.as_deref()).await?;
    eprintln!(
        "db-setup: rebuilt database {} ({target}): {} users loaded",
        rebuilt.database, rebuilt.users
    );
    Ok(())
}
