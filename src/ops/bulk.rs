//! What a bulk job (`import`, `export`, `seed`) reports at its end, for `--output json|jsonl|table`:
//! the items, the time, and the capacity budget with what the job consumed of it. The same
//! figures as the line on stderr.

use serde::Serialize;

use crate::ddb::capacity::{units_text, Budget, CapacityStats, Direction};
use crate::report::Report;

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
