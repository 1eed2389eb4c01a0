//! seed, get-conversations and list-conversations against DynamoDB Local and PostgreSQL: each
//! test has its own table and its own database (rebuilt from the shipped schema and seed users).

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{Duration, Utc};
use cruddur_ops::ddb::item::{get_s, s, Item};
use cruddur_ops::model::keys::{Pk, Sk, DEFAULT_GROUP};
use cruddur_ops::ops::conversations;
use cruddur_ops::ops::seed;
use serde_json::Value;
use uuid::Uuid;

use crate::common::{
    bin, block_on, fails, local_context, ok, run, stderr, stdout, tool, unique, TestDb, TestTable,
};

const NOW: &str = "2026-11-22T10:00:00+00:00";

fn now() -> Sk {
    Sk::parse(NOW).unwrap()
}

fn group() -> Uuid {
    Uuid::parse_str(DEFAULT_GROUP).unwrap()
}

fn shipped_lines() -> Vec<seed::Line> {
    seed::parse(seed::SHIPPED_NAME, seed::SHIPPED_CONVERSATION).unwrap()
}

/// Every item of the table.
fn all_items(table: &TestTable) -> Vec<Item> {
    crate::safety::items(&table.name)
}

/// How many items the table holds.
fn count(table: &TestTable) -> usize {
    all_items(table).len()
}

/// The messages of `group`, oldest first.
fn messages_of(items: &[Item], group: Uuid) -> Vec<&Item> {
    let pk = Pk::Message(group).to_string();
    let mut msgs: Vec<&Item> = items
        .iter()
        .filter(|i| get_s(i, "pk").unwrap() == pk)
        .collect();
    msgs.sort_by_key(|i| get_s(i, "sk").unwrap().to_string());
    msgs
}

/// The conversation rows (GRP#) of the table.
fn conversation_rows(items: &[Item]) -> Vec<&Item> {
    items
        .iter()
        .filter(|i| get_s(i, "pk").unwrap().starts_with("GRP#"))
        .collect()
}

fn json(out: &std::process::Output) -> Vec<Value> {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// A conversation file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn with(text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("{}.txt", unique("conversation")));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn seed_writes_one_item_per_line_and_two_conversation_rows() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let lines = shipped_lines();
    let out = ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));

    let items = all_items(&table);
    assert_eq!(items.len(), lines.len() + 2);
    let msgs = messages_of(&items, group());
    assert_eq!(msgs.len(), lines.len());
    let (everly, bayko) = (
        block_on(db.user("everlygrandest")),
        block_on(db.user("bayko")),
    );
    for (i, (item, line)) in msgs.iter().zip(&lines).enumerate() {
        assert_eq!(get_s(item, "message").unwrap(), line.text);
        let sender = match line.speaker {
            seed::Speaker::One => &everly,
            seed::Speaker::Two => &bayko,
        };
        assert_eq!(get_s(item, "user_uuid").unwrap(), sender.uuid.to_string());
        assert_eq!(get_s(item, "user_handle").unwrap(), sender.handle);
        assert_eq!(
            get_s(item, "user_display_name").unwrap(),
            sender.display_name
        );
        assert_eq!(
            get_s(item, "message_uuid").unwrap(),
            seed::message_uuid(group(), i).to_string()
        );
        assert!(!item.contains_key("message_group_uuid"));
    }
    // One minute apart, the last one at --now.
    let times: Vec<Sk> = msgs
        .iter()
        .map(|m| Sk::parse(get_s(m, "sk").unwrap()).unwrap())
        .collect();
    assert_eq!(*times.last().unwrap(), now());
    assert_eq!(
        get_s(msgs[msgs.len() - 1], "sk").unwrap(),
        now().to_string()
    );
    assert!(times
        .windows(2)
        .all(|w| w[1].0 - w[0].0 == Duration::minutes(1)));

    // The conversation rows carry the last message and its time, each naming the other person.
    let rows = conversation_rows(&items);
    assert_eq!(rows.len(), 2);
    let last = &lines.last().unwrap().text;
    for (owner, other) in [(&everly, &bayko), (&bayko, &everly)] {
        let row = rows
            .iter()
            .find(|r| get_s(r, "pk").unwrap() == Pk::Group(owner.uuid).to_string())
            .unwrap_or_else(|| panic!("no conversation row for {}", owner.handle));
        assert_eq!(get_s(row, "message").unwrap(), last);
        assert_eq!(get_s(row, "sk").unwrap(), now().to_string());
        assert_eq!(get_s(row, "message_group_uuid").unwrap(), DEFAULT_GROUP);
        assert_eq!(get_s(row, "user_uuid").unwrap(), other.uuid.to_string());
        assert_eq!(get_s(row, "user_handle").unwrap(), other.handle);
        assert_eq!(get_s(row, "user_display_name").unwrap(), other.display_name);
    }
}

