//! What `seed` must never do: delete or overwrite what it did not write (messages sent with
//! `send-message`), leave two copies when two seeds of a group run at once, or write into a table
//! whose keys are not the messages table's; and the lease lock behind "one seed at a time": its
//! holder learns at once when the lock item is taken over or deleted.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use cruddur_ops::ddb::item::{get_s, s, Item};
use cruddur_ops::ddb::lock::{self, Lost, LostLock, LOCK_PREFIX, LOCK_SK};
use cruddur_ops::model::keys::{key, DEFAULT_GROUP};
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

/// A lease renewed every second, with two seconds to spare for a slow answer on a loaded machine
/// (a renewal unanswered when the lease ends loses the lease, which these tests do not mean).
const SHORT_LEASE: std::time::Duration = std::time::Duration::from_secs(3);

/// The bound on waiting for a holder to learn that its lock is lost (a renewal comes every
/// third of [`SHORT_LEASE`]; this only keeps a broken build from hanging).
const LEARN_BOUND: std::time::Duration = std::time::Duration::from_secs(60);

/// The lock item of `name` in the table, if any.
async fn lock_item(ctx: &cruddur_ops::context::Context, name: &str) -> Option<Item> {
    ctx.dynamodb()
        .get_item()
        .table_name(ctx.table())
        .set_key(Some(key(format!("{LOCK_PREFIX}{name}"), LOCK_SK)))
        .consistent_read(true)
        .send()
        .await
        .expect("get the lock item")
        .item
}

/// A new table, a context on it, and a lock of a new name held there with [`SHORT_LEASE`].
async fn held_lock() -> (
    TestTable,
    cruddur_ops::context::Context,
    String,
    lock::Lease,
) {
    let table = TestTable::created();
    let ctx = local_context(&table.name).await;
    let name = unique("lock");
    let lease = lock::acquire(&ctx, &table.name, &name, "the test", SHORT_LEASE)
        .await
        .expect("take the lock");
    (table, ctx, name, lease)
}

/// What the holder of `lease` learns while it works (its work never ends by itself).
async fn learned(lease: &lock::Lease) -> anyhow::Error {
    tokio::time::timeout(
        LEARN_BOUND,
        lease.guard(std::future::pending::<anyhow::Result<()>>()),
    )
    .await
    .expect("the holder learns that its lock is lost")
    .expect_err("work under a lost lock fails")
}

#[tokio::test]
async fn a_lock_taken_over_stops_its_holder_naming_the_new_one_whose_item_stays() {
    let (table, ctx, name, lease) = held_lock().await;
    assert_eq!(
        lease.guard(async { Ok(7) }).await.unwrap(),
        7,
        "work done under a held lock"
    );
    // Another run puts its own lock item in place, as if our lease had ended.
    let mut theirs = key(format!("{LOCK_PREFIX}{name}"), LOCK_SK);
    theirs.insert(lock::TOKEN.into(), s("their token"));
    theirs.insert(lock::HOLDER.into(), s("the other run"));
    theirs.insert(
        lock::EXPIRES_AT.into(),
        AttributeValue::N(u64::MAX.to_string()),
    );
    ctx.dynamodb()
        .put_item()
        .table_name(&table.name)
        .set_item(Some(theirs))
        .send()
        .await
        .expect("put the other run's lock item");

    let err = learned(&lease).await;
    let lost = err.downcast_ref::<LostLock>().expect("a LostLock");
    assert!(
        matches!(lost.why(), Lost::TakenOver { holder } if holder == "the other run"),
        "{err:#}"
    );
    assert!(
        format!("{err:#}").contains("taken over by the other run"),
        "{err:#}"
    );
    assert!(lease.check().is_err(), "check() says so too");
    let err = lease.release().await.expect_err("releasing a lost lock");
    assert!(err.downcast_ref::<LostLock>().is_some(), "{err:#}");
    let item = lock_item(&ctx, &name).await.expect("their lock item");
    assert_eq!(get_s(&item, lock::HOLDER).unwrap(), "the other run");
}

#[tokio::test]
async fn a_deleted_lock_stops_its_holder() {
    let (table, ctx, name, lease) = held_lock().await;
    assert!(lock_item(&ctx, &name).await.is_some());
    ctx.dynamodb()
        .delete_item()
        .table_name(&table.name)
        .set_key(Some(key(format!("{LOCK_PREFIX}{name}"), LOCK_SK)))
        .send()
        .await
        .expect("delete the lock item");

    let err = learned(&lease).await;
    let lost = err.downcast_ref::<LostLock>().expect("a LostLock");
    assert!(matches!(lost.why(), Lost::Deleted), "{err:#}");
    assert!(
        format!("{err:#}").contains("its item was deleted"),
        "{err:#}"
    );
    assert!(lease.release().await.is_err());
    assert!(
        lock_item(&ctx, &name).await.is_none(),
        "nothing recreated it"
    );
}
