//! `table-import --s3` and its options: an export's folder loaded into an existing table, or a new
//! table created from it with ImportTable.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::DEFAULT_WAIT_SECS;
use crate::ops::native::load::LoadOptions;
use crate::ops::native::new_table::NewTableOptions;

/// `table-import --s3` and its options.
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
        let (arn, part) = (self.export_arn.clone(), (self.segment, self.total_segments));
        LoadOptions::new(url, arn, part.0, part.1).map(Some)
    }

    /// The ImportTable these options ask for (`None` without --new-table).
    pub fn new_table_options(&self) -> Result<Option<NewTableOptions>> {
        let (Some(url), Some(name)) = (&self.s3, &self.new_table) else {
            return Ok(None);
        };
        let wait = Duration::from_secs(self.wait_timeout);
        let (arn, schema) = (self.export_arn.clone(), self.schema.as_deref());
        NewTableOptions::new(url, arn, (name, schema), wait).map(Some)
    }
}
