//! `table-export` and `table-import`: round trips (every attribute type, gzip, a native Export to S3 folder),
//! re-runs, bad input that writes nothing, other key schemas, parts of a table, failed exports.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use cruddur_ops::ddb::item::{s, to_typed_json, Item};
use cruddur_ops::ddb::scan::{self, ScanOptions};

use crate::common::*;

/// A folder removed when the guard goes.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(unique("export-import"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every item of `table` as typed JSON text, sorted.
async fn items(table: &str) -> Vec<String> {
    let ctx = local_context(table).await;
    let mut all = Vec::new();
    scan::scan_pages(&ctx, table, ScanOptions::default(), |page| {
        all.extend(page.iter().map(|i| to_typed_json(i).to_string()));
        Ok(())
    })
    .await
    .unwrap();
    all.sort();
    all
}

async fn put(table: &str, item: Item) {
    let ctx = local_context(table).await;
    ctx.dynamodb()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

/// An item with every attribute type DynamoDB has.
fn every_type() -> Item {
    let n = |v: &str| AttributeValue::N(v.into());
    [
        ("pk", s("MSG#every-type")),
        ("sk", s("2026-01-01T00:00:00.000000+00:00")),
        ("big", n("12345678901234567890123456789012345678")),
        ("small", n("-0.000000000000000000000000000000000001")),
        (
            "b",
            AttributeValue::B(Blob::new(vec![0u8, 1, 2, 0xfe, 0xff])),
        ),
        ("t", AttributeValue::Bool(true)),
        ("f", AttributeValue::Bool(false)),
        ("z", AttributeValue::Null(true)),
        (
            "l",
            AttributeValue::L(vec![s("a"), n("1"), AttributeValue::Null(true)]),
        ),
        (
            "m",
            AttributeValue::M(
                [
                    (
                        "inner".to_string(),
                        AttributeValue::L(vec![AttributeValue::Bool(false)]),
                    ),
                    ("text".to_string(), s("héllo \"quoted\" 👋\n")),
                ]
                .into(),
            ),
        ),
        ("ss", AttributeValue::Ss(vec!["x".into(), "y".into()])),
        (
            "ns",
            AttributeValue::Ns(vec![
                "1".into(),
                "2.5".into(),
                "99999999999999999999999999999999999999".into(),
            ]),
        ),
        (
            "bs",
            AttributeValue::Bs(vec![Blob::new(b"x".to_vec()), Blob::new(vec![0u8, 0xff])]),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn export(table: &str, file: &Path, extra: &[&str]) -> Output {
    tokio::task::block_in_place(|| {
        run(bin("table-export")
            .args(["local", "--table", table, "--file"])
            .arg(file)
            .args(extra))
    })
}

fn import(table: &str, files: &[&Path]) -> Output {
    let mut cmd = bin("table-import");
    cmd.args(["local", "--table", table]);
    for f in files {
        cmd.arg("--file").arg(f);
    }
    tokio::task::block_in_place(|| run(&mut cmd))
}

fn import_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    tokio::task::block_in_place(|| {
        let mut child = cmd
            .args(["--file", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_trip_keeps_every_item_and_type() {
    let dir = TempDir::new();
    let (source, db) = (TestTable::created(), TestDb::seeded().await);
    tokio::task::block_in_place(|| ok(run(tool("seed", &source, &db).arg("local"))));
    put(&source.name, every_type()).await;
    let original = items(&source.name).await;
    assert!(original.len() > 80, "{}", original.len());

    // export: one line per item, in the Export to S3 shape
    let first = dir.path("first.jsonl");
    let out = ok(export(&source.name, &first, &[]));
    assert!(stderr(&out).contains(&format!("exported {} items", original.len())));
    let lines = sorted_lines(&first);
    assert_eq!(lines.len(), original.len());
    assert!(lines.iter().all(|l| l.starts_with("{\"Item\":{")));
    let typed = lines.iter().find(|l| l.contains("every-type")).unwrap();
    assert!(
        typed.contains(r#""big":{"N":"12345678901234567890123456789012345678"}"#),
        "{typed}"
    );
    assert!(typed.contains(r#""b":{"B":"AAEC/v8="}"#), "{typed}");
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        1,
        "no temporary file left"
    );

    // import into a new table, export again: the same items, the same lines
    let copy = TestTable::created();
    let out = ok(import(&copy.name, &[&first]));
    assert!(stderr(&out).contains(&format!("imported {} items", original.len())));
    assert_eq!(items(&copy.name).await, original);
    let second = dir.path("second.jsonl");
    ok(export(&copy.name, &second, &[]));
    assert_eq!(sorted_lines(&second), lines);

    // a re-run of the same file leaves the same table
    ok(import(&copy.name, &[&first]));
    assert_eq!(items(&copy.name).await, original);

    // gzip, found by its magic bytes whatever the name
    let zipped = dir.path("export.data");
    ok(export(
        &source.name,
        &zipped,
        &["--gzip", "--segments", "3"],
    ));
    assert_eq!(&std::fs::read(&zipped).unwrap()[..2], &[0x1f, 0x8b]);
    let from_gzip = TestTable::created();
    ok(import(&from_gzip.name, &[&zipped]));
    assert_eq!(items(&from_gzip.name).await, original);

    // the folder of a native Export to S3: gzipped DYNAMODB_JSON data files beside manifests
    let data = dir.path("AWSDynamoDB/01700000000000-0123abcd/data");
    std::fs::create_dir_all(&data).unwrap();
    let (a, b) = lines.split_at(lines.len() / 2);
    std::fs::write(
        data.join("aaaa.json.gz"),
        gzip((a.join("\n") + "\n").as_bytes()),
    )
    .unwrap();
    std::fs::write(
        data.join("bbbb.json.gz"),
        gzip((b.join("\n") + "\n").as_bytes()),
    )
    .unwrap();
    let manifest = dir.path("AWSDynamoDB/01700000000000-0123abcd");
    std::fs::write(
        manifest.join("manifest-summary.json"),
        "{\"version\":\"2020-06-30\"}",
    )
    .unwrap();
    std::fs::write(manifest.join("manifest-files.json"), "{\"itemCount\":1}\n").unwrap();
    let from_s3 = TestTable::created();
    ok(import(&from_s3.name, &[&dir.path("AWSDynamoDB")]));
    assert_eq!(items(&from_s3.name).await, original);

    // `scan --raw --output jsonl` lines, through standard input
    let raw = tokio::task::block_in_place(|| {
        ok(run(bin("scan").args([
            "--table",
            &source.name,
            "--raw",
            "--output",
            "jsonl",
        ])))
    });
    let from_scan = TestTable::created();
    ok(import_stdin(
        bin("table-import").args(["--table", &from_scan.name]),
        &raw.stdout,
    ));
    assert_eq!(items(&from_scan.name).await, original);
}

/// Without a table named (`--table` or `DDB_MESSAGE_TABLE`), import would write into the default
/// table, the live one export reads by default: refused on every target, dry run or not.
#[tokio::test(flavor = "multi_thread")]
async fn import_without_a_table_is_refused() {
    let dir = TempDir::new();
    let file = dir.path("one.jsonl");
    std::fs::write(
        &file,
        "{\"Item\":{\"pk\":{\"S\":\"MSG#x\"},\"sk\":{\"S\":\"0001\"}}}\n",
    )
    .unwrap();
    for args in [
        vec!["local"],
        vec!["local", "--dry-run"],
        vec!["prod", "--yes"],
    ] {
        let out = tokio::task::block_in_place(|| {
            run(bin("table-import").args(&args).arg("--file").arg(&file))
        });
        let err = fails(out);
        assert!(
            err.contains("table-import needs the table to write into: --table NAME")
                && err.contains("nothing was written"),
            "{args:?}: {err}"
        );
    }
    // DDB_MESSAGE_TABLE names it too.
    let table = TestTable::created();
    ok(tokio::task::block_in_place(|| {
        run(bin("table-import")
            .args(["local", "--file"])
            .arg(&file)
            .env("DDB_MESSAGE_TABLE", &table.name))
    }));
    assert_eq!(items(&table.name).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_line_writes_nothing_from_a_file() {
    let dir = TempDir::new();
    let table = TestTable::created();
    let good = |i: usize| {
        format!("{{\"Item\":{{\"pk\":{{\"S\":\"MSG#x\"}},\"sk\":{{\"S\":\"{i:04}\"}}}}}}\n")
    };
    let mut text: String = (1..=3).map(good).collect();
    text.push_str("{\"Item\":{\"pk\":{\"S\":\"MSG#x\"}}}\n"); // line 4: no sk
    text.push_str(&good(5));
    let file = dir.path("bad.jsonl");
    std::fs::write(&file, &text).unwrap();
    let err = fails(import(&table.name, &[&file]));
    assert!(err.contains("line 4") && err.contains("\"sk\""), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(items(&table.name).await.is_empty());

    std::fs::write(&file, format!("{}{{\"pk\":{{\"S\":1}}", good(1))).unwrap();
    let err = fails(import(&table.name, &[&file]));
    assert!(err.contains("line 2"), "{err}");
    assert!(items(&table.name).await.is_empty());

    let err = fails(import(&table.name, &[&dir.path("missing.jsonl")]));
    assert!(err.contains("missing.jsonl"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_input_stops_at_the_batch_of_a_bad_line() {
    let table = TestTable::created();
    let mut text = String::new();
    for i in 1..=60 {
        if i == 55 {
            text.push_str("not json\n");
        } else {
            text.push_str(&format!(
                "{{\"pk\":{{\"S\":\"MSG#y\"}},\"sk\":{{\"S\":\"{i:04}\"}}}}\n"
            ));
        }
    }
    let out = import_stdin(
        bin("table-import").args(["--table", &table.name]),
        text.as_bytes(),
    );
    let err = fails(out);
    assert!(err.contains("line 55"), "{err}");
    assert!(err.contains("50 items had been written"), "{err}");
    assert_eq!(items(&table.name).await.len(), 50);

    // the same key three times in one batch: the last line wins
    let dup = TestTable::created();
    let lines: String = (1..=3)
        .map(|v| {
            format!("{{\"pk\":{{\"S\":\"a\"}},\"sk\":{{\"S\":\"b\"}},\"v\":{{\"N\":\"{v}\"}}}}\n")
        })
        .collect();
    let out = ok(import_stdin(
        bin("table-import").args(["--table", &dup.name]),
        lines.as_bytes(),
    ));
    assert!(
        stderr(&out).contains("2 lines repeated a key"),
        "{}",
        stderr(&out)
    );
    let got = items(&dup.name).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].contains(r#""v":{"N":"3"}"#), "{got:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_key_schema_is_refused() {
    let dir = TempDir::new();
    let table = TestTable::new();
    let ctx = local_context(&table.name).await;
    ctx.dynamodb()
        .create_table()
        .table_name(&table.name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let file = dir.path("one.jsonl");
    std::fs::write(&file, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"b\"}}\n").unwrap();
    let err = fails(import(&table.name, &[&file]));
    assert!(
        err.contains("id HASH") && err.contains("pk HASH, sk RANGE"),
        "{err}"
    );

    let missing = TestTable::new();
    let err = fails(import(&missing.name, &[&file]));
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn prod_asks_before_importing() {
    let dir = TempDir::new();
    let table = TestTable::created();
    let file = dir.path("one.jsonl");
    std::fs::write(&file, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"b\"}}\n").unwrap();
    let out = tokio::task::block_in_place(|| {
        run(bin("table-import")
            .args(["prod", "--table", &table.name, "--file"])
            .arg(&file)
            .env("AWS_ENDPOINT_URL_DYNAMODB", ddb_url())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .stdin(Stdio::null()))
    });
    let err = fails(out);
    assert!(err.contains("--yes"), "{err}");
    assert!(items(&table.name).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn parts_are_disjoint_and_cover_the_table() {
    let dir = TempDir::new();
    let table = TestTable::created();
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "{{\"pk\":{{\"S\":\"MSG#{}\"}},\"sk\":{{\"S\":\"{i:04}\"}}}}\n",
            i % 40
        ));
    }
    ok(import_stdin(
        bin("table-import").args(["--table", &table.name]),
        text.as_bytes(),
    ));
    let whole = dir.path("whole.jsonl");
    ok(export(&table.name, &whole, &["--segments", "4"]));
    let whole = sorted_lines(&whole);
    assert_eq!(whole.len(), 300);
    let mut union = BTreeSet::new();
    let mut total = 0;
    for k in 0..3 {
        let part = dir.path(&format!("part-{k}.jsonl"));
        ok(export(
            &table.name,
            &part,
            &["--segment", &k.to_string(), "--total-segments", "3"],
        ));
        let lines = sorted_lines(&part);
        total += lines.len();
        union.extend(lines);
    }
    assert_eq!(total, 300, "parts overlap");
    assert_eq!(union.into_iter().collect::<Vec<_>>(), whole);

    let err = fails(export(
        &table.name,
        &dir.path("x"),
        &["--segment", "3", "--total-segments", "3"],
    ));
    assert!(err.contains("segment 3 of 3"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_export_leaves_no_file() {
    let dir = TempDir::new();
    let missing = TestTable::new();
    let file = dir.path("out.jsonl");
    let err = fails(export(&missing.name, &file, &["--gzip"]));
    assert!(err.contains(&missing.name), "{err}");
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0, "{err}");
}

#[test]
fn export_to_a_directory_fails_before_scanning_and_leaves_nothing() {
    let dir = TempDir::new();
    let target = dir.path("existing-dir");
    std::fs::create_dir(&target).unwrap();
    let missing_parent = dir.path("no-such-dir").join("out.jsonl");
    for (file, says) in [
        (&target, "is a directory"),
        (&missing_parent, "does not exist"),
    ] {
        // No DynamoDB answers there: the error must come before any call to it.
        let err = fails(run(bin("table-export")
            .args(["local", "--table", "any-table", "--file"])
            .arg(file)
            .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")));
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("127.0.0.1:9"), "it reached DynamoDB: {err}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["existing-dir".to_string()],
        "a partial file was left"
    );
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
}
