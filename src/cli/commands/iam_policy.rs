//! `iam-policy`: prints the IAM policy a tool needs (JSON), built from the table of every tool's
//! AWS actions ([`crate::iam`]), or that table itself for the README.

use clap::Parser;

use crate::cli::args::{TableArgs, TargetArgs};
use crate::cli::output::{emit, emit_text, Format};
use crate::cli::{self};
use crate::config::{Config, Target};
use crate::iam;
use crate::ops::iam_policy::{self, PolicyRequest};

#[derive(Parser, Debug)]
#[command(
    name = "iam-policy",
    version,
    after_help = cli::after_help("Output: an IAM policy document (Version 2012-10-17), one statement per resource group\n  (the table, its index, its stream, the user pool, the bucket, ...), each with a Sid.\n  Notes on stderr name what is not known (no --user-pool-id, no --s3) and the pattern used.\n\nExamples:\n  iam-policy scan prod                               # account and region from STS\n  iam-policy seed prod --mode write --account 123456789012 --region us-east-1\n  iam-policy check prod --user-pool-id us-east-1_AbCdEfGhI\n  iam-policy table-export prod --mode s3 --s3 s3://my-bucket/exports\n  iam-policy --all prod --user-pool-id us-east-1_AbCdEfGhI    # the CI role\n  iam-policy messaging-stream-lambda prod            # the Lambda's execution role\n  iam-policy --permissions-table                     # every tool's actions (README)")
)]
pub struct Args {
    /// The tool whose policy to print (`seed`, `schema-load`, `messaging-stream-lambda`, ...).
    #[arg(value_name = "TOOL", required_unless_present_any = ["all", "permissions_table"])]
    tool: Option<String>,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    table: TableArgs,

    /// The Cognito user pool id for the pool's ARN [env: AWS_COGNITO_USER_POOL_ID]; without
    /// it, every pool of the account (`userpool/*`).
    #[arg(long, value_name = "ID")]
    user_pool_id: Option<String>,

    /// The bucket and prefix of `table-export --s3` / `table-import --s3`; without it, every bucket.
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    s3: Option<String>,

    /// Only one use of the tool (`schema-load`: plan, apply; `export`: file, s3; `import`: file,
    /// s3, new-table; `messaging-stream`: follow, event; writers: dry-run); default: every use.
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,

    /// One policy for a CI role running the README's CI steps: `schema-load` (plan and apply),
    /// `seed`, `check`.
    #[arg(long, conflicts_with = "mode")]
    all: bool,

    /// The account id of the ARNs [default: STS GetCallerIdentity through the standard chain].
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// The region of the ARNs [default: the standard chain's, AWS_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// Print the table of every tool's actions (markdown, the README's "Permissions") instead.
    #[arg(long, conflicts_with_all = ["tool", "all", "mode"])]
    permissions_table: bool,

    /// Output format: the policy document as JSON, one line of JSON, or a table for reading.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value = "json")]
    output: Format,
}

impl Args {
    /// The tool and the target: with `--all`, a lone positional word is the target
    /// (`iam-policy --all prod`).
    fn tool_and_target(&self) -> anyhow::Result<(Option<String>, Option<Target>)> {
        match (&self.tool, self.all) {
            (Some(word), true) => match word.as_str() {
                "local" => Ok((None, Some(Target::Local))),
                "prod" => Ok((None, Some(Target::Prod))),
                _ => anyhow::bail!("--all covers the CI steps' tools: leave out {word:?}"),
            },
            (tool, _) => Ok((tool.clone(), None)),
        }
    }

    fn config(&self, target: Option<Target>) -> anyhow::Result<Config> {
        let config = match target {
            Some(target) => Config::from_env(target)?,
            None => self.target.config()?,
        };
        Ok(config
            .with_table(self.table.table.clone())
            .with_user_pool_id(self.user_pool_id.clone()))
    }
}

/// Prints the policy (notes on stderr), or the permissions table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.permissions_table {
        return emit_text(&iam::readme::table());
    }
    let (tool, target) = args.tool_and_target()?;
    let config = args.config(target)?;
    let request = PolicyRequest {
        tool,
        all: args.all,
        mode: args.mode.clone(),
        account: args.account.clone(),
        region: args.region.clone(),
        s3: args.s3.clone(),
    };
    let report = iam_policy::policy(&config, &request).await?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    match &report.policy {
        Some(policy) => emit(policy, args.output),
        None => Ok(()),
    }
}
