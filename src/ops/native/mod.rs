//! DynamoDB's own export and import through S3, past what one machine streams: `table-export --s3`
//! ([`export`]: ExportTableToPointInTime, waited for), `table-import --s3` into an existing table
//! ([`load`]: the export's data files streamed from S3 through `import`'s own checks, budget and
//! checkpoints) and `table-import --s3 --new-table` ([`new_table`]: ImportTable, no write capacity).
//! [`manifest`] finds an export's data files: from its manifest, or, where the server writes
//! none (moto), from a listing once DynamoDB says the export is complete.
//!
//! Requests carry a client token derived from what they ask ([`client_token`]), so a re-run
//! within DynamoDB's 8-hour window joins the job already started instead of starting another.

pub mod export;
pub mod load;
pub mod manifest;
pub mod new_table;
mod run;

pub use run::{export_to_s3, import_new_table};

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use anyhow::{bail, Result};

/// The client token of a request described by `parts` (its kind first): the same parts give the
/// same token, any other part another one. A UUID (version 5), within DynamoDB's 36-character
/// limit on client tokens.
pub fn client_token(parts: &[&str]) -> String {
    let text = parts.join("\n");
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, text.as_bytes()).to_string()
}

/// The first wait between two polls of a job; each wait is half again as long, up to
/// [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(250);
/// The longest wait between two polls (an export of a big table takes many minutes).
const MAX_POLL: Duration = Duration::from_secs(15);

/// Polls `describe` until `running` says the job is done, at most `limit` in all; `seen` gets
/// each answer (progress). Past `limit` the error says what `what` is and how to wait again.
pub async fn wait_for<J, F, Fut>(
    what: &str,
    limit: Duration,
    mut describe: F,
    running: impl Fn(&J) -> bool,
    mut seen: impl FnMut(&J),
) -> Result<J>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<J>>,
{
    let started = Instant::now();
    let mut pause = FIRST_POLL;
    loop {
        let job = describe().await?;
        seen(&job);
        if !running(&job) {
            return Ok(job);
        }
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            bail!(
                "{what} is still running after {} s (--wait-timeout); it goes on in DynamoDB: \
                 run the same command again to wait for it (the same request joins the same job)",
                limit.as_secs()
            );
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 3 / 2).min(MAX_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_token_follows_every_part_of_the_request() {
        let a = client_token(&["export", "arn:t", "bucket", "p", "FULL_EXPORT", ""]);
        assert_eq!(
            a,
            client_token(&["export", "arn:t", "bucket", "p", "FULL_EXPORT", ""])
        );
        assert_eq!(a.len(), 36);
        for other in [
            ["export", "arn:u", "bucket", "p", "FULL_EXPORT", ""],
            ["export", "arn:t", "other", "p", "FULL_EXPORT", ""],
            ["export", "arn:t", "bucket", "q", "FULL_EXPORT", ""],
            ["export", "arn:t", "bucket", "p", "INCREMENTAL_EXPORT", ""],
            [
                "export",
                "arn:t",
                "bucket",
                "p",
                "FULL_EXPORT",
                "2026-01-01T00:00:00Z",
            ],
        ] {
            assert_ne!(a, client_token(&other), "{other:?}");
        }
        // parts are separated: moving a character from one part to the next changes the token
        assert_ne!(client_token(&["ab", "c"]), client_token(&["a", "bc"]));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_polls_until_done_and_is_bounded() {
        let polls = Cell::new(0u32);
        let done = wait_for(
            "the job",
            Duration::from_secs(60),
            || async {
                polls.set(polls.get() + 1);
                Ok(polls.get())
            },
            |n| *n < 4,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(done, 4);

        let started = tokio::time::Instant::now();
        let err = wait_for(
            "export X",
            Duration::from_secs(100),
            || async { Ok(()) },
            |_| true,
            |_| {},
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("export X is still running after 100 s"),
            "{err}"
        );
        assert!(err.contains("run the same command again"), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(100));
    }
}
