//! `seed` from start to end: the plan, the capacity budget, a dry run's estimate or the
//! confirmation, the writes with a bar, and the summary.

use anyhow::Result;

use crate::context::Context;
use crate::ddb::batch::WriteOptions;
use crate::ddb::capacity::Direction;
use crate::ops::bulk::{self, BulkOptions};
use crate::ops::seed::{execute, prepare, Phase, SeedInput};
use crate::ops::ui::{Bar, Ui};

/// Seeds `input` into `ctx`'s table with `writes` within `bulk`'s budget, telling `ui`.
pub async fn run(
    ctx: &Context,
    input: SeedInput,
    writes: WriteOptions,
    bulk: &BulkOptions,
    ui: &mut impl Ui,
) -> Result<()> {
    let plan = prepare(ctx, input).await?;
    let governor = bulk::governor(ctx, Direction::Write, &bulk.capacity, None).await?;
    if bulk.dry_run {
        ui.note(&format!(
            "seed of group {} in table {} on {} would {}; {}",
            plan.group,
            ctx.table(),
            ctx.dynamodb_endpoint,
            plan.describe(),
            bulk::budget_estimate(plan.write_units(), &governor.stats())
        ));
        ui.dry_run_note(true);
        return Ok(());
    }
    ui.confirm(
        ctx.target(),
        &format!(
            "write {} items of group {} to table {} (replacing {} items of an earlier seed, \
             keeping {} messages no seed wrote)",
            plan.item_count(),
            plan.group,
            ctx.table(),
            plan.stale_count() + plan.overwritten_count(),
            plan.kept_count()
        ),
        ctx.table(),
    )?;
    let mut bar = ui
        .bar(&Phase::Writing.to_string(), None)
        .with_note(&bulk::budget_note(&governor.stats()));
    let report = execute(ctx, plan, writes, &governor, |phase, done, total| {
        bar.show(&phase.to_string(), done, total)
    })
    .await?;
    bar.finish();
    ui.note(&format!(
        "seeded group {} in table {} on {}: {} messages + {} conversation rows written, {} old \
         items deleted, in {:.2} s ({:.0} writes/s; {})",
        report.group,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.messages,
        report.conversations,
        report.deleted,
        report.elapsed.as_secs_f64(),
        report.rate(),
        report.capacity
    ));
    let items = (report.written(), None);
    let seconds = report.elapsed.as_secs_f64();
    bulk.emit_summary(ui, "seed", ctx.table(), items, seconds, &report.capacity)
}
