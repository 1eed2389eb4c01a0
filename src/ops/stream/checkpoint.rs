//! The follower's checkpoint file (`messaging-stream --follow --checkpoint FILE`): per shard, the
//! sequence number of the last record handled, so that a restarted follower resumes right after it.
//!
//! The file is JSON (`{"version":1,"table":...,"stream_arn":...,"shards":{"shardId-...":"seq"}}`)
//! and is replaced atomically after every handled batch: written to a temporary file in the same
//! directory, flushed to disk (fsync), then renamed over the old one, so a crash at any moment
//! leaves either the old or the new checkpoint, never a torn one.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::ops::resume;

/// The checkpoint format's version.
const VERSION: u32 = 1;

/// Where a follower stands on a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The format version (1).
    pub version: u32,
    /// The table whose stream this is.
    pub table: String,
    /// The stream's ARN: a checkpoint belongs to one stream.
    pub stream_arn: String,
    /// Per shard id, the sequence number of the last record handled.
    pub shards: BTreeMap<String, String>,
}

impl Checkpoint {
    /// An empty checkpoint for `table`'s stream `stream_arn`.
    pub fn new(table: &str, stream_arn: &str) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            table: table.to_string(),
            stream_arn: stream_arn.to_string(),
            shards: BTreeMap::new(),
        }
    }

    /// Reads `path`; `None` when there is no such file yet.
    pub fn load(path: &Path) -> Result<Option<Checkpoint>> {
        let Some(text) = resume::read_text(path)? else {
            return Ok(None);
        };
        let checkpoint: Checkpoint = serde_json::from_str(&text).with_context(|| {
            format!(
                "the checkpoint {} is not a messaging-stream checkpoint (expected JSON with \
                 version, table, stream_arn and shards)",
                path.display()
            )
        })?;
        if checkpoint.version != VERSION {
            bail!(
                "the checkpoint {} has version {}, this messaging-stream reads version {VERSION}",
                path.display(),
                checkpoint.version
            );
        }
        Ok(Some(checkpoint))
    }

    /// Fails unless this checkpoint belongs to `table`'s stream `stream_arn`, naming both.
    pub fn check_matches(&self, path: &Path, table: &str, stream_arn: &str) -> Result<()> {
        if self.stream_arn != stream_arn || self.table != table {
            bail!(
                "the checkpoint {} belongs to table {} (stream {}), not to table {table} \
                 (stream {stream_arn}): pass another --checkpoint file, or remove this one to \
                 start afresh",
                path.display(),
                self.table,
                self.stream_arn
            );
        }
        Ok(())
    }

    /// Replaces `path` with this checkpoint atomically ([`resume::save`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        resume::save(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::resume::temp_dir;
    use std::fs;

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("follow.json");
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        let mut c = Checkpoint::new("t", "arn:stream/1");
        c.shards.insert("shardId-1".into(), "000123".into());
        c.save(&path).unwrap();
        c.shards.insert("shardId-1".into(), "000456".into());
        c.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), Some(c));
        // Only the checkpoint itself is left: no temporary file.
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("follow.json")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn another_stream_or_a_foreign_file_is_refused() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("c.json");
        let c = Checkpoint::new("t", "arn:stream/1");
        let err = c
            .check_matches(&path, "t", "arn:stream/2")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("arn:stream/1") && err.contains("arn:stream/2"),
            "{err}"
        );
        assert!(c.check_matches(&path, "t", "arn:stream/1").is_ok());
        fs::write(&path, "{\"hello\": 1}").unwrap();
        let err = format!("{:#}", Checkpoint::load(&path).unwrap_err());
        assert!(err.contains("not a messaging-stream checkpoint"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
