//! `drop`: deletes a table and waits until it is gone, or (dry run) says whether it exists and
//! how many items it holds. A table with deletion protection is refused, naming the setting,
//! unless the caller asks to turn the protection off first.

use anyhow::{bail, Result};

use crate::context::{Context, SdkResultExt};
use crate::ddb::table::{delete, describe, wait_until_active, wait_until_gone};
use crate::ops::backup::{before_destruction, Safeguard, SafetyNet};

/// What `drop` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropOutcome {
    /// The table was deleted and is gone.
    Dropped {
        /// Its deletion protection was turned off first.
        unprotected: bool,
        /// The backup taken before (prod), or why none was.
        backup: Safeguard,
    },
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
        /// Deletion protection is on: `drop` refuses unless told to turn it off.
        protected: bool,
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
            protected: found.deletion_protection_enabled == Some(true),
        }),
        None if if_exists => Ok(DropPlan::Missing),
        None => bail!(
            "table {table} does not exist on {} (pass --if-exists to make this a no-op)",
            ctx.dynamodb_endpoint
        ),
    }
}

/// Why `drop` refuses a protected table, and the two ways to turn the protection off.
pub fn protected_message(table: &str, endpoint: impl std::fmt::Display) -> String {
    format!(
        "table {table} on {endpoint} has deletion protection on (DeletionProtectionEnabled): \
         drop refuses to delete it; nothing was changed. Turn it off explicitly: `drop {table} \
         --disable-deletion-protection` (asks again on prod), or `schema-load --apply` with a \
         file that sets \"DeletionProtectionEnabled\": false"
    )
}

/// Deletes `table` and waits until it is gone. A missing table is an error unless `if_exists`;
/// a table with deletion protection is an error unless `disable_protection`, which turns the
/// protection off first (UpdateTable) and then deletes it. On prod a backup is taken first
/// (and waited for) unless `safety_net` skips it.
pub async fn drop(
    ctx: &Context,
    table: &str,
    if_exists: bool,
    disable_protection: bool,
    safety_net: SafetyNet,
) -> Result<DropOutcome> {
    let missing = || {
        if if_exists {
            return Ok(DropOutcome::Missing);
        }
        bail!(
            "table {table} does not exist on {} (pass --if-exists to make this a no-op)",
            ctx.dynamodb_endpoint
        )
    };
    let Some(found) = describe(ctx, table).await? else {
        return missing();
    };
    let unprotected = found.deletion_protection_enabled == Some(true);
    if unprotected && !disable_protection {
        bail!(protected_message(table, &ctx.dynamodb_endpoint));
    }
    let backup = before_destruction(ctx, table, safety_net).await?;
    if unprotected {
        ctx.dynamodb()
            .update_table()
            .table_name(table)
            .deletion_protection_enabled(false)
            .send()
            .await
            .on(
                &ctx.dynamodb_endpoint,
                format_args!("turning off the deletion protection of table {table}"),
            )?;
        wait_until_active(ctx, table).await?;
    }
    if !delete(ctx, table).await? {
        return missing();
    }
    wait_until_gone(ctx, table).await?;
    Ok(DropOutcome::Dropped {
        unprotected,
        backup,
    })
}
