//! What DynamoDB Local lacks, against moto's DynamoDB (the stack's moto server serves DynamoDB on
//! its port too): point-in-time recovery on and off (a note on DynamoDB Local, a failure on prod),
//! tags set, changed and removed; and the whole prod flow (plan, apply, protection) on a table
//! with items.

use std::path::Path;

use cruddur_ops::context::Context;
use serde_json::{json, Value};

use crate::common::*;
use crate::schema_migrations::{kinds, Schemas};

/// `schema-load --table TABLE --schema FILE ARGS` on moto's DynamoDB.
fn schema_load_on_moto(table: &MotoTable, file: &Path, args: &[&str]) -> std::process::Output {
    run(on_moto("schema-load")
        .args(["--table", &table.0, "--schema"])
        .arg(file)
        .args(args))
}

async fn pitr(ctx: &Context, table: &str) -> String {
    ctx.dynamodb()
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .and_then(|d| d.point_in_time_recovery_description)
        .and_then(|p| p.point_in_time_recovery_status)
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn point_in_time_recovery_goes_on_and_off_on_moto() {
    let table = MotoTable(unique("test-messages"));
    let files = Schemas::new();
    let ctx = moto_context().await;
    let on_moto = |file: &Path, args: &[&str]| schema_load_on_moto(&table, file, args);
    let shipped = files.write(&Schemas::shipped());
    let out = ok(on_moto(&shipped, &["--output", "json"]));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "created", "{report}");
    assert_eq!(
        kinds(&report),
        ["point_in_time_recovery"],
        "set after CreateTable: {report}"
    );
    assert_eq!(report["steps"][0]["status"], "done");
    assert!(!stderr(&out).contains("not supported"), "{}", stderr(&out));
    assert_eq!(pitr(&ctx, &table.0).await, "ENABLED");

    let mut off = Schemas::shipped();
    off["PointInTimeRecoverySpecification"] = json!({"PointInTimeRecoveryEnabled": false});
    let off = files.write(&off);
    let out = on_moto(&off, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("1. UpdateContinuousBackups: turn point-in-time recovery off"),
        "{text}"
    );
    assert!(text.contains("the recovery window is deleted"), "{text}");
    let out = ok(on_moto(&off, &["--apply", "--output", "json"]));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["steps"][0]["status"], "done", "{report}");
    assert_eq!(pitr(&ctx, &table.0).await, "DISABLED");

    ok(on_moto(&shipped, &["--apply"]));
    assert_eq!(pitr(&ctx, &table.0).await, "ENABLED");
    let out = ok(on_moto(&shipped, &[]));
    assert!(
        stderr(&out).contains("exactly as defined"),
        "{}",
        stderr(&out)
    );
}

