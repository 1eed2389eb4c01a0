//! Unit tests of the pure parts of the stream processor, on a recorded Lambda event
//! (`tests/fixtures/stream-event.json`) and on records built like the Streams API returns them.

use super::apply::{summarize, RowResult};
use super::*;
use crate::ddb::item::{item_from_typed_json, s, Item};
use crate::model::keys::{Sk, MESSAGE, PK, SK};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types as streams;
use serde_json::{json, Value};
use uuid::Uuid;

const EVENT: &str = include_str!("../../../tests/fixtures/stream-event.json");
const GROUP_A: &str = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399";
const GROUP_B: &str = "9f1d2c3b-4a5e-4f60-8a7b-1c2d3e4f5a6b";

fn event() -> Value {
    serde_json::from_str(EVENT).unwrap()
}

fn group(id: &str) -> Uuid {
    Uuid::parse_str(id).unwrap()
}

fn sk(t: &str) -> Sk {
    Sk::parse(t).unwrap()
}

/// A MSG# INSERT record in Lambda JSON.
fn msg_record(seq: &str, group: &str, at: &str, text: &str) -> Value {
    json!({
        "eventID": seq,
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"pk": {"S": format!("MSG#{group}")}, "sk": {"S": at}},
            "NewImage": {
                "pk": {"S": format!("MSG#{group}")},
                "sk": {"S": at},
                "message": {"S": text},
            },
            "SequenceNumber": seq,
        }
    })
}

fn plan_of(records: Vec<Value>) -> Vec<Planned> {
    let records = records_from_event_json(&json!({ "Records": records })).unwrap();
    plan_batch(&records)
}

