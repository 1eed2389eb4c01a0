//! Cognito user pools: finding the pool a command works on, listing its users (every page), and
//! creating a pool or a user (the local pool's setup is `ops::cognito_setup`). A pool's backup
//! and restore: [`records`] (the file's lines), [`backup`] (the calls, paced) and [`rate`]
//! (Cognito's request-rate quotas).
//!
//! The pool id comes from `--user-pool-id`, else `AWS_COGNITO_USER_POOL_ID`, else (local only) the
//! pool is looked up by name on every run: moto forgets its pools when it restarts, so an id is
//! never cached.

use anyhow::{bail, Context as _, Result};
use aws_sdk_cognitoidentityprovider::operation::list_users::builders::ListUsersFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::UserType;
use serde::{Serialize, Serializer};

use crate::config::Target;
use crate::context::{Context, SdkResultExt};

pub mod backup;
pub mod rate;
pub mod records;

/// The most users real Cognito returns in one ListUsers page (it rejects a larger `Limit`).
pub const LIST_USERS_PAGE_SIZE: i32 = 60;
/// The most pools real Cognito returns in one ListUserPools page.
const LIST_POOLS_PAGE_SIZE: i32 = 60;
/// The attributes asked for when listing users.
pub const PREFERRED_USERNAME: &str = "preferred_username";
/// The user's immutable id.
pub const SUB: &str = "sub";

/// The id of the pool a command works on: `ctx.config.user_pool_id` (the `--user-pool-id` flag,
/// else `AWS_COGNITO_USER_POOL_ID`), else, on local only, the pool named `pool_name`.
pub async fn resolve_user_pool_id(ctx: &Context, pool_name: &str) -> Result<String> {
    if let Some(id) = &ctx.config.user_pool_id {
        return Ok(id.clone());
    }
    match ctx.target() {
        Target::Prod => bail!(
            "no user pool id for the prod target: pass --user-pool-id or set AWS_COGNITO_USER_POOL_ID"
        ),
        Target::Local => find_pool_by_name(ctx, pool_name).await?.with_context(|| {
            format!(
                "no user pool named {pool_name:?} on {} (create it with `cognito-setup`, \
                 or pass --user-pool-id)",
                ctx.cognito_endpoint
            )
        }),
    }
}

/// The id of the pool named `name` (every ListUserPools page); `None` when there is none, an
/// error when several pools share the name.
pub async fn find_pool_by_name(ctx: &Context, name: &str) -> Result<Option<String>> {
    let mut ids = Vec::new();
    let mut pages = ctx
        .cognito()
        .list_user_pools()
        .max_results(LIST_POOLS_PAGE_SIZE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.on(&ctx.cognito_endpoint, "listing user pools")?;
        ids.extend(
            page.user_pools()
                .iter()
                .filter(|p| p.name() == Some(name))
                .filter_map(|p| p.id().map(str::to_string)),
        );
    }
    match ids.len() {
        0 => Ok(None),
        1 => Ok(ids.pop()),
        _ => bail!(
            "{} user pools are named {name:?} on {} ({}): pass --user-pool-id",
            ids.len(),
            ctx.cognito_endpoint,
            ids.join(", ")
        ),
    }
}

/// A Cognito user as the toolkit sees it. In JSON: `{"username", "handle", "sub"}`, with an
/// empty `handle` when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CognitoUser {
    /// Cognito's user name (unique in the pool).
    pub username: String,
    /// `preferred_username`: the Cruddur handle. `None` when missing or empty.
    #[serde(serialize_with = "empty_if_none")]
    pub handle: Option<String>,
    /// `sub`: the user's immutable id. `None` when missing.
    pub sub: Option<String>,
}

fn empty_if_none<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_deref().unwrap_or_default())
}

