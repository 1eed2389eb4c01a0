//! DynamoDB's own bulk engine: ExportTableToPointInTime (with DescribeExport and ListExports),
//! ImportTable (with DescribeImport), and the point-in-time recovery setting an export needs.
//! Each call is one request under the SDK's timeouts; waiting for a job is the caller's loop.

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::DateTime as SdkTime;
use aws_sdk_dynamodb::types::{
    ExportDescription, ExportFormat, ExportType, ExportViewType, ImportTableDescription,
    IncrementalExportSpecification, InputCompressionType, InputFormat, PointInTimeRecoveryStatus,
    S3BucketSource, TableCreationParameters,
};
use chrono::{DateTime, Utc};

use crate::context::{Context, SdkResultExt};

/// Point-in-time recovery on a table, as DescribeContinuousBackups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pitr {
    /// On: the table can be exported.
    Enabled,
    /// Off (or not reported).
    Disabled,
    /// The endpoint has no such operation (DynamoDB Local): the message it gave.
    Unsupported(String),
}

/// Whether point-in-time recovery is on for `table`.
pub async fn point_in_time_recovery(ctx: &Context, table: &str) -> Result<Pitr> {
    match ctx
        .dynamodb()
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => {
            let on = out
                .continuous_backups_description
                .and_then(|d| d.point_in_time_recovery_description)
                .and_then(|p| p.point_in_time_recovery_status)
                == Some(PointInTimeRecoveryStatus::Enabled);
            Ok(if on { Pitr::Enabled } else { Pitr::Disabled })
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.code() == Some("UnknownOperationException")) =>
        {
            let why = err
                .as_service_error()
                .and_then(|e| e.message())
                .unwrap_or("an unknown operation was requested");
            Ok(Pitr::Unsupported(why.to_string()))
        }
        Err(err) => Err(err).on(
            &ctx.dynamodb_endpoint,
            format_args!("reading the point-in-time recovery setting of table {table}"),
        ),
    }
}

/// Which data an export takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The whole table as it was at `at` (`None`: now).
    Full {
        /// The point in time (`--at`).
        at: Option<DateTime<Utc>>,
    },
    /// What changed from `from` to `to` (`None`: as late as DynamoDB has), new and old images.
    Incremental {
        /// Start, inclusive (`--since`).
        from: DateTime<Utc>,
        /// End, exclusive (`--until`).
        to: Option<DateTime<Utc>>,
    },
}

impl ExportKind {
    /// DynamoDB's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExportKind::Full { .. } => "FULL_EXPORT",
            ExportKind::Incremental { .. } => "INCREMENTAL_EXPORT",
        }
    }
}

/// An export to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    /// The table's ARN.
    pub table_arn: String,
    /// The bucket.
    pub bucket: String,
    /// The key prefix the export goes under (`PREFIX/AWSDynamoDB/<export id>/`).
    pub prefix: String,
    /// Full or incremental.
    pub kind: ExportKind,
    /// Makes the request idempotent: the same token within 8 hours is the same export.
    pub client_token: String,
}

/// An export job as DescribeExport reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    /// Its ARN.
    pub arn: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub status: String,
    /// `FULL_EXPORT` or `INCREMENTAL_EXPORT`.
    pub export_type: Option<String>,
    /// The bucket it writes to.
    pub bucket: Option<String>,
    /// The prefix it writes under.
    pub prefix: Option<String>,
    /// The client token it was started with (moto does not report one).
    pub client_token: Option<String>,
    /// The key of its manifest-summary.json (moto does not report one).
    pub manifest_key: Option<String>,
    /// Items exported (when done).
    pub item_count: Option<i64>,
    /// Bytes billed (when done).
    pub billed_bytes: Option<i64>,
    /// When it started (seconds since the epoch).
    pub started_secs: Option<i64>,
    /// Why it failed: code and message.
    pub failure: Option<String>,
}

impl ExportJob {
    /// Whether it is still running.
    pub fn in_progress(&self) -> bool {
        self.status == "IN_PROGRESS"
    }
}

impl From<ExportDescription> for ExportJob {
    fn from(d: ExportDescription) -> ExportJob {
        let failure = failure(d.failure_code, d.failure_message);
        ExportJob {
            arn: d.export_arn.unwrap_or_default(),
            status: d
                .export_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            export_type: d.export_type.map(|t| t.as_str().to_string()),
            bucket: d.s3_bucket,
            prefix: d.s3_prefix,
            client_token: d.client_token,
            manifest_key: d.export_manifest,
            item_count: d.item_count,
            billed_bytes: d.billed_size_bytes,
            started_secs: d.start_time.map(|t| t.secs()),
            failure,
        }
    }
}

fn sdk_time(t: DateTime<Utc>) -> SdkTime {
    SdkTime::from_millis(t.timestamp_millis())
}

