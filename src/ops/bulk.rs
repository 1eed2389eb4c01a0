//! What a bulk job (`import`, `export`, `seed`) reports at its end, for `--output json|jsonl|table`:
//! the items, the time, and the capacity budget with what the job consumed of it. The same
//! figures as the line on stderr.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::context::Context;
pub use crate::ddb::batch::{WriteOptions, DEFAULT_CONCURRENCY};
use crate::ddb::capacity::{self, units_text, Budget, CapacityStats, Direction, Governor};
pub use crate::ddb::capacity::{CapacityFlags, DEFAULT_STALL_TIMEOUT};
use crate::ops::ui::Ui;
use crate::report::{Format, Report};

/// What every bulk job (`seed`, `import`, `export`) is given besides its own input.
#[derive(Debug, Clone, Default)]
pub struct BulkOptions {
    /// The capacity budget's flags.
    pub capacity: CapacityFlags,
    /// The summary on stdout too, in this format.
    pub output: Option<Format>,
    /// Say what would be done; write nothing.
    pub dry_run: bool,
}

impl BulkOptions {
    /// Hands `tool`'s [`BulkSummary`] to `ui` when `--output` asked for it.
    pub fn emit_summary(
        &self,
        ui: &mut impl Ui,
        tool: &'static str,
        table: &str,
        items: (u64, Option<u64>),
        seconds: f64,
        capacity: &CapacityStats,
    ) -> anyhow::Result<()> {
        match self.output {
            Some(format) => ui.emit(
                &BulkSummary::new(tool, table, items, seconds, capacity),
                format,
            ),
            None => Ok(()),
        }
    }
}

/// The capacity budget of a bulk job on `ctx`'s table, built the one way every bulk tool
/// (`seed`, `import`, `export`, `scan`, `check`) builds it: `flags` (`--capacity`, `--max-wcu`,
/// `--max-rcu`, `--stall-timeout`) over the table's provisioned capacity, and, for a job that
/// can be resumed (`job` names it), what a stalled run says to go on: `checkpoint` is the
/// `--checkpoint` given, if any, and `resumes` says where a re-run goes on.
pub async fn governor(
    ctx: &Context,
    direction: Direction,
    flags: &CapacityFlags,
    resumable: Option<(&str, Option<&Path>, &str)>,
) -> anyhow::Result<Governor> {
    let governor = capacity::governor_for(ctx, ctx.table(), direction, flags).await?;
    if let Some((job, checkpoint, resumes)) = resumable {
        governor.set_resume(match checkpoint {
            Some(path) => format!(
                "run the same command again (with --checkpoint {}) to go on {resumes}",
                path.display()
            ),
            None => {
                format!("run it again with --checkpoint FILE to be able to resume a long {job}")
            }
        });
    }
    Ok(governor)
}

/// What a progress bar shows after its phase: " (budget 2.5 WCU/s)", or nothing without a
/// budget.
pub fn budget_note(stats: &CapacityStats) -> String {
    if stats.budget == Budget::Unlimited {
        return String::new();
    }
    format!(" (budget {})", stats.budget.describe(stats.direction))
}

/// What a dry run says about capacity: "about 84 WCU, 34 s at the budget of 2.5 WCU/s".
pub fn budget_estimate(units: f64, stats: &CapacityStats) -> String {
    let unit = stats.direction.unit();
    let about = format!("about {} {unit}", capacity::units_text(units.ceil()));
    match (stats.eta(units), stats.budget) {
        (Some(eta), budget) => format!(
            "{about}, {} at the budget of {}",
            humantime_secs(eta),
            budget.describe(stats.direction)
        ),
        (None, _) => format!("{about} (no capacity budget)"),
    }
}

/// `45 s`, `12 min 5 s`, `3 h 20 min`.
fn humantime_secs(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7_199 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// The end of a bulk job.
#[derive(Debug, Clone, Serialize)]
pub struct BulkSummary {
    /// `import`, `export` or `seed`.
    pub tool: &'static str,
    /// The table.
    pub table: String,
    /// Items written (import, seed) or exported (export) by this run.
    pub items: u64,
    /// Items done by earlier runs, per the checkpoint (`--checkpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier: Option<u64>,
    /// Seconds this run took.
    pub seconds: f64,
    /// `read` or `write`.
    pub direction: Direction,
    /// The budget: `{"kind":"rate","units":50}`, `{"kind":"unlimited"}`, or
    /// `{"kind":"adaptive","start":100}`.
    pub budget: Budget,
    /// Capacity units consumed.
    pub consumed_units: f64,
    /// Units consumed per second.
    pub units_per_second: f64,
    /// Requests or items DynamoDB sent back throttled.
    pub throttled: u64,
}

impl BulkSummary {
    /// The summary of `tool`'s run on `table`: `items` in `seconds`, within `capacity`, after
    /// `earlier` items done by the runs a checkpoint records.
    pub fn new(
        tool: &'static str,
        table: &str,
        (items, earlier): (u64, Option<u64>),
        seconds: f64,
        capacity: &CapacityStats,
    ) -> BulkSummary {
        BulkSummary {
            tool,
            table: table.to_string(),
            items,
            earlier,
            seconds,
            direction: capacity.direction,
            budget: capacity.budget,
            consumed_units: capacity.consumed,
            units_per_second: capacity.per_second(),
            throttled: capacity.throttled,
        }
    }
}

impl Report for BulkSummary {
    const COLUMNS: &'static [&'static str] = &[
        "Tool",
        "Table",
        "Items",
        "Seconds",
        "Budget",
        "Units",
        "Units/s",
        "Throttled",
    ];

    fn rows(&self) -> Vec<Vec<String>> {
        let direction = self.direction;
        vec![vec![
            self.tool.to_string(),
            self.table.clone(),
            self.items.to_string(),
            format!("{:.2}", self.seconds),
            self.budget.describe(direction),
            units_text(self.consumed_units),
            units_text(self.units_per_second),
            self.throttled.to_string(),
        ]]
    }
}
