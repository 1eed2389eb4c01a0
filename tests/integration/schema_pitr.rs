//! Point-in-time recovery, which DynamoDB Local lacks: on and off against moto's DynamoDB (the
//! stack's moto server serves DynamoDB on its port too), a note on DynamoDB Local, a failure on prod.

use std::path::Path;

use cruddur_ops::context::Context;
use serde_json::{json, Value};

use crate::common::*;
use crate::schema_migrations::{kinds, Schemas};

/// A context whose DynamoDB is moto's (the stack's moto server serves DynamoDB too).
async fn moto_context() -> Context {
    let config =
        cruddur_ops::config::Config::resolve(
            cruddur_ops::config::Target::Local,
            |name| match name {
                "AWS_ENDPOINT_URL_DYNAMODB" => Some(cognito_url()),
                _ => name
                    .starts_with("CRUDDUR_OPS_")
                    .then(|| std::env::var(name).ok())
                    .flatten(),
            },
        )
        .unwrap();
    Context::new(config).await.unwrap()
}

/// A table on moto's DynamoDB, dropped (protection off first) when the guard goes.
struct MotoTable(String);

impl Drop for MotoTable {
    fn drop(&mut self) {
        let _ = bin("drop")
            .args([&self.0, "--if-exists", "--disable-deletion-protection"])
            .env("AWS_ENDPOINT_URL_DYNAMODB", cognito_url())
            .output();
    }
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
    let on_moto = |file: &Path, args: &[&str]| {
        run(bin("schema-load")
            .args(["--table", &table.0, "--schema"])
            .arg(file)
            .args(args)
            .env("AWS_ENDPOINT_URL_DYNAMODB", cognito_url()))
    };
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
