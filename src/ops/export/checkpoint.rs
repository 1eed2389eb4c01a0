//! `export --checkpoint FILE`: an export that can stop and go on. The checkpoint records, for each
//! segment of the scan, the `LastEvaluatedKey` after which it goes on (or that it is read to its
//! end), and how many bytes of the output are complete.
//!
//! The output is written to `.NAME.partial` beside the file asked for, a page at a time: after
//! each page the lines are flushed (with `--gzip`, each page is a gzip member of its own, and a
//! file of several members is still one gzip file), and the checkpoint is written from a thread
//! of its own ([`Saver`]), after the output is synced. A re-run with the same checkpoint cuts the
//! partial file back to the bytes the checkpoint counts, and each segment scans on after its
//! key: nothing recorded is read or written again, only the pages in flight when the last run
//! stopped. When the scan is done the partial file is renamed to its name and the checkpoint is
//! marked complete.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_destination, write_line, ExportReport};
use crate::context::Context;
use crate::ddb::capacity::Governor;
use crate::ddb::item::{item_from_typed_json, to_typed_json};
use crate::ddb::scan::{self, Page, ScanOptions, Start};
use crate::ops::checkpoint::{Checkpoint, Job, Saver};

/// How far one segment got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentState {
    /// It goes on after this key (DynamoDB JSON).
    After(Value),
    /// It was read to its end.
    Done,
}

/// How far an export got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportState {
    /// Per segment, how far it got (a segment not named has not started).
    pub segments: BTreeMap<u32, SegmentState>,
    /// Bytes of the output that are complete.
    pub bytes: u64,
    /// Items in those bytes.
    pub items: u64,
}

/// The job an export of the context's table to `path` with `options` is.
pub fn job(ctx: &Context, path: &Path, gzip: bool, options: &ScanOptions) -> Result<Job> {
    let absolute = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => fs::canonicalize(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .join(name),
        _ => std::env::current_dir()
            .context("reading the current directory")?
            .join(path),
    };
    let part = options.part.map(|p| format!("{} of {}", p.index, p.total));
    Ok(Job::new("export")
        .with("table", ctx.table())
        .with("endpoint", ctx.dynamodb_endpoint.to_string())
        .with("file", absolute.display().to_string())
        .with("gzip", gzip)
        .with("segments", options.segments)
        .with("segment", part))
}

/// An export to a file that a checkpoint lets stop and go on.
pub struct CheckpointedExport {
    path: PathBuf,
    partial: PathBuf,
    gzip: bool,
    checkpoint_path: PathBuf,
    checkpoint: Checkpoint<ExportState>,
    resumed: bool,
}

impl CheckpointedExport {
    /// Reads the checkpoint at `checkpoint_path` (refused when made for another job) or starts a
    /// new one, after checking the destination `path`.
    pub fn open(path: &Path, gzip: bool, checkpoint_path: &Path, job: Job) -> Result<Self> {
        check_destination(path)?;
        let name = path
            .file_name()
            .with_context(|| format!("{} is not a file name", path.display()))?;
        let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let (checkpoint, resumed) = match Checkpoint::load(checkpoint_path, &job)? {
            Some(checkpoint) => (checkpoint, true),
            None => (Checkpoint::new(job, ExportState::default()), false),
        };
        Ok(CheckpointedExport {
            path: path.to_path_buf(),
            partial,
            gzip,
            checkpoint_path: checkpoint_path.to_path_buf(),
            checkpoint,
            resumed,
        })
    }

    /// The state read from the checkpoint, when this export resumes one.
    pub fn resumed(&self) -> Option<&ExportState> {
        self.resumed.then_some(&self.checkpoint.state)
    }

    /// The checkpoint says the export finished (and the file is there): nothing to do.
    pub fn is_complete(&self) -> Result<bool> {
        if !self.checkpoint.complete {
            return Ok(false);
        }
        if !self.path.is_file() {
            bail!(
                "the checkpoint {} says this export finished, but {} is not there: remove the \
                 checkpoint to export again",
                self.checkpoint_path.display(),
                self.path.display()
            );
        }
        Ok(true)
    }

