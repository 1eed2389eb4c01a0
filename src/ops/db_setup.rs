//! `db-setup`: the Cruddur database rebuilt from a schema and a seed file, in one transaction
//! (the work itself is [`crate::pg::rebuild`]'s; this is the operation: which files, which
//! database, and what a dry run says).

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::config::Config;
use crate::pg::{self, RebuildPlan, Rebuilt};

/// The SQL a rebuild loads: the schema and the seed.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The schema (tables), `seeds/schema.sql` unless another file is given.
    pub schema: String,
    /// The seed (users), `seeds/users.sql` unless another file is given.
    pub seed: String,
}

impl Sources {
    /// Reads the files given, the shipped ones for those not given.
    pub fn read(schema: Option<&Path>, seed: Option<&Path>) -> Result<Sources> {
        Ok(Sources {
            schema: read(schema, pg::SCHEMA_SQL, "schema")?,
            seed: read(seed, pg::SEED_SQL, "seed")?,
        })
    }
}

fn read(path: Option<&Path>, shipped: &'static str, what: &str) -> Result<String> {
    match path {
        None => Ok(shipped.to_string()),
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the {what} file {}", path.display())),
    }
}

/// The database a rebuild replaces: its connection URL and how to name it to a person.
#[derive(Debug, Clone)]
pub struct Database {
    /// The connection URL (with `PGSSLROOTCERT` merged in).
    pub url: String,
    /// "database cruddur on localhost:5432", without the password.
    pub place: String,
}

/// The database the configuration names.
pub fn database(config: &Config) -> Result<Database> {
    let url = pg::database_url(config)?;
    let (parsed, _) = pg::conninfo::parse(&url)?;
    Ok(Database {
        place: pg::describe(&parsed),
        url,
    })
}

/// What a rebuild would do, changing nothing (`db-setup --dry-run`).
pub async fn plan(
    config: &Config,
    db: &Database,
    sources: &Sources,
    replace: Option<&str>,
) -> Result<RebuildPlan> {
    pg::rebuild::plan(&db.url, config, &sources.schema, &sources.seed, replace).await
}

/// Rebuilds the database (see [`pg::rebuild::rebuild_with`]).
pub async fn rebuild(
    config: &Config,
    db: &Database,
    sources: &Sources,
    replace: Option<&str>,
) -> Result<Rebuilt> {
    pg::rebuild_with(&db.url, config, &sources.schema, &sources.seed, replace).await
}
