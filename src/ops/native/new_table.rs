//! `table-import --s3 FOLDER --new-table NAME`: DynamoDB's ImportTable, which creates the table from
//! the export's data files without using write capacity. The keys, GSIs, billing mode and
//! capacity come from the table definition (seeds/messages-table.json unless `--schema`);
//! ImportTable sets nothing else, so the stream, TTL, point-in-time recovery and deletion
//! protection are `schema-load`'s next step.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Serialize;

use super::load::{completed, refuse_incremental};
use super::{client_token, manifest, wait_for};
use crate::context::Context;
use crate::ddb::native::{self, ImportJob};
use crate::ddb::table;
use crate::ops::schema_load::TableDefinition;
use crate::report::Report;
use crate::s3::S3Url;

/// What to import, into what, and how long to wait.
#[derive(Debug, Clone)]
pub struct NewTableOptions {
    /// The export's folder, `s3://BUCKET/PREFIX/AWSDynamoDB/<export id>/`.
    pub folder: S3Url,
    /// The export's ARN (`--export-arn`): needed where the folder has no manifest (moto).
    pub export_arn: Option<String>,
    /// The new table, as defined (its name is the table to create).
    pub definition: TableDefinition,
    /// How long to wait for the import to finish (`--wait-timeout`).
    pub wait: Duration,
}

/// What `table-import --s3 --new-table` did.
#[derive(Debug, Clone, Serialize)]
pub struct NewTableReport {
    /// The new table.
    pub table: String,
    /// The import's ARN.
    pub import_arn: String,
    /// `COMPLETED`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// The export's folder.
    pub source: String,
    /// Data files read.
    pub data_files: u64,
    /// Items the export's manifest counts (`null` without a manifest).
    pub expected: Option<u64>,
    /// Items written to the table.
    pub imported: i64,
    /// Items read from the files.
    pub processed: i64,
    /// Items that could not be imported.
    pub errors: i64,
    /// Bytes read.
    pub processed_bytes: i64,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// Seconds this run waited.
    pub seconds: f64,
}

impl NewTableReport {
    /// Whether every item went in: COMPLETED without errors (and all the manifest counts).
    pub fn succeeded(&self) -> bool {
        self.status == "COMPLETED"
            && self.errors == 0
            && self.expected.is_none_or(|n| n as i64 == self.imported)
    }
}

impl Report for NewTableReport {
    const COLUMNS: &'static [&'static str] = &[
        "Table",
        "Status",
        "Imported",
        "Processed",
        "Errors",
        "Seconds",
    ];

    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.table.clone(),
            self.status.clone(),
            self.imported.to_string(),
            self.processed.to_string(),
            self.errors.to_string(),
            format!("{:.2}", self.seconds),
        ]]
    }
}

/// Creates the table `options.definition` names from the export in `options.folder` and
/// waits for the import; `progress` gets each DescribeImport answer.
pub async fn import_new(
    ctx: &Context,
    options: &NewTableOptions,
    progress: impl FnMut(&ImportJob),
) -> Result<NewTableReport> {
    let started = Instant::now();
    let name = options.definition.table_name.clone();
    let job = completed(ctx, options.export_arn.as_deref()).await?;
    let files = manifest::read(ctx, &options.folder, job.as_ref()).await?;
    refuse_incremental(&files, job.as_ref())?;
    if table::describe(ctx, &name).await?.is_some() {
        bail!(
            "table {name} exists on {}: ImportTable only creates new tables (to load into an \
             existing table, leave out --new-table: the files are then written through the \
             table's write capacity)",
            ctx.dynamodb_endpoint
        );
    }
    let parameters = options.definition.import_parameters()?;
    let data = format!("{}data/", files.folder.key);
    let definition = serde_json::to_string(&options.definition)?;
    let token = client_token(&[
        "import-table",
        &files.folder.bucket,
        &data,
        &name,
        &definition,
    ]);
    let start = native::start_import(ctx, &files.folder.bucket, &data, parameters, &token).await?;
    let arn = start.arn.clone();
    let job = wait_for(
        &format!("import {arn} into table {name}"),
        options.wait,
        || native::describe_import(ctx, &arn),
        ImportJob::in_progress,
        progress,
    )
    .await?;
    Ok(NewTableReport {
        table: name,
        import_arn: job.arn.clone(),
        status: job.status.clone(),
        source: files.folder.to_string(),
        data_files: files.files.len() as u64,
        expected: files.items(),
        imported: job.imported,
        processed: job.processed,
        errors: job.errors,
        processed_bytes: job.processed_bytes,
        failure: job.failure.clone(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
