//! The retry of a cancelled transaction, hermetically: the processor runs over a DynamoDB client
//! whose answers come from `aws-smithy-mocks` rules, so the branch where another writer moves a
//! row between our read and our write is asserted on every run.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use crate::context::Context;
use crate::ddb::item::{get_s, s, Item};
use crate::model::keys::{GROUP_INDEX, MESSAGE, MESSAGE_GROUP_UUID, PK, SK};
use crate::ops::stream::{process_batch, OutcomeKind, StreamRecord};

const GROUP: &str = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399";
const OWNER: &str = "GRP#9f1d2c3b-4a5e-4f60-8a7b-1c2d3e4f5a6b";
const OLD: &str = "2026-11-22T10:00:00.000000+00:00";
const MOVED_MEANWHILE: &str = "2026-11-22T11:00:00.000000+00:00";
const NEW: &str = "2026-11-22T12:00:00.000000+00:00";

fn row(sk: &str) -> Item {
    [
        (PK.to_string(), s(OWNER)),
        (SK.to_string(), s(sk)),
        (MESSAGE_GROUP_UUID.to_string(), s(GROUP)),
        (MESSAGE.to_string(), s("older")),
    ]
    .into()
}

fn message_record() -> StreamRecord {
    let key: Item = [
        (PK.to_string(), s(format!("MSG#{GROUP}"))),
        (SK.to_string(), s(NEW)),
    ]
    .into();
    let mut image = key.clone();
    image.insert(MESSAGE.to_string(), s("newest"));
    StreamRecord {
        id: Some("1".into()),
        event_name: "INSERT".into(),
        keys: key,
        new_image: Some(image),
        table: None,
    }
}

#[tokio::test]
async fn a_cancelled_transaction_is_retried_on_a_fresh_read_of_the_row() {
    // The group index still shows the row at OLD; a strongly consistent read finds that another
    // writer has moved it to MOVED_MEANWHILE (still older than the message).
    let index = mock!(Client::query)
        .match_requests(|q| q.index_name() == Some(GROUP_INDEX))
        .then_output(|| QueryOutput::builder().items(row(OLD)).build());
    let fresh = mock!(Client::query)
        .match_requests(|q| q.consistent_read() == Some(true))
        .then_output(|| QueryOutput::builder().items(row(MOVED_MEANWHILE)).build());
    let cancelled = mock!(Client::transact_write_items)
        .sequence()
        .error(|| {
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .message("Transaction cancelled, please refer cancellation reasons")
                    .build(),
            )
        })
        .build();
    // The sk each accepted transaction deleted.
    let deleted = Arc::new(Mutex::new(Vec::new()));
    let accepted = {
        let deleted = deleted.clone();
        mock!(Client::transact_write_items).then_compute_output(move |input| {
            let delete = input.transact_items()[0].delete().expect("a delete first");
            let sk = get_s(delete.key(), SK).expect("an sk").to_string();
            deleted.lock().unwrap().push(sk);
            TransactWriteItemsOutput::builder().build()
        })
    };
    let client: Client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        &[&index, &fresh, &cancelled, &accepted]
    );
    let ctx = Context::with_dynamodb(client);

    let (outcomes, _) = process_batch(&ctx, &[Ok(message_record())]).await;

    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].kind, OutcomeKind::Applied, "{}", outcomes[0]);
    assert!(
        outcomes[0]
            .detail
            .contains(&format!("{OWNER} moved from {MOVED_MEANWHILE}")),
        "{}",
        outcomes[0]
    );
    assert_eq!(cancelled.num_calls(), 1);
    assert_eq!(fresh.num_calls(), 1, "the row was read again");
    assert_eq!(*deleted.lock().unwrap(), vec![MOVED_MEANWHILE.to_string()]);
}