fn applied(plan: &[Planned]) -> Vec<(usize, &NewMessage)> {
    plan.iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Planned::Apply(m) => Some((i, m)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_recorded_batch_is_classified_record_by_record() {
    let records = records_from_event_json(&event()).unwrap();
    assert_eq!(records.len(), 8);
    // The last record's key is not valid typed JSON: malformed at reading, with its id.
    let bad = records[7].as_ref().unwrap_err();
    assert_eq!(bad.id.as_deref(), Some("107"));
    assert!(bad.reason.contains("Keys"), "{}", bad.reason);

    let plan = plan_batch(&records);
    assert_eq!(plan.len(), 8);
    let kind = |i: usize| match &plan[i] {
        Planned::Done(o) => Some(o.kind),
        _ => None,
    };
    assert_eq!(kind(1), Some(OutcomeKind::SkippedNotMessage));
    assert_eq!(kind(2), Some(OutcomeKind::SkippedRemove));
    assert_eq!(kind(4), Some(OutcomeKind::Malformed));
    assert_eq!(kind(7), Some(OutcomeKind::Malformed));
    match &plan[4] {
        Planned::Done(o) => {
            assert!(o.detail.contains("message"), "{}", o.detail);
            assert_eq!(o.id.as_deref(), Some("104"));
        }
        other => panic!("{other:?}"),
    }
    // Group A: only its newest message (record 3) is applied; the older one (0) and its replay
    // (6, delivered after the newer one) are superseded by it.
    assert!(matches!(&plan[0], Planned::Superseded { by: 3, .. }));
    assert!(matches!(&plan[6], Planned::Superseded { by: 3, .. }));
    let apply = applied(&plan);
    assert_eq!(apply.len(), 2);
    assert_eq!(apply[0].0, 3);
    assert_eq!(apply[0].1.group, group(GROUP_A));
    assert_eq!(apply[0].1.at, sk("2026-11-22T10:05:00.000000+00:00"));
    assert_eq!(apply[0].1.text, "second");
    assert_eq!(
        apply[0].1.uuid,
        Some(group("0b8e8c9e-7a55-4c53-8a5e-0d6e0c8b1d02"))
    );
    // A MODIFY of a message in another group is applied on its own.
    assert_eq!(apply[1].0, 5);
    assert_eq!(apply[1].1.group, group(GROUP_B));
    assert_eq!(apply[1].1.uuid, None);
}

#[test]
fn out_of_order_delivery_keeps_the_newest() {
    let plan = plan_of(vec![
        msg_record("3", GROUP_A, "2026-11-22T10:02:00.000000+00:00", "newest"),
        msg_record("1", GROUP_A, "2026-11-22T10:00:00.000000+00:00", "old"),
        msg_record("2", GROUP_A, "2026-11-22T10:01:00.000000+00:00", "middle"),
    ]);
    let apply = applied(&plan);
    assert_eq!(apply.len(), 1);
    assert_eq!(apply[0].0, 0);
    assert_eq!(apply[0].1.text, "newest");
    assert!(matches!(plan[1], Planned::Superseded { by: 0, .. }));
    assert!(matches!(plan[2], Planned::Superseded { by: 0, .. }));
}

#[test]
fn a_replayed_record_is_applied_once_per_batch() {
    let r = msg_record("1", GROUP_A, "2026-11-22T10:00:00.000000+00:00", "hi");
    let plan = plan_of(vec![r.clone(), r]);
    assert_eq!(applied(&plan).len(), 1);
    assert!(matches!(plan[1], Planned::Superseded { by: 0, .. }));
}

#[test]
fn rows_only_move_forward() {
    let early = sk("2026-11-22T10:00:00.000000+00:00");
    let late = sk("2026-11-22T10:00:00.000001+00:00");
    assert!(must_move(early, late));
    assert!(!must_move(late, early), "never backwards");
    assert!(!must_move(late, late), "a replay changes nothing");
}

#[test]
fn newest_row_per_owner() {
    let row = |pk: &str, at: &str| -> Item {
        [
            (PK.to_string(), s(pk)),
            (SK.to_string(), s(at)),
            (MESSAGE.to_string(), s(at)),
        ]
        .into()
    };
    let rows = vec![
        row("GRP#a", "2026-11-22T10:00:00.000000+00:00"),
        row("GRP#b", "2026-11-22T09:00:00.000000+00:00"),
        row("GRP#a", "2026-11-22T11:00:00.000000+00:00"),
        row("GRP#c", "not a time"),
    ];
    let newest = newest_per_owner(rows);
    assert_eq!(newest.len(), 2);
    assert_eq!(newest["GRP#a"].0, sk("2026-11-22T11:00:00+00:00"));
    assert_eq!(newest["GRP#b"].0, sk("2026-11-22T09:00:00+00:00"));
}

#[test]
fn classify_edge_cases() {
    let mut record = StreamRecord {
        id: None,
        event_name: "INSERT".into(),
        keys: [(PK.to_string(), s(format!("MSG#{GROUP_A}")))].into(),
        new_image: None,
        table: None,
    };
    // A MSG# insert without an image (KEYS_ONLY stream) cannot be applied.
    assert!(matches!(classify(&record), Classified::Malformed(r) if r.contains("NewImage")));
    record.event_name = "REMOVE".into();
    assert_eq!(classify(&record), Classified::Remove);
    record.event_name = "UPSERT".into();
    assert!(matches!(classify(&record), Classified::Malformed(_)));
    record.event_name = "MODIFY".into();
    record.keys = [(PK.to_string(), s("USER#x"))].into();
    assert_eq!(
        classify(&record),
        Classified::NotMessage("USER#x".to_string())
    );
    record.keys = Item::new();
    assert!(matches!(classify(&record), Classified::Malformed(r) if r.contains("partition key")));
    // The key may come from the image alone; a bad sk is malformed.
    record.new_image = Some(
        [
            (PK.to_string(), s(format!("MSG#{GROUP_A}"))),
            (SK.to_string(), s("yesterday")),
            (MESSAGE.to_string(), s("x")),
        ]
        .into(),
    );
    assert!(matches!(classify(&record), Classified::Malformed(r) if r.contains("sk")));
}

#[test]
fn not_an_event_is_an_error() {
    for bad in [json!([]), json!({"records": []}), json!({"Records": {}})] {
        assert!(records_from_event_json(&bad).is_err(), "{bad}");
    }
    assert!(records_from_event_json(&json!({"Records": []}))
        .unwrap()
        .is_empty());
    // A record that is not even an object is malformed, not fatal.
    let records = records_from_event_json(&json!({"Records": [1, "x"]})).unwrap();
    assert!(records.iter().all(|r| r.is_err()));
}

#[test]
fn typed_json_of_every_type() {
    let item = item_from_typed_json(&json!({
        "s": {"S": "héllo"},
        "n": {"N": "42"},
        "n2": {"N": 1.5},
        "b": {"B": "aGkhPw=="},
        "t": {"BOOL": true},
        "z": {"NULL": true},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": ["Zm9v", "Zg"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}]},
        "m": {"M": {"k": {"BOOL": false}}},
    }))
    .unwrap();
    assert_eq!(item["s"], AttributeValue::S("héllo".into()));
    assert_eq!(item["n"], AttributeValue::N("42".into()));
    assert_eq!(item["n2"], AttributeValue::N("1.5".into()));
    assert_eq!(item["b"], AttributeValue::B(Blob::new(b"hi!?".to_vec())));
    assert_eq!(item["t"], AttributeValue::Bool(true));
    assert_eq!(item["z"], AttributeValue::Null(true));
    assert_eq!(item["ss"], AttributeValue::Ss(vec!["a".into(), "b".into()]));
    assert_eq!(item["ns"], AttributeValue::Ns(vec!["1".into(), "2".into()]));
    assert_eq!(
        item["bs"],
        AttributeValue::Bs(vec![Blob::new(b"foo".to_vec()), Blob::new(b"f".to_vec())])
    );
    assert_eq!(
        item["l"],
        AttributeValue::L(vec![
            AttributeValue::S("x".into()),
            AttributeValue::N("1".into())
        ])
    );
    assert_eq!(
        item["m"],
        AttributeValue::M([("k".to_string(), AttributeValue::Bool(false))].into())
    );
    // And back: what item.rs prints as typed JSON reads back the same.
    assert_eq!(
        item_from_typed_json(&crate::ddb::item::to_typed_json(&item)).unwrap(),
        item
    );

    for bad in [
        json!({"a": "plain"}),
        json!({"a": {"S": 1}}),
        json!({"a": {"N": "many"}}),
        json!({"a": {"S": "x", "N": "1"}}),
        json!({"a": {"X": "?"}}),
        json!({"a": {"B": "not base64!"}}),
        json!({"a": {"L": [{"S": 1}]}}),
        json!([1]),
    ] {
        let err = item_from_typed_json(&bad).unwrap_err();
        assert!(!format!("{err:#}").is_empty(), "{bad}");
    }
}

#[test]
fn sdk_records_read_like_event_records() {
    let image: std::collections::HashMap<String, streams::AttributeValue> = [
        (
            "pk".to_string(),
            streams::AttributeValue::S(format!("MSG#{GROUP_A}")),
        ),
        (
            "sk".to_string(),
            streams::AttributeValue::S("2026-11-22T10:00:00.000000+00:00".into()),
        ),
        (
            "message".to_string(),
            streams::AttributeValue::S("hi".into()),
        ),
        (
            "extra".to_string(),
            streams::AttributeValue::M(
                [(
                    "l".to_string(),
                    streams::AttributeValue::L(vec![
                        streams::AttributeValue::N("1".into()),
                        streams::AttributeValue::B(aws_sdk_dynamodbstreams::primitives::Blob::new(
                            b"hi!?".to_vec(),
                        )),
                        streams::AttributeValue::Null(true),
                    ]),
                )]
                .into(),
            ),
        ),
    ]
    .into();
    let keys: std::collections::HashMap<_, _> = image
        .iter()
        .filter(|(k, _)| *k == "pk" || *k == "sk")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let record = streams::Record::builder()
        .event_id("e1")
        .event_name(streams::OperationType::Insert)
        .dynamodb(
            streams::StreamRecord::builder()
                .set_keys(Some(keys))
                .set_new_image(Some(image))
                .sequence_number("000100")
                .build(),
        )
        .build();
    let from_sdk = record_from_sdk(&record).unwrap();
    let from_json = record_from_event_json(&json!({
        "eventID": "e1",
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"pk": {"S": format!("MSG#{GROUP_A}")}, "sk": {"S": "2026-11-22T10:00:00.000000+00:00"}},
            "NewImage": {
                "pk": {"S": format!("MSG#{GROUP_A}")},
                "sk": {"S": "2026-11-22T10:00:00.000000+00:00"},
                "message": {"S": "hi"},
                "extra": {"M": {"l": {"L": [{"N": "1"}, {"B": "aGkhPw=="}, {"NULL": true}]}}},
            },
            "SequenceNumber": "000100",
        }
    }))
    .unwrap();
    assert_eq!(from_sdk, from_json);
    assert_eq!(from_sdk.id.as_deref(), Some("000100"));
    assert!(matches!(classify(&from_sdk), Classified::Message(m) if m.text == "hi"));

    let removed = streams::Record::builder()
        .event_name(streams::OperationType::Remove)
        .dynamodb(streams::StreamRecord::builder().build())
        .build();
    assert_eq!(
        classify(&record_from_sdk(&removed).unwrap()),
        Classified::Remove
    );
    let nameless = streams::Record::builder().event_id("e2").build();
    assert_eq!(
        record_from_sdk(&nameless).unwrap_err().id.as_deref(),
        Some("e2")
    );
}

