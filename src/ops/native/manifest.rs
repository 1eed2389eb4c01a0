//! An export's data files. DynamoDB writes, under `PREFIX/AWSDynamoDB/<export id>/`,
//! `manifest-summary.json` (the export's ARN, type, format, item count, and the key of the
//! file list) and `manifest-files.json` (one JSON line per data file: its key, item count, MD5
//! and ETag), last, once every data file is written. [`read`] takes the list from there.
//!
//! moto writes the data files only, no manifest. A listing of `data/` is then trusted only
//! for an export that DynamoDB reports COMPLETED (an export still running has partial files):
//! the caller passes the export as DescribeExport reported it, and the files are said to come
//! from a listing.

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;

use crate::ddb::native::ExportJob;
use crate::s3::{self, S3Url};

/// The name of the summary DynamoDB writes in an export's folder.
pub const SUMMARY: &str = "manifest-summary.json";
/// The most a manifest may weigh (a list of a million data files stays under it).
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

/// `manifest-summary.json`: the fields used here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The export's ARN.
    #[serde(default)]
    pub export_arn: Option<String>,
    /// The key of `manifest-files.json`.
    pub manifest_files_s3_key: String,
    /// Items exported.
    #[serde(default)]
    pub item_count: Option<u64>,
    /// Bytes billed.
    #[serde(default)]
    pub billed_size_bytes: Option<u64>,
    /// `FULL_EXPORT` or `INCREMENTAL_EXPORT`.
    #[serde(default)]
    pub export_type: Option<String>,
    /// `DYNAMODB_JSON` or `ION`.
    #[serde(default)]
    pub output_format: Option<String>,
}

/// One data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Its key in the export's bucket.
    pub key: String,
    /// Its ETag (without quotes), to refuse a file changed since.
    pub etag: Option<String>,
    /// The items the manifest says it holds (`None` without a manifest).
    pub items: Option<u64>,
}

/// A line of `manifest-files.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileLine {
    data_file_s3_key: String,
    #[serde(default)]
    item_count: Option<u64>,
    #[serde(default)]
    etag: Option<String>,
}

/// Where an export's data files were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundBy {
    /// In its manifest, at this address.
    Manifest(S3Url),
    /// By listing `data/` of an export DynamoDB reported COMPLETED (no manifest: moto).
    Listing {
        /// The export whose status was checked.
        export_arn: String,
    },
}

/// An export in S3: its folder, its data files and, with a manifest, its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFiles {
    /// `s3://BUCKET/PREFIX/AWSDynamoDB/<export id>/`.
    pub folder: S3Url,
    /// How the files were found.
    pub found_by: FoundBy,
    /// The manifest's summary (`None` without a manifest).
    pub summary: Option<Summary>,
    /// The data files, in key order.
    pub files: Vec<DataFile>,
}

impl ExportFiles {
    /// The address of a data file.
    pub fn url(&self, file: &DataFile) -> S3Url {
        self.folder.with_key(file.key.clone())
    }

    /// The items the manifest counts in all (`None` without a manifest).
    pub fn items(&self) -> Option<u64> {
        self.summary.as_ref().and_then(|s| s.item_count)
    }

    /// One line saying where the files came from.
    pub fn note(&self) -> String {
        let files = crate::text::count(self.files.len() as u64, "data file", "data files");
        match &self.found_by {
            FoundBy::Manifest(url) => format!("{files}, from the manifest {url}"),
            FoundBy::Listing { .. } => format!(
                "{files}, listed under data/ (no manifest: this server writes none, as moto; \
                 DynamoDB reports the export COMPLETED)"
            ),
        }
    }
}

/// Parses `manifest-summary.json`.
pub fn parse_summary(text: &str) -> Result<Summary> {
    serde_json::from_str(text).context("not an export's manifest summary")
}

/// Parses `manifest-files.json`: one JSON object a line.
pub fn parse_files(text: &str) -> Result<Vec<DataFile>> {
    let mut files = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: FileLine = serde_json::from_str(line)
            .with_context(|| format!("line {}: not a data file entry", number + 1))?;
        files.push(DataFile {
            key: entry.data_file_s3_key,
            etag: entry.etag.map(|e| s3::bare_etag(&e)),
            items: entry.item_count,
        });
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(files)
}

