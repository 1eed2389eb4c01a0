//! `schema-load` on a live table: the plan (text and JSON), `--apply`, and what it leaves, against
//! DynamoDB Local (indexes, capacity, billing, stream, TTL, deletion protection). Point-in-time
//! recovery and tags (moto's DynamoDB) are in `schema_moto`, refusals in `schema_refusals`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use cruddur_ops::context::Context;
use cruddur_ops::ddb::table::describe;
use cruddur_ops::ops::schema_load;
use serde_json::{json, Value};

use crate::common::*;

/// Schema files in a scratch folder, removed when the guard goes.
pub struct Schemas {
    dir: PathBuf,
    count: std::cell::Cell<usize>,
}

impl Schemas {
    pub fn new() -> Schemas {
        let dir = std::env::temp_dir().join(unique("schemas"));
        std::fs::create_dir_all(&dir).unwrap();
        Schemas {
            dir,
            count: 0.into(),
        }
    }

    /// The shipped schema as JSON, to edit.
    pub fn shipped() -> Value {
        serde_json::from_str(schema_load::MESSAGES_TABLE_JSON).unwrap()
    }

    /// The shipped schema without the stream: for tests that write many items (on DynamoDB Local
    /// every write to a stream-enabled table gets slower the more stream records it holds).
    pub fn quiet() -> Value {
        let mut schema = Schemas::shipped();
        schema
            .as_object_mut()
            .unwrap()
            .remove("StreamSpecification");
        schema
    }

    /// A new table created from `schema` (by `schema-load`).
    pub fn table(&self, schema: &Value) -> TestTable {
        let table = TestTable::new();
        ok(load(&table.name, &self.write(schema), &[]));
        table
    }

