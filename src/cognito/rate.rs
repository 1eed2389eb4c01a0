//! Cognito's request-rate quotas, kept from our side: one pacer per quota category (the ones a
//! backup and a restore use: `UserCreation`, `UserRead`, `UserList`, `UserUpdate`), each spacing
//! its requests evenly at its rate, and throttling (`TooManyRequestsException`) met by slowing
//! that category down and trying again instead of failing.
//!
//! Cognito counts requests per second per account and region, for every pool and app together,
//! so a bulk job leaves room by asking at most its share. A pacer hands out one slot every
//! `1 / rate` seconds (no burst: the job never asks more in any second than its rate); when
//! Cognito still throttles (the app is busy), the category's rate is halved for a while and
//! creeps back up after each success. (The DynamoDB governor in `ddb::capacity` counts capacity
//! units; Cognito's quotas count requests, hence this smaller pacer of its own.)

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Result};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use tokio::time::Instant;

/// A quota category of Cognito user pools' API, as the Service Quotas console names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `AdminCreateUser` (default quota 50 requests per second).
    UserCreation,
    /// `AdminGetUser` (120/s).
    UserRead,
    /// `ListUsers`, `ListUsersInGroup`; here also `ListGroups` and `DescribeUserPool` (30/s).
    UserList,
    /// `AdminUpdateUserAttributes`, `AdminEnableUser`, `AdminDisableUser`,
    /// `AdminAddUserToGroup`; here also `CreateGroup` (25/s).
    UserUpdate,
}

impl Category {
    /// Every category, in the order of [`Rates`]' fields.
    pub const ALL: [Category; 4] = [
        Category::UserCreation,
        Category::UserRead,
        Category::UserList,
        Category::UserUpdate,
    ];

    /// Cognito's default quota, in requests per second.
    pub fn default_quota(self) -> f64 {
        match self {
            Category::UserCreation => 50.0,
            Category::UserRead => 120.0,
            Category::UserList => 30.0,
            Category::UserUpdate => 25.0,
        }
    }

    /// The category's name as Cognito writes it (`UserCreation`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Category::UserCreation => "UserCreation",
            Category::UserRead => "UserRead",
            Category::UserList => "UserList",
            Category::UserUpdate => "UserUpdate",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown quota category {s:?} (known: UserCreation, UserRead, UserList, UserUpdate)"
                )
            })
    }
}

/// Requests per second per category; `None`: no pacing (the local stack).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates(pub [Option<f64>; 4]);

impl Rates {
    /// Cognito's default quotas.
    pub fn quotas() -> Rates {
        Rates(Category::ALL.map(|c| Some(c.default_quota())))
    }

    /// No pacing at all.
    pub fn unlimited() -> Rates {
        Rates([None; 4])
    }

    /// The rate of `category`.
    pub fn get(&self, category: Category) -> Option<f64> {
        self.0[category.index()]
    }

    /// The rates a list of `--rate` values chooses over `base` (the default quotas on prod, none
    /// on local): `FRACTION` (0 < f <= 1) scales every default quota; `CATEGORY=N` sets one
    /// category to N requests per second. Later values win.
    pub fn with_settings(base: Rates, settings: &[RateSetting]) -> Rates {
        let mut rates = base;
        for setting in settings {
            match *setting {
                RateSetting::Fraction(f) => {
                    rates = Rates(Category::ALL.map(|c| Some(c.default_quota() * f)));
                }
                RateSetting::Category(c, n) => rates.0[c.index()] = Some(n),
            }
        }
        rates
    }
}