#[test]
fn a_reseed_replaces_the_previous_one_without_duplicates() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let expected = shipped_lines().len() + 2;
    let key = |i: &Item| {
        (
            get_s(i, "pk").unwrap().to_string(),
            get_s(i, "sk").unwrap().to_string(),
            get_s(i, "message").unwrap().to_string(),
        )
    };
    let uuids = |items: &[Item]| -> BTreeSet<String> {
        items
            .iter()
            .filter_map(|i| i.get("message_uuid"))
            .map(|v| v.as_s().unwrap().clone())
            .collect()
    };

    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let first = all_items(&table);
    let first_keys: BTreeSet<_> = first.iter().map(key).collect();
    assert_eq!(first.len(), expected);

    // Same --now: the same items, overwritten in place.
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let again = all_items(&table);
    assert_eq!(again.len(), expected);
    assert_eq!(again.iter().map(key).collect::<BTreeSet<_>>(), first_keys);

    // Another --now: every old item is replaced, none is left beside the new ones.
    let later = Sk(now().0 + Duration::days(3));
    let out = ok(run(
        tool("seed", &table, &db).args(["--now", &later.to_string()])
    ));
    assert!(crate::common::stderr(&out).contains("deleted"));
    let moved = all_items(&table);
    assert_eq!(moved.len(), expected);
    assert_eq!(uuids(&moved), uuids(&first));
    let msgs = messages_of(&moved, group());
    assert_eq!(
        get_s(msgs[msgs.len() - 1], "sk").unwrap(),
        later.to_string()
    );
    for row in conversation_rows(&moved) {
        assert_eq!(get_s(row, "sk").unwrap(), later.to_string());
    }

    // And "now" (no --now) twice.
    ok(run(&mut tool("seed", &table, &db)));
    ok(run(&mut tool("seed", &table, &db)));
    let current = all_items(&table);
    assert_eq!(current.len(), expected);
    assert_eq!(count(&table), expected);
    let newest =
        Sk::parse(get_s(messages_of(&current, group())[expected - 3], "sk").unwrap()).unwrap();
    assert!(
        (Utc::now() - newest.0).num_seconds().abs() < 120,
        "{newest}"
    );
}

#[test]
fn a_malformed_file_writes_nothing() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let file = TempFile::with(
        "Person 1: Hello there\nPerson 2: Hi!\n\nPerson 3: who am I?\nPerson 1: bye\n",
    );
    let err = fails(run(tool("seed", &table, &db).args(["--file", file.path()])));
    assert!(err.contains(&format!("{}:4:", file.path())), "{err}");
    assert_eq!(count(&table), 0);

    let empty = TempFile::with("Person 1: fine\nPerson 2:\n");
    let err = fails(run(tool("seed", &table, &db).args(["--file", empty.path()])));
    assert!(err.contains(&format!("{}:2:", empty.path())), "{err}");
    assert_eq!(count(&table), 0);

    // A bad file does not touch an earlier seed either.
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let before = count(&table);
    fails(run(tool("seed", &table, &db).args(["--file", file.path()])));
    assert_eq!(count(&table), before);
}

#[test]
fn an_unknown_handle_writes_nothing() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let err = fails(run(tool("seed", &table, &db).args(["--to", "nosuchhandle"])));
    assert!(err.contains("nosuchhandle"), "{err}");
    let err = fails(run(tool("seed", &table, &db).args(["--from", "ghost_user"])));
    assert!(err.contains("ghost_user"), "{err}");
    assert_eq!(count(&table), 0);
}

