//! Tests of the users' and the messages table's checks.

use uuid::Uuid;

use super::*;
use crate::cognito::CognitoUser;
use crate::ddb::item::Item;
use crate::model::keys::{Sk, PK};
use crate::model::messages::{Conversation, Message, Person};
use crate::pg::Account;

fn account(handle: &str, cognito: &str) -> Account {
    Account {
        uuid: Uuid::new_v4(),
        handle: handle.into(),
        display_name: Some(format!("{handle} name")),
        email: Some(format!("{handle}@example.com")),
        cognito_user_id: Some(cognito.into()),
    }
}

fn pool_user(name: &str, handle: Option<&str>, sub: &str) -> CognitoUser {
    CognitoUser {
        username: name.into(),
        handle: handle.map(Into::into),
        sub: Some(sub.into()),
    }
}

fn kinds(problems: &[Problem]) -> Vec<(Kind, String)> {
    let mut k: Vec<_> = problems.iter().map(|p| (p.kind, p.key.clone())).collect();
    k.sort();
    k
}

#[test]
fn users_against_the_pool() {
    let accounts = [
        account("ok", "sub-ok"),
        account("mock", MOCK),
        account("empty", ""),
        account("wrong", "sub-other"),
        account("alone", "sub-alone"),
    ];
    let pool = [
        pool_user("u-ok", Some("ok"), "sub-ok"),
        pool_user("u-mock", Some("mock"), "sub-mock"),
        pool_user("u-empty", Some("empty"), "sub-empty"),
        pool_user("u-wrong", Some("wrong"), "sub-wrong"),
        pool_user("u-ghost", Some("ghost"), "sub-ghost"),
        pool_user("u-nameless", None, "sub-n"),
    ];
    assert_eq!(
        kinds(&check_users(&accounts, &pool)),
        vec![
            (Kind::MockCognitoId, "mock".into()),
            (Kind::EmptyCognitoId, "empty".into()),
            (Kind::NoPoolUser, "alone".into()),
            (Kind::WrongCognitoId, "wrong".into()),
            (Kind::PoolUserWithoutDbUser, "u-ghost".into()),
            (Kind::PoolUserWithoutDbUser, "u-nameless".into()),
        ]
    );
    assert!(check_users(&accounts[..1], &pool[..1]).is_empty());
}

fn message(group: Uuid, sender: &Person, at: &str, text: &str) -> Item {
    Message {
        group,
        uuid: Uuid::new_v4(),
        created: Sk::parse(at).unwrap(),
        text: text.into(),
        sender: sender.clone(),
    }
    .to_item()
}

#[test]
fn table_items_against_users_and_groups() {
    let accounts = [account("a", "s-a"), account("b", "s-b")];
    let a = Person {
        uuid: accounts[0].uuid,
        display_name: accounts[0].display_name.clone().unwrap(),
        handle: "a".into(),
    };
    let b = Person {
        uuid: accounts[1].uuid,
        display_name: accounts[1].display_name.clone().unwrap(),
        handle: "b".into(),
    };
    let group = Uuid::new_v4();
    let first = message(group, &a, "2026-01-01T00:00:00+00:00", "hi");
    let last = message(group, &b, "2026-01-01T00:01:00+00:00", "hello");
    let last_msg = Message::from_item(&last).unwrap();
    let [ra, rb] = Conversation::pair(group, &a, &b, &last_msg);

    // consistent, in any order
    let mut ok = Checker::new(&accounts);
    for item in [&ra.to_item(), &last, &first, &rb.to_item()] {
        ok.item(item);
    }
    let (problems, checked) = ok.finish();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        (checked.messages, checked.groups, checked.conversations),
        (2, 1, 2)
    );

    // a stranger, a renamed sender, a stale row without its partner, an empty group
    let stranger = Person {
        uuid: Uuid::new_v4(),
        display_name: "x".into(),
        handle: "x".into(),
    };
    let renamed = Person {
        handle: "a-old".into(),
        ..a.clone()
    };
    let mut bad = Checker::new(&accounts);
    bad.item(&message(
        group,
        &stranger,
        "2026-01-01T00:02:00+00:00",
        "who?",
    ));
    bad.item(&message(group, &renamed, "2026-01-01T00:00:30+00:00", "me"));
    bad.item(&ra.to_item());
    let other_group = Uuid::new_v4();
    let [empty, _] = Conversation::pair(other_group, &b, &a, &last_msg);
    bad.item(&empty.to_item());
    let mut junk = first.clone();
    junk.insert(PK.into(), crate::ddb::item::s("XYZ#1"));
    bad.item(&junk);
    let (problems, _) = bad.finish();
    let found: Vec<Kind> = {
        let mut k: Vec<Kind> = problems.iter().map(|p| p.kind).collect();
        k.sort();
        k
    };
    assert_eq!(
        found,
        vec![
            Kind::UnknownUser,
            Kind::UserMismatch,
            Kind::MalformedItem,
            Kind::EmptyGroup,
            Kind::StaleConversation,
            Kind::MissingPartner,
            Kind::MissingPartner,
        ],
        "{problems:#?}"
    );
}

