//! `find-user`: by handle, uuid and Cognito id, with and without the pool user; unknown keys.

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use cruddur_ops::cognito;
use serde_json::Value;

use crate::common::*;

/// A seeded database whose users are synced with a pool of their own.
async fn synced() -> (TestDb, TestPool) {
    let (db, pool) = (TestDb::seeded().await, TestPool::named());
    tokio::task::block_in_place(|| {
        let args = ["--pool-name", pool.name.as_str()];
        ok(run(bin("cognito-setup")
            .args(args)
            .env("CONNECTION_URL", &db.url)));
        ok(run(bin("update-cognito-user-ids")
            .args(args)
            .env("CONNECTION_URL", &db.url)));
    });
    (db, pool)
}

fn find(db: &TestDb, pool: &TestPool, args: &[&str]) -> std::process::Output {
    tokio::task::block_in_place(|| {
        run(bin("find-user")
            .args(args)
            .args(["--pool-name", &pool.name, "--output", "json"])
            .env("CONNECTION_URL", &db.url))
    })
}

fn users(out: std::process::Output) -> Vec<Value> {
    let out = ok(out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_a_user_by_each_key() {
    let (db, pool) = synced().await;
    let by_handle = users(find(&db, &pool, &["--handle", "bayko"]));
    assert_eq!(by_handle.len(), 1);
    let bayko = &by_handle[0];
    assert_eq!(bayko["handle"], "bayko");
    assert_eq!(bayko["display_name"], "Andrew Bayko");
    assert_eq!(bayko["email"], "andrew.bayko@example.com");
    assert!(bayko.get("pool_users").is_none(), "{bayko}");
    let sub = bayko["cognito_user_id"].as_str().unwrap().to_string();
    assert_ne!(sub, "MOCK");
    let uuid = bayko["uuid"].as_str().unwrap().to_string();

    assert_eq!(users(find(&db, &pool, &["--uuid", &uuid])), by_handle);
    assert_eq!(
        users(find(&db, &pool, &["--cognito-user-id", &sub])),
        by_handle
    );

    let with_pool = users(find(&db, &pool, &["--handle", "bayko", "--cognito"]));
    let pool_users = with_pool[0]["pool_users"].as_array().unwrap();
    assert_eq!(pool_users.len(), 1, "{with_pool:?}");
    assert_eq!(pool_users[0]["sub"], sub.as_str());
    assert_eq!(pool_users[0]["username"], "bayko");
    assert_eq!(pool_users[0]["email"], "andrew.bayko@example.com");

    // the table names the same user (every column with --wide)
    let out = ok(tokio::task::block_in_place(|| {
        run(bin("find-user")
            .args(["--handle", "bayko", "--cognito", "--pool-name", &pool.name])
            .args(["--output", "table", "--wide"])
            .env("CONNECTION_URL", &db.url))
    }));
    let text = stdout(&out);
    assert!(
        text.contains("Andrew Bayko") && text.contains(&sub),
        "{text}"
    );
    assert!(text.contains("Pool status"), "{text}");

    // Without --cognito: no pool columns, rather than three empty ones.
    let out = ok(tokio::task::block_in_place(|| {
        run(bin("find-user")
            .args(["--handle", "bayko", "--output", "table"])
            .env("CONNECTION_URL", &db.url))
    }));
    let text = stdout(&out);
    assert!(
        text.contains("Cognito user id") && !text.contains("Pool"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handle_with_quotes_finds_its_pool_user_only() {
    let (db, pool) = synced().await;
    let handle = r#"o"brien\x"#;
    db.client()
        .await
        .execute(
            "INSERT INTO users (display_name, handle, email, cognito_user_id) \
             VALUES ('Pat O''Brien', $1, 'pat@example.com', 'MOCK')",
            &[&handle],
        )
        .await
        .unwrap();
    let ctx = clean_local_context().await;
    let pool_id = cognito::find_pool_by_name(&ctx, &pool.name)
        .await
        .unwrap()
        .unwrap();
    // 61 users whose preferred_username only starts the same way, then the user: the filter
    // (`preferred_username ^= "o"`) matches more than one page of 60, the user on the second.
    let others: Vec<(String, String)> = (0..61)
        .map(|i| (format!("oliver{i}"), format!("o-liver-{i}")))
        .collect();
    let all = others
        .iter()
        .map(|(u, v)| (u.as_str(), v.as_str()))
        .chain([("obrien", handle)]);
    for (username, value) in all {
        ctx.cognito()
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(username)
            .user_attributes(
                AttributeType::builder()
                    .name("preferred_username")
                    .value(value)
                    .build()
                    .unwrap(),
            )
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let first_page = ctx
        .cognito()
        .list_users()
        .user_pool_id(&pool_id)
        .filter(cognito::filter_for("preferred_username", handle).unwrap())
        .limit(cognito::LIST_USERS_PAGE_SIZE)
        .send()
        .await
        .unwrap();
    assert_eq!(first_page.users().len(), 60);
    assert!(first_page
        .users()
        .iter()
        .all(|u| u.username() != Some("obrien")));
    let found = users(find(&db, &pool, &["--handle", handle, "--cognito"]));
    assert_eq!(found[0]["handle"], handle);
    let pool_users = found[0]["pool_users"].as_array().unwrap();
    assert_eq!(pool_users.len(), 1, "{found:?}");
    assert_eq!(pool_users[0]["username"], "obrien");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_key_is_an_error_naming_it() {
    let (db, pool) = synced().await;
    let err = fails(find(&db, &pool, &["--handle", "nobody-here"]));
    assert!(err.contains("no user with handle \"nobody-here\""), "{err}");
    let err = fails(find(
        &db,
        &pool,
        &["--uuid", "00000000-0000-0000-0000-000000000000"],
    ));
    assert!(
        err.contains("00000000-0000-0000-0000-000000000000"),
        "{err}"
    );
    let err = fails(find(&db, &pool, &["--cognito-user-id", "no-such-sub"]));
    assert!(err.contains("no-such-sub"), "{err}");
    // exactly one key
    let err = fails(find(&db, &pool, &[]));
    assert!(err.contains("--handle"), "{err}");
    let err = fails(find(&db, &pool, &["--handle", "bayko", "--uuid", "x"]));
    assert!(
        err.contains("cannot be used with") || err.contains("invalid"),
        "{err}"
    );
}
