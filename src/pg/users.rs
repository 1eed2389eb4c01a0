//! Reading the `users` table.
//!
//! Every column is read with [`column()`], so a NULL or a column of another type than the shipped
//! schema's is an error naming the table, the column and the row (`users.email is NULL for handle
//! "bob"`), never a panic. An older or hand-made table may have NULLs and a `cognito_user_id` of
//! type `uuid`: `cognito_user_id` is always read as text (`::text`, so a `uuid` column reads and
//! writes like a text one), and a NULL `cognito_user_id` means no Cognito id yet (like `MOCK`).

use super::row::column;
use super::{Client, Transaction};
use anyhow::{Context as _, Result};
use serde::Serialize;
use uuid::Uuid;

/// A row of `users`, as the messages tools need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's uuid.
    pub uuid: Uuid,
    /// Display name.
    pub display_name: String,
    /// Handle (Cognito's `preferred_username`).
    pub handle: String,
}

/// Looks users up by handle; every handle must exist (the error names the missing ones).
/// Returns them in the order of `handles`. A NULL `display_name` is an error naming the row: the
/// messages tools write it into every item.
pub async fn users_by_handle(client: &Client, handles: &[&str]) -> Result<Vec<User>> {
    let wanted: Vec<String> = handles.iter().map(|h| h.to_string()).collect();
    let rows = client
        .query(
            "SELECT uuid, display_name, handle FROM users WHERE handle = ANY($1)",
            &[&wanted],
        )
        .await
        .context("looking up users by handle")?;
    let found = rows
        .iter()
        .map(|r| {
            let who = who(r);
            Ok(User {
                uuid: column(r, "uuid", USERS, &who)?,
                display_name: column(r, "display_name", USERS, &who)?,
                handle: column(r, "handle", USERS, &who)?,
            })
        })
        .collect::<Result<Vec<User>>>()?;
    handles
        .iter()
        .map(|h| {
            found
                .iter()
                .find(|u| u.handle == *h)
                .cloned()
                .with_context(|| format!("no user with handle {h:?} in the users table"))
        })
        .collect()
}

/// A whole row of `users` as `check` and `find-user` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user's uuid.
    pub uuid: Uuid,
    /// Handle (Cognito's `preferred_username`).
    pub handle: String,
    /// Display name (`None`: NULL, which an older or hand-made table allows).
    pub display_name: Option<String>,
    /// Email address (`None`: NULL).
    pub email: Option<String>,
    /// The Cognito `sub` (`MOCK` until `update-cognito-user-ids` ran; `None`: NULL, which also
    /// means no Cognito id yet).
    pub cognito_user_id: Option<String>,
}

/// How to find one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountKey {
    /// By `cognito_user_id` (several rows may match: `MOCK`).
    CognitoUserId(String),
    /// By handle (unique).
    Handle(String),
    /// By uuid.
    Uuid(Uuid),
}

impl std::fmt::Display for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountKey::CognitoUserId(id) => write!(f, "cognito_user_id {id:?}"),
            AccountKey::Handle(handle) => write!(f, "handle {handle:?}"),
            AccountKey::Uuid(uuid) => write!(f, "uuid {uuid}"),
        }
    }
}

/// The table's name in errors.
const USERS: &str = "users";

const ACCOUNT_COLUMNS: &str =
    "uuid, handle, display_name, email, cognito_user_id::text AS cognito_user_id";

/// How errors name a row of `users`: by handle, else by uuid.
fn who(row: &tokio_postgres::Row) -> String {
    if let Ok(Some(handle)) = row.try_get::<_, Option<String>>("handle") {
        return format!("handle {handle:?}");
    }
    match row.try_get::<_, Option<Uuid>>("uuid") {
        Ok(Some(uuid)) => format!("uuid {uuid}"),
        _ => "a row without handle or uuid".to_string(),
    }
}

fn account(row: &tokio_postgres::Row) -> Result<Account> {
    let who = who(row);
    Ok(Account {
        uuid: column(row, "uuid", USERS, &who)?,
        handle: column(row, "handle", USERS, &who)?,
        display_name: column(row, "display_name", USERS, &who)?,
        email: column(row, "email", USERS, &who)?,
        cognito_user_id: column(row, "cognito_user_id", USERS, &who)?,
    })
}

/// Every row of `users`, by handle.
pub async fn all_accounts(client: &Client) -> Result<Vec<Account>> {
    let rows = client
        .query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM users ORDER BY handle"),
            &[],
        )
        .await
        .context("reading the users table")?;
    rows.iter().map(account).collect()
}

