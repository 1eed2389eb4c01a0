//! Rebuilding a database from the schema and seed files, so that the database always exists
//! with complete data, the old or the new, whenever the process or the server is killed.
//!
//! - **The database exists** (the usual case): its `public` schema is dropped and recreated, and
//!   the schema and seed are loaded, in **one transaction**. DDL is transactional in PostgreSQL,
//!   so a kill at any moment (of this process, or of the server, which then recovers) leaves
//!   either the old schema with its data or the new one, never a missing or half-loaded database.
//!   Other schemas of the database are not touched.
//! - **It does not exist**: it is built under a staging name and renamed into place once
//!   complete (a single `ALTER DATABASE ... RENAME`, atomic, with nothing at the name to lose).
//!   A staging database left by a killed run is dropped by the next one.
//!
//! Databases db-setup creates carry a mark (`COMMENT ON DATABASE ... IS 'created by cruddur-ops
//! db-setup'`, set in the same transaction as the data). A database without the mark that holds
//! any table is refused unless the caller names it in `replace`; an empty one is taken over.

use anyhow::{bail, Context as _, Result};
use uuid::Uuid;

use super::row::column;
use super::{connect_url, Client};
use crate::config::Config;

/// The relational schema (`users`, `activities`).
pub const SCHEMA_SQL: &str = include_str!("../../seeds/schema.sql");
/// The seed users (and a couple of activities), with `cognito_user_id = 'MOCK'`.
pub const SEED_SQL: &str = include_str!("../../seeds/users.sql");
/// The comment db-setup puts on the databases it creates.
pub const MARK: &str = "created by cruddur-ops db-setup";
/// How long the rebuild waits for locks held by other sessions before giving up.
const LOCK_TIMEOUT: &str = "30s";
/// The same for the dry run's load (rolled back): a dry run gives way to other sessions sooner.
const PLAN_LOCK_TIMEOUT: &str = "5s";
/// The maintenance database, where the dry run loads when the database does not exist yet.
const MAINTENANCE_DB: &str = "postgres";

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What [`rebuild`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The database that was (re)created.
    pub database: String,
    /// Rows in `users` afterwards.
    pub users: i64,
    /// Whether the database was created (it did not exist).
    pub created: bool,
}

/// What [`rebuild_with`] would do (the report of `db-setup --dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildPlan {
    /// The database that would be replaced or created.
    pub database: String,
    /// Whether it exists (false: it would be created).
    pub exists: bool,
    /// Whether it carries db-setup's mark.
    pub marked: bool,
    /// Tables (and views) it holds now.
    pub tables: i64,
    /// Rows of its `users` table now (`None`: no such table).
    pub users_now: Option<i64>,
    /// Rows of `users` once the schema and seed are loaded: counted by loading them in a
    /// transaction that is then rolled back.
    pub seed_users: i64,
}

/// What [`rebuild_with`] would do: the same checks (system database, name length, the mark,
/// `replace`), so a rebuild that would be refused is refused here with the same error. The
/// schema and seed are loaded as the rebuild would load them, in a transaction that is rolled
/// back, to count the users they make (and to find a file that does not load): into the
/// database itself, or, when it does not exist, into the maintenance database `postgres` with
/// its `public` schema replaced (as empty as a new database). Nothing is created, dropped or
/// changed (not even a leftover staging database); the load holds the locks a rebuild would,
/// until the rollback, and waits at most 5 s for them.
pub async fn plan(
    url: &str,
    config: &Config,
    schema_sql: &str,
    seed_sql: &str,
    replace: Option<&str>,
) -> Result<RebuildPlan> {
    let name = database_name(url)?;
    let mut admin = connect_url(&admin_url(url, &name)?, config).await?;
    let Some(marked) = database_mark(&admin, &name).await? else {
        let seed_users = load(
            &mut admin,
            MAINTENANCE_DB,
            schema_sql,
            seed_sql,
            Load::DryRun,
        )
        .await
        .with_context(|| {
            format!(
                "loading the schema and seed to count the users (database {name} does not \
                     exist: in the maintenance database {MAINTENANCE_DB}, rolled back)"
            )
        })?;
        return Ok(RebuildPlan {
            database: name,
            exists: false,
            marked: false,
            tables: 0,
            users_now: None,
            seed_users,
        });
    };
    let mut client = connect_url(url, config).await?;
    let tables = count_tables(&client, &name).await?;
    refuse_unmarked(&name, marked, tables, replace)?;
    let has_users: bool = column(
        &client
            .query_one(
                "SELECT to_regclass('public.users') IS NOT NULL AS found",
                &[],
            )
            .await
            .context("looking for the users table")?,
        "found",
        "pg_class",
        "public.users",
    )?;
    let users_now = if has_users {
        Some(column(
            &client
                .query_one("SELECT count(*) AS count FROM public.users", &[])
                .await
                .context("counting users")?,
            "count",
            "users",
            "",
        )?)
    } else {
        None
    };
    let seed_users = load(&mut client, &name, schema_sql, seed_sql, Load::DryRun)
        .await
        .with_context(|| {
            format!(
                "loading the schema and seed to count the users (in database {name}, rolled back)"
            )
        })?;
    Ok(RebuildPlan {
        database: name,
        exists: true,
        marked,
        tables,
        users_now,
        seed_users,
    })
}

