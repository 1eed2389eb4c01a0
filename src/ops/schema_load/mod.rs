//! The messages table's definition and `schema-load`: create the table exactly as the app needs
//! it, or tell how an existing table differs. Never deletes or changes an existing table.
//!
//! The definition is data (`seeds/messages-table.json`), in the JSON shape that
//! `aws dynamodb create-table --cli-input-json` accepts.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableDescription,
};
use serde_json::Value;

use crate::config::DEFAULT_TABLE;
use crate::context::{Context, SdkResultExt};
use crate::ddb::table::{describe, wait_until_active};

/// The messages table's definition as shipped with the toolkit.
pub const MESSAGES_TABLE_JSON: &str = include_str!("../../../seeds/messages-table.json");

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    /// Read capacity units.
    pub read: i64,
    /// Write capacity units.
    pub write: i64,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// Index name.
    pub name: String,
    /// `(attribute, HASH|RANGE)`, in order.
    pub key_schema: Vec<(String, String)>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    /// Provisioned capacity (provisioned tables only).
    pub throughput: Option<Throughput>,
}

/// A table definition, as `create-table --cli-input-json` describes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// Table name (`--table` overrides it).
    pub table_name: String,
    /// `(attribute, S|N|B)`.
    pub attributes: Vec<(String, String)>,
    /// `(attribute, HASH|RANGE)`, in order.
    pub key_schema: Vec<(String, String)>,
    /// Global secondary indexes.
    pub indexes: Vec<IndexDefinition>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// Provisioned capacity (provisioned tables only).
    pub throughput: Option<Throughput>,
    /// Stream view type when the stream is enabled.
    pub stream: Option<String>,
}

/// What `schema-load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The table did not exist and was created; it is ACTIVE now.
    Created,
    /// The table exists exactly as defined.
    Unchanged,
    /// The table exists and differs; nothing was changed.
    Differs(Vec<String>),
}

fn field<'a>(v: &'a Value, name: &str, at: &str) -> Result<&'a Value> {
    v.get(name)
        .with_context(|| format!("{at}: missing field {name:?}"))
}

fn str_field(v: &Value, name: &str, at: &str) -> Result<String> {
    field(v, name, at)?
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{at}: field {name:?} must be a string"))
}

fn array_field<'a>(v: &'a Value, name: &str, at: &str) -> Result<&'a Vec<Value>> {
    field(v, name, at)?
        .as_array()
        .with_context(|| format!("{at}: field {name:?} must be a list"))
}

fn one_of(value: String, allowed: &[&str], what: &str) -> Result<String> {
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        bail!("{what} {value:?} is not one of {}", allowed.join(", "))
    }
}

fn key_schema(v: &Value, at: &str) -> Result<Vec<(String, String)>> {
    array_field(v, "KeySchema", at)?
        .iter()
        .map(|k| {
            Ok((
                str_field(k, "AttributeName", at)?,
                one_of(str_field(k, "KeyType", at)?, &["HASH", "RANGE"], "key type")?,
            ))
        })
        .collect()
}

fn throughput(v: &Value, at: &str) -> Result<Option<Throughput>> {
    let Some(t) = v.get("ProvisionedThroughput") else {
        return Ok(None);
    };
    let units = |name| {
        field(t, name, at)?
            .as_i64()
            .filter(|n| *n > 0)
            .with_context(|| format!("{at}: {name} must be a positive whole number"))
    };
    Ok(Some(Throughput {
        read: units("ReadCapacityUnits")?,
        write: units("WriteCapacityUnits")?,
    }))
}

