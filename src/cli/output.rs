//! Rendering for people and programs: tables, JSON and JSON lines. The only module that writes
//! results. Operations return a [`Report`] (or a list of [`Row`]s); [`emit`] prints any of them in
//! any [`Format`] on stdout, and [`write_report`] on any `impl Write`. [`Terminal`] is what an
//! operation talks to while it works (notes on stderr, bars, confirmation, reports on stdout).
//!
//! Every write to stdout goes through [`Stdout`], which marks its errors as [`StdoutError`]s: a
//! closed stdout (`scan | head -1`) is then told apart from a broken pipe anywhere else (a socket,
//! a child process), which is a failure like any other ([`is_closed_stdout`]).

use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Write};

use anyhow::Context as _;
use serde::Serialize;

use serde_json::Value;

use crate::cli::confirm::Confirmation;
use crate::cli::progress::Progress;
use crate::config::Target;
use crate::ops::ui::Ui;
pub use crate::report::{Format, Report, Row};

mod table;

pub use table::{set_wide, table_width, wide, write_table, Columns, ELLIPSIS, WIDTH};

/// Writes `report` to `out` as `format`: a table; one pretty JSON document; or JSON lines (one
/// line per row of a list, else the report on one line). Fields keep their declared order.
pub fn write_report<W: Write + ?Sized, R: Report + ?Sized>(
    out: &mut W,
    report: &R,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Table => {
            let columns = Columns {
                header: R::COLUMNS,
                cut: R::CUT,
                hide: R::HIDE,
            };
            write_table(out, columns, report.rows(), table_width())
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Jsonl => report.write_jsonl(out),
    }
}

/// Prints `report` on stdout as `format` and flushes. A closed pipe surfaces as a
/// [`StdoutError`], which [`crate::cli::exit_code`] treats as success.
pub fn emit<R: Report + ?Sized>(report: &R, format: Format) -> anyhow::Result<()> {
    let mut out = Stdout(io::stdout().lock());
    write_report(&mut out, report, format)
        .and_then(|()| out.flush())
        .context("writing the output")
}

/// Says `line` on stderr (a note beside the results, never one of them).
pub fn say(line: &str) {
    eprintln!("{line}");
}

/// Prints `rows` on stdout as `format`; when there are none, says `nothing` on stderr instead of
/// drawing an empty table (JSON still gets its empty array, JSON lines nothing). An empty answer
/// is not an error.
pub fn emit_rows<R: Row>(
    rows: &[R],
    format: Format,
    nothing: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        say(&nothing());
        if format == Format::Table {
            return Ok(());
        }
    }
    emit(rows, format)
}

/// The [`Ui`] of a tool run from a shell: notes on stderr, bars drawn when stderr is a terminal,
/// confirmation typed at the terminal (or `--yes`), reports on stdout.
#[derive(Debug, Default)]
pub struct Terminal {
    confirmation: Confirmation,
}

impl Terminal {
    /// A terminal that confirms as `confirmation` (`--yes`) says.
    pub fn new(confirmation: Confirmation) -> Terminal {
        Terminal { confirmation }
    }
}

impl Ui for Terminal {
    type Bar = Progress;

    fn note(&mut self, line: &str) {
        eprintln!("{line}");
    }

    fn confirm(&mut self, target: Target, action: &str, word: &str) -> anyhow::Result<()> {
        self.confirmation.confirm(target, action, word)
    }

    fn emit<R: Report + ?Sized>(&mut self, report: &R, format: Format) -> anyhow::Result<()> {
        emit(report, format)
    }

    fn bar(&self, phase: &str, total: Option<u64>) -> Progress {
        Progress::new(phase, total)
    }

    fn waiting(&self, phase: &str) -> Progress {
        Progress::waiting(phase)
    }

    fn drawn(&self) -> bool {
        Progress::drawn()
    }
}

