//! The `--s3` options of `export` and `import`: DynamoDB's own export and import through S3
//! ([`crate::ops::native`]), and their output: progress while waiting, a summary on stderr, the
//! report on stdout with `--output`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use clap::Args;

use crate::cli::args::TableTargetArgs;
use crate::cli::confirm::Confirmation;
use crate::cli::output::{emit, Format};
use crate::cli::progress::Progress;
use crate::ddb::native::ExportKind;
use crate::ops::native::export::{self, ExportOptions};
use crate::ops::native::load::{FilePart, LoadOptions};
use crate::ops::native::new_table::{self, NewTableOptions};
use crate::ops::schema_load::TableDefinition;
use crate::s3::S3Url;

/// The default `--wait-timeout`: two hours (an export of a large table takes that long).
const DEFAULT_WAIT_SECS: u64 = 7200;

/// An RFC 3339 time (`2026-12-06T10:00:00Z`).
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: write an RFC 3339 time such as 2026-12-06T10:00:00Z"))
}

/// `export --s3` and its options.
#[derive(Args, Debug)]
pub struct S3ExportArgs {
    /// Export with DynamoDB's own ExportTableToPointInTime to s3://BUCKET/PREFIX instead of
    /// scanning: it uses none of the table's read capacity and needs point-in-time recovery on
    /// the table. Waits for the export, then prints its folder, manifest, item count and size.
    /// A re-run within 8 hours with the same options joins the same export.
    #[arg(
        long,
        value_name = "s3://BUCKET/PREFIX",
        conflicts_with_all = [
            "file", "gzip", "segments", "segment", "checkpoint", "dry_run",
            "capacity", "max_rcu", "max_wcu", "stall_timeout",
        ]
    )]
    pub s3: Option<String>,

    /// With --s3: the table as it was at TIME (RFC 3339, within the recovery window)
    /// [default: now].
    #[arg(long, value_name = "TIME", requires = "s3", conflicts_with_all = ["since", "file"], value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,

    /// With --s3: an incremental export of what changed since TIME (RFC 3339; the period is 15
    /// minutes to 24 hours), with new and old images.
    #[arg(long, value_name = "TIME", requires = "s3", conflicts_with = "file", value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,

    /// With --since: up to TIME (RFC 3339) [default: as late as DynamoDB has].
    #[arg(long, value_name = "TIME", requires = "since", value_parser = parse_time)]
    pub until: Option<DateTime<Utc>>,

    /// With --s3: how long to wait for the export, in seconds; past it the export goes on in
    /// DynamoDB and the same command joins it again.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WAIT_SECS)]
    pub wait_timeout: u64,
}

/// `import --s3` and its options.
#[derive(Args, Debug)]
pub struct S3ImportArgs {
    /// Read a DynamoDB export straight from S3: its folder,
    /// s3://BUCKET/PREFIX/AWSDynamoDB/<export id>/ (table-export --s3 prints it). The data files are
    /// streamed through the same checks, capacity budget and --checkpoint as --file.
    #[arg(long, value_name = "s3://…/AWSDynamoDB/ID/", conflicts_with = "file")]
    pub s3: Option<String>,

    /// With --s3, where the folder has no manifest (moto writes none): the export's ARN, so that
    /// DynamoDB confirms it COMPLETED before its data files are listed.
    #[arg(long, value_name = "ARN", requires = "s3", conflicts_with = "file")]
    pub export_arn: Option<String>,

