//! DynamoDB's own export and import through S3 (`table-export --s3`, `table-import --s3`, `--new-table`),
//! against the stack's moto server, which serves DynamoDB and S3 on its port. Each test has its
//! own tables and bucket, removed afterwards.
//!
//! What moto does differently from AWS, and how the tests live with it: its exports write no
//! manifest (the tests of the manifest path write an export folder the way AWS lays it out), it
//! keeps no client tokens (the tool finds the same export itself on the local target), and it
//! ignores an incremental export's period (it writes every item; the test checks the request,
//! its type and its token).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use cruddur_ops::context::Context;
use flate2::write::GzEncoder;
use serde_json::{json, Value};

use crate::common::*;

/// The SDK's own S3 client on moto (by path): the tests make, write and remove their buckets
/// and objects with it, independent of the tool's client.
fn sdk_s3(ctx: &Context) -> aws_sdk_s3::Client {
    let url = ctx
        .config
        .s3_endpoint
        .as_deref()
        .expect("a local S3 endpoint");
    let config = aws_sdk_s3::config::Builder::from(&ctx.sdk)
        .endpoint_url(url)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A bucket on moto's S3, emptied and deleted when the guard goes.
struct Bucket(String);

impl Bucket {
    async fn created(ctx: &Context) -> Bucket {
        let name = unique("test-s3");
        sdk_s3(ctx)
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .unwrap();
        Bucket(name)
    }

    async fn put(&self, ctx: &Context, key: &str, body: Vec<u8>) {
        sdk_s3(ctx)
            .put_object()
            .bucket(&self.0)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }

    async fn etag(&self, ctx: &Context, key: &str) -> String {
        let head = sdk_s3(ctx).head_object().bucket(&self.0).key(key);
        let etag = head.send().await.unwrap().e_tag.unwrap();
        etag.trim_matches('"').to_string()
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let ctx = moto_context().await;
                if let Ok(objects) = cruddur_ops::s3::list(&ctx, &name, "").await {
                    for o in objects {
                        let _ = sdk_s3(&ctx)
                            .delete_object()
                            .bucket(&name)
                            .key(o.key)
                            .send()
                            .await;
                    }
                }
                let _ = sdk_s3(&ctx).delete_bucket().bucket(&name).send().await;
            });
        })
        .join();
    }
}

/// Item `i` of the test data, as an export line: every DynamoDB type, 38-digit numbers.
fn item(i: usize) -> Value {
    json!({"Item": {
        "pk": {"S": format!("MSG#{:02}", i % 40)},
        "sk": {"S": format!("2026-12-06T10:{:06}", i)},
        "message_group_uuid": {"S": format!("group-{}", i % 40)},
        "n38": {"N": format!("{}{:07}", "9".repeat(31), i)},
        "neg": {"N": format!("-0.{:038}", i + 1).trim_end_matches('0').to_string()},
        "dec": {"N": format!("{i}.25")},
        "bin": {"B": "AAEC/w=="},
        "yes": {"BOOL": i % 2 == 0},
        "nothing": {"NULL": true},
        "list": {"L": [{"S": "x"}, {"N": "12345678901234567890123456789012345678"}, {"M": {"k": {"BOOL": false}}}]},
        "map": {"M": {"nested": {"M": {"deep": {"S": format!("d{i}")}}}, "set": {"SS": ["a", "b"]}}},
        "ss": {"SS": ["one", "two", format!("n{i}")]},
        "ns": {"NS": ["1", "-2.5", "99999999999999999999999999999999999999"]},
        "bs": {"BS": ["AA==", "AQ=="]},
        "text": {"S": format!("message {i}: héllo \"quoted\" \\ \n newline")},
    }})
}

/// Puts the items of [`lines`] `range` into `table` on moto (through `table-import`).
fn put_lines(table: &str, range: std::ops::Range<usize>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("items.jsonl");
    std::fs::write(&data, lines(range)).unwrap();
    ok(run(on_moto("table-import")
        .args(["--table", table, "--file"])
        .arg(&data)));
}

/// The items `range` as export lines.
fn lines(range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("{}\n", item(i))).collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// An item's JSON with its attributes in name order and its sets sorted (a set has no
/// order), for comparing.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("SS" | "NS" | "BS", Value::Array(items)) => {
                            let mut items = items.clone();
                            items.sort_by_key(|i| i.to_string());
                            Value::Array(items)
                        }
                        _ => normalized(v),
                    };
                    (k, v)
                })
                .collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Asserts `got` and `want` hold the same items, showing one that differs when they do not.
