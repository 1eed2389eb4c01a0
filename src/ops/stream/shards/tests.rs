//! Unit tests of the shard state machine, on plain data: every branch of what the follower does
//! with the answers of GetShardIterator and GetRecords.

use super::*;

#[test]
fn an_expired_iterator_goes_on_after_the_last_record_read() {
    for started in [
        Position::Latest,
        Position::TrimHorizon,
        Position::After("100".into()),
    ] {
        assert_eq!(
            reopen_position(ReopenCause::Expired, Some("205"), &started),
            (Position::After("205".into()), None)
        );
    }
}

#[test]
fn an_expired_iterator_with_nothing_read_never_falls_back_to_the_oldest_record() {
    // Started at LATEST: LATEST again, and the caller is told records may be missed.
    let (position, why) = reopen_position(ReopenCause::Expired, None, &Position::Latest);
    assert_eq!(position, Position::Latest);
    assert!(why.is_some_and(|w| w.contains("may be missed")));
    // Started at a checkpoint: the checkpoint again, nothing missed.
    assert_eq!(
        reopen_position(ReopenCause::Expired, None, &Position::After("42".into())),
        (Position::After("42".into()), None)
    );
    // Asked for the oldest record (--from-start) and read nothing yet: the same request.
    assert_eq!(
        reopen_position(ReopenCause::Expired, None, &Position::TrimHorizon),
        (Position::TrimHorizon, None)
    );
}

#[test]
fn trimmed_records_go_on_from_the_oldest_record_and_say_so() {
    for last in [None, Some("7")] {
        let (position, why) =
            reopen_position(ReopenCause::Trimmed, last, &Position::After("1".into()));
        assert_eq!(position, Position::TrimHorizon);
        assert!(why.is_some_and(|w| w.contains("missed")));
    }
}

#[test]
fn the_reopen_messages_read_as_one_sentence() {
    let cases = [
        (ReopenCause::Trimmed, None, Position::TrimHorizon),
        (ReopenCause::Expired, None, Position::Latest),
    ];
    for (cause, last, started) in cases {
        let (_, why) = reopen_position(cause, last, &started);
        let why = why.expect("a message");
        assert!(!why.contains("  "), "double space in {why:?}");
        assert!(!why.contains('\n'), "line break in {why:?}");
    }
}

fn info(id: &str, parent: Option<&str>, closed: bool) -> ShardInfo {
    ShardInfo {
        id: id.to_string(),
        parent: parent.map(str::to_string),
        closed,
    }
}

fn shards(listed: &[(&str, Option<&str>, bool)]) -> Shards {
    let mut shards = Shards::default();
    shards.add(
        listed
            .iter()
            .map(|&(id, parent, closed)| info(id, parent, closed)),
    );
    shards
}

fn it(name: &str) -> Option<String> {
    Some(name.to_string())
}

fn recorded(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(id, seq)| (id.to_string(), seq.to_string()))
        .collect()
}

fn ids(active: Vec<(String, String)>) -> Vec<String> {
    active.into_iter().map(|(id, _)| id).collect()
}

#[test]
fn descendants_of_checkpointed_shards_are_resumed_too() {
    let shards = shards(&[
        ("a", None, false),
        ("a1", Some("a"), false),
        ("a11", Some("a1"), false),
        ("b", None, false),
        ("b1", Some("b"), false),
    ]);
    let resumed = shards.resumed_lineage(&recorded(&[("a", "9")]));
    assert_eq!(
        resumed.into_iter().collect::<Vec<_>>(),
        vec!["a", "a1", "a11"]
    );
}

#[test]
fn a_child_opens_only_once_its_closed_parent_is_read_to_its_end() {
    let mut shards = shards(&[("p", None, true), ("c", Some("p"), false)]);
    assert_eq!(shards.start_plan(&BTreeMap::new(), true), vec![]);
    assert_eq!(shards.ready(), vec!["p"]);
    assert!(shards.started("p", Position::TrimHorizon, it("p0")));
    assert!(shards.ready().is_empty(), "the child waits for its parent");
    assert_eq!(shards.active(), vec![("p".to_string(), "p0".to_string())]);
    let read = Read::Records {
        last_sequence: Some("5".into()),
        next: None,
    };
    assert_eq!(shards.step("p", read), Action::Finished);
    assert_eq!(shards.ready(), vec!["c"]);
    assert!(shards.active().is_empty());
}

