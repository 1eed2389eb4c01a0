//! `export`: every item of the messages table as DynamoDB JSON lines, in the shape DynamoDB's own
//! Export to S3 writes (`{"Item":{"pk":{"S":"..."},...}}`), optionally gzipped.
//!
//! Items are written as the scan's pages arrive ([`scan_pages`](crate::ddb::scan::scan_pages)),
//! so memory stays flat. A file is written under a temporary name beside it and renamed only once
//! complete ([`ExportFile`]), so a failed export never leaves a truncated file under the name asked for
//! ([`crate::atomic_file`]).

pub mod checkpoint;
mod run;

pub use run::{run, ExportRequest};

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

use crate::atomic_file::AtomicFile;
use crate::context::Context;
use crate::ddb::capacity::{CapacityStats, Governor};
use crate::ddb::item::{to_typed_json, Item};
use crate::ddb::scan::{self, ScanOptions};

/// Writes `item` as one line of an Export to S3 data file: `{"Item":{...typed JSON...}}`.
pub fn write_line<W: Write + ?Sized>(out: &mut W, item: &Item) -> io::Result<()> {
    out.write_all(b"{\"Item\":")?;
    let typed: Value = to_typed_json(item);
    serde_json::to_writer(&mut *out, &typed)?;
    out.write_all(b"}\n")
}

/// What an export did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// Items written.
    pub items: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// The read budget and what the scan consumed.
    pub capacity: CapacityStats,
    /// With a checkpoint: items exported by earlier runs.
    pub earlier: Option<u64>,
}

/// Scans the table with `options` inside `governor`'s read budget and writes every item to
/// `out` as a line of DynamoDB JSON; flushes at the end.
pub async fn export<W: Write>(
    ctx: &Context,
    options: ScanOptions,
    governor: &Governor,
    out: &mut W,
) -> Result<ExportReport> {
    let started = Instant::now();
    let items = scan::scan_pages_within(ctx, ctx.table(), options, governor, |page| {
        for item in page {
            write_line(out, item).context("writing the export")?;
        }
        Ok(())
    })
    .await?;
    out.flush().context("writing the export")?;
    Ok(ExportReport {
        items,
        elapsed: started.elapsed(),
        capacity: governor.stats(),
        earlier: None,
    })
}

/// What an export would read, from DescribeTable's figures (which DynamoDB refreshes about every
/// six hours): for `--segment K --total-segments N`, an N-th of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Items.
    pub items: u64,
    /// Bytes.
    pub bytes: u64,
    /// Read units of an eventually consistent scan of them: half a unit per 4 KB.
    pub units: f64,
}

/// Estimates what exporting the context's table with `options` reads (`export --dry-run`).
pub async fn estimate(ctx: &Context, options: &ScanOptions) -> Result<Estimate> {
    let desc = crate::ddb::table::describe(ctx, ctx.table())
        .await?
        .with_context(|| {
            format!(
                "table {} does not exist on {}",
                ctx.table(),
                ctx.dynamodb_endpoint
            )
        })?;
    let share = options.part.map_or(1, |p| u64::from(p.total.max(1)));
    let items = desc.item_count().unwrap_or(0).max(0) as u64 / share;
    let bytes = desc.table_size_bytes().unwrap_or(0).max(0) as u64 / share;
    Ok(Estimate {
        items,
        bytes,
        units: bytes.div_ceil(4096) as f64 / 2.0,
    })
}

/// A writer that is either plain or gzip (`--gzip`).
pub enum MaybeGzip<W: Write> {
    /// Bytes as they are.
    Plain(W),
    /// Gzip-compressed ([`flate2`]).
    Gzip(GzEncoder<W>),
}

impl<W: Write> MaybeGzip<W> {
    /// Wraps `out`, compressing when `gzip`.
    pub fn new(out: W, gzip: bool) -> MaybeGzip<W> {
        if gzip {
            MaybeGzip::Gzip(GzEncoder::new(out, Compression::default()))
        } else {
            MaybeGzip::Plain(out)
        }
    }

    /// Ends the gzip stream (its trailer) and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            MaybeGzip::Plain(out) => Ok(out),
            MaybeGzip::Gzip(gz) => gz.finish(),
        }
    }
}