    /// Writes `schema` to a new file.
    pub fn write(&self, schema: &Value) -> PathBuf {
        self.count.set(self.count.get() + 1);
        let path = self.dir.join(format!("schema-{}.json", self.count.get()));
        std::fs::write(&path, serde_json::to_string_pretty(schema).unwrap()).unwrap();
        path
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `schema-load --table TABLE --schema FILE ARGS`.
pub fn load(table: &str, file: &Path, args: &[&str]) -> Output {
    run(bin("schema-load")
        .args(["--table", table, "--schema"])
        .arg(file)
        .args(args))
}

/// The plan of `file` for `table` as JSON (`--output json`), checked to exit 3; and the plan's
/// text (a run without `--output`).
pub fn plan(table: &str, file: &Path) -> (Value, String) {
    let out = load(table, file, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // The plan is on stdout: no stderr line ends with a colon; drift is no "error:".
    let err = stderr(&out);
    assert!(
        err.contains("the plan (") && err.contains(" is on stdout"),
        "{err}"
    );
    assert!(
        !err.lines()
            .any(|l| l.ends_with(':') || l.starts_with("error:")),
        "{err}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the plan is JSON");
    assert_eq!(report["outcome"], "differs", "{report}");
    assert_eq!(report["table"], table, "{report}");
    let text = load(table, file, &[]);
    assert_eq!(text.status.code(), Some(3), "{}", stderr(&text));
    (report, stderr(&text))
}

/// Applies `file` to `table` (`--apply --output json`), checked to succeed with every step done.
pub fn apply(table: &str, file: &Path) -> Value {
    let out = ok(load(table, file, &["--apply", "--output", "json"]));
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is JSON");
    assert_eq!(report["outcome"], "applied", "{report}");
    for step in report["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "done", "{report}");
    }
    // Applied means as defined: a plain run has nothing to do.
    let again = ok(load(table, file, &[]));
    assert!(
        stderr(&again).contains("exactly as defined")
            || stderr(&again).contains("is as defined in every setting this endpoint reports"),
        "{}",
        stderr(&again)
    );
    report
}

/// The kinds of the plan's steps.
pub fn kinds(report: &Value) -> Vec<&str> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"]["kind"].as_str().unwrap())
        .collect()
}

/// Puts `count` messages spread over `users` senders; returns their `pk`s.
pub async fn fill(ctx: &Context, table: &str, count: usize, users: usize) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let requests: Vec<WriteRequest> = (0..count)
        .map(|i| {
            let pk = format!("MSG#{}", uuid::Uuid::new_v4());
            keys.insert(pk.clone());
            let item = [
                ("pk", pk),
                ("sk", format!("2026-01-01T00:00:{i:06}")),
                ("message_group_uuid", format!("group-{}", i % 3)),
                ("user_uuid", format!("user-{}", i % users)),
                ("message", format!("message {i}")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v)))
            .collect();
            let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    for chunk in requests.chunks(25) {
        let out = ctx
            .dynamodb()
            .batch_write_item()
            .request_items(table, chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
    keys
}

/// Every `pk` read through the GSI `index` (hash key `user_uuid`), over `users` senders.
pub async fn through_index(ctx: &Context, table: &str, index: &str, users: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for user in 0..users {
        let pages = ctx
            .dynamodb()
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression("user_uuid = :u")
            .expression_attribute_values(":u", AttributeValue::S(format!("user-{user}")))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        for item in pages {
            keys.push(item["pk"].as_s().unwrap().clone());
        }
    }
    keys
}

/// The shipped schema plus the GSI `by-user` (`user_uuid`, `sk`).
pub fn with_user_index(mut schema: Value, name: &str) -> Value {
    schema["AttributeDefinitions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"AttributeName": "user_uuid", "AttributeType": "S"}));
    schema["GlobalSecondaryIndexes"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": "user_uuid", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        }));
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gsi_added_to_a_seeded_table_serves_every_item_then_goes() {
    let files = Schemas::new();
    let table = files.table(&Schemas::quiet());
    let ctx = local_context(&table.name).await;
    let keys = fill(&ctx, &table.name, 300, 7).await;
    let file = files.write(&with_user_index(Schemas::quiet(), "by-user"));

    let (report, text) = plan(&table.name, &file);
    assert_eq!(kinds(&report), ["create_index"], "{report}");
    let step = &report["steps"][0];
    assert_eq!(
        (&step["call"], &step["status"]),
        (&json!("UpdateTable"), &json!("planned"))
    );
    assert!(
        text.contains("1. UpdateTable: create GSI by-user (keys user_uuid HASH, sk RANGE; projection ALL, capacity 5/5)"),
        "{text}"
    );
    assert!(
        text.contains("the backfill reads the whole table (about 300 items)"),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");

    apply(&table.name, &file);
    let read = through_index(&ctx, &table.name, "by-user", 7).await;
    assert_eq!(read.len(), 300, "each item once through the index");
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), keys);

    // Without it in the file, the plan deletes it.
    let shipped = files.write(&Schemas::quiet());
    let (report, text) = plan(&table.name, &shipped);
    assert_eq!(kinds(&report), ["delete_index"], "{report}");
    assert!(
        text.contains("1. UpdateTable: delete GSI by-user"),
        "{text}"
    );
    assert!(
        text.contains("queries on GSI by-user fail from now on"),
        "{text}"
    );
    apply(&table.name, &shipped);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let names: Vec<_> = desc
        .global_secondary_indexes()
        .iter()
        .map(|g| g.index_name())
        .collect();
    assert_eq!(names, [Some("message-group-sk-index")]);
    assert_eq!(
        desc.deletion_protection_enabled(),
        Some(true),
        "still protected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_and_billing_mode_change_and_come_back() {
    let (table, files) = (TestTable::created(), Schemas::new());
    let ctx = local_context(&table.name).await;
    let mut lower = Schemas::shipped();
    lower["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 2, "WriteCapacityUnits": 2});
    let lower = files.write(&lower);
    let (report, text) = plan(&table.name, &lower);
    assert_eq!(kinds(&report), ["capacity"]);
    assert_eq!(report["steps"][0]["step"]["decrease"], true, "{report}");
    assert!(
        text.contains("UpdateTable: table capacity 5/5 -> 2/2 (read/write)"),
        "{text}"
    );
    assert!(
        text.contains("counts against DynamoDB's daily limit of decreases"),
        "{text}"
    );
    apply(&table.name, &lower);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let t = desc.provisioned_throughput().unwrap();
    assert_eq!(
        (t.read_capacity_units(), t.write_capacity_units()),
        (Some(2), Some(2))
    );

    let mut on_demand = Schemas::shipped();
    on_demand["BillingMode"] = json!("PAY_PER_REQUEST");
    on_demand
        .as_object_mut()
        .unwrap()
        .remove("ProvisionedThroughput");
    on_demand["GlobalSecondaryIndexes"][0]
        .as_object_mut()
        .unwrap()
        .remove("ProvisionedThroughput");
    let on_demand = files.write(&on_demand);
    let (report, text) = plan(&table.name, &on_demand);
    assert_eq!(kinds(&report), ["capacity"]);
    assert!(
        text.contains("billing mode PROVISIONED -> PAY_PER_REQUEST"),
        "{text}"
    );
    assert!(text.contains("switch billing mode"), "{text}");
    apply(&table.name, &on_demand);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let mode = desc.billing_mode_summary().and_then(|b| b.billing_mode());
    assert_eq!(mode.map(|m| m.as_str()), Some("PAY_PER_REQUEST"));

    let shipped = files.write(&Schemas::shipped());
    let (_, text) = plan(&table.name, &shipped);
    assert!(
        text.contains(
            "billing mode PAY_PER_REQUEST -> PROVISIONED; table capacity on-demand -> 5/5"
        ),
        "{text}"
    );
    apply(&table.name, &shipped);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let t = desc.provisioned_throughput().unwrap();
    assert_eq!(
        (t.read_capacity_units(), t.write_capacity_units()),
        (Some(5), Some(5))
    );
}

/// The table's TTL status and attribute.
pub async fn ttl(ctx: &Context, table: &str) -> (String, Option<String>) {
    let d = ctx
        .dynamodb()
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    let status = d.time_to_live_status().unwrap().as_str().to_string();
    (status, d.attribute_name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_and_ttl_go_off_and_on() {
    let (table, files) = (TestTable::created(), Schemas::new());
    let ctx = local_context(&table.name).await;
    let mut quiet = Schemas::shipped();
    quiet.as_object_mut().unwrap().remove("StreamSpecification");
    quiet["TimeToLiveSpecification"] = json!({"AttributeName": "expires_at", "Enabled": true});
    let quiet = files.write(&quiet);
    let (report, text) = plan(&table.name, &quiet);
    assert_eq!(kinds(&report), ["stream", "time_to_live"], "{report}");
    assert_eq!(report["steps"][1]["call"], "UpdateTimeToLive");
    assert!(
        text.contains("1. UpdateTable: disable the stream"),
        "{text}"
    );
    assert!(
        text.contains("2. UpdateTimeToLive: turn TTL on (attribute expires_at)"),
        "{text}"
    );
    assert!(text.contains("one TTL change per table per hour"), "{text}");
    apply(&table.name, &quiet);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert!(desc
        .stream_specification()
        .is_none_or(|s| !s.stream_enabled()));
    assert_eq!(
        ttl(&ctx, &table.name).await,
        ("ENABLED".into(), Some("expires_at".into()))
    );

    let mut back = Schemas::shipped();
    back["TimeToLiveSpecification"] = json!({"Enabled": false});
    let back = files.write(&back);
    let (report, text) = plan(&table.name, &back);
    assert_eq!(kinds(&report), ["stream", "time_to_live"], "{report}");
    assert!(
        text.contains("1. UpdateTable: enable the stream (NEW_IMAGE)"),
        "{text}"
    );
    assert!(
        text.contains("2. UpdateTimeToLive: turn TTL off (was on attribute expires_at)"),
        "{text}"
    );
    apply(&table.name, &back);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let stream = desc.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_IMAGE")
    );
    assert_eq!(ttl(&ctx, &table.name).await.0, "DISABLED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_protection_keeps_drop_away_until_turned_off() {
    let (table, files) = (TestTable::created(), Schemas::new());
    let ctx = local_context(&table.name).await;
    let before = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert_eq!(
        before.deletion_protection_enabled(),
        Some(true),
        "the shipped schema protects"
    );

    let err = fails(run(bin("drop").arg(&table.name)));
    assert!(
        err.contains("deletion protection on (DeletionProtectionEnabled)")
            && err.contains("--disable-deletion-protection"),
        "{err}"
    );
    let after = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert_eq!(
        format!("{before:?}"),
        format!("{after:?}"),
        "drop changed nothing"
    );

    let mut open = Schemas::shipped();
    open["DeletionProtectionEnabled"] = json!(false);
    let open = files.write(&open);
    let (report, text) = plan(&table.name, &open);
    assert_eq!(
        report["steps"][0]["step"],
        json!({"kind": "deletion_protection", "enabled": false})
    );
    assert!(
        text.contains("1. UpdateTable: turn deletion protection off"),
        "{text}"
    );
    assert!(text.contains("the table can be deleted"), "{text}");
    apply(&table.name, &open);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert_eq!(desc.deletion_protection_enabled(), Some(false));

    let out = ok(run(bin("drop").arg(&table.name)));
    assert!(stderr(&out).contains("dropped"), "{}", stderr(&out));
    assert!(describe(&ctx, &table.name).await.unwrap().is_none());
}