/// Prints `text` (a document already rendered, such as `iam-policy --permissions-table`'s
/// markdown) on stdout as it is, and flushes.
pub fn emit_text(text: &str) -> anyhow::Result<()> {
    let mut out = stdout();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the output")
}

/// JSON values written as they come: one per line (`jsonl`), or the elements of one JSON array
/// (`json`) whose brackets [`JsonStream::finish`] closes. Holds nothing but a count.
struct JsonStream {
    array: bool,
    written: u64,
}

impl JsonStream {
    fn new(format: Format) -> JsonStream {
        JsonStream {
            array: format == Format::Json,
            written: 0,
        }
    }

    fn write<W: Write, T: Serialize + ?Sized>(&mut self, out: &mut W, value: &T) -> io::Result<()> {
        if self.array {
            out.write_all(if self.written == 0 {
                b"[\n  "
            } else {
                b",\n  "
            })?;
            serde_json::to_writer(&mut *out, value)?;
        } else {
            serde_json::to_writer(&mut *out, value)?;
            out.write_all(b"\n")?;
        }
        self.written += 1;
        Ok(())
    }

    fn finish<W: Write>(&self, out: &mut W) -> io::Result<()> {
        if self.array {
            out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

/// Prints [`Row`]s as they arrive, a batch at a time (a stream processor's outcomes, say): a
/// table per batch, JSON lines, or one JSON array closed by [`RowWriter::finish`].
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    json: JsonStream,
}

impl<W: Write> RowWriter<W> {
    /// A writer of `format` on `out`.
    pub fn new(out: W, format: Format) -> RowWriter<W> {
        RowWriter {
            out,
            format,
            json: JsonStream::new(format),
        }
    }

    /// Writes one batch of rows and flushes, so the output follows the work.
    pub fn write<R: Row>(&mut self, rows: &[R]) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self.format {
            Format::Table => write_report(&mut self.out, rows, Format::Table)?,
            Format::Json | Format::Jsonl => {
                for row in rows {
                    self.json.write(&mut self.out, row)?;
                }
            }
        }
        self.out.flush()
    }

    /// Closes the output (the JSON array's bracket).
    pub fn finish(mut self) -> io::Result<()> {
        self.json.finish(&mut self.out)?;
        self.out.flush()
    }
}

/// Stdout, buffered for output that comes in many pieces (a scan's pages), its errors marked as
/// [`StdoutError`]s.
pub fn stdout() -> Stdout<io::BufWriter<io::StdoutLock<'static>>> {
    Stdout(io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()))
}

/// Standard output, whose every failed write or flush is an [`io::Error`] of the same kind
/// carrying a [`StdoutError`]. Made only by [`stdout`] and [`emit`] (and by tests, over a writer
/// that stands for it).
pub struct Stdout<W: Write>(W);

impl<W: Write> Stdout<W> {
    /// `out` standing for stdout: its errors are marked as stdout's.
    #[cfg(test)]
    pub(crate) fn standing_for(out: W) -> Stdout<W> {
        Stdout(out)
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(StdoutError::mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(StdoutError::mark)
    }
}

/// A write to standard output that failed: the one error whose broken pipe means the reader went
/// away (`scan | head -1`), which ends a tool quietly with exit code 0.
#[derive(Debug)]
pub struct StdoutError(io::Error);

impl StdoutError {
    /// Whether stdout's reader went away (a broken pipe).
    pub fn is_closed(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }

    /// `err` as an error of the same kind that carries the mark (once).
    fn mark(err: io::Error) -> io::Error {
        if err.get_ref().is_some_and(|e| e.is::<StdoutError>()) {
            return err;
        }
        io::Error::new(err.kind(), StdoutError(err))
    }
}

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("writing to standard output")
    }
}

impl StdError for StdoutError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

