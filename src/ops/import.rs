//! `import`: loads items into the messages table from DynamoDB JSON lines: what `export` writes
//! (`{"Item":{...}}`), the data files of DynamoDB's native Export to S3 (the same lines, gzipped),
//! or what `scan --raw --output jsonl` prints (bare typed items). Gzip is recognised by its magic
//! bytes, whatever the file is called.
//!
//! Nothing is written before the input is known to be good: [`prepare`] checks the table's key
//! schema (`pk` HASH, `sk` RANGE) and, for files, reads every line once, checking its key and its
//! size against DynamoDB's 400 KB item limit ([`check_item_size`]); [`execute`] then reads
//! them again and writes them through the shared batch engine
//! ([`batch_write`](crate::ddb::batch::batch_write)). Standard input cannot be read twice, so it
//! is checked a batch at a time, each batch before it is sent; a bad line then stops the import
//! with an error saying how many items were written before it.
//!
//! Puts overwrite, so importing the same input again leaves the same table. BatchWriteItem refuses
//! two requests for one key in a batch, so within a batch the last line of a key wins.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use aws_sdk_dynamodb::types::{AttributeValue, KeyType, ScalarAttributeType, WriteRequest};
use flate2::read::MultiGzDecoder;
use serde_json::Value;

use crate::context::Context;
use crate::ddb::batch::{batch_write, put_request, WriteOptions, BATCH_SIZE};
use crate::ddb::item::{item_from_typed_json, Item};
use crate::ddb::size::check_item_size;
use crate::ddb::table;
use crate::model::keys::{PK, SK};

/// Where the items come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`--file -`).
    Stdin,
    /// Files, in this order. A directory stands for the `*.json.gz` files under it (a downloaded
    /// Export to S3), sorted by path.
    Files(Vec<PathBuf>),
}

/// The table's key: attribute names and types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    /// The partition key's type (`pk`).
    pub pk: ScalarAttributeType,
    /// The sort key's type (`sk`).
    pub sk: ScalarAttributeType,
}

impl KeySchema {
    /// Checks that `item` has both key attributes, of the table's types.
    pub fn check(&self, item: &Item) -> Result<()> {
        for (name, want) in [(PK, &self.pk), (SK, &self.sk)] {
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
}

/// Reads the key schema of `table` and refuses any other shape than `pk` HASH + `sk` RANGE.
pub async fn key_schema(ctx: &Context, table_name: &str) -> Result<KeySchema> {
    let Some(desc) = table::describe(ctx, table_name).await? else {
        bail!(
            "table {table_name} does not exist on {} (create it with `schema-load`)",
            ctx.dynamodb_endpoint
        );
    };
    let keys: Vec<(String, KeyType)> = desc
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
        .collect();
    let expected = [
        (PK.to_string(), KeyType::Hash),
        (SK.to_string(), KeyType::Range),
    ];
    if keys != expected {
        let shown: Vec<String> = keys
            .iter()
            .map(|(n, t)| format!("{n} {}", t.as_str()))
            .collect();
        bail!(
            "table {table_name} has the key ({}), not (pk HASH, sk RANGE): import only loads tables of the messages table's shape",
            shown.join(", ")
        );
    }
    let kind = |name: &str| {
        desc.attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == name)
            .map(|d| d.attribute_type().clone())
            .with_context(|| format!("table {table_name} does not define key attribute {name}"))
    };
    Ok(KeySchema {
        pk: kind(PK)?,
        sk: kind(SK)?,
    })
}

/// Reads one line: `None` when blank, else the item of `{"Item":{...}}` or of a bare typed item.
pub fn parse_line(line: &str) -> Result<Option<Item>> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(line).map_err(|e| anyhow!("not JSON: {e}"))?;
    let typed = match &value {
        Value::Object(o) if o.len() == 1 && o.contains_key("Item") => &o["Item"],
        Value::Object(_) => &value,
        _ => bail!("expected a JSON object (an item in DynamoDB JSON)"),
    };
    item_from_typed_json(typed).map(Some)
}

