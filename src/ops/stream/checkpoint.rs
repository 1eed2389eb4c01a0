//! `messaging-stream --follow --checkpoint FILE`: the follower's position, per shard the sequence
//! number of the last record handled, so that a restarted follower resumes right after it. The
//! file is a [`Checkpoint`] like every resumable job's (its job: the table and its stream),
//! replaced atomically after every handled batch.
//!
//! A file written before the follower's checkpoint took the shared layout
//! (`{"version":1,"table":...,"stream_arn":...,"shards":{...}}`) is read as the same position.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde_json::{json, Value};

use crate::ops::checkpoint::{Checkpoint, CheckpointFile, Job};

/// The tool a follower's checkpoint belongs to.
const TOOL: &str = "messaging-stream";

/// Where a follower stands: per shard id, the sequence number of the last record handled.
pub type Shards = BTreeMap<String, String>;

/// A follower's checkpoint file and what it holds.
pub type FollowCheckpoint = CheckpointFile<Shards>;

/// The job a follower of `table`'s stream `stream_arn` is: a checkpoint belongs to one stream.
pub fn job(table: &str, stream_arn: &str) -> Job {
    Job::new(TOOL)
        .with("table", table)
        .with("stream_arn", stream_arn)
}

/// Reads the checkpoint at `path` for `job` (refused when made for another table or stream,
/// naming both), or starts a new one.
pub fn open(path: &Path, job: Job) -> Result<FollowCheckpoint> {
    let loaded = Checkpoint::load_with(path, &job, upgrade)?;
    Ok(FollowCheckpoint {
        path: path.to_path_buf(),
        resumed: loaded.is_some(),
        checkpoint: loaded.unwrap_or_else(|| Checkpoint::new(job, Shards::new())),
    })
}

/// A checkpoint of the follower's first layout, version 1, in the shared layout; `None` for
/// anything else (which the shared reader then refuses or reads).
fn upgrade(raw: &Value) -> Option<Value> {
    let old = raw.as_object()?;
    if old.contains_key("job") || old.get("version") != Some(&json!(1)) {
        return None;
    }
    let (table, stream_arn, shards) = (
        old.get("table")?,
        old.get("stream_arn")?,
        old.get("shards")?,
    );
    Some(json!({
        "version": 1,
        "job": {"tool": TOOL, "settings": {"table": table, "stream_arn": stream_arn}},
        "state": shards,
        "complete": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::checkpoint::temp_dir;
    use std::fs;

    #[test]
    fn saves_and_loads_back() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("follow.json");
        let mut c = open(&path, job("t", "arn:stream/1")).unwrap();
        assert!(!c.resumed && c.checkpoint.state.is_empty());
        c.checkpoint
            .state
            .insert("shardId-1".into(), "000123".into());
        c.checkpoint.save(&path).unwrap();
        let back = open(&path, job("t", "arn:stream/1")).unwrap();
        assert!(back.resumed);
        assert_eq!(back.checkpoint, c.checkpoint);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_of_the_first_layout_is_read_as_the_same_position() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("follow.json");
        // What the follower wrote before its checkpoint took the shared layout.
        let old = r#"{
  "version": 1,
  "table": "t",
  "stream_arn": "arn:stream/1",
  "shards": {
    "shardId-1": "000123",
    "shardId-2": "000456"
  }
}
"#;
        fs::write(&path, old).unwrap();
        let c = open(&path, job("t", "arn:stream/1")).unwrap();
        assert!(c.resumed);
        let shards: Vec<_> = c.checkpoint.state.iter().collect();
        assert_eq!(
            shards,
            [
                (&"shardId-1".to_string(), &"000123".to_string()),
                (&"shardId-2".to_string(), &"000456".to_string())
            ]
        );
        // Saved again, it takes the shared layout and reads back the same.
        c.checkpoint.save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"tool\": \"messaging-stream\""), "{text}");
        assert_eq!(
            open(&path, job("t", "arn:stream/1")).unwrap().checkpoint,
            c.checkpoint
        );

        // An old file of another stream is refused, naming both streams.
        fs::write(&path, old).unwrap();
        let err = format!("{:#}", open(&path, job("u", "arn:stream/2")).unwrap_err());
        assert!(
            err.contains("arn:stream/1") && err.contains("arn:stream/2"),
            "{err}"
        );
        assert!(err.contains("table: was t, now u"), "{err}");
        // One of an unknown version says so.
        fs::write(&path, old.replace("\"version\": 1", "\"version\": 7")).unwrap();
        let err = format!("{:#}", open(&path, job("t", "arn:stream/1")).unwrap_err());
        assert!(
            err.contains("not a checkpoint of messaging-stream"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn another_stream_or_a_foreign_file_is_refused() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("c.json");
        let c = open(&path, job("t", "arn:stream/1")).unwrap();
        c.checkpoint.save(&path).unwrap();
        let err = format!("{:#}", open(&path, job("t", "arn:stream/2")).unwrap_err());
        assert!(
            err.contains("stream_arn: was arn:stream/1, now arn:stream/2"),
            "{err}"
        );
        fs::write(&path, "{\"hello\": 1}").unwrap();
        let err = format!("{:#}", open(&path, job("t", "arn:stream/1")).unwrap_err());
        assert!(
            err.contains("not a checkpoint of messaging-stream"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
