//! The checkpoint of every resumable job (`import`, `export`, `cognito-import` and
//! `messaging-stream --follow`, each with `--checkpoint FILE`): a JSON file saying which job it
//! belongs to and how far that job got, so that a re-run with the same file continues where the
//! last one stopped. Each job supplies only its position (the `S` of [`Checkpoint<S>`]) and the
//! settings that name it; this module owns the rest: the format and its version, the refusal of
//! another job's file, atomic replacement and the thread that writes while the job runs.
//!
//! A checkpoint names its job ([`Job`]: the tool, the table and endpoint, the input and the
//! options that change what is written); one made for another job is refused before anything is
//! read or written, naming what differs. A file of an older layout is read through the job's
//! `upgrade` ([`Checkpoint::load_with`]), or refused saying why. It is replaced atomically ([`atomic_file::write`]:
//! a temporary file in the same directory, fsync, rename), so a kill at any moment leaves the old
//! or the new checkpoint, never a torn one. While a job runs, a [`Saver`] thread writes the latest
//! state whenever the last write is done: the job never waits for the disk, and the file is at
//! most one write behind.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use anyhow::{bail, Context as _, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::atomic_file;

/// The format's version.
const VERSION: u32 = 1;

/// What a checkpoint belongs to: the tool, and every setting that changes what the job reads or
/// writes (table, endpoint, input files, output file, segments, ...), as name and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// `import` or `export`.
    pub tool: String,
    /// The settings, by name.
    pub settings: Map<String, Value>,
}

impl Job {
    /// A job of `tool` with no settings yet.
    pub fn new(tool: &str) -> Job {
        Job {
            tool: tool.to_string(),
            settings: Map::new(),
        }
    }

    /// Adds a setting.
    pub fn with(mut self, name: &str, value: impl Serialize) -> Job {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.settings.insert(name.to_string(), value);
        self
    }

    /// The settings that differ from `other`'s, as "name: was A, now B".
    fn differences(&self, other: &Job) -> Vec<String> {
        let mut names: Vec<&String> = self.settings.keys().chain(other.settings.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let (was, now) = (self.settings.get(name), other.settings.get(name));
                (was != now).then(|| format!("{name}: was {}, now {}", show(was), show(now)))
            })
            .collect()
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "none".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A checkpoint: its job, the job's state (`S`, the tool's own), and whether the job finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint<S> {
    /// The format version.
    pub version: u32,
    /// The job it belongs to.
    pub job: Job,
    /// How far the job got.
    pub state: S,
    /// The job finished: a re-run has nothing left to do.
    pub complete: bool,
}

impl<S: Serialize + DeserializeOwned> Checkpoint<S> {
    /// A new checkpoint of `job` at `state`.
    pub fn new(job: Job, state: S) -> Checkpoint<S> {
        Checkpoint {
            version: VERSION,
            job,
            state,
            complete: false,
        }
    }

    /// The checkpoint at `path` for `job` and `true` (the run resumes), or, when there is no file
    /// yet, a new one at `S`'s default state and `false`.
    pub fn open(path: &Path, job: Job) -> Result<(Checkpoint<S>, bool)>
    where
        S: Default,
    {
        Ok(match Checkpoint::load(path, &job)? {
            Some(checkpoint) => (checkpoint, true),
            None => (Checkpoint::new(job, S::default()), false),
        })
    }

    /// Reads the checkpoint at `path` for `job`: `None` when there is no file yet; an error when
    /// it is not a checkpoint of this version, or belongs to another job (naming what differs).
    pub fn load(path: &Path, job: &Job) -> Result<Option<Checkpoint<S>>> {
        Checkpoint::load_with(path, job, |_| None)
    }