    /// With --s3: create table NAME with DynamoDB's ImportTable instead (no write capacity used;
    /// the table must not exist). Keys, GSIs and capacity come from --schema; run schema-load
    /// afterwards for the stream, TTL, point-in-time recovery and deletion protection.
    #[arg(
        long,
        value_name = "NAME",
        requires = "s3",
        conflicts_with_all = [
            "file", "checkpoint", "segment", "dry_run", "capacity", "max_rcu", "max_wcu",
            "stall_timeout",
        ]
    )]
    pub new_table: Option<String>,

    /// With --new-table: the table definition [default: the shipped seeds/messages-table.json].
    #[arg(long, value_name = "FILE", requires = "new_table")]
    pub schema: Option<PathBuf>,

    /// With --s3: load only the data files K, K+N, K+2N, ... (K from 0, in key order), so that N
    /// machines each load a disjoint share of the export.
    #[arg(
        long,
        value_name = "K",
        requires = "s3",
        requires = "total_segments",
        conflicts_with = "file"
    )]
    pub segment: Option<u32>,

    /// With --segment: into how many shares the data files are split.
    #[arg(long, value_name = "N", requires = "segment")]
    pub total_segments: Option<u32>,

    /// With --new-table: how long to wait for the import, in seconds; past it the import goes
    /// on in DynamoDB.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WAIT_SECS)]
    pub wait_timeout: u64,
}

impl S3ImportArgs {
    /// The folder and share to load into an existing table (`None` without --s3).
    pub fn load_options(&self) -> Result<Option<LoadOptions>> {
        let Some(url) = &self.s3 else { return Ok(None) };
        let part = match (self.segment, self.total_segments) {
            (Some(index), Some(total)) if total == 0 || index >= total => {
                bail!("--segment must be below --total-segments (from 0 to N-1), and N above 0")
            }
            (Some(index), Some(total)) => Some(FilePart { index, total }),
            _ => None,
        };
        Ok(Some(LoadOptions {
            folder: S3Url::parse(url)?,
            export_arn: self.export_arn.clone(),
            part,
        }))
    }
}

/// `export --s3`: starts (or joins) the export, waits with a spinner, prints the summary.
pub async fn export(
    table: &TableTargetArgs,
    args: &S3ExportArgs,
    output: Option<Format>,
) -> Result<()> {
    let Some(url) = &args.s3 else {
        bail!("export to S3 needs --s3 s3://BUCKET/PREFIX");
    };
    let kind = match args.since {
        Some(from) => ExportKind::Incremental {
            from,
            to: args.until,
        },
        None => ExportKind::Full { at: args.at },
    };
    export::check_kind(&kind, Utc::now())?;
    let options = ExportOptions {
        destination: S3Url::parse(url)?,
        kind,
        wait: Duration::from_secs(args.wait_timeout),
    };
    let ctx = table.connect().await?;
    let bar = Progress::waiting(format!("exporting table {}", ctx.table()));
    let report = export::export(&ctx, &options, |job| {
        bar.say(format!("export {}: {}", job.arn, job.status))
    })
    .await;
    bar.finish();
    let report = report?;
    let count =
        |n: Option<u64>, what: &str| n.map_or(format!("? {what}"), |n| format!("{n} {what}"));
    eprintln!(
        "{} export {} of table {} on {}: {}, {} ({}; waited {:.2} s)",
        if report.joined { "joined" } else { "completed" },
        report.export_arn,
        report.table,
        ctx.dynamodb_endpoint,
        count(report.items, "items"),
        count(report.bytes, "bytes"),
        report.note,
        report.seconds
    );
    match &report.manifest {
        Some(manifest) => eprintln!("manifest: {manifest}"),
        None => eprintln!(
            "manifest: none; the data files are under {}data/",
            report.folder
        ),
    }
    let arn = match report.manifest {
        Some(_) => String::new(),
        None => format!(" --export-arn {}", report.export_arn),
    };
    eprintln!(
        "load it with: table-import --s3 {}{arn} --table TABLE   (or --new-table NAME)",
        report.folder
    );
    if let Some(format) = output {
        emit(&report, format)?;
    }
    Ok(())
}

/// `import --s3 FOLDER` into an existing table: the export's data files found and checked, as
/// `import`'s plan.
pub async fn load_plan(
    ctx: &crate::context::Context,
    options: &LoadOptions,
    checkpoint: Option<&std::path::Path>,
) -> Result<(
    crate::ops::import::Plan,
    crate::ops::native::manifest::ExportFiles,
)> {
    crate::ops::native::load::prepare(ctx, options, checkpoint).await
}

