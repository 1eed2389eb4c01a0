//! `table-import --s3 FOLDER` into an existing table: the export's data files streamed from S3 through
//! `import`'s own pipeline ([`crate::ops::import`]): every line of every file checked (keys,
//! item size, and each file's item count against the manifest) before the first write, writes
//! inside the capacity budget, `--checkpoint` to resume. `--segment K --total-segments N` takes
//! every N-th data file from the K-th, so N machines each load a disjoint share.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};
use serde_json::json;

use super::manifest::{self, ExportFiles};
use crate::context::Context;
use crate::ddb::native::{self, ExportJob};
use crate::ops::import::{self, OpenObject, Plan, Remote, Source};
use crate::s3::{ObjectReader, S3Url};

/// One of `total` disjoint shares of the data files (`--segment K --total-segments N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePart {
    /// K, from 0.
    pub index: u32,
    /// N.
    pub total: u32,
}

impl FilePart {
    /// Whether the data file at `position` (in key order) is in this share.
    pub fn holds(&self, position: usize) -> bool {
        position % self.total.max(1) as usize == self.index as usize
    }
}

/// Which export to read, and how much of it.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The export's folder, `s3://BUCKET/PREFIX/AWSDynamoDB/<export id>/`.
    pub folder: S3Url,
    /// The export's ARN (`--export-arn`): needed where the folder has no manifest (moto).
    pub export_arn: Option<String>,
    /// A share of the data files.
    pub part: Option<FilePart>,
}

/// The export as DescribeExport reports it, when `arn` is given.
pub async fn completed(ctx: &Context, arn: Option<&str>) -> Result<Option<ExportJob>> {
    match arn {
        Some(arn) => Ok(Some(native::describe_export(ctx, arn).await?)),
        None => Ok(None),
    }
}

/// Refuses an incremental export: its lines are changes (keys, new and old images), not items.
pub fn refuse_incremental(files: &ExportFiles, job: Option<&ExportJob>) -> Result<()> {
    let kind = files
        .summary
        .as_ref()
        .and_then(|s| s.export_type.as_deref())
        .or(job.and_then(|j| j.export_type.as_deref()));
    if kind == Some("INCREMENTAL_EXPORT") {
        bail!(
            "{} is an incremental export: its lines are changes (Keys, NewImage, OldImage), not \
             items; table-import --s3 reads full exports",
            files.folder
        );
    }
    if files.files.is_empty() {
        bail!("{} holds no data files", files.folder);
    }
    Ok(())
}

/// Opens data files of an export in S3, each checked against the ETag it was listed with.
struct S3Files {
    ctx: Context,
    urls: Vec<S3Url>,
    etags: Vec<Option<String>>,
}

impl OpenObject for S3Files {
    fn open(&self, index: usize) -> Result<Box<dyn std::io::Read>> {
        let Some(url) = self.urls.get(index) else {
            bail!("no data file number {index}");
        };
        let etag = self.etags.get(index).cloned().flatten();
        Ok(Box::new(ObjectReader::open(
            &self.ctx,
            url,
            etag.as_deref(),
        )?))
    }
}

/// Finds the export's data files (this share of them), checks every line of them and the
/// table's key, and returns `import`'s plan (with `checkpoint`, resumed where it stood) and the
/// files read.
pub async fn prepare(
    ctx: &Context,
    options: &LoadOptions,
    checkpoint: Option<&Path>,
) -> Result<(Plan, ExportFiles)> {
    let job = completed(ctx, options.export_arn.as_deref()).await?;
    let mut files = manifest::read(ctx, &options.folder, job.as_ref()).await?;
    refuse_incremental(&files, job.as_ref())?;
    // A share may hold no file (more machines than files): it then writes nothing.
    if let Some(part) = options.part {
        files.files = std::mem::take(&mut files.files)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| part.holds(*i))
            .map(|(_, f)| f)
            .collect();
    }
    let urls: Vec<S3Url> = files.files.iter().map(|f| files.url(f)).collect();
    let identity = json!({
        "folder": files.folder.to_string(),
        "objects": files.files.iter().map(|f| json!({
            "key": f.key, "etag": f.etag, "items": f.items,
        })).collect::<Vec<_>>(),
    });
    let remote = Remote {
        names: urls.iter().map(S3Url::to_string).collect(),
        identity,
        expected: files.files.iter().map(|f| f.items).collect(),
        opener: Arc::new(S3Files {
            ctx: ctx.clone(),
            urls,
            etags: files.files.iter().map(|f| f.etag.clone()).collect(),
        }),
    };
    let plan = import::prepare(ctx, Source::Remote(remote), checkpoint).await?;
    Ok((plan, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_the_files_are_disjoint_and_cover_them() {
        let total = 3;
        let mut seen = vec![0; 10];
        for index in 0..total {
            let part = FilePart { index, total };
            for (i, n) in seen.iter_mut().enumerate() {
                if part.holds(i) {
                    *n += 1;
                }
            }
        }
        assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
    }
}