/// Opens `path` (or standard input), decompressing gzip when it starts with gzip's magic bytes.
fn open(path: Option<&Path>) -> Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = match path {
        Some(path) => {
            Box::new(File::open(path).with_context(|| format!("opening {}", path.display()))?)
        }
        None => Box::new(io::stdin()),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let head = reader
        .fill_buf()
        .with_context(|| format!("reading {}", name(path)))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

fn name(path: Option<&Path>) -> String {
    path.map_or_else(|| "standard input".to_string(), |p| p.display().to_string())
}

/// The files a source names: directories expanded to the `*.json.gz` files under them.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            collect_gz(path, &mut found)?;
            if found.is_empty() {
                bail!("directory {} holds no *.json.gz data files", path.display());
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect_gz(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        if path.is_dir() {
            collect_gz(&path, found)?;
        } else if path.to_string_lossy().ends_with(".json.gz") {
            found.push(path);
        }
    }
    Ok(())
}

/// Where a line is: file (or standard input) and line number (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file, `None` for standard input.
    pub file: Option<PathBuf>,
    /// The line, from 1.
    pub line: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}: line {}", file.display(), self.line),
            None => write!(f, "standard input: line {}", self.line),
        }
    }
}

/// Reads items from files or standard input, one line at a time, knowing where it is.
struct Lines {
    files: std::vec::IntoIter<Option<PathBuf>>,
    current: Option<(Option<PathBuf>, Box<dyn BufRead>, u64)>,
    buf: String,
}

impl Lines {
    fn new(source: &Source) -> Lines {
        let files: Vec<Option<PathBuf>> = match source {
            Source::Stdin => vec![None],
            Source::Files(files) => files.iter().cloned().map(Some).collect(),
        };
        Lines {
            files: files.into_iter(),
            current: None,
            buf: String::new(),
        }
    }

    /// The next item and where it was, `None` at the end of the last file.
    fn next_item(&mut self) -> Result<Option<(Item, Position)>> {
        loop {
            if self.current.is_none() {
                let Some(file) = self.files.next() else {
                    return Ok(None);
                };
                let reader = open(file.as_deref())?;
                self.current = Some((file, reader, 0));
            }
            let Some((file, reader, line)) = &mut self.current else {
                continue;
            };
            self.buf.clear();
            *line += 1;
            let position = || Position {
                file: file.clone(),
                line: *line,
            };
            let read = reader
                .read_line(&mut self.buf)
                .with_context(|| format!("{}: reading", position()))?;
            if read == 0 {
                self.current = None;
                continue;
            }
            match parse_line(&self.buf).with_context(|| position().to_string())? {
                Some(item) => return Ok(Some((item, position()))),
                None => continue,
            }
        }
    }
}

/// A checked import, ready to write.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where the items come from (directories expanded).
    pub source: Source,
    /// The table's key.
    pub keys: KeySchema,
    /// Items counted by the check (`None` for standard input, which is checked while writing).
    pub items: Option<u64>,
}

/// Checks the table's key schema and, for files, every line (the error names the file and line).
pub async fn prepare(ctx: &Context, source: Source) -> Result<Plan> {
    let source = match source {
        Source::Files(paths) => Source::Files(expand(&paths)?),
        Source::Stdin => Source::Stdin,
    };
    let keys = key_schema(ctx, ctx.table()).await?;
    let items = match &source {
        Source::Stdin => None,
        Source::Files(_) => Some(check_all(&source, &keys)?),
    };
    Ok(Plan {
        source,
        keys,
        items,
    })
}

/// The checks of one item: its key, and its size against the item limit.
fn check_line(keys: &KeySchema, item: &Item) -> Result<()> {
    keys.check(item)?;
    check_item_size(item)
}

/// Reads every item of `source` and checks its key and size; returns how many there are.
pub fn check_all(source: &Source, keys: &KeySchema) -> Result<u64> {
    let mut lines = Lines::new(source);
    let mut count = 0;
    while let Some((item, position)) = lines.next_item()? {
        check_line(keys, &item).with_context(|| format!("{position}: nothing was written"))?;
        count += 1;
    }
    Ok(count)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Items written (after duplicates within a batch were merged).
    pub written: u64,
    /// Lines that repeated a key already in their batch (the later line won).
    pub duplicates: u64,
    /// How long the writing took.
    pub elapsed: Duration,
}

