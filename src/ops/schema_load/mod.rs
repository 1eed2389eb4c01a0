//! The messages table's definition and `schema-load`: create the table exactly as the app needs
//! it, or tell how an existing table differs. Never deletes or changes an existing table.
//!
//! The definition is data (`seeds/messages-table.json`), in the JSON shape that
//! `aws dynamodb create-table --cli-input-json` accepts.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_sdk_dynamodb::types::{
    self as sdk, AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, Projection,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, TableDescription,
};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::error::Category;

use crate::config::DEFAULT_TABLE;
use crate::context::{Context, SdkResultExt};
use crate::ddb::table::{describe, wait_until_active};

/// The messages table's definition as shipped with the toolkit.
pub const MESSAGES_TABLE_JSON: &str = include_str!("../../../seeds/messages-table.json");

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throughput {
    /// Read capacity units.
    #[serde(rename = "ReadCapacityUnits")]
    pub read: i64,
    /// Write capacity units.
    #[serde(rename = "WriteCapacityUnits")]
    pub write: i64,
}

/// The definition's enumerations, each with the words DynamoDB uses.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        pub enum $name {
            $(#[doc = $word] #[serde(rename = $word)] $variant),+
        }

        impl $name {
            /// The word DynamoDB uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }
    };
}

wire_enum!(
    /// A key attribute's type.
    AttributeType { S = "S", N = "N", B = "B" }
);
wire_enum!(
    /// A key's role.
    KeyType { Hash = "HASH", Range = "RANGE" }
);
wire_enum!(
    /// Which attributes an index holds.
    ProjectionType { All = "ALL", KeysOnly = "KEYS_ONLY", Include = "INCLUDE" }
);
wire_enum!(
    /// How the table is paid for.
    BillingMode { Provisioned = "PROVISIONED", PayPerRequest = "PAY_PER_REQUEST" }
);
wire_enum!(
    /// What a stream record carries.
    StreamViewType {
        NewImage = "NEW_IMAGE",
        OldImage = "OLD_IMAGE",
        NewAndOldImages = "NEW_AND_OLD_IMAGES",
        KeysOnly = "KEYS_ONLY",
    }
);

impl Default for BillingMode {
    /// What DynamoDB assumes when `BillingMode` is left out.
    fn default() -> BillingMode {
        BillingMode::Provisioned
    }
}

/// An entry of `AttributeDefinitions`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AttributeDef {
    /// The attribute.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: AttributeType,
}

/// An entry of a `KeySchema`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyDef {
    /// The attribute.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: KeyType,
}

/// An index's `Projection`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProjectionDef {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: ProjectionType,
    /// With `INCLUDE`: the other attributes the index holds.
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IndexDefinition {
    /// Index name.
    #[serde(rename = "IndexName")]
    pub name: String,
    /// The index's keys, in order.
    pub key_schema: Vec<KeyDef>,
    /// Which attributes the index holds.
    pub projection: ProjectionDef,
    /// Provisioned capacity (provisioned tables only).
    #[serde(default, rename = "ProvisionedThroughput")]
    pub throughput: Option<Throughput>,
}

/// A table definition, in the JSON shape `aws dynamodb create-table --cli-input-json` takes
/// (the fields this toolkit supports; any other field is an error, never silently ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TableDefinition {
    /// Table name (`--table` overrides it).
    pub table_name: String,
    /// The key attributes' types.
    #[serde(rename = "AttributeDefinitions")]
    pub attributes: Vec<AttributeDef>,
    /// The table's keys, in order.
    pub key_schema: Vec<KeyDef>,
    /// Global secondary indexes.
    #[serde(default, rename = "GlobalSecondaryIndexes")]
    pub indexes: Vec<IndexDefinition>,
    /// `PROVISIONED` (the default) or `PAY_PER_REQUEST`.
    #[serde(default)]
    pub billing_mode: BillingMode,
    /// Provisioned capacity (provisioned tables only).
    #[serde(default, rename = "ProvisionedThroughput")]
    pub throughput: Option<Throughput>,
    /// Stream view type when the stream is enabled (from `StreamSpecification`).
    #[serde(
        default,
        rename = "StreamSpecification",
        deserialize_with = "stream_view"
    )]
    pub stream: Option<StreamViewType>,
}