/// The database `url` names, refusing the system databases and names PostgreSQL would cut.
fn database_name(url: &str) -> Result<String> {
    let (pg, _) = super::conninfo::parse(url)?;
    let name = pg
        .get_dbname()
        .context("the connection URL names no database")?
        .to_string();
    if name == "postgres" || name.starts_with("template") {
        bail!("refusing to rebuild the system database {name:?}");
    }
    if name.len() > MAX_IDENT_BYTES {
        bail!("database name {name:?} is longer than PostgreSQL's {MAX_IDENT_BYTES}-byte limit");
    }
    Ok(name)
}

/// Whether database `name` carries db-setup's mark; `None` when it does not exist.
async fn database_mark(admin: &Client, name: &str) -> Result<Option<bool>> {
    let row = admin
        .query_opt(
            "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database \
             WHERE datname = $1",
            &[&name],
        )
        .await
        .with_context(|| format!("looking for database {name}"))?;
    Ok(match row {
        Some(row) => {
            let comment: Option<String> = column(&row, "comment", "pg_database", name)?;
            Some(comment.as_deref() == Some(MARK))
        }
        None => None,
    })
}

/// Refuses to replace an unmarked database that holds tables, unless `replace` names it.
fn refuse_unmarked(name: &str, marked: bool, tables: i64, replace: Option<&str>) -> Result<()> {
    if !marked && replace != Some(name) && tables > 0 {
        bail!(
            "database {name} was not created by db-setup (it has no {MARK:?} comment) and \
             holds {tables} tables: refusing to replace it; if it really is to be replaced, \
             name it: --replace {name}"
        );
    }
    Ok(())
}

/// The tables (and views) of the database `client` is connected to, outside the system schemas.
async fn count_tables(client: &Client, name: &str) -> Result<i64> {
    let row = client
        .query_one(
            "SELECT count(*) AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg_toast%'",
            &[],
        )
        .await
        .with_context(|| format!("counting the tables of database {name}"))?;
    column(&row, "count", "pg_class", "")
}

/// Rebuilds the database `url` names with the schema and seed, refusing a database db-setup did
/// not create (see [`rebuild_with`]).
pub async fn rebuild(
    url: &str,
    config: &Config,
    schema_sql: &str,
    seed_sql: &str,
) -> Result<Rebuilt> {
    rebuild_with(url, config, schema_sql, seed_sql, None).await
}

