//! What `schema-load` reports: the plan (or what an apply did), step by step, with the refusals
//! and notes. Data only; the command renders it as text on stderr, or as a table or JSON.

use serde::Serialize;

use super::apply::{StepOutcome, StepStatus};
use super::plan::{Plan, Refusal};
use super::step::Step;
use crate::report::Report;

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Dry run: the table is missing and would be created.
    WouldCreate,
    /// The table was created (and the follow-up steps carried out).
    Created,
    /// The table is as defined: nothing to do.
    Unchanged,
    /// The table differs; the plan was printed and nothing was changed.
    Differs,
    /// Some change cannot be made in place; nothing was changed.
    Refused,
    /// Every step of the plan was carried out.
    Applied,
    /// A step failed: the steps before it are done, the rest not run.
    Failed,
}

/// One step of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StepLine {
    /// 1-based position in the plan.
    pub n: usize,
    /// The DynamoDB call.
    pub call: &'static str,
    /// What it changes.
    pub change: String,
    /// What it costs or risks.
    pub risk: String,
    /// Planned, done, failed or not run.
    pub status: StepStatus,
    /// Seconds the call and the wait after it took.
    pub seconds: Option<f64>,
    /// The error, when it failed.
    pub error: Option<String>,
    /// The step's details.
    pub step: Step,
}

/// What `schema-load` prints.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaReport {
    /// The table.
    pub table: String,
    /// The DynamoDB endpoint.
    pub endpoint: String,
    /// How the run ended.
    pub outcome: Outcome,
    /// The steps, in order.
    pub steps: Vec<StepLine>,
    /// Changes that are not made, and why.
    pub refusals: Vec<Refusal>,
    /// Settings the endpoint does not support, indexes still building.
    pub notes: Vec<String>,
}

impl SchemaReport {
    /// A report of `plan`, its steps only planned, or (with `outcomes`) as an apply left them.
    pub fn new(
        table: &str,
        endpoint: impl ToString,
        outcome: Outcome,
        plan: &Plan,
        outcomes: Option<&[StepOutcome]>,
    ) -> SchemaReport {
        let steps = plan
            .steps
            .iter()
            .enumerate()
            .map(|(at, step)| {
                let done = outcomes.and_then(|o| o.get(at));
                StepLine {
                    n: at + 1,
                    call: step.call(),
                    change: step.change(),
                    risk: step.risk(),
                    status: done.map_or(StepStatus::Planned, |d| d.status),
                    seconds: done.and_then(|d| d.seconds),
                    error: done.and_then(|d| d.error.clone()),
                    step: step.clone(),
                }
            })
            .collect();
        SchemaReport {
            table: table.to_string(),
            endpoint: endpoint.to_string(),
            outcome,
            steps,
            refusals: plan.refusals.clone(),
            notes: plan.notes.clone(),
        }
    }

    /// The report as lines for people: the steps with their risks, the refusals, the notes.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &self.steps {
            let status = match s.status {
                StepStatus::Planned => String::new(),
                StepStatus::Done => " [done]".into(),
                StepStatus::Failed => " [FAILED]".into(),
                StepStatus::NotRun => " [not run]".into(),
            };
            lines.push(format!("  {}. {}: {}{status}", s.n, s.call, s.change));
            lines.push(format!("     risk: {}", s.risk));
        }
        for r in &self.refusals {
            lines.push(format!("  refused: {}", r.what));
            lines.push(format!("     why: {}", r.reason));
        }
        for n in &self.notes {
            lines.push(format!("  note: {n}"));
        }
        lines
    }
}

impl Report for SchemaReport {
    const COLUMNS: &'static [&'static str] = &["#", "call", "change", "risk", "status"];

    fn rows(&self) -> Vec<Vec<String>> {
        self.steps
            .iter()
            .map(|s| {
                vec![
                    s.n.to_string(),
                    s.call.to_string(),
                    s.change.clone(),
                    s.risk.clone(),
                    serde_json::to_value(s.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                ]
            })
            .collect()
    }
}
