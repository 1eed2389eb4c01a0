//! The live table as the planner sees it: DescribeTable, plus the settings DescribeTable does not
//! carry (time to live, point-in-time recovery, tags), each read only when the definition names
//! it. An endpoint that lacks one of those calls (DynamoDB Local has no point-in-time recovery and
//! no tagging) is recorded as such, not treated as an error.

use std::collections::BTreeMap;

use anyhow::Result;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{PointInTimeRecoveryStatus, TableDescription, TimeToLiveStatus};

use super::TableDefinition;
use crate::context::{Context, SdkResultExt};
use crate::ddb::table::describe;

/// A setting read with its own call: its value, or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature<T> {
    /// What the endpoint reported.
    Known(T),
    /// The endpoint does not implement the call (its message).
    Unsupported(String),
    /// Not read: the definition leaves the setting alone.
    NotAsked,
}

/// Time to live as DescribeTimeToLive reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlState {
    /// `ENABLED`, `ENABLING`, `DISABLED` or `DISABLING`.
    pub status: String,
    /// The attribute, when one is set.
    pub attribute: Option<String>,
}

impl TtlState {
    /// The attribute TTL is (or is becoming) enabled on; `None` when it is (becoming) disabled.
    pub fn enabled_on(&self) -> Option<&str> {
        matches!(self.status.as_str(), "ENABLED" | "ENABLING")
            .then_some(self.attribute.as_deref())
            .flatten()
    }
}

/// A live table: its description and the settings read with their own calls.
#[derive(Debug, Clone)]
pub struct LiveTable {
    /// DescribeTable's answer.
    pub table: TableDescription,
    /// Time to live.
    pub ttl: Feature<TtlState>,
    /// Whether point-in-time recovery is on.
    pub point_in_time_recovery: Feature<bool>,
    /// The tags.
    pub tags: Feature<BTreeMap<String, String>>,
}

/// Whether an SDK error says the endpoint does not implement the operation.
fn unsupported<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<String> {
    let meta = err.as_service_error()?;
    (meta.code() == Some("UnknownOperationException")).then(|| {
        meta.message()
            .unwrap_or("an unknown operation was requested")
            .to_string()
    })
}

/// Reads the live table `name` (`None`: it does not exist), with the settings `def` names.
pub async fn inspect(ctx: &Context, def: &TableDefinition) -> Result<Option<LiveTable>> {
    let name = def.table_name.as_str();
    let Some(table) = describe(ctx, name).await? else {
        return Ok(None);
    };
    let endpoint = &ctx.dynamodb_endpoint;
    let ttl = if def.ttl.is_some() {
        match ctx
            .dynamodb()
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
        {
            Ok(out) => {
                let d = out.time_to_live_description;
                Feature::Known(TtlState {
                    status: d
                        .as_ref()
                        .and_then(|d| d.time_to_live_status())
                        .unwrap_or(&TimeToLiveStatus::Disabled)
                        .as_str()
                        .to_string(),
                    attribute: d.and_then(|d| d.attribute_name),
                })
            }
            Err(err) => match unsupported(&err) {
                Some(why) => Feature::Unsupported(why),
                None => {
                    return Err(err).on(endpoint, format_args!("reading the TTL of table {name}"))
                }
            },
        }
    } else {
        Feature::NotAsked
    };
    let point_in_time_recovery = if def.point_in_time_recovery.is_some() {
        match ctx
            .dynamodb()
            .describe_continuous_backups()
            .table_name(name)
            .send()
            .await
        {
            Ok(out) => Feature::Known(
                out.continuous_backups_description
                    .and_then(|d| d.point_in_time_recovery_description)
                    .and_then(|p| p.point_in_time_recovery_status)
                    == Some(PointInTimeRecoveryStatus::Enabled),
            ),
            Err(err) => match unsupported(&err) {
                Some(why) => Feature::Unsupported(why),
                None => {
                    return Err(err).on(
                        endpoint,
                        format_args!("reading the point-in-time recovery of table {name}"),
                    )
                }
            },
        }
    } else {
        Feature::NotAsked
    };
    let tags = match (&def.tags, table.table_arn()) {
        (Some(_), Some(arn)) => read_tags(ctx, name, arn).await?,
        _ => Feature::NotAsked,
    };
    Ok(Some(LiveTable {
        table,
        ttl,
        point_in_time_recovery,
        tags,
    }))
}

/// The table's tags (ListTagsOfResource, every page).
async fn read_tags(
    ctx: &Context,
    name: &str,
    arn: &str,
) -> Result<Feature<BTreeMap<String, String>>> {
    let mut tags = BTreeMap::new();
    let mut token = None;
    loop {
        let page = match ctx
            .dynamodb()
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(token)
            .send()
            .await
        {
            Ok(page) => page,
            Err(err) => {
                return match unsupported(&err) {
                    Some(why) => Ok(Feature::Unsupported(why)),
                    None => Err(err).on(
                        &ctx.dynamodb_endpoint,
                        format_args!("listing the tags of table {name}"),
                    ),
                }
            }
        };
        for tag in page.tags.unwrap_or_default() {
            tags.insert(tag.key, tag.value);
        }
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(Feature::Known(tags)),
        }
    }
}