impl fmt::Display for Rates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Category::ALL
            .into_iter()
            .map(|c| match self.get(c) {
                Some(r) => format!("{c} {}/s", trim(r)),
                None => format!("{c} unpaced"),
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

fn trim(rate: f64) -> String {
    let text = format!("{rate:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One `--rate` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateSetting {
    /// A share of every default quota, in (0, 1].
    Fraction(f64),
    /// One category's rate in requests per second.
    Category(Category, f64),
}

impl FromStr for RateSetting {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<RateSetting> {
        let positive = |text: &str| -> Result<f64> {
            match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
                _ => bail!("{text:?} is not a positive number"),
            }
        };
        match s.split_once('=') {
            Some((category, n)) => Ok(RateSetting::Category(
                category.trim().parse()?,
                positive(n)?,
            )),
            None => {
                let f = positive(s)?;
                if f > 1.0 {
                    bail!(
                        "{s} is more than 1: a fraction of the default quotas is at most 1 \
                         (name a category to go above its default: UserCreation=100)"
                    );
                }
                Ok(RateSetting::Fraction(f))
            }
        }
    }
}

/// The share of its rate a throttled category gets back with each success.
const RECOVERY_STEP: f64 = 0.05;
/// The lowest share of its rate a throttled category goes down to.
const MIN_SHARE: f64 = 1.0 / 64.0;
/// The wait after a throttled request when a category is unpaced (local), doubling each time.
const UNPACED_BACKOFF: Duration = Duration::from_millis(50);
/// The longest single wait after a throttled request.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Lane {
    /// The configured rate (`None`: unpaced).
    rate: Option<f64>,
    /// The share of it in force (1 until Cognito throttles).
    share: f64,
    /// When the next request may go.
    next: Option<Instant>,
}

/// What a [`Pacer`] did, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacerStats {
    /// Requests sent (throttled ones included), per category.
    pub requests: [u64; 4],
    /// Requests Cognito throttled (after the SDK's own retries), per category.
    pub throttled: [u64; 4],
}

impl PacerStats {
    /// Every request sent.
    pub fn total(&self) -> u64 {
        self.requests.iter().sum()
    }

    /// Every request throttled.
    pub fn total_throttled(&self) -> u64 {
        self.throttled.iter().sum()
    }
}

/// Paces requests per quota category; shared by every task of a job (it locks briefly).
#[derive(Debug)]
pub struct Pacer {
    lanes: Mutex<[Lane; 4]>,
    stats: Mutex<PacerStats>,
    /// How long to keep trying when every attempt is throttled.
    stall_timeout: Duration,
}

impl Pacer {
    /// A pacer at `rates`, giving up on a request throttled for longer than `stall_timeout`.
    pub fn new(rates: Rates, stall_timeout: Duration) -> Pacer {
        Pacer {
            lanes: Mutex::new(Category::ALL.map(|c| Lane {
                rate: rates.get(c),
                share: 1.0,
                next: None,
            })),
            stats: Mutex::new(PacerStats::default()),
            stall_timeout,
        }
    }

    /// What was sent and throttled so far.
    pub fn stats(&self) -> PacerStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Waits for `category`'s next slot.
    pub async fn acquire(&self, category: Category) {
        let at = {
            let Ok(mut lanes) = self.lanes.lock() else {
                return;
            };
            let lane = &mut lanes[category.index()];
            let Some(rate) = lane.rate else {
                return;
            };
            let now = Instant::now();
            let at = lane.next.map_or(now, |next| next.max(now));
            lane.next = Some(at + Duration::from_secs_f64(1.0 / (rate * lane.share)));
            at
        };
        tokio::time::sleep_until(at).await;
    }

    fn note(&self, category: Category, throttled: bool) {
        if let Ok(mut stats) = self.stats.lock() {
            stats.requests[category.index()] += 1;
            if throttled {
                stats.throttled[category.index()] += 1;
            }
        }
        if let Ok(mut lanes) = self.lanes.lock() {
            let lane = &mut lanes[category.index()];
            lane.share = if throttled {
                (lane.share / 2.0).max(MIN_SHARE)
            } else {
                (lane.share + RECOVERY_STEP).min(1.0)
            };
        }
    }

