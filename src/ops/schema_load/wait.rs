//! Waiting between the steps of an apply: until the table is ACTIVE and every GSI is ACTIVE (an
//! index being deleted has gone), polling DescribeTable and reporting each building index's status
//! and item count, bounded by the wait timeout. On expiry the index is left building: DynamoDB
//! carries on by itself, and a re-run waits for it.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{IndexStatus, TableDescription, TableStatus};
use serde::Serialize;

use crate::config::Target;
use crate::context::Context;
use crate::ddb::table::describe;

/// A GSI that is not ACTIVE yet, as one poll saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexProgress {
    /// The index.
    pub index: String,
    /// `CREATING`, `UPDATING` or `DELETING`.
    pub status: String,
    /// DynamoDB is copying the table's items into it.
    pub backfilling: bool,
    /// The index's approximate item count.
    pub items: i64,
    /// The table's approximate item count.
    pub table_items: i64,
}

fn poll_interval(ctx: &Context) -> Duration {
    match ctx.target() {
        Target::Local => Duration::from_millis(100),
        Target::Prod => Duration::from_secs(5),
    }
}

/// Waits until table `name` and its GSIs are ACTIVE, calling `on_poll` with the indexes still
/// building after each DescribeTable. Fails when `timeout` runs out first, saying what is left
/// building.
pub async fn until_settled(
    ctx: &Context,
    name: &str,
    timeout: Duration,
    on_poll: &mut (dyn FnMut(&[IndexProgress]) + Send),
) -> Result<TableDescription> {
    let started = Instant::now();
    loop {
        let table = describe(ctx, name)
            .await?
            .with_context(|| format!("table {name} disappeared while waiting for it"))?;
        let building: Vec<IndexProgress> = table
            .global_secondary_indexes()
            .iter()
            .filter(|g| g.index_status() != Some(&IndexStatus::Active))
            .map(|g| IndexProgress {
                index: g.index_name().unwrap_or_default().to_string(),
                status: g.index_status().map_or("?", |s| s.as_str()).to_string(),
                backfilling: g.backfilling() == Some(true),
                items: g.item_count().unwrap_or(0),
                table_items: table.item_count().unwrap_or(0),
            })
            .collect();
        on_poll(&building);
        let active = table.table_status() == Some(&TableStatus::Active);
        if active && building.is_empty() {
            return Ok(table);
        }
        if started.elapsed() >= timeout {
            let left = match building.first() {
                Some(i) => format!(
                    "GSI {} is still {}{} ({} of about {} items)",
                    i.index,
                    i.status,
                    if i.backfilling { ", backfilling" } else { "" },
                    i.items,
                    i.table_items
                ),
                None => format!(
                    "the table is still {}",
                    table.table_status().map_or("?", |s| s.as_str())
                ),
            };
            bail!(
                "table {name}: {left} after the wait timeout of {} s; it is left as it is and \
                 DynamoDB carries on by itself: run `schema-load --apply` again to wait for it \
                 and carry out the remaining steps (or raise --wait-timeout)",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(poll_interval(ctx)).await;
    }
}