#[track_caller]
fn same_items(got: &BTreeSet<String>, want: &BTreeSet<String>) {
    let missing = want.difference(got).next();
    let extra = got.difference(want).next();
    assert!(
        missing.is_none() && extra.is_none(),
        "{} items, {} expected\nmissing: {missing:?}\nunexpected: {extra:?}",
        got.len(),
        want.len()
    );
}

/// Every item of `table` (through `table-export --file` on `endpoint`), normalized.
fn items_of(table: &str, endpoint: &str, dir: &Path) -> BTreeSet<String> {
    let file = dir.join(format!("{table}.jsonl"));
    ok(run(bin("table-export")
        .args(["--table", table, "--file"])
        .arg(&file)
        .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)));
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| normalized(&serde_json::from_str(l).unwrap()).to_string())
        .collect()
}

/// The normalized export lines of items `range`.
fn expected(range: std::ops::Range<usize>) -> BTreeSet<String> {
    range.map(|i| normalized(&item(i)).to_string()).collect()
}

/// Runs `table-export --s3` on moto, returning its JSON report.
fn export_s3(table: &str, destination: &str, more: &[&str]) -> Value {
    let out = ok(run(on_moto("table-export")
        .args(["--table", table, "--s3", destination, "--output", "json"])
        .args(more)));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_goes_through_s3_and_back_into_an_existing_and_a_new_table() {
    let started = Instant::now();
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let dir = tempfile::tempdir().unwrap();
    let source = MotoTable::created();
    // Every attribute type in every item (see `line`); moto's export and import take about
    // 8 ms of CPU per item, so a thousand prove what ten thousand did in a tenth of the time.
    let n = 1_000;
    put_lines(&source.0, 0..n);
    let seeded = started.elapsed();

    let report = export_s3(
        &source.0,
        &format!("s3://{}/exports/messages", bucket.0),
        &[],
    );
    assert_eq!(report["status"], "COMPLETED", "{report}");
    assert_eq!(report["export_type"], "FULL_EXPORT");
    assert_eq!(report["items"], n, "{report}");
    assert_eq!(report["joined"], false);
    // moto writes no manifest: the data files were listed once the export was COMPLETED.
    assert_eq!(report["manifest"], Value::Null, "{report}");
    assert!(report["data_files"].as_u64().unwrap() >= 1, "{report}");
    let folder = report["folder"].as_str().unwrap().to_string();
    let prefix = format!("s3://{}/exports/messages/AWSDynamoDB/", bucket.0);
    assert!(
        folder.starts_with(&prefix) && folder.ends_with('/'),
        "{folder}"
    );
    let arn = report["export_arn"].as_str().unwrap().to_string();
    let exported = started.elapsed();

    // Without a manifest and without the export's ARN the folder is not trusted.
    let target = MotoTable::created();
    let err = fails(run(
        on_moto("table-import").args(["--table", &target.0, "--s3", &folder])
    ));
    assert!(
        err.contains("has no manifest-summary.json") && err.contains("--export-arn"),
        "{err}"
    );

    // Into an existing table: streamed from S3 through import's checks.
    let out = ok(run(on_moto("table-import").args([
        "--table",
        &target.0,
        "--s3",
        &folder,
        "--export-arn",
        &arn,
        "--output",
        "json",
    ])));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["items"], n, "{summary}");
    assert!(
        stderr(&out).contains("listed under data/"),
        "{}",
        stderr(&out)
    );
    let want = expected(0..n);
    same_items(&items_of(&target.0, &cognito_url(), dir.path()), &want);
    let loaded = started.elapsed();

    // Into a new table: ImportTable, keys and GSIs from the shipped definition.
    let fresh = MotoTable::named();
    let out = ok(run(on_moto("table-import").args([
        "--s3",
        &folder,
        "--export-arn",
        &arn,
        "--new-table",
        &fresh.0,
        "--output",
        "json",
    ])));
    let imported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(imported["status"], "COMPLETED", "{imported}");
    assert_eq!(
        (
            &imported["imported"],
            &imported["processed"],
            &imported["errors"]
        ),
        (&json!(n), &json!(n), &json!(0)),
        "{imported}"
    );
    assert!(
        stderr(&out).contains("next: schema-load"),
        "{}",
        stderr(&out)
    );
    let created = ctx
        .dynamodb()
        .describe_table()
        .table_name(&fresh.0)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let indexes: Vec<_> = created
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert_eq!(indexes, ["message-group-sk-index"]);
    // moto's ImportTable parses the files with py_partiql_parser, which mangles JSON escapes
    // (\" \\ \uXXXX) in strings; AWS's does not. Every other attribute of every item must match,
    // and the strings without escapes do.
    let without_text = |items: &BTreeSet<String>| -> BTreeSet<String> {
        items
            .iter()
            .map(|line| {
                let mut v: Value = serde_json::from_str(line).unwrap();
                v["Item"].as_object_mut().unwrap().remove("text");
                v.to_string()
            })
            .collect()
    };
    let fresh_items = items_of(&fresh.0, &cognito_url(), dir.path());
    same_items(&without_text(&fresh_items), &without_text(&want));

    // ImportTable only makes new tables.
    let err = fails(run(on_moto("table-import").args([
        "--s3",
        &folder,
        "--export-arn",
        &arn,
        "--new-table",
        &fresh.0,
    ])));
    assert!(err.contains("ImportTable only creates new tables"), "{err}");
    eprintln!(
        "timings: seed {n} items {:.1} s, export {:.1} s, import --s3 {:.1} s, --new-table {:.1} s",
        seeded.as_secs_f64(),
        (exported - seeded).as_secs_f64(),
        (loaded - exported).as_secs_f64(),
        (started.elapsed() - loaded).as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_joins_the_same_export_and_another_prefix_is_another() {
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let table = MotoTable::created();
    put_lines(&table.0, 0..30);
    let at = format!("s3://{}/again", bucket.0);
    let first = export_s3(&table.0, &at, &[]);
    let second = export_s3(&table.0, &at, &[]);
    assert_eq!(first["joined"], false, "{first}");
    assert_eq!(second["joined"], true, "{second}");
    assert_eq!(first["export_arn"], second["export_arn"]);
    assert_eq!(first["client_token"], second["client_token"]);
    assert_eq!(first["folder"], second["folder"]);
    let folders = cruddur_ops::s3::folders(&ctx, &bucket.0, "again/AWSDynamoDB/")
        .await
        .unwrap();
    assert_eq!(folders.len(), 1, "one export written: {folders:?}");

    // An export whose files are gone is not joined: the same command starts another.
    for o in cruddur_ops::s3::list(&ctx, &bucket.0, "again/")
        .await
        .unwrap()
    {
        let delete = sdk_s3(&ctx).delete_object().bucket(&bucket.0).key(o.key);
        delete.send().await.unwrap();
    }
    let third = export_s3(&table.0, &at, &[]);
    assert_eq!(third["joined"], false, "{third}");
    assert_ne!(third["export_arn"], first["export_arn"]);
    assert_eq!(third["items"], 30, "{third}");

    let other = export_s3(&table.0, &format!("s3://{}/elsewhere", bucket.0), &[]);
    assert_ne!(other["export_arn"], first["export_arn"]);
    assert_ne!(other["client_token"], first["client_token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_export_after_changes() {
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let table = MotoTable::created();
    put_lines(&table.0, 0..20);
    let at = format!("s3://{}/changes", bucket.0);
    let full = export_s3(&table.0, &at, &[]);
    put_lines(&table.0, 20..25);

    // A prefix of its own: moto names an export's folder otherwise than its export id, so the
    // tool finds it only as the one folder under PREFIX/AWSDynamoDB/.
    let since = (chrono::Utc::now() - chrono::Duration::minutes(20)).to_rfc3339();
    let inc_at = format!("s3://{}/changes-since", bucket.0);
    let inc = export_s3(&table.0, &inc_at, &["--since", &since]);
    assert_eq!(inc["status"], "COMPLETED", "{inc}");
    assert_eq!(inc["export_type"], "INCREMENTAL_EXPORT", "{inc}");
    assert_eq!(
        inc["joined"], false,
        "another request than the full export: {inc}"
    );
    assert_ne!(inc["client_token"], full["client_token"]);
    assert_ne!(inc["export_arn"], full["export_arn"]);
    // (moto ignores the period and writes every item: 25 here, where AWS writes the 5 changes.)
    assert_eq!(inc["items"], 25, "{inc}");

    // Its lines are changes, not items: import --s3 refuses it.
    let target = MotoTable::created();
    let folder = inc["folder"].as_str().unwrap();
    let err = fails(run(on_moto("table-import").args([
        "--table",
        &target.0,
        "--s3",
        folder,
        "--export-arn",
        inc["export_arn"].as_str().unwrap(),
    ])));
    assert!(err.contains("is an incremental export"), "{err}");

    // A period DynamoDB would refuse is refused before asking.
    let recent = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let err = fails(run(
        on_moto("table-export").args(["--table", &table.0, "--s3", &at, "--since", &recent])
    ));
    assert!(err.contains("15 minutes to 24 hours"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn point_in_time_recovery_off_is_refused_naming_the_setting() {
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let table = MotoTable::named();
    let files = crate::schema_migrations::Schemas::new();
    let mut off = crate::schema_migrations::Schemas::shipped();
    off["PointInTimeRecoverySpecification"] = json!({"PointInTimeRecoveryEnabled": false});
    let off = files.write(&off);
    ok(run(on_moto("schema-load")
        .args(["--table", &table.0, "--schema"])
        .arg(&off)));
    let err = fails(run(on_moto("table-export").args([
        "--table",
        &table.0,
        "--s3",
        &format!("s3://{}/x", bucket.0),
    ])));
    assert!(err.contains("point-in-time recovery off"), "{err}");
    assert!(
        err.contains(&format!("schema-load --table {} --apply", table.0)),
        "{err}"
    );
    assert!(err.contains("PointInTimeRecoveryEnabled"), "{err}");
    assert!(cruddur_ops::s3::list(&ctx, &bucket.0, "")
        .await
        .unwrap()
        .is_empty());

    // DynamoDB Local has no exports at all: the error names the way to moto.
    let local = TestTable::created();
    let err = fails(run(bin("table-export").args([
        "--table",
        &local.name,
        "--s3",
        &format!("s3://{}/x", bucket.0),
    ])));
    assert!(err.contains("DynamoDB Local cannot export to S3"), "{err}");
    assert!(
        err.contains(&format!(
            "AWS_ENDPOINT_URL_DYNAMODB=http://localhost:{}",
            ports().cognito
        )),
        "{err}"
    );
}

/// An export folder laid out as AWS writes it: data files, manifest-files.json (with each
/// file's item count and ETag as S3 reports it) and manifest-summary.json. `files` are each
/// file's name and contents; `count` overrides the manifest's count of a file.
async fn aws_layout(
    ctx: &Context,
    bucket: &Bucket,
    folder: &str,
    files: &[(&str, Vec<u8>, u64)],
) -> String {
    let mut list = String::new();
    let mut total = 0;
    for (name, body, count) in files {
        let key = format!("{folder}data/{name}");
        bucket.put(ctx, &key, body.clone()).await;
        let etag = bucket.etag(ctx, &key).await;
        list.push_str(&format!(
            "{}\n",
            json!({"itemCount": count, "md5": "x", "etag": etag, "dataFileS3Key": key})
        ));
        total += count;
    }
    let files_key = format!("{folder}manifest-files.json");
    bucket.put(ctx, &files_key, list.into_bytes()).await;
    let summary = json!({
        "version": "2020-06-30", "exportArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/export/01733000000000-abcdef12",
        "manifestFilesS3Key": files_key, "itemCount": total, "billedSizeBytes": 1,
        "outputFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT",
    });
    bucket
        .put(
            ctx,
            &format!("{folder}manifest-summary.json"),
            summary.to_string().into_bytes(),
        )
        .await;
    format!("s3://{}/{folder}", bucket.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_with_a_manifest_loads_in_segments_and_resumes_from_a_checkpoint() {
    // S3 on moto, the table on DynamoDB Local: loading a prod export into a local emulator.
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = "exports/AWSDynamoDB/01733000000000-abcdef12/";
    let parts: Vec<(String, Vec<u8>, u64)> = (0..5)
        .map(|f| {
            (
                format!("part{f}.json.gz"),
                gzip(&lines(f * 40..f * 40 + 40)),
                40,
            )
        })
        .collect();
    let parts: Vec<(&str, Vec<u8>, u64)> = parts
        .iter()
        .map(|(n, b, c)| (n.as_str(), b.clone(), *c))
        .collect();
    let url = aws_layout(&ctx, &bucket, folder, &parts).await;
    let table = TestTable::created();
    for segment in ["0", "1"] {
        let out = ok(run(bin("table-import").args([
            "--table",
            &table.name,
            "--s3",
            &url,
            "--segment",
            segment,
            "--total-segments",
            "2",
        ])));
        assert!(
            stderr(&out).contains("from the manifest"),
            "{}",
            stderr(&out)
        );
    }
    same_items(
        &items_of(&table.name, &ddb_url(), dir.path()),
        &expected(0..200),
    );

    // A checkpoint: a finished import says so when run again.
    let other = TestTable::created();
    let checkpoint = dir.path().join("s3.ckpt");
    let import = |table: &str| {
        run(bin("table-import")
            .args(["--table", table, "--s3", &url, "--checkpoint"])
            .arg(&checkpoint))
    };
    ok(import(&other.name));
    let again = ok(import(&other.name));
    assert!(
        stderr(&again).contains("says this import finished"),
        "{}",
        stderr(&again)
    );
    // Resuming from the middle: a checkpoint that says the first three files are written
    // (as a run stopped there leaves it) makes the next run open and write only the last two.
    let mut state: Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    assert_eq!(state["complete"], true, "{state}");
    state["complete"] = json!(false);
    state["state"] = json!({"through": {"file": 2, "line": 40}, "items": 120});
    std::fs::write(&checkpoint, state.to_string()).unwrap();
    let resumed = ok(run(bin("table-import")
        .args([
            "--table",
            &other.name,
            "--s3",
            &url,
            "--output",
            "json",
            "--checkpoint",
        ])
        .arg(&checkpoint)));
    assert!(
        stderr(&resumed).contains("resuming from the checkpoint"),
        "{}",
        stderr(&resumed)
    );
    let summary: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(
        (&summary["items"], &summary["earlier"]),
        (&json!(80), &json!(120)),
        "{summary}"
    );

    // A data file replaced since the manifest was written is refused by its ETag, before any
    // write.
    let changed = format!("{folder}data/part3.json.gz");
    bucket.put(&ctx, &changed, gzip(&lines(1000..1040))).await;
    let third = TestTable::created();
    let err = fails(run(bin("table-import").args([
        "--table",
        &third.name,
        "--s3",
        &url,
    ])));
    assert!(
        err.contains(&format!(
            "{url}data/part3.json.gz changed since it was listed (ETag"
        )),
        "{err}"
    );
    assert!(items_of(&third.name, &ddb_url(), dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_data_file_is_refused_before_any_write_naming_the_object() {
    let ctx = moto_context().await;
    let bucket = Bucket::created(&ctx).await;
    let dir = tempfile::tempdir().unwrap();
    let table = TestTable::created();

    // A bad line in the middle of the second file (the first file is good).
    let mut bad = lines(100..150);
    bad.insert_str(
        bad.find('\n').unwrap() + 1,
        "{\"Item\": {\"pk\": {\"S\": \"MSG#x\"}}}\n",
    );
    let url = aws_layout(
        &ctx,
        &bucket,
        "bad/AWSDynamoDB/01733000000000-00000001/",
        &[
            ("a.json.gz", gzip(&lines(0..50)), 50),
            ("b.json.gz", gzip(&bad), 51),
        ],
    )
    .await;
    let err = fails(run(bin("table-import").args([
        "--table",
        &table.name,
        "--s3",
        &url,
    ])));
    assert!(
        err.contains(&format!("{url}data/b.json.gz: line 2")),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");

    // A file cut short: a broken gzip stream.
    let mut cut = gzip(&lines(0..50));
    cut.truncate(cut.len() / 2);
    let url = aws_layout(
        &ctx,
        &bucket,
        "cut/AWSDynamoDB/01733000000000-00000002/",
        &[
            ("a.json.gz", gzip(&lines(50..60)), 10),
            ("c.json.gz", cut, 50),
        ],
    )
    .await;
    let err = fails(run(bin("table-import").args([
        "--table",
        &table.name,
        "--s3",
        &url,
    ])));
    assert!(err.contains(&format!("{url}data/c.json.gz")), "{err}");

    // Fewer items than the manifest counts (a file replaced by a shorter one).
    let url = aws_layout(
        &ctx,
        &bucket,
        "short/AWSDynamoDB/01733000000000-00000003/",
        &[("d.json.gz", gzip(&lines(0..30)), 31)],
    )
    .await;
    let err = fails(run(bin("table-import").args([
        "--table",
        &table.name,
        "--s3",
        &url,
    ])));
    assert!(
        err.contains(&format!(
            "{url}data/d.json.gz: 30 items, but the export's manifest counts 31"
        )),
        "{err}"
    );
    assert!(
        items_of(&table.name, &ddb_url(), dir.path()).is_empty(),
        "nothing was written"
    );
}