    /// Sends one request of `category` (`send`, called again after each throttling) at its
    /// pace. A `TooManyRequestsException` (after the SDK's own retries) halves the category's
    /// rate and waits before trying again; an attempt still throttled after the stall timeout
    /// is returned as the error it is. Any other outcome is returned as it came.
    pub async fn send<T, E, R, F, Fut>(
        &self,
        category: Category,
        mut send: F,
    ) -> std::result::Result<T, SdkError<E, R>>
    where
        E: ProvideErrorMetadata,
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
    {
        let started = Instant::now();
        let mut backoff = UNPACED_BACKOFF;
        loop {
            self.acquire(category).await;
            let outcome = send().await;
            let throttled = matches!(&outcome, Err(err) if is_throttling(err));
            self.note(category, throttled);
            if !throttled || started.elapsed() >= self.stall_timeout {
                return outcome;
            }
            // The pace itself now waits longer; an unpaced category waits here.
            let paced = self
                .lanes
                .lock()
                .map(|l| l[category.index()].rate.is_some())
                .unwrap_or(false);
            if !paced {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Whether `err` is Cognito's throttling (`TooManyRequestsException`, or the generic
/// `ThrottlingException` of the AWS front door).
pub fn is_throttling<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        err.code(),
        Some("TooManyRequestsException" | "ThrottlingException")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_settings_parse_a_fraction_or_a_category() {
        assert_eq!(
            "0.5".parse::<RateSetting>().unwrap(),
            RateSetting::Fraction(0.5)
        );
        assert_eq!(
            "usercreation=10".parse::<RateSetting>().unwrap(),
            RateSetting::Category(Category::UserCreation, 10.0)
        );
        for bad in [
            "0",
            "-1",
            "1.5",
            "x",
            "UserDelete=3",
            "UserList=0",
            "UserList=",
        ] {
            assert!(bad.parse::<RateSetting>().is_err(), "{bad}");
        }
        let rates = Rates::with_settings(
            Rates::unlimited(),
            &[
                RateSetting::Fraction(0.5),
                RateSetting::Category(Category::UserList, 3.0),
            ],
        );
        assert_eq!(rates.get(Category::UserCreation), Some(25.0));
        assert_eq!(rates.get(Category::UserList), Some(3.0));
        assert_eq!(
            rates.to_string(),
            "UserCreation 25/s, UserRead 60/s, UserList 3/s, UserUpdate 12.5/s"
        );
        assert_eq!(Rates::with_settings(Rates::quotas(), &[]), Rates::quotas());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pacer_spaces_requests_at_its_rate() {
        let pacer = Pacer::new(
            Rates::with_settings(
                Rates::unlimited(),
                &[RateSetting::Category(Category::UserUpdate, 20.0)],
            ),
            Duration::from_secs(60),
        );
        let start = Instant::now();
        for _ in 0..41 {
            pacer.acquire(Category::UserUpdate).await;
        }
        // 41 requests at 20/s: the first at once, the last 2 s later.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        // An unpaced category never waits.
        let start = Instant::now();
        for _ in 0..1000 {
            pacer.acquire(Category::UserRead).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_halves_the_rate_and_success_brings_it_back() {
        let pacer = Pacer::new(
            Rates::with_settings(
                Rates::unlimited(),
                &[RateSetting::Category(Category::UserCreation, 10.0)],
            ),
            Duration::from_secs(60),
        );
        pacer.note(Category::UserCreation, true);
        pacer.note(Category::UserCreation, true);
        // at a quarter of 10/s: one slot every 0.4 s
        pacer.acquire(Category::UserCreation).await;
        let start = Instant::now();
        pacer.acquire(Category::UserCreation).await;
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        for _ in 0..15 {
            pacer.note(Category::UserCreation, false);
        }
        let lanes = pacer.lanes.lock().unwrap();
        assert!((lanes[0].share - 1.0).abs() < 1e-9, "{}", lanes[0].share);
        let stats = pacer.stats();
        assert_eq!(stats.total_throttled(), 2);
        assert_eq!(stats.total(), 17);
    }
}
