//! The capacity governor: every bulk read and write of a table stays inside a budget of capacity
//! units per second, so that a job on a live table leaves the app its share.
//!
//! One [`Governor`] per table and direction (reads, writes). A request asks for the units it is
//! expected to cost before it is sent ([`Governor::acquire`]), and is settled afterwards with
//! what DynamoDB says it consumed ([`Reservation::settle`], from `ReturnConsumedCapacity`). The
//! bucket starts empty, refills at the current rate and holds at most [`BURST`] of it, so a job
//! never takes the table's burst capacity, which belongs to the app's spikes.
//!
//! When DynamoDB throttles anyway (the app spikes, a hot partition, an index behind), the rate
//! is halved (at most once per [`DECREASE_EVERY`]) and then grows back by a tenth of the budget
//! per second: additive increase, multiplicative decrease. A job fails only when nothing at all
//! was done for its stall timeout ([`Governor::check_stall`]).
//!
//! The budget itself ([`Budget`]) comes from the table's provisioned capacity and the
//! `--capacity`, `--max-wcu`, `--max-rcu` flags ([`budget_for`]); on the local target there is
//! none unless asked for.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{bail, Result};
use serde::Serialize;
use tokio::time::Instant;

/// How much budget the bucket holds at most: one second of the rate.
pub const BURST: Duration = Duration::from_secs(1);
/// The rate is halved at most this often, however many requests in flight were throttled.
pub const DECREASE_EVERY: Duration = Duration::from_secs(1);
/// The share of the provisioned capacity a job takes on prod without `--capacity`.
pub const DEFAULT_SHARE_PCT: u8 = 50;
/// Where an on-demand table's write rate starts (it then adapts to throttling).
pub const ON_DEMAND_START_WCU: f64 = 100.0;
/// Where an on-demand table's read rate starts (it then adapts to throttling).
pub const ON_DEMAND_START_RCU: f64 = 200.0;
/// How long a job may make no progress at all before it fails, by default.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(300);

/// Reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Read,
    Write,
}

impl Direction {
    /// "RCU" or "WCU".
    pub fn unit(self) -> &'static str {
        match self {
            Direction::Read => "RCU",
            Direction::Write => "WCU",
        }
    }
}

/// How many units per second a job may use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Budget {
    /// No budget: as fast as the table answers (the local target without flags).
    Unlimited,
    /// At most `units` per second (a share of the provisioned capacity, or `--max-wcu/rcu`).
    Rate { units: f64 },
    /// No provisioned figure (an on-demand table): start at `start` per second and adapt.
    Adaptive { start: f64 },
}

impl Budget {
    /// The rate the budget allows, `None` when it has no ceiling.
    pub fn ceiling(self) -> Option<f64> {
        match self {
            Budget::Rate { units } => Some(units),
            Budget::Unlimited | Budget::Adaptive { .. } => None,
        }
    }

    /// What a person reads: "2.5 WCU/s", "unlimited", "adaptive from 100 WCU/s".
    pub fn describe(self, direction: Direction) -> String {
        let unit = direction.unit();
        match self {
            Budget::Unlimited => "no budget".to_string(),
            Budget::Rate { units } => format!("{} {unit}/s", units_text(units)),
            Budget::Adaptive { start } => {
                format!("adaptive from {} {unit}/s (on-demand)", units_text(start))
            }
        }
    }
}

/// `2.5`, `50`, `0.25`: a number of units without trailing zeros.
pub fn units_text(units: f64) -> String {
    let text = format!("{units:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub use budget::{
    budget_for, consumed_units, governor_for, provisioned, scan_units, write_units, CapacityFlags,
};

/// What a governor has seen, for progress lines and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CapacityStats {
    /// Reads or writes.
    pub direction: Direction,
    /// The budget.
    pub budget: Budget,
    /// The rate the job runs at now (below the budget after throttling), `None` without budget.
    pub rate: Option<f64>,
    /// Units consumed so far.
    pub consumed: f64,
    /// Seconds since the governor was made.
    pub elapsed_secs: f64,
    /// Requests (or items) DynamoDB sent back throttled.
    pub throttled: u64,
}

