//! The diff: how an existing table (its DescribeTable) differs from a definition.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{KeySchemaElement, TableDescription};

use super::{BillingMode, KeyDef, LoadOutcome, TableDefinition, Throughput};

impl TableDefinition {
    /// Lists how `table` differs from this definition (empty: identical).
    pub fn differences(&self, table: &TableDescription) -> Vec<String> {
        let mut diffs = Vec::new();
        fn check(diffs: &mut Vec<String>, what: String, want: String, found: String) {
            if want != found {
                diffs.push(format!("{what}: expected {want}, found {found}"));
            }
        }
        let keys = |ks: &[KeySchemaElement]| {
            ks.iter()
                .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let our_keys = |ks: &[KeyDef]| {
            ks.iter()
                .map(|k| format!("{} {}", k.attribute_name, k.key_type.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let show = |t: Option<Throughput>| match t {
            Some(t) => format!("{}/{} (read/write)", t.read, t.write),
            None => "none".to_string(),
        };
        check(
            &mut diffs,
            "key schema".into(),
            our_keys(&self.key_schema),
            keys(table.key_schema()),
        );

        let want: BTreeSet<String> = self
            .attributes
            .iter()
            .map(|a| format!("{} {}", a.attribute_name, a.attribute_type.as_str()))
            .collect();
        let found: BTreeSet<String> = table
            .attribute_definitions()
            .iter()
            .map(|a| format!("{} {}", a.attribute_name(), a.attribute_type().as_str()))
            .collect();
        check(
            &mut diffs,
            "attribute definitions".into(),
            want.into_iter().collect::<Vec<_>>().join(", "),
            found.into_iter().collect::<Vec<_>>().join(", "),
        );

        let billing = table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map_or("PROVISIONED", |b| b.as_str());
        check(
            &mut diffs,
            "billing mode".into(),
            self.billing_mode.as_str().to_string(),
            billing.to_string(),
        );
        if self.billing_mode == BillingMode::Provisioned {
            let found = table.provisioned_throughput().map(|t| Throughput {
                read: t.read_capacity_units().unwrap_or(0),
                write: t.write_capacity_units().unwrap_or(0),
            });
            check(
                &mut diffs,
                "table throughput".into(),
                show(self.throughput),
                show(found),
            );
        }

        let stream = table
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .and_then(|s| s.stream_view_type())
            .map(|v| v.as_str().to_string());
        let show_stream = |s: Option<String>| s.unwrap_or_else(|| "disabled".to_string());
        check(
            &mut diffs,
            "stream".into(),
            show_stream(self.stream.map(|v| v.as_str().to_string())),
            show_stream(stream),
        );

        for index in &self.indexes {
            let Some(found) = table
                .global_secondary_indexes()
                .iter()
                .find(|g| g.index_name() == Some(index.name.as_str()))
            else {
                diffs.push(format!("index {}: missing", index.name));
                continue;
            };
            let name = &index.name;
            check(
                &mut diffs,
                format!("index {name} key schema"),
                our_keys(&index.key_schema),
                keys(found.key_schema()),
            );
            let show_projection = |kind: &str, attrs: &[String]| {
                let mut attrs = attrs.to_vec();
                attrs.sort();
                match attrs.is_empty() {
                    true => kind.to_string(),
                    false => format!("{kind} ({})", attrs.join(", ")),
                }
            };
            check(
                &mut diffs,
                format!("index {name} projection"),
                show_projection(
                    index.projection.projection_type.as_str(),
                    &index.projection.non_key_attributes,
                ),
                found.projection().map_or("none".to_string(), |p| {
                    show_projection(
                        p.projection_type().map_or("none", |t| t.as_str()),
                        p.non_key_attributes(),
                    )
                }),
            );
            if self.billing_mode == BillingMode::Provisioned {
                let t = found.provisioned_throughput().map(|t| Throughput {
                    read: t.read_capacity_units().unwrap_or(0),
                    write: t.write_capacity_units().unwrap_or(0),
                });
                check(
                    &mut diffs,
                    format!("index {name} throughput"),
                    show(index.throughput),
                    show(t),
                );
            }
        }
        for extra in table.global_secondary_indexes() {
            let name = extra.index_name().unwrap_or_default();
            if !self.indexes.iter().any(|i| i.name == name) {
                diffs.push(format!("index {name}: not in the definition"));
            }
        }
        diffs
    }
}

/// [`LoadOutcome::Unchanged`] when `table` is exactly as `def` defines it, else
/// [`LoadOutcome::Differs`] with the differences.
pub(super) fn compare(def: &TableDefinition, table: &TableDescription) -> LoadOutcome {
    let diffs = def.differences(table);
    if diffs.is_empty() {
        LoadOutcome::Unchanged
    } else {
        LoadOutcome::Differs(diffs)
    }
}
