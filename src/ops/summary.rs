//! What each store holds: the counts `just setup` ends with.

use anyhow::Result;
use serde::Serialize;

use crate::cognito;
use crate::context::Context;
use crate::ddb::item::opt_s;
use crate::ddb::scan::{self, ScanOptions};
use crate::model::keys::{Pk, PK};
use crate::pg;

/// Counts per store. In JSON: `{"postgres": {...}, "cognito": {...}, "dynamodb": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The database.
    pub postgres: DatabaseCounts,
    /// The user pool.
    pub cognito: PoolCounts,
    /// The messages table.
    pub dynamodb: TableCounts,
}

pub use crate::pg::users::DatabaseCounts;

/// What the user pool holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PoolCounts {
    /// The Cognito user pool.
    #[serde(rename = "user_pool_id")]
    pub pool_id: String,
    /// Users in the pool.
    pub users: usize,
    /// Groups in the pool.
    pub groups: usize,
    /// Group memberships (a user in two groups counts twice).
    pub memberships: usize,
}

/// What the messages table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    /// The messages table.
    pub table: String,
    /// `MSG#` items.
    pub messages: u64,
    /// `GRP#` items.
    pub conversations: u64,
    /// Items with any other key.
    pub other_items: u64,
}

/// Counts what the database, the user pool (`pool_name` when no id is configured) and the
/// messages table hold. Reads the table's keys only.
pub async fn collect(ctx: &Context, pool_name: &str) -> Result<Summary> {
    let client = pg::connect(&ctx.config).await?;
    let postgres = pg::users::counts(&client).await?;
    let pool_id = cognito::resolve_user_pool_id(ctx, pool_name).await?;
    let cognito_users = cognito::list_users(ctx, &pool_id).await?.users.len();
    let groups = cognito::group_counts(ctx, &pool_id).await?;
    let mut summary = Summary {
        postgres,
        cognito: PoolCounts {
            pool_id,
            users: cognito_users,
            groups: groups.groups,
            memberships: groups.memberships,
        },
        dynamodb: TableCounts {
            table: ctx.table().to_string(),
            ..TableCounts::default()
        },
    };
    let options = ScanOptions {
        keys_only: true,
        ..ScanOptions::default()
    };
    scan::scan_pages(ctx, ctx.table(), options, |page| {
        for item in page {
            match opt_s(item, PK).and_then(|pk| pk.parse::<Pk>().ok()) {
                Some(Pk::Message(_)) => summary.dynamodb.messages += 1,
                Some(Pk::Group(_)) => summary.dynamodb.conversations += 1,
                None => summary.dynamodb.other_items += 1,
            }
        }
        Ok(())
    })
    .await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_grouped_by_store() {
        let v = serde_json::to_value(Summary {
            cognito: PoolCounts {
                pool_id: "pool".into(),
                users: 3,
                groups: 2,
                memberships: 4,
            },
            ..Summary::default()
        })
        .unwrap();
        assert_eq!(v["cognito"]["user_pool_id"], "pool");
        assert_eq!(v["cognito"]["users"], 3);
        assert_eq!(v["cognito"]["memberships"], 4);
        assert_eq!(v["postgres"]["users_with_cognito_id"], 0);
        assert_eq!(v["dynamodb"]["other_items"], 0);
    }
}
