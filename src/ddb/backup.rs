//! DynamoDB's on-demand backups and restores: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup, RestoreTableFromBackup and RestoreTableToPointInTime, one request each under the
//! SDK's timeouts (waiting is the caller's loop). An endpoint without them (DynamoDB Local answers
//! UnknownOperationException) is told apart as [`Unsupported`], so that the caller can name the
//! way to rehearse on moto.

use std::fmt;

use anyhow::Result;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::DateTime as SdkTime;
use aws_sdk_dynamodb::types::{BackupDescription, BackupDetails, BackupSummary};
use chrono::{DateTime, Utc};
use serde::Serialize;

use aws_smithy_runtime_api::http::Response as HttpResponse;

use crate::context::{sdk_error, Context};

/// The endpoint has no backups or restores (DynamoDB Local): the message it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

/// A backup as the tools report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backup {
    /// Its name.
    pub name: String,
    /// Its ARN (what `restore --from-backup` and `backups --delete` take).
    pub arn: String,
    /// `CREATING`, `AVAILABLE` or `DELETED`.
    pub status: String,
    /// The table it was taken of.
    pub table: Option<String>,
    /// When it was taken (RFC 3339, UTC).
    pub created: Option<String>,
    /// Its size in bytes (DynamoDB refreshes it about every six hours).
    pub size_bytes: Option<i64>,
    /// The source table's item count when it was taken (approximate, as DescribeTable counts).
    pub items: Option<i64>,
}

impl Backup {
    /// Whether it can be restored.
    pub fn is_available(&self) -> bool {
        self.status == "AVAILABLE"
    }
}

fn rfc3339(t: &SdkTime) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(t.to_millis().ok()?)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn from_details(d: &BackupDetails, table: Option<String>, items: Option<i64>) -> Backup {
    Backup {
        name: d.backup_name().to_string(),
        arn: d.backup_arn().to_string(),
        status: d.backup_status().as_str().to_string(),
        table,
        created: rfc3339(d.backup_creation_date_time()),
        size_bytes: d.backup_size_bytes(),
        items,
    }
}

fn from_description(d: &BackupDescription) -> Option<Backup> {
    let source = d.source_table_details();
    Some(from_details(
        d.backup_details()?,
        source.map(|s| s.table_name().to_string()),
        source.and_then(|s| s.item_count()),
    ))
}

fn from_summary(s: &BackupSummary) -> Backup {
    Backup {
        name: s.backup_name().unwrap_or_default().to_string(),
        arn: s.backup_arn().unwrap_or_default().to_string(),
        status: s
            .backup_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        table: s.table_name().map(str::to_string),
        created: s.backup_creation_date_time().and_then(rfc3339),
        size_bytes: s.backup_size_bytes(),
        items: None,
    }
}

/// The endpoint's "no such operation", if that is what `err` is.
fn unsupported<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<Unsupported> {
    let meta = err.as_service_error()?;
    (meta.code() == Some("UnknownOperationException")).then(|| {
        Unsupported(
            meta.message()
                .unwrap_or("an unknown operation was requested")
                .to_string(),
        )
    })
}

/// Turns an SDK error into ours: [`Unsupported`] when the endpoint lacks the call, else the
/// error with its endpoint and what was being done.
fn failed<E>(
    ctx: &Context,
    err: SdkError<E, HttpResponse>,
    what: fmt::Arguments<'_>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match unsupported(&err) {
        Some(why) => anyhow::Error::new(why),
        None => sdk_error(err, &ctx.dynamodb_endpoint, what),
    }
}

/// Whether `err` says the backup does not exist (or is not this account's and region's).
fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().is_some_and(|e| {
        matches!(
            e.code(),
            Some("BackupNotFoundException" | "ResourceNotFoundException")
        )
    })
}

/// CreateBackup of `table` named `name`.
pub async fn create(ctx: &Context, table: &str, name: &str) -> Result<Backup> {
    let out = ctx
        .dynamodb()
        .create_backup()
        .table_name(table)
        .backup_name(name)
        .send()
        .await
        .map_err(|e| failed(ctx, e, format_args!("backing up table {table}")))?;
    let details = out.backup_details.ok_or_else(|| {
        anyhow::anyhow!("CreateBackup of table {table} answered without the backup's details")
    })?;
    Ok(from_details(&details, Some(table.to_string()), None))
}

/// DescribeBackup of `arn`: `None` when there is no such backup (here).
pub async fn describe(ctx: &Context, arn: &str) -> Result<Option<Backup>> {
    match ctx
        .dynamodb()
        .describe_backup()
        .backup_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.backup_description.as_ref().and_then(from_description)),
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(failed(ctx, err, format_args!("describing backup {arn}"))),
    }
}

/// Every backup (of `table`, when given), across all ListBackups pages, oldest first.
pub async fn list(ctx: &Context, table: Option<&str>) -> Result<Vec<Backup>> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let out = ctx
            .dynamodb()
            .list_backups()
            .set_table_name(table.map(str::to_string))
            .set_exclusive_start_backup_arn(after.take())
            .send()
            .await
            .map_err(|e| failed(ctx, e, format_args!("listing backups")))?;
        found.extend(out.backup_summaries().iter().map(from_summary));
        match out.last_evaluated_backup_arn {
            Some(next) if !next.is_empty() => after = Some(next),
            _ => break,
        }
    }
    Ok(found)
}

/// DeleteBackup of `arn`: `false` when there is no such backup.
pub async fn delete(ctx: &Context, arn: &str) -> Result<bool> {
    match ctx.dynamodb().delete_backup().backup_arn(arn).send().await {
        Ok(_) => Ok(true),
        Err(err) if is_not_found(&err) => Ok(false),
        Err(err) => Err(failed(ctx, err, format_args!("deleting backup {arn}"))),
    }
}

/// RestoreTableFromBackup: a new table `to` from backup `arn`.
pub async fn restore_from_backup(ctx: &Context, arn: &str, to: &str) -> Result<()> {
    ctx.dynamodb()
        .restore_table_from_backup()
        .backup_arn(arn)
        .target_table_name(to)
        .send()
        .await
        .map_err(|e| {
            failed(
                ctx,
                e,
                format_args!("restoring backup {arn} into table {to}"),
            )
        })?;
    Ok(())
}

/// RestoreTableToPointInTime: a new table `to` from `source` as it was at `at` (`None`: the
/// latest restorable time).
pub async fn restore_to_time(
    ctx: &Context,
    source: &str,
    at: Option<DateTime<Utc>>,
    to: &str,
) -> Result<()> {
    let request = ctx
        .dynamodb()
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(to);
    let request = match at {
        Some(at) => request.restore_date_time(SdkTime::from_millis(at.timestamp_millis())),
        None => request.use_latest_restorable_time(true),
    };
    request.send().await.map_err(|e| {
        failed(
            ctx,
            e,
            format_args!("restoring table {source} to a point in time into table {to}"),
        )
    })?;
    Ok(())
}
