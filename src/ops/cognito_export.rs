//! `cognito-export`: a user pool as JSON lines ([`crate::cognito::records`]): the pool's
//! description, its groups, every user (ListUsers, 60 a page) and every membership
//! (ListUsersInGroup per group), written as the pages arrive (memory holds one page and the
//! groups).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use serde::Serialize;

use crate::atomic_file::AtomicFile;
use crate::cognito::backup;
use crate::cognito::rate::Pacer;
use crate::cognito::records::{Line, Membership};
use crate::context::Context;
use crate::ops::pace::Pace;
use crate::ops::ui::{Bar, Ui};
use crate::report::{Format, Report};

/// What `cognito-export` is asked for.
#[derive(Debug, Clone)]
pub struct PoolExportRequest {
    /// The file to write; `None` for standard output.
    file: Option<PathBuf>,
    /// The pool's name, to look it up on local when no id is configured.
    pool_name: String,
    /// The request rates.
    pace: Pace,
    /// The summary on stdout too, in this format (with a file only).
    output: Option<Format>,
}

impl PoolExportRequest {
    /// An export to `file` (`-`: standard output); a summary on stdout needs a file.
    pub fn new(
        file: PathBuf,
        pool_name: String,
        pace: Pace,
        output: Option<Format>,
    ) -> Result<PoolExportRequest> {
        let stdout = file.as_os_str() == "-";
        if stdout && output.is_some() {
            bail!("--output needs --file: the pool goes to standard output, so the summary cannot");
        }
        Ok(PoolExportRequest {
            file: (!stdout).then_some(file),
            pool_name,
            pace,
            output,
        })
    }
}

/// Exports the pool of `ctx` as `request` says, with a bar and a summary for `ui`: to the file
/// (written under a temporary name and renamed when complete), or to what `stdout` opens.
pub async fn run<W: Write>(
    ctx: &Context,
    request: &PoolExportRequest,
    ui: &mut impl Ui,
    stdout: impl FnOnce() -> W,
) -> Result<()> {
    let pool_id = crate::cognito::resolve_user_pool_id(ctx, &request.pool_name).await?;
    let pacer = request.pace.pacer(ctx.target());
    let bar = ui.bar("exporting users", None);
    let on_users = |n| bar.set(n);
    let (report, place) = match &request.file {
        None => {
            let mut out = BufWriter::with_capacity(256 * 1024, stdout());
            let report = export(ctx, &pacer, &pool_id, &mut out, on_users).await;
            (report, "standard output".to_string())
        }
        Some(path) => {
            let file = AtomicFile::create(path)
                .with_context(|| format!("creating a temporary file beside {}", path.display()))?;
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            let report = export(ctx, &pacer, &pool_id, &mut out, on_users).await;
            if report.is_ok() {
                let file = out
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("writing the export")?;
                file.commit()
                    .with_context(|| format!("renaming the export to {}", path.display()))?;
            }
            (report, path.display().to_string())
        }
    };
    bar.finish();
    let report = report?;
    ui.note(&format!(
        "exported {} users, {} groups and {} memberships of user pool {pool_id} on {} to {place} \
         in {:.2} s ({} requests, {} throttled; {})",
        report.users,
        report.groups,
        report.memberships,
        ctx.cognito_endpoint,
        report.elapsed.as_secs_f64(),
        report.requests,
        report.throttled,
        request.pace.describe(ctx.target()),
    ));
    match request.output {
        Some(format) => ui.emit(&report, format),
        None => Ok(()),
    }
}

impl Report for ExportReport {
    const COLUMNS: &'static [&'static str] = &[
        "Pool",
        "Users",
        "Groups",
        "Memberships",
        "Requests",
        "Seconds",
    ];

    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.user_pool_id.clone(),
            self.users.to_string(),
            self.groups.to_string(),
            self.memberships.to_string(),
            self.requests.to_string(),
            format!("{:.2}", self.elapsed.as_secs_f64()),
        ]]
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportReport {
    /// The pool.
    pub user_pool_id: String,
    /// Users written.
    pub users: u64,
    /// Groups written.
    pub groups: u64,
    /// Memberships written.
    pub memberships: u64,
    /// Requests sent to Cognito.
    pub requests: u64,
    /// Requests Cognito throttled (each slowed the export down and was tried again).
    pub throttled: u64,
    /// Seconds it took.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Writes `line` and a newline. The I/O error stays in the chain as itself, so a closed stdout
/// (`cognito-export | head`) is not reported as a failure when `out` is the output layer's
/// stdout (which marks its errors as stdout's).
fn write_line(out: &mut impl Write, line: &Line) -> Result<()> {
    let mut bytes = serde_json::to_vec(line).context("encoding a line of the export")?;
    bytes.push(b'\n');
    out.write_all(&bytes).context("writing the export")
}

/// Writes `pool_id` to `out` as JSON lines: the pool, its groups, its users, its memberships.
/// `on_users(n)` is called after each page of users with the number written so far.
pub async fn export(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    out: &mut impl Write,
    mut on_users: impl FnMut(u64),
) -> Result<ExportReport> {
    let started = Instant::now();
    let mut report = ExportReport {
        user_pool_id: pool_id.to_string(),
        ..ExportReport::default()
    };
    let pool = backup::describe_pool(ctx, pacer, pool_id).await?;
    write_line(out, &Line::Pool(pool))?;
    let groups = backup::list_groups(ctx, pacer, pool_id).await?;
    for group in &groups {
        write_line(out, &Line::Group(group.clone()))?;
    }
    report.groups = groups.len() as u64;
    backup::for_each_user_page(ctx, pacer, pool_id, |users| {
        for user in users {
            write_line(out, &Line::User(user))?;
            report.users += 1;
        }
        on_users(report.users);
        Ok(())
    })
    .await?;
    for group in &groups {
        backup::for_each_member_page(ctx, pacer, pool_id, &group.name, |names| {
            for username in names {
                let member = Membership {
                    group: group.name.clone(),
                    username,
                };
                write_line(out, &Line::Member(member))?;
                report.memberships += 1;
            }
            Ok(())
        })
        .await?;
    }
    out.flush().context("writing the export")?;
    let stats = pacer.stats();
    report.requests = stats.total();
    report.throttled = stats.total_throttled();
    report.elapsed = started.elapsed();
    Ok(report)
}