#[test]
fn outcome_lines_and_json() {
    let message = NewMessage {
        group: group(GROUP_A),
        at: sk("2026-11-22T10:00:00+00:00"),
        text: "hi".into(),
        uuid: None,
    };
    let o = RecordOutcome::for_message(
        2,
        Some("105".into()),
        &message,
        OutcomeKind::Applied,
        "moved".into(),
    );
    let line = o.to_string();
    assert!(line.starts_with("#2 applied"), "{line}");
    assert!(
        line.contains(&format!(
            "MSG#{GROUP_A} 2026-11-22T10:00:00.000000+00:00 [105]: moved"
        )),
        "{line}"
    );
    assert_eq!(serde_json::to_value(&o).unwrap()["outcome"], "applied");
    assert_eq!(
        serde_json::to_value(&o).unwrap()["message_group_uuid"],
        GROUP_A
    );
}

#[test]
fn summaries_name_the_outcome() {
    let moved = RowResult::Moved {
        owner: "GRP#a".into(),
        from: "t0".into(),
    };
    let current = RowResult::AlreadyCurrent {
        owner: "GRP#b".into(),
        sk: "t1".into(),
    };
    let conflict = RowResult::Conflict {
        owner: "GRP#b".into(),
        why: "busy".into(),
    };
    assert_eq!(
        summarize(&[moved.clone(), current.clone()]).0,
        OutcomeKind::Applied
    );
    assert_eq!(
        summarize(std::slice::from_ref(&current)).0,
        OutcomeKind::Stale
    );
    assert_eq!(summarize(&[current, conflict]).0, OutcomeKind::Conflict);
}

