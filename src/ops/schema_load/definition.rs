//! The table definition: reading and validating the JSON that `aws dynamodb create-table
//! --cli-input-json` accepts (the fields this toolkit supports), plus two settings CreateTable has
//! no field for, named after the requests that set them: `TimeToLiveSpecification`
//! (UpdateTimeToLive) and `PointInTimeRecoverySpecification` (UpdateContinuousBackups).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::error::Category;

use crate::config::DEFAULT_TABLE;

/// The messages table's definition as shipped with the toolkit.
pub const MESSAGES_TABLE_JSON: &str = include_str!("../../../seeds/messages-table.json");

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AttributeDef {
    /// The attribute.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: AttributeType,
}

/// An entry of a `KeySchema`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyDef {
    /// The attribute.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: KeyType,
}

/// An index's `Projection`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProjectionDef {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: ProjectionType,
    /// With `INCLUDE`: the other attributes the index holds.
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
    /// Local secondary indexes: made with the table only, never changed in place.
    #[serde(default, rename = "LocalSecondaryIndexes")]
    pub local_indexes: Vec<LocalIndexDefinition>,
    /// Deletion protection; left out: the table's setting is left as it is.
    #[serde(default, rename = "DeletionProtectionEnabled")]
    pub deletion_protection: Option<bool>,
    /// Time to live (not a CreateTable field: set with UpdateTimeToLive); left out: left as it is.
    #[serde(
        default,
        rename = "TimeToLiveSpecification",
        deserialize_with = "ttl_setting"
    )]
    pub ttl: Option<TtlSetting>,
    /// Point-in-time recovery (not a CreateTable field: set with UpdateContinuousBackups); left
    /// out: left as it is.
    #[serde(
        default,
        rename = "PointInTimeRecoverySpecification",
        deserialize_with = "pitr_enabled"
    )]
    pub point_in_time_recovery: Option<bool>,
    /// The table's tags, exactly (others are removed); left out: the tags are left as they are.
    #[serde(default, rename = "Tags", deserialize_with = "tag_map")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A local secondary index (`LocalSecondaryIndexes`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LocalIndexDefinition {
    /// Index name.
    #[serde(rename = "IndexName")]
    pub name: String,
    /// The index's keys: the table's partition key and another sort key.
    pub key_schema: Vec<KeyDef>,
    /// Which attributes the index holds.
    pub projection: ProjectionDef,
}

/// What the file says about time to live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TtlSetting {
    /// Items expire at the epoch seconds in this attribute.
    Enabled(String),
    /// Items never expire.
    Disabled,
}

/// `TimeToLiveSpecification` as written in the definition.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TtlSpec {
    enabled: bool,
    #[serde(default)]
    attribute_name: Option<String>,
}

fn ttl_setting<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TtlSetting>, D::Error> {
    let spec = TtlSpec::deserialize(d)?;
    match (spec.enabled, spec.attribute_name) {
        (true, Some(name)) if !name.is_empty() => Ok(Some(TtlSetting::Enabled(name))),
        (true, _) => Err(de::Error::custom(
            "TimeToLiveSpecification: an enabled TTL needs an AttributeName",
        )),
        (false, _) => Ok(Some(TtlSetting::Disabled)),
    }
}

/// `PointInTimeRecoverySpecification` as written in the definition.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PitrSpec {
    point_in_time_recovery_enabled: bool,
}

fn pitr_enabled<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Some(
        PitrSpec::deserialize(d)?.point_in_time_recovery_enabled,
    ))
}

/// An entry of `Tags`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Tag {
    key: String,
    value: String,
}

fn tag_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let mut tags = BTreeMap::new();
    for Tag { key, value } in Vec::<Tag>::deserialize(d)? {
        if tags.insert(key.clone(), value).is_some() {
            return Err(de::Error::custom(format!(
                "Tags: key {key:?} appears twice"
            )));
        }
    }
    Ok(Some(tags))
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

impl TableDefinition {
    /// Parses a definition in `create-table --cli-input-json` form.
    pub fn parse(json: &str) -> Result<TableDefinition> {
        let def: TableDefinition = serde_json::from_str(json).map_err(|e| {
            let what = match e.classify() {
                Category::Data => "not a valid table definition",
                _ => "the table definition is not valid JSON",
            };
            anyhow::Error::new(e).context(what)
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
                "{} defines table {named:?}; applying it to {table:?} as --table says",
                file.display()
            )));
        }
        bail!(
            "{} defines table {named:?}, but this run works on table {table:?} \
             (DDB_MESSAGE_TABLE, default {DEFAULT_TABLE:?}): pass --table {named} for the table \
             the file names, or --table {table} to apply this definition to {table:?}",
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
            .chain(self.indexes.iter().flat_map(|i| &i.key_schema))
            .chain(self.local_indexes.iter().flat_map(|i| &i.key_schema));
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

    /// One line naming what this definition creates: keys, indexes, stream and the other settings.
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
        for index in &self.local_indexes {
            parts.push(format!("LSI {} ({})", index.name, keys(&index.key_schema)));
        }
        parts.push(format!("billing {}", self.billing_mode.as_str()));
        if let Some(ttl) = &self.ttl {
            parts.push(match ttl {
                TtlSetting::Enabled(attribute) => format!("TTL on {attribute}"),
                TtlSetting::Disabled => "no TTL".into(),
            });
        }
        let on_off = |on: bool| if on { "on" } else { "off" };
        if let Some(on) = self.deletion_protection {
            parts.push(format!("deletion protection {}", on_off(on)));
        }
        if let Some(on) = self.point_in_time_recovery {
            parts.push(format!("point-in-time recovery {}", on_off(on)));
        }
        if let Some(tags) = &self.tags {
            parts.push(crate::text::count(tags.len() as u64, "tag", "tags"));
        }
        parts.join(", ")
    }
}
