//! One step of a plan: a single call that moves a live table toward its definition, with what it
//! changes and what it costs or risks, in words for the plan's text and JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use super::definition::{BillingMode, IndexDefinition, KeyDef, StreamViewType, Throughput};

/// A GSI's provisioned capacity, before and after a [`Step::Capacity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexCapacity {
    /// The index.
    pub index: String,
    /// Its capacity now (`None`: on-demand).
    pub from: Option<Throughput>,
    /// Its capacity after the step.
    pub to: Throughput,
}

/// One call of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// UpdateTable `DeletionProtectionEnabled`.
    DeletionProtection {
        /// Turned on (`true`) or off.
        enabled: bool,
    },
    /// UpdateTable: delete one global secondary index.
    DeleteIndex {
        /// The index.
        index: String,
        /// Deleted to be created again with another key schema or projection.
        rebuild: bool,
    },
    /// UpdateTable: billing mode and provisioned capacity of the table and its kept indexes.
    Capacity {
        /// Billing mode now.
        from_billing_mode: BillingMode,
        /// Billing mode after the step.
        billing_mode: BillingMode,
        /// The table's capacity now (`None`: on-demand).
        from_table: Option<Throughput>,
        /// The table's new capacity (`None`: unchanged, or on-demand).
        table: Option<Throughput>,
        /// The indexes whose capacity changes.
        indexes: Vec<IndexCapacity>,
        /// Some capacity goes down (counts against DynamoDB's daily limit of decreases).
        decrease: bool,
        /// DescribeTable's `NumberOfDecreasesToday`.
        decreases_today: i64,
    },
    /// UpdateTable: create one global secondary index (DynamoDB backfills it from the table).
    CreateIndex {
        /// The index as the definition has it.
        index: IndexDefinition,
        /// Re-created after [`Step::DeleteIndex`] with `rebuild`.
        rebuild: bool,
        /// The table's approximate item count (what the backfill reads).
        table_items: i64,
    },
    /// UpdateTable `StreamSpecification`: enable with a view type, or disable (`None`).
    Stream {
        /// The view type of the new stream; `None` disables the stream.
        view: Option<StreamViewType>,
    },
    /// UpdateTimeToLive.
    TimeToLive {
        /// Turned on (`true`) or off.
        enabled: bool,
        /// The attribute holding each item's expiry time (epoch seconds).
        attribute: String,
    },
    /// UpdateContinuousBackups: point-in-time recovery on or off.
    PointInTimeRecovery {
        /// Turned on (`true`) or off.
        enabled: bool,
    },
    /// TagResource: add or change tags.
    Tag {
        /// The tags added or changed.
        tags: BTreeMap<String, String>,
    },
    /// UntagResource: remove tags.
    Untag {
        /// The keys removed.
        keys: Vec<String>,
    },
}