    /// The partial file, cut back to the bytes the checkpoint counts (or new and empty).
    fn output(&self) -> Result<File> {
        let bytes = self.checkpoint.state.bytes;
        if !self.resumed {
            return File::create(&self.partial)
                .with_context(|| format!("creating {}", self.partial.display()));
        }
        let mut file = OpenOptions::new()
            .write(true)
            .open(&self.partial)
            .with_context(|| {
                format!(
                    "opening {} to resume the export (the checkpoint {} counts {bytes} bytes of \
                     it): remove the checkpoint to export again from the start",
                    self.partial.display(),
                    self.checkpoint_path.display()
                )
            })?;
        let len = file
            .metadata()
            .with_context(|| format!("reading {}", self.partial.display()))?
            .len();
        if len < bytes {
            bail!(
                "{} holds {len} bytes, fewer than the {bytes} the checkpoint {} counts: it was \
                 changed since; remove the checkpoint to export again from the start",
                self.partial.display(),
                self.checkpoint_path.display()
            );
        }
        file.set_len(bytes)
            .and_then(|()| file.seek(std::io::SeekFrom::End(0)).map(|_| ()))
            .with_context(|| format!("cutting {} back to {bytes} bytes", self.partial.display()))?;
        Ok(file)
    }

    /// Scans on from where each segment stopped, inside `governor`'s budget, writing each page
    /// and recording it in the checkpoint; then renames the partial file to its name and marks
    /// the checkpoint complete. A failure leaves the partial file and the checkpoint for a re-run.
    pub async fn run(
        &mut self,
        ctx: &Context,
        options: ScanOptions,
        governor: &Governor,
    ) -> Result<ExportReport> {
        let started = Instant::now();
        let earlier = self.checkpoint.state.items;
        let file = self.output()?;
        let sync = file
            .try_clone()
            .with_context(|| format!("opening {}", self.partial.display()))?;
        // Written before the first read: a checkpoint that cannot be written stops it here.
        self.checkpoint
            .save(&self.checkpoint_path)
            .context("the export needs its checkpoint")?;
        let saver = Saver::start(&self.checkpoint_path, Some(sync));
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let starts = self.starts()?;
        let what = || format!("writing {}", self.partial.display());
        let gzip = self.gzip;
        let checkpoint = &mut self.checkpoint;
        let scanned = scan::scan_pages_from(
            ctx,
            ctx.table(),
            options,
            governor,
            &|segment| starts.get(&segment).cloned().unwrap_or(Start::Beginning),
            |page: Page<'_>| {
                if !page.items.is_empty() {
                    write_page(&mut out, page.items, gzip).with_context(what)?;
                    checkpoint.state.bytes = out.stream_position().with_context(what)?;
                    checkpoint.state.items += page.items.len() as u64;
                }
                let state = match page.next {
                    Some(key) => SegmentState::After(to_typed_json(key)),
                    None => SegmentState::Done,
                };
                checkpoint.state.segments.insert(page.segment, state);
                saver.offer(checkpoint);
                if let Some(err) = saver.failure() {
                    return Err(err);
                }
                Ok(())
            },
        )
        .await;
        saver.close()?;
        let items = scanned?;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(what)?;
        file.sync_all().with_context(what)?;
        fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "renaming {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })?;
        self.checkpoint.complete = true;
        self.checkpoint.save(&self.checkpoint_path)?;
        Ok(ExportReport {
            items,
            elapsed: started.elapsed(),
            capacity: governor.stats(),
            earlier: Some(earlier),
        })
    }

    /// Where each segment starts, from the checkpoint.
    fn starts(&self) -> Result<BTreeMap<u32, Start>> {
        let mut starts = BTreeMap::new();
        for (segment, state) in &self.checkpoint.state.segments {
            let start = match state {
                SegmentState::Done => Start::Done,
                SegmentState::After(key) => {
                    Start::After(item_from_typed_json(key).with_context(|| {
                        format!(
                            "the checkpoint {} holds a bad key for segment {segment}",
                            self.checkpoint_path.display()
                        )
                    })?)
                }
            };
            starts.insert(*segment, start);
        }
        Ok(starts)
    }
}

/// Writes a page's lines and flushes them; with `gzip`, as a gzip member of its own.
fn write_page(
    out: &mut BufWriter<File>,
    items: &[crate::ddb::item::Item],
    gzip: bool,
) -> std::io::Result<()> {
    if gzip {
        let mut gz = GzEncoder::new(&mut *out, Compression::default());
        for item in items {
            write_line(&mut gz, item)?;
        }
        gz.finish()?;
    } else {
        for item in items {
            write_line(out, item)?;
        }
    }
    out.flush()
}
