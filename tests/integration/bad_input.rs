//! Bad input, as one table: every case runs a tool on the test's own table, database and user
//! pool, and asserts a non-zero exit (no panic), an error that names the problem, and that nothing
//! was written: the three stores are compared before and after every case.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::common::*;

/// What a case must end with.
enum Outcome {
    /// A non-zero exit.
    Fails,
    /// Exit 0 with a report naming the problem (and still nothing written).
    Reports,
}

struct Case {
    name: &'static str,
    cmd: Command,
    /// Words the error (or report) must contain.
    expect: Vec<String>,
    outcome: Outcome,
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn fail(name: &'static str, cmd: Command, expect: &[&str]) -> Case {
    Case {
        name,
        cmd,
        expect: words(expect),
        outcome: Outcome::Fails,
    }
}

/// A scratch directory for input files, removed when the guard goes.
struct Files(PathBuf);

impl Files {
    fn new() -> Files {
        let dir = std::env::temp_dir().join(unique("bad-input"));
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything the three stores hold, as comparable text.
fn snapshot(
    table: &TestTable,
    db: &TestDb,
    pool: &TestPool,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut items: Vec<String> = stdout(&ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--raw",
        "--output",
        "jsonl",
    ]))))
    .lines()
    .map(str::to_string)
    .collect();
    items.sort();
    let rows = block_on(async {
        let client = db.client().await;
        let mut rows: Vec<String> = client
            .query(
                "SELECT handle, display_name, email, cognito_user_id, uuid::text FROM users",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let cols: Vec<String> = (0..5).map(|i| r.get::<_, String>(i)).collect();
                cols.join("|")
            })
            .collect();
        let activities: i64 = client
            .query_one("SELECT count(*) FROM activities", &[])
            .await
            .unwrap()
            .get(0);
        rows.push(format!("activities: {activities}"));
        rows.sort();
        rows
    });
    let mut users: Vec<String> = stdout(&ok(run(bin("list-users").args([
        "--user-pool-id",
        &pool.id,
        "--output",
        "jsonl",
    ]))))
    .lines()
    .map(str::to_string)
    .collect();
    users.sort();
    (items, rows, users)
}

/// A stream record of a message, as a Lambda event carries it.
fn record(group: &str, new_image: Option<Value>) -> Value {
    let mut change = json!({"Keys": {"pk": {"S": format!("MSG#{group}")}, "sk": {"S": "2024-01-01T00:00:00.000000+00:00"}}});
    if let Some(image) = new_image {
        change["NewImage"] = image;
    }
    json!({"eventID": "1", "eventName": "INSERT", "dynamodb": change})
}

