//! `import`: loads items into the messages table from DynamoDB JSON lines: what `export` writes
//! (`{"Item":{...}}`), the data files of DynamoDB's native Export to S3 (the same lines, gzipped),
//! or what `scan --raw --output jsonl` prints (bare typed items). Gzip is recognised by its magic
//! bytes, whatever the file is called.
//!
//! Nothing is written before the input is known to be good: [`prepare`] checks the table's key
//! schema (`pk` HASH, `sk` RANGE) and, for files, reads every line once, checking its key and its
//! size against DynamoDB's 400 KB item limit ([`check_item_size`]); [`execute`] then reads
//! them again and writes them through the shared batch engine
//! ([`batch_write_within`](crate::ddb::batch::batch_write_within), inside the write budget). Standard input cannot be read twice, so it
//! is checked a batch at a time, each batch before it is sent; a bad line then stops the import
//! with an error saying how many items were written before it.
//!
//! Puts overwrite, so importing the same input again leaves the same table. BatchWriteItem refuses
//! two requests for one key in a batch, so within a batch the last line of a key wins.

pub mod checkpoint;
mod read;
mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType, WriteRequest};

use crate::context::Context;
use crate::ddb::batch::{put_request, write_batches_within, WriteOptions, BATCH_SIZE};
use crate::ddb::capacity::write_units;
use crate::ddb::capacity::{CapacityStats, Governor};
use crate::ddb::item::Item;
use crate::ddb::shape::{message_keys, KeyTypes};
use crate::ddb::size::{check_item_size, item_size};
use crate::model::keys::{PK, SK};

use crate::ops::checkpoint::Saver;
use checkpoint::{BatchTag, ImportCheckpoint, Watermark};
use read::Lines;
pub use read::{expand, parse_line, Mark, Position};
pub use run::{run, ImportRequest};

/// Where the items come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`--file -`).
    Stdin,
    /// Files, in this order. A directory stands for the `*.json.gz` files under it (a downloaded
    /// Export to S3), sorted by path.
    Files(Vec<PathBuf>),
    /// Objects read through a store (the data files of an export in S3), in this order.
    Remote(Remote),
}

/// Opens the objects of a [`Remote`] source, by their place in it.
pub trait OpenObject: Send + Sync {
    /// A reader of the object at `index` (plain or gzip: recognised by its magic bytes).
    fn open(&self, index: usize) -> Result<Box<dyn std::io::Read>>;
}

/// Objects read through a store: their names (in messages and checkpoints), what identifies
/// them (a checkpoint's input: keys, sizes, ETags) and how to open them.
#[derive(Clone)]
pub struct Remote {
    /// Each object's name, e.g. `s3://bucket/key`.
    pub names: Vec<String>,
    /// What a checkpoint records as the input, to refuse resuming over changed objects.
    pub identity: serde_json::Value,
    /// The items each object should hold (an export's manifest counts them), checked with
    /// every line before the first write.
    pub expected: Vec<Option<u64>>,
    /// Opens them.
    pub opener: Arc<dyn OpenObject>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("names", &self.names)
            .finish()
    }
}

impl PartialEq for Remote {
    fn eq(&self, other: &Remote) -> bool {
        self.names == other.names && self.identity == other.identity
    }
}

impl Eq for Remote {}

