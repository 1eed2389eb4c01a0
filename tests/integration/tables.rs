//! schema-load, list-tables, drop, scan, and what every binary does with bad input.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Instant;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use cruddur_ops::ddb::item::{s, Item};
use cruddur_ops::ddb::table;
use cruddur_ops::ops::schema_load::{self, TableDefinition};
use serde_json::Value;

use crate::common::*;

/// Environment that sends the prod code path to the local DynamoDB.
fn prod_pointed_at_local(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env("AWS_ENDPOINT_URL_DYNAMODB", ddb_url())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
}

fn table_names() -> Vec<String> {
    crate::stack::table_names(&mut bin("list-tables"))
}

#[tokio::test]
async fn schema_load_creates_the_exact_definition() {
    let table = TestTable::created();
    let ctx = local_context(&table.name).await;
    let desc = table::describe(&ctx, &table.name)
        .await
        .unwrap()
        .expect("table exists");
    assert_eq!(desc.table_status().map(|s| s.as_str()), Some("ACTIVE"));
    let keys: Vec<_> = desc
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")]);
    let throughput = desc.provisioned_throughput().unwrap();
    assert_eq!(throughput.read_capacity_units(), Some(5));
    assert_eq!(throughput.write_capacity_units(), Some(5));
    let stream = desc.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_IMAGE")
    );
    let gsis = desc.global_secondary_indexes();
    assert_eq!(gsis.len(), 1);
    let gsi = &gsis[0];
    assert_eq!(gsi.index_name(), Some("message-group-sk-index"));
    let gsi_keys: Vec<_> = gsi
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(gsi_keys, [("message_group_uuid", "HASH"), ("sk", "RANGE")]);
    assert_eq!(
        gsi.projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str()),
        Some("ALL")
    );
    let gsi_throughput = gsi.provisioned_throughput().unwrap();
    assert_eq!(gsi_throughput.read_capacity_units(), Some(5));
    assert_eq!(gsi_throughput.write_capacity_units(), Some(5));
    let attrs: BTreeSet<_> = desc
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_string(),
                a.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        [("message_group_uuid", "S"), ("pk", "S"), ("sk", "S")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .into()
    );
}

#[test]
fn schema_load_twice_is_a_no_op() {
    let table = TestTable::created();
    let out = ok(run(bin("schema-load").args(["--table", &table.name])));
    // DynamoDB Local has no point-in-time recovery: not checked, so not "nothing to do".
    let err = stderr(&out);
    assert!(
        err.contains("is as defined in every setting this endpoint reports; not checked: point-in-time recovery")
            && !err.contains("nothing to do"),
        "{err}"
    );
}