/// Starts an export (or, with a client token DynamoDB has seen within 8 hours, returns that one).
pub async fn start_export(ctx: &Context, request: &ExportRequest) -> Result<ExportJob> {
    let mut call = ctx
        .dynamodb()
        .export_table_to_point_in_time()
        .table_arn(&request.table_arn)
        .s3_bucket(&request.bucket)
        .s3_prefix(&request.prefix)
        .export_format(ExportFormat::DynamodbJson)
        .client_token(&request.client_token);
    call = match request.kind {
        ExportKind::Full { at } => call
            .export_type(ExportType::FullExport)
            .set_export_time(at.map(sdk_time)),
        ExportKind::Incremental { from, to } => call
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(sdk_time(from))
                    .set_export_to_time(to.map(sdk_time))
                    .export_view_type(ExportViewType::NewAndOldImages)
                    .build(),
            ),
    };
    let out = call.send().await.on(
        &ctx.dynamodb_endpoint,
        format_args!(
            "starting an export of {} to s3://{}/{}",
            request.table_arn, request.bucket, request.prefix
        ),
    )?;
    job(out.export_description, "ExportTableToPointInTime")
}

/// The export `arn` as it stands.
pub async fn describe_export(ctx: &Context, arn: &str) -> Result<ExportJob> {
    let sent = ctx
        .dynamodb()
        .describe_export()
        .export_arn(arn)
        .send()
        .await;
    let out = sent.on(
        &ctx.dynamodb_endpoint,
        format_args!("describing export {arn}"),
    )?;
    job(out.export_description, "DescribeExport")
}

/// A failed job's code and message, as one line.
fn failure(code: Option<String>, message: Option<String>) -> Option<String> {
    match (code, message) {
        (None, None) => None,
        (code, message) => Some(format!(
            "{}: {}",
            code.unwrap_or_default(),
            message.unwrap_or_default()
        )),
    }
}

/// A job's description from an answer (an export's, an import's), or an error naming the
/// `operation` whose answer left it out.
fn job<T, J: From<T>>(description: Option<T>, operation: &str) -> Result<J> {
    description
        .map(J::from)
        .with_context(|| format!("{operation} answered without the job's description"))
}

/// The exports of `table_arn`: each one's ARN and status.
pub async fn list_exports(ctx: &Context, table_arn: &str) -> Result<Vec<(String, String)>> {
    let mut pages = ctx
        .dynamodb()
        .list_exports()
        .table_arn(table_arn)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.on(
            &ctx.dynamodb_endpoint,
            format_args!("listing the exports of {table_arn}"),
        )?;
        for e in page.export_summaries() {
            if let Some(arn) = e.export_arn() {
                let status = e.export_status().map(|s| s.as_str()).unwrap_or_default();
                found.push((arn.to_string(), status.to_string()));
            }
        }
    }
    Ok(found)
}

/// An import job as DescribeImport reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// Its ARN.
    pub arn: String,
    /// `IN_PROGRESS`, `COMPLETED`, `CANCELLING`, `CANCELLED` or `FAILED`.
    pub status: String,
    /// Items written to the new table.
    pub imported: i64,
    /// Items read from the files.
    pub processed: i64,
    /// Items that could not be imported.
    pub errors: i64,
    /// Bytes read from the files.
    pub processed_bytes: i64,
    /// Why it failed: code and message.
    pub failure: Option<String>,
}

impl ImportJob {
    /// Whether it is still running.
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "IN_PROGRESS" | "CANCELLING")
    }
}

impl From<ImportTableDescription> for ImportJob {
    fn from(d: ImportTableDescription) -> ImportJob {
        let failure = failure(d.failure_code, d.failure_message);
        ImportJob {
            arn: d.import_arn.unwrap_or_default(),
            status: d
                .import_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            imported: d.imported_item_count,
            processed: d.processed_item_count,
            errors: d.error_count,
            processed_bytes: d.processed_size_bytes.unwrap_or(0),
            failure,
        }
    }
}

/// Starts an ImportTable of the gzipped DynamoDB JSON files under `s3://bucket/key_prefix` into
/// the new table `table` describes.
pub async fn start_import(
    ctx: &Context,
    bucket: &str,
    key_prefix: &str,
    table: TableCreationParameters,
    client_token: &str,
) -> Result<ImportJob> {
    let name = table.table_name().to_string();
    let source = S3BucketSource::builder()
        .s3_bucket(bucket)
        .s3_key_prefix(key_prefix)
        .build()
        .context("building the S3 source")?;
    let out = ctx
        .dynamodb()
        .import_table()
        .s3_bucket_source(source)
        .input_format(InputFormat::DynamodbJson)
        .input_compression_type(InputCompressionType::Gzip)
        .table_creation_parameters(table)
        .client_token(client_token)
        .send()
        .await
        .on(
            &ctx.dynamodb_endpoint,
            format_args!("starting an import of s3://{bucket}/{key_prefix} into new table {name}"),
        )?;
    job(out.import_table_description, "ImportTable")
}

/// The import `arn` as it stands.
pub async fn describe_import(ctx: &Context, arn: &str) -> Result<ImportJob> {
    let sent = ctx
        .dynamodb()
        .describe_import()
        .import_arn(arn)
        .send()
        .await;
    let out = sent.on(
        &ctx.dynamodb_endpoint,
        format_args!("describing import {arn}"),
    )?;
    job(out.import_table_description, "DescribeImport")
}