impl CapacityStats {
    /// Units consumed per second so far.
    pub fn per_second(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.consumed / self.elapsed_secs
        } else {
            0.0
        }
    }

    /// How long `units` more take at the budget, `None` without one.
    pub fn eta(&self, units: f64) -> Option<Duration> {
        let rate = self.rate.or(self.budget.ceiling())?;
        (rate > 0.0).then(|| Duration::from_secs_f64(units / rate))
    }
}

impl fmt::Display for CapacityStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.direction.unit();
        match self.budget {
            Budget::Unlimited => write!(f, "no capacity budget")?,
            budget => write!(f, "budget {}", budget.describe(self.direction))?,
        }
        write!(
            f,
            ", used {} {unit} at {} {unit}/s",
            units_text(self.consumed),
            units_text(self.per_second())
        )?;
        if self.throttled > 0 {
            write!(f, ", {} throttled", self.throttled)?;
        }
        Ok(())
    }
}

struct State {
    /// The current rate in units per second (`None`: no budget).
    rate: Option<f64>,
    /// Units available now; negative after a request cost more than it asked for.
    tokens: f64,
    refilled: Instant,
    decreased: Option<Instant>,
    progressed: Instant,
    consumed: f64,
    throttled: u64,
}

/// The token bucket of one table and direction, shared by every request of a job.
#[derive(Clone)]
pub struct Governor {
    inner: Arc<Inner>,
}

struct Inner {
    table: String,
    direction: Direction,
    budget: Budget,
    stall_timeout: Duration,
    started: Instant,
    state: Mutex<State>,
    /// How to continue after a stall, for its error ("re-run with the same --checkpoint F").
    resume: Mutex<Option<String>>,
}

impl fmt::Debug for Governor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Governor")
            .field("table", &self.inner.table)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Units asked for by one request, to be settled with what it really consumed.
#[derive(Debug)]
#[must_use = "settle the reservation with what the request consumed"]
pub struct Reservation {
    governor: Governor,
    units: f64,
}

impl Reservation {
    /// Settles with `consumed` units (`None`: the answer carried no figure, the estimate
    /// stands), and counts the request as progress when `progressed`.
    pub fn settle(self, consumed: Option<f64>, progressed: bool) {
        let actual = consumed.unwrap_or(self.units);
        let mut state = self.governor.lock();
        state.tokens += self.units - actual;
        state.consumed += actual;
        if progressed {
            state.progressed = Instant::now();
        }
    }

    /// Gives the units back: the request was not served (throttled, failed).
    pub fn refund(self) {
        let mut state = self.governor.lock();
        state.tokens += self.units;
    }
}

impl Governor {
    /// A governor of `direction` on `table` with `budget`.
    pub fn new(
        table: &str,
        direction: Direction,
        budget: Budget,
        stall_timeout: Duration,
    ) -> Governor {
        let now = Instant::now();
        let rate = match budget {
            Budget::Unlimited => None,
            Budget::Rate { units } => Some(units),
            Budget::Adaptive { start } => Some(start),
        };
        Governor {
            inner: Arc::new(Inner {
                table: table.to_string(),
                direction,
                budget,
                stall_timeout,
                started: now,
                state: Mutex::new(State {
                    rate,
                    // Starts empty and holds one second of budget at most: a job never takes
                    // the table's burst capacity, and its rate is the budget from the start.
                    tokens: 0.0,
                    refilled: now,
                    decreased: None,
                    progressed: now,
                    consumed: 0.0,
                    throttled: 0,
                }),
                resume: Mutex::new(None),
            }),
        }
    }

