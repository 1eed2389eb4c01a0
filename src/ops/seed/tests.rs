//! Unit tests of the seed plan: message keys and uuids, the items of a plan, and the matching of
//! a plan against what the group holds.

use super::*;
use chrono::{DateTime, TimeZone};
use uuid::Uuid;

use crate::model::keys::Pk;

fn person(handle: &str) -> Person {
    Person {
        uuid: Uuid::new_v5(&Uuid::NAMESPACE_OID, handle.as_bytes()),
        display_name: format!("{handle} name"),
        handle: handle.into(),
    }
}

fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

#[test]
fn times_are_a_minute_apart_and_end_at_now() {
    let end = end();
    assert_eq!(message_time(end, 3, 2), end);
    assert_eq!(message_time(end, 3, 0), end - chrono::Duration::minutes(2));
    for n in [1, 5] {
        for i in 0..n {
            let sk = Sk(message_time(end, n, i)).to_string();
            assert!(is_message_time(end, n, &sk), "{sk}");
        }
    }
    assert!(!is_message_time(
        end,
        3,
        &Sk(end - chrono::Duration::minutes(3)).to_string()
    ));
    assert!(!is_message_time(
        end,
        3,
        &Sk(end + chrono::Duration::minutes(1)).to_string()
    ));
    assert!(!is_message_time(
        end,
        3,
        &Sk(end - chrono::Duration::seconds(30)).to_string()
    ));
    assert!(!is_message_time(end, 3, "2026-11-22T10:00:00Z"));
    assert!(!is_message_time(end, 3, "garbage"));
}

#[test]
fn message_uuids_are_deterministic() {
    let group = Uuid::parse_str(crate::model::keys::DEFAULT_GROUP).unwrap();
    assert_eq!(message_uuid(group, 7), message_uuid(group, 7));
    assert_ne!(message_uuid(group, 7), message_uuid(group, 8));
    assert_ne!(message_uuid(group, 7), message_uuid(Uuid::new_v4(), 7));
    assert_eq!(message_uuid(group, 0).get_version_num(), 5);
}

#[test]
fn plan_builds_messages_and_conversation_rows() {
    let group = Uuid::new_v4();
    let (a, b) = (person("a"), person("b"));
    let lines = parse("t", "Person 1: one\nPerson 2: two\nPerson 2: three\n").unwrap();
    let now = end() + chrono::Duration::nanoseconds(1_234_567);
    let plan = Plan::new(group, [a.clone(), b.clone()], lines, now).unwrap();
    let msgs: Vec<_> = plan.messages().collect();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].sender, a);
    assert_eq!(msgs[2].sender, b);
    assert_eq!(
        msgs[2].created.to_string(),
        "2026-11-22T10:00:00.001234+00:00"
    );
    assert_eq!(msgs[1].uuid, message_uuid(group, 1));
    let [ra, rb] = plan.conversations().clone();
    assert_eq!((ra.owner, &ra.other), (a.uuid, &b));
    assert_eq!((rb.owner, &rb.other), (b.uuid, &a));
    assert_eq!(ra.last_message, "three");
    assert_eq!(ra.last_at, msgs[2].created);
    assert_eq!(plan.item_count(), 5);

    let same = Plan::new(group, [a.clone(), a.clone()], synthetic(2), now);
    assert!(same.unwrap_err().to_string().contains("same user"));
}

fn existing(
    plan: &Plan,
    end: DateTime<Utc>,
    indexes: std::ops::Range<usize>,
    count: usize,
) -> Vec<ExistingMessage> {
    indexes
        .map(|i| ExistingMessage {
            sk: Sk(message_time(end, count, i)).to_string(),
            uuid: Some(message_uuid(plan.group, i).to_string()),
        })
        .collect()
}

fn row(owner: Uuid, sk: &str) -> ExistingRow {
    ExistingRow {
        pk: Pk::Group(owner).to_string(),
        sk: sk.to_string(),
    }
}

#[test]
fn existing_items_split_into_overwritten_and_stale() {
    let group = Uuid::new_v4();
    let people = [person("a"), person("b")];
    let mut plan = Plan::new(group, people.clone(), synthetic(4), end()).unwrap();
    // The same seed (4 messages, same end) and one message of an older, longer seed.
    let older_end = end() - chrono::Duration::hours(1);
    let mut messages = existing(&plan, end(), 0..4, 4);
    messages.extend(existing(&plan, older_end, 4..5, 5));
    let older = messages[4].sk.clone();
    let [ra, rb] = plan.conversations().clone();
    let now = ra.last_at.to_string();
    plan.set_existing(
        messages,
        vec![
            row(ra.owner, &now),
            row(rb.owner, &now),
            row(people[0].uuid, &older),
        ],
    )
    .unwrap();
    assert_eq!(plan.overwritten_count(), 4);
    assert_eq!(plan.stale_messages, vec![older.clone()]);
    assert_eq!(
        plan.stale_conversations,
        vec![(Pk::Group(people[0].uuid).to_string(), older)]
    );
    assert_eq!(plan.stale_count(), 2);
    assert_eq!(plan.kept_count(), 0);
    assert_eq!(plan.item_count(), 6);
}

#[test]
fn app_messages_and_their_rows_are_kept() {
    let group = Uuid::new_v4();
    let people = [person("a"), person("b")];
    let mut plan = Plan::new(group, people.clone(), synthetic(3), end()).unwrap();
    let earlier = end() - chrono::Duration::days(1);
    let mut messages = existing(&plan, earlier, 0..3, 3);
    let app_sk = Sk(earlier + chrono::Duration::seconds(7)).to_string();
    messages.push(ExistingMessage {
        sk: app_sk.clone(),
        uuid: Some(Uuid::new_v4().to_string()),
    });
    let seeded_last = messages[2].sk.clone();
    // Person 1's row moved on to the app message (the stream processor did it); Person 2's
    // still carries the seeded one.
    plan.set_existing(
        messages,
        vec![
            row(people[0].uuid, &app_sk),
            row(people[1].uuid, &seeded_last),
        ],
    )
    .unwrap();
    assert_eq!(plan.kept_count(), 1);
    assert_eq!(plan.stale_messages.len(), 3);
    assert!(!plan.stale_messages.contains(&app_sk));
    assert_eq!(
        plan.stale_conversations,
        vec![(Pk::Group(people[1].uuid).to_string(), seeded_last)]
    );
    let owners: Vec<Uuid> = plan.rows_to_write().map(|c| c.owner).collect();
    assert_eq!(owners, vec![people[1].uuid]);
    assert_eq!(plan.item_count(), 4);
}

#[test]
fn a_seed_onto_an_app_message_is_refused() {
    let group = Uuid::new_v4();
    let mut plan = Plan::new(group, [person("a"), person("b")], synthetic(3), end()).unwrap();
    let app = ExistingMessage {
        sk: Sk(end()).to_string(),
        uuid: Some(Uuid::new_v4().to_string()),
    };
    let err = plan
        .set_existing(vec![app], vec![])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not written by a seed") && err.contains("--now"),
        "{err}"
    );
    let bare = ExistingMessage {
        sk: Sk(end()).to_string(),
        uuid: None,
    };
    assert!(plan.set_existing(vec![bare], vec![]).is_err());
}
