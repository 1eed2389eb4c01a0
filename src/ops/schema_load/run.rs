//! `schema-load` from start to end: create the table, or plan the changes that bring it to its
//! definition and (with `apply`) carry them out, telling the person each step, with a bar while
//! an index builds.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::{
    apply, create, inspect, plan_changes, until_settled, Created, Event, Outcome, Plan,
    PlanOptions, SchemaReport, StepOutcome, TableDefinition, Target,
};
use crate::config;
use crate::context::Context;
use crate::ops::backup::{self, SafetyNet};
use crate::ops::ui::{Bar, Ui};
use crate::report::Format;
use crate::text::count;

/// What `schema-load` is asked for.
#[derive(Debug, Clone)]
pub struct SchemaRequest {
    /// The definition, read (with [`TableDefinition::load`]) before anything is connected to.
    pub definition: TableDefinition,
    /// The file it was read from (`None`: the shipped one).
    pub schema: Option<PathBuf>,
    /// Whether `--table` named the table (a definition file's own name then gives way).
    pub explicit_table: bool,
    /// Carry the plan out.
    pub apply: bool,
    /// A GSI may be deleted and created again.
    pub allow_index_rebuild: bool,
    /// How long to wait for the table and its indexes after each step.
    pub wait: Duration,
    /// The report on stdout, in this format.
    pub output: Option<Format>,
    /// Say what would be done; change nothing.
    pub dry_run: bool,
    /// The backup taken on prod before a plan that deletes or rebuilds an index or changes the
    /// billing mode (or `--no-backup`).
    pub safety_net: SafetyNet,
}

/// The table differs from its definition and nothing was changed (exit 3 on the command line).
#[derive(Debug)]
pub struct Drift(String);

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Drift {}

/// Tells an apply's progress: a line per step, a bar while an index builds.
struct Watcher<B> {
    bar: Option<B>,
    last: String,
}

impl<B: Bar> Watcher<B> {
    fn event(&mut self, ui: &mut impl Ui<Bar = B>, event: Event<'_>) {
        match event {
            Event::Started { n, total, step } => ui.note(&format!(
                "step {n}/{total}: {}: {}",
                step.call(),
                step.change()
            )),
            Event::Waiting(building) => {
                let Some(index) = building.first() else {
                    return;
                };
                let phase = format!(
                    "GSI {} {}{}",
                    index.index,
                    index.status,
                    if index.backfilling {
                        ", backfilling"
                    } else {
                        ""
                    }
                );
                let total = index.table_items.max(index.items).max(1) as u64;
                let bar = self
                    .bar
                    .get_or_insert_with(|| ui.bar(&phase, Some(total)).counted());
                bar.show(&phase, index.items.max(0) as u64, total);
                if !ui.drawn() && phase != self.last {
                    ui.note(&format!(
                        "  {phase}: {} of about {} items",
                        index.items, index.table_items
                    ));
                }
                self.last = phase;
            }
            Event::Reprotected => {
                // The waits are over: clear the bar first, so the line does not push it up.
                if let Some(bar) = self.bar.take() {
                    bar.finish();
                }
                ui.note(
                    "  the endpoint turned deletion protection off with that call (DynamoDB \
                     Local does on every UpdateTable): turning it on again",
                )
            }
            Event::Done { n, elapsed } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish();
                }
                self.last.clear();
                ui.note(&format!("step {n} done ({:.1} s)", elapsed.as_secs_f64()));
            }
        }
    }
}

/// The report of `plan` to `ui`: on stdout with `--output`, else its lines on stderr.
fn tell(ui: &mut impl Ui, output: Option<Format>, report: SchemaReport) -> Result<()> {
    match output {
        Some(format) => ui.emit(&report, format),
        None => {
            for line in report.lines() {
                ui.note(&line);
            }
            Ok(())
        }
    }
}

