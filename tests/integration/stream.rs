//! send-message and messaging-stream against DynamoDB Local and PostgreSQL: the follower keeps
//! both conversation rows on the latest message; replayed, late and concurrent records never move
//! a row backwards; bad records and bad input are reported without stopping or writing.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cruddur_ops::context::Context;
use cruddur_ops::ddb::item::{get_s, s, Item};
use cruddur_ops::model::keys::{Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, PK, USER_HANDLE};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::*;

/// Runs send-message and returns its JSON report.
fn send(table: &TestTable, pg: &TestDb, args: &[&str]) -> Value {
    let out = ok(run(tool("send-message", table, pg)
        .args(args)
        .args(["--output", "json"])));
    serde_json::from_str(&stdout(&out)).expect("send-message prints JSON")
}

/// A running `messaging-stream --follow`, killed when the guard goes.
struct Follower {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// The threads reading the child's stdout and stderr: they end at the pipes' end of file,
    /// which comes after the child's exit. Joined before the output is asserted on.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Starts the follower and waits until it reports that it is reading the stream.
    fn start(table: &TestTable, pg: &TestDb, extra: &[&str]) -> Follower {
        let mut child = tool("messaging-stream", table, pg)
            .arg("--follow")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning messaging-stream");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut out = child.stdout.take().unwrap();
        let collected = stdout.clone();
        let stdout_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        let collected = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.starts_with("following ") {
                    let _ = ready_tx.send(());
                }
                let mut text = collected.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let follower = Follower {
            child,
            stdout,
            stderr,
            readers: vec![stdout_reader, stderr_reader],
        };
        if ready_rx.recv_timeout(Duration::from_secs(15)).is_err() {
            panic!(
                "messaging-stream never reported following the stream; stderr:\n{}",
                follower.stderr.lock().unwrap()
            );
        }
        follower
    }