impl CognitoUser {
    fn from_sdk(user: &UserType) -> CognitoUser {
        let attr = |name: &str| attribute(user, name).filter(|v| !v.is_empty());
        CognitoUser {
            username: user.username().unwrap_or_default().to_string(),
            handle: attr(PREFERRED_USERNAME),
            sub: attr(SUB),
        }
    }
}

/// What [`list_users`] read.
#[derive(Debug, Clone, Default)]
pub struct UserListing {
    /// Every user, in the order Cognito returned them.
    pub users: Vec<CognitoUser>,
    /// How many ListUsers requests it took.
    pub pages: usize,
}

/// Every user of `pool_id`: all ListUsers pages of at most 60, asking only for
/// `preferred_username` and `sub`.
pub async fn list_users(ctx: &Context, pool_id: &str) -> Result<UserListing> {
    list_users_with_progress(ctx, pool_id, |_| {}).await
}

/// [`list_users`], calling `on_page(users read so far)` after each page.
pub async fn list_users_with_progress(
    ctx: &Context,
    pool_id: &str,
    mut on_page: impl FnMut(usize),
) -> Result<UserListing> {
    let mut listing = UserListing::default();
    let ask_for = |request: ListUsersFluentBuilder| {
        request
            .attributes_to_get(PREFERRED_USERNAME)
            .attributes_to_get(SUB)
    };
    for_each_page_of_users(ctx, pool_id, ask_for, "", |users| {
        listing.pages += 1;
        listing
            .users
            .extend(users.iter().map(CognitoUser::from_sdk));
        on_page(listing.users.len());
    })
    .await?;
    Ok(listing)
}

/// Reads every ListUsers page of `pool_id` (at most [`LIST_USERS_PAGE_SIZE`] users each),
/// the request narrowed by `narrow`, handing each page's users to `on_page`. The SDK's paginator
/// stops at a missing or empty PaginationToken, as moto sends on the last page. An error says
/// `listing the users of user pool POOL_ID`, then `what`.
async fn for_each_page_of_users(
    ctx: &Context,
    pool_id: &str,
    narrow: impl FnOnce(ListUsersFluentBuilder) -> ListUsersFluentBuilder,
    what: &str,
    mut on_page: impl FnMut(&[UserType]),
) -> Result<()> {
    let request = ctx
        .cognito()
        .list_users()
        .user_pool_id(pool_id)
        .limit(LIST_USERS_PAGE_SIZE);
    let mut pages = narrow(request).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.on(
            &ctx.cognito_endpoint,
            format_args!("listing the users of user pool {pool_id}{what}"),
        )?;
        on_page(page.users());
    }
    Ok(())
}

/// How many groups a pool has and how many group memberships.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GroupCounts {
    /// Groups.
    pub groups: usize,
    /// Memberships (a user in two groups counts twice).
    pub memberships: usize,
}

/// Counts the groups of `pool_id` and their members (every ListGroups and ListUsersInGroup
/// page, unpaced: a handful of requests per group).
pub async fn group_counts(ctx: &Context, pool_id: &str) -> Result<GroupCounts> {
    let pacer = rate::Pacer::new(rate::Rates::unlimited(), std::time::Duration::ZERO);
    let groups = backup::list_groups(ctx, &pacer, pool_id).await?;
    let mut memberships = 0;
    for group in &groups {
        backup::for_each_member_page(ctx, &pacer, pool_id, &group.name, |names| {
            memberships += names.len();
            Ok(())
        })
        .await?;
    }
    Ok(GroupCounts {
        groups: groups.len(),
        memberships,
    })
}

/// Cognito's estimate of how many users `pool_id` holds (for progress bars); `None` when it
/// gives none.
pub async fn estimated_users(ctx: &Context, pool_id: &str) -> Result<Option<u64>> {
    let pacer = rate::Pacer::new(rate::Rates::unlimited(), std::time::Duration::ZERO);
    let pool = backup::describe_pool(ctx, &pacer, pool_id).await?;
    Ok(u64::try_from(pool.estimated_users).ok().filter(|&n| n > 0))
}

