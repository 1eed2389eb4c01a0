//! Carrying a plan out: one call per step, in order, waiting after each UpdateTable until the
//! table and its indexes are ACTIVE again (DynamoDB takes one index change at a time). Stops at
//! the first failure; what was done stays done, and a re-run plans only what is left.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{
    self as sdk, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndexUpdate, PointInTimeRecoverySpecification, TableDescription,
    TimeToLiveSpecification, UpdateGlobalSecondaryIndexAction,
};
use serde::Serialize;

use super::definition::TableDefinition;
use super::sdk::{sdk_index, sdk_stream, sdk_tags, sdk_throughput, with_table_attributes};
use super::step::Step;
use super::wait::{until_settled, IndexProgress};
use crate::context::{Context, SdkResultExt};
use crate::ddb::table::describe;

/// What an apply reports while it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// Step `n` of `total` starts.
    Started {
        /// 1-based.
        n: usize,
        /// Steps in the plan.
        total: usize,
        /// The step.
        step: &'a Step,
    },
    /// A poll while waiting after a step: the indexes still building (empty: only the table).
    Waiting(&'a [IndexProgress]),
    /// The endpoint turned deletion protection off with an UpdateTable that did not name it
    /// (DynamoDB Local does); it is being turned on again.
    Reprotected,
    /// Step `n` is done, the table settled again.
    Done {
        /// 1-based.
        n: usize,
        /// How long the call and the wait took.
        elapsed: Duration,
    },
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Only planned (no `--apply`).
    Planned,
    /// Carried out, and the table settled.
    Done,
    /// The call or the wait after it failed.
    Failed,
    /// Not tried: an earlier step failed.
    NotRun,
}

/// A step and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    /// The step.
    pub step: Step,
    /// How it ended.
    pub status: StepStatus,
    /// Seconds the call and the wait after it took.
    pub seconds: Option<f64>,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// Every step's outcome, and the error that stopped the apply (if one did).
#[derive(Debug)]
pub struct Applied {
    /// One per step of the plan, in order.
    pub outcomes: Vec<StepOutcome>,
    /// The failure that stopped the apply.
    pub error: Option<anyhow::Error>,
}

/// What an apply needs to know of the live table.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Its ARN (for the tag calls).
    pub arn: Option<&'a str>,
    /// Whether deletion protection is on.
    pub protected: bool,
}