impl TableDefinition {
    /// Parses a definition in `create-table --cli-input-json` form.
    pub fn parse(json: &str) -> Result<TableDefinition> {
        let v: Value =
            serde_json::from_str(json).context("the table definition is not valid JSON")?;
        let at = "table definition";
        let attributes = array_field(&v, "AttributeDefinitions", at)?
            .iter()
            .map(|a| {
                Ok((
                    str_field(a, "AttributeName", at)?,
                    one_of(
                        str_field(a, "AttributeType", at)?,
                        &["S", "N", "B"],
                        "attribute type",
                    )?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let indexes = match v.get("GlobalSecondaryIndexes") {
            None => Vec::new(),
            Some(_) => array_field(&v, "GlobalSecondaryIndexes", at)?
                .iter()
                .map(|g| {
                    let name = str_field(g, "IndexName", at)?;
                    let at = format!("index {name}");
                    Ok(IndexDefinition {
                        key_schema: key_schema(g, &at)?,
                        projection: one_of(
                            str_field(field(g, "Projection", &at)?, "ProjectionType", &at)?,
                            &["ALL", "KEYS_ONLY", "INCLUDE"],
                            "projection type",
                        )?,
                        throughput: throughput(g, &at)?,
                        name,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        };
        let billing_mode = match v.get("BillingMode") {
            None => "PROVISIONED".to_string(),
            Some(_) => one_of(
                str_field(&v, "BillingMode", at)?,
                &["PROVISIONED", "PAY_PER_REQUEST"],
                "billing mode",
            )?,
        };
        let stream = match v.get("StreamSpecification") {
            Some(spec) if spec.get("StreamEnabled").and_then(Value::as_bool) == Some(true) => {
                Some(one_of(
                    str_field(spec, "StreamViewType", "stream specification")?,
                    &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
                    "stream view type",
                )?)
            }
            _ => None,
        };
        let def = TableDefinition {
            table_name: str_field(&v, "TableName", at)?,
            attributes,
            key_schema: key_schema(&v, at)?,
            indexes,
            throughput: throughput(&v, at)?,
            billing_mode,
            stream,
        };
        def.validate()?;
        Ok(def)
    }

    /// Reads a definition from `path`, or the shipped one when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<TableDefinition> {
        match path {
            None => {
                TableDefinition::parse(MESSAGES_TABLE_JSON).context("the shipped table definition")
            }
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                TableDefinition::parse(&text).with_context(|| format!("in {}", path.display()))
            }
        }
    }

    /// Points the definition read from `file` at `table`, the table this run works on.
    ///
    /// The shipped definition (`file` `None`) simply takes `table`'s name. A file that names
    /// another table is an error unless `--table` was given explicitly (`explicit`): then `--table`
    /// wins, and the returned note says so. Without `--table`, the table comes from
    /// `DDB_MESSAGE_TABLE` or the default, and quietly creating a table other than the one the
    /// file names would surprise.
    pub fn retarget(
        &mut self,
        file: Option<&Path>,
        table: &str,
        explicit: bool,
    ) -> Result<Option<String>> {
        let Some(file) = file.filter(|_| self.table_name != table) else {
            self.table_name = table.to_string();
            return Ok(None);
        };
        let named = std::mem::replace(&mut self.table_name, table.to_string());
        if explicit {
            return Ok(Some(format!(
                "{} defines table {named:?}; creating {table:?} as --table says",
                file.display()
            )));
        }
        bail!(
            "{} defines table {named:?}, but this run works on table {table:?} \
             (DDB_MESSAGE_TABLE, default {DEFAULT_TABLE:?}): pass --table {named} to create the \
             table the file names, or --table {table} to create {table:?} from this definition",
            file.display()
        )
    }

    fn validate(&self) -> Result<()> {
        let defined: BTreeSet<&str> = self.attributes.iter().map(|(n, _)| n.as_str()).collect();
        let keys = self
            .key_schema
            .iter()
            .chain(self.indexes.iter().flat_map(|i| &i.key_schema));
        for (name, _) in keys {
            if !defined.contains(name.as_str()) {
                bail!("key attribute {name:?} has no entry in AttributeDefinitions");
            }
        }
        let provisioned = self.billing_mode == "PROVISIONED";
        if provisioned && self.throughput.is_none() {
            bail!("a PROVISIONED table needs ProvisionedThroughput");
        }
        if let Some(index) = self
            .indexes
            .iter()
            .find(|i| provisioned && i.throughput.is_none())
        {
            bail!(
                "index {} of a PROVISIONED table needs ProvisionedThroughput",
                index.name
            );
        }
        Ok(())
    }

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
        let our_keys = |ks: &[(String, String)]| {
            ks.iter()
                .map(|(n, t)| format!("{n} {t}"))
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
            .map(|(n, t)| format!("{n} {t}"))
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
            self.billing_mode.clone(),
            billing.to_string(),
        );
        if self.billing_mode == "PROVISIONED" {
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
            show_stream(self.stream.clone()),
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
            check(
                &mut diffs,
                format!("index {name} projection"),
                index.projection.clone(),
                found
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map_or("none".to_string(), |p| p.as_str().to_string()),
            );
            if self.billing_mode == "PROVISIONED" {
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

fn sdk_keys(keys: &[(String, String)]) -> Result<Vec<KeySchemaElement>> {
    keys.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .context("building a key schema")
        })
        .collect()
}

fn sdk_throughput(t: Option<Throughput>) -> Result<Option<ProvisionedThroughput>> {
    t.map(|t| {
        ProvisionedThroughput::builder()
            .read_capacity_units(t.read)
            .write_capacity_units(t.write)
            .build()
            .context("building provisioned throughput")
    })
    .transpose()
}

/// Creates the table of `def` (named `def.table_name`) if it is missing and waits until it and its
/// indexes are ACTIVE; an existing table is compared, never changed.
pub async fn load(ctx: &Context, def: &TableDefinition) -> Result<LoadOutcome> {
    let name = def.table_name.as_str();
    if describe(ctx, name).await?.is_none() {
        let attributes = def
            .attributes
            .iter()
            .map(|(n, t)| {
                AttributeDefinition::builder()
                    .attribute_name(n)
                    .attribute_type(ScalarAttributeType::from(t.as_str()))
                    .build()
                    .context("building an attribute definition")
            })
            .collect::<Result<Vec<_>>>()?;
        let indexes = def
            .indexes
            .iter()
            .map(|i| {
                GlobalSecondaryIndex::builder()
                    .index_name(&i.name)
                    .set_key_schema(Some(sdk_keys(&i.key_schema)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(i.projection.as_str()))
                            .build(),
                    )
                    .set_provisioned_throughput(sdk_throughput(i.throughput)?)
                    .build()
                    .context("building an index")
            })
            .collect::<Result<Vec<_>>>()?;
        let stream = def
            .stream
            .as_deref()
            .map(|view| {
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(view))
                    .build()
                    .context("building the stream specification")
            })
            .transpose()?;
        let created = ctx
            .dynamodb
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(sdk_keys(&def.key_schema)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .billing_mode(BillingMode::from(def.billing_mode.as_str()))
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
    let diffs = def.differences(&table);
    Ok(if diffs.is_empty() {
        LoadOutcome::Unchanged
    } else {
        LoadOutcome::Differs(diffs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_definition_is_what_the_app_needs() {
        let def = TableDefinition::load(None).unwrap();
        assert_eq!(def.table_name, "cruddur-messages");
        assert_eq!(
            def.key_schema,
            vec![("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
        );
        assert_eq!(def.indexes.len(), 1);
        let gsi = &def.indexes[0];
        assert_eq!(gsi.name, "message-group-sk-index");
        assert_eq!(
            gsi.key_schema,
            vec![
                ("message_group_uuid".into(), "HASH".into()),
                ("sk".into(), "RANGE".into())
            ]
        );
        assert_eq!(gsi.projection, "ALL");
        assert_eq!(gsi.throughput, Some(Throughput { read: 5, write: 5 }));
        assert_eq!(def.throughput, Some(Throughput { read: 5, write: 5 }));
        assert_eq!(def.stream.as_deref(), Some("NEW_IMAGE"));
    }

    #[test]
    fn bad_definitions_are_rejected_with_the_reason() {
        let err = |json: &str| format!("{:#}", TableDefinition::parse(json).unwrap_err());
        assert!(err("{").contains("not valid JSON"));
        assert!(err(r#"{"TableName":"t"}"#).contains("AttributeDefinitions"));
        // A file naming another table: an error unless --table was explicit.
        let file = Path::new("other.json");
        let mut def = TableDefinition::load(None).unwrap();
        def.table_name = "from-file".into();
        let refused = def
            .clone()
            .retarget(Some(file), "cruddur-messages", false)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("other.json")
                && refused.contains("\"from-file\"")
                && refused.contains("\"cruddur-messages\""),
            "{refused}"
        );
        let mut explicit = def.clone();
        let note = explicit.retarget(Some(file), "mine", true).unwrap();
        assert!(note.is_some_and(|n| n.contains("from-file") && n.contains("mine")));
        assert_eq!(explicit.table_name, "mine");
        let mut same = def.clone();
        assert_eq!(same.retarget(Some(file), "from-file", false).unwrap(), None);
        let mut shipped = TableDefinition::load(None).unwrap();
        assert_eq!(shipped.retarget(None, "t", false).unwrap(), None);
        assert_eq!(shipped.table_name, "t");
        let no_attr = r#"{"TableName":"t","AttributeDefinitions":[],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        assert!(err(no_attr).contains("\"pk\""));
        let bad_type = r#"{"TableName":"t","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"X"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        assert!(err(bad_type).contains("attribute type"));
    }
}
