//! The `--s3` options of `export` and `import`: DynamoDB's own export and import through S3
//! ([`crate::ops::native`]), and the requests they build.

use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;

use crate::ops::native::export::ExportOptions;

mod import;
pub use import::S3ImportArgs;

/// The default `--wait-timeout`: two hours (an export of a large table takes that long).
const DEFAULT_WAIT_SECS: u64 = 7200;

/// An RFC 3339 time (`2026-12-06T10:00:00Z`).
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: write an RFC 3339 time such as 2026-12-06T10:00:00Z"))
}

/// `table-export --s3` and its options.
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

impl S3ExportArgs {
    /// The export these options ask for (`None` without --s3).
    pub fn options(&self) -> Result<Option<ExportOptions>> {
        let Some(url) = &self.s3 else { return Ok(None) };
        let wait = Duration::from_secs(self.wait_timeout);
        ExportOptions::new(url, self.at, (self.since, self.until), wait).map(Some)
    }
}

#[cfg(test)]
mod tests;