    /// [`Checkpoint::load`], reading a file of an older layout through `upgrade`: given the
    /// file's JSON, it returns the same checkpoint in today's layout, or `None` when the file is
    /// not of an older layout it knows.
    pub fn load_with(
        path: &Path,
        job: &Job,
        upgrade: impl FnOnce(&Value) -> Option<Value>,
    ) -> Result<Option<Checkpoint<S>>> {
        let Some(text) = read_text(path)? else {
            return Ok(None);
        };
        let raw: Value = serde_json::from_str(&text)
            .with_context(|| format!("the checkpoint {} is not JSON", path.display()))?;
        let raw = upgrade(&raw).unwrap_or(raw);
        let version = raw.get("version").and_then(Value::as_u64);
        let tool = raw.pointer("/job/tool").and_then(Value::as_str);
        if tool != Some(job.tool.as_str()) || version.is_none() {
            bail!(
                "{} is not a checkpoint of {} (it was written by {}): pass another --checkpoint file",
                path.display(),
                job.tool,
                tool.map_or("something else".to_string(), |t| t.to_string())
            );
        }
        if version != Some(u64::from(VERSION)) {
            bail!(
                "the checkpoint {} has version {}, this {} reads version {VERSION}",
                path.display(),
                version.unwrap_or(0),
                job.tool
            );
        }
        let checkpoint: Checkpoint<S> = serde_json::from_value(raw)
            .with_context(|| format!("reading the checkpoint {}", path.display()))?;
        let differences = checkpoint.job.differences(job);
        if !differences.is_empty() {
            bail!(
                "the checkpoint {} was made for another {} ({}): run the same command as before \
                 to resume it, or remove the file to start afresh",
                path.display(),
                job.tool,
                differences.join("; ")
            );
        }
        Ok(Some(checkpoint))
    }

    /// Writes the checkpoint to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        save(path, self)
    }
}

/// A job's checkpoint file and what it holds.
#[derive(Debug, Clone)]
pub struct CheckpointFile<S> {
    /// The file.
    pub path: PathBuf,
    /// What it holds (a new one at the start when there was no file).
    pub checkpoint: Checkpoint<S>,
    /// It was read from the file: this run resumes.
    pub resumed: bool,
}

impl<S: Serialize + DeserializeOwned + Default> CheckpointFile<S> {
    /// Reads the checkpoint at `path` for `job` (refused when made for another job), or starts
    /// a new one.
    pub fn open(path: &Path, job: Job) -> Result<CheckpointFile<S>> {
        let (checkpoint, resumed) = Checkpoint::open(path, job)?;
        Ok(CheckpointFile {
            path: path.to_path_buf(),
            checkpoint,
            resumed,
        })
    }
}

/// An input file as a job names it: its full path, size and modification time (a file changed
/// since is another job's input: its checkpoint is refused, not resumed).
pub fn input_file(file: &Path) -> Result<Value> {
    let meta = fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
    let path = fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().to_string());
    Ok(serde_json::json!({
        "path": path.display().to_string(),
        "bytes": meta.len(),
        "modified": modified,
    }))
}

/// The text of the checkpoint file at `path`; `None` when there is no such file yet.
pub fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading the checkpoint {}", path.display())),
    }
}

/// A checkpoint's file contents: `checkpoint` as indented JSON and a final newline.
fn file_bytes(checkpoint: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(checkpoint)?;
    text.push(b'\n');
    Ok(text)
}

/// Replaces the checkpoint file at `path` with `checkpoint` atomically ([`atomic_file::write`]:
/// a temporary file in the same directory, fsync, rename, then fsync of the directory).
pub fn save(path: &Path, checkpoint: &impl Serialize) -> Result<()> {
    let what = || format!("writing the checkpoint {}", path.display());
    let text = file_bytes(checkpoint).with_context(what)?;
    atomic_file::write(path, &text).with_context(what)
}

struct Slot {
    /// The newest state not yet written.
    pending: Option<Vec<u8>>,
    /// No more states will come.
    closed: bool,
    /// The first write that failed.
    failed: Option<Arc<io::Error>>,
}

