//! The definition as the SDK's types: for CreateTable, and for the UpdateTable calls of a plan.

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{
    self as sdk, AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, LocalSecondaryIndex,
    Projection, ProvisionedThroughput, ScalarAttributeType, StreamSpecification, Tag,
};

use super::definition::{
    IndexDefinition, KeyDef, ProjectionDef, StreamViewType, TableDefinition, Throughput,
};

impl TableDefinition {
    /// The `AttributeDefinitions` of the attributes named in `names` (all of them: `None`).
    pub(super) fn sdk_attributes(
        &self,
        names: Option<&[KeyDef]>,
    ) -> Result<Vec<AttributeDefinition>> {
        self.attributes
            .iter()
            .filter(|a| {
                names.is_none_or(|keys| keys.iter().any(|k| k.attribute_name == a.attribute_name))
            })
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.attribute_name)
                    .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                    .build()
                    .context("building an attribute definition")
            })
            .collect::<Result<Vec<_>>>()
    }

    /// The global secondary indexes.
    pub(super) fn sdk_indexes(&self) -> Result<Vec<GlobalSecondaryIndex>> {
        self.indexes.iter().map(sdk_index).collect()
    }

    /// The local secondary indexes.
    pub(super) fn sdk_local_indexes(&self) -> Result<Vec<LocalSecondaryIndex>> {
        self.local_indexes
            .iter()
            .map(|i| {
                LocalSecondaryIndex::builder()
                    .index_name(&i.name)
                    .set_key_schema(Some(sdk_keys(&i.key_schema)?))
                    .projection(sdk_projection(&i.projection))
                    .build()
                    .context("building a local index")
            })
            .collect()
    }

    /// The stream specification (`None`: no stream).
    pub(super) fn sdk_stream(&self) -> Result<Option<StreamSpecification>> {
        self.stream.map(|view| sdk_stream(Some(view))).transpose()
    }

    /// The tags (`None`: none given).
    pub(super) fn sdk_tags(&self) -> Result<Option<Vec<Tag>>> {
        self.tags
            .as_ref()
            .filter(|t| !t.is_empty())
            .map(|tags| sdk_tags(tags.iter()))
            .transpose()
    }
}

/// Tags as the SDK's type.
pub(super) fn sdk_tags<'a>(
    tags: impl Iterator<Item = (&'a String, &'a String)>,
) -> Result<Vec<Tag>> {
    tags.map(|(k, v)| {
        Tag::builder()
            .key(k)
            .value(v)
            .build()
            .context("building a tag")
    })
    .collect()
}

/// A stream specification: enabled with `view`, or disabled (`None`).
pub(super) fn sdk_stream(view: Option<StreamViewType>) -> Result<StreamSpecification> {
    StreamSpecification::builder()
        .stream_enabled(view.is_some())
        .set_stream_view_type(view.map(|v| sdk::StreamViewType::from(v.as_str())))
        .build()
        .context("building the stream specification")
}

/// A global secondary index.
pub(super) fn sdk_index(i: &IndexDefinition) -> Result<GlobalSecondaryIndex> {
    GlobalSecondaryIndex::builder()
        .index_name(&i.name)
        .set_key_schema(Some(sdk_keys(&i.key_schema)?))
        .projection(sdk_projection(&i.projection))
        .set_provisioned_throughput(sdk_throughput(i.throughput)?)
        .build()
        .context("building an index")
}

/// An index's projection.
fn sdk_projection(p: &ProjectionDef) -> Projection {
    Projection::builder()
        .projection_type(sdk::ProjectionType::from(p.projection_type.as_str()))
        .set_non_key_attributes(
            (!p.non_key_attributes.is_empty()).then(|| p.non_key_attributes.clone()),
        )
        .build()
}

/// A key schema.
pub(super) fn sdk_keys(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>> {
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

/// Provisioned capacity (`None`: none given).
pub(super) fn sdk_throughput(t: Option<Throughput>) -> Result<Option<ProvisionedThroughput>> {
    t.map(|t| {
        ProvisionedThroughput::builder()
            .read_capacity_units(t.read)
            .write_capacity_units(t.write)
            .build()
            .context("building provisioned throughput")
    })
    .transpose()
}

/// The attribute definitions for an UpdateTable that creates an index: the new index's (`new`),
/// then the table's (`table`) that `new` does not name.
pub(super) fn with_table_attributes(
    mut new: Vec<AttributeDefinition>,
    table: &[AttributeDefinition],
) -> Vec<AttributeDefinition> {
    for attribute in table {
        if !new
            .iter()
            .any(|a| a.attribute_name() == attribute.attribute_name())
        {
            new.push(attribute.clone());
        }
    }
    new
}

impl TableDefinition {
    /// The definition as ImportTable's `TableCreationParameters`: the keys, their attributes,
    /// the global secondary indexes, the billing mode and capacity. ImportTable sets nothing
    /// else: the stream, TTL, point-in-time recovery, deletion protection and tags are
    /// `schema-load`'s to apply afterwards. Local secondary indexes are refused (ImportTable
    /// cannot create them).
    pub fn import_parameters(&self) -> Result<sdk::TableCreationParameters> {
        if let Some(index) = self.local_indexes.first() {
            anyhow::bail!(
                "ImportTable cannot create local secondary indexes (the definition has {})",
                index.name
            );
        }
        sdk::TableCreationParameters::builder()
            .table_name(&self.table_name)
            .set_attribute_definitions(Some(self.sdk_attributes(None)?))
            .set_key_schema(Some(sdk_keys(&self.key_schema)?))
            .billing_mode(sdk::BillingMode::from(self.billing_mode.as_str()))
            .set_provisioned_throughput(sdk_throughput(self.throughput)?)
            .set_global_secondary_indexes(
                Some(self.sdk_indexes()?).filter(|indexes| !indexes.is_empty()),
            )
            .build()
            .context("building the table creation parameters")
    }
}
