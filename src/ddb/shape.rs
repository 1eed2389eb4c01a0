//! The one check every writer makes before its first write: that the table has the messages
//! table's key schema (`pk` HASH S, `sk` RANGE S).
//!
//! A table of another shape (say `pk` only) accepts the writes without complaint, and every
//! message of a group then overwrites the one before it. `seed`, `send-message` and bulk writers
//! call [`require_message_keys`] so that such a table is refused, naming the difference.

use anyhow::{bail, Result};
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, TableDescription};

use crate::context::Context;
use crate::ddb::item::{PK, SK};
use crate::ddb::table::describe;

/// Fails unless `table` exists and its key schema is `pk` (HASH, S) and `sk` (RANGE, S).
pub async fn require_message_keys(ctx: &Context, table: &str) -> Result<()> {
    let Some(description) = describe(ctx, table).await? else {
        bail!(
            "table {table} does not exist on {}: create it with `schema-load --table {table}`",
            ctx.dynamodb_endpoint
        );
    };
    let problems = key_problems(&description);
    if !problems.is_empty() {
        bail!(
            "table {table} on {} does not have the messages table's keys \
             (pk HASH S, sk RANGE S): {}; refusing to write to it",
            ctx.dynamodb_endpoint,
            problems.join("; ")
        );
    }
    Ok(())
}

/// What is wrong with a table's key schema for the messages table; empty when it is right.
pub fn key_problems(table: &TableDescription) -> Vec<String> {
    let keys: Vec<(String, KeyType)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
        .collect();
    let type_of = |name: &str| {
        table
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == name)
            .map(|d| d.attribute_type().clone())
    };
    let shown = if keys.is_empty() {
        "no keys".to_string()
    } else {
        keys.iter()
            .map(|(name, kind)| {
                let ty = type_of(name).map_or("?".to_string(), |t| t.as_str().to_string());
                format!("{name} {} {ty}", kind.as_str())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut problems = Vec::new();
    for (name, kind) in [(PK, KeyType::Hash), (SK, KeyType::Range)] {
        match keys.iter().find(|(_, k)| *k == kind) {
            None => problems.push(format!("it has no {} key (expected {name})", kind.as_str())),
            Some((actual, _)) if actual != name => problems.push(format!(
                "its {} key is {actual:?}, not {name:?}",
                kind.as_str()
            )),
            Some(_) => match type_of(name) {
                Some(ScalarAttributeType::S) => {}
                Some(other) => problems.push(format!(
                    "its key {name} is of type {}, not S (string)",
                    other.as_str()
                )),
                None => problems.push(format!("its key {name} has no attribute definition")),
            },
        }
    }
    if !problems.is_empty() {
        problems.push(format!("it has {shown}"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{AttributeDefinition, KeySchemaElement};

    fn table(keys: &[(&str, KeyType, ScalarAttributeType)]) -> TableDescription {
        let mut t = TableDescription::builder();
        for (name, kind, ty) in keys {
            t = t
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(*name)
                        .key_type(kind.clone())
                        .build()
                        .unwrap(),
                )
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(*name)
                        .attribute_type(ty.clone())
                        .build()
                        .unwrap(),
                );
        }
        t.build()
    }

    #[test]
    fn the_messages_shape_passes_and_others_are_named() {
        use KeyType::{Hash, Range};
        use ScalarAttributeType::{N, S};
        assert!(key_problems(&table(&[("pk", Hash, S), ("sk", Range, S)])).is_empty());

        let only_pk = key_problems(&table(&[("pk", Hash, S)])).join("; ");
        assert!(only_pk.contains("no RANGE key"), "{only_pk}");
        assert!(only_pk.contains("it has pk HASH S"), "{only_pk}");

        let renamed = key_problems(&table(&[("id", Hash, S), ("sk", Range, S)])).join("; ");
        assert!(renamed.contains("HASH key is \"id\""), "{renamed}");

        let numeric = key_problems(&table(&[("pk", Hash, S), ("sk", Range, N)])).join("; ");
        assert!(numeric.contains("sk is of type N"), "{numeric}");
    }
}
