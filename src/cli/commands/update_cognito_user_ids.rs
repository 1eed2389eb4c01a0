//! `update-cognito-user-ids`: copy each Cognito user's sub into users.cognito_user_id.

use clap::Parser;

use crate::cli::args::{DryRun, OutputArgs, PoolTargetArgs};
use crate::cli::output::{self, Report};
use crate::cli::{self};
use crate::cognito;
use crate::ops::sync_users::{self, SyncReport};

/// Copy each Cognito user's sub into users.cognito_user_id where users.handle =
/// preferred_username.
///
/// Reads every ListUsers page (a bar on stderr when it is a terminal), then writes every change
/// in one transaction with one statement: a failure leaves the table as it was. Reports what was
/// updated, what was already right, and what could not be matched. The database is
/// CONNECTION_URL (local) or PROD_CONNECTION_URL (prod; TLS when the URL says sslmode=require).
#[derive(Parser, Debug)]
#[command(
    name = "update-cognito-user-ids",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): one object: dry_run, cognito_users, pages, updated {count, users [{handle, from, to}]}, already_correct {count, handles}, unmatched_cognito [{handle, username}], missing_in_cognito, without_preferred_username, without_sub, ambiguous [{handle, usernames}].\n\nExamples:\n  update-cognito-user-ids                 # local pool and database\n  update-cognito-user-ids --dry-run       # report only, write nothing\n  update-cognito-user-ids prod --user-pool-id us-east-1_AbCdEfGhI --output json")
)]
pub struct Args {
    #[command(flatten)]
    pool: PoolTargetArgs,

    #[command(flatten)]
    dry_run: DryRun,

    #[command(flatten)]
    output: OutputArgs,
}

impl Report for SyncReport {
    const COLUMNS: &'static [&'static str] = &["What", "Count", "Who"];

    fn rows(&self) -> Vec<Vec<String>> {
        let row = |what: &str, names: Vec<String>| {
            vec![what.to_string(), names.len().to_string(), names.join("\n")]
        };
        let pages = format!(
            "in {} ListUsers page{}{}",
            self.pages,
            if self.pages == 1 { "" } else { "s" },
            if self.dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            }
        );
        vec![
            vec![
                "Cognito users read".into(),
                self.cognito_users.to_string(),
                pages,
            ],
            row(
                if self.dry_run {
                    "would update"
                } else {
                    "updated"
                },
                self.updated
                    .iter()
                    .map(|c| {
                        let from = c.from.as_deref().unwrap_or("NULL");
                        format!("{}: {from} -> {}", c.handle, c.to)
                    })
                    .collect(),
            ),
            row("already correct", self.already_correct.clone()),
            row(
                "Cognito users with no matching handle",
                self.unmatched_cognito
                    .iter()
                    .map(|u| format!("{} (Cognito user {})", u.handle, u.username))
                    .collect(),
            ),
            row(
                "database users with no Cognito user",
                self.missing_in_cognito.clone(),
            ),
            row(
                "Cognito users without preferred_username (skipped)",
                self.without_handle.clone(),
            ),
            row(
                "Cognito users without sub (skipped)",
                self.without_sub.clone(),
            ),
            row(
                "handles shared by several Cognito users (none applied)",
                self.ambiguous
                    .iter()
                    .map(|a| format!("{} (Cognito users {})", a.handle, a.usernames.join(", ")))
                    .collect(),
            ),
        ]
    }
}

/// Syncs the ids and prints the report.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.pool.config()?;
    // Fail on a missing database URL before reading Cognito.
    config.database_url()?;
    let ctx = crate::context::Context::new(config).await?;
    let pool_id = cognito::resolve_user_pool_id(&ctx, &args.pool.pool.pool_name).await?;
    let bar = super::users_bar(&ctx, &pool_id).await;
    let report = sync_users::sync_cognito_user_ids_with_progress(
        &ctx,
        &pool_id,
        args.dry_run.dry_run,
        |n| bar.set(n as u64),
    )
    .await?;
    bar.finish();
    output::emit(&report, args.output.format())?;
    args.dry_run.note();
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
}
