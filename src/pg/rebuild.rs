//! Rebuilding a database from the schema and seed files: built under a staging name, swapped in
//! only once complete.

use anyhow::{Context as _, Result};
use uuid::Uuid;

use super::connect_url;
use crate::config::Target;

/// The relational schema (`users`, `activities`).
pub const SCHEMA_SQL: &str = include_str!("../../seeds/schema.sql");
/// The seed users (and a couple of activities), with `cognito_user_id = 'MOCK'`.
pub const SEED_SQL: &str = include_str!("../../seeds/users.sql");

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What [`rebuild`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The database that was (re)created.
    pub database: String,
    /// Rows in `users` afterwards.
    pub users: i64,
}

/// Drops and recreates the database `url` names, with the schema and seed loaded in one
/// transaction.
///
/// The new database is built under a staging name first and only swapped in once it is complete,
/// so a failure leaves the old database as it was.
pub async fn rebuild(
    url: &str,
    target: Target,
    schema_sql: &str,
    seed_sql: &str,
) -> Result<Rebuilt> {
    let (pg, _) = super::conninfo::parse(url)?;
    let name = pg
        .get_dbname()
        .context("the connection URL names no database")?
        .to_string();
    if name == "postgres" || name.starts_with("template") {
        anyhow::bail!("refusing to rebuild the system database {name:?}");
    }
    if name.len() > MAX_IDENT_BYTES {
        anyhow::bail!(
            "database name {name:?} is longer than PostgreSQL's {MAX_IDENT_BYTES}-byte limit"
        );
    }
    let staging = staging_name(&name);
    let admin_url = admin_url(url, &name)?;
    let admin = connect_url(&admin_url, target).await?;
    // Two statements, each on its own: a name may hold anything, "; " included.
    for statement in [
        format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&staging)
        ),
        format!("CREATE DATABASE {}", quote_ident(&staging)),
    ] {
        admin
            .batch_execute(&statement)
            .await
            .with_context(|| format!("preparing the staging database {staging}"))?;
    }
    let loaded = async {
        let staging_url = admin_url_for(url, &name, &staging)?;
        let mut client = connect_url(&staging_url, target).await?;
        let tx = client
            .transaction()
            .await
            .context("starting the load transaction")?;
        tx.batch_execute(schema_sql)
            .await
            .context("loading the schema")?;
        tx.batch_execute(seed_sql)
            .await
            .context("loading the seed users")?;
        let users: i64 = tx
            .query_one("SELECT count(*) FROM users", &[])
            .await
            .context("counting users")?
            .get(0);
        tx.commit()
            .await
            .context("committing the schema and seed")?;
        anyhow::Ok(users)
    }
    .await;
    let users = match loaded {
        Ok(users) => users,
        Err(err) => {
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&staging)
                ))
                .await;
            return Err(err.context(format!("database {name} was left as it was")));
        }
    };
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .await
        .with_context(|| format!("dropping database {name}"))?;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&staging),
            quote_ident(&name)
        ))
        .await
        .with_context(|| format!("renaming {staging} to {name}"))?;
    Ok(Rebuilt {
        database: name,
        users,
    })
}

/// PostgreSQL truncates identifiers longer than this (NAMEDATALEN - 1), silently.
const MAX_IDENT_BYTES: usize = 63;

/// The name the new database is built under: `<name>__rebuild`, or, when that would pass
/// PostgreSQL's identifier limit (and be silently truncated, perhaps onto another database's
/// name), a name derived from a hash of `name`.
fn staging_name(name: &str) -> String {
    let staging = format!("{name}__rebuild");
    if staging.len() <= MAX_IDENT_BYTES {
        return staging;
    }
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).simple();
    format!("rebuild__{id}")
}

/// `url` with its database swapped for `postgres` (the maintenance database).
fn admin_url(url: &str, name: &str) -> Result<String> {
    admin_url_for(url, name, "postgres")
}

/// `url` with the database `name` replaced by `other` (URL form only).
fn admin_url_for(url: &str, name: &str, other: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = base
        .strip_suffix(name)
        .filter(|p| p.ends_with('/'))
        .with_context(|| {
            format!(
                "expected a URL ending in /{name} (postgresql://USER:PASSWORD@HOST:PORT/{name})"
            )
        })?;
    Ok(match query {
        Some(q) => format!("{prefix}{other}?{q}"),
        None => format!("{prefix}{other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_fit_postgres_identifiers() {
        assert_eq!(staging_name("cruddur"), "cruddur__rebuild");
        let long = "x".repeat(60);
        let staging = staging_name(&long);
        assert!(staging.len() <= MAX_IDENT_BYTES, "{staging}");
        assert_ne!(staging, staging_name(&"x".repeat(61)));
        assert_eq!(staging, staging_name(&long));
    }

    #[test]
    fn admin_urls_swap_only_the_database() {
        assert_eq!(
            admin_url("postgresql://u:p@h:5432/cruddur?sslmode=require", "cruddur").unwrap(),
            "postgresql://u:p@h:5432/postgres?sslmode=require"
        );
        assert!(admin_url("host=h dbname=cruddur", "cruddur").is_err());
    }
}