#[test]
fn without_from_start_open_shards_start_at_latest_and_closed_ones_are_skipped() {
    let mut shards = shards(&[
        ("p", None, true),
        ("c", Some("p"), false),
        ("o", None, false),
    ]);
    assert_eq!(
        shards.start_plan(&BTreeMap::new(), false),
        vec![
            ("c".to_string(), Position::Latest),
            ("o".to_string(), Position::Latest),
        ]
    );
    // The closed parent holds only the past: done without being read.
    assert!(shards.started("c", Position::Latest, it("c0")));
    assert!(shards.started("o", Position::Latest, it("o0")));
    assert!(shards.ready().is_empty());
    assert_eq!(ids(shards.active()), vec!["c", "o"]);
}

#[test]
fn a_checkpoint_resumes_its_shards_and_their_children_wait_for_them() {
    let mut shards = shards(&[
        ("a", None, true),
        ("a1", Some("a"), false),
        ("b", None, false),
    ]);
    assert_eq!(
        shards.start_plan(&recorded(&[("a", "9")]), false),
        vec![
            ("a".to_string(), Position::After("9".into())),
            ("b".to_string(), Position::Latest),
        ]
    );
    assert!(shards.started("a", Position::After("9".into()), it("a0")));
    assert!(shards.started("b", Position::Latest, it("b0")));
    // a1 descends from a checkpointed shard: not at LATEST, but from its oldest record later.
    assert!(shards.ready().is_empty());
    assert_eq!(
        shards.step("a", Read::Empty { next: None }),
        Action::Finished
    );
    assert_eq!(shards.ready(), vec!["a1"]);
}

#[test]
fn a_shard_opened_without_an_iterator_is_done_and_its_children_ready() {
    let mut shards = shards(&[("p", None, true), ("c", Some("p"), false)]);
    assert!(!shards.started("p", Position::TrimHorizon, None));
    assert!(shards.active().is_empty());
    assert_eq!(shards.ready(), vec!["c"]);
    assert!(!shards.started("unknown", Position::TrimHorizon, it("x")));
}

#[test]
fn records_and_empty_reads_go_on_with_the_next_iterator() {
    let mut shards = shards(&[("s", None, false)]);
    shards.started("s", Position::Latest, it("i0"));
    let read = Read::Records {
        last_sequence: Some("100".into()),
        next: it("i1"),
    };
    assert_eq!(shards.step("s", read), Action::ReadOn);
    assert_eq!(shards.last_sequence("s"), Some("100"));
    assert_eq!(shards.active(), vec![("s".to_string(), "i1".to_string())]);
    assert_eq!(
        shards.step("s", Read::Empty { next: it("i2") }),
        Action::ReadOn
    );
    // Records without a sequence number keep the last one known.
    let read = Read::Records {
        last_sequence: None,
        next: it("i3"),
    };
    assert_eq!(shards.step("s", read), Action::ReadOn);
    assert_eq!(shards.last_sequence("s"), Some("100"));
    assert_eq!(shards.active(), vec![("s".to_string(), "i3".to_string())]);
}

#[test]
fn an_expired_iterator_reopens_after_the_last_sequence_number() {
    let mut shards = shards(&[("s", None, false)]);
    shards.started("s", Position::Latest, it("i0"));
    let read = Read::Records {
        last_sequence: Some("205".into()),
        next: it("i1"),
    };
    shards.step("s", read);
    assert_eq!(
        shards.step("s", Read::Expired),
        Action::Reopen {
            position: Position::After("205".into()),
            why: "the iterator expired; going on after the last record handled",
        }
    );
    shards.reopened("s", it("i2"));
    assert_eq!(shards.active(), vec![("s".to_string(), "i2".to_string())]);
}

#[test]
fn an_expired_iterator_with_nothing_read_reopens_where_reading_started() {
    let mut shards = shards(&[("s", None, false), ("t", None, false)]);
    shards.started("s", Position::After("42".into()), it("i0"));
    shards.started("t", Position::Latest, it("j0"));
    let Action::Reopen { position, .. } = shards.step("s", Read::Expired) else {
        panic!("not a reopen");
    };
    assert_eq!(position, Position::After("42".into()));
    let Action::Reopen { position, why } = shards.step("t", Read::Expired) else {
        panic!("not a reopen");
    };
    assert_eq!(position, Position::Latest);
    assert!(why.contains("may be missed"), "{why}");
}