impl Remote {
    /// Refuses an object whose items (`counts`, by object) are not those [`Remote::expected`]
    /// says; objects read only in part (up to a checkpoint's `after`) are not counted.
    fn check_counts(&self, counts: &[u64], after: Option<Mark>) -> Result<()> {
        let objects = self.names.iter().zip(&self.expected).zip(counts);
        for (index, ((name, expected), got)) in objects.enumerate() {
            let whole = after.is_none_or(|mark| index > mark.file);
            match expected {
                Some(want) if whole && want != got => bail!(
                    "{name}: {got} items, but the export's manifest counts {want}: nothing was                      written"
                ),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The table's key: the types of `pk` and `sk`, as [`message_keys`] read them.
pub type KeySchema = KeyTypes;

/// Checks that `item` has both key attributes, of the table's types.
pub fn check_keys(keys: &KeySchema, item: &Item) -> Result<()> {
    for (name, want) in [(PK, &keys.pk), (SK, &keys.sk)] {
        let ok = match (item.get(name), want) {
            (None, _) => bail!("the item has no {name:?} (the table's key is pk, sk)"),
            (Some(AttributeValue::S(s)), ScalarAttributeType::S) => !s.is_empty(),
            (Some(AttributeValue::N(_)), ScalarAttributeType::N) => true,
            (Some(AttributeValue::B(b)), ScalarAttributeType::B) => !b.as_ref().is_empty(),
            _ => false,
        };
        if !ok {
            bail!(
                "key attribute {name:?} must be a non-empty {} value, as the table defines it",
                want.as_str()
            );
        }
    }
    Ok(())
}

/// A checked import, ready to write.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where the items come from (directories expanded).
    pub source: Source,
    /// The table's key.
    pub keys: KeySchema,
    /// Items counted by the check (`None` for standard input, which is checked while writing);
    /// with a checkpoint, the items after its mark.
    pub items: Option<u64>,
    /// The write units those items cost (each its size rounded up to 1 KB), like `items`.
    pub units: Option<f64>,
    /// `--checkpoint`: where the import stands, and the file it is recorded in.
    pub checkpoint: Option<ImportCheckpoint>,
}

impl Plan {
    /// The mark the import reads on after (a resumed checkpoint's), `None` from the start.
    fn after(&self) -> Option<Mark> {
        self.checkpoint
            .as_ref()
            .and_then(|c| c.checkpoint.state.through)
    }
}

/// Checks the table's key schema and, for files, every line (the error names the file and
/// line). With `checkpoint` (files only), the import resumes from the checkpoint in that file if
/// there is one (refused when it was made for another table or input), and only the lines after
/// its mark are checked.
pub async fn prepare(ctx: &Context, source: Source, checkpoint: Option<&Path>) -> Result<Plan> {
    let source = match source {
        Source::Files(paths) => Source::Files(expand(&paths)?),
        other => other,
    };
    let checkpoint = match (checkpoint, &source) {
        (None, _) => None,
        (Some(_), Source::Stdin) => bail!(
            "--checkpoint needs files: standard input cannot be read again from a position \
             (save it to a file and give that)"
        ),
        (Some(path), Source::Files(files)) => {
            Some(checkpoint::open(path, checkpoint::job(ctx, files)?)?)
        }
        (Some(path), Source::Remote(remote)) => Some(checkpoint::open(
            path,
            checkpoint::job_of(ctx, remote.identity.clone()),
        )?),
    };
    let keys = message_keys(ctx, ctx.table(), false).await?;
    let after = checkpoint.as_ref().and_then(|c| c.checkpoint.state.through);
    let (items, units) = match &source {
        Source::Stdin => (None, None),
        Source::Files(_) => {
            let checked = check_all(&source, &keys, after)?;
            (Some(checked.items), Some(checked.units))
        }
        Source::Remote(remote) => {
            let mut counts = vec![0u64; remote.names.len()];
            let checked = check_each(&source, &keys, after, |file| {
                if let Some(n) = counts.get_mut(file) {
                    *n += 1;
                }
            })?;
            remote.check_counts(&counts, after)?;
            (Some(checked.items), Some(checked.units))
        }
    };
    Ok(Plan {
        source,
        keys,
        items,
        units,
        checkpoint,
    })
}

/// The checks of one item: its key, and its size against the item limit.
fn check_line(keys: &KeySchema, item: &Item) -> Result<()> {
    check_keys(keys, item)?;
    check_item_size(item)
}

/// What [`check_all`] found: how many items, and the write units they cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checked {
    /// Items read and checked.
    pub items: u64,
    /// Their write units, each item's size rounded up to 1 KB.
    pub units: f64,
}

/// Reads every item of `source` (after `after`, when given) and checks its key and size.
pub fn check_all(source: &Source, keys: &KeySchema, after: Option<Mark>) -> Result<Checked> {
    check_each(source, keys, after, |_| {})
}

/// [`check_all`], calling `each(file)` with the place of each item's file in the source.
pub fn check_each(
    source: &Source,
    keys: &KeySchema,
    after: Option<Mark>,
    mut each: impl FnMut(usize),
) -> Result<Checked> {
    let mut lines = Lines::new(source).after(after);
    let mut checked = Checked {
        items: 0,
        units: 0.0,
    };
    while let Some((item, position)) = lines.next_item()? {
        check_line(keys, &item).with_context(|| format!("{position}: nothing was written"))?;
        checked.items += 1;
        checked.units += write_units(item_size(&item));
        each(position.index);
    }
    Ok(checked)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// Items written (after duplicates within a batch were merged).
    pub written: u64,
    /// Lines that repeated a key already in their batch (the later line won).
    pub duplicates: u64,
    /// How long the writing took.
    pub elapsed: Duration,
    /// The write budget and what the writes consumed.
    pub capacity: CapacityStats,
    /// With a checkpoint: items written by earlier runs (up to the checkpoint's mark).
    pub earlier: Option<u64>,
}

/// The batches of a source, [`BATCH_SIZE`] distinct keys each: each is read and checked whole
/// before it is handed out, so a bad line stops the import before its batch is sent. Each comes
/// with its [`BatchTag`]: its number and the last line it holds.
struct Requests {
    lines: Lines,
    keys: KeySchema,
    seq: u64,
    failure: Arc<Mutex<Option<anyhow::Error>>>,
    duplicates: Arc<Mutex<u64>>,
    done: bool,
}

impl Requests {
    fn new(plan: &Plan, failure: &Arc<Mutex<Option<anyhow::Error>>>) -> Requests {
        Requests {
            lines: Lines::new(&plan.source).after(plan.after()),
            keys: plan.keys.clone(),
            seq: 0,
            failure: failure.clone(),
            duplicates: Arc::new(Mutex::new(0)),
            done: false,
        }
    }

    fn fill(&mut self) -> Result<Option<(BatchTag, Vec<WriteRequest>)>> {
        let mut batch: Vec<Item> = Vec::with_capacity(BATCH_SIZE);
        let mut index: HashMap<String, usize> = HashMap::with_capacity(BATCH_SIZE);
        let mut first: Option<Position> = None;
        let mut last: Option<Mark> = None;
        while batch.len() < BATCH_SIZE {
            let next = self
                .lines
                .next_item()
                .map_err(|e| self.stopped(e, &first))?;
            let Some((item, position)) = next else {
                self.done = true;
                break;
            };
            if let Err(err) = check_line(&self.keys, &item) {
                let err = err.context(position.to_string());
                return Err(self.stopped(err, &first.or(Some(position))));
            }
            last = Some(position.mark());
            first.get_or_insert(position);
            let key = format!("{:?}/{:?}", item.get(PK), item.get(SK));
            match index.get(&key) {
                Some(&at) => {
                    batch[at] = item;
                    if let Ok(mut d) = self.duplicates.lock() {
                        *d += 1;
                    }
                }
                None => {
                    index.insert(key, batch.len());
                    batch.push(item);
                }
            }
        }
        let Some(last) = last else { return Ok(None) };
        let tag = BatchTag {
            seq: self.seq,
            last,
            items: batch.len() as u64,
        };
        self.seq += 1;
        let requests = batch.into_iter().map(put_request).collect::<Result<_>>()?;
        Ok(Some((tag, requests)))
    }

    fn stopped(&self, err: anyhow::Error, first: &Option<Position>) -> anyhow::Error {
        match first {
            Some(p) => err.context(format!(
                "nothing from {p} on was written (its batch was not sent)"
            )),
            None => err.context("nothing from this line on was written"),
        }
    }
}

impl Iterator for Requests {
    type Item = (BatchTag, Vec<WriteRequest>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.fill() {
            Ok(batch) => batch,
            Err(err) => {
                self.done = true;
                if let Ok(mut failure) = self.failure.lock() {
                    *failure = Some(err);
                }
                None
            }
        }
    }
}

/// Writes the plan's items (concurrent, retried BatchWriteItem calls) inside `governor`'s write
/// budget; `progress(written)` after each batch. With a checkpoint, it is written before the
/// first batch (so a checkpoint that cannot be written stops the import before it starts), moved
/// on as batches finish, and marked complete at the end.
pub async fn execute(
    ctx: &Context,
    plan: Plan,
    options: WriteOptions,
    governor: &Governor,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport> {
    let started = Instant::now();
    let failure = Arc::new(Mutex::new(None));
    let requests = Requests::new(&plan, &failure);
    let duplicates = requests.duplicates.clone();
    let mut checkpoint = plan.checkpoint;
    let earlier = checkpoint.as_ref().map(|c| c.checkpoint.state.items);
    let saver = match &checkpoint {
        Some(c) if !c.checkpoint.complete => {
            c.checkpoint.save(&c.path)?;
            Some(Saver::start(&c.path, None))
        }
        _ => None,
    };
    let mut watermark = checkpoint
        .as_ref()
        .map(|c| Watermark::from_state(&c.checkpoint.state));
    let written = if checkpoint.as_ref().is_some_and(|c| c.checkpoint.complete) {
        Ok(0)
    } else {
        write_batches_within(
            ctx,
            ctx.table(),
            requests,
            options,
            governor,
            |done, tag| {
                if let (Some(w), Some(saver), Some(c)) = (&mut watermark, &saver, &mut checkpoint) {
                    if w.finished(tag) {
                        c.checkpoint.state = w.state();
                        saver.offer(&c.checkpoint);
                    }
                }
                progress(done)
            },
        )
        .await
    };
    if let Some(saver) = saver {
        saver.close()?;
    }
    let written = written?;
    let failed = failure.lock().ok().and_then(|mut f| f.take());
    if let Some(err) = failed {
        return Err(err.context(format!(
            "importing into table {}: {written} items had been written before the bad line",
            ctx.table()
        )));
    }
    if let Some(c) = &mut checkpoint {
        if !c.checkpoint.complete {
            c.checkpoint.complete = true;
            c.checkpoint.save(&c.path)?;
        }
    }
    let duplicates = duplicates.lock().map(|d| *d).unwrap_or(0);
    Ok(ImportReport {
        written,
        duplicates,
        elapsed: started.elapsed(),
        capacity: governor.stats(),
        earlier,
    })
}

#[cfg(test)]
mod tests;
