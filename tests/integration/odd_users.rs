//! A `users` table as an older or hand-made database has it: NULL in `display_name`, `email` and
//! `cognito_user_id`, and `cognito_user_id` typed `uuid`. No tool panics on it: each works, or
//! fails with an error naming the table, the column and the row.

use std::process::Output;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use serde_json::Value;

use crate::common::*;

/// The odd table: bayko and everlygrandest have everything but a Cognito id (NULL), noname has
/// no display name, nomail no email; cognito_user_id is a `uuid` column.
const ODD_USERS_SQL: &str = "
    CREATE TABLE public.users (
      uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      display_name TEXT,
      handle TEXT NOT NULL UNIQUE,
      email TEXT,
      cognito_user_id UUID,
      created_at TIMESTAMP DEFAULT current_timestamp NOT NULL
    );
    CREATE TABLE public.activities (
      uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      user_uuid UUID REFERENCES public.users (uuid)
    );
    INSERT INTO public.users (display_name, handle, email, cognito_user_id) VALUES
      ('Andrew Bayko', 'bayko', 'andrew.bayko@example.com', NULL),
      ('Everly Grandest', 'everlygrandest', 'everly.grandest@example.com', NULL),
      (NULL, 'noname', 'noname@example.com', NULL),
      ('No Mail', 'nomail', NULL, NULL);";

/// A database holding `sql`.
async fn odd_db(sql: &str) -> TestDb {
    let db = TestDb::new();
    let admin = cruddur_ops::pg::connect_url(&admin_url(), &local_config())
        .await
        .expect("connect as admin");
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {}",
            cruddur_ops::pg::quote_ident(&db.name)
        ))
        .await
        .expect("create the test database");
    db.client()
        .await
        .batch_execute(sql)
        .await
        .expect("create the odd users table");
    db
}

/// Asserts that `out` is no panic (exit code 101, or "panicked" on stderr), and returns it.
#[track_caller]
fn no_panic(what: &str, out: Output) -> Output {
    let err = stderr(&out);
    assert!(
        out.status.code() != Some(101) && !err.contains("panicked"),
        "{what} panicked ({:?}):\nstdout:\n{}\nstderr:\n{err}",
        out.status,
        stdout(&out)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tool_panics_on_nulls_and_a_uuid_cognito_user_id() {
    let ctx = clean_local_context().await;
    let (db, pool, table) = (
        odd_db(ODD_USERS_SQL).await,
        TestPool::created(&ctx).await,
        TestTable::created(),
    );
    for (username, handle) in [("cog-bayko", "bayko"), ("cog-everly", "everlygrandest")] {
        ctx.cognito()
            .admin_create_user()
            .user_pool_id(&pool.id)
            .username(username)
            .message_action(MessageActionType::Suppress)
            .user_attributes(
                AttributeType::builder()
                    .name("preferred_username")
                    .value(handle)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("create {username}: {e:?}"));
    }
    let pool_id = ["--user-pool-id", pool.id.as_str()];
    tokio::task::block_in_place(|| {
        let pg = |name: &str| {
            let mut cmd = bin(name);
            cmd.env("CONNECTION_URL", &db.url);
            cmd
        };
        // The sync reads a NULL cognito_user_id as "no id yet" and writes the uuid column.
        let dry = json(&ok(no_panic(
            "update-cognito-user-ids --dry-run",
            run(pg("update-cognito-user-ids").args(pool_id).args([
                "--dry-run",
                "--output",
                "json",
            ])),
        )));
        assert_eq!(dry["updated"]["count"], 2, "{dry}");
        let done = json(&ok(no_panic(
            "update-cognito-user-ids",
            run(pg("update-cognito-user-ids")
                .args(pool_id)
                .args(["--output", "json"])),
        )));
        assert_eq!(done["updated"]["count"], 2, "{done}");
        let again = json(&ok(no_panic(
            "update-cognito-user-ids (again)",
            run(pg("update-cognito-user-ids")
                .args(pool_id)
                .args(["--output", "json"])),
        )));
        assert_eq!(again["already_correct"]["count"], 2, "{again}");

        // check finds problems (noname and nomail have no pool user) but reads every row.
        let check = no_panic(
            "check",
            run(tool("check", &table, &db)
                .arg("local")
                .args(pool_id)
                .args(["--output", "jsonl"])),
        );
        assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
        assert!(stdout(&check).contains("noname"), "{}", stdout(&check));

        let summary = json(&ok(no_panic(
            "summary",
            run(tool("summary", &table, &db)
                .arg("local")
                .args(pool_id)
                .args(["--output", "json"])),
        )));
        assert_eq!(summary["postgres"]["users"], 4, "{summary}");
        assert_eq!(summary["postgres"]["users_with_cognito_id"], 2, "{summary}");

        no_panic(
            "list-users",
            ok(run(bin("list-users")
                .args(pool_id)
                .args(["--output", "json"]))),
        );

        // find-user shows what is missing as null.
        let found = json(&ok(no_panic(
            "find-user --handle noname",
            run(pg("find-user").args(["--handle", "noname", "--output", "json"])),
        )));
        assert_eq!(found[0]["display_name"], Value::Null, "{found}");
        let found = json(&ok(no_panic(
            "find-user --handle nomail",
            run(pg("find-user").args(["--handle", "nomail", "--output", "json"])),
        )));
        assert_eq!(found[0]["email"], Value::Null, "{found}");
        assert_eq!(found[0]["cognito_user_id"], Value::Null, "{found}");
        let bayko = json(&ok(no_panic(
            "find-user --handle bayko",
            run(pg("find-user").args(["--handle", "bayko", "--output", "json"])),
        )));
        let sub = bayko[0]["cognito_user_id"]
            .as_str()
            .expect("a sub")
            .to_string();
        let by_sub = json(&ok(no_panic(
            "find-user --cognito-user-id",
            run(pg("find-user").args(["--cognito-user-id", &sub, "--output", "json"])),
        )));
        assert_eq!(by_sub[0]["handle"], "bayko", "{by_sub}");

        // Tools that need the missing value say which table, column and row.
        let err = fails(no_panic(
            "cognito-setup --dry-run",
            run(pg("cognito-setup").args(["--pool-name", &pool.name, "--dry-run"])),
        ));
        assert!(
            err.contains(r#"users.email is NULL for handle "nomail""#),
            "{err}"
        );
        let err = fails(no_panic(
            "seed --from noname",
            run(tool("seed", &table, &db).args(["--from", "noname", "--to", "bayko"])),
        ));
        assert!(
            err.contains(r#"users.display_name is NULL for handle "noname""#),
            "{err}"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_of_another_type_is_an_error_naming_it() {
    let db = odd_db(
        "CREATE TABLE public.users (
           uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
           display_name INTEGER,
           handle TEXT NOT NULL UNIQUE,
           email TEXT,
           cognito_user_id TEXT
         );
         INSERT INTO public.users (display_name, handle, email, cognito_user_id)
         VALUES (7, 'seven', 'seven@example.com', 'MOCK');",
    )
    .await;
    let err = tokio::task::block_in_place(|| {
        fails(no_panic(
            "find-user --handle seven",
            run(bin("find-user")
                .args(["--handle", "seven"])
                .env("CONNECTION_URL", &db.url)),
        ))
    });
    assert!(
        err.contains(r#"users.display_name is int4, expected text for handle "seven""#),
        "{err}"
    );
}
