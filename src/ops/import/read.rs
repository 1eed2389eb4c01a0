//! Reading `import`'s input: files (gzip recognised by its magic bytes) or standard input, one
//! DynamoDB JSON line at a time, each item with the file and line it came from.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Source;
use crate::ddb::item::{item_from_typed_json, Item};

/// Reads one line: `None` when blank, else the item of `{"Item":{...}}` or of a bare typed item.
pub fn parse_line(line: &str) -> Result<Option<Item>> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(line).context("not JSON")?;
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
    decompress(raw, path)
}

/// `raw` buffered, through gzip when it starts with gzip's magic bytes.
fn decompress(raw: Box<dyn Read>, path: Option<&Path>) -> Result<Box<dyn BufRead>> {
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
    /// The file's place among the source's files, from 0.
    pub index: usize,
}

impl Position {
    /// The position as a checkpoint records it.
    pub fn mark(&self) -> Mark {
        Mark {
            file: self.index,
            line: self.line,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}: line {}", file.display(), self.line),
            None => write!(f, "standard input: line {}", self.line),
        }
    }
}

/// A place in the input: the file's place among the source's files (from 0) and a line in it
/// (from 1). Marks order as the input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mark {
    /// The file's place among the source's files, from 0.
    pub file: usize,
    /// The line, from 1.
    pub line: u64,
}

/// The file being read: its place in the source, its name, the reader and the last line read.
type Open = (usize, Option<PathBuf>, Box<dyn BufRead>, u64);

/// Reads items from files or standard input, one line at a time, knowing where it is.
pub(super) struct Lines {
    files: std::iter::Enumerate<std::vec::IntoIter<Option<PathBuf>>>,
    /// How to open the objects of a remote source (their names are in `files`).
    remote: Option<std::sync::Arc<dyn super::OpenObject>>,
    current: Option<Open>,
    buf: String,
    /// Lines up to and including this mark are passed over unread (a resumed import).
    after: Option<Mark>,
}

impl Lines {
    pub(super) fn new(source: &Source) -> Lines {
        let files: Vec<Option<PathBuf>> = match source {
            Source::Stdin => vec![None],
            Source::Files(files) => files.iter().cloned().map(Some).collect(),
            Source::Remote(remote) => remote
                .names
                .iter()
                .map(|name| Some(PathBuf::from(name)))
                .collect(),
        };
        Lines {
            files: files.into_iter().enumerate(),
            remote: match source {
                Source::Remote(remote) => Some(remote.opener.clone()),
                _ => None,
            },
            current: None,
            buf: String::new(),
            after: None,
        }
    }

    /// Reads only what comes after `mark`: earlier files are not opened, earlier lines of its
    /// file are not parsed.
    pub(super) fn after(mut self, mark: Option<Mark>) -> Lines {
        self.after = mark;
        self
    }

    /// The next item and where it was, `None` at the end of the last file.
    pub(super) fn next_item(&mut self) -> Result<Option<(Item, Position)>> {
        loop {
            if self.current.is_none() {
                let Some((index, file)) = self.files.next() else {
                    return Ok(None);
                };
                if self.after.is_some_and(|m| index < m.file) {
                    continue;
                }
                let reader = match &self.remote {
                    Some(opener) => decompress(opener.open(index)?, file.as_deref())?,
                    None => open(file.as_deref())?,
                };
                self.current = Some((index, file, reader, 0));
            }
            let Some((index, file, reader, line)) = &mut self.current else {
                continue;
            };
            self.buf.clear();
            *line += 1;
            let position = || Position {
                file: file.clone(),
                line: *line,
                index: *index,
            };
            let read = reader
                .read_line(&mut self.buf)
                .with_context(|| format!("{}: reading", position()))?;
            if read == 0 {
                self.current = None;
                continue;
            }
            let mark = Mark {
                file: *index,
                line: *line,
            };
            if self.after.is_some_and(|after| mark <= after) {
                continue;
            }
            match parse_line(&self.buf).with_context(|| position().to_string())? {
                Some(item) => return Ok(Some((item, position()))),
                None => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddb::item::s;
    use crate::model::keys::{PK, SK};

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
}
