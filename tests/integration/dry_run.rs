//! `--dry-run` on every tool that writes: each says what it would create, delete or change, and
//! the stores (the test's own table, database and pool) are exactly as they were afterwards.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::*;
use cruddur_ops::cognito;
use cruddur_ops::ddb::table::describe;
use cruddur_ops::model::keys::DEFAULT_GROUP;

const NOTE: &str = "dry run: nothing written";

/// Every item of `table`, as JSON lines, sorted.
fn items(table: &TestTable) -> Vec<String> {
    let out = ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--output",
        "jsonl",
    ])));
    let mut lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Every row of every table of the public schema of `db`, as text, and the database's comment.
async fn rows(db: &TestDb) -> Vec<String> {
    let client = db.client().await;
    let mut all = Vec::new();
    for table in ["users", "activities"] {
        let found = client
            .query(
                &format!("SELECT t::text FROM public.{table} t ORDER BY t::text"),
                &[],
            )
            .await
            .expect("read the table");
        all.extend(
            found
                .iter()
                .map(|r| format!("{table}: {}", r.get::<_, String>(0))),
        );
    }
    let comment: Option<String> = client
        .query_one(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database \
             WHERE datname = current_database()",
            &[],
        )
        .await
        .expect("the comment")
        .get(0);
    all.push(format!("comment: {comment:?}"));
    all
}

/// Whether the database `name` exists on the local server.
async fn database_exists(name: &str) -> bool {
    let admin = cruddur_ops::pg::connect_url(&admin_url(), &local_config())
        .await
        .expect("connect to the maintenance database");
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .expect("look for the database")
        .is_some()
}

