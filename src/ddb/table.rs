//! Table-level calls: describing a table (or many, a few at a time), listing every table (the
//! SDK's paginator), deleting one, and waiting until a table is ACTIVE or gone (the SDK's waiters).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{IndexStatus, TableDescription};
use aws_smithy_runtime_api::client::waiters::error::WaiterError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::context::{sdk_error, Context, SdkResultExt};

/// Fetches the table's description, or `None` when it does not exist.
pub async fn describe(ctx: &Context, table: &str) -> Result<Option<TableDescription>> {
    let sent = ctx
        .dynamodb()
        .describe_table()
        .table_name(table)
        .send()
        .await;
    let found = sent.on_unless(
        |e| e.is_resource_not_found_exception(),
        &ctx.dynamodb_endpoint,
        format_args!("describing table {table}"),
    )?;
    Ok(found.and_then(|out| out.table))
}

/// Every table name, across all ListTables pages (the SDK's paginator).
pub async fn list(ctx: &Context) -> Result<Vec<String>> {
    ctx.dynamodb()
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .on(&ctx.dynamodb_endpoint, "listing tables")
}

/// How many DescribeTable calls [`describe_many`] has in flight at once.
pub const DESCRIBE_CONCURRENCY: usize = 8;

/// Describes each of `names` ([`DESCRIBE_CONCURRENCY`] calls at a time), in the order given. A
/// table gone since it was listed is left out.
pub async fn describe_many(ctx: &Context, names: &[String]) -> Result<Vec<TableDescription>> {
    let permits = Arc::new(Semaphore::new(DESCRIBE_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (at, name) in names.iter().enumerate() {
        let (ctx, name, permits) = (ctx.clone(), name.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            describe(&ctx, &name).await.map(|d| (at, d))
        });
    }
    let mut found = Vec::with_capacity(names.len());
    while let Some(joined) = tasks.join_next().await {
        if let (at, Some(desc)) = joined.context("a DescribeTable task failed")?? {
            found.push((at, desc));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    Ok(found.into_iter().map(|(_, d)| d).collect())
}

/// Sends DeleteTable for `table`: `Ok(false)` when it does not exist, `Ok(true)` once the
/// deletion has started (see [`wait_until_gone`]).
pub async fn delete(ctx: &Context, table: &str) -> Result<bool> {
    let sent = ctx.dynamodb().delete_table().table_name(table).send().await;
    let deleted = sent.on_unless(
        |e| e.is_resource_not_found_exception(),
        &ctx.dynamodb_endpoint,
        format_args!("deleting table {table}"),
    )?;
    Ok(deleted.is_some())
}

/// How often to poll while waiting for a table's indexes (the SDK waiters have their own
/// delays: 20 s at first, then growing, as the AWS CLI).
fn poll_interval(ctx: &Context) -> Duration {
    match ctx.target() {
        crate::config::Target::Local => Duration::from_millis(100),
        crate::config::Target::Prod => Duration::from_secs(2),
    }
}

/// How long to wait for a table to become ACTIVE or to disappear.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// A waiter's error as ours: the SDK error of a failed DescribeTable with its context, or what
/// `timed_out` says when the wait ran out.
fn waiter_error<O, E>(
    err: WaiterError<O, E>,
    ctx: &Context,
    what: &str,
    timed_out: String,
) -> anyhow::Error
where
    O: std::fmt::Debug + Send + Sync + 'static,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    match err {
        WaiterError::OperationFailed(failed) => {
            sdk_error(failed.into_error(), &ctx.dynamodb_endpoint, what)
        }
        WaiterError::ExceededMaxWait(_) => anyhow!(timed_out),
        other => anyhow::Error::new(other).context(format!("{what} on {}", ctx.dynamodb_endpoint)),
    }
}

/// Waits until the table and all its indexes are ACTIVE.
///
/// The SDK's `TableExists` waiter looks at `Table.TableStatus` only, not at the indexes'
/// `IndexStatus`; an index created with the table (or added later) may still be CREATING when
/// the table is ACTIVE. So the waiter first, then a poll until every index is ACTIVE too.
pub async fn wait_until_active(ctx: &Context, name: &str) -> Result<TableDescription> {
    let started = Instant::now();
    let timed_out = || {
        format!(
            "table {name} is still not ACTIVE after {} s",
            TABLE_WAIT.as_secs()
        )
    };
    let what = format!("waiting for table {name} to become ACTIVE");
    let polled = ctx
        .dynamodb()
        .wait_until_table_exists()
        .table_name(name)
        .wait(TABLE_WAIT)
        .await
        .map_err(|e| waiter_error(e, ctx, &what, timed_out()))?;
    let mut table = polled
        .into_result()
        .ok()
        .and_then(|out| out.table)
        .with_context(|| format!("{what}: the final DescribeTable carries no table"))?;
    while !table
        .global_secondary_indexes()
        .iter()
        .all(|g| g.index_status() == Some(&IndexStatus::Active))
    {
        if started.elapsed() > TABLE_WAIT {
            bail!("{}: an index is not ACTIVE yet", timed_out());
        }
        tokio::time::sleep(poll_interval(ctx)).await;
        table = describe(ctx, name).await?.with_context(|| {
            format!("table {name} disappeared while waiting for it to become ACTIVE")
        })?;
    }
    Ok(table)
}

/// Waits until the table no longer exists (the SDK's `TableNotExists` waiter).
pub async fn wait_until_gone(ctx: &Context, name: &str) -> Result<()> {
    ctx.dynamodb()
        .wait_until_table_not_exists()
        .table_name(name)
        .wait(TABLE_WAIT)
        .await
        .map_err(|e| {
            waiter_error(
                e,
                ctx,
                &format!("waiting for table {name} to be deleted"),
                format!("table {name} still exists after {} s", TABLE_WAIT.as_secs()),
            )
        })?;
    Ok(())
}
