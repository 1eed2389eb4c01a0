//! The one backoff policy of the toolkit's own retry loops: exponential from a base, capped,
//! with "equal jitter" (half fixed, half random). `crate::ddb::retry` waits with it between its
//! retries of what the SDK cannot retry; the S3 client ([`super::S3Client`]) between attempts,
//! from the SDK configuration's initial and longest backoff.

use std::time::Duration;

/// The delay before retry `attempt` (1 for the first retry): exponential from `base`, capped
/// at `cap`, half of it fixed and half from `random`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, random: u64) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(cap);
    let half = exp / 2;
    let span = half.as_micros().max(1) as u64;
    half + Duration::from_micros(random % span)
}

/// A random number for jitter: `fastrand`'s per-thread generator (wyrand, seeded once per
/// thread), not a cryptographic one; jitter only has to differ between callers.
pub fn jitter() -> u64 {
    fastrand::u64(..)
}
