//! `find-user`: one user from PostgreSQL, found by Cognito id, handle or uuid, and (optionally)
//! the pool users that carry its handle as `preferred_username`.

use anyhow::{bail, Result};
use serde::Serialize;

use crate::cognito::{self, PoolUser};
use crate::context::Context;
use crate::ops::ui::Ui;
use crate::pg::{self, AccountKey};
use crate::report::{Format, Report};

/// The key a user is looked up by: the first of `cognito_user_id`, `handle` and `uuid` given;
/// an error when none is.
pub fn account_key(
    cognito_user_id: Option<String>,
    handle: Option<String>,
    uuid: Option<uuid::Uuid>,
) -> Result<AccountKey> {
    Ok(match (cognito_user_id, handle, uuid) {
        (Some(sub), _, _) => AccountKey::CognitoUserId(sub),
        (_, Some(handle), _) => AccountKey::Handle(handle),
        (_, _, Some(uuid)) => AccountKey::Uuid(uuid),
        (None, None, None) => bail!("give one of --cognito-user-id, --handle or --uuid"),
    })
}

/// Finds the user of `key` (and, with `pool_name`, its user in that pool: found by name on
/// local when no id is configured) and hands the report to `ui` in `format`.
pub async fn run(
    ctx: &Context,
    key: &AccountKey,
    pool_name: Option<&str>,
    format: Format,
    ui: &mut impl Ui,
) -> Result<()> {
    let pool_id = match pool_name {
        Some(name) => Some(cognito::resolve_user_pool_id(ctx, name).await?),
        None => None,
    };
    let report = find_user(ctx, key, pool_id.as_deref()).await?;
    ui.emit(&report, format)
}

/// A pool user, as `find-user --cognito` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundPoolUser {
    /// Cognito's user name.
    pub username: String,
    /// `sub`.
    pub sub: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// Account status.
    pub status: Option<String>,
    /// Whether the user is enabled.
    pub enabled: bool,
}

impl From<PoolUser> for FoundPoolUser {
    fn from(user: PoolUser) -> FoundPoolUser {
        FoundPoolUser {
            username: user.username,
            sub: user.sub,
            email: user.email,
            status: user.status,
            enabled: user.enabled,
        }
    }
}

/// One user found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundUser {
    /// The user's uuid.
    pub uuid: String,
    /// Handle.
    pub handle: String,
    /// Display name (null: NULL in the table).
    pub display_name: Option<String>,
    /// Email address (null: NULL in the table).
    pub email: Option<String>,
    /// `users.cognito_user_id` (null: NULL in the table, no Cognito id yet).
    pub cognito_user_id: Option<String>,
    /// With `--cognito`: the pool users whose `preferred_username` is the handle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_users: Option<Vec<FoundPoolUser>>,
}

/// What `find-user` prints: the users found (one, except for a shared Cognito id such as `MOCK`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FindUserReport {
    /// The users, by handle.
    pub users: Vec<FoundUser>,
}

impl Report for FindUserReport {
    /// The pool columns stay empty without `--cognito`.
    const COLUMNS: &'static [&'static str] = &[
        "UUID",
        "Handle",
        "Display name",
        "Email",
        "Cognito user id",
        "Pool user",
        "Pool sub",
        "Pool status",
    ];
    const CUT: &'static [&'static str] = &["Display name", "Email"];
    const HIDE: &'static [&'static str] =
        &["Pool user", "Email", "Display name", "UUID", "Pool status"];

    fn rows(&self) -> Vec<Vec<String>> {
        self.users
            .iter()
            .map(|u| {
                let mut row = vec![
                    u.uuid.clone(),
                    u.handle.clone(),
                    u.display_name.clone().unwrap_or_else(|| "NULL".into()),
                    u.email.clone().unwrap_or_else(|| "NULL".into()),
                    u.cognito_user_id.clone().unwrap_or_else(|| "NULL".into()),
                ];
                if let Some(pool) = &u.pool_users {
                    let join = |f: &dyn Fn(&FoundPoolUser) -> String| {
                        if pool.is_empty() {
                            "(none)".to_string()
                        } else {
                            pool.iter().map(f).collect::<Vec<_>>().join(", ")
                        }
                    };
                    row.push(join(&|p| p.username.clone()));
                    row.push(join(&|p| p.sub.clone().unwrap_or_default()));
                    row.push(join(&|p| {
                        let status = p.status.clone().unwrap_or_default();
                        if p.enabled {
                            status
                        } else {
                            format!("{status} (disabled)")
                        }
                    }));
                } else {
                    row.extend([String::new(), String::new(), String::new()]);
                }
                row
            })
            .collect()
    }
}

/// Finds the users matching `key` in PostgreSQL; with `pool_id`, also their pool users. An
/// unknown key is an error naming it.
pub async fn find_user(
    ctx: &Context,
    key: &AccountKey,
    pool_id: Option<&str>,
) -> Result<FindUserReport> {
    let client = pg::connect(&ctx.config).await?;
    let accounts = pg::accounts_by(&client, key).await?;
    if accounts.is_empty() {
        bail!("no user with {key} in the users table");
    }
    let mut users = Vec::with_capacity(accounts.len());
    for account in accounts {
        let pool_users = match pool_id {
            Some(pool_id) => Some(
                cognito::users_with_handle(ctx, pool_id, &account.handle)
                    .await?
                    .into_iter()
                    .map(FoundPoolUser::from)
                    .collect(),
            ),
            None => None,
        };
        users.push(FoundUser {
            uuid: account.uuid.to_string(),
            handle: account.handle,
            display_name: account.display_name,
            email: account.email,
            cognito_user_id: account.cognito_user_id,
            pool_users,
        });
    }
    Ok(FindUserReport { users })
}
