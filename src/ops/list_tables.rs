//! `list-tables`: every table with what an operator wants at a glance: status, approximate item
//! count, billing mode, stream and deletion protection (one ListTables pass, then a DescribeTable
//! per table, a few at a time).

use anyhow::Result;
use aws_sdk_dynamodb::types::{BillingMode, TableDescription};
use serde::Serialize;

use crate::context::Context;
use crate::ddb::table;
use crate::report::Row;

/// One table, as `list-tables` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSummary {
    /// The table's name.
    pub name: String,
    /// `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`, ...
    pub status: Option<String>,
    /// DynamoDB's approximate item count (refreshed about every six hours).
    pub items: Option<i64>,
    /// `PAY_PER_REQUEST` or `PROVISIONED`.
    pub billing_mode: Option<String>,
    /// The stream's view type (`NEW_AND_OLD_IMAGES`, ...), `None` without a stream.
    pub stream: Option<String>,
    /// Whether the table is protected from deletion (`None` when the endpoint does not say).
    pub deletion_protection: Option<bool>,
}

impl TableSummary {
    /// The summary of one DescribeTable answer.
    pub fn of(desc: &TableDescription) -> TableSummary {
        let billing = desc
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .cloned()
            // DynamoDB leaves the summary out for tables that were always provisioned.
            .or_else(|| {
                desc.provisioned_throughput()
                    .and_then(|p| p.read_capacity_units())
                    .filter(|r| *r > 0)
                    .map(|_| BillingMode::Provisioned)
            });
        let stream = desc
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .map(|s| {
                s.stream_view_type()
                    .map_or_else(|| "enabled".to_string(), |v| v.as_str().to_string())
            });
        TableSummary {
            name: desc.table_name().unwrap_or_default().to_string(),
            status: desc.table_status().map(|s| s.as_str().to_string()),
            items: desc.item_count(),
            billing_mode: billing.map(|b| b.as_str().to_string()),
            stream,
            deletion_protection: desc.deletion_protection_enabled(),
        }
    }
}

impl Row for TableSummary {
    const COLUMNS: &'static [&'static str] = &[
        "Table",
        "Status",
        "Items",
        "Billing",
        "Stream",
        "Deletion protection",
    ];

    fn cells(&self) -> Vec<String> {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        vec![
            self.name.clone(),
            or_dash(&self.status),
            or_dash(&self.items.map(|n| n.to_string())),
            or_dash(&self.billing_mode),
            or_dash(&self.stream),
            or_dash(
                &self
                    .deletion_protection
                    .map(|p| if p { "on" } else { "off" }.to_string()),
            ),
        ]
    }
}

/// Every table (all ListTables pages), described, in ListTables' order. A table deleted between
/// the two calls is left out.
pub async fn list(ctx: &Context) -> Result<Vec<TableSummary>> {
    let names = table::list(ctx).await?;
    let described = table::describe_many(ctx, &names).await?;
    Ok(described.iter().map(TableSummary::of).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{
        BillingModeSummary, ProvisionedThroughputDescription, StreamSpecification, StreamViewType,
        TableStatus,
    };

    #[test]
    fn a_description_becomes_the_fields_an_operator_wants() {
        let desc = TableDescription::builder()
            .table_name("t")
            .table_status(TableStatus::Active)
            .item_count(42)
            .billing_mode_summary(
                BillingModeSummary::builder()
                    .billing_mode(BillingMode::PayPerRequest)
                    .build(),
            )
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .deletion_protection_enabled(true)
            .build();
        let summary = TableSummary::of(&desc);
        assert_eq!(
            serde_json::to_value(&summary).unwrap(),
            serde_json::json!({
                "name": "t", "status": "ACTIVE", "items": 42, "billing_mode": "PAY_PER_REQUEST",
                "stream": "NEW_AND_OLD_IMAGES", "deletion_protection": true
            })
        );
        assert_eq!(
            summary.cells(),
            [
                "t",
                "ACTIVE",
                "42",
                "PAY_PER_REQUEST",
                "NEW_AND_OLD_IMAGES",
                "on"
            ]
        );

        let provisioned = TableDescription::builder()
            .table_name("p")
            .provisioned_throughput(
                ProvisionedThroughputDescription::builder()
                    .read_capacity_units(5)
                    .write_capacity_units(5)
                    .build(),
            )
            .build();
        let summary = TableSummary::of(&provisioned);
        assert_eq!(summary.billing_mode.as_deref(), Some("PROVISIONED"));
        assert_eq!(summary.stream, None);
        assert_eq!(summary.cells()[4], "-");
    }
}