#[tokio::test]
async fn schema_load_reports_drift_and_changes_nothing() {
    let table = TestTable::new();
    // A table that differs: no stream, 1/1 throughput on the table.
    let mut def = TableDefinition::load(None).unwrap();
    def.stream = None;
    def.throughput = Some(schema_load::Throughput { read: 1, write: 1 });
    def.table_name = table.name.clone();
    let ctx = local_context(&table.name).await;
    let options = schema_load::PlanOptions::default();
    let wait = schema_load::DEFAULT_WAIT_TIMEOUT;
    schema_load::create(&ctx, &def, options, wait, &mut |_| {})
        .await
        .unwrap();
    let before = table::describe(&ctx, &table.name).await.unwrap().unwrap();

    let out = run(bin("schema-load").args(["--table", &table.name]));
    // Drift has its own exit code, so a script can tell it from an outage (1).
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = fails(out);
    assert!(
        err.contains("UpdateTable: table capacity 1/1 -> 5/5 (read/write)"),
        "{err}"
    );
    assert!(
        err.contains("UpdateTable: enable the stream (NEW_IMAGE)"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");

    let after = table::describe(&ctx, &table.name).await.unwrap().unwrap();
    assert_eq!(
        before
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        after
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units()
    );
    assert!(after
        .stream_specification()
        .is_none_or(|s| !s.stream_enabled()));
}

#[test]
fn schema_load_rejects_a_bad_definition_file() {
    let dir = std::env::temp_dir().join(unique("schema"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"TableName": "x", "KeySchema": []}"#).unwrap();
    let table = TestTable::new();
    let err = fails(run(bin("schema-load")
        .args(["--table", &table.name, "--schema"])
        .arg(&file)));
    assert!(
        err.contains("bad.json") && err.contains("AttributeDefinitions"),
        "{err}"
    );
    assert!(!table_names().contains(&table.name));
}

#[test]
fn list_tables_shows_every_table() {
    let tables = [TestTable::created(), TestTable::created()];
    let names = table_names();
    for t in &tables {
        assert!(names.contains(&t.name), "{} not in {names:?}", t.name);
    }
    let out = ok(run(bin("list-tables").args(["--output", "table"])));
    assert!(stdout(&out).contains(&format!("│ {} ", tables[0].name)));
    // Piped without --output: JSON lines, one object per table with what an operator wants
    // at a glance (the shipped schema: provisioned, a NEW_IMAGE stream).
    let piped = ok(run(&mut bin("list-tables")));
    let rows: Vec<Value> = stdout(&piped)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect();
    let row = rows
        .iter()
        .find(|r| r["name"] == tables[0].name.as_str())
        .unwrap_or_else(|| panic!("{} not in {rows:?}", tables[0].name));
    assert_eq!(row["status"], "ACTIVE", "{row}");
    assert_eq!(row["billing_mode"], "PROVISIONED", "{row}");
    assert_eq!(row["stream"], "NEW_IMAGE", "{row}");
    assert!(row["items"].is_i64(), "{row}");
    assert!(row.get("deletion_protection").is_some(), "{row}");
    let jsonl = ok(run(bin("list-tables").args(["--output", "jsonl"])));
    // (Other tests create tables meanwhile, so compare the lines' shape, not their count.)
    for line in stdout(&jsonl).lines() {
        let row: Value = serde_json::from_str(line).expect("each line is a JSON object");
        assert!(row["name"].is_string(), "{row}");
    }
}

/// No table: said on stderr, an empty table or list on stdout, exit 0 (an empty answer is not an
/// error). moto keeps a DynamoDB per region, and no test writes to this one.
#[test]
fn list_tables_says_so_when_there_are_none() {
    let none = |format: &str| {
        ok(run(bin("list-tables")
            .args(["--target", "prod", "--output", format])
            .env("AWS_ENDPOINT_URL_DYNAMODB", cognito_url())
            .env("AWS_REGION", "ap-southeast-4")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")))
    };
    let said = format!("no tables on DynamoDB at {} (prod)", cognito_url());
    let table = none("table");
    assert_eq!(stdout(&table), "");
    assert!(stderr(&table).contains(&said), "{}", stderr(&table));
    let json = none("json");
    assert_eq!(stdout(&json).trim(), "[]");
    assert!(stderr(&json).contains(&said), "{}", stderr(&json));
}

#[test]
fn drop_deletes_a_local_table_and_waits() {
    // The shipped schema turns deletion protection on: drop turns it off only when told to.
    let table = TestTable::created();
    let out = ok(run(
        bin("drop").args([&table.name, "--disable-deletion-protection"])
    ));
    assert!(
        stderr(&out).contains("dropped") && stderr(&out).contains("turned off first"),
        "{}",
        stderr(&out)
    );
    assert!(!table_names().contains(&table.name));
}

#[test]
fn drop_of_a_missing_table_names_it() {
    let name = unique("missing");
    let err = fails(run(bin("drop").arg(&name)));
    assert!(
        err.contains(&name) && err.contains("local") && err.contains("--if-exists"),
        "{err}"
    );
    ok(run(bin("drop").args([&name, "--if-exists"])));
}

#[test]
fn drop_on_prod_refuses_without_a_terminal_or_yes() {
    let table = TestTable::created();
    let err = fails(run(prod_pointed_at_local(&mut bin("drop"))
        .args([&table.name, "prod"])
        .stdin(Stdio::null())));
    assert!(err.contains("--yes") && err.contains("prod"), "{err}");
    assert!(
        table_names().contains(&table.name),
        "the table must survive"
    );

    // Turning deletion protection off is confirmed too: no terminal, no --yes, refused.
    let err = fails(run(prod_pointed_at_local(&mut bin("drop"))
        .args([&table.name, "prod", "--disable-deletion-protection"])
        .stdin(Stdio::null())));
    assert!(
        err.contains("turn off the deletion protection") && err.contains("--yes"),
        "{err}"
    );
    assert!(table_names().contains(&table.name));

    // Prod takes a backup first; DynamoDB Local has none: refused, the table survives.
    let err = fails(run(prod_pointed_at_local(&mut bin("drop"))
        .args([
            &table.name,
            "--target",
            "prod",
            "--yes",
            "--disable-deletion-protection",
        ])
        .stdin(Stdio::null())));
    assert!(err.contains("--no-backup goes on without one"), "{err}");
    assert!(table_names().contains(&table.name));

    ok(run(prod_pointed_at_local(&mut bin("drop"))
        .args([
            &table.name,
            "--target",
            "prod",
            "--yes",
            "--no-backup",
            "--disable-deletion-protection",
        ])
        .stdin(Stdio::null())));
    assert!(!table_names().contains(&table.name));
}

async fn fill(table: &str, count: usize, message_len: usize) -> BTreeSet<String> {
    let ctx = local_context(table).await;
    let text = "x".repeat(message_len);
    let mut keys = BTreeSet::new();
    let items: Vec<Item> = (0..count)
        .map(|i| {
            let pk = format!("MSG#{}", uuid::Uuid::new_v4());
            keys.insert(pk.clone());
            [
                ("pk".to_string(), s(pk)),
                (
                    "sk".to_string(),
                    s(format!("2026-01-01T00:00:00.{i:06}+00:00")),
                ),
                ("message".to_string(), s(text.clone())),
            ]
            .into()
        })
        .collect();
    for chunk in items.chunks(25) {
        let requests = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let out = ctx
            .dynamodb()
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
    keys
}

fn scanned_keys(args: &[&str]) -> Vec<String> {
    let out = ok(run(bin("scan").args(args).args(["--output", "jsonl"])));
    stdout(&out)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("each line is JSON");
            v["pk"].as_str().expect("plain string pk").to_string()
        })
        .collect()
}

#[tokio::test]
async fn scan_reads_every_page_and_segments_agree() {
    let table = TestTable::created();
    // 600 items of ~4 KB: about 2.4 MB, three or more 1 MB pages.
    let keys = fill(&table.name, 600, 4000).await;

    let one = scanned_keys(&["--table", &table.name]);
    assert_eq!(one.len(), 600);
    assert_eq!(one.iter().cloned().collect::<BTreeSet<_>>(), keys);

    let four = scanned_keys(&["--table", &table.name, "--segments", "4"]);
    assert_eq!(four.len(), 600);
    assert_eq!(four.into_iter().collect::<BTreeSet<_>>(), keys);

    let limited = scanned_keys(&["--table", &table.name, "--limit", "7"]);
    assert_eq!(limited.len(), 7);

    let out = ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--output",
        "json",
        "--raw",
        "--limit",
        "3",
    ])));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).expect("one JSON array");
    assert_eq!(items.len(), 3);
    assert!(items[0]["pk"]["S"].as_str().unwrap().starts_with("MSG#"));
}

