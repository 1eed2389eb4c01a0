//! The planner (pure): from a definition and the live table, the ordered calls that bring the
//! table to the definition, the changes refused because they cannot be made in place, and notes
//! (settings the endpoint does not support, indexes still building).
//!
//! Order: deletion protection on first (the table is protected while it changes); index deletions
//! (less to pay for during the rest); billing mode and capacity; index creations, one per call;
//! stream; TTL; point-in-time recovery; tags; deletion protection off last. The plan is computed
//! from the table as it is, so re-running after an interrupted apply plans only what is left.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{IndexStatus, TableDescription};
use serde::Serialize;

use super::definition::{
    BillingMode, IndexDefinition, KeyDef, ProjectionDef, TableDefinition, Throughput,
};
use super::live::LiveTable;
use super::settings;
use super::step::{show_keys, IndexCapacity, Step};

/// Choices that change what may be planned.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// A GSI whose keys or projection differ may be deleted and created again.
    pub allow_index_rebuild: bool,
    /// The run is on prod: a setting the file turns on that the endpoint does not support is
    /// refused rather than noted.
    pub prod: bool,
}

/// A change that cannot be made, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// What differs: expected and found.
    pub what: String,
    /// Why it is refused and what to do instead.
    pub reason: String,
}

/// What it takes to bring a live table to its definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Plan {
    /// The calls, in order.
    pub steps: Vec<Step>,
    /// Changes that are not made.
    pub refusals: Vec<Refusal>,
    /// Notes: settings the endpoint does not support, indexes still building.
    pub notes: Vec<String>,
    /// The settings of the file the endpoint does not support, so neither checked nor applied
    /// (each has its note).
    #[serde(skip)]
    pub unchecked: Vec<String>,
}

impl Plan {
    /// Nothing to do and nothing refused: the table is as defined.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.refusals.is_empty()
    }
}

/// A GSI of the live table, as comparable strings.
struct LiveIndex {
    keys: String,
    projection: String,
    throughput: Option<Throughput>,
}

fn show_projection(kind: &str, attrs: &[String]) -> String {
    let mut attrs = attrs.to_vec();
    attrs.sort();
    match attrs.is_empty() {
        true => kind.to_string(),
        false => format!("{kind} ({})", attrs.join(", ")),
    }
}

fn def_projection(p: &ProjectionDef) -> String {
    show_projection(p.projection_type.as_str(), &p.non_key_attributes)
}

fn live_projection(p: Option<&aws_sdk_dynamodb::types::Projection>) -> String {
    p.map_or("none".into(), |p| {
        show_projection(
            p.projection_type().map_or("none", |t| t.as_str()),
            p.non_key_attributes(),
        )
    })
}

fn live_throughput(
    t: Option<&aws_sdk_dynamodb::types::ProvisionedThroughputDescription>,
) -> Option<Throughput> {
    t.map(|t| Throughput {
        read: t.read_capacity_units().unwrap_or(0),
        write: t.write_capacity_units().unwrap_or(0),
    })
}

/// The live table's keys, GSIs and LSIs as comparable strings.
struct Shape<'a> {
    table: &'a TableDescription,
}

impl<'a> Shape<'a> {
    fn type_of(&self, name: &str) -> &'a str {
        self.table
            .attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == name)
            .map_or("?", |a| a.attribute_type().as_str())
    }

    fn keys(&self, keys: &'a [aws_sdk_dynamodb::types::KeySchemaElement]) -> String {
        show_keys(
            keys.iter()
                .map(|k| (k.attribute_name(), k.key_type().as_str())),
            |n| self.type_of(n),
        )
    }

    fn billing(&self) -> BillingMode {
        match self
            .table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
        {
            Some(aws_sdk_dynamodb::types::BillingMode::PayPerRequest) => BillingMode::PayPerRequest,
            _ => BillingMode::Provisioned,
        }
    }

    /// GSIs that are not being deleted.
    fn indexes(&self) -> BTreeMap<String, LiveIndex> {
        self.table
            .global_secondary_indexes()
            .iter()
            .filter(|g| g.index_status() != Some(&IndexStatus::Deleting))
            .map(|g| {
                (
                    g.index_name().unwrap_or_default().to_string(),
                    LiveIndex {
                        keys: self.keys(g.key_schema()),
                        projection: live_projection(g.projection()),
                        throughput: live_throughput(g.provisioned_throughput()),
                    },
                )
            })
            .collect()
    }

    fn local_indexes(&self) -> Vec<String> {
        let mut found: Vec<String> = self
            .table
            .local_secondary_indexes()
            .iter()
            .map(|l| {
                format!(
                    "{} ({}; {})",
                    l.index_name().unwrap_or_default(),
                    self.keys(l.key_schema()),
                    live_projection(l.projection())
                )
            })
            .collect();
        found.sort();
        found
    }
}