/// The data files of the export in `folder` (`s3://…/AWSDynamoDB/<export id>/`): from its
/// manifest; without one, from a listing of `data/`, but only when `completed` is the export,
/// as DescribeExport reported it COMPLETED, writing to that bucket and prefix.
pub async fn read(
    ctx: &crate::context::Context,
    folder: &S3Url,
    completed: Option<&ExportJob>,
) -> Result<ExportFiles> {
    let folder = folder.with_key(folder.folder());
    let summary_url = folder.with_key(format!("{}{SUMMARY}", folder.key));
    if let Some(text) = s3::read_text(ctx, &summary_url, MAX_MANIFEST).await? {
        let summary = parse_summary(&text).with_context(|| summary_url.to_string())?;
        if let Some(format) = summary
            .output_format
            .as_deref()
            .filter(|f| *f != "DYNAMODB_JSON")
        {
            bail!("{summary_url}: the export is in {format}; only DYNAMODB_JSON is read");
        }
        let files_url = folder.with_key(summary.manifest_files_s3_key.clone());
        let text = s3::read_text(ctx, &files_url, MAX_MANIFEST)
            .await?
            .with_context(|| format!("{summary_url} names {files_url}, which is not there"))?;
        let files = parse_files(&text).with_context(|| files_url.to_string())?;
        return Ok(ExportFiles {
            folder,
            found_by: FoundBy::Manifest(summary_url),
            summary: Some(summary),
            files,
        });
    }
    let Some(job) = completed else {
        bail!(
            "{folder} has no {SUMMARY}: the export is still running or failed (DynamoDB writes \
             the manifest last), or the folder is not an export's (s3://BUCKET/PREFIX/AWSDynamoDB/<export id>/), \
             or it was written by a server that writes no manifest (moto): then pass \
             --export-arn ARN (table-export --s3 prints it), so the export is confirmed COMPLETED \
             before its data files are listed"
        );
    };
    if job.status != "COMPLETED" {
        bail!(
            "export {} is {}, not COMPLETED: its files in {folder} are not all there",
            job.arn,
            job.status
        );
    }
    let prefix = job.prefix.as_deref().unwrap_or("").trim_end_matches('/');
    let under = prefix.is_empty() || folder.key.starts_with(&format!("{prefix}/"));
    if job.bucket.as_deref() != Some(folder.bucket.as_str()) || !under {
        bail!(
            "export {} wrote to s3://{}/{prefix}, not to {folder}",
            job.arn,
            job.bucket.as_deref().unwrap_or("?")
        );
    }
    let data = format!("{}data/", folder.key);
    let files: Vec<DataFile> = s3::list(ctx, &folder.bucket, &data)
        .await?
        .into_iter()
        .map(|o| DataFile {
            key: o.key,
            etag: o.etag,
            items: None,
        })
        .collect();
    Ok(ExportFiles {
        folder,
        found_by: FoundBy::Listing {
            export_arn: job.arn.clone(),
        },
        summary: None,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_files_parse() {
        // As DynamoDB writes them (AWS documentation: "Export output format").
        let summary = r#"{"version":"2020-06-30","exportArn":"arn:aws:dynamodb:us-east-1:123456789012:table/t/export/01700000000000-abcdef12","startTime":"2026-01-01T00:00:00.000Z","endTime":"2026-01-01T00:05:00.000Z","tableArn":"arn:aws:dynamodb:us-east-1:123456789012:table/t","tableId":"x","exportTime":"2026-01-01T00:00:00.000Z","s3Bucket":"b","s3Prefix":"p","s3SseAlgorithm":"AES256","s3SseKmsKeyId":null,"manifestFilesS3Key":"p/AWSDynamoDB/01700000000000-abcdef12/manifest-files.json","billedSizeBytes":1234,"itemCount":3,"outputFormat":"DYNAMODB_JSON","exportType":"FULL_EXPORT"}"#;
        let s = parse_summary(summary).unwrap();
        assert_eq!(
            s.manifest_files_s3_key,
            "p/AWSDynamoDB/01700000000000-abcdef12/manifest-files.json"
        );
        assert_eq!((s.item_count, s.billed_size_bytes), (Some(3), Some(1234)));
        assert_eq!(s.export_type.as_deref(), Some("FULL_EXPORT"));
        let files = "{\"itemCount\":2,\"md5\":\"q1w2==\",\"etag\":\"abc\",\"dataFileS3Key\":\"p/AWSDynamoDB/x/data/b.json.gz\"}\n\
                     \n{\"itemCount\":1,\"md5\":\"e3r4==\",\"etag\":\"\\\"def\\\"\",\"dataFileS3Key\":\"p/AWSDynamoDB/x/data/a.json.gz\"}\n";
        let files = parse_files(files).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].key, "p/AWSDynamoDB/x/data/a.json.gz");
        assert_eq!(files[0].etag.as_deref(), Some("def"));
        assert_eq!(files[1].items, Some(2));
        let err = parse_files("{\"itemCount\":1}\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
        assert!(parse_summary("{}").is_err());
    }
}
