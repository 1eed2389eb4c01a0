//! `cognito-export` and `cognito-import` against moto's Cognito: 360 users with three groups
//! and their memberships restored into a new pool (the restore killed halfway and resumed) and
//! compared one by one; a pool whose schema lacks an attribute refused with nothing written; and
//! the migration's last steps, the sub remap (`update-cognito-user-ids`) and `check`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::{AttributeDataType, SchemaAttributeType};
use cruddur_ops::cognito::records::{GroupRecord, UserRecord};
use cruddur_ops::ops::cognito_import::read::{read_file, Backup};
use serde_json::{json, Value};

use crate::capacity::Scratch;
use crate::common::*;

/// Enough for six ListUsers pages and a kill well before the end (at 150); moto's Cognito slows
/// down with every user a pool holds, so a bigger pool costs the suite CPU and tests no more.
const USERS: usize = 360;
const GROUPS: [&str; 3] = ["admins", "staff", "beta"];

/// A new pool whose schema has the custom attributes `custom` (strings, mutable).
async fn pool_with(custom: &[&str]) -> TestPool {
    let ctx = clean_local_context().await;
    let mut pool = TestPool::named();
    let mut request = ctx.cognito().create_user_pool().pool_name(&pool.name);
    for name in custom {
        request = request.schema(
            SchemaAttributeType::builder()
                .name(*name)
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        );
    }
    let created = request.send().await.expect("create the pool");
    pool.id = created.user_pool().unwrap().id().unwrap().to_string();
    pool
}

/// An export file of `users` users (every tenth disabled, tiers alternating, old subs), the
/// three groups, and every fourth user a member of one of them (every eighth of two).
fn generated(users: usize, custom: &[&str]) -> String {
    let schema: Vec<Value> = custom
        .iter()
        .map(|c| json!({"name": format!("custom:{c}"), "data_type": "String", "mutable": true}))
        .collect();
    let mut lines = vec![json!({
        "type": "pool", "format": 1, "id": "us-east-1_generated", "name": "generated",
        "schema": schema, "username_attributes": [], "alias_attributes": [],
        "case_sensitive": null, "auto_verified_attributes": [], "password_policy": null,
        "mfa": "OFF", "admin_create_user_only": false, "estimated_users": users,
    })];
    for (i, g) in GROUPS.iter().enumerate() {
        lines.push(
            json!({"type": "group", "name": g, "description": format!("the {g}"),
                          "precedence": i + 1, "role_arn": null}),
        );
    }
    for i in 0..users {
        let mut attributes = json!({
            "email": format!("user{i:04}@example.org"),
            "email_verified": "true",
            "preferred_username": format!("user{i:04}"),
            "name": format!("User Number {i}"),
            "sub": format!("00000000-0000-4000-8000-{i:012}"),
        });
        for c in custom {
            attributes[format!("custom:{c}")] = json!(format!("{c}-{}", i % 2));
        }
        lines.push(json!({"type": "user", "username": format!("user{i:04}"),
                          "attributes": attributes, "enabled": i % 10 != 0,
                          "status": "CONFIRMED", "created": null}));
    }
    for i in (0..users).step_by(4) {
        let u = format!("user{i:04}");
        lines.push(json!({"type": "member", "group": GROUPS[i % 3], "username": u}));
        if i % 8 == 0 {
            lines.push(json!({"type": "member", "group": GROUPS[(i + 1) % 3], "username": u}));
        }
    }
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.shrink_to_fit();
    text
}

fn import(pool: &TestPool, file: &Path) -> Command {
    let mut cmd = bin("cognito-import");
    cmd.args(["--pool-name", &pool.name, "--file"]).arg(file);
    cmd
}

/// Exports `pool` into `dir` and reads the file back.
fn exported(pool: &TestPool, dir: &Scratch, name: &str) -> Backup {
    let path = dir.dir.join(name);
    let out = ok(run(bin("cognito-export")
        .args(["--pool-name", &pool.name, "--file"])
        .arg(&path)));
    assert!(stderr(&out).contains("exported"), "{}", stderr(&out));
    read_file(&path).expect("the export reads back")
}