impl<'a> Target<'a> {
    /// The ARN and protection of `table`.
    pub fn of(table: &'a TableDescription) -> Target<'a> {
        Target {
            arn: table.table_arn(),
            protected: table.deletion_protection_enabled() == Some(true),
        }
    }
}

/// Carries out `steps` on `def`'s table, waiting up to `wait_timeout` after each UpdateTable for
/// the table and its indexes to be ACTIVE.
pub async fn apply(
    ctx: &Context,
    def: &TableDefinition,
    table: Target<'_>,
    steps: &[Step],
    wait_timeout: Duration,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Applied {
    let mut outcomes: Vec<StepOutcome> = steps
        .iter()
        .map(|step| StepOutcome {
            step: step.clone(),
            status: StepStatus::NotRun,
            seconds: None,
            error: None,
        })
        .collect();
    let total = steps.len();
    let mut protected = table.protected;
    for (at, step) in steps.iter().enumerate() {
        let n = at + 1;
        on_event(Event::Started { n, total, step });
        let started = Instant::now();
        let done = run_step(
            ctx,
            def,
            table.arn,
            &mut protected,
            step,
            wait_timeout,
            on_event,
        )
        .await
        .with_context(|| format!("step {n} of {total}: {}: {}", step.call(), step.change()));
        let outcome = &mut outcomes[at];
        outcome.seconds = Some(started.elapsed().as_secs_f64());
        match done {
            Ok(()) => {
                outcome.status = StepStatus::Done;
                on_event(Event::Done {
                    n,
                    elapsed: started.elapsed(),
                });
            }
            Err(err) => {
                outcome.status = StepStatus::Failed;
                outcome.error = Some(format!("{err:#}"));
                return Applied {
                    outcomes,
                    error: Some(err),
                };
            }
        }
    }
    Applied {
        outcomes,
        error: None,
    }
}

async fn run_step(
    ctx: &Context,
    def: &TableDefinition,
    arn: Option<&str>,
    protected: &mut bool,
    step: &Step,
    wait_timeout: Duration,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<()> {
    let name = def.table_name.as_str();
    let endpoint = &ctx.dynamodb_endpoint;
    let what = format!("{} on table {name}", step.call());
    let update = ctx.dynamodb().update_table().table_name(name);
    let update = match step {
        Step::DeletionProtection { enabled } => {
            *protected = *enabled;
            update.deletion_protection_enabled(*enabled)
        }
        Step::DeleteIndex { index, .. } => update.global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name(index)
                        .build()
                        .context("building an index deletion")?,
                )
                .build(),
        ),
        Step::Capacity {
            billing_mode,
            table,
            indexes,
            ..
        } => {
            let mut update = update
                .billing_mode(sdk::BillingMode::from(billing_mode.as_str()))
                .set_provisioned_throughput(sdk_throughput(*table)?);
            for index in indexes {
                let throughput =
                    sdk_throughput(Some(index.to))?.context("building provisioned throughput")?;
                update = update.global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .update(
                            UpdateGlobalSecondaryIndexAction::builder()
                                .index_name(&index.index)
                                .provisioned_throughput(throughput)
                                .build()
                                .context("building an index update")?,
                        )
                        .build(),
                );
            }
            update
        }
        Step::CreateIndex { index, .. } => {
            let gsi = sdk_index(index)?;
            // DynamoDB merges the definitions sent with the table's; moto replaces them with
            // what is sent (losing the table's keys). Sending the table's own (read now: the
            // table is settled between steps) plus the new index's is right for both.
            let live = describe(ctx, name)
                .await?
                .with_context(|| format!("table {name} disappeared during the apply"))?;
            let attributes = with_table_attributes(
                def.sdk_attributes(Some(&index.key_schema))?,
                live.attribute_definitions(),
            );
            update
                .set_attribute_definitions(Some(attributes))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(
                            CreateGlobalSecondaryIndexAction::builder()
                                .index_name(gsi.index_name())
                                .set_key_schema(Some(gsi.key_schema().to_vec()))
                                .set_projection(gsi.projection().cloned())
                                .set_provisioned_throughput(gsi.provisioned_throughput().cloned())
                                .build()
                                .context("building an index creation")?,
                        )
                        .build(),
                )
        }
        Step::Stream { view } => update.stream_specification(sdk_stream(*view)?),
        Step::TimeToLive { enabled, attribute } => {
            let spec = TimeToLiveSpecification::builder()
                .enabled(*enabled)
                .attribute_name(attribute)
                .build()
                .context("building the TTL specification")?;
            ctx.dynamodb()
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(spec)
                .send()
                .await
                .on(endpoint, &what)?;
            return Ok(());
        }
        Step::PointInTimeRecovery { enabled } => {
            let spec = PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(*enabled)
                .build()
                .context("building the point-in-time recovery specification")?;
            ctx.dynamodb()
                .update_continuous_backups()
                .table_name(name)
                .point_in_time_recovery_specification(spec)
                .send()
                .await
                .on(endpoint, &what)?;
            return Ok(());
        }
        Step::Tag { tags } => {
            let arn = arn.context("the table has no ARN to tag")?;
            ctx.dynamodb()
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(tags.iter())?))
                .send()
                .await
                .on(endpoint, &what)?;
            return Ok(());
        }
        Step::Untag { keys } => {
            let arn = arn.context("the table has no ARN to untag")?;
            ctx.dynamodb()
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys.clone()))
                .send()
                .await
                .on(endpoint, &what)?;
            return Ok(());
        }
    };
    update.send().await.on(endpoint, &what)?;
    let settled = until_settled(ctx, name, wait_timeout, &mut |building| {
        on_event(Event::Waiting(building))
    })
    .await?;
    // DynamoDB Local turns deletion protection off on every UpdateTable that does not name it
    // (AWS keeps it): turn it on again rather than leave the table unprotected. Only once the
    // table has settled: DynamoDB Local may fail (HTTP 500) an UpdateTable while an index is
    // being deleted. (When the wait runs out first, the re-run's plan turns it on.)
    if *protected && settled.deletion_protection_enabled() == Some(false) {
        reprotect(ctx, name, on_event).await?;
    }
    Ok(())
}

/// Turns deletion protection on again after the endpoint dropped it.
async fn reprotect(
    ctx: &Context,
    name: &str,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<()> {
    on_event(Event::Reprotected);
    ctx.dynamodb()
        .update_table()
        .table_name(name)
        .deletion_protection_enabled(true)
        .send()
        .await
        .on(
            &ctx.dynamodb_endpoint,
            format_args!("turning the deletion protection of table {name} on again"),
        )?;
    Ok(())
}
