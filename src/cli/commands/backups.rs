//! `backups`: list a table's on-demand backups (name, time, size, items, ARN), or delete one;
//! and [`SafetyNetArgs`], the `--no-backup` and `--backup-timeout` of the tools that take a
//! backup on prod before a destructive change (`drop`, `schema-load --apply`, `import`).

use std::time::Duration;

use clap::{Args as ClapArgs, Parser};

use crate::cli::args::{DryRun, OutputArgs, TableTargetArgs};
use crate::cli::confirm::Confirmation;
use crate::cli::output::emit;
use crate::cli::{self};
use crate::ops::backup;
use crate::text::count;

/// List a table's on-demand backups, or delete one.
///
/// A table on a terminal, JSON lines when piped (--output). The item count is the table's when
/// the backup was taken (approximate, as DescribeTable counts). --delete asks first on prod.
#[derive(Parser, Debug)]
#[command(
    name = "backups",
    version,
    after_help = cli::after_help("Output fields (json, jsonl): name, arn, status, table, created, size_bytes, items.\n\nExamples:\n  backups prod                                  # the backups of cruddur-messages\n  backups prod --table other-table --output json\n  backups prod | jq -r .arn                     # JSON lines when piped\n  backups prod --delete arn:aws:dynamodb:…:table/cruddur-messages/backup/0173…   # asks first\n  env AWS_ENDPOINT_URL_DYNAMODB=http://localhost:9229 backups   # on moto (DynamoDB Local has none)")
)]
pub struct Args {
    #[command(flatten)]
    table: TableTargetArgs,

    /// Delete this backup (by ARN) instead of listing; on prod, after you confirm.
    #[arg(long, value_name = "ARN")]
    delete: Option<String>,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    confirm: Confirmation,
}

/// Lists the backups, or deletes one.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = args.table.connect().await?;
    match &args.delete {
        Some(arn) => {
            args.confirm
                .confirm(ctx.target(), &format!("delete backup {arn}"), "delete")?;
            let deleted = backup::delete(&ctx, arn).await?;
            eprintln!(
                "deleted backup {} ({arn}) on {}",
                deleted.name, ctx.dynamodb_endpoint
            );
            emit(&[deleted][..], args.output.format())
        }
        None => {
            let found = backup::list(&ctx, Some(ctx.table())).await?;
            eprintln!(
                "{} of table {} on {}",
                count(found.len() as u64, "backup", "backups"),
                ctx.table(),
                ctx.dynamodb_endpoint
            );
            emit(&found[..], args.output.format())
        }
    }
}

/// What the tools that can delete or overwrite data take (`drop`, `schema-load`,
/// `table-import`): the safety net, the confirmation and the dry run.
#[derive(ClapArgs, Debug, Clone, Copy)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub safety_net: SafetyNetArgs,

    #[command(flatten)]
    pub confirm: Confirmation,

    #[command(flatten)]
    pub dry_run: DryRun,
}

/// The safety net's options (in [`ChangeArgs`]).
#[derive(ClapArgs, Debug, Clone, Copy)]
pub struct SafetyNetArgs {
    /// On prod, take no backup before the change (there is then no way back); the local target
    /// never takes one.
    #[arg(long)]
    pub no_backup: bool,

    /// Seconds to wait for that backup to become AVAILABLE.
    #[arg(long, value_name = "SECS", default_value_t = backup::DEFAULT_BACKUP_WAIT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub backup_timeout: u64,
}

impl SafetyNetArgs {
    /// The safety net these options choose.
    pub fn net(&self) -> backup::SafetyNet {
        backup::SafetyNet {
            skip: self.no_backup,
            wait: Duration::from_secs(self.backup_timeout),
        }
    }

    /// What the prod prompt adds about the backup.
    pub fn prompt_note(&self) -> &'static str {
        if self.no_backup {
            " WITHOUT a backup first (--no-backup: there is no way back)"
        } else {
            " after taking a backup"
        }
    }
}
