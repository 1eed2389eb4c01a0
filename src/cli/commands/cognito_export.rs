//! `cognito-export`: a user pool (its description, groups, users and memberships) as JSON lines.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;

use crate::atomic_file::AtomicFile;
use crate::cli;
use crate::cli::args::{CognitoRateArgs, PoolTargetArgs};
use crate::cli::output::{emit, Format};
use crate::cli::progress::Progress;
use crate::cognito;
use crate::ops::cognito_export;

/// Write a Cognito user pool as JSON lines: first the pool's description (schema attributes,
/// password policy, user name settings: what a new pool needs to accept these users), then one
/// line per group (precedence, role, description), per user (user name, every attribute,
/// enabled, status, created time) and per group membership. `cognito-import` reads it back.
///
/// Every ListUsers (60 a page), ListGroups and ListUsersInGroup page is read and written as it
/// arrives. A file is written under a temporary name beside it and renamed when complete, so a
/// failed export never leaves a truncated file under its name. Passwords are not exported:
/// Cognito never gives them out.
#[derive(Parser, Debug)]
#[command(
    name = "cognito-export",
    version,
    after_help = cli::after_help("Line types (json lines, field \"type\"): pool {format, id, name, schema, username_attributes, alias_attributes, case_sensitive, auto_verified_attributes, password_policy, mfa, admin_create_user_only, estimated_users}, group {name, description, precedence, role_arn}, user {username, attributes, enabled, status, created}, member {group, username}.\n\nExamples:\n  cognito-export --file pool.jsonl                   # the local pool cruddur-user-pool\n  cognito-export prod --user-pool-id us-east-1_AbCdEfGhI --file prod-pool.jsonl\n  cognito-export prod --user-pool-id us-east-1_AbCdEfGhI --file p.jsonl --rate 0.5   # half the quotas\n  cognito-export | jq -c 'select(.type == \"group\")'")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    /// Where to write: a file, or - for standard output.
    #[arg(long, short, value_name = "PATH", default_value = "-")]
    file: PathBuf,

    #[command(flatten)]
    rate: CognitoRateArgs,

    /// Also print the summary (users, groups, memberships, requests, seconds) on stdout in this
    /// format; needs --file (stdout then holds only the summary).
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    output: Option<Format>,
}

/// Runs the tool.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let stdout = args.file.as_os_str() == "-";
    if stdout && args.output.is_some() {
        anyhow::bail!(
            "--output needs --file: the pool goes to standard output, so the summary cannot"
        );
    }
    let ctx = args.pool.connect().await?;
    let pool_id = cognito::resolve_user_pool_id(&ctx, &args.pool.pool.pool_name).await?;
    let pacer = args.rate.pacer(ctx.target());
    let bar = Progress::new("exporting users", None);
    let on_users = |n| bar.set(n);
    let (report, place) = if stdout {
        let mut out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
        let report = cognito_export::export(&ctx, &pacer, &pool_id, &mut out, on_users).await;
        (report, "standard output".to_string())
    } else {
        let file = AtomicFile::create(&args.file)
            .with_context(|| format!("creating a temporary file beside {}", args.file.display()))?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let report = cognito_export::export(&ctx, &pacer, &pool_id, &mut out, on_users).await;
        if report.is_ok() {
            let file = out
                .into_inner()
                .map_err(|e| e.into_error())
                .context("writing the export")?;
            file.commit()
                .with_context(|| format!("renaming the export to {}", args.file.display()))?;
        }
        (report, args.file.display().to_string())
    };
    bar.finish();
    let report = report?;
    io::stderr().flush().ok();
    eprintln!(
        "exported {} users, {} groups and {} memberships of user pool {pool_id} on {} to {place} \
         in {:.2} s ({} requests, {} throttled; {})",
        report.users,
        report.groups,
        report.memberships,
        ctx.cognito_endpoint,
        report.elapsed.as_secs_f64(),
        report.requests,
        report.throttled,
        args.rate.describe(ctx.target()),
    );
    if let Some(format) = args.output {
        emit(&report, format)?;
    }
    Ok(())
}

impl crate::report::Report for cognito_export::ExportReport {
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