/// `import --s3 … --new-table NAME`: ImportTable, waited for with a bar of the items processed.
pub async fn import_new_table(
    table: &TableTargetArgs,
    args: &S3ImportArgs,
    output: Option<Format>,
    confirm: &Confirmation,
) -> Result<()> {
    let (Some(url), Some(name)) = (&args.s3, &args.new_table) else {
        bail!("--new-table needs --s3");
    };
    let mut definition = TableDefinition::load(args.schema.as_deref())?;
    definition.table_name = name.clone();
    let options = NewTableOptions {
        folder: S3Url::parse(url)?,
        export_arn: args.export_arn.clone(),
        definition,
        wait: Duration::from_secs(args.wait_timeout),
    };
    let ctx = table.connect().await?;
    confirm.confirm(
        ctx.target(),
        &format!(
            "create table {name} from {} with ImportTable",
            options.folder
        ),
        name,
    )?;
    let bar = Progress::new(format!("importing into new table {name}"), None);
    let report = new_table::import_new(&ctx, &options, |job| {
        bar.say(format!("importing into new table {name} ({})", job.status));
        bar.set(job.processed.max(0) as u64);
    })
    .await;
    bar.finish();
    let report = report?;
    eprintln!(
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
    );
    if let Some(format) = output {
        emit(&report, format)?;
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
    eprintln!(
        "next: schema-load --table {} --apply   (ImportTable sets keys, GSIs and capacity only: \
         the stream, TTL, point-in-time recovery and deletion protection come from schema-load)",
        report.table
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn times_are_rfc_3339() {
        let t = parse_time("2026-12-06T10:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-06T09:00:00+00:00");
        let err = parse_time("yesterday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn the_s3_options_combine_only_as_they_can() {
        use crate::cli::commands::{export, import};
        let export =
            |args: &[&str]| export::Args::try_parse_from([&["table-export"], args].concat());
        let import =
            |args: &[&str]| import::Args::try_parse_from([&["table-import"], args].concat());
        let url = "s3://bucket/p";
        assert!(export(&["--s3", url]).is_ok());
        assert!(export(&["--s3", url, "--since", "2026-12-06T10:00:00Z"]).is_ok());
        for bad in [
            &["--s3", url, "--file", "x"][..],
            &["--s3", url, "--gzip"],
            &["--s3", url, "--max-rcu", "5"],
            &[
                "--s3",
                url,
                "--at",
                "2026-12-06T10:00:00Z",
                "--since",
                "2026-12-06T10:00:00Z",
            ],
            &["--since", "2026-12-06T10:00:00Z"],
            &["--s3", url, "--until", "2026-12-06T10:00:00Z"],
            // (clap lets a requirement that conflicts with a given option pass: each option
            // of --s3 conflicts with --file itself)
            &["--file", "x", "--at", "2026-12-06T10:00:00Z"],
            &["--file", "x", "--since", "2026-12-06T10:00:00Z"],
        ] {
            assert!(export(bad).is_err(), "export {bad:?}");
        }
        assert!(import(&["--s3", url]).is_ok());
        assert!(import(&["--s3", url, "--new-table", "t"]).is_ok());
        assert!(import(&["--s3", url, "--segment", "1", "--total-segments", "2"]).is_ok());
        for bad in [
            &[][..],
            &["--s3", url, "--file", "x"],
            &["--new-table", "t"],
            &["--s3", url, "--new-table", "t", "--checkpoint", "c"],
            &["--s3", url, "--new-table", "t", "--max-wcu", "5"],
            &["--s3", url, "--segment", "1"],
            &["--file", "x", "--segment", "0", "--total-segments", "2"],
            &["--file", "x", "--export-arn", "arn"],
            &["--file", "x", "--new-table", "t"],
        ] {
            assert!(import(bad).is_err(), "import {bad:?}");
        }
        let args = S3ImportArgs {
            s3: Some(url.into()),
            export_arn: None,
            new_table: None,
            schema: None,
            segment: Some(2),
            total_segments: Some(2),
            wait_timeout: 1,
        };
        assert!(args.load_options().is_err(), "segment 2 of 2");
    }
}
