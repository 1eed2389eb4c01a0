//! `list-users`: every user of the Cognito user pool (all ListUsers pages), and which of them
//! have no handle (`preferred_username`).

use std::time::Instant;

use anyhow::Result;

use crate::cognito::{self, CognitoUser, UserListing};
use crate::context::Context;
use crate::ops::ui::{Bar, Ui};
use crate::report::{Format, Row};
use crate::text::count;

impl Row for CognitoUser {
    const COLUMNS: &'static [&'static str] = &["Username", "Handle", "Sub"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.username.clone(),
            self.handle.clone().unwrap_or_default(),
            self.sub.clone().unwrap_or_default(),
        ]
    }
}

/// A bar for listing the users of `pool_id`, out of Cognito's estimate of their number (asked
/// only when the bar is drawn; a spinner when there is none).
pub async fn users_bar<U: Ui>(ctx: &Context, pool_id: &str, ui: &U) -> U::Bar {
    let total = if ui.drawn() {
        cognito::estimated_users(ctx, pool_id).await.ok().flatten()
    } else {
        None
    };
    ui.bar("listing users", total)
}

/// Lists the users of the pool (found by `pool_name` on local when no id is configured), with
/// a bar and a summary line, and hands them to `ui` in `format`; warns of users without a handle.
pub async fn run(ctx: &Context, pool_name: &str, format: Format, ui: &mut impl Ui) -> Result<()> {
    let pool_id = pool_id(ctx, pool_name).await?;
    let started = Instant::now();
    let bar = users_bar(ctx, &pool_id, ui).await;
    let listing = list(ctx, &pool_id, |n| bar.set(n as u64)).await?;
    bar.finish();
    ui.note(&format!(
        "listed {} of user pool {pool_id} in {} ({:.2} s)",
        count(listing.users.len() as u64, "user", "users"),
        count(listing.pages as u64, "ListUsers page", "ListUsers pages"),
        started.elapsed().as_secs_f64()
    ));
    for user in without_handle(&listing) {
        ui.note(&format!(
            "warning: Cognito user {} has no preferred_username",
            user.username
        ));
    }
    ui.emit(&listing.users, format)
}

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
