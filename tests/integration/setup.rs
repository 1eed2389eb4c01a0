//! The `just setup` chain (ending with `check`), run twice on its own database, pool and table: the same data both times.

use serde_json::Value;

use crate::common::*;

/// Runs the steps of `just setup` (after `up` and `build`) and returns the summary and the
/// table's items as plain JSON.
fn setup(table: &TestTable, db: &TestDb, pool: &TestPool) -> (Value, Vec<Value>) {
    let pool_args = ["--pool-name", pool.name.as_str()];
    ok(run(bin("db-setup")
        .arg("local")
        .env("CONNECTION_URL", &db.url)));
    ok(run(bin("cognito-setup")
        .arg("local")
        .args(pool_args)
        .env("CONNECTION_URL", &db.url)));
    ok(run(bin("update-cognito-user-ids")
        .arg("local")
        .args(pool_args)
        .env("CONNECTION_URL", &db.url)));
    // As `just setup`: the shipped schema turns deletion protection on, so the drop turns it off.
    ok(run(bin("drop").args([
        &table.name,
        "local",
        "--if-exists",
        "--disable-deletion-protection",
    ])));
    ok(run(bin("schema-load").args([
        "local",
        "--table",
        &table.name,
    ])));
    ok(run(tool("seed", table, db).arg("local")));
    let summary = ok(run(tool("summary", table, db)
        .args(["local", "--output", "json"])
        .args(pool_args)));
    // `just setup` ends with `check`: the stores it built agree
    ok(run(tool("check", table, db).arg("local").args(pool_args)));
    let items = ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--output",
        "jsonl",
    ])));
    (
        serde_json::from_slice(&summary.stdout).expect("summary JSON"),
        stdout(&items)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect(),
    )
}

/// What must not change between two runs: every message's sender and text, and every
/// conversation row's other participant and last message (uuids and times do change).
fn content(items: &[Value]) -> Vec<String> {
    let mut rows: Vec<String> = items
        .iter()
        .map(|i| {
            let kind = &i["pk"].as_str().expect("pk")[..4];
            format!("{kind} {} {}", i["user_handle"], i["message"])
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_twice_leaves_the_same_data() {
    let table = TestTable::new();
    let db = TestDb::new();
    let pool = TestPool::named();

    let (first, first_items) = tokio::task::block_in_place(|| setup(&table, &db, &pool));
    let (second, second_items) = tokio::task::block_in_place(|| setup(&table, &db, &pool));

    let users = first["postgres"]["users"].as_i64().expect("a user count");
    assert!(users >= 2, "{first}");
    assert_eq!(first["postgres"]["users_with_cognito_id"], users, "{first}");
    assert_eq!(first["cognito"]["users"], users, "{first}");
    let messages = first["dynamodb"]["messages"]
        .as_u64()
        .expect("a message count");
    assert!(messages >= 60, "{first}");
    assert_eq!(first["dynamodb"]["conversations"], 2, "{first}");
    assert_eq!(first_items.len() as u64, messages + 2);

    assert_eq!(first["postgres"], second["postgres"]);
    assert_eq!(first["cognito"], second["cognito"]);
    assert_eq!(first["dynamodb"], second["dynamodb"]);
    assert_eq!(content(&first_items), content(&second_items));
}