/// The write requests of a source, [`BATCH_SIZE`] distinct keys at a time: each group is read
/// and checked whole before any of it is handed out, so a bad line stops the import before its
/// batch is sent. Groups line up with the batch engine's batches (each holds exactly
/// `BATCH_SIZE`, but the last).
struct Requests {
    lines: Lines,
    keys: KeySchema,
    ready: std::vec::IntoIter<WriteRequest>,
    failure: Arc<Mutex<Option<anyhow::Error>>>,
    duplicates: Arc<Mutex<u64>>,
    done: bool,
}

impl Requests {
    fn fill(&mut self) -> Result<Vec<WriteRequest>> {
        let mut batch: Vec<Item> = Vec::with_capacity(BATCH_SIZE);
        let mut index: HashMap<String, usize> = HashMap::with_capacity(BATCH_SIZE);
        let mut first: Option<Position> = None;
        while batch.len() < BATCH_SIZE {
            let next = self
                .lines
                .next_item()
                .map_err(|e| self.stopped(e, &first))?;
            let Some((item, position)) = next else { break };
            if let Err(err) = check_line(&self.keys, &item) {
                let err = err.context(position.to_string());
                return Err(self.stopped(err, &first.or(Some(position))));
            }
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
        Ok(batch.into_iter().map(put_request).collect())
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
    type Item = WriteRequest;

    fn next(&mut self) -> Option<WriteRequest> {
        if let Some(request) = self.ready.next() {
            return Some(request);
        }
        if self.done {
            return None;
        }
        match self.fill() {
            Ok(batch) if batch.len() < BATCH_SIZE => {
                self.done = true;
                self.ready = batch.into_iter();
            }
            Ok(batch) => self.ready = batch.into_iter(),
            Err(err) => {
                self.done = true;
                if let Ok(mut failure) = self.failure.lock() {
                    *failure = Some(err);
                }
            }
        }
        self.ready.next()
    }
}

/// Writes the plan's items (concurrent, retried BatchWriteItem calls); `progress(written)` after
/// each batch.
pub async fn execute(
    ctx: &Context,
    plan: Plan,
    options: WriteOptions,
    progress: impl FnMut(u64),
) -> Result<ImportReport> {
    let started = Instant::now();
    let failure = Arc::new(Mutex::new(None));
    let duplicates = Arc::new(Mutex::new(0));
    let requests = Requests {
        lines: Lines::new(&plan.source),
        keys: plan.keys,
        ready: Vec::new().into_iter(),
        failure: failure.clone(),
        duplicates: duplicates.clone(),
        done: false,
    };
    let written = batch_write(ctx, ctx.table(), requests, options, progress).await?;
    let failed = failure.lock().ok().and_then(|mut f| f.take());
    if let Some(err) = failed {
        return Err(err.context(format!(
            "importing into table {}: {written} items had been written before the bad line",
            ctx.table()
        )));
    }
    let duplicates = duplicates.lock().map(|d| *d).unwrap_or(0);
    Ok(ImportReport {
        written,
        duplicates,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddb::item::s;
    use std::io::Write;

    fn keys() -> KeySchema {
        KeySchema {
            pk: ScalarAttributeType::S,
            sk: ScalarAttributeType::S,
        }
    }

    #[test]
    fn reads_export_lines_and_bare_items() {
        let want: Item = [(PK.to_string(), s("MSG#1")), (SK.to_string(), s("t"))].into();
        let export = r#"{"Item":{"pk":{"S":"MSG#1"},"sk":{"S":"t"}}}"#;
        let bare = r#"{"pk":{"S":"MSG#1"},"sk":{"S":"t"}}"#;
        assert_eq!(parse_line(export).unwrap(), Some(want.clone()));
        assert_eq!(parse_line(bare).unwrap(), Some(want));
        assert_eq!(parse_line("   \n").unwrap(), None);
        assert!(parse_line("[1]").is_err());
        assert!(parse_line("{not json").is_err());
        assert!(parse_line(r#"{"pk":"plain"}"#).is_err());
    }

    #[test]
    fn keys_must_match_the_table() {
        let k = keys();
        let ok: Item = [(PK.to_string(), s("a")), (SK.to_string(), s("b"))].into();
        k.check(&ok).unwrap();
        let no_sk: Item = [(PK.to_string(), s("a"))].into();
        assert!(k.check(&no_sk).unwrap_err().to_string().contains("\"sk\""));
        let number: Item = [
            (PK.to_string(), s("a")),
            (SK.to_string(), AttributeValue::N("1".into())),
        ]
        .into();
        assert!(k.check(&number).is_err());
        let empty: Item = [(PK.to_string(), s("")), (SK.to_string(), s("b"))].into();
        assert!(k.check(&empty).is_err());
    }

    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn gzip_is_found_by_its_magic_bytes_and_errors_name_the_line() {
        let text = "{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}}\n\n{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"2\"}}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gzipped = temp_file("data.bin", &gz.finish().unwrap());
        let plain = temp_file("data.json", text.as_bytes());
        let source = Source::Files(vec![gzipped.clone(), plain.clone()]);
        assert_eq!(check_all(&source, &keys()).unwrap(), 4);

        let bad = temp_file(
            "bad.json",
            format!("{text}{{\"pk\":{{\"S\":\"a\"}}}}\n").as_bytes(),
        );
        let err = check_all(&Source::Files(vec![bad.clone()]), &keys()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("nothing was written"), "{msg}");
        for p in [gzipped, plain, bad] {
            std::fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn an_item_over_400_kb_is_refused_with_its_file_and_line() {
        let line = |sk: u32, text: &str| {
            format!(
                "{{\"pk\":{{\"S\":\"p\"}},\"sk\":{{\"S\":\"{sk}\"}},\"t\":{{\"S\":\"{text}\"}}}}\n"
            )
        };
        let text = format!("{}{}", line(1, "hi"), line(2, &"x".repeat(420 * 1024)));
        let path = temp_file("huge.json", text.as_bytes());
        let err = check_all(&Source::Files(vec![path.clone()]), &keys()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains(&format!("{}: line 2", path.display())),
            "{msg}"
        );
        assert!(msg.contains("400 KB"), "{msg}");
        assert!(msg.contains("nothing was written"), "{msg}");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn duplicate_keys_in_a_batch_keep_the_last_line() {
        let mut text = String::new();
        for i in 0..30 {
            let k = if i == 3 { 1 } else { i }; // line 4 repeats the key of line 2
            text.push_str(&format!(
                "{{\"pk\":{{\"S\":\"p\"}},\"sk\":{{\"S\":\"{k}\"}},\"n\":{{\"N\":\"{i}\"}}}}\n"
            ));
        }
        let path = temp_file("dups.json", text.as_bytes());
        let duplicates = Arc::new(Mutex::new(0));
        let requests = Requests {
            lines: Lines::new(&Source::Files(vec![path.clone()])),
            keys: keys(),
            ready: Vec::new().into_iter(),
            failure: Arc::new(Mutex::new(None)),
            duplicates: duplicates.clone(),
            done: false,
        };
        let items: Vec<Item> = requests.map(|r| r.put_request.unwrap().item).collect();
        assert_eq!(items.len(), 29);
        assert_eq!(*duplicates.lock().unwrap(), 1);
        // the first batch holds 25 distinct keys, and key "1" carries line 4's value
        let first: std::collections::HashSet<String> = items[..25]
            .iter()
            .map(|i| format!("{:?}", i["sk"]))
            .collect();
        assert_eq!(first.len(), 25);
        let one = items.iter().find(|i| i["sk"] == s("1")).unwrap();
        assert_eq!(one["n"], AttributeValue::N("3".into()));
        std::fs::remove_file(path).unwrap();
    }
}
