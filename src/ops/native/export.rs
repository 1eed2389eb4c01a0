//! `table-export --s3`: DynamoDB's ExportTableToPointInTime, started (or joined) and waited for.
//!
//! The table needs point-in-time recovery. The request's client token is derived from the
//! table, the bucket, the prefix, the export type and its times, so a re-run within DynamoDB's
//! 8-hour window joins the same export. The local emulator (moto) ignores client tokens, so on
//! the local target the tool first looks among the table's exports for one of the same token
//! (or, where the server reports none, the same bucket, prefix and type) and joins it.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use serde::Serialize;

use super::manifest::{self, ExportFiles, FoundBy};
use super::{client_token, wait_for};
use crate::config::Target;
use crate::context::Context;
use crate::ddb::native::{self, ExportJob, ExportKind, ExportRequest, Pitr};
use crate::ddb::table;
use crate::report::Report;
use crate::s3::{self, S3Url};

/// What to export, where, and how long to wait.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// `s3://BUCKET/PREFIX`.
    pub destination: S3Url,
    /// Full or incremental.
    pub kind: ExportKind,
    /// How long to wait for the export to finish (`--wait-timeout`).
    pub wait: Duration,
}

/// What `table-export --s3` did.
#[derive(Debug, Clone, Serialize)]
pub struct NativeExportReport {
    /// The table.
    pub table: String,
    /// The export's ARN.
    pub export_arn: String,
    /// `COMPLETED`.
    pub status: String,
    /// `FULL_EXPORT` or `INCREMENTAL_EXPORT`.
    pub export_type: String,
    /// Whether this run joined an export started before (same client token).
    pub joined: bool,
    /// The client token of the request.
    pub client_token: String,
    /// The export's folder: what `table-import --s3` takes.
    pub folder: String,
    /// Its manifest-summary.json (`null` where the server writes none: moto).
    pub manifest: Option<String>,
    /// Data files.
    pub data_files: u64,
    /// Items exported.
    pub items: Option<u64>,
    /// Bytes billed (the table's size as exported).
    pub bytes: Option<u64>,
    /// Seconds this run waited.
    pub seconds: f64,
    /// How the data files were found.
    pub note: String,
}

impl Report for NativeExportReport {
    const COLUMNS: &'static [&'static str] = &["Export", "Status", "Items", "Bytes", "Manifest"];

    fn rows(&self) -> Vec<Vec<String>> {
        let or_dash = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        vec![vec![
            self.export_arn.clone(),
            self.status.clone(),
            or_dash(self.items),
            or_dash(self.bytes),
            self.manifest
                .clone()
                .unwrap_or_else(|| format!("(none) {}", self.folder)),
        ]]
    }
}

/// The parts of the client token of `request` (its token field aside).
fn token_parts(request: &ExportRequest) -> String {
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let (from, to) = match request.kind {
        ExportKind::Full { at } => (time(at), String::new()),
        ExportKind::Incremental { from, to } => (time(Some(from)), time(to)),
    };
    client_token(&[
        "export",
        &request.table_arn,
        &request.bucket,
        &request.prefix,
        request.kind.as_str(),
        &from,
        &to,
    ])
}

/// Refuses an export of a table without point-in-time recovery, naming the setting and the step
/// that turns it on; on DynamoDB Local (which has no exports) names the way to moto.
async fn check_pitr(ctx: &Context, table: &str) -> Result<()> {
    match native::point_in_time_recovery(ctx, table).await? {
        Pitr::Enabled => Ok(()),
        Pitr::Disabled => bail!(
            "table {table} has point-in-time recovery off, and ExportTableToPointInTime exports \
             from it: turn it on with `schema-load{} --table {table} --apply` (the shipped \
             seeds/messages-table.json sets PointInTimeRecoverySpecification \
             PointInTimeRecoveryEnabled: true), then export again",
            target_word(ctx)
        ),
        Pitr::Unsupported(why) => bail!(
            "{} has no point-in-time recovery and no ExportTableToPointInTime ({why}): DynamoDB \
             Local cannot export to S3. Locally the native path runs against the stack's moto \
             server, which serves DynamoDB and S3: set AWS_ENDPOINT_URL_DYNAMODB={} and create \
             the table there (schema-load, seed or table-import; README: \"The native path, \
             rehearsed locally\")",
            ctx.dynamodb_endpoint,
            crate::ops::backup::moto_endpoint(ctx)
        ),
    }
}

