//! The messages table's definition and `schema-load`: create the table exactly as the app needs
//! it, or plan (and with `--apply`, carry out) the calls that bring an existing table to it.
//!
//! The definition is data (`seeds/messages-table.json`), in the JSON shape that
//! `aws dynamodb create-table --cli-input-json` accepts, plus `TimeToLiveSpecification` and
//! `PointInTimeRecoverySpecification` (settings CreateTable has no field for).
//!
//! Files: `definition` reads and validates the definition, `sdk` converts it to the SDK's types,
//! `live` reads the table as it is, `plan` (pure) computes the steps and refusals, `step` says what
//! each step changes and risks, `apply` carries the steps out and `wait` waits between them,
//! `report` is what the command prints. Creating a missing table is here.

use std::time::Duration;

use anyhow::Result;
use aws_sdk_dynamodb::types::BillingMode as SdkBillingMode;

use crate::context::{Context, SdkResultExt};
use crate::ddb::table::wait_until_active;

mod apply;
mod definition;
mod live;
mod plan;
#[cfg(test)]
mod plan_tests;
mod report;
mod run;
mod sdk;
mod settings;
mod step;
#[cfg(test)]
mod tests;
mod wait;

pub use apply::{apply, Applied, Event, StepOutcome, StepStatus, Target};
pub use definition::{
    AttributeDef, AttributeType, BillingMode, IndexDefinition, KeyDef, KeyType,
    LocalIndexDefinition, ProjectionDef, ProjectionType, StreamViewType, TableDefinition,
    Throughput, TtlSetting, MESSAGES_TABLE_JSON,
};
pub use live::{inspect, Feature, LiveTable, TtlState};
pub use plan::{plan_changes, Plan, PlanOptions, Refusal};
pub use report::{Outcome, SchemaReport, StepLine};
pub use run::{run, Drift, SchemaRequest};
pub use step::{IndexCapacity, Step};
pub use wait::{until_settled, IndexProgress};

use sdk::{sdk_keys, sdk_throughput};

/// The default bound on each wait for the table and its indexes to become ACTIVE (an index
/// backfill on a large table takes long): 30 minutes.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What [`create`] did.
#[derive(Debug)]
pub enum Created {
    /// The table was created and is ACTIVE; `follow_up` is what CreateTable cannot set (TTL,
    /// point-in-time recovery), `applied` how its steps went.
    Created {
        /// The plan computed once the table was ACTIVE.
        follow_up: Plan,
        /// Its steps' outcomes.
        applied: Applied,
    },
    /// Someone else created the table in the meantime: plan against it instead.
    AlreadyExists,
}

/// Creates `def`'s table (everything CreateTable takes, deletion protection and tags included),
/// waits until it and its indexes are ACTIVE, then carries out what CreateTable cannot set.
pub async fn create(
    ctx: &Context,
    def: &TableDefinition,
    options: PlanOptions,
    wait_timeout: Duration,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<Created> {
    let name = def.table_name.as_str();
    let indexes = def.sdk_indexes()?;
    let local_indexes = def.sdk_local_indexes()?;
    let created = ctx
        .dynamodb()
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(def.sdk_attributes(None)?))
        .set_key_schema(Some(sdk_keys(&def.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_local_secondary_indexes((!local_indexes.is_empty()).then_some(local_indexes))
        .billing_mode(SdkBillingMode::from(def.billing_mode.as_str()))
        .set_provisioned_throughput(sdk_throughput(def.throughput)?)
        .set_stream_specification(def.sdk_stream()?)
        .set_deletion_protection_enabled(def.deletion_protection)
        .set_tags(def.sdk_tags()?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(Created::AlreadyExists)
        }
        Err(err) => {
            return Err(err).on(
                &ctx.dynamodb_endpoint,
                format_args!("creating table {name}"),
            )
        }
    }
    wait_until_active(ctx, name).await?;
    let live = inspect(ctx, def)
        .await?
        .ok_or_else(|| anyhow::anyhow!("table {name} disappeared right after it was created"))?;
    let follow_up = plan_changes(def, &live, options);
    let applied = match follow_up.refusals.is_empty() {
        true => {
            let table = Target::of(&live.table);
            apply(ctx, def, table, &follow_up.steps, wait_timeout, on_event).await
        }
        false => Applied {
            outcomes: Vec::new(),
            error: None,
        },
    };
    Ok(Created::Created { follow_up, applied })
}
