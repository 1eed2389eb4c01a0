//! What each store holds: the counts `just setup` ends with.

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use crate::cognito;
use crate::context::Context;
use crate::ddb::item::opt_s;
use crate::ddb::scan::{self, ScanOptions};
use crate::model::keys::{Pk, PK};
use crate::pg;

/// Counts per store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows in `users`.
    pub users: i64,
    /// Users whose `cognito_user_id` is a real Cognito sub (not `MOCK`).
    pub users_with_cognito_id: i64,
    /// Rows in `activities`.
    pub activities: i64,
    /// The Cognito user pool.
    pub pool_id: String,
    /// Users in the pool.
    pub cognito_users: usize,
    /// The messages table.
    pub table: String,
    /// `MSG#` items.
    pub messages: u64,
    /// `GRP#` items.
    pub conversations: u64,
    /// Items with any other key.
    pub other_items: u64,
}

impl Summary {
    /// The summary as one JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "postgres": {
                "users": self.users,
                "users_with_cognito_id": self.users_with_cognito_id,
                "activities": self.activities,
            },
            "cognito": { "user_pool_id": self.pool_id, "users": self.cognito_users },
            "dynamodb": {
                "table": self.table,
                "messages": self.messages,
                "conversations": self.conversations,
                "other_items": self.other_items,
            },
        })
    }
}

/// Counts what the database, the user pool (`pool_name` when no id is configured) and the
/// messages table hold. Reads the table's keys only.
pub async fn collect(ctx: &Context, pool_name: &str) -> Result<Summary> {
    let client = pg::connect(&ctx.config).await?;
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM users),
                    (SELECT count(*) FROM users WHERE cognito_user_id <> 'MOCK'),
                    (SELECT count(*) FROM activities)",
            &[],
        )
        .await
        .context("counting users and activities")?;
    let pool_id = cognito::resolve_user_pool_id(ctx, pool_name).await?;
    let cognito_users = cognito::list_users(ctx, &pool_id).await?.users.len();
    let mut summary = Summary {
        users: row.get(0),
        users_with_cognito_id: row.get(1),
        activities: row.get(2),
        pool_id,
        cognito_users,
        table: ctx.table().to_string(),
        ..Summary::default()
    };
    let options = ScanOptions {
        keys_only: true,
        ..ScanOptions::default()
    };
    scan::scan_pages(ctx, ctx.table(), options, |page| {
        for item in page {
            match opt_s(item, PK).and_then(|pk| pk.parse::<Pk>().ok()) {
                Some(Pk::Message(_)) => summary.messages += 1,
                Some(Pk::Group(_)) => summary.conversations += 1,
                None => summary.other_items += 1,
            }
        }
        Ok(())
    })
    .await?;
    Ok(summary)
}