impl TableDefinition {
    fn type_of(&self, name: &str) -> &str {
        self.attributes
            .iter()
            .find(|a| a.attribute_name == name)
            .map_or("?", |a| a.attribute_type.as_str())
    }

    fn keys(&self, keys: &[KeyDef]) -> String {
        show_keys(
            keys.iter()
                .map(|k| (k.attribute_name.as_str(), k.key_type.as_str())),
            |n| self.type_of(n),
        )
    }

    fn local_index_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .local_indexes
            .iter()
            .map(|l| {
                format!(
                    "{} ({}; {})",
                    l.name,
                    self.keys(&l.key_schema),
                    def_projection(&l.projection)
                )
            })
            .collect();
        lines.sort();
        lines
    }
}

fn list_or_none(items: &[String]) -> String {
    match items.is_empty() {
        true => "none".into(),
        false => items.join(", "),
    }
}

/// The plan that brings `live` to `def`.
pub fn plan_changes(def: &TableDefinition, live: &LiveTable, options: PlanOptions) -> Plan {
    let shape = Shape { table: &live.table };
    let table = &live.table;
    let mut plan = Plan::default();
    let mut last = Vec::new();

    // Refused: what only a new table can change.
    let (want, found) = (def.keys(&def.key_schema), shape.keys(table.key_schema()));
    if want != found {
        plan.refusals.push(Refusal {
            what: format!("key schema: expected {want}, found {found}"),
            reason: "a table's key schema cannot change in place: create a new table with these \
                     keys and copy the items (export, then import)"
                .into(),
        });
    }
    let (want, found) = (def.local_index_lines(), shape.local_indexes());
    if want != found {
        plan.refusals.push(Refusal {
            what: format!(
                "local secondary indexes: expected {}, found {}",
                list_or_none(&want),
                list_or_none(&found)
            ),
            reason: "local secondary indexes are made with the table and cannot be added, \
                     changed or removed: create a new table and copy the items (export, then \
                     import)"
                .into(),
        });
    }

    if table.table_status().is_some_and(|s| s.as_str() != "ACTIVE") {
        plan.notes.push(format!(
            "the table is {}: an apply first waits until it is ACTIVE",
            table.table_status().map_or("?", |s| s.as_str())
        ));
    }
    for g in table.global_secondary_indexes() {
        if let Some(status) = g.index_status().filter(|s| **s != IndexStatus::Active) {
            plan.notes.push(format!(
                "GSI {} is {}{}",
                g.index_name().unwrap_or_default(),
                status.as_str(),
                if g.backfilling() == Some(true) {
                    " (backfilling)"
                } else {
                    ""
                }
            ));
        }
    }

    let protected = table.deletion_protection_enabled() == Some(true);
    match def.deletion_protection {
        Some(true) if !protected => plan.steps.push(Step::DeletionProtection { enabled: true }),
        Some(false) if protected => last.push(Step::DeletionProtection { enabled: false }),
        _ => {}
    }

    // GSIs: delete what the file does not have, rebuild what differs (if allowed).
    let live_indexes = shape.indexes();
    let mut creates: Vec<(&IndexDefinition, bool)> = Vec::new();
    let mut kept: Vec<(&IndexDefinition, &LiveIndex)> = Vec::new();
    for (name, _) in live_indexes
        .iter()
        .filter(|(n, _)| !def.indexes.iter().any(|i| &i.name == *n))
    {
        plan.steps.push(Step::DeleteIndex {
            index: name.clone(),
            rebuild: false,
        });
    }
    for index in &def.indexes {
        let Some(found) = live_indexes.get(&index.name) else {
            creates.push((index, false));
            continue;
        };
        let mut differs = Vec::new();
        let want = def.keys(&index.key_schema);
        if want != found.keys {
            differs.push(format!("keys: expected {want}, found {}", found.keys));
        }
        let want = def_projection(&index.projection);
        if want != found.projection {
            differs.push(format!(
                "projection: expected {want}, found {}",
                found.projection
            ));
        }
        if differs.is_empty() {
            kept.push((index, found));
        } else if options.allow_index_rebuild {
            plan.steps.push(Step::DeleteIndex {
                index: index.name.clone(),
                rebuild: true,
            });
            creates.push((index, true));
        } else {
            plan.refusals.push(Refusal {
                what: format!("GSI {} {}", index.name, differs.join("; ")),
                reason: format!(
                    "changing an index means deleting and re-creating it, and GSI {} is \
                     unavailable while it rebuilds: pass --allow-index-rebuild to plan that",
                    index.name
                ),
            });
        }
    }

    // Billing mode and capacity of the table and the indexes that stay.
    let from_billing = shape.billing();
    let from_table = match from_billing {
        BillingMode::Provisioned => live_throughput(table.provisioned_throughput()),
        BillingMode::PayPerRequest => None,
    };
    let switching = from_billing != def.billing_mode;
    let mut capacity = Step::Capacity {
        from_billing_mode: from_billing,
        billing_mode: def.billing_mode,
        from_table,
        table: None,
        indexes: Vec::new(),
        decrease: false,
        decreases_today: table
            .provisioned_throughput()
            .and_then(|t| t.number_of_decreases_today())
            .unwrap_or(0),
    };
    if let Step::Capacity {
        table: to_table,
        indexes,
        decrease,
        ..
    } = &mut capacity
    {
        if def.billing_mode == BillingMode::Provisioned {
            let lower = |from: Option<Throughput>, to: Throughput| {
                from.is_some_and(|f| to.read < f.read || to.write < f.write)
            };
            // What DescribeTable reports, whatever the billing mode: AWS reports 0/0 for an
            // on-demand table and its indexes; DynamoDB Local keeps an index's old capacity, and
            // refuses an update to the value it reports. So a value is sent when it differs.
            let raw_table = live_throughput(table.provisioned_throughput());
            if raw_table != def.throughput {
                *to_table = def.throughput;
                *decrease |= def.throughput.is_some_and(|t| lower(from_table, t));
            }
            for (index, found) in &kept {
                let from = found.throughput.filter(|_| !switching);
                if let Some(to) = index.throughput.filter(|t| Some(*t) != found.throughput) {
                    *decrease |= lower(from, to);
                    indexes.push(IndexCapacity {
                        index: index.name.clone(),
                        from,
                        to,
                    });
                }
            }
        }
        if switching || to_table.is_some() || !indexes.is_empty() {
            plan.steps.push(capacity);
        }
    }

    let items = table.item_count().unwrap_or(0);
    for (index, rebuild) in creates {
        plan.steps.push(Step::CreateIndex {
            index: index.clone(),
            rebuild,
            table_items: items,
        });
    }

    // Stream: a new view type means disable, then enable.
    let stream = table
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .map(|v| v.as_str().to_string());
    let want = def.stream.map(|v| v.as_str().to_string());
    if stream != want {
        if stream.is_some() {
            plan.steps.push(Step::Stream { view: None });
        }
        if def.stream.is_some() {
            plan.steps.push(Step::Stream { view: def.stream });
        }
    }

    settings::plan_ttl(def, live, &mut plan);
    settings::plan_pitr(def, live, options, &mut plan);
    settings::plan_tags(def, live, &mut plan);
    plan.steps.extend(last);
    plan
}
