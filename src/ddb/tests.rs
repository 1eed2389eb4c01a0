//! The failure branches of the DynamoDB layer, hermetically: each test runs the real library
//! functions over an SDK client whose responses come from `aws-smithy-mocks` rules (the SDK's
//! own test tooling, as the AWS SDK examples use it), so throttling, partial batches and server
//! errors are asserted on every run without a live fault.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::list_tables::ListTablesOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::{
    ConsumedCapacity, GlobalSecondaryIndexDescription, IndexStatus, TableDescription, TableStatus,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleBuilder, RuleMode};

use crate::context::Context;
use crate::ddb::batch::{batch_write, batch_write_within, put_request, WriteOptions};
use crate::ddb::capacity::{Budget, Direction, Governor};
use crate::ddb::item::{get_s, s, Item};
use crate::ddb::scan::{scan_pages, scan_pages_within, ScanOptions};
use crate::ddb::{query, table};

/// A context whose DynamoDB client answers from `rules`, with the SDK's standard retries
/// (3 attempts) and short backoffs, as on prod but quick.
fn mocked(mode: RuleMode, rules: &[&Rule]) -> Context {
    let client: Client = mock_client!(aws_sdk_dynamodb, mode, rules, |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
    ));
    Context::with_dynamodb(client)
}

fn item(pk: &str) -> Item {
    [("pk".to_string(), s(pk)), ("sk".to_string(), s("x"))].into()
}

fn pk_of(request: &WriteRequest) -> String {
    let item = request.put_request().expect("a put").item();
    get_s(item, "pk").expect("a pk").to_string()
}

/// A throttling error as DynamoDB sends it: HTTP 400 with the exception's name in `__type`.
fn throttled() -> Option<String> {
    Some(
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#
            .to_string(),
    )
}

/// Writes the one item `p` to table `t` inside `governor`'s budget, as one batch.
async fn write_one_within(ctx: &Context, governor: &Governor) -> anyhow::Result<u64> {
    let requests = vec![put_request(item("p")).expect("a put request")];
    batch_write_within(
        ctx,
        "t",
        requests,
        WriteOptions::default(),
        governor,
        |_| {},
    )
    .await
}

/// A governor of table `t` at `units` capacity units a second, giving up after 30 s without
/// progress.
fn at_rate(direction: Direction, units: f64) -> Governor {
    Governor::new(
        "t",
        direction,
        Budget::Rate { units },
        Duration::from_secs(30),
    )
}

/// A Scan page of the items `pks` (each with sk `x`) that goes on after the last of them.
fn page_ending_at(pks: &[&str]) -> aws_sdk_dynamodb::operation::scan::builders::ScanOutputBuilder {
    let last = pks.last().expect("a page of at least one item");
    pks.iter()
        .fold(ScanOutput::builder(), |page, pk| page.items(item(pk)))
        .scanned_count(pks.len() as i32)
        .last_evaluated_key("pk", s(*last))
        .last_evaluated_key("sk", s("x"))
}

/// The rule of `operation` (`mock!(Client::scan)`) answering `first` once, then HTTP 500 to
/// every call after it (the SDK's retries included).
fn one_page_then_server_errors<I, O, E>(operation: RuleBuilder<I, O, E>, first: O) -> Rule
where
    I: fmt::Debug + Send + Sync + 'static,
    O: Clone + fmt::Debug + Send + Sync + 'static,
    E: fmt::Debug + Send + Sync + std::error::Error + 'static,
{
    operation
        .sequence()
        .output(move || first.clone())
        .http_status(500, None)
        .repeatedly()
        .build()
}

/// The `pk` of each of `items`.
fn pks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| get_s(i, "pk").expect("a pk").to_string())
        .collect()
}

#[tokio::test]
async fn a_server_error_mid_scan_stops_the_scan_with_an_error() {
    let first = page_ending_at(&["a", "b"]).build();
    let rule = one_page_then_server_errors(mock!(Client::scan), first);
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let mut seen = Vec::new();
    let err = scan_pages(&ctx, "t", ScanOptions::default(), |page| {
        seen.extend(pks(page));
        Ok(())
    })
    .await
    .expect_err("a 500 that outlasts the retries fails the scan");
    let err = format!("{err:#}");
    assert!(
        err.contains("scanning table t (segment 0 of 1)") && err.contains("127.0.0.1:9"),
        "{err}"
    );
    assert_eq!(
        seen,
        ["a", "b"],
        "the first page was handed on before the error"
    );
    assert_eq!(
        rule.num_calls(),
        1 + 3,
        "one page, then the SDK's 3 attempts"
    );
}