const GROUP: &str = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399";

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let table = TestTable::created();
    let db = block_on(TestDb::seeded());
    let ctx = block_on(clean_local_context());
    let pool = block_on(TestPool::created(&ctx));
    // Cognito users without preferred_username, and two sharing one.
    let users = [
        ("no-handle".to_string(), None),
        ("twin-1".to_string(), Some("bayko".to_string())),
        ("twin-2".to_string(), Some("bayko".to_string())),
    ];
    block_on(crate::users::create_users(&ctx, &pool.id, &users));
    // Something to keep: the built-in conversation.
    ok(run(&mut tool("seed", &table, &db)));

    let files = Files::new();
    let malformed_line = files.write("malformed.txt", "Person 1: hello\nPerson 3: who?\n");
    let empty = files.write("empty.txt", "");
    let dir = files.path().display().to_string();
    let not_utf8 = files.write("latin1.txt", b"Person 1: caf\xe9\n");
    let huge = files.write(
        "huge.txt",
        format!("Person 1: hi\nPerson 2: {}\n", "x".repeat(410_000)),
    );
    // An import file whose second item is over DynamoDB's 400 KB item limit.
    let item_line = |sk: &str, text: &str| {
        json!({"Item": {"pk": {"S": "MSG#import-bad-input"}, "sk": {"S": sk}, "message": {"S": text}}})
            .to_string()
    };
    let huge_item = files.write(
        "huge-item.jsonl",
        format!(
            "{}\n{}\n",
            item_line("1", "hi"),
            item_line("2", &"x".repeat(420 * 1024))
        ),
    );
    let bad_definition = files.write("bad-table.json", r#"{"TableName": "x", "KeySchema": "#);
    let other_definition = files.write(
        "other-table.json",
        std::fs::read_to_string("seeds/messages-table.json")
            .unwrap()
            .replace("cruddur-messages", "someone-elses-table"),
    );
    let bad_sql = files.write("bad-schema.sql", "CREATE TABLE users (handle TEXT,;");
    let broken_json = files.write("broken.json", r#"{"Records": [ {"eventName": "#);
    let no_records_key = files.write("no-records.json", r#"{"records": []}"#);
    let empty_records = files.write("empty-records.json", r#"{"Records": []}"#);
    let without_image = files.write(
        "no-image.json",
        json!({"Records": [record(GROUP, None)]}).to_string(),
    );
    let fresh_table = unique("never-created");
    let wrong_password = db.url.replace("password@", "not-the-password@");
    let unknown_group = "3f9c2a4e-0000-4000-8000-00000000abcd";

    let seed = |extra: &[&str]| {
        let mut cmd = tool("seed", &table, &db);
        cmd.args(extra);
        cmd
    };
    let send = |extra: &[&str]| {
        let mut cmd = tool("send-message", &table, &db);
        cmd.args(extra);
        cmd
    };
    let with = |name: &str, args: &[&str]| {
        let mut cmd = tool(name, &table, &db);
        cmd.args(args);
        cmd
    };
    let pool_tool = |name: &str, args: &[&str]| {
        let mut cmd = bin(name);
        cmd.env("CONNECTION_URL", &db.url).args(args);
        cmd
    };

    let mut prod_no_credentials = bin("list-tables");
    prod_no_credentials
        .arg("prod")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        // Never real AWS, even on a machine that has credentials somewhere.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let mut prod_no_db = seed(&["prod", "--yes"]);
    prod_no_db
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let mut schema_other_table = bin("schema-load");
    schema_other_table
        .args(["--schema", &other_definition])
        .env("DDB_MESSAGE_TABLE", &fresh_table);
    let mut bad_timeout = with("scan", &[]);
    bad_timeout.env("CRUDDUR_OPS_TIMEOUT_SECS", "forever");
    let mut bad_password = seed(&[]);
    bad_password.env("CONNECTION_URL", &wrong_password);

    let cases = vec![
        fail(
            "unknown target word",
            seed(&["staging"]),
            &["staging", "local", "prod"],
        ),
        fail("target word by prefix", with("scan", &["pro"]), &["pro"]),
        fail(
            "prod without credentials",
            prod_no_credentials,
            &["prod", "credentials"],
        ),
        fail(
            "prod without PROD_CONNECTION_URL",
            prod_no_db,
            &["PROD_CONNECTION_URL"],
        ),
        fail(
            "seed: malformed line",
            seed(&["--file", &malformed_line]),
            &[&format!("{malformed_line}:2"), "Person 3"],
        ),
        fail(
            "seed: empty file",
            seed(&["--file", &empty]),
            &[&empty, "no messages"],
        ),
        fail("seed: a directory", seed(&["--file", &dir]), &[&dir]),
        fail(
            "seed: invalid UTF-8",
            seed(&["--file", &not_utf8]),
            &[&format!("{not_utf8}:1"), "UTF-8"],
        ),
        fail(
            "seed: message over the item limit",
            seed(&["--file", &huge]),
            &[&format!("{huge}:2"), "410000"],
        ),
        fail(
            "import: an item over the 400 KB limit",
            with("table-import", &["--file", &huge_item]),
            &[
                &format!("{huge_item}: line 2"),
                "400 KB",
                "nothing was written",
            ],
        ),
        fail(
            "seed: missing file",
            seed(&["--file", "/nonexistent/chat.txt"]),
            &["/nonexistent/chat.txt"],
        ),
        fail(
            "seed: unknown --from",
            seed(&["--from", "nobody-at-all"]),
            &["nobody-at-all"],
        ),
        fail("seed: unknown --to", seed(&["--to", "ghost"]), &["ghost"]),
        fail(
            "seed: identical --from/--to",
            seed(&["--from", "bayko", "--to", "bayko"]),
            &["bayko", "same"],
        ),
        fail(
            "seed: invalid --group",
            seed(&["--group", "not-a-uuid"]),
            &["--group", "not-a-uuid"],
        ),
        fail(
            "seed: invalid --now",
            seed(&["--now", "yesterday"]),
            &["--now", "yesterday"],
        ),
        fail(
            "seed: --messages 0",
            seed(&["--messages", "0"]),
            &["--messages"],
        ),
        fail(
            "seed: --concurrency 0",
            seed(&["--concurrency", "0"]),
            &["--concurrency"],
        ),
        fail(
            "seed: wrong PostgreSQL password",
            bad_password,
            &["password authentication failed", &format!("/{}", db.name)],
        ),
        fail(
            "send-message: empty text",
            send(&["--from", "bayko", "--to", "everlygrandest", ""]),
            &["empty"],
        ),
        fail(
            "send-message: over-long text",
            send(&[
                "--from",
                "bayko",
                "--to",
                "everlygrandest",
                &"y".repeat(1025),
            ]),
            &["1025", "1024"],
        ),
        fail(
            "send-message: unknown group",
            send(&["--from", "bayko", "--group", unknown_group, "hi"]),
            &[unknown_group],
        ),
        fail(
            "send-message: sender outside the group",
            send(&["--from", "inesokafor", "--group", GROUP, "hi"]),
            &["inesokafor", GROUP],
        ),
        fail(
            "send-message: unknown sender",
            send(&["--from", "nobody-at-all", "--to", "bayko", "hi"]),
            &["nobody-at-all"],
        ),
        fail(
            "send-message: to oneself",
            send(&["--from", "bayko", "--to", "bayko", "hi"]),
            &["bayko"],
        ),
        fail(
            "scan: --limit 0",
            with("scan", &["--limit", "0"]),
            &["--limit"],
        ),
        fail(
            "scan: --segments 0",
            with("scan", &["--segments", "0"]),
            &["--segments"],
        ),
        fail(
            "get-conversations: --limit 0",
            with("get-conversations", &["--limit", "0"]),
            &["--limit"],
        ),
        fail(
            "list-conversations: unknown handle",
            with("list-conversations", &["--handle", "ghost"]),
            &["ghost"],
        ),
        fail(
            "a bad timeout setting",
            bad_timeout,
            &["CRUDDUR_OPS_TIMEOUT_SECS", "forever"],
        ),
        fail(
            "schema-load: malformed table definition",
            pool_tool(
                "schema-load",
                &["--table", &fresh_table, "--schema", &bad_definition],
            ),
            &[&bad_definition],
        ),
        fail(
            "schema-load: definition of another table",
            schema_other_table,
            &[
                &other_definition,
                "someone-elses-table",
                &fresh_table,
                "--table",
            ],
        ),
        fail(
            "drop: a missing table",
            pool_tool("drop", &[&fresh_table]),
            &[&fresh_table],
        ),
        fail(
            "db-setup: malformed SQL schema",
            pool_tool("db-setup", &["--schema", &bad_sql]),
            &["syntax error", &db.name, "left as it was"],
        ),
        fail(
            "db-setup: missing seed file",
            pool_tool("db-setup", &["--seed", "/nonexistent/users.sql"]),
            &["/nonexistent/users.sql"],
        ),
        fail(
            "list-users: unknown user pool",
            pool_tool("list-users", &["--user-pool-id", "us-east-1_nosuchpool"]),
            &["us-east-1_nosuchpool", "ResourceNotFoundException"],
        ),
        fail(
            "update-cognito-user-ids: unknown user pool",
            pool_tool(
                "update-cognito-user-ids",
                &["--user-pool-id", "us-east-1_nosuchpool"],
            ),
            &["us-east-1_nosuchpool"],
        ),
        Case {
            name: "update-cognito-user-ids: users without or sharing a preferred_username",
            cmd: pool_tool(
                "update-cognito-user-ids",
                &["--user-pool-id", &pool.id, "--output", "json"],
            ),
            expect: words(&["no-handle", "twin-1", "twin-2", "bayko"]),
            outcome: Outcome::Reports,
        },
        fail(
            "messaging-stream: malformed event",
            with("messaging-stream", &["--event", &broken_json]),
            &[&broken_json, "JSON"],
        ),
        fail(
            "messaging-stream: no Records array",
            with("messaging-stream", &["--event", &no_records_key]),
            &[&no_records_key, "Records"],
        ),
        fail(
            "messaging-stream: empty Records",
            with("messaging-stream", &["--event", &empty_records]),
            &[&empty_records, "no records"],
        ),
        fail(
            "messaging-stream: a record without NewImage",
            with("messaging-stream", &["--event", &without_image]),
            &[&without_image, "NewImage", "none was applied"],
        ),
    ];
    assert!(cases.len() >= 30);

    let mut before = snapshot(&table, &db, &pool);
    for mut case in cases {
        let out = run(&mut case.cmd);
        let err = stderr(&out);
        let all = format!("{}{err}", stdout(&out));
        let name = case.name;
        assert!(!err.contains("panicked"), "{name}: panicked\n{err}");
        assert_ne!(out.status.code(), Some(101), "{name}: panicked\n{err}");
        match case.outcome {
            Outcome::Fails => assert!(
                !out.status.success(),
                "{name}: expected failure\nstdout:\n{}\nstderr:\n{err}",
                stdout(&out)
            ),
            Outcome::Reports => assert!(out.status.success(), "{name}: expected exit 0\n{err}"),
        }
        for word in &case.expect {
            assert!(all.contains(word.as_str()), "{name}: no {word:?} in\n{all}");
        }
        let after = snapshot(&table, &db, &pool);
        assert!(after == before, "{name}: the stores changed");
        before = after;
    }
    // Nothing created under the names the refused runs would have used.
    let tables = stdout(&ok(run(bin("list-tables").args(["--output", "jsonl"]))));
    assert!(!tables.contains(&fresh_table), "{tables}");
    assert!(!tables.contains("someone-elses-table"), "{tables}");
}

#[test]
fn handles_with_quotes_and_semicolons_are_stored_verbatim() {
    let odd = r#"o'hara"; DROP TABLE users;--"#;
    let files = Files::new();
    let seed_sql = files.write(
        "users.sql",
        format!(
            "INSERT INTO users (display_name, handle, email, cognito_user_id) VALUES \
             ('Odd One', '{}', 'odd@example.com', 'MOCK'), \
             ('Andrew Bayko', 'bayko', 'andrew.bayko@example.com', 'MOCK');",
            odd.replace('\'', "''")
        ),
    );
    let db = TestDb::new();
    ok(run(bin("db-setup")
        .args(["--seed", &seed_sql])
        .env("CONNECTION_URL", &db.url)));
    let table = TestTable::created();
    ok(run(
        tool("seed", &table, &db).args(["--from", odd, "--to", "bayko"])
    ));
    // The conversation row of bayko names the other user by that exact handle.
    let items = stdout(&ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--output",
        "jsonl",
    ]))));
    let handles: Vec<String> = items
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["user_handle"].as_str().map(str::to_string))
        .collect();
    assert!(handles.iter().any(|h| h == odd), "{handles:?}");
    // And the users table is intact, the handle stored as typed.
    let stored: Vec<String> = block_on(async {
        db.client()
            .await
            .query("SELECT handle FROM users ORDER BY handle", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    });
    assert_eq!(stored, vec!["bayko".to_string(), odd.to_string()]);
    let out = ok(run(
        tool("list-conversations", &table, &db).args(["--handle", odd, "--output", "json"])
    ));
    assert!(stdout(&out).contains("bayko"), "{}", stdout(&out));
}
