//! `drop`: deletes a table and waits until it is gone, or (dry run) says whether it exists and
//! how many items it holds. A table with deletion protection is refused, naming the setting,
//! unless the caller asks to turn the protection off first.

use std::future::Future;

use anyhow::{bail, Result};

use crate::config::Target;
use crate::context::{Context, SdkResultExt};
use crate::ddb::table::{delete, describe, wait_until_active, wait_until_gone};
use crate::ops::backup::{before_destruction, Safeguard, SafetyNet};
use crate::ops::ui::Ui;

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

/// What `drop` is asked for.
#[derive(Debug, Clone)]
pub struct DropRequest {
    /// The table.
    pub table: String,
    /// A missing table is not an error.
    pub if_exists: bool,
    /// Turn deletion protection off first.
    pub disable_deletion_protection: bool,
    /// Say what would be deleted; delete nothing.
    pub dry_run: bool,
    /// The backup taken first on prod (or `--no-backup`).
    pub safety_net: SafetyNet,
}

/// Deletes the table on `target` as `request` says, telling `ui`. On prod, `ui` confirms
/// before `connect` (the context) is even awaited.
pub async fn run(
    target: Target,
    connect: impl Future<Output = Result<Context>>,
    request: &DropRequest,
    ui: &mut impl Ui,
) -> Result<()> {
    let table = &request.table;
    if request.dry_run {
        let ctx = connect.await?;
        let result = match plan_drop(&ctx, table, request.if_exists).await {
            Ok(DropPlan::Delete { protected, .. })
                if protected && !request.disable_deletion_protection =>
            {
                Err(anyhow::anyhow!(protected_message(
                    table,
                    &ctx.dynamodb_endpoint
                )))
            }
            Ok(DropPlan::Delete { items, protected }) => {
                ui.note(&format!(
                    "would {}{}delete table {table} on {} (it exists, about {items} items as DescribeTable counts them)",
                    match (target, request.safety_net.skip) {
                        (Target::Prod, false) => "take a backup and wait until it is AVAILABLE, then ",
                        _ => "",
                    },
                    if protected { "turn off deletion protection, then " } else { "" },
                    ctx.dynamodb_endpoint
                ));
                Ok(())
            }
            Ok(DropPlan::Missing) => {
                ui.note(&format!(
                    "table {table} does not exist on {}: nothing to do",
                    ctx.dynamodb_endpoint
                ));
                Ok(())
            }
            Err(err) => Err(err),
        };
        ui.dry_run_note(true);
        return result;
    }
    if request.disable_deletion_protection {
        let action = format!("turn off the deletion protection of table {table}");
        ui.confirm(target, &action, table)?;
    }
    let backup_note = if request.safety_net.skip {
        " WITHOUT a backup first (--no-backup: there is no way back)"
    } else {
        " after taking a backup"
    };
    ui.confirm(target, &format!("delete table {table}{backup_note}"), table)?;
    let ctx = connect.await?;
    let dropped = drop(
        &ctx,
        table,
        request.if_exists,
        request.disable_deletion_protection,
        request.safety_net,
    );
    match dropped.await? {
        DropOutcome::Dropped {
            unprotected,
            backup,
        } => {
            ui.note(&backup.line(table));
            ui.note(&format!(
                "dropped table {table} on {}{}",
                ctx.dynamodb_endpoint,
                if unprotected {
                    " (its deletion protection was turned off first)"
                } else {
                    ""
                }
            ))
        }
        DropOutcome::Missing => ui.note(&format!(
            "table {table} does not exist on {}: nothing to do",
            ctx.dynamodb_endpoint
        )),
    }
    Ok(())
}