fn target_word(ctx: &Context) -> &'static str {
    match ctx.target() {
        Target::Local => "",
        Target::Prod => " prod",
    }
}

/// On the local target: an export of the table that is the same request, started before
/// (moto does not keep client tokens), still in progress or with its files in place.
async fn same_export(ctx: &Context, request: &ExportRequest) -> Result<Option<ExportJob>> {
    if ctx.target() != Target::Local {
        return Ok(None);
    }
    for (arn, status) in native::list_exports(ctx, &request.table_arn).await? {
        if !matches!(status.as_str(), "IN_PROGRESS" | "COMPLETED") {
            continue;
        }
        let job = native::describe_export(ctx, &arn).await?;
        let same = match &job.client_token {
            Some(token) => *token == request.client_token,
            None => {
                job.bucket.as_deref() == Some(request.bucket.as_str())
                    && job.prefix.as_deref() == Some(request.prefix.as_str())
                    && job.export_type.as_deref() == Some(request.kind.as_str())
            }
        };
        // A completed one whose files are gone (a bucket emptied since, a table of the same
        // name made again) is not joined: it would point at nothing.
        if same && (job.in_progress() || locate(ctx, request, &job).await.is_ok()) {
            return Ok(Some(job));
        }
    }
    Ok(None)
}

/// Exports the context's table to `options.destination` and waits for it; `progress` gets each
/// DescribeExport answer.
pub async fn export(
    ctx: &Context,
    options: &ExportOptions,
    mut progress: impl FnMut(&ExportJob),
) -> Result<NativeExportReport> {
    let started = Instant::now();
    let table = ctx.table();
    let prefix = options.destination.key.trim_end_matches('/').to_string();
    if prefix.is_empty() {
        bail!(
            "{}: give a prefix, s3://BUCKET/PREFIX (the export goes under PREFIX/AWSDynamoDB/)",
            options.destination
        );
    }
    let description = table::describe(ctx, table)
        .await?
        .with_context(|| format!("table {table} does not exist on {}", ctx.dynamodb_endpoint))?;
    let table_arn = description
        .table_arn
        .context("DescribeTable answered without the table's ARN")?;
    check_pitr(ctx, table).await?;
    let mut request = ExportRequest {
        table_arn,
        bucket: options.destination.bucket.clone(),
        prefix,
        kind: options.kind,
        client_token: String::new(),
    };
    request.client_token = token_parts(&request);
    let (job, mut joined) = match same_export(ctx, &request).await? {
        Some(job) => (job, true),
        None => (native::start_export(ctx, &request).await?, false),
    };
    // DynamoDB answers a known token with the export it started then, well before this run.
    let before = chrono::Utc::now().timestamp() - 60;
    joined |= job.started_secs.is_some_and(|t| t < before);
    let what = format!("export {}", job.arn);
    let arn = job.arn.clone();
    let job = wait_for(
        &what,
        options.wait,
        || native::describe_export(ctx, &arn),
        ExportJob::in_progress,
        &mut progress,
    )
    .await?;
    if job.status != "COMPLETED" {
        bail!(
            "export {} of table {table} ended {}: {}",
            job.arn,
            job.status,
            job.failure.as_deref().unwrap_or("no reason given")
        );
    }
    let files = locate(ctx, &request, &job).await?;
    let summary = files.summary.as_ref();
    let to_u64 = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
    Ok(NativeExportReport {
        table: table.to_string(),
        export_arn: job.arn.clone(),
        status: job.status.clone(),
        export_type: request.kind.as_str().to_string(),
        joined,
        client_token: request.client_token.clone(),
        folder: files.folder.to_string(),
        manifest: match &files.found_by {
            FoundBy::Manifest(url) => Some(url.to_string()),
            FoundBy::Listing { .. } => None,
        },
        data_files: files.files.len() as u64,
        items: summary
            .and_then(|s| s.item_count)
            .or(to_u64(job.item_count)),
        bytes: summary
            .and_then(|s| s.billed_size_bytes)
            .or(to_u64(job.billed_bytes)),
        seconds: started.elapsed().as_secs_f64(),
        note: files.note(),
    })
}