/// Whether `err` comes from a write to stdout whose reader went away: a [`StdoutError`] in the
/// chain, as itself or inside the [`io::Error`] that [`Stdout`] returned. A broken pipe that is
/// not stdout's is not.
pub fn is_closed_stdout(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let marked = cause.downcast_ref::<StdoutError>().or_else(|| {
            cause
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<StdoutError>())
        });
        marked.is_some_and(StdoutError::is_closed)
    })
}

/// Prints DynamoDB items (as JSON, plain or typed) as they arrive, a page at a time, holding no
/// more than one page: JSON lines, one JSON array, or a table per page whose columns are `pk`,
/// `sk` and the page's other attributes by name.
pub struct ItemWriter<W: Write> {
    out: W,
    format: Format,
    json: JsonStream,
}

impl<W: Write> ItemWriter<W> {
    /// A writer of `format`.
    pub fn new(out: W, format: Format) -> ItemWriter<W> {
        ItemWriter {
            out,
            format,
            json: JsonStream::new(format),
        }
    }

    /// Writes one page of items and flushes, so output follows the scan.
    pub fn write_page(&mut self, items: &[Value]) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        match self.format {
            Format::Json | Format::Jsonl => {
                for item in items {
                    self.json.write(&mut self.out, item)?;
                }
            }
            Format::Table => {
                let width = table_width();
                let columns = item_columns(items, width.is_none());
                let cells = items.iter().map(|item| {
                    columns
                        .iter()
                        .map(|c| match &item[*c] {
                            Value::Null => String::new(),
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                });
                let columns = Columns {
                    header: &columns,
                    cut: &["message"],
                    hide: &["user_handle"],
                };
                write_table(&mut self.out, columns, cells, width)?;
                self.json.written += items.len() as u64;
            }
        }
        self.out.flush()
    }

    /// Closes the output (the JSON array's bracket) and returns how many items were written.
    pub fn finish(mut self) -> io::Result<u64> {
        self.json.finish(&mut self.out)?;
        self.out.flush()?;
        Ok(self.json.written)
    }
}

/// The attributes a scan's table shows, in [`SCAN_COLUMNS`]' order: those of the page; with
/// `every` (`--wide`), pk and sk, then every other attribute of the page by name, so the columns
/// do not depend on which item the scan met first.
fn item_columns(items: &[Value], every: bool) -> Vec<&str> {
    let keys: BTreeSet<&str> = items
        .iter()
        .flat_map(|item| item.as_object().into_iter().flat_map(|o| o.keys()))
        .map(String::as_str)
        .collect();
    let chosen = SCAN_COLUMNS.iter().copied().filter(|c| keys.contains(c));
    if !every {
        return chosen.collect();
    }
    let others = keys.into_iter().filter(|key| !["pk", "sk"].contains(key));
    ["pk", "sk"].into_iter().chain(others).collect()
}

/// The attributes a scan's table shows without `--wide`: the key, who wrote, and what (cut to
/// fit; user_handle left out when the table would still be too wide).
pub const SCAN_COLUMNS: [&str; 4] = ["pk", "sk", "user_handle", "message"];

impl<W: Write> crate::ops::stream::Outcomes for RowWriter<W> {
    fn write(&mut self, outcomes: &[crate::ops::stream::RecordOutcome]) -> anyhow::Result<()> {
        RowWriter::write(self, outcomes).context("writing the outcomes")
    }

    fn finish(self) -> anyhow::Result<()> {
        RowWriter::finish(self).context("writing the outcomes")
    }
}

impl<W: Write> crate::ops::scan::Pages for ItemWriter<W> {
    fn write(&mut self, page: &[Value]) -> anyhow::Result<()> {
        self.write_page(page).context("writing items")
    }

    fn finish(self) -> anyhow::Result<u64> {
        ItemWriter::finish(self).context("writing items")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pk: &str) -> Value {
        serde_json::json!({"pk": {"S": pk}, "sk": {"S": "t"}})
    }

