//! Tables for a terminal: drawn by comfy-table, fitted to [`WIDTH`] columns unless `--wide` was
//! asked ([`set_wide`]). A table too wide gives way in three steps: the free-text columns a report
//! names ([`Columns::cut`]) are cut, widest first, each line ending with an ellipsis; then the
//! columns it names as optional ([`Columns::hide`]) are left out one by one, each time trying the
//! cuts again; last, any column is cut, widest first. No column is cut below its header, a
//! free-text column not below [`MIN_TEXT_WIDTH`] but in the last step, and none below
//! [`MIN_WIDTH`]. JSON and JSON lines never go through here: they are never cut.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

/// How many columns a table may take, borders included, unless `--wide` was asked.
pub const WIDTH: usize = 100;

/// The narrowest a column is cut to in the last step (or its header's width, when wider).
pub const MIN_WIDTH: usize = 8;

/// The narrowest a free-text column is cut to before optional columns are left out (or its
/// header's width, when wider): less says too little to be worth the room.
pub const MIN_TEXT_WIDTH: usize = 16;

/// What ends a cut value.
pub const ELLIPSIS: &str = "…";

/// Whether `--wide` was asked: tables then show every column and full values.
static WIDE: AtomicBool = AtomicBool::new(false);

/// Sets `--wide` for every table this process prints (once, when a tool starts).
pub fn set_wide(wide: bool) {
    WIDE.store(wide, Ordering::Relaxed);
}

/// The width tables are fitted to: [`WIDTH`], or none with `--wide`.
pub fn table_width() -> Option<usize> {
    (!WIDE.load(Ordering::Relaxed)).then_some(WIDTH)
}

/// Whether `--wide` was asked.
pub fn wide() -> bool {
    WIDE.load(Ordering::Relaxed)
}

/// A table's columns: the headers, and how the table gives way when too wide.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// The headers, one per cell of a row.
    pub header: &'a [&'a str],
    /// Headers of free-text columns, cut first.
    pub cut: &'a [&'a str],
    /// Headers of columns left out, in this order, when cutting the free text is not enough.
    pub hide: &'a [&'a str],
}

impl<'a> Columns<'a> {
    /// Columns that never give way but in the last step (cutting the widest).
    pub fn plain(header: &'a [&'a str]) -> Columns<'a> {
        Columns {
            header,
            cut: &[],
            hide: &[],
        }
    }
}

/// Writes a table of `columns` and `rows`, fitted to `width` columns when one is given.
pub fn write_table<W: Write + ?Sized>(
    out: &mut W,
    columns: Columns<'_>,
    rows: impl IntoIterator<Item = Vec<String>>,
    width: Option<usize>,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows.into_iter().collect();
    let header = columns.header;
    // A column with no value in any row (find-user's pool columns without --cognito) is left out.
    let shown: Vec<usize> = (0..header.len())
        .filter(|&c| {
            rows.is_empty()
                || rows
                    .iter()
                    .any(|row| row.get(c).is_some_and(|cell| !cell.is_empty()))
        })
        .collect();
    let cell = |row: &Vec<String>, c: usize| row.get(c).cloned().unwrap_or_default();
    let (shown, limits) = match width {
        Some(width) => fit(columns, &shown, &rows, width),
        None => (shown, Vec::new()),
    };
    let mut table = new_table();
    table.set_header(shown.iter().map(|&c| header[c]));
    for row in &rows {
        table.add_row(shown.iter().enumerate().map(|(i, &c)| {
            let text = cell(row, c);
            match limits.get(i).copied().flatten() {
                Some(limit) => cut_lines(&text, limit),
                None => text,
            }
        }));
    }
    writeln!(out, "{table}")
}

fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// The display width of each column of `shown` (header included), as comfy-table measures it.
fn content_widths(header: &[&str], shown: &[usize], rows: &[Vec<String>]) -> Vec<usize> {
    let mut table = new_table();
    table.set_header(shown.iter().map(|&c| header[c]));
    for row in rows {
        table.add_row(shown.iter().map(|&c| row.get(c).map_or("", String::as_str)));
    }
    table
        .column_max_content_widths()
        .into_iter()
        .map(usize::from)
        .collect()
}

/// The display width of one line of text.
fn text_width(line: &str) -> usize {
    if line.is_empty() {
        return 0;
    }
    let mut table = Table::new();
    table.add_row(vec![line]);
    table.column_max_content_widths()[0].into()
}