/// The table's tags, as `key=value` words in key order.
async fn tags(ctx: &Context, table: &str) -> Vec<String> {
    let desc = cruddur_ops::ddb::table::describe(ctx, table)
        .await
        .unwrap()
        .unwrap();
    let mut tags: Vec<String> = ctx
        .dynamodb()
        .list_tags_of_resource()
        .resource_arn(desc.table_arn().unwrap())
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| format!("{}={}", t.key(), t.value()))
        .collect();
    tags.sort();
    tags
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_set_changed_and_removed_on_moto() {
    let table = MotoTable(unique("test-messages"));
    let files = Schemas::new();
    let ctx = moto_context().await;
    let on_moto = |file: &Path, args: &[&str]| schema_load_on_moto(&table, file, args);
    let with_tags = |tags: &[(&str, &str)]| {
        let mut schema = Schemas::shipped();
        schema["Tags"] = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        files.write(&schema)
    };

    // Created with its tags (CreateTable takes them).
    ok(on_moto(
        &with_tags(&[("app", "cruddur"), ("env", "test")]),
        &[],
    ));
    assert_eq!(tags(&ctx, &table.0).await, ["app=cruddur", "env=test"]);

    // A tag added, one gone: the plan says which, the apply does it.
    let changed = with_tags(&[("app", "cruddur"), ("owner", "ops")]);
    let out = on_moto(&changed, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(kinds(&report), ["tag", "untag"], "{report}");
    let text = stderr(&on_moto(&changed, &[]));
    assert!(text.contains("1. TagResource: set tag owner=ops"), "{text}");
    assert!(text.contains("2. UntagResource: remove tag env"), "{text}");
    let out = ok(on_moto(&changed, &["--apply", "--output", "json"]));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for step in report["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "done", "{report}");
    }
    assert_eq!(tags(&ctx, &table.0).await, ["app=cruddur", "owner=ops"]);

    // A changed value is a TagResource of that key. (Only planned here: moto's TagResource adds a
    // second value under the key instead of replacing it, as DynamoDB does.)
    let text = stderr(&on_moto(
        &with_tags(&[("app", "v2"), ("owner", "ops")]),
        &[],
    ));
    assert!(text.contains("1. TagResource: set tag app=v2"), "{text}");
    assert!(!text.contains("UntagResource"), "{text}");

    // `"Tags": []` removes every tag; a file without `Tags` leaves them as they are.
    let out = ok(on_moto(&with_tags(&[]), &["--apply"]));
    assert!(
        stderr(&out).contains("UntagResource: remove tags app, owner"),
        "{}",
        stderr(&out)
    );
    assert!(tags(&ctx, &table.0).await.is_empty());
    ok(on_moto(&with_tags(&[("app", "cruddur")]), &["--apply"]));
    let out = ok(on_moto(&files.write(&Schemas::shipped()), &[]));
    assert!(
        stderr(&out).contains("exactly as defined"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tags(&ctx, &table.0).await, ["app=cruddur"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_prod_a_user_edits_the_file_reads_the_plan_and_applies_it_losing_no_item() {
    use crate::schema_migrations::{fill, through_index, with_user_index};

    let table = MotoTable(unique("test-messages"));
    let files = Schemas::new();
    let ctx = moto_context().await;
    let schema_load = |file: &Path, args: &[&str]| table.schema_load(file, args);

    // The shipped file: created protected and point-in-time recoverable.
    let shipped = files.write(&Schemas::shipped());
    ok(schema_load(&shipped, &[]));
    let desc = cruddur_ops::ddb::table::describe(&ctx, &table.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(desc.deletion_protection_enabled(), Some(true));
    assert_eq!(pitr(&ctx, &table.0).await, "ENABLED");
    let err = fails(run(prod_on_moto("drop").args([&table.0, "--yes"])));
    assert!(err.contains("deletion protection"), "{err}");
    let mut keys: Vec<String> = fill(&ctx, &table.0, 200, 5).await.into_iter().collect();

    // The user adds an index: the plan says what it costs, --apply without --yes (and no
    // terminal to ask on) is refused and changes nothing, --apply --yes carries it out.
    let edited = files.write(&with_user_index(Schemas::shipped(), "by-user"));
    let out = schema_load(&edited, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("1. UpdateTable: create GSI by-user"),
        "{text}"
    );
    assert!(
        text.contains("the backfill reads the whole table"),
        "{text}"
    );
    let err = fails(schema_load(&edited, &["--apply"]));
    assert!(err.contains("--yes"), "{err}");
    let out = schema_load(&edited, &[]);
    assert_eq!(out.status.code(), Some(3), "still to do: {}", stderr(&out));
    let out = ok(schema_load(
        &edited,
        &["--apply", "--yes", "--output", "json"],
    ));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "applied", "{report}");
    assert!(stderr(&ok(schema_load(&edited, &[]))).contains("exactly as defined"));

    // No item lost: every one is readable through the new index; still protected.
    keys.sort();
    let mut found = through_index(&ctx, &table.0, "by-user", 5).await;
    found.sort();
    assert_eq!(found, keys);
    let err = fails(run(prod_on_moto("drop").args([&table.0, "--yes"])));
    assert!(err.contains("deletion protection"), "{err}");
    assert_eq!(pitr(&ctx, &table.0).await, "ENABLED");
}

#[test]
fn point_in_time_recovery_is_only_noted_where_it_is_missing_except_on_prod() {
    // DynamoDB Local has no point-in-time recovery: locally a note, on prod a failure.
    let table = TestTable::created();
    let out = ok(run(bin("schema-load").args(["--table", &table.name])));
    assert!(
        stderr(&out).contains("point-in-time recovery: not supported by this endpoint"),
        "{}",
        stderr(&out)
    );
    let prod = TestTable::new();
    let err = fails(run(bin("schema-load")
        .args(["prod", "--table", &prod.name])
        .env("AWS_ENDPOINT_URL_DYNAMODB", ddb_url())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")));
    assert!(
        err.contains("requires point-in-time recovery on prod"),
        "{err}"
    );
}
