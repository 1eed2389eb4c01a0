//! `export` from start to end: the read budget, a dry run's estimate, the export to standard
//! output, to a file, or through a checkpoint, and the summary.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::checkpoint::{self, CheckpointedExport};
use super::{check_destination, estimate, export, ExportFile, ExportReport, MaybeGzip};
use crate::context::Context;
use crate::ddb::capacity::Direction;
use crate::ddb::scan::{Part, ScanOptions};
use crate::ops::bulk::{self, BulkOptions};
use crate::ops::ui::{Ui, DRY_RUN_NOTE};

/// What `export` is asked for.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The file to write; `None` for standard output.
    file: Option<PathBuf>,
    /// Gzip it.
    gzip: bool,
    /// The scan: its segments and the part of the table.
    options: ScanOptions,
    /// The checkpoint to resume from and record in.
    checkpoint: Option<PathBuf>,
}

impl ExportRequest {
    /// An export to `file` (`-`: standard output), checked before anything is read: the
    /// destination, and what standard output cannot do (a summary beside the items, resuming).
    pub fn new(
        file: &Path,
        gzip: bool,
        (segments, part): (u32, Option<(u32, u32)>),
        checkpoint: Option<PathBuf>,
        bulk: &BulkOptions,
    ) -> Result<ExportRequest> {
        let stdout = file.as_os_str() == "-";
        if stdout && bulk.output.is_some() {
            bail!("--output needs --file: the items go to standard output, so the summary cannot");
        }
        if !stdout {
            check_destination(file)?;
        } else if checkpoint.is_some() {
            bail!(
                "--checkpoint needs --file: what went to standard output cannot be taken back, \
                 so an export to it cannot be resumed"
            );
        }
        let options = ScanOptions {
            segments,
            part: part.map(|(index, total)| Part { index, total }),
            ..ScanOptions::default()
        };
        Ok(ExportRequest {
            file: (!stdout).then(|| file.to_path_buf()),
            gzip,
            options,
            checkpoint,
        })
    }
}

/// Exports `ctx`'s table as `request` says within `bulk`'s budget, telling `ui`; the items go
/// to the file, or to what `stdout` opens.
pub async fn run<W: Write>(
    ctx: &Context,
    request: ExportRequest,
    bulk: &BulkOptions,
    ui: &mut impl Ui,
    stdout: impl FnOnce() -> W,
) -> Result<()> {
    let ExportRequest {
        file,
        gzip,
        options,
        checkpoint,
    } = request;
    let resumable = (
        "export",
        checkpoint.as_deref(),
        "where each segment stopped",
    );
    let governor = bulk::governor(ctx, Direction::Read, &bulk.capacity, Some(resumable)).await?;
    if bulk.dry_run {
        let estimate = estimate(ctx, &options).await?;
        ui.note(&format!(
            "would export about {} items ({} bytes) of table {} on {}: {}",
            estimate.items,
            estimate.bytes,
            ctx.table(),
            ctx.dynamodb_endpoint,
            bulk::budget_estimate(estimate.units, &governor.stats())
        ));
        ui.note(DRY_RUN_NOTE);
        return Ok(());
    }
    let (report, place): (ExportReport, String) = match (file, checkpoint) {
        (Some(file), Some(checkpoint)) => {
            let job = checkpoint::job(ctx, &file, gzip, &options)?;
            let mut export = CheckpointedExport::open(&file, gzip, &checkpoint, job)?;
            if export.is_complete()? {
                ui.note(&format!(
                    "the checkpoint {} says this export to {} finished: nothing to do",
                    checkpoint.display(),
                    file.display()
                ));
                return Ok(());
            }
            if let Some(state) = export.resumed() {
                ui.note(&format!(
                    "resuming from the checkpoint {}: {} items ({} bytes) exported before",
                    checkpoint.display(),
                    state.items,
                    state.bytes
                ));
            }
            let report = export.run(ctx, options, &governor).await?;
            (report, file.display().to_string())
        }
        (Some(file), None) => {
            let mut out = ExportFile::create(&file, gzip)?;
            let report = export(ctx, options, &governor, out.writer()).await?;
            let path = out.commit()?;
            (report, path.display().to_string())
        }
        (None, _) => {
            let mut out = MaybeGzip::new(stdout(), gzip);
            let report = export(ctx, options, &governor, &mut out).await?;
            out.finish().context("writing the export")?;
            (report, "standard output".to_string())
        }
    };
    let earlier = match report.earlier {
        Some(n) if n > 0 => format!(" ({n} more were exported before, per the checkpoint)"),
        _ => String::new(),
    };
    ui.note(&format!(
        "exported {} items{earlier} of table {} on {} to {place} in {:.2} s ({})",
        report.items,
        ctx.table(),
        ctx.dynamodb_endpoint,
        report.elapsed.as_secs_f64(),
        report.capacity
    ));
    let items = (report.items, report.earlier);
    let seconds = report.elapsed.as_secs_f64();
    bulk.emit_summary(
        ui,
        "table-export",
        ctx.table(),
        items,
        seconds,
        &report.capacity,
    )
}
