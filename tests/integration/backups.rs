//! Backups and restores (issue 34), against moto's DynamoDB with the prod code path (the stack's
//! moto server serves DynamoDB on its port too): `drop prod` leaves an AVAILABLE backup,
//! `restore` brings every item back with the schema file's settings and `--verify` finds a
//! changed item by key, a point-in-time restore does the same, `schema-load --apply` backs up
//! before an index rebuild; every refusal changes nothing; DynamoDB Local says it has none.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use cruddur_ops::context::Context;
use cruddur_ops::ddb::item::to_typed_json;
use cruddur_ops::ddb::scan::{scan_pages, ScanOptions};
use cruddur_ops::ddb::table::describe;
use serde_json::{json, Value};

use crate::common::*;
use crate::schema_migrations::{fill, ttl, Schemas};

/// Items in a backed-up table: 20 BatchWriteItem calls' worth, so that a restore writes many
/// batches. moto spends about 8 ms of CPU per item read or written, and each test moves them
/// half a dozen times (with 2,000 items the module took 16 to 24 s of CPU, most of it moto's).
const ITEMS: usize = 500;

/// The shipped schema with TTL on `expires_at` too.
fn schema_with_ttl(files: &Schemas) -> std::path::PathBuf {
    let mut schema = Schemas::shipped();
    schema["TimeToLiveSpecification"] = json!({"AttributeName": "expires_at", "Enabled": true});
    files.write(&schema)
}

/// A table on moto made from [`schema_with_ttl`] and filled with [`ITEMS`] items.
struct Filled {
    table: MotoTable,
    schema: std::path::PathBuf,
    ctx: Context,
    /// Holds the schema file.
    _files: Schemas,
}

impl Filled {
    async fn new(prefix: &str) -> Filled {
        let table = MotoTable(unique(prefix));
        let files = Schemas::new();
        let schema = schema_with_ttl(&files);
        let ctx = moto_context().await;
        ok(table.schema_load(&schema, &[]));
        fill(&ctx, &table.0, ITEMS, 5).await;
        Filled {
            table,
            schema,
            ctx,
            _files: files,
        }
    }
}

/// Every item of `table`, typed JSON by `pk|sk`.
async fn items(ctx: &Context, table: &str) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    scan_pages(ctx, table, ScanOptions::default(), |page| {
        for item in page {
            let key = |name: &str| match item.get(name) {
                Some(AttributeValue::S(s)) => s.clone(),
                other => panic!("{name}: {other:?}"),
            };
            found.insert(format!("{}|{}", key("pk"), key("sk")), to_typed_json(item));
        }
        Ok(())
    })
    .await
    .unwrap();
    found
}