impl<W: Write> Write for MaybeGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            MaybeGzip::Plain(out) => out.write(buf),
            MaybeGzip::Gzip(gz) => gz.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            MaybeGzip::Plain(out) => out.write_all(buf),
            MaybeGzip::Gzip(gz) => gz.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            MaybeGzip::Plain(out) => out.flush(),
            MaybeGzip::Gzip(gz) => gz.flush(),
        }
    }
}

/// Checks that `path` can be an export file: not a directory, in a directory that exists. Done
/// before the scan, so a wrong `--file` costs nothing.
pub fn check_destination(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!(
            "{} is a directory: --file takes the name of the file to write (e.g. {})",
            path.display(),
            path.join("messages.jsonl").display()
        );
    }
    if path.file_name().is_none() {
        bail!("{} is not a file name", path.display());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!(
            "cannot write {}: the directory {} does not exist",
            path.display(),
            parent.display()
        );
    }
    Ok(())
}

/// An export file being written under a temporary name in the same directory
/// (`.NAME.partial-XXXXXX`, an [`AtomicFile`]), renamed to its name by [`ExportFile::commit`].
/// Dropped before the rename succeeded (an error while scanning, finishing or renaming), it
/// removes the temporary file.
pub struct ExportFile {
    out: MaybeGzip<BufWriter<AtomicFile>>,
}

impl ExportFile {
    /// Checks the destination ([`check_destination`]) and creates the temporary file for `path`.
    pub fn create(path: &Path, gzip: bool) -> Result<ExportFile> {
        check_destination(path)?;
        let file = AtomicFile::create(path)
            .with_context(|| format!("creating a temporary file beside {}", path.display()))?;
        Ok(ExportFile {
            out: MaybeGzip::new(BufWriter::with_capacity(256 * 1024, file), gzip),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut MaybeGzip<BufWriter<AtomicFile>> {
        &mut self.out
    }

    /// Finishes the file (gzip trailer, flush, fsync) and renames it to its name.
    pub fn commit(self) -> Result<PathBuf> {
        let file = self
            .out
            .finish()
            .and_then(|buf| buf.into_inner().map_err(|e| e.into_error()))
            .context("finishing the export file")?;
        let (temp, path) = (file.temp_path().to_path_buf(), file.path().to_path_buf());
        file.commit()
            .with_context(|| format!("renaming {} to {}", temp.display(), path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddb::item::{item_from_typed_json, s};
    use std::fs::{self, File};
    use std::io::Read;

    #[test]
    fn lines_have_the_export_shape() {
        let item: Item = [("pk".to_string(), s("MSG#1")), ("sk".to_string(), s("t"))].into();
        let mut buf = Vec::new();
        write_line(&mut buf, &item).unwrap();
        assert_eq!(
            String::from_utf8(buf.clone()).unwrap(),
            "{\"Item\":{\"pk\":{\"S\":\"MSG#1\"},\"sk\":{\"S\":\"t\"}}}\n"
        );
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(item_from_typed_json(&v["Item"]).unwrap(), item);
    }

    #[test]
    fn a_file_appears_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("export-test-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.json.gz");
        // dropped without commit: nothing left, not even the temporary file
        let mut file = ExportFile::create(&path, true).unwrap();
        file.writer().write_all(b"half").unwrap();
        drop(file);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        // committed: the whole gzip stream under its name
        let mut file = ExportFile::create(&path, true).unwrap();
        file.writer().write_all(b"line 1\nline 2\n").unwrap();
        assert!(!path.exists());
        file.commit().unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "line 1\nline 2\n");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_or_a_missing_parent_is_refused_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("export-test-{}", uuid::Uuid::new_v4()));
        let target = dir.join("target");
        fs::create_dir_all(&target).unwrap();
        let err = ExportFile::create(&target, false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is a directory"), "{err}");
        let missing = dir.join("no-such-dir").join("out.jsonl");
        let err = ExportFile::create(&missing, false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        check_destination(Path::new("relative.jsonl")).unwrap();
        // a rename that fails (the name became a directory meanwhile) removes the temporary file
        let path = dir.join("out.jsonl");
        let mut file = ExportFile::create(&path, false).unwrap();
        file.writer().write_all(b"line\n").unwrap();
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), b"x").unwrap();
        assert!(file.commit().is_err());
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
