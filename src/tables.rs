//! Table-level operations: listing every table and dropping one.

use anyhow::{bail, Result};

use crate::context::{Context, SdkResultExt};
use crate::schema;

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
    schema::wait_until_gone(ctx, table).await?;
    Ok(DropOutcome::Dropped)
}
