//! `check`: a consistent setup passes (exit 0); each kind of inconsistency, made on purpose on a
//! test's own table, database and user pool, is found and named (exit 1).

use std::collections::BTreeSet;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use cruddur_ops::cognito;
use cruddur_ops::ddb::item::{s, Item};
use cruddur_ops::model::keys::DEFAULT_GROUP;
use serde_json::Value;
use uuid::Uuid;

use crate::common::*;

/// The time of the seeded group's newest message.
const NEWEST: &str = "2026-01-01T00:00:00.000000+00:00";

/// What `just setup` builds, on a test's own stores: users synced with a pool, one seeded
/// conversation (its last message at [`NEWEST`]).
struct Stores {
    table: TestTable,
    db: TestDb,
    pool: TestPool,
}

impl Stores {
    async fn consistent() -> Stores {
        let (table, db, pool) = (
            TestTable::created(),
            TestDb::seeded().await,
            TestPool::named(),
        );
        tokio::task::block_in_place(|| {
            let pool_args = ["--pool-name", pool.name.as_str()];
            ok(run(bin("cognito-setup")
                .args(pool_args)
                .env("CONNECTION_URL", &db.url)));
            ok(run(bin("update-cognito-user-ids")
                .args(pool_args)
                .env("CONNECTION_URL", &db.url)));
            ok(run(tool("seed", &table, &db).args(["--now", NEWEST])));
        });
        Stores { table, db, pool }
    }

    /// Runs `check --output jsonl`: (succeeded, problem rows, stderr).
    fn check(&self) -> (bool, Vec<Value>, String) {
        let out = tokio::task::block_in_place(|| {
            run(tool("check", &self.table, &self.db).args([
                "local",
                "--pool-name",
                &self.pool.name,
                "--output",
                "jsonl",
            ]))
        });
        let rows = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        (out.status.success(), rows, stderr(&out))
    }

    async fn pool_id(&self) -> String {
        let ctx = clean_local_context().await;
        cognito::find_pool_by_name(&ctx, &self.pool.name)
            .await
            .unwrap()
            .expect("the test pool")
    }
}