/// The users by name, each without `sub` (a new pool gives new ones).
fn users_without_sub(backup: &Backup) -> BTreeMap<String, UserRecord> {
    backup
        .users
        .iter()
        .map(|u| {
            let mut u = u.clone();
            u.attributes.remove("sub");
            (u.username.clone(), u)
        })
        .collect()
}

fn groups(backup: &Backup) -> BTreeMap<String, GroupRecord> {
    backup
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.clone()))
        .collect()
}

fn memberships(backup: &Backup) -> BTreeSet<(String, String)> {
    backup
        .members
        .iter()
        .map(|m| (m.group.clone(), m.username.clone()))
        .collect()
}

/// Compares two pools' users one by one (every attribute but `sub`, enabled), their groups and
/// their memberships.
fn assert_same_pool(want: &Backup, got: &Backup, what: &str) {
    let (want_users, got_users) = (users_without_sub(want), users_without_sub(got));
    assert_eq!(got.users.len(), want.users.len(), "{what}: users");
    assert_eq!(
        got_users.len(),
        got.users.len(),
        "{what}: a user name twice"
    );
    for (name, w) in &want_users {
        let g = got_users
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no user {name}"));
        assert_eq!(g.attributes, w.attributes, "{what}: attributes of {name}");
        assert_eq!(g.enabled, w.enabled, "{what}: enabled of {name}");
        assert_eq!(
            g.status.as_deref(),
            Some("FORCE_CHANGE_PASSWORD"),
            "{what}: {name} must reset the password"
        );
    }
    assert_eq!(groups(got), groups(want), "{what}: groups");
    assert_eq!(memberships(got), memberships(want), "{what}: memberships");
}

/// The checkpoint's `state`, once it exists and is JSON.
fn checkpoint_state(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Value>(&text)
        .ok()
        .map(|d| d["state"].clone())
}

