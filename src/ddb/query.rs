//! Paging through DynamoDB queries: every query of the toolkit runs through [`query_pages`],
//! over the SDK's paginator.

use std::fmt::{self, Display};

use anyhow::Result;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use crate::context::{Context, SdkResultExt};
use crate::ddb::item::{s, Item};
use crate::model::keys::PK;

/// Sends `request` and then every following page (the SDK's paginator follows
/// `LastEvaluatedKey`), handing each page's items to `on_page` until it returns `false` or the
/// pages run out. `what` names the query in errors.
pub async fn query_pages(
    ctx: &Context,
    request: QueryFluentBuilder,
    what: impl Display,
    mut on_page: impl FnMut(Vec<Item>) -> Result<bool>,
) -> Result<()> {
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.on(&ctx.dynamodb_endpoint, &what)?;
        if !on_page(page.items.unwrap_or_default())? {
            break;
        }
    }
    Ok(())
}

/// Every item `request` returns, across all pages.
pub async fn query_all(
    ctx: &Context,
    request: QueryFluentBuilder,
    what: impl Display,
) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    query_pages(ctx, request, what, |page| {
        items.extend(page);
        Ok(true)
    })
    .await?;
    Ok(items)
}

/// A query for every item of the partition `pk` of the context's table (oldest first).
pub fn partition(ctx: &Context, pk: impl fmt::Display) -> QueryFluentBuilder {
    ctx.dynamodb()
        .query()
        .table_name(ctx.table())
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_values(":pk", s(pk.to_string()))
}