#[test]
fn get_conversations_shows_the_newest_oldest_first() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    ok(run(tool("seed", &table, &db).args([
        "--messages",
        "47",
        "--now",
        NOW,
    ])));
    let items = all_items(&table);
    let all_sks: Vec<String> = messages_of(&items, group())
        .iter()
        .map(|m| get_s(m, "sk").unwrap().to_string())
        .collect();
    assert_eq!(all_sks.len(), 47);

    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--output", "json"])
    ));
    let shown = json(&out);
    assert_eq!(shown.len(), 20);
    let sks: Vec<&str> = shown.iter().map(|m| str_of(m, "sk")).collect();
    assert_eq!(
        sks,
        all_sks[27..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(*sks.last().unwrap(), now().to_string());
    // Full objects: every attribute of the item.
    for key in [
        "pk",
        "message_uuid",
        "message",
        "user_uuid",
        "user_handle",
        "user_display_name",
    ] {
        assert!(shown[0].get(key).is_some(), "{key} missing in {}", shown[0]);
    }
    assert_eq!(str_of(&shown[19], "message"), seed::synthetic(47)[46].text);

    // Piped without --output: JSON lines, one message object per line.
    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--limit", "3"])
    ));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    assert_eq!(str_of(&lines[2], "sk"), now().to_string());

    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--limit", "3", "--output", "table"])
    ));
    let text = stdout(&out);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("┆") && !l.contains("Sender"))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    // 2026-11-22T10:00 UTC is the last; the table shows a 12-hour clock.
    assert!(rows[2].contains("2026-11-22 10:00 AM"), "{text}");
    assert!(rows[0].contains("2026-11-22 09:58 AM"), "{text}");
    // 47 messages, senders alternating from Person 1: the last is Person 1's.
    assert!(rows[2].contains("everlygrandest"), "{text}");
    assert!(rows[1].contains("bayko"), "{text}");
}

#[test]
fn an_empty_answer_is_said_on_stderr_and_is_no_error() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    let nobody = "00000000-0000-0000-0000-000000000000";
    for args in [
        vec!["--output", "table"],
        vec!["--all", "--output", "table"],
        vec!["--all", "--output", "jsonl"],
    ] {
        let out = ok(run(tool("get-conversations", &table, &db)
            .args(["--group", nobody])
            .args(&args)));
        assert_eq!(stdout(&out), "", "{args:?}");
        let said = format!("no messages in group {nobody} of table {}", table.name);
        assert!(stderr(&out).contains(&said), "{args:?}: {}", stderr(&out));
    }
    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--group", nobody, "--output", "json"])
    ));
    assert_eq!(stdout(&out).trim(), "[]");

    // A user known to PostgreSQL with no conversation, by handle and by uuid.
    let out =
        ok(run(tool("list-conversations", &table, &db)
            .args(["--handle", "bayko", "--output", "table"])));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("no conversations for user bayko ("),
        "{}",
        stderr(&out)
    );
    let out = ok(run(tool("list-conversations", &table, &db).args([
        "--user-uuid",
        nobody,
        "--output",
        "table",
    ])));
    assert_eq!(stdout(&out), "");
    let said = format!("no conversations for user {nobody} in table {}", table.name);
    assert!(stderr(&out).contains(&said), "{}", stderr(&out));
}

#[test]
fn get_conversations_all_pages_through_every_message() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    // 90 messages of ~15 KB: more than one 1 MB query page.
    let mut text = String::new();
    for i in 0..90 {
        let person = 1 + i % 2;
        let filler = "ñ lighthouse logbook 灯台 ".repeat(600);
        text.push_str(&format!("Person {person}: long message {i}: {filler}\n"));
    }
    let file = TempFile::with(&text);
    ok(run(tool("seed", &table, &db).args([
        "--file",
        file.path(),
        "--now",
        NOW,
    ])));

    let first_page = block_on(async {
        let ctx = local_context(&table.name).await;
        ctx.dynamodb()
            .query()
            .table_name(&table.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(Pk::Message(group()).to_string()))
            .send()
            .await
            .unwrap()
    });
    assert!(
        first_page.last_evaluated_key.is_some() && (first_page.count as usize) < 90,
        "the messages should span more than one query page (first page: {})",
        first_page.count
    );

    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--all", "--output", "json"])
    ));
    let shown = json(&out);
    assert_eq!(shown.len(), 90);
    for (i, m) in shown.iter().enumerate() {
        assert!(str_of(m, "message").starts_with(&format!("long message {i}: ")));
    }
    let sks: Vec<&str> = shown.iter().map(|m| str_of(m, "sk")).collect();
    assert!(sks.windows(2).all(|w| w[0] < w[1]));

    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--all", "--output", "jsonl"])
    ));
    assert_eq!(stdout(&out).lines().count(), 90);
    let out = ok(run(
        tool("get-conversations", &table, &db).args(["--all", "--output", "table"])
    ));
    let text = stdout(&out);
    let rows = text.lines().filter(|l| l.contains("long message")).count();
    assert_eq!(rows, 90);
    assert!(
        text.lines().all(|l| l.chars().count() < 120),
        "messages are cut in tables"
    );
}

