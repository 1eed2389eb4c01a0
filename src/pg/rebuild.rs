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
    /// Users the seed inserts, counted from its `INSERT INTO users` statements.
    pub seed_users: usize,
}

/// What [`rebuild_with`] would do, from reads only: the same checks (system database, name
/// length, the mark, `replace`), so a rebuild that would be refused is refused here with the same
/// error, and nothing is created, dropped or changed (not even a leftover staging database).
pub async fn plan(
    url: &str,
    config: &Config,
    seed_sql: &str,
    replace: Option<&str>,
) -> Result<RebuildPlan> {
    let name = database_name(url)?;
    let seed_users = count_seed_users(seed_sql);
    let admin = connect_url(&admin_url(url, &name)?, config).await?;
    let Some(marked) = database_mark(&admin, &name).await? else {
        return Ok(RebuildPlan {
            database: name,
            exists: false,
            marked: false,
            tables: 0,
            users_now: None,
            seed_users,
        });
    };
    let client = connect_url(url, config).await?;
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

/// Rows the `INSERT INTO [public.]users ... VALUES (...), (...)` statements of `sql` insert: the
/// parenthesized tuples after each such statement's VALUES, quotes and comments respected.
pub fn count_seed_users(sql: &str) -> usize {
    let mut rows = 0;
    let mut depth = 0usize;
    let mut in_users_values = false;
    let mut word = String::new();
    let mut words: Vec<String> = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let in_word = c.is_alphanumeric() || c == '_' || c == '.';
        if !in_word && !word.is_empty() {
            // A word ends here: before this character counts (as `VALUES(`).
            let w = std::mem::take(&mut word).to_ascii_lowercase();
            if depth == 0 && w == "values" {
                let n = words.len();
                in_users_values = n >= 3
                    && words[0] == "insert"
                    && words[1] == "into"
                    && (words[2] == "users" || words[2] == "public.users");
            }
            if depth == 0 {
                words.push(w);
            }
        }
        match c {
            '\'' => {
                // A string literal ('' inside is an escaped quote).
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for q in chars.by_ref() {
                    if q == '\n' {
                        break;
                    }
                }
            }
            '(' => {
                if depth == 0 && in_users_values {
                    rows += 1;
                }
                depth += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                in_users_values = false;
                words.clear();
            }
            c if in_word => word.push(c),
            _ => {}
        }
    }
    rows
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
    let users = load(&mut client, &name, schema_sql, seed_sql, true)
        .await
        .with_context(|| format!("database {name} was left as it was"))?;
    Ok(Rebuilt {
        database: name,
        users,
        created: false,
    })
}

/// Loads the schema and seed into the database `client` is connected to, in one transaction:
/// with `replace`, the `public` schema is dropped and recreated first. Marks the database.
async fn load(
    client: &mut Client,
    name: &str,
    schema_sql: &str,
    seed_sql: &str,
    replace: bool,
) -> Result<i64> {
    let tx = client
        .transaction()
        .await
        .context("starting the load transaction")?;
    tx.batch_execute(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        .await
        .context("setting the lock timeout")?;
    if replace {
        tx.batch_execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            .await
            .with_context(|| {
                format!(
                    "replacing the public schema (another session holding a lock on its \
                     tables for more than {LOCK_TIMEOUT} makes this fail)"
                )
            })?;
    }
    tx.batch_execute(schema_sql)
        .await
        .context("loading the schema")?;
    tx.batch_execute(seed_sql)
        .await
        .context("loading the seed users")?;
    tx.batch_execute(&format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(name),
        quote_literal(MARK)
    ))
    .await
    .context("marking the database as db-setup's")?;
    let users: i64 = column(
        &tx.query_one("SELECT count(*) AS count FROM users", &[])
            .await
            .context("counting users")?,
        "count",
        "users",
        "",
    )?;
    tx.commit()
        .await
        .context("committing the schema and seed")?;
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
        let users = load(&mut client, staging, schema_sql, seed_sql, false).await?;
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
    fn seed_users_are_counted_from_the_inserts() {
        assert_eq!(count_seed_users(SEED_SQL), 5);
        let sql = "-- users (a, b)\nINSERT INTO users (handle) VALUES ('a(b'), ('it''s; (x)');\n\
                   INSERT INTO public.activities (m) VALUES ('no'), ('no');\n\
                   insert into public.users (h, n) values('c', (select 1));";
        assert_eq!(count_seed_users(sql), 3);
        assert_eq!(count_seed_users(""), 0);
    }

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
