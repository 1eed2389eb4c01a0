//! What `seed` must never do: delete or overwrite what it did not write (messages sent with
//! `send-message`), leave two copies when two seeds of a group run at once, or write into a table
//! whose keys are not the messages table's.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use cruddur_ops::ddb::item::{get_s, Item};
use cruddur_ops::model::keys::DEFAULT_GROUP;
use serde_json::Value;

use crate::common::*;

const NOW: &str = "2026-11-22T10:00:00+00:00";
const LATER: &str = "2026-11-25T08:30:00+00:00";

/// Every item of the table (all scan pages).
pub(crate) fn items(table: &str) -> Vec<Item> {
    block_on(async {
        let ctx = local_context(table).await;
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = ctx
                .dynamodb()
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return items,
            }
        }
    })
}

fn pk_starts(items: &[Item], prefix: &str) -> usize {
    items
        .iter()
        .filter(|i| get_s(i, "pk").unwrap().starts_with(prefix))
        .count()
}

fn send(table: &TestTable, db: &TestDb, from: &str, text: &str) -> String {
    let out = ok(run(tool("send-message", table, db).args([
        "--from",
        from,
        "--group",
        DEFAULT_GROUP,
        "--output",
        "json",
        text,
    ])));
    let sent: Value = serde_json::from_slice(&out.stdout).expect("send-message JSON");
    sent.to_string()
}

fn texts(items: &[Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|i| get_s(i, "message").ok())
        .map(str::to_string)
        .collect()
}

/// The items whose message is one of `texts`, each whole (every attribute and its value).
fn whole_items(items: &[Item], texts: &[&str]) -> BTreeSet<Vec<(String, String)>> {
    items
        .iter()
        .filter(|i| texts.contains(&get_s(i, "message").unwrap_or("")))
        .map(|i| {
            let mut kv: Vec<(String, String)> = i
                .iter()
                .map(|(k, v)| (k.clone(), format!("{v:?}")))
                .collect();
            kv.sort();
            kv
        })
        .collect()
}

#[test]
fn a_reseed_keeps_messages_the_app_wrote() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let seeded = items(&table.name);
    let expected_seeded = seeded.len();
    let app = ["app message one ☕", "app message two", "app message three"];
    send(&table, &db, "bayko", app[0]);
    send(&table, &db, "everlygrandest", app[1]);
    send(&table, &db, "bayko", app[2]);
    let with_app = items(&table.name);
    assert_eq!(with_app.len(), expected_seeded + app.len());
    let app_items = whole_items(&with_app, &app);
    assert_eq!(app_items.len(), app.len());

    for now in [NOW, LATER, NOW] {
        ok(run(tool("seed", &table, &db).args(["--now", now])));
        let after = items(&table.name);
        assert_eq!(
            after.len(),
            expected_seeded + app.len(),
            "after --now {now}"
        );
        let kept = whole_items(&after, &app);
        assert_eq!(
            kept, app_items,
            "the app's messages, untouched, after --now {now}"
        );
        assert_eq!(pk_starts(&after, "GRP#"), 2);
        assert_eq!(pk_starts(&after, "LOCK#"), 0, "the seed lock is released");
        assert_eq!(texts(&after), texts(&with_app));
    }
}

#[test]
fn a_conversation_row_carrying_an_app_message_survives_a_reseed() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    send(&table, &db, "bayko", "the newest word");
    // Move both conversation rows to the app's message: the stream processor's job.
    let mut follower = tool("messaging-stream", &table, &db)
        .args(["--follow", "--from-start"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the follower");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let moved = loop {
        let rows = items(&table.name);
        let moved = rows
            .iter()
            .filter(|i| get_s(i, "pk").unwrap().starts_with("GRP#"))
            .all(|i| get_s(i, "message").unwrap() == "the newest word");
        if moved || std::time::Instant::now() > deadline {
            break moved;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let _ = follower.kill();
    let _ = follower.wait();
    assert!(moved, "the follower moved the rows to the app's message");
    let before = items(&table.name);
    let rows: Vec<&Item> = before
        .iter()
        .filter(|i| get_s(i, "pk").unwrap().starts_with("GRP#"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| get_s(r, "message").unwrap() == "the newest word"));

    for now in [NOW, LATER] {
        ok(run(tool("seed", &table, &db).args(["--now", now])));
        let after = items(&table.name);
        let rows: Vec<&Item> = after
            .iter()
            .filter(|i| get_s(i, "pk").unwrap().starts_with("GRP#"))
            .collect();
        assert_eq!(rows.len(), 2, "one row per participant after --now {now}");
        assert!(
            rows.iter()
                .all(|r| get_s(r, "message").unwrap() == "the newest word"),
            "the rows carrying the app's message are kept"
        );
        assert_eq!(after.len(), before.len());
    }
}

#[test]
fn two_seeds_of_one_group_at_once_leave_one_copy() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let messages = 500;
    let spawn = |now: &str| {
        tool("seed", &table, &db)
            .args(["--messages", &messages.to_string(), "--now", now])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start seed")
    };
    let (a, b) = (spawn(NOW), spawn(LATER));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let all = items(&table.name);
    assert_eq!(
        pk_starts(&all, "MSG#"),
        messages,
        "one copy of the messages\nA: {}\nB: {}",
        stderr(&a),
        stderr(&b)
    );
    assert_eq!(pk_starts(&all, "GRP#"), 2);
    assert_eq!(pk_starts(&all, "LOCK#"), 0);
    assert!(a.status.success() || b.status.success());
    for out in [&a, &b] {
        if !out.status.success() {
            let err = stderr(out);
            assert!(
                err.contains("locked") && err.contains("another run"),
                "{err}"
            );
        }
    }
    // Whichever won, a third seed afterwards takes the lock and leaves one copy too.
    ok(run(tool("seed", &table, &db).args([
        "--messages",
        &messages.to_string(),
        "--now",
        NOW,
    ])));
    let all = items(&table.name);
    assert_eq!(all.len(), messages + 2);
}

/// A table with `pk` (S) as its only key.
struct PkOnlyTable(TestTable);

impl PkOnlyTable {
    fn create() -> PkOnlyTable {
        let table = TestTable::new();
        block_on(async {
            let ctx = local_context(&table.name).await;
            ctx.dynamodb()
                .create_table()
                .table_name(&table.name)
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("pk")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("pk")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("create the pk-only table");
        });
        PkOnlyTable(table)
    }
}

#[test]
fn writers_refuse_a_table_with_other_keys() {
    let table = PkOnlyTable::create();
    let db = block_on(TestDb::seeded());
    let err = fails(run(tool("seed", &table.0, &db).args(["--now", NOW])));
    assert!(
        err.contains(&table.0.name) && err.contains("no RANGE key") && err.contains("pk HASH S"),
        "{err}"
    );
    let err = fails(run(tool("send-message", &table.0, &db).args([
        "--from",
        "bayko",
        "--to",
        "everlygrandest",
        "hello",
    ])));
    assert!(err.contains("no RANGE key"), "{err}");
    assert!(items(&table.0.name).is_empty(), "nothing was written");
}