#[test]
fn list_conversations_shows_the_other_participant_newest_first() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let other_group = Uuid::new_v4();
    let later = Sk(now().0 + Duration::hours(2));
    ok(run(tool("seed", &table, &db).args([
        "--group",
        &other_group.to_string(),
        "--to",
        "meitanaka",
        "--messages",
        "3",
        "--now",
        &later.to_string(),
    ])));
    // Seeding another group leaves the first one alone.
    assert_eq!(
        messages_of(&all_items(&table), group()).len(),
        shipped_lines().len()
    );

    let out = ok(run(
        tool("list-conversations", &table, &db).args(["--output", "json"])
    ));
    let rows = json(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(str_of(&rows[0], "user_handle"), "meitanaka");
    assert_eq!(
        str_of(&rows[0], "message_group_uuid"),
        other_group.to_string()
    );
    assert_eq!(str_of(&rows[1], "user_handle"), "bayko");
    assert_eq!(str_of(&rows[1], "user_display_name"), "Andrew Bayko");
    assert_eq!(str_of(&rows[1], "message_group_uuid"), DEFAULT_GROUP);
    assert_eq!(
        str_of(&rows[1], "message"),
        shipped_lines().last().unwrap().text
    );

    // Piped without --output: JSON lines, one conversation row per line.
    let out = ok(run(
        tool("list-conversations", &table, &db).args(["--handle", "bayko"])
    ));
    let piped: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let as_json = json(&ok(run(
        tool("list-conversations", &table, &db).args(["--handle", "bayko", "--output", "json"])
    )));
    assert_eq!(piped.len(), 1);
    assert_eq!(piped, as_json, "the same objects as --output json");

    let out = ok(run(tool("list-conversations", &table, &db)
        .args(["--handle", "bayko", "--output", "table", "--wide"])));
    let text = stdout(&out);
    assert!(
        text.contains("everlygrandest") && text.contains("Everly Grandest"),
        "{text}"
    );
    assert!(
        text.contains(DEFAULT_GROUP) && text.contains("2026-11-22 10:00 AM"),
        "{text}"
    );
    assert!(!text.contains("meitanaka"), "{text}");

    // --user-uuid needs no database: point the connection nowhere.
    let bayko = block_on(db.user("bayko"));
    let out = ok(run(bin("list-conversations")
        .args([
            "--table",
            &table.name,
            "--user-uuid",
            &bayko.uuid.to_string(),
        ])
        .args(["--output", "json"])
        .env(
            "CONNECTION_URL",
            "postgresql://nobody:nothing@127.0.0.1:1/none",
        )));
    let rows = json(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(str_of(&rows[0], "user_handle"), "everlygrandest");

    let err = fails(run(
        tool("list-conversations", &table, &db).args(["--handle", "nobody_here"])
    ));
    assert!(err.contains("nobody_here"), "{err}");
}

#[test]
fn the_group_index_returns_both_conversation_rows() {
    let (table, db) = (TestTable::created(), block_on(TestDb::seeded()));
    ok(run(tool("seed", &table, &db).args(["--now", NOW])));
    let rows = block_on(async {
        let ctx = local_context(&table.name).await;
        conversations::group_rows(&ctx, group()).await.unwrap()
    });
    assert_eq!(rows.len(), 2);
    let owners: BTreeSet<String> = rows
        .iter()
        .map(|r| get_s(r, "pk").unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = ["everlygrandest", "bayko"]
        .iter()
        .map(|h| Pk::Group(block_on(db.user(h)).uuid).to_string())
        .collect();
    assert_eq!(owners, expected);
    for row in &rows {
        assert_eq!(get_s(row, "message_group_uuid").unwrap(), DEFAULT_GROUP);
        assert_eq!(get_s(row, "sk").unwrap(), now().to_string());
    }
}
