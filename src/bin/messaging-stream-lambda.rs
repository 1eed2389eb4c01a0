//! `messaging-stream-lambda`: the stream processor as an AWS Lambda function for DynamoDB stream
//! events. Built only with the `lambda` feature:
//!
//! ```text
//! cargo lambda build --release --features lambda --bin messaging-stream-lambda
//! ```
//!
//! It runs the same handler as `messaging-stream --event` ([`stream::handle_event_json`]) on the
//! prod target: the table is the one each record's `eventSourceARN` names, unless
//! `DDB_MESSAGE_TABLE` is set; the region and credentials are the function's own.
//!
//! It answers with a partial batch response (`{"batchItemFailures": [{"itemIdentifier": SEQ}]}`,
//! [`stream::batch_response`]): applying stops at the first record that fails, and Lambda retries
//! from that record instead of the whole batch (the event source mapping needs
//! `--function-response-types ReportBatchItemFailures`). Applying a record twice changes nothing.
//!
//! The event is taken as plain JSON and read record by record, rather than deserialized into
//! typed event structs: with those, one malformed record fails the whole invocation before the
//! handler runs (and Lambda retries it forever). Here a malformed record is logged and skipped.

use std::process::ExitCode;

use cruddur_ops::config::{Config, Target};
use cruddur_ops::context::Context;
use cruddur_ops::ops::stream::{self, BatchResponse, OutcomeKind};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

async fn handle(ctx: &Context, event: LambdaEvent<Value>) -> Result<BatchResponse, Error> {
    let report = stream::handle_event_json(ctx, &event.payload)
        .await
        .map_err(|err| format!("{err:#}"))?;
    for outcome in &report.outcomes {
        // CloudWatch Logs takes the function's stderr.
        match outcome.kind {
            OutcomeKind::Malformed | OutcomeKind::Failed => eprintln!("warning: {outcome}"),
            _ => eprintln!("{outcome}"),
        }
    }
    Ok(report.response)
}

fn main() -> ExitCode {
    cruddur_ops::cli::run(async move {
        let ctx = Context::new(Config::from_env(Target::Prod)?).await?;
        let ctx = &ctx;
        lambda_runtime::run(service_fn(move |event| handle(ctx, event)))
            .await
            .map_err(|err| anyhow::anyhow!(err).context("the Lambda runtime stopped"))
    })
}