/// The backup ARN in a tool's stderr.
fn arn_in(text: &str) -> String {
    let at = text
        .find("arn:aws:dynamodb:")
        .unwrap_or_else(|| panic!("no ARN in: {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == ')' || c == '`')
        .next()
        .unwrap()
        .to_string()
}

/// The backups of `table` on moto, by ARN.
async fn backups_of(ctx: &Context, table: &str) -> Vec<String> {
    ctx.dynamodb()
        .list_backups()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .backup_summaries()
        .iter()
        .filter_map(|b| b.backup_arn().map(str::to_string))
        .collect()
}

/// The settings a restore drops, as the restored table has them: stream view, TTL attribute,
/// deletion protection.
async fn settings(ctx: &Context, table: &str) -> (Option<String>, Option<String>, Option<bool>) {
    let desc = describe(ctx, table).await.unwrap().unwrap();
    let stream = desc
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .map(|v| v.as_str().to_string());
    let (status, attribute) = ttl(ctx, table).await;
    let ttl = attribute.filter(|_| status == "ENABLED");
    (stream, ttl, desc.deletion_protection_enabled())
}

fn restore(args: &[&str], schema: &Path) -> std::process::Output {
    run(prod_on_moto("restore")
        .args(args)
        .arg("--schema")
        .arg(schema)
        .args(["--yes", "--output", "json"]))
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_leaves_a_backup_that_restore_brings_back_item_by_item_with_its_settings() {
    let Filled {
        table,
        schema,
        ctx,
        _files,
    } = Filled::new("test-backup").await;
    let before = items(&ctx, &table.0).await;
    assert_eq!(before.len(), ITEMS);

    let out = ok(run(prod_on_moto("drop").args([
        &table.0,
        "--yes",
        "--disable-deletion-protection",
    ])));
    let text = stderr(&out);
    assert!(text.contains("is AVAILABLE"), "{text}");
    let arn = arn_in(&text);
    assert!(describe(&ctx, &table.0).await.unwrap().is_none(), "dropped");
    let backup = ctx
        .dynamodb()
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    let details = backup
        .backup_description()
        .unwrap()
        .backup_details()
        .unwrap();
    assert_eq!(details.backup_status().as_str(), "AVAILABLE");
    assert!(details.backup_name().starts_with(&format!("{}-", table.0)));

    // Restored: the same items, the file's stream, TTL and deletion protection.
    let first = MotoTable(unique("test-restored"));
    let out = ok(restore(&["--from-backup", &arn, "--to", &first.0], &schema));
    let restored = report(&out);
    assert_eq!(restored["items"], ITEMS, "{restored}");
    assert_eq!(restored["expected_items"], ITEMS, "{restored}");
    assert_eq!(items(&ctx, &first.0).await, before, "item by item");
    assert_eq!(
        settings(&ctx, &first.0).await,
        (
            Some("NEW_IMAGE".into()),
            Some("expires_at".into()),
            Some(true)
        )
    );
    let set = restored["settings"].to_string();
    assert!(
        set.contains("stream") && set.contains("expires_at"),
        "{set}"
    );

    // --verify against the first restore (the backup's table is gone): no difference.
    let second = MotoTable(unique("test-restored"));
    let out = ok(restore(
        &[
            "--from-backup",
            &arn,
            "--to",
            &second.0,
            "--verify",
            "--verify-against",
            &first.0,
        ],
        &schema,
    ));
    let verified = report(&out);
    assert_eq!(verified["verify"]["differences"], 0, "{verified}");
    assert_eq!(verified["verify"]["source_items"], ITEMS, "{verified}");
    assert_eq!(verified["verify"]["restored_items"], ITEMS, "{verified}");

    // One item changed: reported by its key, and the run fails.
    let (changed, item) = before.iter().nth(17).unwrap();
    let mut item = cruddur_ops::ddb::item::item_from_typed_json(item).unwrap();
    item.insert("message".into(), AttributeValue::S("changed".into()));
    ctx.dynamodb()
        .put_item()
        .table_name(&first.0)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let third = MotoTable(unique("test-restored"));
    let out = restore(
        &[
            "--from-backup",
            &arn,
            "--to",
            &third.0,
            "--verify",
            "--verify-against",
            &first.0,
        ],
        &schema,
    );
    let err = fails(out.clone());
    assert!(err.contains("1 items differ"), "{err}");
    let verified = report(&out);
    assert_eq!(verified["verify"]["differences"], 1, "{verified}");
    let listed = &verified["verify"]["listed"][0];
    let (pk, sk) = changed.split_once('|').unwrap();
    assert_eq!(listed["key"], format!("pk={pk},sk={sk}"), "{verified}");
    assert_eq!(listed["kind"], "changed", "{verified}");

    ok(run(
        prod_on_moto("backups").args(["--delete", &arn, "--yes"])
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_point_in_time_restore_to_latest_brings_back_every_item_with_its_settings() {
    let Filled {
        table,
        schema,
        ctx,
        _files,
    } = Filled::new("test-pitr").await;
    let restored = MotoTable(unique("test-restored"));
    let out = ok(restore(
        &[
            "--source",
            &table.0,
            "--to-time",
            "latest",
            "--to",
            &restored.0,
            "--verify",
        ],
        &schema,
    ));
    let report = report(&out);
    assert_eq!(report["verify"]["differences"], 0, "{report}");
    assert_eq!(report["verify"]["compared_with"], table.0.as_str());
    assert_eq!(report["verify"]["restored_items"], ITEMS, "{report}");
    assert_eq!(items(&ctx, &restored.0).await, items(&ctx, &table.0).await);
    assert_eq!(
        settings(&ctx, &restored.0).await,
        (
            Some("NEW_IMAGE".into()),
            Some("expires_at".into()),
            Some(true)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_load_backs_up_before_an_index_rebuild_unless_told_not_to() {
    let table = MotoTable(unique("test-rebuild"));
    let files = Schemas::new();
    let ctx = moto_context().await;
    let schema_load = |file: &Path, args: &[&str]| table.schema_load(file, args);
    let shipped = files.write(&Schemas::shipped());
    ok(schema_load(&shipped, &[]));
    fill(&ctx, &table.0, 50, 5).await;
    let mut keys_only = Schemas::shipped();
    keys_only["GlobalSecondaryIndexes"][0]["Projection"] = json!({"ProjectionType": "KEYS_ONLY"});
    let keys_only = files.write(&keys_only);

    let out = ok(schema_load(
        &keys_only,
        &["--apply", "--yes", "--allow-index-rebuild"],
    ));
    let text = stderr(&out);
    let backup_at = text
        .find("before step 1: backup ")
        .unwrap_or_else(|| panic!("{text}"));
    let step_at = text.find("step 1/").unwrap_or_else(|| panic!("{text}"));
    assert!(backup_at < step_at, "the backup comes first: {text}");
    let arn = arn_in(&text);
    assert_eq!(backups_of(&ctx, &table.0).await, std::slice::from_ref(&arn));

    // Back to ALL without a backup: none taken, and it says so.
    let out = ok(schema_load(
        &shipped,
        &["--apply", "--yes", "--allow-index-rebuild", "--no-backup"],
    ));
    let text = stderr(&out);
    assert!(text.contains("--no-backup"), "{text}");
    assert_eq!(backups_of(&ctx, &table.0).await, std::slice::from_ref(&arn));
    ok(run(
        prod_on_moto("backups").args(["--delete", &arn, "--yes"])
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_restores_are_refused_with_a_reason_and_change_nothing() {
    let table = MotoTable(unique("test-refused"));
    let files = Schemas::new();
    let mut no_pitr = Schemas::shipped();
    no_pitr["PointInTimeRecoverySpecification"] = json!({"PointInTimeRecoveryEnabled": false});
    let no_pitr = files.write(&no_pitr);
    let ctx = moto_context().await;
    ok(run(prod_on_moto("schema-load")
        .args(["--table", &table.0, "--schema"])
        .arg(&no_pitr)));
    let out = ok(run(prod_on_moto("backups").args(["--table", &table.0])));
    assert!(stdout(&out).is_empty(), "no backups yet");
    let to = MotoTable(unique("test-never"));
    let refused = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--to", &to.0]);
        fails(restore(&all, &no_pitr))
    };

    let missing = "arn:aws:dynamodb:us-east-1:123456789012:table/x/backup/01700000000000-0000abcd";
    let err = refused(&["--from-backup", missing]);
    assert!(err.contains(&format!("no backup {missing}")), "{err}");
    let foreign = "arn:aws:dynamodb:eu-west-3:999999999999:table/x/backup/01700000000000-0000abcd";
    let err = refused(&["--from-backup", foreign]);
    assert!(err.contains("another account or region"), "{err}");
    let err = refused(&["--from-backup", "no-such-backup-name"]);
    assert!(err.contains("no backup named no-such-backup-name"), "{err}");
    let err = refused(&["--source", &table.0, "--to-time", "latest"]);
    assert!(err.contains("point-in-time recovery off"), "{err}");

    // An existing target: refused before anything.
    let backup = ctx
        .dynamodb()
        .create_backup()
        .table_name(&table.0)
        .backup_name("refusal-check")
        .send()
        .await
        .unwrap();
    let arn = backup.backup_details().unwrap().backup_arn().to_string();
    let err = fails(restore(
        &["--from-backup", &arn, "--to", &table.0],
        &no_pitr,
    ));
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");

    assert!(
        describe(&ctx, &to.0).await.unwrap().is_none(),
        "no table made"
    );
    assert_eq!(
        backups_of(&ctx, &table.0).await,
        std::slice::from_ref(&arn),
        "no backup made"
    );
    ok(run(
        prod_on_moto("backups").args(["--delete", &arn, "--yes"])
    ));
    let err = fails(run(
        prod_on_moto("backups").args(["--delete", &arn, "--yes"])
    ));
    assert!(err.contains("nothing was deleted"), "{err}");
}

#[test]
fn dynamodb_local_says_it_has_no_backups_and_names_the_moto_rehearsal() {
    let table = TestTable::created();
    let rehearsal = format!("AWS_ENDPOINT_URL_DYNAMODB={}", cognito_url());
    let arn = format!(
        "arn:aws:dynamodb:ddblocal:000000000000:table/{}/backup/01700000000000-0000abcd",
        table.name
    );
    let to = unique("test-never");
    for args in [
        vec!["backups", "--table", &table.name],
        vec!["backups", "--delete", &arn],
        vec!["restore", "--from-backup", &arn, "--to", &to],
        vec!["restore", "--from-backup", "some-name", "--to", &to],
        vec!["restore", "--from-backup", &arn, "--to", &table.name],
        vec![
            "restore",
            "--source",
            &table.name,
            "--to-time",
            "latest",
            "--to",
            &to,
        ],
    ] {
        let err = fails(run(bin(args[0]).args(&args[1..])));
        assert!(
            err.contains("not supported on DynamoDB Local"),
            "{args:?}: {err}"
        );
        assert!(err.contains(&rehearsal), "{args:?}: {err}");
    }
    let out = ok(run(
        bin("drop").args([&table.name, "--disable-deletion-protection"])
    ));
    let text = stderr(&out);
    assert_eq!(
        text.matches("no backup of table").count(),
        1,
        "said once: {text}"
    );
    assert!(text.contains("the local target takes none"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_outlasts_its_wait_timeout_says_so_and_sets_nothing() {
    use crate::servers::{free_port, PythonServer};
    let table = MotoTable(unique("test-timeout"));
    let files = Schemas::new();
    let schema = files.write(&Schemas::shipped());
    let ctx = moto_context().await;
    ok(run(prod_on_moto("schema-load")
        .args(["--table", &table.0, "--schema"])
        .arg(&schema)));
    let backup = ctx
        .dynamodb()
        .create_backup()
        .table_name(&table.0)
        .backup_name(format!("{}-b", table.0))
        .send()
        .await
        .unwrap();
    let arn = backup.backup_details().unwrap().backup_arn().to_string();

    // Through a front whose restored table stays CREATING.
    let port = free_port();
    let _front = PythonServer::start(
        include_str!("creating_front.py"),
        &[port.to_string(), cognito_url(), "slow-restore".into()],
    );
    let to = MotoTable(unique("test-slow-restore"));
    let err = fails(run(prod_on_moto("restore")
        .args(["--from-backup", &arn, "--to", &to.0, "--yes"])
        .args(["--wait-timeout", "2", "--schema"])
        .arg(&schema)
        .env(
            "AWS_ENDPOINT_URL_DYNAMODB",
            format!("http://127.0.0.1:{port}"),
        )));
    assert!(
        err.contains(&format!(
            "table {} is still CREATING after 2 s (--wait-timeout)",
            to.0
        )),
        "{err}"
    );
    assert!(err.contains("nothing else was done"), "{err}");
    // None of the schema file's settings was set on the table DynamoDB goes on restoring.
    let (stream, _, protection) = settings(&ctx, &to.0).await;
    assert_eq!(stream, None);
    assert_ne!(protection, Some(true));
    ok(run(
        prod_on_moto("backups").args(["--delete", &arn, "--yes"])
    ));
}
