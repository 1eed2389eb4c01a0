//! `drop`: deletes a table and waits until it is gone, or (dry run) says whether it exists and
//! how many items it holds.

use anyhow::{bail, Result};

use crate::context::Context;
use crate::ddb::table::{delete, describe, wait_until_gone};

/// What `drop` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropOutcome {
    /// The table was deleted and is gone.
    Dropped,
    /// The table did not exist (only with `if_exists`).
    Missing,
}

/// What [`drop`] would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropPlan {
    /// The table exists and would be deleted; `items` is DescribeTable's approximate count.
    Delete {
        /// Approximate item count (DynamoDB refreshes it about every six hours).
        items: i64,
    },
    /// The table does not exist (only with `if_exists`).
    Missing,
}

/// What [`drop`] would do, from one DescribeTable: a missing table is an error unless
/// `if_exists`, as for [`drop`].
pub async fn plan_drop(ctx: &Context, table: &str, if_exists: bool) -> Result<DropPlan> {
    match describe(ctx, table).await? {
        Some(found) => Ok(DropPlan::Delete {
            items: found.item_count.unwrap_or(0),
        }),
        None if if_exists => Ok(DropPlan::Missing),
        None => bail!(
            "table {table} does not exist on {} (pass --if-exists to make this a no-op)",
            ctx.dynamodb_endpoint
        ),
    }
}

/// Deletes `table` and waits until it is gone. A missing table is an error unless `if_exists`.
pub async fn drop(ctx: &Context, table: &str, if_exists: bool) -> Result<DropOutcome> {
    if !delete(ctx, table).await? {
        if if_exists {
            return Ok(DropOutcome::Missing);
        }
        bail!(
            "table {table} does not exist on {} (pass --if-exists to make this a no-op)",
            ctx.dynamodb_endpoint
        );
    }
    wait_until_gone(ctx, table).await?;
    Ok(DropOutcome::Dropped)
}
