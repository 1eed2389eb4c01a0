//! Rendering for people and programs: tables, JSON and JSON lines. The only module that writes
//! results. Operations return a [`Report`] (or a list of [`Row`]s); [`emit`] prints any of them in
//! any [`Format`] on stdout, and [`write_report`] on any `impl Write`.

use std::collections::BTreeSet;
use std::io::{self, Write};

use anyhow::Context as _;
use serde::Serialize;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::Value;

use crate::ddb::item::{to_plain_json, to_typed_json, Item};
pub use crate::report::{Format, Report, Row};
pub use crate::text::truncate;

/// Writes `report` to `out` as `format`: a table; one pretty JSON document; or JSON lines (one
/// line per row of a list, else the report on one line). Fields keep their declared order.
pub fn write_report<W: Write + ?Sized, R: Report + ?Sized>(
    out: &mut W,
    report: &R,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, R::COLUMNS, report.rows()),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Jsonl => report.write_jsonl(out),
    }
}

/// Prints `report` on stdout as `format` and flushes. A closed pipe surfaces as an
/// [`io::ErrorKind::BrokenPipe`] error, which [`crate::cli::exit_code`] treats as success.
pub fn emit<R: Report + ?Sized>(report: &R, format: Format) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    write_report(&mut out, report, format)
        .and_then(|()| out.flush())
        .context("writing the output")
}

/// Prints `text` (a document already rendered, such as `iam-policy --permissions-table`'s
/// markdown) on stdout as it is, and flushes.
pub fn emit_text(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the output")
}

/// Writes a table with `header` and `rows`.
pub fn write_table<W: Write + ?Sized>(
    out: &mut W,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
    }
    writeln!(out, "{table}")
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

/// Stdout, buffered for output that comes in many pieces (a scan's pages).
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Prints DynamoDB items as they arrive, a page at a time, holding no more than one page: JSON
/// lines, one JSON array, or a table per page whose columns are `pk`, `sk` and the page's other
/// attributes by name.
pub struct ItemWriter<W: Write> {
    out: W,
    format: Format,
    raw: bool,
    json: JsonStream,
}

impl<W: Write> ItemWriter<W> {
    /// A writer of `format`; `raw` keeps DynamoDB's typed JSON.
    pub fn new(out: W, format: Format, raw: bool) -> ItemWriter<W> {
        ItemWriter {
            out,
            format,
            raw,
            json: JsonStream::new(format),
        }
    }

    fn json(&self, item: &Item) -> Value {
        if self.raw {
            to_typed_json(item)
        } else {
            to_plain_json(item)
        }
    }

    /// Writes one page of items and flushes, so output follows the scan.
    pub fn write_page(&mut self, items: &[Item]) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        match self.format {
            Format::Json | Format::Jsonl => {
                for item in items {
                    let value = self.json(item);
                    self.json.write(&mut self.out, &value)?;
                }
            }
            Format::Table => {
                let rows: Vec<Value> = items.iter().map(|i| self.json(i)).collect();
                // pk and sk, then every other attribute of the page by name, so the columns do
                // not depend on which item the scan met first.
                let others: BTreeSet<&str> = rows
                    .iter()
                    .flat_map(|row| row.as_object().into_iter().flat_map(|o| o.keys()))
                    .map(String::as_str)
                    .filter(|key| !["pk", "sk"].contains(key))
                    .collect();
                let columns: Vec<&str> = ["pk", "sk"].into_iter().chain(others).collect();
                let cells = rows.iter().map(|row| {
                    columns
                        .iter()
                        .map(|c| match &row[*c] {
                            Value::Null => String::new(),
                            Value::String(s) => truncate(s, 60),
                            other => truncate(&other.to_string(), 60),
                        })
                        .collect()
                });
                write_table(&mut self.out, &columns, cells)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddb::item::s;

    fn item(pk: &str) -> Item {
        [("pk".to_string(), s(pk)), ("sk".to_string(), s("t"))].into()
    }

    #[test]
    fn json_stream_is_one_valid_array() {
        for pages in [
            vec![],
            vec![vec![item("a")], vec![], vec![item("b"), item("c")]],
        ] {
            let mut buf = Vec::new();
            let mut w = ItemWriter::new(&mut buf, Format::Json, false);
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
        let mut w = ItemWriter::new(&mut buf, Format::Jsonl, true);
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
