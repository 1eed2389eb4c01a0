//! `check`: a consistent setup passes (exit 0); each kind of inconsistency, made on purpose on a
//! test's own table, database and user pool, is found and named (exit 1).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
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
        let (table, db) = (TestTable::created(), TestDb::seeded().await);
        let pool = tokio::task::block_in_place(|| {
            let pool = TestPool::synced_with(&db);
            ok(run(tool("seed", &table, &db).args(["--now", NEWEST])));
            pool
        });
        Stores { table, db, pool }
    }

    /// Runs `check --output jsonl` with `extra` arguments: (succeeded, rows, stderr). A row is
    /// one kind of problem (its count and first few), or with `--all` one problem.
    fn check(&self, extra: &[&str]) -> (bool, Vec<Value>, String) {
        let out = tokio::task::block_in_place(|| {
            run(tool("check", &self.table, &self.db)
                .args(["local", "--pool-name", &self.pool.name, "--output", "jsonl"])
                .args(extra))
        });
        let rows = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        (out.status.success(), rows, stderr(&out))
    }

    /// Runs `check --output FORMAT`: (exit code, stdout).
    fn check_as(&self, format: &str) -> (Option<i32>, String) {
        let out = tokio::task::block_in_place(|| {
            run(tool("check", &self.table, &self.db).args([
                "--pool-name",
                &self.pool.name,
                "--output",
                format,
            ]))
        });
        (out.status.code(), stdout(&out))
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
    let (ok, rows, err) = stores.check(&[]);
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
    crate::users::create_users(&ctx, &pool_id, &[("ghost".into(), Some("ghost".into()))]).await;

    let (ok, rows, err) = stores.check(&["--all"]);
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

    // By default, one row per kind: the mismatches are one row with their count and first few
    // (bayko's row first: GRP# sorts before MSG#), each other kind a row of one.
    let (grouped_ok, groups, _) = stores.check(&[]);
    assert!(!grouped_ok);
    let counts: BTreeSet<(String, String, u64)> = groups
        .iter()
        .map(|g| {
            let field = |k: &str| {
                g[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {g}"))
                    .to_string()
            };
            (
                field("kind"),
                field("store"),
                g["count"].as_u64().expect("a count"),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, u64)> = [
        ("mock-cognito-id", "postgres", 1),
        ("empty-cognito-id", "postgres", 1),
        ("wrong-cognito-id", "postgres", 1),
        ("no-pool-user", "postgres", 1),
        ("pool-user-without-db-user", "cognito", 1),
        ("user-mismatch", "dynamodb", mismatches.len() as u64),
    ]
    .into_iter()
    .map(|(k, s, n)| (k.to_string(), s.to_string(), n))
    .collect();
    // nothing else: the table itself is consistent
    assert_eq!(counts, want, "{groups:#?}");
    let group = groups
        .iter()
        .find(|g| g["kind"] == "user-mismatch")
        .expect("the mismatches' row");
    let sample = group["sample"].as_array().expect("a sample");
    assert_eq!(sample.len(), 5, "{group}");
    assert!(
        sample[0]["key"].as_str().unwrap().starts_with("GRP#"),
        "{group}"
    );
    assert!(sample
        .iter()
        .all(|e| e["detail"].as_str().unwrap().contains("Someone Else")));
    assert_eq!(
        group["summary"],
        format!(
            "{} items: user_handle or user_display_name differs from PostgreSQL's",
            mismatches.len()
        )
    );
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

    let (ok, rows, err) = stores.check(&["--all"]);
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

    // the table output names the same problems, one row per kind (the two empty groups in one)
    let (code, text) = stores.check_as("table");
    assert_eq!(code, Some(1));
    for kind in [
        "unknown-user",
        "stale-conversation",
        "missing-partner",
        "empty-group",
    ] {
        assert_eq!(text.matches(kind).count(), 1, "{text}");
    }
    assert!(
        text.contains("2 items: a conversation row whose group has no messages"),
        "{text}"
    );
    assert!(
        text.contains(&format!("GRP#{} 2025-06-01", bayko.uuid)),
        "{text}"
    );
    assert!(
        text.contains(&format!("GRP#{} 2025-06-01", everly.uuid)),
        "{text}"
    );
}

/// Many problems of one kind are one row, in every format: its count, what the kind means and
/// the first few; `--all` lists every one.
#[tokio::test(flavor = "multi_thread")]
async fn many_problems_of_one_kind_are_one_row() {
    const N: usize = 120;
    let stores = Stores::consistent().await;
    let ctx = local_context(&stores.table.name).await;
    // N messages from someone who is no PostgreSQL user, in a group of their own
    let (stranger, group) = (Uuid::new_v4(), Uuid::new_v4());
    let requests: Vec<WriteRequest> = (0..N)
        .map(|i| {
            let item: Item = [
                ("pk", format!("MSG#{group}")),
                ("sk", format!("2025-01-01T00:00:{:02}.{i:06}+00:00", i % 60)),
                ("message_uuid", Uuid::new_v4().to_string()),
                ("message", format!("message {i}")),
                ("user_uuid", stranger.to_string()),
                ("user_handle", "stranger".to_string()),
                ("user_display_name", "A Stranger".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), s(v)))
            .collect();
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    for batch in requests.chunks(25) {
        let out = ctx
            .dynamodb()
            .batch_write_item()
            .request_items(ctx.table(), batch.to_vec())
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }

    let (ok, groups, err) = stores.check(&[]);
    assert!(!ok, "{err}");
    assert!(err.contains(&format!("{N} problems")), "{err}");
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let only = &groups[0];
    assert_eq!(
        (only["kind"].as_str(), only["count"].as_u64()),
        (Some("unknown-user"), Some(N as u64))
    );
    assert_eq!(
        only["summary"],
        format!("{N} items: user_uuid (or a conversation row's owner) is not a PostgreSQL user")
    );
    let sample = only["sample"].as_array().expect("a sample");
    assert_eq!(sample.len(), 5, "{only}");
    assert!(sample.iter().all(|e| e["key"]
        .as_str()
        .unwrap()
        .starts_with(&format!("MSG#{group} "))
        && e["detail"]
            .as_str()
            .unwrap()
            .contains(&stranger.to_string())));

    // --output json: one array of one group
    let (code, json) = stores.check_as("json");
    assert_eq!(code, Some(1));
    let parsed: Vec<Value> = serde_json::from_str(&json).expect("a JSON array");
    assert_eq!(parsed, groups);

    // the table: one row, a few lines long, that says how many more there are
    let (code, text) = stores.check_as("table");
    assert_eq!(code, Some(1));
    assert_eq!(text.matches("unknown-user").count(), 1, "{text}");
    assert!(text.contains(&format!("{N} items: user_uuid")), "{text}");
    assert!(
        text.contains(&format!("and {} more (check --all lists every one)", N - 5)),
        "{text}"
    );
    assert!(text.lines().count() < 15, "{text}");

    // --all: every one
    let (_, all, _) = stores.check(&["--all"]);
    assert_eq!(all.len(), N);
    assert!(all.iter().all(|r| r["kind"] == "unknown-user"));
}