/// A table's width: each column's content, its padding (one space each side) and the borders.
fn total(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// The columns to show and, for each of them, the width it is cut to (`None`: not cut), so the
/// table fits in `width` if it can.
fn fit(
    columns: Columns<'_>,
    shown: &[usize],
    rows: &[Vec<String>],
    width: usize,
) -> (Vec<usize>, Vec<Option<usize>>) {
    let header = columns.header;
    let widths = content_widths(header, shown, rows);
    let named = |names: &[&str], c: usize| names.contains(&header[c]);
    let headers: Vec<usize> = shown.iter().map(|&c| text_width(header[c])).collect();
    // The columns (positions in `shown`) kept when the first `k` optional ones are left out.
    let kept = |k: usize| -> Vec<usize> {
        (0..shown.len())
            .filter(|&i| !named(&columns.hide[..k], shown[i]))
            .collect()
    };
    let attempt = |keep: &[usize], any: bool| -> Option<Vec<Option<usize>>> {
        let mut limits: Vec<usize> = keep.iter().map(|&i| widths[i]).collect();
        let cuttable: Vec<bool> = keep
            .iter()
            .map(|&i| any || named(columns.cut, shown[i]))
            .collect();
        let least = if any { MIN_WIDTH } else { MIN_TEXT_WIDTH };
        let least: Vec<usize> = keep.iter().map(|&i| headers[i].max(least)).collect();
        while total(&limits) > width {
            // The widest column that may still be cut (the first of equals).
            let widest = (0..keep.len())
                .filter(|&j| cuttable[j] && limits[j] > least[j])
                .max_by_key(|&j| (limits[j], std::cmp::Reverse(j)))?;
            limits[widest] -= 1;
        }
        Some(
            keep.iter()
                .zip(limits)
                .map(|(&i, limit)| (limit < widths[i]).then_some(limit))
                .collect(),
        )
    };
    let pick = |keep: Vec<usize>, limits: Vec<Option<usize>>| {
        (keep.iter().map(|&i| shown[i]).collect(), limits)
    };
    for k in 0..=columns.hide.len() {
        let keep = kept(k);
        if let Some(limits) = attempt(&keep, false) {
            return pick(keep, limits);
        }
    }
    // Cutting any column, widest first; what still does not fit is shown as it is.
    let keep = kept(columns.hide.len());
    match attempt(&keep, true) {
        Some(limits) => pick(keep, limits),
        None => {
            let none = vec![None; keep.len()];
            pick(keep, none)
        }
    }
}

/// `text` with each line cut to `width` display columns, ending with [`ELLIPSIS`] when cut.
fn cut_lines(text: &str, width: usize) -> String {
    text.split('\n')
        .map(|line| cut(line, width))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` cut to `width` display columns, ending with [`ELLIPSIS`] when it was wider.
pub fn cut(line: &str, width: usize) -> String {
    if text_width(line) <= width {
        return line.to_string();
    }
    let room = width.saturating_sub(1);
    let mut kept: String = line.chars().take(room).collect();
    while text_width(&kept) > room {
        kept.pop();
    }
    let mut cut = kept.trim_end().to_string();
    cut.push_str(ELLIPSIS);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[&str] = &["id", "name", "message"];

    fn rows(message: &str) -> Vec<Vec<String>> {
        vec![vec![
            "1b2c3d4e-0000-4000-8000-123456789abc".to_string(),
            "Andrew Bayko".to_string(),
            message.to_string(),
        ]]
    }

    fn render(columns: Columns<'_>, rows: Vec<Vec<String>>, width: Option<usize>) -> String {
        let mut buf = Vec::new();
        write_table(&mut buf, columns, rows, width).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    fn columns() -> Columns<'static> {
        Columns {
            header: HEADER,
            cut: &["message"],
            hide: &["name"],
        }
    }

    #[test]
    fn a_table_that_fits_is_unchanged() {
        let rows = rows("hello");
        assert_eq!(
            render(columns(), rows.clone(), Some(WIDTH)),
            render(columns(), rows, None)
        );
    }

    #[test]
    fn a_wide_table_is_cut_in_its_free_text() {
        let long = "word ".repeat(40);
        let text = render(columns(), rows(&long), Some(WIDTH));
        assert_eq!(widest(&text), WIDTH, "{text}");
        assert!(text.contains("word w…"), "{text}");
        // The identifier and the name are whole.
        assert!(
            text.contains("1b2c3d4e-0000-4000-8000-123456789abc"),
            "{text}"
        );
        assert!(text.contains("Andrew Bayko"), "{text}");
    }

    #[test]
    fn wide_leaves_the_table_whole() {
        let long = "word ".repeat(40);
        let text = render(columns(), rows(&long), None);
        assert!(widest(&text) > WIDTH);
        assert!(text.contains(long.trim_end()));
        assert!(!text.contains(ELLIPSIS));
    }

    #[test]
    fn optional_columns_go_before_the_text_is_cut_too_short() {
        let long = "word ".repeat(40);
        let text = render(columns(), rows(&long), Some(60));
        assert!(widest(&text) <= 60, "{text}");
        assert!(!text.contains("Andrew Bayko"), "{text}");
        assert!(
            text.contains("1b2c3d4e-0000-4000-8000-123456789abc"),
            "{text}"
        );
    }

    #[test]
    fn any_column_is_cut_last() {
        let long = "word ".repeat(40);
        let text = render(Columns::plain(HEADER), rows(&long), Some(50));
        assert!(widest(&text) <= 50, "{text}");
        assert!(text.contains(ELLIPSIS), "{text}");
    }

    #[test]
    fn every_line_of_a_cell_is_cut_and_wide_characters_count_double() {
        assert_eq!(cut("short", 8), "short");
        assert_eq!(cut("a longer line", 8), "a longe…");
        assert_eq!(cut("灯台 is lighthouse", 8), "灯台 is…");
        assert_eq!(text_width(&cut("灯台図書館灯台", 8)), 7);
        assert_eq!(cut_lines("one line\nanother line", 6), "one l…\nanoth…");
    }
}
