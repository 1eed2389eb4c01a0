//! db-setup, cognito-setup, list-users and update-cognito-user-ids against moto and PostgreSQL.
//! Every test has its own database (`TestDb`) and its own user pool (`TestPool`).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use cruddur_ops::cognito::{self, CognitoUser};
use cruddur_ops::context::Context;

use crate::common::*;

/// Creates users concurrently: `(username, preferred_username)`, with no invitation.
pub(crate) async fn create_users(ctx: &Context, pool_id: &str, users: &[(String, Option<String>)]) {
    let permits = Arc::new(Semaphore::new(16));
    let mut tasks = JoinSet::new();
    for (username, handle) in users.iter().cloned() {
        let (client, pool_id, permits) =
            (ctx.cognito().clone(), pool_id.to_string(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let mut req = client
                .admin_create_user()
                .user_pool_id(pool_id)
                .username(&username)
                .message_action(MessageActionType::Suppress);
            if let Some(handle) = handle {
                req = req.user_attributes(
                    AttributeType::builder()
                        .name("preferred_username")
                        .value(handle)
                        .build()
                        .unwrap(),
                );
            }
            req.send()
                .await
                .unwrap_or_else(|e| panic!("create {username}: {e:?}"));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// Every row's `cognito_user_id`, by handle.
async fn ids(db: &TestDb) -> HashMap<String, String> {
    db.client()
        .await
        .query("SELECT handle, cognito_user_id FROM users", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn sync(db: &TestDb, pool: &TestPool, extra: &[&str]) -> std::process::Output {
    run(bin("update-cognito-user-ids")
        .args(["--user-pool-id", &pool.id])
        .args(extra)
        .env("CONNECTION_URL", &db.url))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reads_every_page_and_reports_every_case() {
    let ctx = clean_local_context().await;
    let (db, pool) = (TestDb::seeded().await, TestPool::created(&ctx).await);
    // Database: the 5 seed users, user000..user129 and "dup".
    db.client()
        .await
        .batch_execute(
            "INSERT INTO users (display_name, handle, email, cognito_user_id)
             SELECT 'User ' || n, 'user' || lpad(n::text, 3, '0'), 'u' || n || '@example.com', 'MOCK'
             FROM generate_series(0, 129) AS n;
             INSERT INTO users (display_name, handle, email, cognito_user_id)
             VALUES ('Dup', 'dup', 'dup@example.com', 'MOCK');",
        )
        .await
        .unwrap();
    // Cognito: user000..user129, bayko, ghost (no row), nameless (no handle), two "dup".
    let mut users: Vec<(String, Option<String>)> = (0..130)
        .map(|n| (format!("cog-user{n:03}"), Some(format!("user{n:03}"))))
        .collect();
    for (username, handle) in [
        ("cog-bayko", Some("bayko")),
        ("cog-ghost", Some("ghost")),
        ("cog-nameless", None),
        ("cog-dup-a", Some("dup")),
        ("cog-dup-b", Some("dup")),
    ] {
        users.push((username.to_string(), handle.map(str::to_string)));
    }
    create_users(&ctx, &pool.id, &users).await;

    let listing = cognito::list_users(&ctx, &pool.id).await.unwrap();
    assert_eq!(listing.users.len(), 135);
    assert!(listing.pages >= 3, "{} pages", listing.pages);
    let sub_of: HashMap<String, String> = listing
        .users
        .iter()
        .map(|u: &CognitoUser| (u.username.clone(), u.sub.clone().expect("sub")))
        .collect();
    // bayko already holds the right sub.
    db.client()
        .await
        .execute(
            "UPDATE users SET cognito_user_id = $1 WHERE handle = 'bayko'",
            &[&sub_of["cog-bayko"]],
        )
        .await
        .unwrap();

    // list-users: every page, the nameless user with an empty handle and a warning.
    let out = ok(run(bin("list-users").args([
        "--user-pool-id",
        &pool.id,
        "--output",
        "json",
    ])));
    let listed = json(&out);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 135);
    let nameless = listed
        .iter()
        .find(|u| u["username"] == "cog-nameless")
        .expect("nameless listed");
    assert_eq!(nameless["handle"], "");
    assert!(stderr(&out).contains("cog-nameless"), "{}", stderr(&out));
    let user7 = listed.iter().find(|u| u["handle"] == "user007").unwrap();
    assert_eq!(user7["sub"], sub_of["cog-user007"].as_str());
    let table = stdout(&ok(run(bin("list-users").args([
        "--user-pool-id",
        &pool.id,
        "--output",
        "table",
    ]))));
    assert!(table.contains("user129") && table.contains(&sub_of["cog-user129"]));
    // Piped without --output: JSON lines with the same objects (`list-users | jq -r .handle`).
    let piped = ok(run(bin("list-users").args(["--user-pool-id", &pool.id])));
    let lines: Vec<Value> = stdout(&piped)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(&lines, listed);

    // --dry-run: the full report, nothing written.
    let before = ids(&db).await;
    let report = json(&ok(sync(&db, &pool, &["--dry-run", "--output", "json"])));
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["cognito_users"], 135);
    assert!(report["pages"].as_u64().unwrap() >= 3);
    assert_eq!(report["updated"]["count"], 130);
    assert_eq!(strings(&report["already_correct"]["handles"]), ["bayko"]);
    assert_eq!(report["unmatched_cognito"][0]["handle"], "ghost");
    assert_eq!(report["unmatched_cognito"][0]["username"], "cog-ghost");
    assert_eq!(
        strings(&report["missing_in_cognito"]),
        ["everlygrandest", "inesokafor", "meitanaka", "tomaslind"]
    );
    assert_eq!(
        strings(&report["without_preferred_username"]),
        ["cog-nameless"]
    );
    assert_eq!(report["ambiguous"][0]["handle"], "dup");
    assert_eq!(
        strings(&report["ambiguous"][0]["usernames"]),
        ["cog-dup-a", "cog-dup-b"]
    );
    assert_eq!(ids(&db).await, before, "--dry-run wrote something");

    // The real run: every matched row gets its sub, nothing else changes.
    let text = stdout(&ok(sync(&db, &pool, &["--output", "table"])));
    assert!(
        text.lines()
            .any(|l| l.contains(" updated ") && l.contains(" 130 ")),
        "{text}"
    );
    assert!(text.contains("ghost (Cognito user cog-ghost)"), "{text}");
    assert!(text.contains("cog-nameless"), "{text}");
    assert!(
        text.contains("dup (Cognito users cog-dup-a, cog-dup-b)"),
        "{text}"
    );
    let after = ids(&db).await;
    for n in 0..130 {
        assert_eq!(
            after[&format!("user{n:03}")],
            sub_of[&format!("cog-user{n:03}")]
        );
    }
    assert_eq!(after["bayko"], sub_of["cog-bayko"]);
    for handle in [
        "dup",
        "everlygrandest",
        "inesokafor",
        "meitanaka",
        "tomaslind",
    ] {
        assert_eq!(after[handle], "MOCK", "{handle}");
    }

    // Again: nothing to do.
    let report = json(&ok(sync(&db, &pool, &["--output", "json"])));
    assert_eq!(report["updated"]["count"], 0);
    assert_eq!(report["already_correct"]["count"], 131);
    assert_eq!(ids(&db).await, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_statement_leaves_every_row_unchanged() {
    let ctx = clean_local_context().await;
    let (db, pool) = (TestDb::seeded().await, TestPool::created(&ctx).await);
    let seeds = [
        "everlygrandest",
        "bayko",
        "inesokafor",
        "tomaslind",
        "meitanaka",
    ];
    let users: Vec<_> = seeds
        .iter()
        .map(|h| (h.to_string(), Some(h.to_string())))
        .collect();
    create_users(&ctx, &pool.id, &users).await;
    let listing = cognito::list_users(&ctx, &pool.id).await.unwrap();
    let mei = listing
        .users
        .iter()
        .find(|u| u.username == "meitanaka")
        .and_then(|u| u.sub.clone())
        .unwrap();
    // One sub violates a constraint: the single statement fails after the others would apply.
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER TABLE users ADD CONSTRAINT test_no_mei CHECK (cognito_user_id <> '{mei}')"
        ))
        .await
        .unwrap();
    let before = ids(&db).await;
    let err = fails(sync(&db, &pool, &[]));
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(err.contains("test_no_mei"), "{err}");
    assert_eq!(ids(&db).await, before);
    assert!(before.values().all(|id| id == "MOCK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_pool_is_found_by_name() {
    let ctx = clean_local_context().await;
    let pool = TestPool::created(&ctx).await;
    assert_eq!(
        cognito::find_pool_by_name(&ctx, &pool.name).await.unwrap(),
        Some(pool.id.clone())
    );
    assert_eq!(
        cognito::resolve_user_pool_id(&ctx, &pool.name)
            .await
            .unwrap(),
        pool.id
    );
    // An id given wins over the name.
    let with_id = Context::new(
        ctx.config
            .clone()
            .with_user_pool_id(Some("given-id".into())),
    )
    .await
    .unwrap();
    assert_eq!(
        cognito::resolve_user_pool_id(&with_id, &pool.name)
            .await
            .unwrap(),
        "given-id"
    );
    let missing = unique("no-such-pool");
    assert_eq!(
        cognito::find_pool_by_name(&ctx, &missing).await.unwrap(),
        None
    );
    let err = format!(
        "{:#}",
        cognito::resolve_user_pool_id(&ctx, &missing)
            .await
            .unwrap_err()
    );
    assert!(
        err.contains(&missing) && err.contains("cognito-setup"),
        "{err}"
    );
    // Two pools with one name: an error, not a guess.
    let twin = cognito::create_pool(&ctx, &pool.name).await.unwrap();
    let err = format!(
        "{:#}",
        cognito::find_pool_by_name(&ctx, &pool.name)
            .await
            .unwrap_err()
    );
    assert!(err.contains(&pool.id) && err.contains(&twin), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_setup_then_sync_finds_the_pool_by_name() {
    let db = TestDb::seeded().await;
    let pool = TestPool::named();
    let setup = || {
        run(bin("cognito-setup")
            .args(["--pool-name", &pool.name])
            .env("CONNECTION_URL", &db.url))
    };
    let report = |out: std::process::Output| -> Value {
        serde_json::from_slice(&out.stdout).expect("cognito-setup prints one JSON object")
    };
    let first = report(ok(setup()));
    assert_eq!(first["pool_name"], pool.name.as_str(), "{first}");
    assert_eq!(first["pool_created"], true, "{first}");
    let created = strings(&first["created"]);
    assert_eq!(created.len(), 5, "{first}");
    assert!(
        created.contains(&"everlygrandest".to_string()) && created.contains(&"bayko".to_string())
    );
    let second = report(ok(setup()));
    assert_eq!(second["pool_created"], false, "{second}");
    assert_eq!(strings(&second["created"]).len(), 0, "{second}");
    assert_eq!(strings(&second["found"]).len(), 5, "{second}");

    let ctx = clean_local_context().await;
    let id = cognito::find_pool_by_name(&ctx, &pool.name)
        .await
        .unwrap()
        .expect("cognito-setup made the pool");
    let listing = cognito::list_users(&ctx, &id).await.unwrap();
    assert_eq!(listing.users.len(), 5);
    assert!(listing
        .users
        .iter()
        .all(|u| u.handle.as_deref() == Some(u.username.as_str())));

    // No id anywhere: the binaries find the pool by its name.
    let listed = json(&ok(run(bin("list-users").args([
        "--pool-name",
        &pool.name,
        "-o",
        "json",
    ]))));
    assert_eq!(listed.as_array().unwrap().len(), 5);
    let report = json(&ok(run(bin("update-cognito-user-ids")
        .args(["--pool-name", &pool.name, "-o", "json"])
        .env("CONNECTION_URL", &db.url))));
    assert_eq!(report["updated"]["count"], 5);
    let after = ids(&db).await;
    for user in &listing.users {
        assert_eq!(&after[&user.username], user.sub.as_ref().unwrap());
    }
}

#[test]
fn prod_needs_its_database_url_and_pool_id() {
    let prod = |name: &str| {
        let mut cmd = bin(name);
        cmd.env(
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            "http://localhost:9229",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .arg("prod");
        cmd
    };
    let err = fails(run(
        prod("update-cognito-user-ids").args(["--user-pool-id", "us-east-1_x"])
    ));
    assert!(err.contains("PROD_CONNECTION_URL is not set"), "{err}");

    let err = fails(run(prod("update-cognito-user-ids").env(
        "PROD_CONNECTION_URL",
        "postgresql://u:p@localhost:5432/nowhere",
    )));
    assert!(
        err.contains("--user-pool-id") && err.contains("AWS_COGNITO_USER_POOL_ID"),
        "{err}"
    );
    let err = fails(run(&mut prod("list-users")));
    assert!(err.contains("--user-pool-id"), "{err}");

    let err = fails(run(&mut prod("cognito-setup")));
    assert!(err.contains("local Cognito emulator"), "{err}");

    // db-setup names what it would destroy, never the password, and refuses without --yes.
    let err = fails(run(prod("db-setup").env(
        "PROD_CONNECTION_URL",
        "postgresql://admin:s3cret-pw@localhost:5432/not_a_real_db",
    )));
    assert!(err.contains("admin@localhost:5432/not_a_real_db"), "{err}");
    assert!(err.contains("--yes") && !err.contains("s3cret-pw"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_setup_rebuilds_from_the_seed_or_leaves_the_database_alone() {
    let db = TestDb::new();
    let setup = |args: &[&str]| run(bin("db-setup").args(args).env("CONNECTION_URL", &db.url));
    let err = stderr(&ok(setup(&[])));
    assert!(
        err.contains(&format!(
            "postgres@localhost:{}/{}",
            ports().postgres,
            db.name
        )),
        "{err}"
    );
    assert!(err.contains("5 users loaded"), "{err}");
    assert!(!err.contains("password"), "{err}");
    let seeded = ids(&db).await;
    assert_eq!(seeded.len(), 5);
    assert_eq!(seeded["everlygrandest"], "MOCK");

    let dir = std::env::temp_dir().join(unique("db-setup"));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("two.sql");
    std::fs::write(
        &seed,
        "INSERT INTO users (display_name, handle, email, cognito_user_id) VALUES
         ('A', 'a', 'a@example.com', 'MOCK'), ('B', 'b', 'b@example.com', 'MOCK');",
    )
    .unwrap();
    let err = stderr(&ok(setup(&["--seed", seed.to_str().unwrap()])));
    assert!(err.contains("2 users loaded"), "{err}");
    assert_eq!(ids(&db).await.len(), 2);

    // A broken seed or a missing file: an error, and the database as it was.
    let broken = dir.join("broken.sql");
    std::fs::write(&broken, "INSERT INTO users (handle) VALUES ('x');").unwrap();
    let err = fails(setup(&["--seed", broken.to_str().unwrap()]));
    assert!(err.contains("loading the seed users"), "{err}");
    assert!(err.contains("left as it was"), "{err}");
    let missing = dir.join("missing.sql");
    let err = fails(setup(&["--schema", missing.to_str().unwrap()]));
    assert!(err.contains("missing.sql"), "{err}");
    let left = ids(&db).await;
    assert_eq!(left.len(), 2);
    assert!(left.contains_key("a") && left.contains_key("b"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_tls_follows_sslmode() {
    use cruddur_ops::config::{Config, Target};
    use cruddur_ops::pg::connect_url;
    let prod = Config::resolve(Target::Prod, |_| None).unwrap();
    let require = connect_url(&format!("{}?sslmode=require", admin_url()), &prod)
        .await
        .expect("sslmode=require connects (the local stack serves TLS)");
    assert!(
        crate::tls::uses_tls(&require).await,
        "sslmode=require must encrypt"
    );
    let disable = connect_url(&format!("{}?sslmode=disable", admin_url()), &prod)
        .await
        .unwrap();
    assert!(
        !crate::tls::uses_tls(&disable).await,
        "sslmode=disable must not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prod_sync_over_tls_updates_the_production_database() {
    // The prod code path end to end, pointed at the local servers: Cognito through
    // AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, the database through PROD_CONNECTION_URL with
    // sslmode=require (as RDS needs).
    let ctx = clean_local_context().await;
    let pool = TestPool::created(&ctx).await;
    let db = TestDb::seeded().await;
    create_users(
        &ctx,
        &pool.id,
        &[
            ("u-everly".to_string(), Some("everlygrandest".to_string())),
            ("u-bayko".to_string(), Some("bayko".to_string())),
        ],
    )
    .await;
    let out = ok(run(bin("update-cognito-user-ids")
        .args(["prod", "--user-pool-id", &pool.id, "--output", "json"])
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cognito_url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("PROD_CONNECTION_URL", format!("{}?sslmode=require", db.url))));
    let report = json(&out);
    assert_eq!(report["updated"]["count"], 2, "{report}");
    let after = ids(&db).await;
    let listed = cognito::list_users(&ctx, &pool.id).await.unwrap().users;
    for user in &listed {
        let handle = user.handle.as_deref().unwrap();
        assert_eq!(&after[handle], user.sub.as_ref().unwrap());
    }
    assert_eq!(after["inesokafor"], "MOCK");
}