#[tokio::test]
async fn scan_piped_prints_json_lines_and_stops_quietly_when_the_pipe_closes() {
    let table = TestTable::created();
    // 400 items of ~4 KB: 1.6 MB of output, far more than a pipe holds.
    fill(&table.name, 400, 4000).await;

    // Without --output and piped: one plain JSON object per line, a summary on stderr.
    let out = ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--limit",
        "5",
    ])));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|v| v["pk"].is_string()), "{lines:?}");
    assert!(stderr(&out).contains("scanned 5 items"), "{}", stderr(&out));

    // `scan | head -1`: the reader goes away after one line.
    let mut child = bin("scan")
        .args(["--table", &table.name])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning scan");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is dropped here: the pipe is closed with most of the output unwritten.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing on stderr after a closed pipe");
}

#[test]
fn scan_of_a_missing_table_is_a_clear_error() {
    let name = unique("missing");
    let err = fails(run(bin("scan").args(["--table", &name])));
    assert!(
        err.contains(&name) && err.contains("ResourceNotFound"),
        "{err}"
    );
}

#[test]
fn a_bad_target_word_names_both_choices() {
    for tool in ["list-tables", "scan", "schema-load"] {
        let err = fails(run(bin(tool).arg("production")));
        assert!(
            err.contains("local") && err.contains("prod"),
            "{tool}: {err}"
        );
    }
    let err = fails(run(bin("drop").args(["some-table", "staging"])));
    assert!(err.contains("local") && err.contains("prod"), "{err}");
}

#[test]
fn a_dead_endpoint_fails_fast_and_says_where() {
    let started = Instant::now();
    let err = fails(run(
        bin("list-tables").env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    ));
    assert!(
        err.contains("http://127.0.0.1:9") && err.contains("just up"),
        "{err}"
    );
    // Generous bound: the point is "no retry storm", not speed.
    assert!(
        started.elapsed().as_secs() < 15,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn prod_errors_name_the_endpoint_the_sdk_resolved() {
    // AWS_ENDPOINT_URL_DYNAMODB is read by the SDK itself on prod; the error names it.
    let err = fails(run(prod_pointed_at_local(&mut bin("list-tables"))
        .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
        .arg("prod")));
    assert!(
        err.contains("listing tables on DynamoDB at http://127.0.0.1:9 (prod)"),
        "{err}"
    );
    // No override: the service and region. No credentials either (and no instance metadata), so
    // the request fails before anything is sent.
    let err = fails(run(bin("list-tables")
        .arg("prod")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")));
    assert!(
        err.contains("listing tables on DynamoDB (prod, region eu-west-3)"),
        "{err}"
    );
}

#[test]
fn prod_without_a_region_is_a_clear_error() {
    let err = fails(run(bin("list-tables")
        .arg("prod")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")));
    assert!(err.contains("region"), "{err}");
}

#[test]
fn help_has_examples() {
    for tool in ["list-tables", "scan", "schema-load", "drop"] {
        let out = ok(run(bin(tool).arg("--help")));
        assert!(stdout(&out).contains("Examples:"), "{tool}");
    }
}