fn outcome(index: usize, kind: OutcomeKind) -> RecordOutcome {
    RecordOutcome::new(index, Some(format!("seq{index}")), kind, String::new())
}

#[test]
fn the_batch_response_names_the_first_record_not_done() {
    use OutcomeKind::*;
    let done = [
        outcome(0, Applied),
        outcome(1, Malformed),
        outcome(2, Stale),
    ];
    assert_eq!(batch_response(&done), BatchResponse::default());
    assert_eq!(
        serde_json::to_value(batch_response(&done)).unwrap(),
        json!({"batchItemFailures": []})
    );

    // A stale record left pending before the failure: the retry starts there.
    let outcomes = [
        outcome(0, Applied),
        outcome(1, Pending),
        outcome(2, Failed),
        outcome(3, Pending),
    ];
    assert_eq!(
        serde_json::to_value(batch_response(&outcomes)).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "seq1"}]})
    );
    let outcomes = [
        outcome(0, SkippedRemove),
        outcome(1, Failed),
        outcome(2, Pending),
    ];
    assert_eq!(
        batch_response(&outcomes).batch_item_failures,
        [BatchItemFailure {
            item_identifier: "seq1".into()
        }]
    );
    // No sequence number: an empty identifier, which Lambda takes as "retry the whole batch".
    let mut no_id = outcome(0, Failed);
    no_id.id = None;
    assert_eq!(
        batch_response(&[no_id]).batch_item_failures[0].item_identifier,
        ""
    );

    let report = EventReport {
        outcomes: outcomes.to_vec(),
        response: batch_response(&outcomes),
    };
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["outcomes"][1]["outcome"], "failed");
    assert_eq!(json["batchItemFailures"][0]["itemIdentifier"], "seq1");
    let err = check_batch_response(&report, None).unwrap_err().to_string();
    assert!(err.contains("record #1") && err.contains("seq1"), "{err}");
    assert!(check_batch_response(
        &EventReport {
            outcomes: done.to_vec(),
            response: BatchResponse::default()
        },
        None
    )
    .is_ok());
}

#[test]
fn the_table_comes_from_the_event_source_arn() {
    assert_eq!(
        table_from_arn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/cruddur-messages/stream/2026-11-22T00:00:00.000"
        ),
        Some("cruddur-messages")
    );
    assert_eq!(
        table_from_arn("arn:aws:dynamodb:us-east-1:1:table/t"),
        Some("t")
    );
    assert_eq!(table_from_arn("arn:aws:sqs:us-east-1:1:queue"), None);
    assert_eq!(table_from_arn("not an arn"), None);

    let mut a = msg_record("1", GROUP_A, "2026-11-22T10:00:00+00:00", "a");
    a["eventSourceARN"] = json!("arn:aws:dynamodb:r:1:table/one/stream/x");
    let mut b = msg_record("2", GROUP_A, "2026-11-22T11:00:00+00:00", "b");
    b["eventSourceARN"] = json!("arn:aws:dynamodb:r:1:table/two/stream/x");
    let records = records_from_event_json(&json!({ "Records": [a, b] })).unwrap();
    assert_eq!(records[0].as_ref().unwrap().table.as_deref(), Some("one"));
    // The same group in two tables: each is the newest of its own table.
    let plan = plan_batch(&records);
    assert_eq!(applied(&plan).len(), 2);
}