/// Creates `ctx`'s table, or plans (and applies) the changes to it, as `request` says.
pub async fn run<U: Ui>(ctx: &Context, request: &SchemaRequest, ui: &mut U) -> Result<()> {
    let mut def = request.definition.clone();
    let schema = request.schema.as_deref();
    if let Some(note) = def.retarget(schema, ctx.table(), request.explicit_table)? {
        ui.note(&format!("note: {note}"));
    }
    let options = PlanOptions {
        allow_index_rebuild: request.allow_index_rebuild,
        prod: ctx.target() == config::Target::Prod,
    };
    let (wait, output, dry_run) = (request.wait, request.output, request.dry_run);
    let name = def.table_name.clone();
    let endpoint = ctx.dynamodb_endpoint.to_string();
    let report = |outcome, plan: &Plan, outcomes: Option<&[StepOutcome]>| {
        SchemaReport::new(&name, &endpoint, outcome, plan, outcomes)
    };
    let mut watcher = Watcher::<U::Bar> {
        bar: None,
        last: String::new(),
    };

    let mut live = inspect(ctx, &def).await?;
    if live.is_none() && dry_run {
        ui.note(&format!(
            "would create table {name} on {endpoint}: {}",
            def.summary()
        ));
        tell(
            ui,
            output,
            report(Outcome::WouldCreate, &Plan::default(), None),
        )?;
        ui.dry_run_note(true);
        return Ok(());
    }
    if live.is_none() {
        let created = create(ctx, &def, options, wait, &mut |e| watcher.event(ui, e)).await?;
        match created {
            Created::Created { follow_up, applied } => {
                let failed = applied.error.is_some() || !follow_up.refusals.is_empty();
                let outcome = if failed {
                    Outcome::Failed
                } else {
                    Outcome::Created
                };
                ui.note(&format!("created table {name} on {endpoint}: ACTIVE"));
                tell(
                    ui,
                    output,
                    report(outcome, &follow_up, Some(&applied.outcomes)),
                )?;
                if let Some(err) = applied.error {
                    return Err(err.context(format!(
                        "table {name} was created, but a setting could not be applied: run \
                         `schema-load --apply` to try again"
                    )));
                }
                if !follow_up.refusals.is_empty() {
                    anyhow::bail!("table {name} was created, but a setting the file requires could not be applied (above)");
                }
                return Ok(());
            }
            Created::AlreadyExists => live = inspect(ctx, &def).await?,
        }
    }
    let mut live = live.with_context(|| format!("table {name} disappeared meanwhile"))?;

    let applying = request.apply && !dry_run;
    if applying {
        // An interrupted apply may have left an index building: wait for it, then plan.
        until_settled(ctx, &name, wait, &mut |b| {
            watcher.event(ui, Event::Waiting(b))
        })
        .await?;
        watcher.bar.take();
        live = inspect(ctx, &def)
            .await?
            .with_context(|| format!("table {name} disappeared meanwhile"))?;
    }
    let plan = plan_changes(&def, &live, options);
    if plan.is_empty() {
        ui.note(&if plan.unchecked.is_empty() {
            format!("table {name} already exists on {endpoint} exactly as defined: nothing to do")
        } else {
            // Not "nothing to do": what was not checked may differ.
            format!(
                "table {name} already exists on {endpoint} and is as defined in every setting \
                 this endpoint reports; not checked: {} (the note below)",
                plan.unchecked.join(", ")
            )
        });
        tell(ui, output, report(Outcome::Unchanged, &plan, None))?;
        ui.dry_run_note(dry_run);
        return Ok(());
    }
    let steps = count(plan.steps.len() as u64, "step", "steps");
    // The plan's lines follow on stderr, unless the report (which holds it) goes to stdout.
    let plan_here = output.is_none() || (applying && plan.refusals.is_empty());
    ui.note(&format!(
        "table {name} exists on {endpoint} but differs from the definition; the plan ({steps}, {} \
         refused){}",
        plan.refusals.len(),
        if plan_here { ":" } else { " is on stdout" }
    ));
    if !applying {
        tell(ui, output, report(Outcome::Differs, &plan, None))?;
        ui.dry_run_note(dry_run);
        return Err(Drift(format!(
            "table {name} differs from the definition ({steps}, {} refused); nothing was \
             changed{}",
            plan.refusals.len(),
            if plan.refusals.is_empty() {
                ": run with --apply to carry the plan out"
            } else {
                ""
            }
        ))
        .into());
    }
    if !plan.refusals.is_empty() {
        tell(ui, output, report(Outcome::Refused, &plan, None))?;
        anyhow::bail!(
            "refused: {} cannot be made in place (see above); nothing was changed",
            count(plan.refusals.len() as u64, "change", "changes")
        );
    }
    if output.is_some() {
        // The report comes at the end, with each step's outcome; the plan goes to stderr first.
        tell(ui, None, report(Outcome::Differs, &plan, None))?;
    }
    let backup_note = match (backup::risky_step(&plan.steps), request.safety_net.skip) {
        (None, _) => "",
        (Some(_), true) => " WITHOUT a backup first (--no-backup: there is no way back)",
        (Some(_), false) => " after taking a backup",
    };
    ui.confirm(
        ctx.target(),
        &format!(
            "apply {} to table {name}{backup_note}",
            count(plan.steps.len() as u64, "change", "changes")
        ),
        &name,
    )?;
    let net = request.safety_net;
    if let Some(saved) = backup::before_schema_change(ctx, &name, &plan.steps, net).await? {
        ui.note(&format!("before step 1: {}", saved.line(&name)));
    }
    let table = Target::of(&live.table);
    let applied = apply(ctx, &def, table, &plan.steps, wait, &mut |e| {
        watcher.event(ui, e)
    })
    .await;
    let outcome = if applied.error.is_some() {
        Outcome::Failed
    } else {
        Outcome::Applied
    };
    if output.is_some() || applied.error.is_some() {
        tell(ui, output, report(outcome, &plan, Some(&applied.outcomes)))?;
    }
    if let Some(err) = applied.error {
        return Err(err.context(format!(
            "the apply to table {name} stopped; the steps before it are done: run `schema-load \
             --apply` again to carry on from where the table is"
        )));
    }
    ui.note(&format!(
        "applied {steps} to table {name} on {endpoint}: it matches the definition"
    ));
    Ok(())
}
