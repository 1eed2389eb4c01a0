//! Hermetic tests of batch writes: unprocessed items, throttling, the stall timeout, the
//! consumed capacity, and how far batches may run ahead of a slow one.

use super::*;
use crate::ddb::batch::{write_batches_within, AHEAD};
use aws_sdk_dynamodb::types::Capacity;

#[tokio::test]
async fn unprocessed_items_twice_then_accepted_writes_every_item() {
    // Each of the first two calls leaves all but 5 of its items unprocessed; later calls take
    // everything. Record what the "server" accepted.
    let calls = Arc::new(Mutex::new(0usize));
    let written = Arc::new(Mutex::new(Vec::<String>::new()));
    let rule = {
        let (calls, written) = (calls.clone(), written.clone());
        mock!(Client::batch_write_item).then_compute_output(move |input| {
            let requests = input.request_items().expect("items")["t"].clone();
            let mut n = calls.lock().unwrap();
            *n += 1;
            let keep = if *n <= 2 { 5 } else { requests.len() };
            let (accepted, rest) = requests.split_at(keep.min(requests.len()));
            written.lock().unwrap().extend(accepted.iter().map(pk_of));
            let mut out = BatchWriteItemOutput::builder();
            if !rest.is_empty() {
                out = out.unprocessed_items("t", rest.to_vec());
            }
            out.build()
        })
    };
    let ctx = mocked(RuleMode::MatchAny, &[&rule]);
    let requests: Vec<_> = (0..30)
        .map(|i| put_request(item(&format!("p{i:02}"))).expect("a put request"))
        .collect();
    let mut progress = Vec::new();
    let options = WriteOptions { concurrency: 1 };
    let done = batch_write(&ctx, "t", requests, options, |n| progress.push(n))
        .await
        .expect("every item is written in the end");

    assert_eq!(done, 30);
    // Progress counts whole batches, once each, after all of a batch's retries.
    assert_eq!(progress, vec![25, 30]);
    // 25 items: 5 + 5 + 15 (three calls); then 5 items in one call.
    assert_eq!(rule.num_calls(), 4);
    let mut got = written.lock().unwrap().clone();
    got.sort();
    let want: Vec<String> = (0..30).map(|i| format!("p{i:02}")).collect();
    assert_eq!(got, want, "each item written exactly once");
}

/// An unlimited governor of writes to `t` that gives up after `stall` without progress.
fn stalling_after(stall: Duration) -> Governor {
    let g = Governor::new("t", Direction::Write, Budget::Unlimited, stall);
    g.set_resume("re-run the import");
    g
}