#[test]
fn a_trimmed_read_is_checked_right_after_the_last_record_before_records_are_called_missed() {
    let mut shards = shards(&[("s", None, false)]);
    shards.started("s", Position::After("1".into()), it("i0"));
    // The first trimmed answer is checked: asked again right after the checkpoint's record.
    let Action::Reopen { position, why } = shards.step("s", Read::Trimmed) else {
        panic!("not a reopen");
    };
    assert_eq!(position, Position::After("1".into()));
    assert!(!why.contains("missed were"), "{why}");
    shards.reopened("s", it("i1"));
    // Trimmed again from there: real, so the oldest record, and records were missed.
    let Action::Reopen { position, why } = shards.step("s", Read::Trimmed) else {
        panic!("not a reopen");
    };
    assert_eq!(position, Position::TrimHorizon);
    assert!(why.contains("were missed"), "{why}");
    // Nothing left to read after reopening: the shard is done.
    shards.reopened("s", None);
    assert!(shards.active().is_empty());
}

#[test]
fn a_read_that_succeeds_after_the_check_makes_the_next_trimmed_answer_checked_again() {
    let mut shards = shards(&[("s", None, false)]);
    shards.started("s", Position::Latest, it("i0"));
    assert_eq!(
        shards.step(
            "s",
            Read::Records {
                last_sequence: Some("10".into()),
                next: it("i1"),
            }
        ),
        Action::ReadOn
    );
    for _ in 0..2 {
        let Action::Reopen { position, .. } = shards.step("s", Read::Trimmed) else {
            panic!("not a reopen");
        };
        assert_eq!(position, Position::After("10".into()));
        shards.reopened("s", it("i2"));
        assert_eq!(
            shards.step("s", Read::Empty { next: it("i3") }),
            Action::ReadOn
        );
    }
}

#[test]
fn trimmed_before_anything_was_read_from_latest_reads_from_the_oldest_record_missing_nothing() {
    let mut shards = shards(&[("s", None, false)]);
    shards.started("s", Position::Latest, it("i0"));
    let Action::Reopen { position, why } = shards.step("s", Read::Trimmed) else {
        panic!("not a reopen");
    };
    assert_eq!(position, Position::TrimHorizon);
    assert!(why.contains("none was missed"), "{why}");
    assert!(!why.contains("were missed"), "{why}");
}

#[test]
fn the_trimmed_messages_read_as_one_sentence() {
    for (last, started, checked) in [
        (Some("5"), Position::Latest, false),
        (Some("5"), Position::Latest, true),
        (None, Position::Latest, false),
        (None, Position::TrimHorizon, false),
    ] {
        let (_, why, _) = after_trimmed(last, &started, checked);
        assert!(!why.contains("  "), "double space in {why:?}");
        assert!(!why.contains('\n'), "line break in {why:?}");
    }
}

#[test]
fn a_shard_not_found_is_dropped_and_the_stream_looked_at_again() {
    let mut shards = shards(&[("s", None, false), ("t", None, false)]);
    shards.started("s", Position::Latest, it("i0"));
    shards.started("t", Position::Latest, it("j0"));
    assert_eq!(shards.step("s", Read::NotFound), Action::Rescan);
    assert_eq!(ids(shards.active()), vec!["t"]);
}

#[test]
fn a_trimmed_open_is_asked_again_at_the_oldest_record() {
    let at = Position::After("9".into());
    assert_eq!(
        after_open(Opened::Iterator(it("i")), &at),
        AfterOpen::Use(it("i"))
    );
    assert_eq!(after_open(Opened::Gone, &at), AfterOpen::Use(None));
    let AfterOpen::Retry { position, why } = after_open(Opened::Trimmed, &at) else {
        panic!("not a retry");
    };
    assert_eq!(position, Position::TrimHorizon);
    assert!(why.contains("missed"), "{why}");
    assert_eq!(retried_iterator(Opened::Iterator(it("j"))), it("j"));
    assert_eq!(retried_iterator(Opened::Trimmed), None);
    assert_eq!(retried_iterator(Opened::Gone), None);
}

#[test]
fn a_known_shard_listed_again_as_closed_is_closed() {
    let mut shards = shards(&[("s", None, false)]);
    shards.add([info("s", None, true)]);
    // Closed and not resumed: without --from-start it is done without being read.
    assert!(shards.start_plan(&BTreeMap::new(), false).is_empty());
    assert!(shards.ready().is_empty());
}
