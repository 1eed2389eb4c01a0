//! The follower's error branches, hermetically: [`follow`] runs over SDK clients whose answers
//! come from `aws-smithy-mocks` rules, so an expired iterator, trimmed records and a vanished
//! shard are asserted on every run (DynamoDB Local never produces them on demand).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::TableDescription;
use aws_sdk_dynamodbstreams::operation::describe_stream::{
    DescribeStreamError, DescribeStreamOutput,
};
use aws_sdk_dynamodbstreams::operation::get_records::{GetRecordsError, GetRecordsOutput};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorOutput;
use aws_sdk_dynamodbstreams::types::error::{
    ExpiredIteratorException, ResourceNotFoundException, TrimmedDataAccessException,
};
use aws_sdk_dynamodbstreams::types::{
    AttributeValue, OperationType, Record, SequenceNumberRange, Shard, StreamDescription,
    StreamRecord,
};
use aws_smithy_mocks::{
    create_mock_http_client, mock, mock_client, MockResponseInterceptor, Rule, RuleMode,
};
use tokio::sync::Notify;

use super::*;

const STREAM: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/1";

fn table_rule() -> Rule {
    mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_name("t")
                    .latest_stream_arn(STREAM)
                    .build(),
            )
            .build()
    })
}

fn one_open_shard() -> DescribeStreamOutput {
    DescribeStreamOutput::builder()
        .stream_description(
            StreamDescription::builder()
                .stream_arn(STREAM)
                .shards(
                    Shard::builder()
                        .shard_id("s1")
                        .sequence_number_range(
                            SequenceNumberRange::builder()
                                .starting_sequence_number("100")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// GetShardIterator answers with an iterator naming what was asked for (`LATEST`,
/// `AFTER_SEQUENCE_NUMBER:205`), and `asked` records each request the same way.
fn iterator_rule(asked: Arc<Mutex<Vec<String>>>) -> Rule {
    mock!(aws_sdk_dynamodbstreams::Client::get_shard_iterator).then_compute_output(move |input| {
        let mut what = input
            .shard_iterator_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        if let Some(seq) = input.sequence_number() {
            what = format!("{what}:{seq}");
        }
        asked.lock().unwrap().push(what.clone());
        GetShardIteratorOutput::builder()
            .shard_iterator(what)
            .build()
    })
}

/// A `REMOVE` record (nothing to apply: no DynamoDB call) with sequence number `seq`.
fn remove_record(seq: &str) -> Record {
    Record::builder()
        .event_name(OperationType::Remove)
        .dynamodb(
            StreamRecord::builder()
                .keys("pk", AttributeValue::S("MSG#x".into()))
                .sequence_number(seq)
                .build(),
        )
        .build()
}

/// A DynamoDB Streams client answering from `rules`, without retries. (What `mock_client!`
/// does, which needs the SDK crate's `test-util` feature.)
fn streams_client(rules: &[&Rule]) -> aws_sdk_dynamodbstreams::Client {
    use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(aws_sdk_dynamodbstreams::config::retry::RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

/// What following a stream saw until its first `ShardReopened`.
struct Followed {
    /// How the follower ended.
    result: Result<FollowSummary>,
    /// Every event, as text.
    events: Vec<String>,
    /// Each GetShardIterator request, as [`iterator_rule`] records it.
    asked: Vec<String>,
}

impl Followed {
    /// The first `ShardReopened` event, as text.
    fn reopened(&self) -> &str {
        self.events
            .iter()
            .find(|e| e.contains("ShardReopened"))
            .expect("a ShardReopened event")
    }
}

/// DescribeStream answering with [`one_open_shard`] every time.
fn one_open_shard_rule() -> Rule {
    mock!(aws_sdk_dynamodbstreams::Client::describe_stream).then_output(one_open_shard)
}

/// Follows table `t`'s stream, DescribeStream answering from `stream` and GetRecords from
/// `records`, until the first `ShardReopened` (then stops at the next pause).
async fn follow_until_reopened(stream: &Rule, records: &Rule) -> Followed {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let rules = [
        &table_rule(),
        stream,
        &iterator_rule(asked.clone()),
        records,
    ];
    let dynamodb: aws_sdk_dynamodb::Client =
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &rules);
    let ctx = Context::with_dynamodb_and_streams(dynamodb, streams_client(&rules));
    let options = FollowOptions {
        idle_pause: Duration::from_millis(1),
        ..FollowOptions::default()
    };
    let reopened = Arc::new(Notify::new());
    let stop = {
        let reopened = reopened.clone();
        async move { reopened.notified().await }
    };
    let mut events = Vec::new();
    let result = follow(&ctx, &options, stop, |event| {
        if let FollowEvent::ShardReopened { .. } = event {
            reopened.notify_one();
        }
        events.push(format!("{event:?}"));
        Ok(())
    })
    .await;
    let asked = asked.lock().unwrap().clone();
    Followed {
        result,
        events,
        asked,
    }
}

/// GetRecords answers one record (sequence number 205), then `error`.
fn a_record_then(error: fn() -> GetRecordsError) -> Rule {
    mock!(aws_sdk_dynamodbstreams::Client::get_records)
        .sequence()
        .output(|| {
            GetRecordsOutput::builder()
                .records(remove_record("205"))
                .next_shard_iterator("next")
                .build()
        })
        .error(error)
        .build()
}

#[tokio::test]
async fn an_expired_iterator_is_reopened_after_the_last_record_handled() {
    let records = a_record_then(|| {
        GetRecordsError::ExpiredIteratorException(ExpiredIteratorException::builder().build())
    });
    let followed = follow_until_reopened(&one_open_shard_rule(), &records).await;
    let reopened = followed.reopened();
    assert!(
        reopened.contains("after sequence number 205") && reopened.contains("expired"),
        "{reopened}"
    );
    assert_eq!(followed.asked, vec!["LATEST", "AFTER_SEQUENCE_NUMBER:205"]);
    let summary = followed.result.expect("the follower stops cleanly");
    assert_eq!(summary.records, 1);
}

#[tokio::test]
async fn a_trimmed_read_after_a_record_asks_again_right_after_it_claiming_nothing_yet() {
    let records = a_record_then(|| {
        GetRecordsError::TrimmedDataAccessException(TrimmedDataAccessException::builder().build())
    });
    let followed = follow_until_reopened(&one_open_shard_rule(), &records).await;
    let reopened = followed.reopened();
    assert!(
        reopened.contains("after sequence number 205") && !reopened.contains("missed:"),
        "{reopened}"
    );
    assert_eq!(followed.asked, vec!["LATEST", "AFTER_SEQUENCE_NUMBER:205"]);
    followed.result.expect("the follower stops cleanly");
}

#[tokio::test]
async fn trimmed_before_anything_was_read_goes_on_from_the_oldest_record_claiming_nothing_missed() {
    let records = mock!(aws_sdk_dynamodbstreams::Client::get_records).then_error(|| {
        GetRecordsError::TrimmedDataAccessException(TrimmedDataAccessException::builder().build())
    });
    let followed = follow_until_reopened(&one_open_shard_rule(), &records).await;
    let reopened = followed.reopened();
    assert!(
        reopened.contains("TRIM_HORIZON") && reopened.contains("none was missed"),
        "{reopened}"
    );
    assert_eq!(followed.asked, vec!["LATEST", "TRIM_HORIZON"]);
    followed.result.expect("the follower stops cleanly");
}

#[tokio::test]
async fn a_shard_not_found_looks_at_the_stream_again_and_a_gone_stream_is_an_error() {
    let records = mock!(aws_sdk_dynamodbstreams::Client::get_records).then_error(|| {
        GetRecordsError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
    });
    let stream = mock!(aws_sdk_dynamodbstreams::Client::describe_stream)
        .sequence()
        .output(one_open_shard)
        .error(|| {
            DescribeStreamError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("stream gone")
                    .build(),
            )
        })
        .build();
    let followed = follow_until_reopened(&stream, &records).await;
    assert!(
        !followed.events.iter().any(|e| e.contains("ShardFinished")),
        "{:?}",
        followed.events
    );
    let err = followed.result.expect_err("the stream is gone");
    assert!(
        format!("{err:#}").contains(&format!("describing stream {STREAM}")),
        "{err:#}"
    );
    assert_eq!(stream.num_calls(), 2, "the stream was looked at again");
    assert_eq!(records.num_calls(), 1);
}