/// Rebuilds the database `url` names: creates it if missing, else replaces its `public` schema,
/// loading `schema_sql` and `seed_sql` in one transaction (see the module doc).
///
/// A database without db-setup's mark that holds tables is refused unless `replace` is its
/// name.
pub async fn rebuild_with(
    url: &str,
    config: &Config,
    schema_sql: &str,
    seed_sql: &str,
    replace: Option<&str>,
) -> Result<Rebuilt> {
    let name = database_name(url)?;
    let staging = staging_name(&name);
    let admin = connect_url(&admin_url(url, &name)?, config).await?;
    // A staging database is only ever left by a run that was killed: remove it.
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&staging)
        ))
        .await
        .with_context(|| format!("removing the leftover staging database {staging}"))?;
    let Some(marked) = database_mark(&admin, &name).await? else {
        let users = create(&admin, url, config, &name, &staging, schema_sql, seed_sql).await?;
        return Ok(Rebuilt {
            database: name,
            users,
            created: true,
        });
    };
    let mut client = connect_url(url, config).await?;
    if !marked && replace != Some(name.as_str()) {
        let tables = count_tables(&client, &name).await?;
        refuse_unmarked(&name, marked, tables, replace)?;
    }
    let users = load(&mut client, &name, schema_sql, seed_sql, Load::Replace)
        .await
        .with_context(|| format!("database {name} was left as it was"))?;
    Ok(Rebuilt {
        database: name,
        users,
        created: false,
    })
}

/// How [`load`] loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Into a new, empty database: committed, marked.
    Create,
    /// Replacing the `public` schema: committed, marked.
    Replace,
    /// Replacing the `public` schema, then rolled back (the dry run's count).
    DryRun,
}

/// Loads the schema and seed into the database `client` is connected to, in one transaction,
/// and returns the rows of `users` then: except to create, the `public` schema is dropped and
/// recreated first. Marks the database and commits, or, for the dry run, rolls back.
async fn load(
    client: &mut Client,
    name: &str,
    schema_sql: &str,
    seed_sql: &str,
    how: Load,
) -> Result<i64> {
    let lock_timeout = match how {
        Load::DryRun => PLAN_LOCK_TIMEOUT,
        Load::Create | Load::Replace => LOCK_TIMEOUT,
    };
    let tx = client
        .transaction()
        .await
        .context("starting the load transaction")?;
    tx.batch_execute(&format!("SET LOCAL lock_timeout = '{lock_timeout}'"))
        .await
        .context("setting the lock timeout")?;
    if how != Load::Create {
        tx.batch_execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            .await
            .with_context(|| {
                format!(
                    "replacing the public schema (another session holding a lock on its \
                     tables for more than {lock_timeout} makes this fail)"
                )
            })?;
    }
    tx.batch_execute(schema_sql)
        .await
        .context("loading the schema")?;
    tx.batch_execute(seed_sql)
        .await
        .context("loading the seed users")?;
    if how != Load::DryRun {
        tx.batch_execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(name),
            quote_literal(MARK)
        ))
        .await
        .context("marking the database as db-setup's")?;
    }
    let users: i64 = column(
        &tx.query_one("SELECT count(*) AS count FROM users", &[])
            .await
            .context("counting users")?,
        "count",
        "users",
        "",
    )?;
    if how == Load::DryRun {
        tx.rollback()
            .await
            .context("rolling back the dry run's load")?;
    } else {
        tx.commit()
            .await
            .context("committing the schema and seed")?;
    }
    Ok(users)
}

/// Creates the missing database `name`: built complete under `staging`, then renamed.
async fn create(
    admin: &Client,
    url: &str,
    config: &Config,
    name: &str,
    staging: &str,
    schema_sql: &str,
    seed_sql: &str,
) -> Result<i64> {
    admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(staging)))
        .await
        .with_context(|| format!("creating the staging database {staging}"))?;
    let loaded = async {
        let mut client = connect_url(&admin_url_for(url, name, staging)?, config).await?;
        let users = load(&mut client, staging, schema_sql, seed_sql, Load::Create).await?;
        drop(client);
        anyhow::Ok(users)
    }
    .await;
    let users = match loaded {
        Ok(users) => users,
        Err(err) => {
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(staging)
                ))
                .await;
            return Err(err.context(format!("database {name} was not created")));
        }
    };
    // Our own connection to the staging database may still be closing.
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&staging],
        )
        .await
        .with_context(|| format!("closing connections to {staging}"))?;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(staging),
            quote_ident(name)
        ))
        .await
        .with_context(|| format!("renaming {staging} to {name}"))?;
    Ok(users)
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
