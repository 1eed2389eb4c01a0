//! The backoff of the toolkit's own DynamoDB retry loops: the one policy ([`crate::context::backoff`])
//! from 50 ms to 5 s.
//!
//! The SDK retries throttling and 5xx answers itself (`RetryConfig` in `context.rs`). What it
//! cannot retry comes back inside a successful response or is a condition of ours:
//! BatchWriteItem's `UnprocessedItems` ([`crate::ddb::batch`]) and a cancelled conditional
//! transaction in the stream processor. Both wait with [`pause`].

use std::time::Duration;

use crate::context::jitter;

/// First retry delay, before jitter.
pub const BACKOFF_BASE: Duration = Duration::from_millis(50);
/// Longest retry delay, before jitter.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The delay before retry `attempt` (1 for the first retry): exponential from
/// [`BACKOFF_BASE`], capped at [`BACKOFF_MAX`], "equal jitter": half fixed, half from `random`.
pub fn backoff(attempt: u32, random: u64) -> Duration {
    crate::context::backoff(attempt, BACKOFF_BASE, BACKOFF_MAX, random)
}

/// Sleeps before retry `attempt` (1 for the first retry), as [`backoff`] says, with fresh jitter.
pub async fn pause(attempt: u32) {
    tokio::time::sleep(backoff(attempt, jitter())).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 1..20 {
            let exp = BACKOFF_BASE
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_MAX);
            for random in [0, 1, 12_345, u64::MAX] {
                let d = backoff(attempt, random);
                assert!(d >= exp / 2 && d <= exp, "{attempt} {random} {d:?}");
            }
        }
        assert!(backoff(1, 0) < backoff(3, 0));
        assert!(backoff(30, u64::MAX) <= BACKOFF_MAX);
        assert_ne!(backoff(4, 1), backoff(4, 99_999));
        // attempt 0 is treated as the first retry, not as a shift underflow
        assert_eq!(backoff(0, 0), backoff(1, 0));
    }

    #[test]
    fn jitter_varies() {
        let draws: std::collections::BTreeSet<u64> = (0..8).map(|_| jitter()).collect();
        assert!(draws.len() > 1);
    }
}