/// Waits until the checkpoint says `users` users are done, then kills `child` (SIGKILL).
fn kill_when_users_done(child: &mut Child, checkpoint: &Path, users: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = checkpoint_state(checkpoint)
            .and_then(|s| s["users_done"].as_u64())
            .unwrap_or(0);
        if done >= users {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before {users} users were done");
        }
        assert!(
            Instant::now() < deadline,
            "{done} users done after a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success(), "killed, not finished");
}

fn summary(out: &std::process::Output) -> Value {
    serde_json::from_str(stdout(out).trim()).expect("the summary as one JSON line")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_of_users_is_restored_into_a_new_pool_through_a_killed_import() {
    let _heavy = exclusive(Load::Heavy);
    let started = Instant::now();
    let dir = Scratch::new();
    let source = pool_with(&["tier"]).await;
    let target = pool_with(&["tier"]).await;
    let generated_file = dir.write("generated.jsonl", &generated(USERS, &["tier"]));
    let expected = read_file(&generated_file).unwrap();
    tokio::task::block_in_place(|| {
        // The source pool, filled by the tool itself from the generated file.
        let out = ok(run(
            import(&source, &generated_file).args(["--output", "jsonl"])
        ));
        let s = summary(&out);
        assert_eq!(s["users_created"], USERS);
        assert_eq!(s["groups_created"], 3);
        assert_eq!(s["memberships_added"], expected.members.len());
        assert!(
            stderr(&out).contains("FORCE_CHANGE_PASSWORD"),
            "{}",
            stderr(&out)
        );
        let filled = Instant::now();

        let export = exported(&source, &dir, "source.jsonl");
        let exported_in = filled.elapsed();
        assert_same_pool(
            &expected,
            &export,
            "the source pool against the generated file",
        );
        assert_eq!(export.pool.id, source.id);
        assert!(export.pool.attribute("custom:tier").is_some());
        assert!(
            export
                .users
                .iter()
                .all(|u| u.attributes.contains_key("sub")),
            "the old subs are kept for the remap"
        );

        // Into the new pool: killed once 150 users are done (the restore paced at 200
        // creations a second, so that it is still running then), then resumed.
        let file = dir.dir.join("source.jsonl");
        let checkpoint = dir.dir.join("restore.ckpt");
        let resume = |cmd: &mut Command| {
            cmd.arg("--checkpoint").arg(&checkpoint).args([
                "--rate",
                "UserCreation=200",
                "--output",
                "jsonl",
            ]);
        };
        let mut first = import(&target, &file);
        resume(&mut first);
        let mut child = first
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_when_users_done(&mut child, &checkpoint, 150);
        let state = checkpoint_state(&checkpoint).unwrap();
        let done_before = state["users_done"].as_u64().unwrap();
        assert!(done_before < USERS as u64, "killed halfway: {state}");

        let mut again = import(&target, &file);
        resume(&mut again);
        let out = ok(run(&mut again));
        let err = stderr(&out);
        assert!(err.contains("resuming from the checkpoint"), "{err}");
        let s = summary(&out);
        // Users in flight when the import was killed (at most --concurrency 8, beyond the
        // checkpoint's mark) were created then: found equal now, or, when the kill fell between
        // creating and disabling one, disabled now. Every other user is created by one run.
        let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
        assert_eq!(
            n("users_created") + n("users_updated") + n("users_equal"),
            USERS as u64
        );
        assert!(n("users_updated") + n("users_equal") <= 16, "{s}");
        let updates = s["update_examples"].as_array().unwrap();
        assert!(
            updates
                .iter()
                .all(|u| u.as_str().unwrap().ends_with(": disable")),
            "{s}"
        );
        assert_eq!(s["memberships_added"], expected.members.len(), "{s}");
        let restored = exported(&target, &dir, "target.jsonl");
        assert_same_pool(&export, &restored, "the restored pool");
        let subs: BTreeSet<&String> = restored
            .users
            .iter()
            .filter_map(|u| u.attributes.get("sub"))
            .collect();
        assert_eq!(
            subs.len(),
            USERS,
            "every user once, with a sub of their own"
        );

        // The checkpoint says it is done; without it, every user is found equal.
        let mut third = import(&target, &file);
        resume(&mut third);
        let out = ok(run(&mut third));
        assert!(stderr(&out).contains("nothing to do"), "{}", stderr(&out));
        let out = ok(run(import(&target, &file).args(["--output", "jsonl"])));
        assert!(
            !stderr(&out).contains("passwords cannot be exported"),
            "no user created, no password note: {}",
            stderr(&out)
        );
        let s = summary(&out);
        assert_eq!(
            (
                &s["users_equal"],
                &s["users_created"],
                &s["memberships_present"]
            ),
            (&json!(USERS), &json!(0), &json!(expected.members.len())),
            "{s}"
        );
        eprintln!(
            "{USERS} users: filled, exported in {:.2} s, restored with a kill, compared: {:.1} s",
            exported_in.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    });
}

/// The user names and the group names of `pool`, listed with the SDK.
async fn contents(pool: &TestPool) -> (Vec<String>, Vec<String>) {
    let ctx = clean_local_context().await;
    let users = ctx
        .cognito()
        .list_users()
        .user_pool_id(&pool.id)
        .send()
        .await
        .unwrap()
        .users()
        .iter()
        .map(|u| u.username().unwrap_or_default().to_string())
        .collect();
    let groups = ctx
        .cognito()
        .list_groups()
        .user_pool_id(&pool.id)
        .send()
        .await
        .unwrap()
        .groups()
        .iter()
        .map(|g| g.group_name().unwrap_or_default().to_string())
        .collect();
    (users, groups)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_whose_schema_lacks_an_attribute_is_refused_before_any_write() {
    let dir = Scratch::new();
    let target = pool_with(&["tier"]).await;
    // One user already there, so that "nothing written" is not "the pool is empty".
    let one = dir.write("one.jsonl", &generated(1, &["tier"]));
    ok(run(&mut import(&target, &one)));
    let before = contents(&target).await;
    assert_eq!(before.0, ["user0000"]);

    let file = dir.write("two.jsonl", &generated(30, &["tier", "team"]));
    let out = tokio::task::block_in_place(|| run(&mut import(&target, &file)));
    let err = fails(out);
    assert!(
        err.contains("attribute custom:team (carried by user0000, user0001, user0002 and 27 more) is not in the target pool's schema"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(contents(&target).await, before, "nothing written");
    // The dry run refuses the same way.
    let out = tokio::task::block_in_place(|| run(import(&target, &file).arg("--dry-run")));
    assert!(fails(out).contains("custom:team"));
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_restore_into_a_new_pool_the_remap_makes_check_pass() {
    let dir = Scratch::new();
    let (table, db) = (TestTable::created(), TestDb::seeded().await);
    let old = tokio::task::block_in_place(|| {
        let pool = TestPool::synced_with(&db);
        ok(run(&mut tool("seed", &table, &db)));
        pool
    });
    // A group of two in the old pool, to be carried over and counted.
    let ctx = clean_local_context().await;
    let old_id = cruddur_ops::cognito::find_pool_by_name(&ctx, &old.name)
        .await
        .unwrap()
        .expect("the old pool");
    ctx.cognito()
        .create_group()
        .user_pool_id(&old_id)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    for user in ["bayko", "tomaslind"] {
        ctx.cognito()
            .admin_add_user_to_group()
            .user_pool_id(&old_id)
            .username(user)
            .group_name("admins")
            .send()
            .await
            .unwrap();
    }
    let new = TestPool::created(&ctx).await;
    let check = |pool: &TestPool| {
        run(tool("check", &table, &db).args(["--pool-name", &pool.name, "--output", "jsonl"]))
    };
    tokio::task::block_in_place(|| {
        let file = dir.dir.join("pool.jsonl");
        ok(run(bin("cognito-export")
            .args(["--pool-name", &old.name, "--file"])
            .arg(&file)));
        ok(run(&mut import(&new, &file)));
        // The database still holds the old pool's subs.
        let err = fails(check(&new));
        assert!(err.contains("not consistent"), "{err}");
        let remap = ok(run(bin("update-cognito-user-ids")
            .args(["--pool-name", &new.name, "--output", "json"])
            .env("CONNECTION_URL", &db.url)));
        let report: Value = serde_json::from_str(&stdout(&remap)).unwrap();
        assert_eq!(report["updated"]["count"], 5, "{report}");
        let out = ok(check(&new));
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("0 problems"), "{err}");
        assert!(
            err.contains("5 users (1 group and 2 memberships) of pool"),
            "{err}"
        );
        let out = ok(run(tool("summary", &table, &db).args([
            "--pool-name",
            &new.name,
            "--output",
            "json",
        ])));
        let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(summary["cognito"]["users"], 5, "{summary}");
        assert_eq!(summary["cognito"]["groups"], 1, "{summary}");
        assert_eq!(summary["cognito"]["memberships"], 2, "{summary}");
    });
}

/// `cognito-import prod` against moto: `prod` with moto as its Cognito endpoint.
fn import_prod(pool: &TestPool, file: &Path) -> Command {
    let mut cmd = bin("cognito-import");
    cmd.args(["prod", "--user-pool-id", &pool.id, "--file"])
        .arg(file)
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cognito_url())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdin(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn prod_asks_first_and_paces_its_requests() {
    let dir = Scratch::new();
    let target = pool_with(&["tier"]).await;
    let file = dir.write("eleven.jsonl", &generated(11, &["tier"]));
    let err = tokio::task::block_in_place(|| fails(run(&mut import_prod(&target, &file))));
    assert!(err.contains("--yes"), "{err}");
    assert!(contents(&target).await.0.is_empty(), "nothing written");

    // 11 users at 10 creations a second: the last one at least a second after the first.
    let started = Instant::now();
    let out = tokio::task::block_in_place(|| {
        ok(run(import_prod(&target, &file).args([
            "--yes",
            "--rate",
            "UserCreation=10",
            "--output",
            "jsonl",
        ])))
    });
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let err = stderr(&out);
    assert!(
        err.contains("paced at UserCreation 10/s, UserRead 120/s"),
        "{err}"
    );
    assert_eq!(summary(&out)["users_created"], 11);
    assert_eq!(contents(&target).await.0.len(), 11);
}