    #[test]
    fn json_stream_is_one_valid_array() {
        for pages in [
            vec![],
            vec![vec![item("a")], vec![], vec![item("b"), item("c")]],
        ] {
            let mut buf = Vec::new();
            let mut w = ItemWriter::new(&mut buf, Format::Json);
            for page in &pages {
                w.write_page(page).unwrap();
            }
            let n = w.finish().unwrap();
            let parsed: Vec<Value> = serde_json::from_slice(&buf).unwrap();
            assert_eq!(parsed.len() as u64, n);
            assert_eq!(n as usize, pages.iter().map(Vec::len).sum::<usize>());
        }
    }

    #[test]
    fn jsonl_is_one_item_per_line() {
        let mut buf = Vec::new();
        let mut w = ItemWriter::new(&mut buf, Format::Jsonl);
        w.write_page(&[item("a"), item("b")]).unwrap();
        assert_eq!(w.finish().unwrap(), 2);
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], r#"{"pk":{"S":"a"},"sk":{"S":"t"}}"#);
    }

    #[derive(Serialize)]
    struct Pair {
        name: &'static str,
        n: u32,
    }

    impl Row for Pair {
        const COLUMNS: &'static [&'static str] = &["Name", "N"];

        fn cells(&self) -> Vec<String> {
            vec![self.name.to_string(), self.n.to_string()]
        }
    }

    fn pairs() -> Vec<Pair> {
        vec![Pair { name: "a", n: 1 }, Pair { name: "b", n: 2 }]
    }

    #[test]
    fn rows_render_in_every_format() {
        let render = |format| {
            let mut buf = Vec::new();
            write_report(&mut buf, &pairs(), format).unwrap();
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(
            render(Format::Jsonl),
            "{\"name\":\"a\",\"n\":1}\n{\"name\":\"b\",\"n\":2}\n"
        );
        let json: Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(json[1]["name"], "b");
        let table = render(Format::Table);
        assert!(table.contains("Name") && table.contains("│ b "), "{table}");
    }

    /// A real broken pipe: a write to a socket whose peer is gone.
    fn broken_socket() -> std::os::unix::net::UnixStream {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(theirs);
        ours
    }

    #[test]
    fn only_a_broken_pipe_of_stdout_counts_as_a_closed_stdout() {
        // Through the output layer: marked, and a closed stdout.
        let mut writer = ItemWriter::new(Stdout::standing_for(broken_socket()), Format::Jsonl);
        let err = writer
            .write_page(&[item("a")])
            .map_err(anyhow::Error::from)
            .unwrap_err()
            .context("writing items");
        assert!(is_closed_stdout(&err), "{err:#}");
        assert!(
            format!("{err:#}").contains("writing to standard output"),
            "{err:#}"
        );

        // The same broken pipe written elsewhere: not stdout's.
        let err = broken_socket().write_all(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::from(err).context("sending to a socket");
        assert!(!is_closed_stdout(&err), "{err:#}");

        // Another failure of stdout (not a broken pipe) is no closed stdout either.
        let full = io::Error::new(io::ErrorKind::StorageFull, "no space left");
        let err = anyhow::Error::from(StdoutError::mark(full));
        assert!(!is_closed_stdout(&err), "{err:#}");
    }

    #[test]
    fn a_row_stream_is_one_array_or_one_line_per_row() {
        for (format, batches) in [(Format::Json, 0), (Format::Json, 2), (Format::Jsonl, 2)] {
            let mut buf = Vec::new();
            let mut writer = RowWriter::new(&mut buf, format);
            for _ in 0..batches {
                writer.write(&pairs()).unwrap();
                writer.write::<Pair>(&[]).unwrap();
            }
            writer.finish().unwrap();
            let text = String::from_utf8(buf).unwrap();
            let values: Vec<Value> = if format == Format::Json {
                serde_json::from_str(&text).unwrap()
            } else {
                text.lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect()
            };
            assert_eq!(values.len(), batches * 2, "{text}");
        }
    }
}
