//! The one check every writer makes before its first write: that the table has the messages
//! table's key schema (`pk` HASH S, `sk` RANGE S).
//!
//! A table of another shape (say `pk` only) accepts the writes without complaint, and every
//! message of a group then overwrites the one before it. `seed`, `send-message` and bulk writers
//! call [`require_message_keys`] so that such a table is refused, naming the difference.

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, TableDescription};

use crate::context::Context;
use crate::ddb::table::describe;
use crate::model::keys::{PK, SK};

/// The types of a messages-shaped table's key attributes, as [`message_keys`] found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTypes {
    /// The partition key's type (`pk`).
    pub pk: ScalarAttributeType,
    /// The sort key's type (`sk`).
    pub sk: ScalarAttributeType,
}

/// Fails unless `table` exists and its key schema is `pk` (HASH, S) and `sk` (RANGE, S).
pub async fn require_message_keys(ctx: &Context, table: &str) -> Result<()> {
    message_keys(ctx, table, true).await.map(|_| ())
}

/// Fails unless `table` exists and its key schema is `pk` HASH and `sk` RANGE, each with an
/// attribute definition; `strings_only` also asks that both be of type S (writers of messages
/// ask it; `import`, which loads any items of that shape, does not). Returns the keys' types.
pub async fn message_keys(ctx: &Context, table: &str, strings_only: bool) -> Result<KeyTypes> {
    let Some(description) = describe(ctx, table).await? else {
        bail!(
            "table {table} does not exist on {}: create it with `schema-load --table {table}`",
            ctx.dynamodb_endpoint
        );
    };
    let problems = key_problems_of(&description, strings_only);
    if !problems.is_empty() {
        let expected = if strings_only {
            "pk HASH S, sk RANGE S"
        } else {
            "pk HASH, sk RANGE"
        };
        bail!(
            "table {table} on {} does not have the messages table's keys \
             ({expected}): {}; refusing to write to it",
            ctx.dynamodb_endpoint,
            problems.join("; ")
        );
    }
    let type_of = |name: &str| {
        type_of(&description, name)
            .with_context(|| format!("table {table} does not define key attribute {name}"))
    };
    Ok(KeyTypes {
        pk: type_of(PK)?,
        sk: type_of(SK)?,
    })
}

/// The type of attribute `name` in the table's attribute definitions.
fn type_of(table: &TableDescription, name: &str) -> Option<ScalarAttributeType> {
    table
        .attribute_definitions()
        .iter()
        .find(|d| d.attribute_name() == name)
        .map(|d| d.attribute_type().clone())
}

/// What is wrong with a table's key schema for the messages table; empty when it is right.
pub fn key_problems(table: &TableDescription) -> Vec<String> {
    key_problems_of(table, true)
}

/// [`key_problems`], asking (`strings_only`) or not that both keys be of type S.
pub fn key_problems_of(table: &TableDescription, strings_only: bool) -> Vec<String> {
    let keys: Vec<(String, KeyType)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
        .collect();
    let shown = if keys.is_empty() {
        "no keys".to_string()
    } else {
        keys.iter()
            .map(|(name, kind)| {
                let ty = type_of(table, name).map_or("?".to_string(), |t| t.as_str().to_string());
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
            Some(_) => match type_of(table, name) {
                Some(ScalarAttributeType::S) => {}
                Some(_) if !strings_only => {}
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
        // import loads any key types of the messages table's shape
        assert!(key_problems_of(&table(&[("pk", Hash, S), ("sk", Range, N)]), false).is_empty());
        let renamed = key_problems_of(&table(&[("id", Hash, S)]), false).join("; ");
        assert!(renamed.contains("it has id HASH S"), "{renamed}");
    }
}