    /// Sends SIGTERM, waits (at most 10 s) for the exit status, then until everything the
    /// child wrote has been read from its pipes (`stdout` and `stderr` are then complete).
    fn terminate(&mut self) -> std::process::ExitStatus {
        ok(run(
            Command::new("kill").args(["-TERM", &self.child.id().to_string()])
        ));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                for reader in self.readers.drain(..) {
                    reader
                        .join()
                        .expect("a reader thread of the follower's output");
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "messaging-stream did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every conversation row of `group` in the partition of `user`, read strongly consistent.
pub(crate) async fn rows_of(ctx: &Context, user: Uuid, group: &str) -> Vec<Item> {
    ctx.dynamodb()
        .query()
        .table_name(ctx.table())
        .consistent_read(true)
        .key_condition_expression("#pk = :pk")
        .filter_expression("#g = :g")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":pk", s(Pk::Group(user).to_string()))
        .expression_attribute_values(":g", s(group))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

/// `(sk, message)` of the one conversation row of `group` for `user` (panics on 0 or 2+ rows).
async fn the_row(ctx: &Context, user: Uuid, group: &str) -> (String, String) {
    let rows = rows_of(ctx, user, group).await;
    assert_eq!(rows.len(), 1, "one row of {group} for {user}: {rows:?}");
    (
        get_s(&rows[0], "sk").unwrap().to_string(),
        get_s(&rows[0], MESSAGE).unwrap().to_string(),
    )
}

/// Sends "one" from bayko to meitanaka (a new group), then "two" back: the group and the second
/// message's report.
fn one_then_two(table: &TestTable, pg: &TestDb) -> (String, Value) {
    let first = send(table, pg, &["--from", "bayko", "--to", "meitanaka", "one"]);
    let group = text(&first, "message_group_uuid");
    let last = send(
        table,
        pg,
        &["--from", "meitanaka", "--group", &group, "two"],
    );
    (group, last)
}

/// Waits (at most 15 s) until `user`'s row of `group` carries `message`, sent as `last` reports,
/// which only the follower makes true.
async fn until_the_row_carries(
    ctx: &Context,
    (user, group): (Uuid, &str),
    (last, message): (&Value, &str),
    follower: &Follower,
) {
    let want = (text(last, "created_at"), message.to_string());
    let deadline = Instant::now() + Duration::from_secs(15);
    while the_row(ctx, user, group).await != want {
        assert!(
            Instant::now() < deadline,
            "the follower did not apply the message in 15 s; stderr:\n{}",
            follower.stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_string()
}

#[tokio::test]
async fn follower_keeps_both_conversation_rows_on_the_latest_message() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let everly = pg.user("everlygrandest").await.uuid;
    let bayko = pg.user("bayko").await.uuid;

    let mut follower = Follower::start(&table, &pg, &["--output", "table", "--wide"]);

    // A new group: both users' conversation rows exist at once, each naming the other.
    let first = send(
        &table,
        &pg,
        &["--from", "everlygrandest", "--to", "bayko", "Hello Andrew"],
    );
    assert_eq!(first["new_group"], true);
    let group = text(&first, "message_group_uuid");
    for (user, other) in [(everly, "bayko"), (bayko, "everlygrandest")] {
        let rows = rows_of(&ctx, user, &group).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(get_s(&rows[0], USER_HANDLE).unwrap(), other);
        assert_eq!(get_s(&rows[0], MESSAGE).unwrap(), "Hello Andrew");
        assert_eq!(get_s(&rows[0], "sk").unwrap(), text(&first, "created_at"));
    }
    let second = send(
        &table,
        &pg,
        &["--from", "bayko", "--group", &group, "Hi Everly"],
    );
    assert_eq!(second["new_group"], false);
    assert_eq!(text(&second, "message_group_uuid"), group);
    let third = send(
        &table,
        &pg,
        &[
            "--from",
            "everlygrandest",
            "--group",
            &group,
            "How are you?",
        ],
    );
    let latest_at = text(&third, "created_at");
    assert!(latest_at > text(&second, "created_at"));

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let a = rows_of(&ctx, everly, &group).await;
        let b = rows_of(&ctx, bayko, &group).await;
        let current = |rows: &[Item]| {
            rows.len() == 1
                && get_s(&rows[0], "sk").unwrap() == latest_at
                && get_s(&rows[0], MESSAGE).unwrap() == "How are you?"
        };
        if current(&a) && current(&b) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "conversation rows not on the latest message after 15 s:\n{a:?}\n{b:?}\nstderr:\n{}",
            follower.stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The new group shows up in both users' list-conversations, naming the other person and
    // carrying the latest message.
    for (handle, other) in [("everlygrandest", "bayko"), ("bayko", "everlygrandest")] {
        let out =
            ok(run(tool("list-conversations", &table, &pg)
                .args(["--handle", handle, "--output", "json"])));
        let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON list");
        let row = rows
            .iter()
            .find(|r| r[MESSAGE_GROUP_UUID] == group.as_str())
            .unwrap_or_else(|| panic!("{handle} does not list {group}: {rows:?}"));
        assert_eq!(row[USER_HANDLE], other);
        assert_eq!(row[MESSAGE], "How are you?");
    }

    let status = follower.terminate();
    assert!(status.success(), "exit status {status:?}");
    let out = follower.stdout.lock().unwrap().clone();
    // Both messages were seen; when they arrive in one batch only the newer one is applied.
    let applied: Vec<&str> = out.lines().filter(|l| l.contains(" applied ")).collect();
    assert!(!applied.is_empty(), "{out}");
    assert!(applied.last().unwrap().contains(&latest_at), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(&text(&second, "created_at"))),
        "{out}"
    );
    let err = follower.stderr.lock().unwrap().clone();
    assert!(err.contains("stopped: "), "{err}");
}

/// A follower that stops having applied nothing says it read from LATEST and how to read the
/// records written before it started; one that applied something does not.
#[tokio::test]
async fn a_follower_that_applied_nothing_says_where_it_started() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let first = send(
        &table,
        &pg,
        &["--from", "bayko", "--to", "meitanaka", "one"],
    );
    let group = text(&first, "message_group_uuid");
    send(
        &table,
        &pg,
        &["--from", "meitanaka", "--group", &group, "two"],
    );
    let mut follower = Follower::start(&table, &pg, &["--output", "jsonl"]);
    assert!(follower.terminate().success());
    let err = follower.stderr.lock().unwrap().clone();
    assert!(err.contains("stopped: 0 records, 0 applied"), "{err}");
    assert!(
        err.contains("nothing applied: every shard was read from LATEST")
            && err.contains("--from-start")
            && err.contains("--checkpoint FILE"),
        "{err}"
    );

    let mut follower = Follower::start(&table, &pg, &["--from-start", "--output", "jsonl"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !follower.stdout.lock().unwrap().contains("\"applied\"") {
        assert!(Instant::now() < deadline, "nothing applied after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(follower.terminate().success());
    let err = follower.stderr.lock().unwrap().clone();
    assert!(!err.contains("nothing applied"), "{err}");
}

#[tokio::test]
async fn follower_from_start_catches_up_on_earlier_messages() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let (group, last) = one_then_two(&table, &pg);
    let mei = pg.user("meitanaka").await.uuid;
    // Nothing follows the stream yet: the rows still carry the first message.
    assert_eq!(the_row(&ctx, mei, &group).await.1, "one");

    let mut follower = Follower::start(&table, &pg, &["--from-start", "--output", "jsonl"]);
    until_the_row_carries(&ctx, (mei, &group), (&last, "two"), &follower).await;
    assert!(follower.terminate().success());
    let out = follower.stdout.lock().unwrap().clone();
    let outcomes: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert!(
        outcomes
            .iter()
            .any(|o| o["outcome"] == "applied" && o["sk"] == last["created_at"]),
        "{out}"
    );
}

/// DynamoDB Local answers TrimmedDataAccessException for records a few seconds old when another
/// table's write takes the sequence number right after a new shard's start (see
/// `after_trimmed` in src/ops/stream/shards.rs). Caused here for real: the follower opens the new
/// table's empty shard at LATEST, another stream-enabled table is written, then a message is sent.
/// The follower reads on from the shard's oldest record, applies the message, and claims nothing
/// was missed.
///
/// DynamoDB Local does not always answer so (once in about a dozen runs of the whole suite it
/// did not): each try checks that nothing is lost and nothing is claimed missed, and the test
/// passes once a try got the trimmed answer and handled it; three tries without one fail it (the
/// case was not exercised).
#[tokio::test]
async fn a_trimmed_answer_for_fresh_records_loses_nothing_and_claims_nothing_missed() {
    let pg = TestDb::seeded().await;
    let mei = pg.user("meitanaka").await.uuid;
    let mut tries = Vec::new();
    for _ in 0..3 {
        let table = TestTable::created();
        let other = TestTable::created();
        let ctx = local_context(&table.name).await;
        let mut follower = Follower::start(&table, &pg, &["--output", "jsonl"]);
        local_context(&other.name)
            .await
            .dynamodb()
            .put_item()
            .table_name(&other.name)
            .item("pk", s("GAP#1"))
            .item("sk", s("takes a sequence number"))
            .send()
            .await
            .expect("a write to the other table");
        let (group, last) = one_then_two(&table, &pg);
        until_the_row_carries(&ctx, (mei, &group), (&last, "two"), &follower).await;
        assert!(follower.terminate().success());
        let err = follower.stderr.lock().unwrap().clone();
        assert!(!err.contains("were missed"), "{err}");
        if err.contains("none was missed") {
            return;
        }
        tries.push(err);
    }
    panic!(
        "DynamoDB Local never answered TrimmedDataAccessException in 3 tries; the followers \
         said:\n{}",
        tries.join("\n")
    );
}

#[tokio::test]
async fn a_follower_with_a_checkpoint_handles_what_was_sent_while_it_was_stopped() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let files = EventFiles::new();
    let checkpoint = files.dir.join("follow.json");
    let checkpoint_arg = checkpoint.to_str().unwrap().to_string();
    let everly = pg.user("everlygrandest").await.uuid;
    let bayko = pg.user("bayko").await.uuid;

    let mut follower = Follower::start(&table, &pg, &["--checkpoint", &checkpoint_arg]);
    let first = send(
        &table,
        &pg,
        &["--from", "everlygrandest", "--to", "bayko", "before"],
    );
    let group = text(&first, "message_group_uuid");
    // The follower saw the first message: the checkpoint names the shard and its record.
    let deadline = Instant::now() + Duration::from_secs(15);
    let recorded = loop {
        if let Ok(text) = std::fs::read_to_string(&checkpoint) {
            let v: Value = serde_json::from_str(&text).expect("the checkpoint is JSON");
            if v["state"].as_object().is_some_and(|m| !m.is_empty()) {
                break v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint after 15 s; stderr:\n{}",
            follower.stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(recorded["job"]["settings"]["table"], table.name.as_str());
    assert!(follower.terminate().success());

    // Sent while nothing follows the stream: the rows stay on the first message.
    let second = send(
        &table,
        &pg,
        &["--from", "bayko", "--group", &group, "while stopped"],
    );
    let second_at = text(&second, "created_at");
    assert_eq!(the_row(&ctx, everly, &group).await.1, "before");

    // Back with the same checkpoint (no --from-start): the missed message is applied.
    let mut follower = Follower::start(&table, &pg, &["--checkpoint", &checkpoint_arg]);
    let wanted = (second_at.clone(), "while stopped".to_string());
    let deadline = Instant::now() + Duration::from_secs(15);
    while the_row(&ctx, everly, &group).await != wanted
        || the_row(&ctx, bayko, &group).await != wanted
    {
        assert!(
            Instant::now() < deadline,
            "the message sent while stopped was not applied after 15 s; stderr:\n{}",
            follower.stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(follower.terminate().success());
    let err = follower.stderr.lock().unwrap().clone();
    assert!(err.contains("after sequence number"), "resumed: {err}");

    // The checkpoint belongs to this table's stream: another table's follower refuses it.
    let other = TestTable::created();
    let refused = fails(run(tool("messaging-stream", &other, &pg).args([
        "--follow",
        "--checkpoint",
        &checkpoint_arg,
    ])));
    assert!(
        refused.contains(&table.name) && refused.contains(&other.name),
        "names both tables: {refused}"
    );
    let arn = recorded["job"]["settings"]["stream_arn"].as_str().unwrap();
    assert!(
        refused.contains(arn),
        "names the checkpoint's stream: {refused}"
    );
}

/// The message partition key of `group`.
fn msg_pk(group: &str) -> String {
    Pk::Message(Uuid::parse_str(group).unwrap()).to_string()
}

/// A MSG# INSERT record in a Lambda event.
fn msg_record(seq: usize, group: &str, at: &str, text: &str) -> Value {
    json!({
        "eventID": format!("ev{seq}"),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": msg_pk(group)}, "sk": {"S": at}},
            "NewImage": {
                "pk": {"S": msg_pk(group)},
                "sk": {"S": at},
                "message_uuid": {"S": Uuid::new_v4().to_string()},
                "message": {"S": text},
            },
            "SequenceNumber": format!("{seq:021}"),
            "StreamViewType": "NEW_IMAGE",
        }
    })
}

struct EventFiles {
    dir: PathBuf,
}

impl EventFiles {
    fn new() -> EventFiles {
        let dir = std::env::temp_dir().join(unique("stream-events"));
        std::fs::create_dir_all(&dir).unwrap();
        EventFiles { dir }
    }

    fn write(&self, name: &str, records: Vec<Value>) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, json!({ "Records": records }).to_string()).unwrap();
        path
    }
}

impl Drop for EventFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Applies an event file; returns the outcome words in record order.
fn apply(table: &TestTable, pg: &TestDb, file: &PathBuf) -> Vec<String> {
    let out = ok(run(tool("messaging-stream", table, pg)
        .arg("--event")
        .arg(file)
        .args(["--skip-malformed", "--output", "json"])));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("a JSON document");
    assert_eq!(report["batchItemFailures"], json!([]), "{report}");
    report["outcomes"]
        .as_array()
        .expect("an outcomes array")
        .iter()
        .map(|o| o["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn replayed_late_and_concurrent_records_never_move_a_row_backwards() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let files = EventFiles::new();
    let start = send(
        &table,
        &pg,
        &["--from", "tomaslind", "--to", "inesokafor", "m0"],
    );
    let group = text(&start, "message_group_uuid");
    let t0 = Sk::parse(&text(&start, "created_at")).unwrap();
    let at = |secs: i64| Sk(t0.0 + chrono::Duration::seconds(secs)).to_string();
    let users = [
        pg.user("tomaslind").await.uuid,
        pg.user("inesokafor").await.uuid,
    ];
    let expect_rows = |sk: String, msg: &'static str| {
        let ctx = &ctx;
        let group = group.clone();
        async move {
            for user in users {
                assert_eq!(
                    the_row(ctx, user, &group).await,
                    (sk.clone(), msg.to_string())
                );
            }
        }
    };

    let m2 = files.write("m2.json", vec![msg_record(2, &group, &at(2), "m2")]);
    let m1 = files.write("m1.json", vec![msg_record(1, &group, &at(1), "m1")]);
    assert_eq!(apply(&table, &pg, &m2), ["applied"]);
    expect_rows(at(2), "m2").await;
    // The same event again, then an older message delivered late: nothing moves.
    assert_eq!(apply(&table, &pg, &m2), ["stale"]);
    assert_eq!(apply(&table, &pg, &m1), ["stale"]);
    expect_rows(at(2), "m2").await;

    // One batch, out of order, with a malformed record in the middle: with --skip-malformed
    // (the Lambda's way) the batch goes on.
    let mut bad = msg_record(9, &group, &at(9), "bad");
    bad["dynamodb"]["NewImage"]["sk"] = json!({"S": "not a time"});
    let mixed = files.write(
        "mixed.json",
        vec![
            msg_record(3, &group, &at(3), "m3"),
            bad,
            msg_record(1, &group, &at(1), "m1"),
            json!({"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": msg_pk(&group)}}}}),
        ],
    );
    assert_eq!(
        apply(&table, &pg, &mixed),
        ["applied", "malformed", "stale", "skipped-remove"]
    );
    expect_rows(at(3), "m3").await;

    // Two processors racing on the same rows: whatever the interleaving, the newest wins.
    for round in 0..3 {
        let (older, newer) = (at(10 + 2 * round), at(11 + 2 * round));
        let a = files.write("a.json", vec![msg_record(20, &group, &older, "older")]);
        let b = files.write("b.json", vec![msg_record(21, &group, &newer, "newer")]);
        let spawn = |f: &PathBuf| {
            tool("messaging-stream", &table, &pg)
                .arg("--event")
                .arg(f)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (pa, pb) = (spawn(&a), spawn(&b));
        for p in [pa, pb] {
            let out = p.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        expect_rows(newer, "newer").await;
    }

    // A file that is not JSON is an error and changes nothing.
    let broken = files.dir.join("broken.json");
    std::fs::write(&broken, "{\"Records\": [").unwrap();
    let err = fails(run(tool("messaging-stream", &table, &pg)
        .arg("--event")
        .arg(&broken)));
    assert!(err.contains("not valid JSON"), "{err}");
    let not_event = files.dir.join("not-event.json");
    std::fs::write(&not_event, "[]").unwrap();
    let err = fails(run(tool("messaging-stream", &table, &pg)
        .arg("--event")
        .arg(&not_event)));
    assert!(err.contains("Records"), "{err}");
}

#[tokio::test]
async fn send_message_refuses_bad_input_and_writes_nothing() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let count = || async {
        ctx.dynamodb()
            .scan()
            .table_name(&table.name)
            .send()
            .await
            .unwrap()
            .count
    };
    let try_send = |args: &[&str]| fails(run(tool("send-message", &table, &pg).args(args)));

    let long = "é".repeat(1025);
    for (args, expected) in [
        (vec!["--from", "bayko", "--to", "meitanaka", ""], "empty"),
        (
            vec!["--from", "bayko", "--to", "meitanaka", &long],
            "1025 characters",
        ),
        (
            vec!["--from", "nobody", "--to", "meitanaka", "hi"],
            "nobody",
        ),
        (vec!["--from", "bayko", "--to", "nobody", "hi"], "nobody"),
        (
            vec!["--from", "bayko", "--to", "bayko", "hi"],
            "another user",
        ),
        (
            vec![
                "--from",
                "bayko",
                "--group",
                &Uuid::new_v4().to_string(),
                "hi",
            ],
            "no conversation rows",
        ),
        (
            vec!["--from", "bayko", "--group", "not-a-uuid", "hi"],
            "UUID",
        ),
        (vec!["--from", "bayko", "hi"], "--group"),
    ] {
        let err = try_send(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(count().await, 0, "nothing written");

    // 1,024 characters are fine; a third user is not a participant of the group.
    let ok_text = "é".repeat(1024);
    let sent = send(
        &table,
        &pg,
        &["--from", "bayko", "--to", "meitanaka", &ok_text],
    );
    let group = text(&sent, "message_group_uuid");
    assert_eq!(count().await, 3, "two conversation rows and the message");
    let err = try_send(&["--from", "tomaslind", "--group", &group, "hi"]);
    assert!(err.contains("not a participant"), "{err}");
    assert_eq!(count().await, 3);
    // The message item itself carries the text.
    let msgs = ctx
        .dynamodb()
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(msg_pk(&group)))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(msgs.len(), 1);
    assert_eq!(get_s(&msgs[0], MESSAGE).unwrap(), ok_text);
}

/// `record` with the `eventSourceARN` of `table`'s stream.
fn from_table(mut record: Value, table: &str) -> Value {
    record["eventSourceARN"] = json!(format!(
        "arn:aws:dynamodb:ddblocal:000000000000:table/{table}/stream/2026-11-22T00:00:00.000"
    ));
    record
}

#[tokio::test]
async fn a_failed_record_is_where_lambda_retries_from() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let files = EventFiles::new();
    let start = send(
        &table,
        &pg,
        &["--from", "tomaslind", "--to", "inesokafor", "m0"],
    );
    let group = text(&start, "message_group_uuid");
    let t0 = Sk::parse(&text(&start, "created_at")).unwrap();
    let at = |secs: i64| Sk(t0.0 + chrono::Duration::seconds(secs)).to_string();
    let missing = unique("no-such-table");
    let other_group = Uuid::new_v4().to_string();
    // The table comes from each record's eventSourceARN (no --table, no DDB_MESSAGE_TABLE).
    let stream_tool = || {
        let mut cmd = bin("messaging-stream");
        cmd.env("CONNECTION_URL", &pg.url);
        cmd
    };
    let report = |file: &PathBuf| {
        let out = run(stream_tool()
            .arg("--event")
            .arg(file)
            .args(["--output", "json"]));
        let report: Value = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
        (out, report)
    };
    let words = |report: &Value| -> Vec<String> {
        report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["outcome"].as_str().unwrap().to_string())
            .collect()
    };

    // Every record goes to a table that does not exist: the first one is the retry point.
    let gone = files.write(
        "gone.json",
        vec![
            from_table(msg_record(1, &group, &at(1), "m1"), &missing),
            from_table(msg_record(2, &group, &at(2), "m2"), &missing),
        ],
    );
    let (out, doc) = report(&gone);
    assert!(!out.status.success(), "must exit non-zero: {doc}");
    assert_eq!(
        doc["batchItemFailures"],
        json!([{"itemIdentifier": format!("{:021}", 1)}]),
        "{doc}"
    );
    // (The first is stale only because of the second, which failed: it is pending.)
    assert_eq!(words(&doc), ["pending", "failed"], "{doc}");
    assert!(
        stderr(&out).contains("retry from record #0"),
        "{}",
        stderr(&out)
    );

    // A stale record whose newer message comes after the failure is not done either; records
    // after the failure are not applied.
    let mixed = files.write(
        "mixed.json",
        vec![
            from_table(msg_record(3, &group, &at(3), "m3"), &table.name),
            from_table(msg_record(4, &other_group, &at(4), "x"), &missing),
            from_table(msg_record(5, &group, &at(5), "m5"), &table.name),
        ],
    );
    let (out, doc) = report(&mixed);
    assert!(!out.status.success());
    assert_eq!(words(&doc), ["pending", "failed", "pending"], "{doc}");
    assert_eq!(
        doc["batchItemFailures"],
        json!([{"itemIdentifier": format!("{:021}", 3)}])
    );
    let users = [
        pg.user("tomaslind").await.uuid,
        pg.user("inesokafor").await.uuid,
    ];
    for user in users {
        assert_eq!(the_row(&ctx, user, &group).await.1, "m0", "nothing moved");
    }

    // What Lambda sends next (from the retry point, the failed record now fixed): all done.
    let retried = files.write(
        "retried.json",
        vec![
            from_table(msg_record(3, &group, &at(3), "m3"), &table.name),
            from_table(msg_record(5, &group, &at(5), "m5"), &table.name),
        ],
    );
    let (out, doc) = report(&retried);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(doc["batchItemFailures"], json!([]));
    assert_eq!(words(&doc), ["stale", "applied"]);
    for user in users {
        assert_eq!(the_row(&ctx, user, &group).await, (at(5), "m5".to_string()));
    }
}

#[tokio::test]
async fn a_message_too_large_for_any_row_is_malformed_and_the_batch_moves_on() {
    let table = TestTable::created();
    let pg = TestDb::seeded().await;
    let ctx = local_context(&table.name).await;
    let files = EventFiles::new();
    let start = send(
        &table,
        &pg,
        &["--from", "tomaslind", "--to", "inesokafor", "m0"],
    );
    let group = text(&start, "message_group_uuid");
    let t0 = Sk::parse(&text(&start, "created_at")).unwrap();
    let at = |secs: i64| Sk(t0.0 + chrono::Duration::seconds(secs)).to_string();
    // A 500 KB message (as a stream record could carry, written by something other than
    // send-message) can never be carried by a conversation row: the record is malformed, it is
    // not a failure for Lambda to retry, and the record after it applies.
    let huge = "x".repeat(500 * 1024);
    let batch = files.write(
        "huge.json",
        vec![
            msg_record(1, &group, &at(1), &huge),
            msg_record(2, &group, &at(2), "after"),
        ],
    );
    let out = run(tool("messaging-stream", &table, &pg)
        .arg("--event")
        .arg(&batch)
        .args(["--skip-malformed", "--output", "json"]));
    let doc: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    assert!(out.status.success(), "{doc}\n{}", stderr(&out));
    assert_eq!(doc["batchItemFailures"], json!([]), "{doc}");
    let outcomes = doc["outcomes"].as_array().unwrap();
    assert_eq!(outcomes[0]["outcome"], "malformed", "{doc}");
    assert!(
        outcomes[0].to_string().contains("400 KB"),
        "names the item limit: {}",
        outcomes[0]
    );
    assert_eq!(outcomes[1]["outcome"], "applied", "{doc}");
    for user in [
        pg.user("tomaslind").await.uuid,
        pg.user("inesokafor").await.uuid,
    ] {
        assert_eq!(
            the_row(&ctx, user, &group).await,
            (at(2), "after".to_string())
        );
    }
}