/// The (kind, store, key) of every row.
fn found(rows: &[Value]) -> BTreeSet<(String, String, String)> {
    rows.iter()
        .map(|r| {
            let f = |k: &str| {
                r[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {r}"))
                    .to_string()
            };
            assert!(!f("detail").is_empty(), "{r}");
            (f("kind"), f("store"), f("key"))
        })
        .collect()
}

fn row(kind: &str, store: &str, key: &str) -> (String, String, String) {
    (kind.into(), store.into(), key.into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consistent_setup_passes() {
    let stores = Stores::consistent().await;
    let (ok, rows, err) = stores.check();
    assert!(ok, "{rows:?}\n{err}");
    assert!(rows.is_empty(), "{rows:?}");
    assert!(err.contains("0 problems"), "{err}");
    assert!(err.contains("5 PostgreSQL users"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn users_that_disagree_with_the_pool_are_named() {
    let stores = Stores::consistent().await;
    let client = stores.db.client().await;
    client
        .batch_execute(
            "UPDATE users SET cognito_user_id = 'MOCK' WHERE handle = 'bayko';
             UPDATE users SET cognito_user_id = '' WHERE handle = 'inesokafor';
             UPDATE users SET cognito_user_id = 'not-a-sub' WHERE handle = 'tomaslind';
             UPDATE users SET display_name = 'Someone Else' WHERE handle = 'everlygrandest';",
        )
        .await
        .unwrap();
    let ctx = clean_local_context().await;
    let pool_id = stores.pool_id().await;
    ctx.cognito()
        .admin_delete_user()
        .user_pool_id(&pool_id)
        .username("meitanaka")
        .send()
        .await
        .unwrap();
    ctx.cognito()
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("ghost")
        .user_attributes(
            AttributeType::builder()
                .name("preferred_username")
                .value("ghost")
                .build()
                .unwrap(),
        )
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();

    let (ok, rows, err) = stores.check();
    assert!(!ok, "{err}");
    assert!(err.contains("not consistent"), "{err}");
    let found = found(&rows);
    for want in [
        row("mock-cognito-id", "postgres", "bayko"),
        row("empty-cognito-id", "postgres", "inesokafor"),
        row("wrong-cognito-id", "postgres", "tomaslind"),
        row("no-pool-user", "postgres", "meitanaka"),
        row("pool-user-without-db-user", "cognito", "ghost"),
    ] {
        assert!(found.contains(&want), "{want:?} not in {found:#?}");
    }
    // everlygrandest's display name changed: each of her messages and bayko's row naming her
    let mismatches: Vec<&Value> = rows
        .iter()
        .filter(|r| r["kind"] == "user-mismatch")
        .collect();
    assert!(mismatches.len() > 10, "{mismatches:?}");
    assert!(mismatches.iter().all(
        |r| r["store"] == "dynamodb" && r["detail"].as_str().unwrap().contains("Someone Else")
    ));
    assert!(mismatches
        .iter()
        .any(|r| r["key"].as_str().unwrap().starts_with("GRP#")));
    // nothing else: the table itself is consistent
    let kinds: BTreeSet<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn table_items_that_disagree_are_named() {
    let stores = Stores::consistent().await;
    let ctx = local_context(&stores.table.name).await;
    let bayko = stores.db.user("bayko").await;
    let everly = stores.db.user("everlygrandest").await;
    let put = |item: Item| {
        let ctx = ctx.clone();
        async move {
            ctx.dynamodb()
                .put_item()
                .table_name(ctx.table())
                .set_item(Some(item))
                .send()
                .await
                .unwrap();
        }
    };
    let delete = |pk: String, sk: &str| {
        let ctx = ctx.clone();
        let sk = sk.to_string();
        async move {
            ctx.dynamodb()
                .delete_item()
                .table_name(ctx.table())
                .key("pk", s(pk))
                .key("sk", s(sk))
                .send()
                .await
                .unwrap();
        }
    };

    // unknown-user: a message from nobody, in a group of its own
    let stranger = Uuid::new_v4();
    let lonely = Uuid::new_v4();
    let message = |group: Uuid, sk: &str, user: Uuid, handle: &str| -> Item {
        [
            ("pk", format!("MSG#{group}")),
            ("sk", sk.to_string()),
            ("message_uuid", Uuid::new_v4().to_string()),
            ("message", "who am I?".to_string()),
            ("user_uuid", user.to_string()),
            ("user_handle", handle.to_string()),
            ("user_display_name", "A Stranger".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), s(v)))
        .collect()
    };
    put(message(lonely, NEWEST, stranger, "stranger")).await;
    // stale-conversation: the newest message of the seeded group is gone
    delete(format!("MSG#{DEFAULT_GROUP}"), NEWEST).await;
    // missing-partner: bayko's row of the seeded group is gone (everly's stays)
    delete(format!("GRP#{}", bayko.uuid), NEWEST).await;
    // empty-group: a pair of rows for a group without messages
    let empty = Uuid::new_v4();
    let conv = |owner: Uuid, other: &cruddur_ops::pg::User| -> Item {
        [
            ("pk", format!("GRP#{owner}")),
            ("sk", "2025-06-01T00:00:00.000000+00:00".to_string()),
            ("message_group_uuid", empty.to_string()),
            ("message", "hello?".to_string()),
            ("user_uuid", other.uuid.to_string()),
            ("user_handle", other.handle.clone()),
            ("user_display_name", other.display_name.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), s(v)))
        .collect()
    };
    put(conv(everly.uuid, &bayko)).await;
    put(conv(bayko.uuid, &everly)).await;

    let (ok, rows, err) = stores.check();
    assert!(!ok, "{err}");
    let everly_row = format!("GRP#{} {NEWEST}", everly.uuid);
    let want: BTreeSet<_> = [
        row(
            "unknown-user",
            "dynamodb",
            &format!("MSG#{lonely} {NEWEST}"),
        ),
        row("stale-conversation", "dynamodb", &everly_row),
        row("missing-partner", "dynamodb", &everly_row),
        row(
            "empty-group",
            "dynamodb",
            &format!("GRP#{} 2025-06-01T00:00:00.000000+00:00", everly.uuid),
        ),
        row(
            "empty-group",
            "dynamodb",
            &format!("GRP#{} 2025-06-01T00:00:00.000000+00:00", bayko.uuid),
        ),
    ]
    .into();
    assert_eq!(found(&rows), want);
    assert!(err.contains("5 problems"), "{err}");

    // the table output names the same problems
    let out = tokio::task::block_in_place(|| {
        run(tool("check", &stores.table, &stores.db).args([
            "--pool-name",
            &stores.pool.name,
            "--output",
            "table",
        ]))
    });
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for kind in [
        "unknown-user",
        "stale-conversation",
        "missing-partner",
        "empty-group",
    ] {
        assert!(text.contains(kind), "{text}");
    }
}