/// The folder of the completed export `job`: its manifest's (DynamoDB names it), else
/// `PREFIX/AWSDynamoDB/<export id>/`, else (moto names its folders otherwise) the one folder
/// under `PREFIX/AWSDynamoDB/`.
async fn locate(ctx: &Context, request: &ExportRequest, job: &ExportJob) -> Result<ExportFiles> {
    let bucket = S3Url {
        bucket: request.bucket.clone(),
        key: String::new(),
    };
    if let Some(key) = &job.manifest_key {
        let folder = key.trim_end_matches(manifest::SUMMARY);
        return manifest::read(ctx, &bucket.with_key(folder), Some(job)).await;
    }
    let base = format!("{}/AWSDynamoDB/", request.prefix);
    let id = job.arn.rsplit('/').next().unwrap_or_default();
    let named = format!("{base}{id}/");
    let folders = s3::folders(ctx, &request.bucket, &base).await?;
    let folder = if folders.contains(&named) {
        named
    } else if let [only] = folders.as_slice() {
        only.clone()
    } else {
        bail!(
            "export {} is COMPLETED, but s3://{}/{base} holds {} export folders and none is \
             named after it (moto names its folders otherwise: give each export a prefix of its \
             own): give table-import --s3 the export's folder",
            job.arn,
            request.bucket,
            folders.len()
        );
    };
    manifest::read(ctx, &bucket.with_key(folder), Some(job)).await
}

/// Checks an export's times before asking DynamoDB: none in the future; an incremental export's
/// period from 15 minutes to 24 hours (DynamoDB's limits), its end after its start.
pub fn check_kind(kind: &ExportKind, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let future = |t: chrono::DateTime<chrono::Utc>| t > now;
    match *kind {
        ExportKind::Full { at } => {
            if at.is_some_and(future) {
                bail!("--at is in the future: an export reads the table as it was");
            }
        }
        ExportKind::Incremental { from, to } => {
            let end = to.unwrap_or(now);
            if future(from) || to.is_some_and(future) {
                bail!("--since and --until must be in the past");
            }
            let span = end - from;
            if span < chrono::Duration::minutes(15) || span > chrono::Duration::hours(24) {
                bail!(
                    "an incremental export covers 15 minutes to 24 hours (DynamoDB's limits), \
                     not {} min (from --since to --until, or to now)",
                    span.num_minutes()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration as Span, TimeZone, Utc};

    #[test]
    fn export_times_are_checked_before_asking() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let full = |at| ExportKind::Full { at };
        assert!(check_kind(&full(None), now).is_ok());
        assert!(check_kind(&full(Some(now - Span::hours(1))), now).is_ok());
        assert!(check_kind(&full(Some(now + Span::hours(1))), now).is_err());
        let inc = |from, to| ExportKind::Incremental { from, to };
        assert!(check_kind(&inc(now - Span::minutes(20), None), now).is_ok());
        assert!(check_kind(&inc(now - Span::hours(3), Some(now - Span::hours(1))), now).is_ok());
        for (from, to) in [
            (now - Span::minutes(5), None),
            (now - Span::hours(25), None),
            (now - Span::hours(1), Some(now - Span::hours(2))),
            (now - Span::hours(1), Some(now + Span::hours(1))),
        ] {
            assert!(check_kind(&inc(from, to), now).is_err(), "{from} {to:?}");
        }
    }
}
