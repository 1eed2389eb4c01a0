//! `import --checkpoint FILE`: the input position up to which every item is written, so that a
//! re-run continues after it.
//!
//! Batches are written several at a time and finish in any order; the checkpoint moves only over
//! the unbroken run of finished batches from the start ([`Watermark`]), so every line up to its
//! mark is written. A resumed import reads on after the mark: what the checkpoint covers is
//! neither checked nor written again, and only the batches in flight when the last run stopped
//! are written twice (puts of the same items: the table ends the same).
//!
//! A checkpoint belongs to one table on one endpoint and one input: the files in order, each
//! with its size and modification time, so that an input changed since is refused rather than
//! resumed at a line that now means something else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::read::Mark;
use crate::context::Context;
use crate::ops::checkpoint::{input_file, CheckpointFile, Job};

/// How far an import got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportState {
    /// Every line up to and including this mark is written (`None`: nothing yet).
    pub through: Option<Mark>,
    /// Items written up to the mark, over every run.
    pub items: u64,
}

/// An import's checkpoint file and what it holds.
pub type ImportCheckpoint = CheckpointFile<ImportState>;

/// The job an import of `files` into the context's table is: table, endpoint, and each file
/// with its size and modification time.
pub fn job(ctx: &Context, files: &[PathBuf]) -> Result<Job> {
    let input = files
        .iter()
        .map(|file| input_file(file))
        .collect::<Result<Vec<_>>>()?;
    Ok(job_of(ctx, input.into()))
}

/// The job an import of the input `input` identifies (files, or S3 objects with their sizes
/// and ETags) into the context's table is.
pub fn job_of(ctx: &Context, input: serde_json::Value) -> Job {
    Job::new("import")
        .with("table", ctx.table())
        .with("endpoint", ctx.dynamodb_endpoint.to_string())
        .with("input", input)
}

/// Reads the checkpoint at `path` for `job`, or starts a new one.
pub fn open(path: &Path, job: Job) -> Result<ImportCheckpoint> {
    CheckpointFile::open(path, job)
}

/// One batch as handed to the writer: its place in the input and how far in the input it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchTag {
    /// The batch's number, from 0, in the order the input was read.
    pub seq: u64,
    /// The last line the batch holds (lines after it belong to later batches).
    pub last: Mark,
    /// Items in the batch.
    pub items: u64,
}

/// The unbroken run of finished batches from the first: every line up to its mark is written.
#[derive(Debug, Clone, Default)]
pub struct Watermark {
    next: u64,
    finished: BTreeMap<u64, BatchTag>,
    through: Option<Mark>,
    items: u64,
}

impl Watermark {
    /// A watermark standing where `state` stood.
    pub fn from_state(state: &ImportState) -> Watermark {
        Watermark {
            through: state.through,
            items: state.items,
            ..Watermark::default()
        }
    }

    /// Records a finished batch; true when the mark moved.
    pub fn finished(&mut self, tag: BatchTag) -> bool {
        self.finished.insert(tag.seq, tag);
        let mut moved = false;
        while let Some(tag) = self.finished.remove(&self.next) {
            self.through = Some(tag.last);
            self.items += tag.items;
            self.next += 1;
            moved = true;
        }
        moved
    }

    /// Where the mark stands.
    pub fn state(&self) -> ImportState {
        ImportState {
            through: self.through,
            items: self.items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(seq: u64, line: u64) -> BatchTag {
        BatchTag {
            seq,
            last: Mark { file: 0, line },
            items: 25,
        }
    }

    #[test]
    fn the_mark_moves_only_over_an_unbroken_run_of_batches() {
        let mut w = Watermark::from_state(&ImportState {
            through: Some(Mark { file: 0, line: 10 }),
            items: 10,
        });
        // batch 1 finishes before batch 0: nothing is sure yet
        assert!(!w.finished(tag(1, 60)));
        assert_eq!(w.state().through, Some(Mark { file: 0, line: 10 }));
        // batch 0 then covers both
        assert!(w.finished(tag(0, 35)));
        assert_eq!(w.state().through, Some(Mark { file: 0, line: 60 }));
        assert_eq!(w.state().items, 60);
        assert!(!w.finished(tag(3, 110)));
        assert!(w.finished(tag(2, 85)));
        assert_eq!(w.state().through, Some(Mark { file: 0, line: 110 }));
        assert_eq!(w.state().items, 110);
    }

    #[test]
    fn marks_order_by_file_then_line() {
        assert!(Mark { file: 0, line: 900 } < Mark { file: 1, line: 1 });
        assert!(Mark { file: 1, line: 2 } > Mark { file: 1, line: 1 });
    }
}
