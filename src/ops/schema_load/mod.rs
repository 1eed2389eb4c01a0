//! The messages table's definition and `schema-load`: create the table exactly as the app needs
//! it, or tell how an existing table differs. Never deletes or changes an existing table.
//!
//! The definition is data (`seeds/messages-table.json`), in the JSON shape that
//! `aws dynamodb create-table --cli-input-json` accepts.
//!
//! Files: `definition` reads and validates the definition and converts it to the SDK's types,
//! `diff` compares a definition with an existing table; the entry points ([`plan`], [`load`])
//! are here.

use anyhow::Result;
use aws_sdk_dynamodb::types as sdk;

use crate::context::{Context, SdkResultExt};
use crate::ddb::table::{describe, wait_until_active};

mod definition;
mod diff;
#[cfg(test)]
mod tests;

use definition::{sdk_keys, sdk_throughput};
pub use definition::{
    AttributeDef, AttributeType, BillingMode, IndexDefinition, KeyDef, KeyType, ProjectionDef,
    ProjectionType, StreamViewType, TableDefinition, Throughput, MESSAGES_TABLE_JSON,
};
use diff::compare;

/// What `schema-load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The table did not exist and was created; it is ACTIVE now.
    Created,
    /// The table exists exactly as defined.
    Unchanged,
    /// The table exists and differs; nothing was changed.
    Differs(Vec<String>),
    /// Only from [`plan`] (a dry run): the table is missing and would be created.
    WouldCreate,
}

/// What [`load`] would do, without creating anything: [`LoadOutcome::WouldCreate`] when the
/// table is missing, else the comparison [`load`] makes (one DescribeTable).
pub async fn plan(ctx: &Context, def: &TableDefinition) -> Result<LoadOutcome> {
    let Some(table) = describe(ctx, &def.table_name).await? else {
        return Ok(LoadOutcome::WouldCreate);
    };
    Ok(compare(def, &table))
}

/// Creates the table of `def` (named `def.table_name`) if it is missing and waits until it and its
/// indexes are ACTIVE; an existing table is compared, never changed.
pub async fn load(ctx: &Context, def: &TableDefinition) -> Result<LoadOutcome> {
    let name = def.table_name.as_str();
    if describe(ctx, name).await?.is_none() {
        let attributes = def.sdk_attributes()?;
        let indexes = def.sdk_indexes()?;
        let stream = def.sdk_stream()?;
        let created = ctx
            .dynamodb()
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(sdk_keys(&def.key_schema)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .billing_mode(sdk::BillingMode::from(def.billing_mode.as_str()))
            .set_provisioned_throughput(sdk_throughput(def.throughput)?)
            .set_stream_specification(stream)
            .send()
            .await;
        match created {
            Ok(_) => {
                wait_until_active(ctx, name).await?;
                return Ok(LoadOutcome::Created);
            }
            // Created by someone else in the meantime: compare below.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) => {}
            Err(err) => {
                return Err(err).on(
                    &ctx.dynamodb_endpoint,
                    format_args!("creating table {name}"),
                )
            }
        }
    }
    let table = wait_until_active(ctx, name).await?;
    Ok(compare(def, &table))
}
