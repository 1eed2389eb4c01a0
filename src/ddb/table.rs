//! Table-level calls: describing a table, listing every table, dropping one, and waiting until a
//! table is ACTIVE or gone.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{TableDescription, TableStatus};

use crate::context::{Context, SdkResultExt};

/// Fetches the table's description, or `None` when it does not exist.
pub async fn describe(ctx: &Context, table: &str) -> Result<Option<TableDescription>> {
    match ctx.dynamodb.describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(err) => Err(err).on(
            &ctx.dynamodb_endpoint,
            format_args!("describing table {table}"),
        ),
    }
}

/// Every table name, across all ListTables pages.
pub async fn list(ctx: &Context) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = ctx
            .dynamodb
            .list_tables()
            .set_exclusive_start_table_name(start.take())
            .send()
            .await
            .on(&ctx.dynamodb_endpoint, "listing tables")?;
        names.extend(page.table_names.unwrap_or_default());
        match page.last_evaluated_table_name {
            Some(last) => start = Some(last),
            None => return Ok(names),
        }
    }
}

/// What `drop` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropOutcome {
    /// The table was deleted and is gone.
    Dropped,
    /// The table did not exist (only with `if_exists`).
    Missing,
}

/// Deletes `table` and waits until it is gone. A missing table is an error unless `if_exists`.
pub async fn drop(ctx: &Context, table: &str, if_exists: bool) -> Result<DropOutcome> {
    let deleted = ctx.dynamodb.delete_table().table_name(table).send().await;
    match deleted {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            if if_exists {
                return Ok(DropOutcome::Missing);
            }
            bail!(
                "table {table} does not exist on {} (pass --if-exists to make this a no-op)",
                ctx.dynamodb_endpoint
            );
        }
        Err(err) => {
            return Err(err).on(
                &ctx.dynamodb_endpoint,
                format_args!("deleting table {table}"),
            )
        }
    }
    wait_until_gone(ctx, table).await?;
    Ok(DropOutcome::Dropped)
}

/// How often to poll while waiting on a table.
fn poll_interval(ctx: &Context) -> Duration {
    match ctx.target() {
        crate::config::Target::Local => Duration::from_millis(100),
        crate::config::Target::Prod => Duration::from_secs(2),
    }
}

/// How long to wait for a table to become ACTIVE or to disappear.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// Waits until the table and all its indexes are ACTIVE.
pub async fn wait_until_active(ctx: &Context, name: &str) -> Result<TableDescription> {
    let started = Instant::now();
    loop {
        let table = describe(ctx, name).await?.with_context(|| {
            format!("table {name} disappeared while waiting for it to become ACTIVE")
        })?;
        let active = table.table_status() == Some(&TableStatus::Active)
            && table
                .global_secondary_indexes()
                .iter()
                .all(|g| g.index_status().is_some_and(|s| s.as_str() == "ACTIVE"));
        if active {
            return Ok(table);
        }
        if started.elapsed() > TABLE_WAIT {
            bail!(
                "table {name} is still not ACTIVE after {} s",
                TABLE_WAIT.as_secs()
            );
        }
        tokio::time::sleep(poll_interval(ctx)).await;
    }
}

/// Waits until the table no longer exists.
pub async fn wait_until_gone(ctx: &Context, name: &str) -> Result<()> {
    let started = Instant::now();
    while describe(ctx, name).await?.is_some() {
        if started.elapsed() > TABLE_WAIT {
            bail!("table {name} still exists after {} s", TABLE_WAIT.as_secs());
        }
        tokio::time::sleep(poll_interval(ctx)).await;
    }
    Ok(())
}
