//! `table-export --s3` and `table-import --s3 … --new-table` from start to end, and the requests of the
//! native paths built from their options: the export started (or joined) and waited for with a
//! spinner, ImportTable waited for with a bar, each with its summary on stderr and its report on
//! stdout with `--output`.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use super::export::{self, ExportOptions};
use super::load::{FilePart, LoadOptions};
use super::new_table::{self, NewTableOptions};
use crate::context::Context;
use crate::ddb::native::ExportKind;
use crate::ops::schema_load::TableDefinition;
use crate::ops::ui::{Bar, Ui};
use crate::report::Format;
use crate::s3::S3Url;

impl ExportOptions {
    /// An export to `url`: the table as it was `at` (default: now), or what changed `since`
    /// (to `until`); waited for `wait`. The times are checked against now.
    pub fn new(
        url: &str,
        at: Option<DateTime<Utc>>,
        (since, until): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        wait: Duration,
    ) -> Result<ExportOptions> {
        let kind = match since {
            Some(from) => ExportKind::Incremental { from, to: until },
            None => ExportKind::Full { at },
        };
        export::check_kind(&kind, Utc::now())?;
        Ok(ExportOptions {
            destination: S3Url::parse(url)?,
            kind,
            wait,
        })
    }
}

impl LoadOptions {
    /// The export in the folder `url` (confirmed by `export_arn` where there is no manifest),
    /// all of it or the share `segment` of `total_segments`.
    pub fn new(
        url: &str,
        export_arn: Option<String>,
        segment: Option<u32>,
        total_segments: Option<u32>,
    ) -> Result<LoadOptions> {
        let part = match (segment, total_segments) {
            (Some(index), Some(total)) if total == 0 || index >= total => {
                bail!("--segment must be below --total-segments (from 0 to N-1), and N above 0")
            }
            (Some(index), Some(total)) => Some(FilePart { index, total }),
            _ => None,
        };
        Ok(LoadOptions {
            folder: S3Url::parse(url)?,
            export_arn,
            part,
        })
    }
}

impl NewTableOptions {
    /// Table `name` created from the export in the folder `url` with the keys, GSIs and
    /// capacity of `schema` (default: the shipped definition); waited for `wait`.
    pub fn new(
        url: &str,
        export_arn: Option<String>,
        (name, schema): (&str, Option<&Path>),
        wait: Duration,
    ) -> Result<NewTableOptions> {
        let mut definition = TableDefinition::load(schema)?;
        definition.table_name = name.to_string();
        Ok(NewTableOptions {
            folder: S3Url::parse(url)?,
            export_arn,
            definition,
            wait,
        })
    }
}

/// `table-export --s3`: starts (or joins) the export, waits with a spinner, tells the summary.
pub async fn export_to_s3(
    ctx: &Context,
    options: &ExportOptions,
    output: Option<Format>,
    ui: &mut impl Ui,
) -> Result<()> {
    let bar = ui.waiting(&format!("exporting table {}", ctx.table()));
    let report = export::export(ctx, options, |job| {
        bar.say(&format!("export {}: {}", job.arn, job.status))
    })
    .await;
    bar.finish();
    let report = report?;
    let count =
        |n: Option<u64>, what: &str| n.map_or(format!("? {what}"), |n| format!("{n} {what}"));
    ui.note(&format!(
        "{} export {} of table {} on {}: {}, {} ({}; waited {:.2} s)",
        if report.joined { "joined" } else { "completed" },
        report.export_arn,
        report.table,
        ctx.dynamodb_endpoint,
        count(report.items, "items"),
        count(report.bytes, "bytes"),
        report.note,
        report.seconds
    ));
    match &report.manifest {
        Some(manifest) => ui.note(&format!("manifest: {manifest}")),
        None => ui.note(&format!(
            "manifest: none; the data files are under {}data/",
            report.folder
        )),
    }
    let arn = match report.manifest {
        Some(_) => String::new(),
        None => format!(" --export-arn {}", report.export_arn),
    };
    ui.note(&format!(
        "load it with: table-import --s3 {}{arn} --table TABLE   (or --new-table NAME)",
        report.folder
    ));
    match output {
        Some(format) => ui.emit(&report, format),
        None => Ok(()),
    }
}

/// `table-import --s3 … --new-table NAME`: ImportTable (after confirming), waited for with a bar of
/// the items processed.
pub async fn import_new_table(
    ctx: &Context,
    options: &NewTableOptions,
    output: Option<Format>,
    ui: &mut impl Ui,
) -> Result<()> {
    let name = &options.definition.table_name;
    ui.confirm(
        ctx.target(),
        &format!(
            "create table {name} from {} with ImportTable",
            options.folder
        ),
        name,
    )?;
    let bar = ui.bar(&format!("importing into new table {name}"), None);
    let report = new_table::import_new(ctx, options, |job| {
        bar.say(&format!("importing into new table {name} ({})", job.status));
        bar.set(job.processed.max(0) as u64);
    })
    .await;
    bar.finish();
    let report = report?;
    ui.note(&format!(
        "import {} into new table {} on {}: {}, {} items imported of {} processed, {} errors \
         ({}, {:.2} s){}",
        report.import_arn,
        report.table,
        ctx.dynamodb_endpoint,
        report.status,
        report.imported,
        report.processed,
        report.errors,
        crate::text::count(report.data_files, "data file", "data files"),
        report.seconds,
        report
            .failure
            .as_ref()
            .map(|f| format!(": {f}"))
            .unwrap_or_default()
    ));
    if let Some(format) = output {
        ui.emit(&report, format)?;
    }
    if !report.succeeded() {
        bail!(
            "the import into table {} did not take every item ({}, {} imported, {} errors{})",
            report.table,
            report.status,
            report.imported,
            report.errors,
            report
                .expected
                .map(|n| format!(", the manifest counts {n}"))
                .unwrap_or_default()
        );
    }
    ui.note(&format!(
        "next: schema-load --table {} --apply   (ImportTable sets keys, GSIs and capacity only: \
         the stream, TTL, point-in-time recovery and deletion protection come from schema-load)",
        report.table
    ));
    Ok(())
}