/// Writes a checkpoint's newest state from a thread of its own, so that the job never waits for
/// the disk: [`Saver::offer`] leaves the state and returns; the thread writes whatever is newest
/// once the previous write is done (states in between are skipped, never written out of order).
/// With `data`, the output file is synced first, so the checkpoint never counts bytes that a
/// crash of the machine could lose.
pub struct Saver {
    path: PathBuf,
    shared: Arc<(Mutex<Slot>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Saver {
    /// Starts the thread writing to `path`, syncing `data` before each write when given.
    pub fn start(path: &Path, data: Option<File>) -> Saver {
        let shared = Arc::new((
            Mutex::new(Slot {
                pending: None,
                closed: false,
                failed: None,
            }),
            Condvar::new(),
        ));
        let thread = {
            let shared = shared.clone();
            let path = path.to_path_buf();
            std::thread::spawn(move || save_loop(&path, data, &shared))
        };
        Saver {
            path: path.to_path_buf(),
            shared,
            thread: Some(thread),
        }
    }

    /// Leaves `checkpoint` to be written, replacing any state not written yet.
    pub fn offer<S: Serialize>(&self, checkpoint: &Checkpoint<S>) {
        let Ok(text) = file_bytes(checkpoint) else {
            return;
        };
        let (lock, wake) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.pending = Some(text);
            wake.notify_one();
        }
    }

    /// The first write that failed, if any (the job should stop: it could not be resumed).
    pub fn failure(&self) -> Option<anyhow::Error> {
        let (lock, _) = &*self.shared;
        let slot = lock.lock().ok()?;
        slot.failed.as_ref().map(|e| {
            anyhow::Error::new(e.clone())
                .context(format!("writing the checkpoint {}", self.path.display()))
        })
    }

    /// Writes what is pending, stops the thread, and returns the first failure.
    pub fn close(mut self) -> Result<()> {
        self.stop();
        match self.failure() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        let (lock, wake) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.closed = true;
            wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn save_loop(path: &Path, data: Option<File>, shared: &(Mutex<Slot>, Condvar)) {
    let (lock, wake) = shared;
    loop {
        let text = {
            let Ok(mut slot) = lock.lock() else { return };
            loop {
                if let Some(text) = slot.pending.take() {
                    break text;
                }
                if slot.closed {
                    return;
                }
                slot = match wake.wait(slot) {
                    Ok(slot) => slot,
                    Err(_) => return,
                };
            }
        };
        let written = match &data {
            Some(file) => file
                .sync_data()
                .and_then(|()| atomic_file::write(path, &text)),
            None => atomic_file::write(path, &text),
        };
        if let Err(err) = written {
            if let Ok(mut slot) = lock.lock() {
                slot.failed.get_or_insert(Arc::new(err));
            }
            return;
        }
    }
}

/// A new empty folder under the system's temporary one, for tests of files.
#[cfg(test)]
pub(crate) fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(table: &str) -> Job {
        Job::new("import")
            .with("table", table)
            .with("input", vec!["a.jsonl"])
    }

    #[test]
    fn loads_back_what_was_saved_and_refuses_another_job_naming_what_differs() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("c.json");
        assert!(Checkpoint::<u64>::load(&path, &job("t")).unwrap().is_none());
        let mut c = Checkpoint::new(job("t"), 41u64);
        c.save(&path).unwrap();
        c.state = 42;
        c.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path, &job("t")).unwrap(), Some(c));

        let err = format!(
            "{:#}",
            Checkpoint::<u64>::load(&path, &job("u")).unwrap_err()
        );
        assert!(err.contains("table: was t, now u"), "{err}");
        assert!(err.contains("another import"), "{err}");
        let export = Job::new("export").with("table", "t");
        let err = format!("{:#}", Checkpoint::<u64>::load(&path, &export).unwrap_err());
        assert!(err.contains("not a checkpoint of export"), "{err}");

