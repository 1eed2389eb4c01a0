//! `list-users`: every user of the Cognito user pool (all ListUsers pages), and which of them
//! have no handle (`preferred_username`).

use anyhow::Result;

use crate::cognito::{self, CognitoUser, UserListing};
use crate::context::Context;

/// The id of the pool `list-users` works on (see [`cognito::resolve_user_pool_id`]).
pub async fn pool_id(ctx: &Context, pool_name: &str) -> Result<String> {
    cognito::resolve_user_pool_id(ctx, pool_name).await
}

/// Every user of `pool_id`, sorted by user name (Cognito's own order is arbitrary: the same
/// pool lists differently from one run to the next); `progress(users so far)` after each page.
pub async fn list(
    ctx: &Context,
    pool_id: &str,
    progress: impl FnMut(usize),
) -> Result<UserListing> {
    let mut listing = cognito::list_users_with_progress(ctx, pool_id, progress).await?;
    listing.users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(listing)
}

/// The users of `listing` without a handle (`preferred_username`), in its order.
pub fn without_handle(listing: &UserListing) -> impl Iterator<Item = &CognitoUser> {
    listing.users.iter().filter(|u| u.handle.is_none())
}