#[track_caller]
fn says(out: &std::process::Output, what: &[&str]) {
    let err = stderr(out);
    for w in what.iter().chain([&NOTE]) {
        assert!(err.contains(w), "stderr lacks {w:?}:\n{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_load_and_drop_dry_runs_create_and_delete_nothing() {
    let table = TestTable::new();
    let ctx = clean_local_context().await;

    // A missing table: schema-load would create it (keys, GSI, stream); drop has nothing to do.
    let out = ok(run(bin("schema-load").args([
        "--table",
        &table.name,
        "--dry-run",
    ])));
    says(
        &out,
        &[
            &format!("would create table {}", table.name),
            "pk HASH, sk RANGE",
            "GSI message-group-sk-index",
            "stream NEW_IMAGE",
        ],
    );
    let err = fails(run(bin("drop").args([&table.name, "--dry-run"])));
    assert!(err.contains("does not exist"), "{err}");
    let out = ok(run(bin("drop").args([
        &table.name,
        "--dry-run",
        "--if-exists",
    ])));
    says(&out, &["does not exist"]);
    assert!(describe(&ctx, &table.name).await.unwrap().is_none());

    // An existing table with items: schema-load finds it identical, drop would delete it.
    ok(run(bin("schema-load").args(["--table", &table.name])));
    let db = TestDb::seeded().await;
    ok(run(&mut tool("seed", &table, &db)));
    let before = items(&table);
    let out = ok(run(bin("schema-load").args([
        "--table",
        &table.name,
        "--dry-run",
    ])));
    says(&out, &["already exists", "is as defined in every setting"]);
    // The shipped schema turns deletion protection on: a dry run says drop would refuse, and
    // with --disable-deletion-protection that it would turn it off first.
    let err = fails(run(bin("drop").args([&table.name, "--dry-run"])));
    assert!(err.contains("DeletionProtectionEnabled"), "{err}");
    // No --yes and no terminal: a dry run asks nothing.
    let out = ok(run(bin("drop").args([
        &table.name,
        "--dry-run",
        "--disable-deletion-protection",
    ])));
    says(
        &out,
        &[
            "would turn off deletion protection, then delete table",
            &table.name,
            "items",
        ],
    );
    assert!(describe(&ctx, &table.name).await.unwrap().is_some());
    assert_eq!(items(&table), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_send_and_stream_dry_runs_write_nothing() {
    let (table, db) = (TestTable::created(), TestDb::seeded().await);
    ok(run(&mut tool("seed", &table, &db)));
    let before = items(&table);
    assert!(!before.is_empty());

    // seed: the plan, with the earlier seed's items it would replace; no lock item left.
    let out = ok(run(tool("seed", &table, &db).args([
        "--dry-run",
        "--now",
        "2030-01-01T00:00:00+00:00",
    ])));
    says(
        &out,
        &[
            &format!("seed of group {DEFAULT_GROUP}"),
            "conversation rows",
            "of an earlier seed",
            "deleted",
        ],
    );
    // Validation still applies.
    let err = fails(run(tool("seed", &table, &db).args([
        "--dry-run",
        "--to",
        "nobody-here",
    ])));
    assert!(err.contains("nobody-here"), "{err}");
    assert_eq!(items(&table), before);

    // send-message into the seeded group, and into a new group: the report of a real run.
    let out = ok(run(tool("send-message", &table, &db).args([
        "--from",
        "bayko",
        "--group",
        DEFAULT_GROUP,
        "--dry-run",
        "--output",
        "json",
        "hello?",
    ])));
    let sent: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(sent["message_group_uuid"], DEFAULT_GROUP);
    assert_eq!(sent["new_group"], false);
    says(&out, &["would write message", DEFAULT_GROUP]);
    let out = ok(run(tool("send-message", &table, &db).args([
        "--from",
        "bayko",
        "--to",
        "inesokafor",
        "--dry-run",
        "--output",
        "json",
        "new chat",
    ])));
    let sent: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(sent["new_group"], true);
    says(&out, &["two conversation rows"]);
    // Unknown group and a sender outside the group are errors, as in a real run.
    let unknown = Uuid::new_v4().to_string();
    let err = fails(run(tool("send-message", &table, &db).args([
        "--from",
        "bayko",
        "--group",
        &unknown,
        "--dry-run",
        "x",
    ])));
    assert!(err.contains("no conversation rows"), "{err}");
    let err = fails(run(tool("send-message", &table, &db).args([
        "--from",
        "meitanaka",
        "--group",
        DEFAULT_GROUP,
        "--dry-run",
        "x",
    ])));
    assert!(err.contains("not a participant"), "{err}");
    assert_eq!(items(&table), before);

    // messaging-stream --event: a newer message would move both rows; nothing moves.
    let dir = std::env::temp_dir().join(unique("dry-run-events"));
    std::fs::create_dir_all(&dir).unwrap();
    let at = "2099-01-01T00:00:00.000000+00:00";
    let file = crate::snapshots::event(&dir, &[(1, at, "from the future")]);
    let out = run(tool("messaging-stream", &table, &db)
        .arg("--event")
        .arg(&file)
        .args(["--dry-run", "--output", "json"]));
    let _ = std::fs::remove_dir_all(&dir);
    let out = ok(out);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let outcome = &report["outcomes"][0];
    assert_eq!(outcome["outcome"], "applied", "{report}");
    assert!(
        outcome["detail"].as_str().unwrap().contains("would move"),
        "{report}"
    );
    says(&out, &["1 applied"]);
    let err = fails(run(
        tool("messaging-stream", &table, &db).args(["--follow", "--dry-run"])
    ));
    assert!(err.contains("--event only"), "{err}");
    assert_eq!(items(&table), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_setup_dry_run_changes_no_database() {
    // A missing database: it would be created; it is not.
    let missing = TestDb::new();
    let out = ok(run(bin("db-setup")
        .arg("--dry-run")
        .env("CONNECTION_URL", &missing.url)));
    says(
        &out,
        &[
            &format!("would create database {}", missing.name),
            "5 users from the seed file",
        ],
    );
    assert!(!database_exists(&missing.name).await);

    // A database db-setup made, with an extra user: it would be replaced; it is not.
    let db = TestDb::seeded().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO users (display_name, handle, email, cognito_user_id) \
             VALUES ('Extra', 'extra', 'extra@example.com', 'MOCK')",
        )
        .await
        .unwrap();
    let before = rows(&db).await;
    let out = ok(run(bin("db-setup")
        .arg("--dry-run")
        .env("CONNECTION_URL", &db.url)));
    says(
        &out,
        &[
            "would replace database",
            "created by db-setup",
            "6 users",
            "5 users from the seed file",
        ],
    );
    assert_eq!(rows(&db).await, before);

    // Without the mark and holding tables: refused as a real run would be, unless --replace.
    db.client()
        .await
        .batch_execute(&format!(
            "COMMENT ON DATABASE {} IS NULL",
            cruddur_ops::pg::quote_ident(&db.name)
        ))
        .await
        .unwrap();
    let before = rows(&db).await;
    let err = fails(run(bin("db-setup")
        .arg("--dry-run")
        .env("CONNECTION_URL", &db.url)));
    assert!(
        err.contains("refusing to replace") && err.contains(&format!("--replace {}", db.name)),
        "{err}"
    );
    let out = ok(run(bin("db-setup")
        .args(["--dry-run", "--replace", &db.name])
        .env("CONNECTION_URL", &db.url)));
    says(&out, &["would replace database", "not created by db-setup"]);
    assert_eq!(rows(&db).await, before);
}

/// A seed whose users a statement-by-statement reading gets wrong: an INSERT inside a block
/// comment (not run), two users inserted inside a dollar-quoted DO block, and a dollar-quoted
/// string with a lone `'`. PostgreSQL itself loads it: 3 users.
const TRICKY_SEED: &str = r#"/* An old seed, kept for reference:
INSERT INTO public.users (display_name, handle, email, cognito_user_id)
VALUES ('Old', 'old', 'old@example.com', 'MOCK');
*/
DO $body$
BEGIN
  -- it's in a block: neither ' nor ( ends anything here
  INSERT INTO public.users (display_name, handle, email, cognito_user_id)
  VALUES ('A', 'a', 'a@example.com', 'MOCK'), ('B', 'b', 'b@example.com', 'MOCK');
END
$body$;
INSERT INTO public.users (display_name, handle, email, cognito_user_id)
VALUES ('C', 'c', 'c@example.com', $$it's MOCK$$);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_setup_dry_run_counts_what_postgres_loads_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("tricky.sql");
    std::fs::write(&seed, TRICKY_SEED).unwrap();

    // A missing database: counted in a rolled-back load, and nothing is created.
    let missing = TestDb::new();
    let out = ok(run(bin("db-setup")
        .arg("--dry-run")
        .arg("--seed")
        .arg(&seed)
        .env("CONNECTION_URL", &missing.url)));
    says(
        &out,
        &[
            &format!("would create database {}", missing.name),
            "with the schema and 3 users from the seed file",
        ],
    );
    assert!(!database_exists(&missing.name).await);

    // An existing database: the same count, and its rows are untouched.
    let db = TestDb::seeded().await;
    let before = rows(&db).await;
    let out = ok(run(bin("db-setup")
        .arg("--dry-run")
        .arg("--seed")
        .arg(&seed)
        .env("CONNECTION_URL", &db.url)));
    says(
        &out,
        &[
            "and 5 users",
            "with the schema and 3 users from the seed file",
        ],
    );
    assert_eq!(rows(&db).await, before);

    // The real run loads exactly what the dry run counted.
    let out = ok(run(bin("db-setup")
        .arg("--seed")
        .arg(&seed)
        .env("CONNECTION_URL", &db.url)));
    let text = stderr(&out);
    assert!(text.contains("3 users loaded"), "{text}");

    // A seed that does not load fails the dry run, naming the load, and changes nothing.
    std::fs::write(&seed, "INSERT INTO public.users (handle) VALUES ('x');").unwrap();
    let before = rows(&db).await;
    let err = fails(run(bin("db-setup")
        .arg("--dry-run")
        .arg("--seed")
        .arg(&seed)
        .env("CONNECTION_URL", &db.url)));
    assert!(
        err.contains("loading the seed users") && err.contains("rolled back"),
        "{err}"
    );
    assert_eq!(rows(&db).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_dry_runs_create_and_change_nothing() {
    let ctx = clean_local_context().await;
    let db = TestDb::seeded().await;
    let handles = [
        "bayko",
        "everlygrandest",
        "inesokafor",
        "meitanaka",
        "tomaslind",
    ];

    // No pool: the pool and every user would be created; nothing is.
    let named = TestPool::named();
    let out = ok(run(bin("cognito-setup")
        .args(["--pool-name", &named.name, "--dry-run", "--output", "json"])
        .env("CONNECTION_URL", &db.url)));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["pool_created"], true);
    assert_eq!(report["created"], json!(handles));
    says(&out, &[]);
    assert_eq!(
        cognito::find_pool_by_name(&ctx, &named.name).await.unwrap(),
        None
    );

    // An empty pool: every user would be created; none is.
    let pool = TestPool::created(&ctx).await;
    let out = ok(run(bin("cognito-setup")
        .args(["--pool-name", &pool.name, "--dry-run", "--output", "json"])
        .env("CONNECTION_URL", &db.url)));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["pool_created"], false);
    assert_eq!(report["pool_id"], pool.id.as_str());
    assert_eq!(report["created"], json!(handles));
    assert!(cognito::list_users(&ctx, &pool.id)
        .await
        .unwrap()
        .users
        .is_empty());

    // With the users made: update-cognito-user-ids would update all five; the rows stay.
    ok(run(bin("cognito-setup")
        .args(["--pool-name", &pool.name])
        .env("CONNECTION_URL", &db.url)));
    let before = rows(&db).await;
    let out = ok(run(bin("update-cognito-user-ids")
        .args(["--user-pool-id", &pool.id, "--dry-run", "--output", "json"])
        .env("CONNECTION_URL", &db.url)));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["updated"]["count"], 5, "{report}");
    says(&out, &[]);
    assert_eq!(rows(&db).await, before);
}

#[test]
fn import_dry_run_checks_every_line_and_writes_nothing() {
    let table = TestTable::created();
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("dry-import")));
    std::fs::write(
        &file,
        "{\"Item\":{\"pk\":{\"S\":\"MSG#a\"},\"sk\":{\"S\":\"1\"}}}\n\
         {\"Item\":{\"pk\":{\"S\":\"MSG#a\"},\"sk\":{\"S\":\"2\"},\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}}\n",
    )
    .unwrap();
    let before = items(&table);
    let path = file.to_str().unwrap();
    let out = ok(run(bin("table-import").args([
        "--table",
        &table.name,
        "--file",
        path,
        "--dry-run",
    ])));
    says(&out, &["would write 2 items", "dry run: nothing written"]);
    assert_eq!(items(&table), before, "a dry run wrote to the table");

    // With a budget it says the units and the time they take at it.
    let out = ok(run(bin("table-import").args([
        "--table",
        &table.name,
        "--file",
        path,
        "--dry-run",
        "--max-wcu",
        "0.5",
    ])));
    says(&out, &["about 2 WCU, 4 s at the budget of 0.5 WCU/s"]);

    // A bad line is still an error naming it, as in a real run.
    std::fs::write(
        &file,
        "{\"Item\":{\"pk\":{\"S\":\"MSG#a\"},\"sk\":{\"S\":\"1\"}}}\nnot json\n",
    )
    .unwrap();
    let err = fails(run(bin("table-import").args([
        "--table",
        &table.name,
        "--file",
        path,
        "--dry-run",
    ])));
    assert!(err.contains("line 2"), "{err}");
    assert_eq!(items(&table), before);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn export_dry_run_says_the_read_units_and_the_time_at_the_budget_and_reads_nothing() {
    let table = TestTable::created();
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("dry-export")));
    let out = ok(run(bin("table-export")
        .args([
            "--table",
            &table.name,
            "--dry-run",
            "--max-rcu",
            "5",
            "--file",
        ])
        .arg(&file)));
    says(
        &out,
        &[
            "would export about 0 items",
            "at the budget of 5 RCU/s",
            "dry run: nothing written",
        ],
    );
    assert!(!file.exists(), "a dry run wrote {}", file.display());
}