/// A pool user as `find-user --cognito` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUser {
    /// Cognito's user name.
    pub username: String,
    /// `sub`.
    pub sub: Option<String>,
    /// `preferred_username`.
    pub handle: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// The account status (`CONFIRMED`, `FORCE_CHANGE_PASSWORD`, ...).
    pub status: Option<String>,
    /// Whether the user is enabled.
    pub enabled: bool,
}

/// The ListUsers filter that finds the users whose `attribute` is `value`, or `None` for no
/// filter: `attribute = "value"`, or, when the value holds a `"` or a `\\`, `attribute ^= "prefix"`
/// with the part before the first of them. Real Cognito wants such characters escaped with a
/// backslash and moto takes them as they are, so the value never carries one; the caller keeps
/// only the exact matches.
pub fn filter_for(attribute: &str, value: &str) -> Option<String> {
    match value.find(['"', '\\']) {
        None => Some(format!("{attribute} = \"{value}\"")),
        Some(0) => None,
        Some(at) => Some(format!("{attribute} ^= \"{}\"", &value[..at])),
    }
}

/// The users of `pool_id` whose `preferred_username` is `handle` (a ListUsers filter, every page
/// of at most 60 through the SDK's paginator, which stops at a missing or empty token).
pub async fn users_with_handle(
    ctx: &Context,
    pool_id: &str,
    handle: &str,
) -> Result<Vec<PoolUser>> {
    let filter = filter_for(PREFERRED_USERNAME, handle);
    let what = format!(" ({})", filter.as_deref().unwrap_or("no filter"));
    let mut users = Vec::new();
    let narrow = |request: ListUsersFluentBuilder| request.set_filter(filter.clone());
    for_each_page_of_users(ctx, pool_id, narrow, &what, |page| {
        users.extend(page.iter().map(|user| PoolUser {
            username: user.username().unwrap_or_default().to_string(),
            sub: attribute(user, SUB),
            handle: attribute(user, PREFERRED_USERNAME),
            email: attribute(user, "email"),
            status: user.user_status().map(|s| s.as_str().to_string()),
            enabled: user.enabled(),
        }));
    })
    .await?;
    users.retain(|u| u.handle.as_deref() == Some(handle));
    Ok(users)
}

/// The value of `user`'s attribute `name`, when it has one.
fn attribute(user: &UserType, name: &str) -> Option<String> {
    user.attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value())
        .map(str::to_string)
}

/// A user to create in Cognito.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The handle: both the Cognito user name and `preferred_username`.
    pub handle: String,
    /// The email address (marked verified).
    pub email: String,
}

/// Creates a user pool named `name` and returns its id.
pub async fn create_pool(ctx: &Context, name: &str) -> Result<String> {
    let created = ctx
        .cognito()
        .create_user_pool()
        .pool_name(name)
        .send()
        .await
        .on(
            &ctx.cognito_endpoint,
            format_args!("creating user pool {name}"),
        )?;
    created
        .user_pool()
        .and_then(|p| p.id())
        .map(str::to_string)
        .with_context(|| format!("creating user pool {name}: the response carries no pool id"))
}

/// Creates `user` in the pool `pool_id` through `pacer` (AdminCreateUser, no invitation; its
/// `preferred_username` is the handle and its email is marked verified): `true` if it was
/// created, `false` if a user of that name already existed.
pub async fn create_user(
    ctx: &Context,
    pacer: &rate::Pacer,
    pool_id: &str,
    user: &NewUser,
) -> Result<bool> {
    let attributes = [
        (PREFERRED_USERNAME, user.handle.as_str()),
        ("email", user.email.as_str()),
        ("email_verified", "true"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    backup::admin_create_user(ctx, pacer, pool_id, &user.handle, &attributes).await
}

#[cfg(test)]
mod tests;
