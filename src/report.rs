//! What an operation returns for printing: a [`Report`] (or a list of [`Row`]s) and the
//! [`Format`] it is printed in. Data only: [`crate::cli::output`] renders it. Below every other
//! layer, so an operation can describe its result without knowing the command line.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

/// How results are printed.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    #[default]
    Table,
    /// One JSON array.
    Json,
    /// One JSON value per line (JSON lines), for streaming into other tools.
    Jsonl,
}

/// A result a tool prints: it serializes (serde) for `json`/`jsonl` and knows its table.
pub trait Report: Serialize {
    /// The table's column headers.
    const COLUMNS: &'static [&'static str];

    /// Columns of free text (by header), cut first (with an ellipsis) when the table is wider
    /// than a terminal's 100 columns; `--wide` shows them whole.
    const CUT: &'static [&'static str] = &[];

    /// Columns (by header) left out, in this order, when cutting the free text does not make the
    /// table fit in 100 columns; `--wide` shows them.
    const HIDE: &'static [&'static str] = &[];

    /// The table's rows, one cell per column.
    fn rows(&self) -> Vec<Vec<String>>;

    /// Writes the report as JSON lines: the whole report on one line (a list: one row a line).
    fn write_jsonl<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        writeln!(out)
    }
}

/// One row of a list: a list of rows (`Vec<R>` or `[R]`) is a [`Report`] whose JSON is an array
/// of the rows, and whose JSON lines are one row per line.
pub trait Row: Serialize {
    /// The table's column headers.
    const COLUMNS: &'static [&'static str];

    /// Columns of free text, cut first when the table is too wide ([`Report::CUT`]).
    const CUT: &'static [&'static str] = &[];

    /// Columns left out when cutting is not enough ([`Report::HIDE`]).
    const HIDE: &'static [&'static str] = &[];

    /// This row's cells, one per column.
    fn cells(&self) -> Vec<String>;
}

impl<R: Row> Report for [R] {
    const COLUMNS: &'static [&'static str] = R::COLUMNS;
    const CUT: &'static [&'static str] = R::CUT;
    const HIDE: &'static [&'static str] = R::HIDE;

    fn rows(&self) -> Vec<Vec<String>> {
        self.iter().map(Row::cells).collect()
    }

    fn write_jsonl<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        for row in self.iter() {
            serde_json::to_writer(&mut *out, row)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

impl<R: Row> Report for Vec<R> {
    const COLUMNS: &'static [&'static str] = R::COLUMNS;
    const CUT: &'static [&'static str] = R::CUT;
    const HIDE: &'static [&'static str] = R::HIDE;

    fn rows(&self) -> Vec<Vec<String>> {
        self.as_slice().rows()
    }

    fn write_jsonl<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        self.as_slice().write_jsonl(out)
    }
}
