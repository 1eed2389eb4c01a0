//! `schema-load`: create the messages table exactly as the app needs it, or plan (and with
//! `--apply`, carry out) the calls that bring an existing table to its definition.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

use crate::cli::args::{DryRun, TableArgs, TargetArgs, UserPoolArgs};
use crate::cli::commands::backups::SafetyNetArgs;
use crate::cli::confirm::Confirmation;
use crate::cli::output::{emit, Format};
use crate::cli::progress::Progress;
use crate::cli::{self, Exit, EXIT_DRIFT};
use crate::config::Target;
use crate::ops::backup;
use crate::ops::schema_load::{
    self as schema, Created, Event, Outcome, Plan, PlanOptions, SchemaReport, StepOutcome,
    TableDefinition,
};
use crate::text::count;

/// Create the messages table, or plan and apply the changes that bring it to its definition.
///
/// A missing table is created (keys, indexes, capacity, stream, deletion protection, tags), then
/// TTL and point-in-time recovery are set; it waits until everything is ACTIVE. An identical table
/// is left alone (exit 0). A table that differs gets a plan: the ordered calls that would bring it
/// to the definition, each with its cost or risk; nothing is changed (exit 3) unless --apply.
/// Changes that would lose data or cannot be made in place are refused with the reason. The plan
/// goes to stderr; --output prints it (and each step's outcome) on stdout.
#[derive(Parser, Debug)]
#[command(
    name = "schema-load",
    version,
    after_help = cli::after_help("Examples:\n  schema-load                          # local DynamoDB\n  schema-load prod                     # create, or print the plan (exit 3 when the table differs)\n  schema-load prod --apply             # carry the plan out; asks you to type the table name\n  schema-load prod --apply --yes       # the same from CI\n  schema-load --apply --allow-index-rebuild   # a GSI's keys or projection changed\n  schema-load --table test-messages\n  schema-load --schema my-table.json   # a create-table --cli-input-json file (+ TTL, PITR)\n  schema-load prod --output json       # the plan as JSON on stdout\n  schema-load; [ $? -eq 3 ] && echo 'the table differs'    # exit 3: drift\n  schema-load prod --apply --allow-index-rebuild --no-backup   # prod takes a backup before deleting or rebuilding an index or changing the billing mode, unless --no-backup")
)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// Table definition in `aws dynamodb create-table --cli-input-json` form, plus
    /// `TimeToLiveSpecification` and `PointInTimeRecoverySpecification` [default: the shipped
    /// seeds/messages-table.json].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    /// Carry out the plan on an existing table that differs (on prod, after you confirm).
    #[arg(long)]
    apply: bool,

    /// Allow a GSI whose keys or projection changed to be deleted and created again (the index is
    /// unavailable while it rebuilds).
    #[arg(long)]
    allow_index_rebuild: bool,

    /// Seconds to wait, after each step, for the table and its indexes to become ACTIVE (an index
    /// backfill reads the whole table); on expiry the index is left building [default: 1800].
    #[arg(long, value_name = "SECS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(0..=604_800))]
    wait_timeout: u64,

    /// Print the report (the plan, or each step's outcome) on stdout as a table, JSON or JSON
    /// lines [default: messages on stderr only].
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,

    #[command(flatten)]
    safety_net: SafetyNetArgs,

    #[command(flatten)]
    confirm: Confirmation,

    #[command(flatten)]
    dry_run: DryRun,
}

/// Reports an apply's progress on stderr: a line per step, a bar while an index builds.
struct Watcher {
    bar: Option<Progress>,
    last: String,
}

impl Watcher {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Started { n, total, step } => {
                eprintln!("step {n}/{total}: {}: {}", step.call(), step.change())
            }
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
                    .get_or_insert_with(|| Progress::new(&phase, Some(total)).counted());
                bar.show(&phase, index.items.max(0) as u64, total);
                if !Progress::drawn() && phase != self.last {
                    eprintln!(
                        "  {phase}: {} of about {} items",
                        index.items, index.table_items
                    );
                }
                self.last = phase;
            }
            Event::Reprotected => {
                // The waits are over: clear the bar first, so the line does not push it up.
                if let Some(bar) = self.bar.take() {
                    bar.finish();
                }
                eprintln!(
                    "  the endpoint turned deletion protection off with that call (DynamoDB \
                     Local does on every UpdateTable): turning it on again"
                )
            }
            Event::Done { n, elapsed } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish();
                }
                self.last.clear();
                eprintln!("step {n} done ({:.1} s)", elapsed.as_secs_f64());
            }
        }
    }
}