/// `pk S HASH, sk S RANGE`: keys with their attribute types (`?` when unknown).
pub fn show_keys<'a>(
    keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    type_of: impl Fn(&str) -> &'a str,
) -> String {
    keys.into_iter()
        .map(|(name, key_type)| format!("{name} {} {key_type}", type_of(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `5/5` (read/write) or `on-demand`.
pub fn show_capacity(t: Option<Throughput>) -> String {
    t.map_or("on-demand".into(), |t| format!("{}/{}", t.read, t.write))
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn def_keys(keys: &[KeyDef]) -> String {
    keys.iter()
        .map(|k| format!("{} {}", k.attribute_name, k.key_type.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Step {
    /// The DynamoDB call that carries the step out.
    pub fn call(&self) -> &'static str {
        match self {
            Step::DeletionProtection { .. }
            | Step::DeleteIndex { .. }
            | Step::Capacity { .. }
            | Step::CreateIndex { .. }
            | Step::Stream { .. } => "UpdateTable",
            Step::TimeToLive { .. } => "UpdateTimeToLive",
            Step::PointInTimeRecovery { .. } => "UpdateContinuousBackups",
            Step::Tag { .. } => "TagResource",
            Step::Untag { .. } => "UntagResource",
        }
    }

    /// What the step changes, in a few words.
    pub fn change(&self) -> String {
        match self {
            Step::DeletionProtection { enabled } => {
                format!("turn deletion protection {}", on_off(*enabled))
            }
            Step::DeleteIndex { index, rebuild } => match rebuild {
                true => format!("delete GSI {index} (to re-create it with the new definition)"),
                false => format!("delete GSI {index}"),
            },
            Step::Capacity {
                from_billing_mode,
                billing_mode,
                from_table,
                table,
                indexes,
                ..
            } => {
                let mut parts = Vec::new();
                if from_billing_mode != billing_mode {
                    parts.push(format!(
                        "billing mode {} -> {}",
                        from_billing_mode.as_str(),
                        billing_mode.as_str()
                    ));
                }
                if let Some(t) = table {
                    parts.push(format!(
                        "table capacity {} -> {} (read/write)",
                        show_capacity(*from_table),
                        show_capacity(Some(*t))
                    ));
                }
                for i in indexes {
                    parts.push(format!(
                        "GSI {} capacity {} -> {}",
                        i.index,
                        show_capacity(i.from),
                        show_capacity(Some(i.to))
                    ));
                }
                parts.join("; ")
            }
            Step::CreateIndex { index, rebuild, .. } => {
                let mut projection = index.projection.projection_type.as_str().to_string();
                if !index.projection.non_key_attributes.is_empty() {
                    projection += &format!(" ({})", index.projection.non_key_attributes.join(", "));
                }
                let capacity = index
                    .throughput
                    .map(|t| format!(", capacity {}", show_capacity(Some(t))))
                    .unwrap_or_default();
                format!(
                    "{} GSI {} (keys {}; projection {projection}{capacity})",
                    if *rebuild { "re-create" } else { "create" },
                    index.name,
                    def_keys(&index.key_schema)
                )
            }
            Step::Stream { view: Some(view) } => format!("enable the stream ({})", view.as_str()),
            Step::Stream { view: None } => "disable the stream".into(),
            Step::TimeToLive {
                enabled: true,
                attribute,
            } => {
                format!("turn TTL on (attribute {attribute})")
            }
            Step::TimeToLive {
                enabled: false,
                attribute,
            } => {
                format!("turn TTL off (was on attribute {attribute})")
            }
            Step::PointInTimeRecovery { enabled } => {
                format!("turn point-in-time recovery {}", on_off(*enabled))
            }
            Step::Tag { tags } => format!(
                "set {} {}",
                if tags.len() == 1 { "tag" } else { "tags" },
                tags.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Step::Untag { keys } => format!(
                "remove {} {}",
                if keys.len() == 1 { "tag" } else { "tags" },
                keys.join(", ")
            ),
        }
    }

    /// What the step costs or risks.
    pub fn risk(&self) -> String {
        match self {
            Step::DeletionProtection { enabled: true } => {
                "none; DeleteTable is refused until protection is turned off".into()
            }
            Step::DeletionProtection { enabled: false } => {
                "the table can be deleted (drop, DeleteTable) from now on".into()
            }
            Step::DeleteIndex {
                index,
                rebuild: true,
            } => format!(
                "GSI {index} is unavailable (queries on it fail) until it is re-created and \
                 backfilled"
            ),
            Step::DeleteIndex { index, .. } => {
                format!("queries on GSI {index} fail from now on; its data is dropped")
            }
            Step::Capacity {
                from_billing_mode,
                billing_mode,
                decrease,
                decreases_today,
                ..
            } => {
                let mut risks = Vec::new();
                if from_billing_mode != billing_mode {
                    risks.push(
                        "DynamoDB limits how often a table may switch billing mode (in a \
                         24-hour window)"
                            .to_string(),
                    );
                    if *billing_mode == BillingMode::Provisioned {
                        risks.push("requests above the new capacity are throttled".into());
                    }
                }
                if *decrease {
                    risks.push(format!(
                        "a capacity decrease counts against DynamoDB's daily limit of decreases \
                         ({decreases_today} so far today); requests above the new capacity are \
                         throttled"
                    ));
                } else if *billing_mode == BillingMode::Provisioned {
                    risks.push("more capacity costs more per hour".into());
                }
                risks.join("; ")
            }
            Step::CreateIndex {
                index, table_items, ..
            } => format!(
                "the backfill reads the whole table (about {table_items} items) and writes \
                 each into the index (its write capacity); GSI {} cannot be queried until it is \
                 ACTIVE",
                index.name
            ),
            Step::Stream { view: Some(_) } => {
                "a new stream (new ARN); stream consumers must read it".into()
            }
            Step::Stream { view: None } => {
                "consumers (messaging-stream) stop receiving changes; the old stream's records \
                 stay readable for 24 h"
                    .into()
            }
            Step::TimeToLive {
                enabled: true,
                attribute,
            } => format!(
                "items whose {attribute} is a past time (epoch seconds) are deleted by DynamoDB \
                 (within days); one TTL change per table per hour"
            ),
            Step::TimeToLive { enabled: false, .. } => {
                "expired items are kept from now on; one TTL change per table per hour".into()
            }
            Step::PointInTimeRecovery { enabled: true } => {
                "continuous backups are billed by table size".into()
            }
            Step::PointInTimeRecovery { enabled: false } => {
                "the recovery window is deleted: the table can no longer be restored to an \
                 earlier time"
                    .into()
            }
            Step::Tag { .. } | Step::Untag { .. } => "none".into(),
        }
    }
}
