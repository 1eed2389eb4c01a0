//! Reading the `users` table.

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
/// Returns them in the order of `handles`.
pub async fn users_by_handle(client: &Client, handles: &[&str]) -> Result<Vec<User>> {
    let wanted: Vec<String> = handles.iter().map(|h| h.to_string()).collect();
    let rows = client
        .query(
            "SELECT uuid, display_name, handle FROM users WHERE handle = ANY($1)",
            &[&wanted],
        )
        .await
        .context("looking up users by handle")?;
    let found: Vec<User> = rows
        .iter()
        .map(|r| User {
            uuid: r.get(0),
            display_name: r.get(1),
            handle: r.get(2),
        })
        .collect();
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
    /// Display name.
    pub display_name: String,
    /// Email address.
    pub email: String,
    /// The Cognito `sub` (`MOCK` until `update-cognito-user-ids` ran).
    pub cognito_user_id: String,
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

const ACCOUNT_COLUMNS: &str = "uuid, handle, display_name, email, cognito_user_id";

fn account(row: &tokio_postgres::Row) -> Account {
    Account {
        uuid: row.get(0),
        handle: row.get(1),
        display_name: row.get(2),
        email: row.get(3),
        cognito_user_id: row.get(4),
    }
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
    Ok(rows.iter().map(account).collect())
}

/// The rows matching `key`, by handle (none is not an error here).
pub async fn accounts_by(client: &Client, key: &AccountKey) -> Result<Vec<Account>> {
    let rows = match key {
        AccountKey::CognitoUserId(id) => {
            client
                .query(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM users WHERE cognito_user_id = $1 ORDER BY handle"
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
    Ok(rows.iter().map(account).collect())
}

/// A row of `users` as the sync sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUser {
    /// The handle (unique).
    pub handle: String,
    /// The email address.
    pub email: String,
    /// The current `cognito_user_id` (`MOCK` until synced).
    pub cognito_user_id: String,
}

/// Every row of `users`, by handle.
pub async fn db_users(client: &Client) -> Result<Vec<DbUser>> {
    let rows = client
        .query(
            "SELECT handle, email, cognito_user_id FROM users ORDER BY handle",
            &[],
        )
        .await
        .context("reading the users table")?;
    Ok(rows
        .iter()
        .map(|r| DbUser {
            handle: r.get(0),
            email: r.get(1),
            cognito_user_id: r.get(2),
        })
        .collect())
}

/// Every row's `(handle, cognito_user_id)`, by handle, locked (`FOR UPDATE`) until `tx` ends.
pub async fn lock_cognito_user_ids(tx: &Transaction<'_>) -> Result<Vec<(String, String)>> {
    let rows = tx
        .query(
            "SELECT handle, cognito_user_id FROM users ORDER BY handle FOR UPDATE",
            &[],
        )
        .await
        .context("reading users.handle and users.cognito_user_id")?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The one statement that writes every change.
const UPDATE_SQL: &str = "UPDATE users SET cognito_user_id = v.sub \
     FROM unnest($1::text[], $2::text[]) AS v(handle, sub) \
     WHERE users.handle = v.handle AND users.cognito_user_id IS DISTINCT FROM v.sub \
     RETURNING users.handle";

/// Sets `cognito_user_id` of the row with `handles[i]` to `subs[i]` (one statement); returns the
/// handles of the rows that changed.
pub async fn set_cognito_user_ids(
    tx: &Transaction<'_>,
    handles: &[&str],
    subs: &[&str],
) -> Result<Vec<String>> {
    let written = tx
        .query(UPDATE_SQL, &[&handles, &subs])
        .await
        .with_context(|| {
            format!(
                "updating cognito_user_id of {} users (nothing was changed)",
                handles.len()
            )
        })?;
    Ok(written.iter().map(|r| r.get(0)).collect())
}

/// What the database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseCounts {
    /// Rows in `users`.
    pub users: i64,
    /// Users whose `cognito_user_id` is a real Cognito sub (not `MOCK`).
    pub users_with_cognito_id: i64,
    /// Rows in `activities`.
    pub activities: i64,
}

/// Counts the rows of `users` (all, and those with a Cognito sub) and of `activities`.
pub async fn counts(client: &Client) -> Result<DatabaseCounts> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM users),
                    (SELECT count(*) FROM users WHERE cognito_user_id <> 'MOCK'),
                    (SELECT count(*) FROM activities)",
            &[],
        )
        .await
        .context("counting users and activities")?;
    Ok(DatabaseCounts {
        users: row.get(0),
        users_with_cognito_id: row.get(1),
        activities: row.get(2),
    })
}
