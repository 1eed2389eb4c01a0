//! `db-setup`: drop and recreate the database, then load the schema and the seed users.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Parser;

use crate::cli::args::{TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::{self};
use crate::config::Target;
use crate::pg;

/// Drop and recreate the Cruddur database, then load the schema and the seed users in one
/// transaction.
///
/// The database is CONNECTION_URL (local, default postgresql://postgres:password@localhost:5432/cruddur)
/// or PROD_CONNECTION_URL (prod). The new database is built under a staging name and swapped in
/// only once it is complete. On prod it refuses unless --yes. It prints only messages, on stderr.
#[derive(Parser, Debug)]
#[command(
    name = "db-setup",
    version,
    after_help = cli::after_help("Examples:\n  db-setup                                # rebuild the local cruddur database\n  db-setup --seed my-users.sql            # another seed file\n  db-setup prod --yes                     # destroys the production database")
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

    #[command(flatten)]
    confirm: Confirmation,
}

fn read(path: &Option<PathBuf>, shipped: &'static str, what: &str) -> anyhow::Result<String> {
    match path {
        None => Ok(shipped.to_string()),
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the {what} file {}", path.display())),
    }
}

/// Reads the files, says what it will destroy, and rebuilds the database.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = args.target.target();
    let schema = read(&args.schema, pg::SCHEMA_SQL, "schema")?;
    let seed = read(&args.seed, pg::SEED_SQL, "seed")?;
    let config = cli::config(
        &args.target,
        &TableArgs::default(),
        &UserPoolArgs::default(),
    );
    let url = config.database_url()?;
    let pg: tokio_postgres::Config = url
        .parse()
        .context("the PostgreSQL connection URL is not valid")?;
    let place = pg::describe(&pg);
    eprintln!(
        "db-setup: about to drop database {place} ({target}) with all its data, \
         and recreate it from the schema and seed"
    );
    if target == Target::Prod && !args.confirm.yes {
        bail!("refusing to destroy the {target} database {place} without --yes");
    }
    let rebuilt = pg::rebuild(url, target, &schema, &seed).await?;
    eprintln!(
        "db-setup: rebuilt database {} ({target}): {} users loaded",
        rebuilt.database, rebuilt.users
    );
    Ok(())
}