    /// A governor without budget (it still counts what is consumed).
    pub fn unlimited(table: &str, direction: Direction) -> Governor {
        Governor::new(table, direction, Budget::Unlimited, DEFAULT_STALL_TIMEOUT)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The budget.
    pub fn budget(&self) -> Budget {
        self.inner.budget
    }

    /// The rate now (`None` without budget).
    pub fn rate(&self) -> Option<f64> {
        let mut state = self.lock();
        self.refill(&mut state, Instant::now());
        state.rate
    }

    /// Adds what the time since the last refill earned, and grows a rate below the budget.
    fn refill(&self, state: &mut State, now: Instant) {
        let Some(rate) = state.rate else { return };
        let dt = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.refilled = now;
        let cap = rate * BURST.as_secs_f64();
        if state.tokens < cap {
            state.tokens = (state.tokens + rate * dt).min(cap);
        }
        // Additive increase: a tenth of the budget (or of the adaptive start) per second.
        let (step, ceiling) = match self.inner.budget {
            Budget::Rate { units } => (units / 10.0, units),
            Budget::Adaptive { start } => (start / 10.0, f64::MAX),
            Budget::Unlimited => return,
        };
        state.rate = Some((rate + step * dt).min(ceiling));
    }

    /// Waits until `units` can be spent, then takes them. A request larger than the bucket can
    /// hold waits for a full bucket and leaves it in debt.
    pub async fn acquire(&self, units: f64) -> Reservation {
        loop {
            let wait = {
                let mut state = self.lock();
                self.refill(&mut state, Instant::now());
                match state.rate {
                    None => None,
                    Some(rate) => {
                        let need = units.min(rate * BURST.as_secs_f64());
                        if state.tokens >= need {
                            state.tokens -= units;
                            None
                        } else {
                            Some(Duration::from_secs_f64((need - state.tokens) / rate))
                        }
                    }
                }
            };
            match wait {
                None => {
                    return Reservation {
                        governor: self.clone(),
                        units,
                    }
                }
                Some(wait) => tokio::time::sleep(wait.max(Duration::from_millis(1))).await,
            }
        }
    }

    /// DynamoDB throttled a request (or sent `count` items back): halve the rate, at most once
    /// per [`DECREASE_EVERY`], down to a hundredth of the budget.
    pub fn throttled(&self, count: u64) {
        let mut state = self.lock();
        let now = Instant::now();
        self.refill(&mut state, now);
        state.throttled += count;
        let Some(rate) = state.rate else { return };
        if state
            .decreased
            .is_some_and(|at| now.saturating_duration_since(at) < DECREASE_EVERY)
        {
            return;
        }
        let floor = match self.inner.budget {
            Budget::Rate { units } => units / 100.0,
            Budget::Adaptive { start } => start / 100.0,
            Budget::Unlimited => return,
        };
        state.rate = Some((rate / 2.0).max(floor));
        state.tokens = state.tokens.min(0.0);
        state.decreased = Some(now);
    }

    /// Says how a stalled job continues, for the stall's error.
    pub fn set_resume(&self, how: impl Into<String>) {
        *self
            .inner
            .resume
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(how.into());
    }

    /// Fails when nothing at all was done for the stall timeout, naming the table, the budget,
    /// `cause` (DynamoDB's last word) and how to continue.
    pub fn check_stall(&self, cause: Option<&str>) -> Result<()> {
        let (idle, throttled) = {
            let state = self.lock();
            (
                Instant::now().saturating_duration_since(state.progressed),
                state.throttled,
            )
        };
        if idle < self.inner.stall_timeout {
            return Ok(());
        }
        let resume = self
            .inner
            .resume
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .unwrap_or_else(|| "re-run it when the table has capacity to spare".to_string());
        let cause = cause
            .map(|c| format!("; the last answer: {c}"))
            .unwrap_or_default();
        bail!(
            "no progress {} table {} for {} s (--stall-timeout): DynamoDB throttled every request \
             at a budget of {} ({throttled} throttled){cause}. To go on: {resume}, or give the job \
             more room (--capacity, --max-wcu / --max-rcu, more provisioned capacity)",
            match self.inner.direction {
                Direction::Read => "reading",
                Direction::Write => "writing to",
            },
            self.inner.table,
            idle.as_secs(),
            self.inner.budget.describe(self.inner.direction),
        );
    }

    /// What the governor has seen so far.
    pub fn stats(&self) -> CapacityStats {
        let mut state = self.lock();
        let now = Instant::now();
        self.refill(&mut state, now);
        CapacityStats {
            direction: self.inner.direction,
            budget: self.inner.budget,
            rate: state.rate,
            consumed: state.consumed,
            elapsed_secs: now
                .saturating_duration_since(self.inner.started)
                .as_secs_f64(),
            throttled: state.throttled,
        }
    }
}

mod budget;

#[cfg(test)]
mod tests;