        fs::write(&path, "{\"hello\": 1}").unwrap();
        let err = format!(
            "{:#}",
            Checkpoint::<u64>::load(&path, &job("t")).unwrap_err()
        );
        assert!(err.contains("not a checkpoint of import"), "{err}");
        fs::write(&path, "not json").unwrap();
        let err = format!(
            "{:#}",
            Checkpoint::<u64>::load(&path, &job("t")).unwrap_err()
        );
        assert!(err.contains("is not JSON"), "{err}");
        // only the checkpoint is left: no temporary file
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_saver_writes_the_newest_state_last() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("c.json");
        let saver = Saver::start(&path, None);
        let mut c = Checkpoint::new(job("t"), 0u64);
        for i in 0..500 {
            c.state = i;
            saver.offer(&c);
        }
        saver.close().unwrap();
        let back: Checkpoint<u64> = Checkpoint::load(&path, &job("t")).unwrap().unwrap();
        assert_eq!(back.state, 499);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_checkpoint_that_cannot_be_written_is_an_error() {
        let dir = temp_dir("checkpoint");
        let path = dir.join("missing-dir").join("c.json");
        let saver = Saver::start(&path, None);
        saver.offer(&Checkpoint::new(job("t"), 1u64));
        let err = format!("{:#}", saver.close().unwrap_err());
        assert!(err.contains("writing the checkpoint"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_written_by_the_earlier_tools_are_read() {
        use crate::ops::cognito_import::ImportState as RestoreState;
        use crate::ops::export::checkpoint::ExportState;
        use crate::ops::import::checkpoint::ImportState;
        let dir = temp_dir("checkpoint");
        let path = dir.join("c.json");
        let settings = |tool: &str| Job::new(tool).with("table", "t");
        let file = |tool: &str, state: &str| {
            format!(
                "{{\n  \"version\": 1,\n  \"job\": {{\n    \"tool\": \"{tool}\",\n    \
                 \"settings\": {{\n      \"table\": \"t\"\n    }}\n  }},\n  \"state\": {state},\n  \
                 \"complete\": false\n}}\n"
            )
        };
        // As `import --checkpoint` wrote them.
        fs::write(
            &path,
            file(
                "import",
                r#"{"through": {"file": 1, "line": 7}, "items": 30}"#,
            ),
        )
        .unwrap();
        let c: Checkpoint<ImportState> = Checkpoint::load(&path, &settings("import"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.state.items, c.state.through.map(|m| (m.file, m.line))),
            (30, Some((1, 7)))
        );
        // As `export --checkpoint` wrote them.
        let state = r#"{"segments": {"0": {"after": {"pk": {"S": "a"}}}, "1": "done"}, "bytes": 9, "items": 2}"#;
        fs::write(&path, file("export", state)).unwrap();
        let c: Checkpoint<ExportState> = Checkpoint::load(&path, &settings("export"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.state.segments.len(), c.state.bytes, c.state.items),
            (2, 9, 2)
        );
        // As `cognito-import --checkpoint` wrote them.
        let state = r#"{"groups_done": true, "users_done": 5, "members_done": 0, "groups_created": 1,
            "users_created": 5, "users_updated": 0, "members_added": 0}"#;
        fs::write(&path, file("cognito-import", state)).unwrap();
        let c: Checkpoint<RestoreState> = Checkpoint::load(&path, &settings("cognito-import"))
            .unwrap()
            .unwrap();
        assert_eq!((c.state.users_done, c.state.groups_done), (5, true));
        // A version this one does not read is refused, saying so.
        fs::write(
            &path,
            file("import", "{}").replace("\"version\": 1", "\"version\": 2"),
        )
        .unwrap();
        let err = format!(
            "{:#}",
            Checkpoint::<ImportState>::load(&path, &settings("import")).unwrap_err()
        );
        assert!(
            err.contains("has version 2, this import reads version 1"),
            "{err}"
        );
        // A state the tool cannot read names the file, and keeps serde's cause.
        fs::write(&path, file("import", r#"{"items": "many"}"#)).unwrap();
        let err = format!(
            "{:#}",
            Checkpoint::<ImportState>::load(&path, &settings("import")).unwrap_err()
        );
        assert!(
            err.contains("reading the checkpoint") && err.contains("invalid type"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