#[tokio::test]
async fn a_server_error_on_a_later_query_page_is_an_error() {
    let first = QueryOutput::builder()
        .items(item("a"))
        .last_evaluated_key("pk", s("a"))
        .build();
    let rule = one_page_then_server_errors(mock!(Client::query), first);
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let request = ctx.dynamodb().query().table_name("t");
    let err = query::query_all(&ctx, request, "reading conversation x")
        .await
        .expect_err("the second page fails");
    assert!(format!("{err:#}").contains("reading conversation x on DynamoDB"));
}

#[tokio::test]
async fn paginators_follow_every_page() {
    let tables = mock!(Client::list_tables)
        .sequence()
        .output(|| {
            ListTablesOutput::builder()
                .table_names("a")
                .table_names("b")
                .last_evaluated_table_name("b")
                .build()
        })
        .output(|| ListTablesOutput::builder().table_names("c").build())
        .build();
    let pages = mock!(Client::query)
        .sequence()
        .output(|| {
            QueryOutput::builder()
                .items(item("1"))
                .last_evaluated_key("pk", s("1"))
                .build()
        })
        .output(|| QueryOutput::builder().items(item("2")).build())
        .build();
    let ctx = mocked(RuleMode::MatchAny, &[&tables, &pages]);
    assert_eq!(table::list(&ctx).await.unwrap(), ["a", "b", "c"]);
    let request = ctx.dynamodb().query().table_name("t");
    let items = query::query_all(&ctx, request, "q").await.unwrap();
    assert_eq!(pks(&items), ["1", "2"]);
    assert_eq!((tables.num_calls(), pages.num_calls()), (2, 2));
}

fn described(index: IndexStatus) -> DescribeTableOutput {
    let gsi = GlobalSecondaryIndexDescription::builder()
        .index_name("g")
        .index_status(index)
        .build();
    DescribeTableOutput::builder()
        .table(
            TableDescription::builder()
                .table_name("t")
                .table_status(TableStatus::Active)
                .global_secondary_indexes(gsi)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn wait_until_active_also_waits_for_the_indexes() {
    // The SDK's waiter is satisfied by an ACTIVE table; its index is still being created.
    let rule = mock!(Client::describe_table)
        .sequence()
        .output(|| described(IndexStatus::Creating))
        .times(2)
        .output(|| described(IndexStatus::Active))
        .build();
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let table = table::wait_until_active(&ctx, "t").await.unwrap();
    let statuses: BTreeMap<_, _> = table
        .global_secondary_indexes()
        .iter()
        .map(|g| (g.index_name().unwrap(), g.index_status().cloned()))
        .collect();
    assert_eq!(statuses["g"], Some(IndexStatus::Active));
    assert_eq!(rule.num_calls(), 3);
}

#[test]
fn http_413_is_named_request_too_large_not_a_wrong_endpoint() {
    let text = crate::context::status_without_code(413, "DynamoDB", None);
    assert!(text.contains("request too large"), "{text}");
    assert!(text.contains("400 KB"), "{text}");
    assert!(!text.contains("really DynamoDB"), "{text}");
    let other = crate::context::status_without_code(502, "DynamoDB", Some("<html>".into()));
    assert!(other.contains("without a DynamoDB error code"), "{other}");
    assert!(other.ends_with(", body: <html>"), "{other}");
}

#[tokio::test]
async fn a_throttled_page_is_read_again_from_the_same_key_inside_the_budget() {
    // Page 1, then throttling past the SDK's 3 attempts, then page 2: the retry asks for the
    // page after page 1 (not the table's start), and the governor slows down.
    let first = page_ending_at(&["a"])
        .consumed_capacity(ConsumedCapacity::builder().capacity_units(0.5).build())
        .build();
    let starts = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let rule = {
        let starts = starts.clone();
        mock!(Client::scan)
            .match_requests(move |input| {
                let start = input
                    .exclusive_start_key()
                    .and_then(|k| get_s(k, "pk").ok().map(str::to_string));
                starts.lock().unwrap().push(start);
                true
            })
            .sequence()
            .output(move || first.clone())
            .http_status(400, throttled())
            .times(3)
            .output(|| {
                ScanOutput::builder()
                    .items(item("b"))
                    .scanned_count(1)
                    .build()
            })
            .build()
    };
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let governor = at_rate(Direction::Read, 100.0);
    let mut seen = Vec::new();
    let n = scan_pages_within(&ctx, "t", ScanOptions::default(), &governor, |page| {
        seen.extend(pks(page));
        Ok(())
    })
    .await
    .expect("the scan goes on after the throttling");
    assert_eq!(n, 2);
    assert_eq!(seen, ["a", "b"]);
    let starts = starts.lock().unwrap().clone();
    assert_eq!(starts[0], None);
    assert!(
        starts[1..].iter().all(|s| s.as_deref() == Some("a")),
        "every retry starts after page 1: {starts:?}"
    );
    assert_eq!(governor.stats().throttled, 1);
    assert!(governor.rate().unwrap() < 100.0);
}

mod batch;