#[tokio::test]
async fn unprocessed_items_that_never_clear_fail_after_the_stall_timeout_naming_the_table() {
    let rule = mock!(Client::batch_write_item).then_compute_output(|input| {
        let requests = input.request_items().expect("items")["t"].clone();
        BatchWriteItemOutput::builder()
            .unprocessed_items("t", requests)
            .build()
    });
    let ctx = mocked(RuleMode::MatchAny, &[&rule]);
    let requests: Vec<_> = (0..3)
        .map(|i| put_request(item(&format!("p{i}"))).expect("a put request"))
        .collect();
    let mut progress = Vec::new();
    let options = WriteOptions { concurrency: 1 };
    let governor = stalling_after(Duration::from_millis(300));
    let err = batch_write_within(&ctx, "t", requests, options, &governor, |n| {
        progress.push(n)
    })
    .await
    .expect_err("never-processed items fail the write once it stalls");
    let err = format!("{err:#}");
    for words in [
        "no progress writing to table t",
        "--stall-timeout",
        "3 of 3 items of a batch sent back unprocessed",
        "re-run the import",
    ] {
        assert!(err.contains(words), "{words:?} not in {err}");
    }
    // Sent again and again (slower each time) until the stall timeout, never dropped.
    assert!(rule.num_calls() > 3, "{} calls", rule.num_calls());
    assert!(governor.stats().throttled >= 9);
    assert!(
        progress.is_empty(),
        "no progress reported for a failed batch"
    );
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk() {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .http_status(400, throttled())
        .times(2)
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let unlimited = Governor::unlimited("t", Direction::Write);
    let done = write_one_within(&ctx, &unlimited)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(done, 1);
    assert_eq!(rule.num_calls(), 3);
}

/// Writes one item against a server that answers every BatchWriteItem with HTTP 400 and `body`,
/// with a stall timeout of 300 ms: the error it ends with, and how many calls were made.
async fn write_throttled_until_it_stalls(body: &str) -> (String, usize) {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .http_status(400, Some(body.to_string()))
        .repeatedly()
        .build();
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let governor = stalling_after(Duration::from_millis(300));
    let err = write_one_within(&ctx, &governor)
        .await
        .expect_err("throttled on every attempt");
    (format!("{err:#}"), rule.num_calls())
}

#[tokio::test]
async fn throttling_that_outlasts_the_sdk_retries_slows_down_then_fails_when_it_stalls() {
    // After the SDK's 3 attempts, the batch is the governor's: it halves the rate, sends the
    // batch again later, and fails only when nothing was written for the stall timeout.
    let (err, calls) = write_throttled_until_it_stalls(&throttled().unwrap()).await;
    assert!(
        err.contains("ProvisionedThroughputExceededException")
            && err.contains("no progress writing to table t"),
        "{err}"
    );
    assert!(calls > 3, "more than the SDK's 3 attempts");
}

#[tokio::test]
async fn a_write_throttled_then_accepted_settles_with_the_consumed_capacity() {
    // Throttled past the SDK's retries once (3 attempts), then accepted: the governor halves its
    // rate, and counts the units DynamoDB reports (an index write costing more than the table's).
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .http_status(400, throttled())
        .times(3)
        .output(|| {
            BatchWriteItemOutput::builder()
                .consumed_capacity(
                    ConsumedCapacity::builder()
                        .table_name("t")
                        .capacity_units(3.0)
                        .table(Capacity::builder().capacity_units(1.0).build())
                        .global_secondary_indexes(
                            "g",
                            Capacity::builder().capacity_units(2.0).build(),
                        )
                        .build(),
                )
                .build()
        })
        .build();
    let ctx = mocked(RuleMode::Sequential, &[&rule]);
    let governor = at_rate(Direction::Write, 1000.0);
    let done = write_one_within(&ctx, &governor)
        .await
        .expect("written on the second try");
    assert_eq!(done, 1);
    assert_eq!(rule.num_calls(), 4);
    let stats = governor.stats();
    assert_eq!(stats.consumed, 2.0);
    assert_eq!(stats.throttled, 1);
    assert!(stats.rate.unwrap() < 1000.0, "{stats:?}");
}

#[tokio::test]
async fn a_stall_on_an_index_names_the_index() {
    // DynamoDB says which resource throttled: a GSI falling behind names its index.
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Throughput exceeds the current capacity of your table or index.","ThrottlingReasons":[{"reason":"IndexWriteProvisionedThroughputExceeded","resource":"arn:aws:dynamodb:us-east-1:123456789012:table/t/index/message-group-sk-index"}]}"#;
    let (err, _) = write_throttled_until_it_stalls(body).await;
    assert!(
        err.contains(
            "IndexWriteProvisionedThroughputExceeded on index message-group-sk-index of table t"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_slow_batch_holds_later_batches_within_the_window() {
    // Batch 0 is sent back unprocessed four times (each retry waits a backoff); the others are
    // written at once. With 2 in flight, no batch more than 2 × 2 after batch 0 may be written
    // before it, however long batch 0 takes.
    let calls_of_slow = Arc::new(Mutex::new(0usize));
    let rule = {
        let calls_of_slow = calls_of_slow.clone();
        mock!(Client::batch_write_item).then_compute_output(move |input| {
            let requests = input.request_items().expect("items")["t"].clone();
            let mut out = BatchWriteItemOutput::builder();
            if pk_of(&requests[0]) == "b0" {
                let mut n = calls_of_slow.lock().unwrap();
                *n += 1;
                if *n <= 4 {
                    out = out.unprocessed_items("t", requests);
                }
            }
            out.build()
        })
    };
    let ctx = mocked(RuleMode::MatchAny, &[&rule]);
    let batches: Vec<(usize, Vec<WriteRequest>)> = (0..12)
        .map(|b| {
            (
                b,
                vec![put_request(item(&format!("b{b}"))).expect("a put request")],
            )
        })
        .collect();
    let governor = Governor::unlimited("t", Direction::Write);
    let mut order = Vec::new();
    let options = WriteOptions { concurrency: 2 };
    write_batches_within(&ctx, "t", batches, options, &governor, |_, tag| {
        order.push(tag)
    })
    .await
    .expect("every batch is written in the end");
    let slow_at = order.iter().position(|&b| b == 0).expect("batch 0 written");
    assert!(
        order[..slow_at].iter().all(|&b| b < AHEAD * 2),
        "written before batch 0: {:?}",
        &order[..slow_at]
    );
    assert!(slow_at > 0, "the others went on meanwhile: {order:?}");
    let mut all = order.clone();
    all.sort();
    assert_eq!(all, (0..12).collect::<Vec<_>>());
}