fn problem(kind: Kind, store: Store, key: &str) -> Problem {
    Problem {
        kind,
        store,
        key: key.into(),
        detail: format!("detail of {key}"),
    }
}

#[test]
fn problems_of_one_kind_are_one_group_with_a_bounded_sample() {
    let mut problems: Vec<Problem> = (0..12)
        .rev()
        .map(|i| problem(Kind::UnknownUser, Store::Dynamodb, &format!("MSG#g {i:02}")))
        .collect();
    problems.push(problem(Kind::MockCognitoId, Store::Postgres, "bayko"));
    let groups = group(&problems);
    assert_eq!(groups.len(), 2, "{groups:#?}");
    let (items, users) = (&groups[0], &groups[1]);
    assert_eq!(
        (items.kind, items.store, items.count),
        (Kind::UnknownUser, Store::Dynamodb, 12)
    );
    assert_eq!(
        items.summary,
        "12 items: user_uuid (or a conversation row's owner) is not a PostgreSQL user"
    );
    let keys: Vec<&str> = items.sample.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["MSG#g 00", "MSG#g 01", "MSG#g 02", "MSG#g 03", "MSG#g 04"]
    );
    assert_eq!(items.sample[0].detail, "detail of MSG#g 00");
    let cells = items.cells();
    assert_eq!(cells[..3], ["unknown-user", "dynamodb", "12"]);
    assert!(
        cells[3].ends_with("\nand 7 more (check --all lists every one)"),
        "{}",
        cells[3]
    );
    assert_eq!(cells[3].lines().count(), 1 + SAMPLE + 1, "{}", cells[3]);

    assert_eq!(
        users.summary,
        "1 user: cognito_user_id is MOCK or NULL (run update-cognito-user-ids)"
    );
    let cells = users.cells();
    assert_eq!(cells[3].lines().count(), 2, "{}", cells[3]);
    assert!(
        cells[3].ends_with("- bayko: detail of bayko"),
        "{}",
        cells[3]
    );
    assert!(group(&[]).is_empty());
}

#[test]
fn kinds_and_stores_have_one_word_in_text_and_json() {
    let kinds = [
        (Kind::UnknownUser, "unknown-user"),
        (Kind::UserMismatch, "user-mismatch"),
        (Kind::MalformedItem, "malformed-item"),
        (Kind::EmptyGroup, "empty-group"),
        (Kind::StaleConversation, "stale-conversation"),
        (Kind::MissingPartner, "missing-partner"),
        (Kind::MockCognitoId, "mock-cognito-id"),
        (Kind::EmptyCognitoId, "empty-cognito-id"),
        (Kind::NoPoolUser, "no-pool-user"),
        (Kind::WrongCognitoId, "wrong-cognito-id"),
        (Kind::PoolUserWithoutDbUser, "pool-user-without-db-user"),
    ];
    for (kind, word) in kinds {
        assert_eq!(kind.as_str(), word);
        assert_eq!(kind.to_string(), word);
        assert_eq!(serde_json::to_value(kind).unwrap(), word);
    }
    for (store, word) in [
        (Store::Dynamodb, "dynamodb"),
        (Store::Postgres, "postgres"),
        (Store::Cognito, "cognito"),
    ] {
        assert_eq!(store.as_str(), word);
        assert_eq!(serde_json::to_value(store).unwrap(), word);
    }
}
