//! `import` from start to end: the plan (files, standard input, or an export's folder in S3),
//! the write budget, where a checkpoint stands, a dry run's estimate or the confirmation, the
//! writes with a bar, and the summary.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::{execute, prepare, Source};
use crate::context::Context;
use crate::ddb::batch::WriteOptions;
use crate::ddb::capacity::Direction;
use crate::ops::backup::{self, SafetyNet};
use crate::ops::bulk::{self, BulkOptions};
use crate::ops::native::load::{self, LoadOptions};
use crate::ops::ui::{Bar, Ui};

/// What `import` is asked for.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Files or standard input, when not an export in S3.
    source: Source,
    /// An export's folder in S3 (and a share of it).
    s3: Option<LoadOptions>,
    /// The checkpoint to resume from and record in.
    checkpoint: Option<PathBuf>,
    /// The backup taken on prod before writing into a table that is not empty.
    safety_net: SafetyNet,
}

impl ImportRequest {
    /// An import of `files` (`-`: standard input), or of the export `s3` names, checked before
    /// anything is read: standard input stands alone and cannot be dry-run.
    pub fn new(
        files: Vec<PathBuf>,
        s3: Option<LoadOptions>,
        checkpoint: Option<PathBuf>,
        dry_run: bool,
    ) -> Result<ImportRequest> {
        let stdin = files.iter().any(|f| f.as_os_str() == "-");
        if stdin && files.len() > 1 {
            bail!("--file - (standard input) cannot be combined with other files");
        }
        if stdin && dry_run {
            bail!(
                "--dry-run needs files: standard input is checked a batch at a time as it is \
                 written (save it to a file and give that)"
            );
        }
        let source = if stdin {
            Source::Stdin
        } else {
            Source::Files(files)
        };
        Ok(ImportRequest {
            source,
            s3,
            checkpoint,
            safety_net: SafetyNet::default(),
        })
    }

    /// The same import, with the backup `net` says (`--no-backup`, its wait) on prod.
    pub fn with_safety_net(self, net: SafetyNet) -> ImportRequest {
        ImportRequest {
            safety_net: net,
            ..self
        }
    }
}

/// Imports as `request` says into `ctx`'s table with `writes` within `bulk`'s budget, telling
/// `ui`.
pub async fn run(
    ctx: &Context,
    request: ImportRequest,
    writes: WriteOptions,
    bulk: &BulkOptions,
    ui: &mut impl Ui,
) -> Result<()> {
    let checkpoint = request.checkpoint.as_deref();
    let plan = match &request.s3 {
        Some(options) => {
            let (plan, files) = load::prepare(ctx, options, checkpoint).await?;
            ui.note(&format!("reading {}: {}", files.folder, files.note()));
            plan
        }
        None => prepare(ctx, request.source, checkpoint).await?,
    };
    let resumable = ("import", checkpoint, "after the last line written");
    let governor = bulk::governor(ctx, Direction::Write, &bulk.capacity, Some(resumable)).await?;
    let resumed = plan.checkpoint.as_ref().filter(|c| c.resumed);
    if let Some(c) = resumed {
        let state = &c.checkpoint.state;
        let place = match (&plan.source, state.through) {
            (Source::Files(files), Some(mark)) => files
                .get(mark.file)
                .map(|f| format!(" (through {}: line {})", f.display(), mark.line))
                .unwrap_or_default(),
            _ => String::new(),
        };
        ui.note(&if c.checkpoint.complete {
            format!(
                "the checkpoint {} says this import finished ({} items written): nothing to do",
                c.path.display(),
                state.items
            )
        } else {
            format!(
                "resuming from the checkpoint {}: {} items written before{place}",
                c.path.display(),
                state.items
            )
        });
    }
    if bulk.dry_run {
        ui.note(&format!(
            "would write {} items to table {} on {} (every line{} checked): {}",
            plan.items.unwrap_or(0),
            ctx.table(),
            ctx.dynamodb_endpoint,
            if resumed.is_some() {
                " after the checkpoint's mark"
            } else {
                ""
            },
            bulk::budget_estimate(plan.units.unwrap_or(0.0), &governor.stats())
        ));
        ui.dry_run_note(true);
        return Ok(());
    }
    let what = match plan.items {
        Some(n) => format!("write {n} items to table {}", ctx.table()),
        None => format!("write the items of standard input to table {}", ctx.table()),
    };
    ui.confirm(ctx.target(), &what, ctx.table())?;
    if let Some(saved) = backup::before_import(ctx, ctx.table(), request.safety_net).await? {
        ui.note(&saved.line(ctx.table()));
    }
    let total = plan.items.unwrap_or(0);
    let mut bar = ui
        .bar("writing", plan.items)
        .with_note(&bulk::budget_note(&governor.stats()));
    let report = execute(ctx, plan, writes, &governor, |done| {
        bar.show("writing", done, total)
    })
    .await;
    bar.finish();
    let report = report?;
    let earlier = match report.earlier {
        Some(n) if n > 0 => format!(" ({n} more were written before, per the checkpoint)"),
        _ => String::new(),
    };
    ui.note(&format!(
        "imported {} items{earlier} into table {} on {} in {:.2} s ({:.0} items/s; {}){}",
        report.written,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.elapsed.as_secs_f64(),
        report.written as f64 / report.elapsed.as_secs_f64().max(1e-9),
        report.capacity,
        if report.duplicates > 0 {
            format!(
                "; {} lines repeated a key of their batch (the later line won)",
                report.duplicates
            )
        } else {
            String::new()
        }
    ));
    let items = (report.written, report.earlier);
    let seconds = report.elapsed.as_secs_f64();
    bulk.emit_summary(
        ui,
        "table-import",
        ctx.table(),
        items,
        seconds,
        &report.capacity,
    )
}