/// `StreamSpecification` as written in the definition.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StreamSpec {
    stream_enabled: bool,
    #[serde(default)]
    stream_view_type: Option<StreamViewType>,
}

/// The view type of an enabled stream, `None` for a disabled one.
fn stream_view<'de, D: Deserializer<'de>>(d: D) -> Result<Option<StreamViewType>, D::Error> {
    let spec = StreamSpec::deserialize(d)?;
    match (spec.stream_enabled, spec.stream_view_type) {
        (true, None) => Err(de::Error::custom(
            "StreamSpecification: an enabled stream needs a StreamViewType",
        )),
        (true, view) => Ok(view),
        (false, _) => Ok(None),
    }
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
    /// Only from [`plan`] (a dry run): the table is missing and would be created.
    WouldCreate,
}

impl TableDefinition {
    /// Parses a definition in `create-table --cli-input-json` form.
    pub fn parse(json: &str) -> Result<TableDefinition> {
        let def: TableDefinition = serde_json::from_str(json).map_err(|e| match e.classify() {
            Category::Data => anyhow!("not a valid table definition: {e}"),
            _ => anyhow!("the table definition is not valid JSON: {e}"),
        })?;
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
        let defined: BTreeSet<&str> = self
            .attributes
            .iter()
            .map(|a| a.attribute_name.as_str())
            .collect();
        let keys = self
            .key_schema
            .iter()
            .chain(self.indexes.iter().flat_map(|i| &i.key_schema));
        for KeyDef {
            attribute_name: name,
            ..
        } in keys
        {
            if !defined.contains(name.as_str()) {
                bail!("key attribute {name:?} has no entry in AttributeDefinitions");
            }
        }
        let throughputs = std::iter::once(("the table".to_string(), self.throughput)).chain(
            self.indexes
                .iter()
                .map(|i| (format!("index {}", i.name), i.throughput)),
        );
        for (what, t) in throughputs {
            if let Some(t) = t.filter(|t| t.read <= 0 || t.write <= 0) {
                bail!(
                    "{what}: capacity units must be positive whole numbers, not {}/{}",
                    t.read,
                    t.write
                );
            }
        }
        let provisioned = self.billing_mode == BillingMode::Provisioned;
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

    /// One line naming what this definition creates: keys, indexes and stream.
    pub fn summary(&self) -> String {
        let keys = |keys: &[KeyDef]| {
            keys.iter()
                .map(|k| format!("{} {}", k.attribute_name, k.key_type.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = vec![format!("keys ({})", keys(&self.key_schema))];
        for index in &self.indexes {
            parts.push(format!("GSI {} ({})", index.name, keys(&index.key_schema)));
        }
        parts.push(match self.stream {
            Some(view) => format!("stream {}", view.as_str()),
            None => "no stream".into(),
        });
        parts.push(format!("billing {}", self.billing_mode.as_str()));
        parts.join(", ")
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

fn sdk_keys(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(sdk::KeyType::from(k.key_type.as_str()))
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

/// What [`load`] would do, without creating anything: [`LoadOutcome::WouldCreate`] when the
/// table is missing, else the comparison [`load`] makes (one DescribeTable).
pub async fn plan(ctx: &Context, def: &TableDefinition) -> Result<LoadOutcome> {
    let Some(table) = describe(ctx, &def.table_name).await? else {
        return Ok(LoadOutcome::WouldCreate);
    };
    let diffs = def.differences(&table);
    Ok(if diffs.is_empty() {
        LoadOutcome::Unchanged
    } else {
        LoadOutcome::Differs(diffs)
    })
}

/// Creates the table of `def` (named `def.table_name`) if it is missing and waits until it and its
/// indexes are ACTIVE; an existing table is compared, never changed.
pub async fn load(ctx: &Context, def: &TableDefinition) -> Result<LoadOutcome> {
    let name = def.table_name.as_str();
    if describe(ctx, name).await?.is_none() {
        let attributes = def
            .attributes
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.attribute_name)
                    .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
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
                            .projection_type(sdk::ProjectionType::from(
                                i.projection.projection_type.as_str(),
                            ))
                            .set_non_key_attributes(
                                (!i.projection.non_key_attributes.is_empty())
                                    .then(|| i.projection.non_key_attributes.clone()),
                            )
                            .build(),
                    )
                    .set_provisioned_throughput(sdk_throughput(i.throughput)?)
                    .build()
                    .context("building an index")
            })
            .collect::<Result<Vec<_>>>()?;
        let stream = def
            .stream
            .map(|view| {
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(sdk::StreamViewType::from(view.as_str()))
                    .build()
                    .context("building the stream specification")
            })
            .transpose()?;
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

    fn key(name: &str, key_type: KeyType) -> KeyDef {
        KeyDef {
            attribute_name: name.into(),
            key_type,
        }
    }

    #[test]
    fn shipped_definition_is_what_the_app_needs() {
        let def = TableDefinition::load(None).unwrap();
        assert_eq!(def.table_name, "cruddur-messages");
        assert_eq!(
            def.key_schema,
            vec![key("pk", KeyType::Hash), key("sk", KeyType::Range)]
        );
        assert_eq!(def.indexes.len(), 1);
        let gsi = &def.indexes[0];
        assert_eq!(gsi.name, "message-group-sk-index");
        assert_eq!(
            gsi.key_schema,
            vec![
                key("message_group_uuid", KeyType::Hash),
                key("sk", KeyType::Range)
            ]
        );
        assert_eq!(gsi.projection.projection_type, ProjectionType::All);
        assert_eq!(gsi.throughput, Some(Throughput { read: 5, write: 5 }));
        assert_eq!(def.billing_mode, BillingMode::Provisioned);
        assert_eq!(def.throughput, Some(Throughput { read: 5, write: 5 }));
        assert_eq!(def.stream, Some(StreamViewType::NewImage));
    }

    const MINIMAL: &str = r#"{"TableName":"t","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;

    #[test]
    fn defaults_of_a_minimal_definition() {
        let def = TableDefinition::parse(MINIMAL).unwrap();
        assert_eq!(def.billing_mode, BillingMode::PayPerRequest);
        assert!(def.indexes.is_empty());
        assert_eq!(def.stream, None);
        assert_eq!(def.throughput, None);
        let disabled = MINIMAL.replace(
            r#""BillingMode""#,
            r#""StreamSpecification":{"StreamEnabled":false},"BillingMode""#,
        );
        assert_eq!(TableDefinition::parse(&disabled).unwrap().stream, None);
    }

    #[test]
    fn bad_definitions_are_rejected_with_the_reason() {
        let err = |json: &str| format!("{:#}", TableDefinition::parse(json).unwrap_err());
        assert!(err("{").contains("not valid JSON"));
        let missing = err(r#"{"TableName":"t"}"#);
        assert!(
            missing.contains("missing field `AttributeDefinitions`"),
            "{missing}"
        );
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
        let bad_type = MINIMAL.replace(r#""AttributeType":"S""#, r#""AttributeType":"X""#);
        let bad_type = err(&bad_type);
        assert!(
            bad_type.contains("unknown variant `X`, expected one of `S`, `N`, `B`")
                && bad_type.contains("line 1"),
            "{bad_type}"
        );
        // A field this toolkit does not support is an error, not silently dropped.
        let unknown = MINIMAL.replace(r#""BillingMode""#, r#""Tags":[],"BillingMode""#);
        let unknown = err(&unknown);
        assert!(unknown.contains("unknown field `Tags`"), "{unknown}");
        let no_view = MINIMAL.replace(
            r#""BillingMode""#,
            r#""StreamSpecification":{"StreamEnabled":true},"BillingMode""#,
        );
        assert!(err(&no_view).contains("needs a StreamViewType"));
        let provisioned = MINIMAL.replace("PAY_PER_REQUEST", "PROVISIONED");
        assert!(err(&provisioned).contains("needs ProvisionedThroughput"));
        let zero = provisioned.replace(
            r#""BillingMode""#,
            r#""ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":5},"BillingMode""#,
        );
        assert!(err(&zero).contains("must be positive"), "{}", err(&zero));
        let fraction = zero.replace(r#""ReadCapacityUnits":0"#, r#""ReadCapacityUnits":1.5"#);
        assert!(err(&fraction).contains("not a valid table definition"));
    }
}
