//! `cognito-import --checkpoint FILE`: how far a restore got (groups done; the users and the
//! memberships done, as the unbroken run from the file's first), so that a re-run skips what is
//! known done and reports the counts of every run.
//!
//! A re-run without a checkpoint also ends right (every user is compared with the pool, none is
//! created twice); the checkpoint saves that comparison's writes for the part done, keeps the
//! totals, and refuses a file, pool or endpoint other than the one it was made for.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::ops::checkpoint::{input_file, CheckpointFile, Job};

/// How far a restore got, over every run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportState {
    /// Every group of the file exists in the pool.
    pub groups_done: bool,
    /// The file's first N users are done (created, updated or found equal).
    pub users_done: u64,
    /// The file's first N memberships are done.
    pub members_done: u64,
    /// Groups created.
    pub groups_created: u64,
    /// Users created.
    pub users_created: u64,
    /// Users updated.
    pub users_updated: u64,
    /// Memberships added.
    pub members_added: u64,
}

/// The job a restore of `file` into `pool_id` is: the pool, the endpoint, and the file with
/// its size and modification time (a file changed since is refused, not resumed).
pub fn job(ctx: &Context, pool_id: &str, file: &Path) -> Result<Job> {
    Ok(Job::new("cognito-import")
        .with("user_pool_id", pool_id)
        .with("endpoint", ctx.cognito_endpoint.to_string())
        .with("file", input_file(file)?))
}

/// An restore's checkpoint file and what it holds.
pub type ImportCheckpoint = CheckpointFile<ImportState>;

/// Reads the checkpoint at `path` for `job`, or starts a new one.
pub fn open(path: &Path, job: Job) -> Result<ImportCheckpoint> {
    CheckpointFile::open(path, job)
}

/// The unbroken run of finished tasks from the first (tasks finish in any order).
#[derive(Debug, Clone, Default)]
pub struct Watermark {
    done: u64,
    finished: BTreeSet<u64>,
}

impl Watermark {
    /// A watermark with the first `done` tasks finished.
    pub fn at(done: u64) -> Watermark {
        Watermark {
            done,
            finished: BTreeSet::new(),
        }
    }

    /// Records task `index` as finished; true when the run from the first grew.
    pub fn finished(&mut self, index: u64) -> bool {
        self.finished.insert(index);
        let before = self.done;
        while self.finished.remove(&self.done) {
            self.done += 1;
        }
        self.done > before
    }

    /// How many tasks from the first are finished.
    pub fn done(&self) -> u64 {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_moves_over_an_unbroken_run_only() {
        let mut w = Watermark::at(3);
        assert!(!w.finished(4));
        assert_eq!(w.done(), 3);
        assert!(w.finished(3));
        assert_eq!(w.done(), 5);
        assert!(!w.finished(7));
        assert!(w.finished(5));
        assert_eq!(w.done(), 6);
    }
}