/// Creates the table, or plans (and applies) the changes to it.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut def = TableDefinition::load(args.schema.as_deref())?;
    let ctx = cli::connect(&args.target, &args.table, &UserPoolArgs::default()).await?;
    let explicit = args.table.table.is_some();
    if let Some(note) = def.retarget(args.schema.as_deref(), ctx.table(), explicit)? {
        eprintln!("note: {note}");
    }
    let options = PlanOptions {
        allow_index_rebuild: args.allow_index_rebuild,
        prod: ctx.target() == Target::Prod,
    };
    let wait = Duration::from_secs(args.wait_timeout);
    let name = def.table_name.clone();
    let endpoint = ctx.dynamodb_endpoint.to_string();
    let report = |outcome, plan: &Plan, outcomes: Option<&[StepOutcome]>| -> anyhow::Result<()> {
        let report = SchemaReport::new(&name, &endpoint, outcome, plan, outcomes);
        match args.output {
            Some(format) => emit(&report, format),
            None => {
                for line in report.lines() {
                    eprintln!("{line}");
                }
                Ok(())
            }
        }
    };
    let mut watcher = Watcher {
        bar: None,
        last: String::new(),
    };

    let mut live = schema::inspect(&ctx, &def).await?;
    if live.is_none() && args.dry_run.dry_run {
        eprintln!("would create table {name} on {endpoint}: {}", def.summary());
        report(Outcome::WouldCreate, &Plan::default(), None)?;
        args.dry_run.note();
        return Ok(());
    }
    if live.is_none() {
        match schema::create(&ctx, &def, options, wait, &mut |e| watcher.event(e)).await? {
            Created::Created { follow_up, applied } => {
                let failed = applied.error.is_some() || !follow_up.refusals.is_empty();
                let outcome = if failed {
                    Outcome::Failed
                } else {
                    Outcome::Created
                };
                eprintln!("created table {name} on {endpoint}: ACTIVE");
                report(outcome, &follow_up, Some(&applied.outcomes))?;
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
            Created::AlreadyExists => live = schema::inspect(&ctx, &def).await?,
        }
    }
    let mut live = live.with_context(|| format!("table {name} disappeared meanwhile"))?;

    let applying = args.apply && !args.dry_run.dry_run;
    if applying {
        // An interrupted apply may have left an index building: wait for it, then plan.
        schema::until_settled(&ctx, &name, wait, &mut |b| watcher.event(Event::Waiting(b))).await?;
        watcher.bar.take();
        live = schema::inspect(&ctx, &def)
            .await?
            .with_context(|| format!("table {name} disappeared meanwhile"))?;
    }
    let plan = schema::plan_changes(&def, &live, options);
    if plan.is_empty() {
        eprintln!("table {name} already exists on {endpoint} exactly as defined: nothing to do");
        report(Outcome::Unchanged, &plan, None)?;
        args.dry_run.note();
        return Ok(());
    }
    eprintln!(
        "table {name} exists on {endpoint} but differs from the definition; the plan ({}, {} refused):",
        count(plan.steps.len() as u64, "step", "steps"),
        plan.refusals.len()
    );
    if !applying {
        report(Outcome::Differs, &plan, None)?;
        args.dry_run.note();
        return Err(Exit::new(
            EXIT_DRIFT,
            format!(
                "table {name} differs from the definition ({}, {} refused); nothing was \
                 changed{}",
                count(plan.steps.len() as u64, "step", "steps"),
                plan.refusals.len(),
                if plan.refusals.is_empty() {
                    ": run with --apply to carry the plan out"
                } else {
                    ""
                }
            ),
        )
        .into());
    }
    if !plan.refusals.is_empty() {
        report(Outcome::Refused, &plan, None)?;
        anyhow::bail!(
            "refused: {} cannot be made in place (see above); nothing was changed",
            count(plan.refusals.len() as u64, "change", "changes")
        );
    }
    if args.output.is_some() {
        // The report comes at the end, with each step's outcome; the plan goes to stderr first.
        for line in SchemaReport::new(&name, &endpoint, Outcome::Differs, &plan, None).lines() {
            eprintln!("{line}");
        }
    }
    args.confirm.confirm(
        ctx.target(),
        &format!(
            "apply {} to table {name}{}",
            count(plan.steps.len() as u64, "change", "changes"),
            match backup::risky_step(&plan.steps) {
                Some(_) => args.safety_net.prompt_note(),
                None => "",
            }
        ),
        &name,
    )?;
    let net = args.safety_net.net();
    if let Some(saved) = backup::before_schema_change(&ctx, &name, &plan.steps, net).await? {
        eprintln!("before step 1: {}", saved.line(&name));
    }
    let table = schema::Target::of(&live.table);
    let applied = schema::apply(&ctx, &def, table, &plan.steps, wait, &mut |e| {
        watcher.event(e)
    })
    .await;
    let outcome = if applied.error.is_some() {
        Outcome::Failed
    } else {
        Outcome::Applied
    };
    match args.output {
        Some(format) => emit(
            &SchemaReport::new(&name, &endpoint, outcome, &plan, Some(&applied.outcomes)),
            format,
        )?,
        None if applied.error.is_some() => report(outcome, &plan, Some(&applied.outcomes))?,
        None => {}
    }
    if let Some(err) = applied.error {
        return Err(err.context(format!(
            "the apply to table {name} stopped; the steps before it are done: run `schema-load \
             --apply` again to carry on from where the table is"
        )));
    }
    eprintln!(
        "applied {} to table {name} on {endpoint}: it matches the definition",
        count(plan.steps.len() as u64, "step", "steps")
    );
    Ok(())
}
