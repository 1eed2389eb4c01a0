//! Reading the `users` table.

use super::Client;
use anyhow::{Context as _, Result};
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