/// The rows matching `key`, by handle (none is not an error here).
pub async fn accounts_by(client: &Client, key: &AccountKey) -> Result<Vec<Account>> {
    let rows = match key {
        AccountKey::CognitoUserId(id) => {
            client
                .query(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM users WHERE cognito_user_id::text = $1 ORDER BY handle"
                    ),
                    &[id],
                )
                .await
        }
        AccountKey::Handle(handle) => {
            client
                .query(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE handle = $1"),
                    &[handle],
                )
                .await
        }
        AccountKey::Uuid(uuid) => {
            client
                .query(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE uuid = $1"),
                    &[uuid],
                )
                .await
        }
    }
    .with_context(|| format!("looking up the user with {key}"))?;
    rows.iter().map(account).collect()
}

/// A row of `users` as the sync sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUser {
    /// The handle (unique).
    pub handle: String,
    /// The email address (a NULL is an error naming the row: a Cognito user needs one).
    pub email: String,
    /// The current `cognito_user_id` (`MOCK` until synced; `None`: NULL, no Cognito id yet).
    pub cognito_user_id: Option<String>,
}

/// Every row of `users`, by handle.
pub async fn db_users(client: &Client) -> Result<Vec<DbUser>> {
    let rows = client
        .query(
            "SELECT uuid, handle, email, cognito_user_id::text AS cognito_user_id \
             FROM users ORDER BY handle",
            &[],
        )
        .await
        .context("reading the users table")?;
    rows.iter()
        .map(|r| {
            let who = who(r);
            Ok(DbUser {
                handle: column(r, "handle", USERS, &who)?,
                email: column(r, "email", USERS, &who)?,
                cognito_user_id: column(r, "cognito_user_id", USERS, &who)?,
            })
        })
        .collect()
}

/// Every row's `(handle, cognito_user_id)`, by handle, locked (`FOR UPDATE`) until `tx` ends
/// (`None`: NULL, no Cognito id yet).
pub async fn lock_cognito_user_ids(tx: &Transaction<'_>) -> Result<Vec<(String, Option<String>)>> {
    let rows = tx
        .query(
            "SELECT uuid, handle, cognito_user_id::text AS cognito_user_id \
             FROM users ORDER BY handle FOR UPDATE",
            &[],
        )
        .await
        .context("reading users.handle and users.cognito_user_id")?;
    rows.iter()
        .map(|r| {
            let who = who(r);
            Ok((
                column(r, "handle", USERS, &who)?,
                column(r, "cognito_user_id", USERS, &who)?,
            ))
        })
        .collect()
}

/// The type of `users.cognito_user_id` as SQL spells it (`text`; `uuid` in some older tables).
async fn cognito_user_id_type(tx: &Transaction<'_>) -> Result<String> {
    let row = tx
        .query_one(
            "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute \
             WHERE attrelid = 'users'::regclass AND attname = 'cognito_user_id'",
            &[],
        )
        .await
        .context("looking up the type of users.cognito_user_id")?;
    column(&row, "type", "pg_attribute", "users.cognito_user_id")
}

/// The one statement that writes every change, into a `cognito_user_id` of type `ty` (from the
/// catalog: [`cognito_user_id_type`]).
fn update_sql(ty: &str) -> String {
    format!(
        "UPDATE users SET cognito_user_id = v.sub::{ty} \
         FROM unnest($1::text[], $2::text[]) AS v(handle, sub) \
         WHERE users.handle = v.handle AND users.cognito_user_id::text IS DISTINCT FROM v.sub \
         RETURNING users.handle"
    )
}

/// Sets `cognito_user_id` of the row with `handles[i]` to `subs[i]` (one statement); returns the
/// handles of the rows that changed.
pub async fn set_cognito_user_ids(
    tx: &Transaction<'_>,
    handles: &[&str],
    subs: &[&str],
) -> Result<Vec<String>> {
    let ty = cognito_user_id_type(tx).await?;
    let written = tx
        .query(&update_sql(&ty), &[&handles, &subs])
        .await
        .with_context(|| {
            format!(
                "updating cognito_user_id of {} users (nothing was changed)",
                handles.len()
            )
        })?;
    written
        .iter()
        .map(|r| column(r, "handle", USERS, "a row just updated"))
        .collect()
}

/// What the database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseCounts {
    /// Rows in `users`.
    pub users: i64,
    /// Users whose `cognito_user_id` is a real Cognito sub (not `MOCK`, not NULL).
    pub users_with_cognito_id: i64,
    /// Rows in `activities`.
    pub activities: i64,
}

/// Counts the rows of `users` (all, and those with a Cognito sub) and of `activities`.
pub async fn counts(client: &Client) -> Result<DatabaseCounts> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM users) AS users,
                    (SELECT count(*) FROM users WHERE cognito_user_id::text <> 'MOCK')
                        AS users_with_cognito_id,
                    (SELECT count(*) FROM activities) AS activities",
            &[],
        )
        .await
        .context("counting users and activities")?;
    Ok(DatabaseCounts {
        users: column(&row, "users", "count", "")?,
        users_with_cognito_id: column(&row, "users_with_cognito_id", "count", "")?,
        activities: column(&row, "activities", "count", "")?,
    })
}
