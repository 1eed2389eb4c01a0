//! `update-cognito-user-ids`: copy each Cognito user's sub into users.cognito_user_id.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use cruddur_ops::cli;
use cruddur_ops::cli::args::{TargetArgs, UserPoolArgs};
use cruddur_ops::cli::output::{self, Format};
use cruddur_ops::cognito;
use cruddur_ops::context::Context;
use cruddur_ops::ops::sync_users::{self, SyncReport};

/// Copy each Cognito user's sub into users.cognito_user_id where users.handle =
/// preferred_username.
///
/// Reads every ListUsers page, then writes every change in one transaction with one statement:
/// a failure leaves the table as it was. Reports what was updated, what was already right, and
/// what could not be matched. The database is CONNECTION_URL (local) or PROD_CONNECTION_URL
/// (prod; TLS when the URL says sslmode=require).
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  update-cognito-user-ids                 # local pool and database\n  update-cognito-user-ids --dry-run       # report only, write nothing\n  update-cognito-user-ids prod --user-pool-id us-east-1_AbCdEfGhI --output json"
)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    pool: UserPoolArgs,

    /// Report what would change and write nothing.
    #[arg(long)]
    dry_run: bool,

    /// Output format: a text report (`table`) or one JSON object (`json`, `jsonl`).
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let config = args
            .target
            .config()
            .with_user_pool_id(args.pool.user_pool_id);
        // Fail on a missing database URL before reading Cognito.
        config.database_url()?;
        let ctx = Context::new(config).await?;
        let pool_id = cognito::resolve_user_pool_id(&ctx, &args.pool.pool_name).await?;
        let report = sync_users::sync_cognito_user_ids(&ctx, &pool_id, args.dry_run).await?;
        let mut out = io::stdout().lock();
        match args.output {
            Format::Table => write_text(&mut out, &report),
            format => output::write_json_value(&mut out, format, &report.to_json()),
        }
        .and_then(|()| out.flush())
        .context("writing the report")?;
        if !report.ambiguous.is_empty() {
            eprintln!(
                "warning: {} preferred_username values are shared by several Cognito users; none of them was applied",
                report.ambiguous.len()
            );
        }
        if report.cognito_users == 0 {
            eprintln!("warning: user pool {pool_id} has no users: nothing to sync");
        }
        Ok(())
    })
}

fn write_text(out: &mut impl Write, r: &SyncReport) -> io::Result<()> {
    let verb = if r.dry_run { "would update" } else { "updated" };
    writeln!(
        out,
        "{} Cognito users read ({} ListUsers page{}){}",
        r.cognito_users,
        r.pages,
        if r.pages == 1 { "" } else { "s" },
        if r.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )?;
    writeln!(out, "{verb}: {}", r.updated.len())?;
    for c in &r.updated {
        writeln!(out, "  {}: {} -> {}", c.handle, c.from, c.to)?;
    }
    writeln!(out, "already correct: {}", r.already_correct.len())?;
    let list = |out: &mut dyn Write, title: &str, names: &[String]| -> io::Result<()> {
        writeln!(out, "{title}: {}", names.len())?;
        for name in names {
            writeln!(out, "  {name}")?;
        }
        Ok(())
    };
    let unmatched: Vec<String> = r
        .unmatched_cognito
        .iter()
        .map(|u| format!("{} (Cognito user {})", u.handle, u.username))
        .collect();
    list(out, "Cognito users with no matching handle", &unmatched)?;
    list(
        out,
        "database users with no Cognito user",
        &r.missing_in_cognito,
    )?;
    list(
        out,
        "Cognito users without preferred_username (skipped)",
        &r.without_handle,
    )?;
    if !r.without_sub.is_empty() {
        list(out, "Cognito users without sub (skipped)", &r.without_sub)?;
    }
    let ambiguous: Vec<String> = r
        .ambiguous
        .iter()
        .map(|a| format!("{} (Cognito users {})", a.handle, a.usernames.join(", ")))
        .collect();
    list(
        out,
        "handles shared by several Cognito users (none applied)",
        &ambiguous,
    )
}
