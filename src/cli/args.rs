//! The options every tool shares, as `#[derive(Args)]` structs flattened into each binary's
//! arguments: the target, the table, the user pool (and the groups of them that commands take
//! together), the output format, `--dry-run`, the capacity budget and `--concurrency`.

use std::io::IsTerminal;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::Args;

use crate::cli::output::Format;
use crate::config::{Config, Target, LOCAL_USER_POOL_NAME, MAX_TIMEOUT_SECS};
use crate::context::Context;
use crate::ops::bulk::{self, BulkOptions, CapacityFlags};
use crate::ops::pace::{Pace, RateSetting};

/// The target, as the optional last positional word or as `--target`, and how long to wait for
/// its servers (`--timeout`).
#[derive(Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Where to run: `local` (the local stack, the default) or `prod` (real AWS).
    #[arg(value_enum, value_name = "TARGET")]
    target: Option<Target>,

    /// Same as the positional TARGET word.
    #[arg(
        long = "target",
        value_enum,
        value_name = "TARGET",
        conflicts_with = "target"
    )]
    target_flag: Option<Target>,

    /// Seconds to wait for any one answer from a server (each DynamoDB or Cognito request, each
    /// PostgreSQL connection or statement) before failing [env: CRUDDUR_OPS_TIMEOUT_SECS]
    /// [default: 20].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS))]
    timeout: Option<u64>,

    /// Append one JSON line per AWS call to FILE (service, operation, resource, status, ms), to
    /// see what a run did [env: CRUDDUR_OPS_TRACE_CALLS].
    #[arg(long, value_name = "FILE")]
    trace_calls: Option<std::path::PathBuf>,
}

impl TargetArgs {
    /// The chosen target (`local` when none was given).
    pub fn target(&self) -> Target {
        self.target.or(self.target_flag).unwrap_or_default()
    }

    /// The configuration for the chosen target, from the environment and `--timeout`.
    pub fn config(&self) -> anyhow::Result<Config> {
        let config = Config::from_env(self.target()).map_err(|err| {
            // A malformed setting is a usage error, like a bad argument.
            anyhow::Error::new(crate::cli::Exit::new(
                crate::cli::EXIT_USAGE,
                format!("{err:#}"),
            ))
        })?;
        Ok(config
            .with_timeout(self.timeout.map(Duration::from_secs))
            .with_trace_calls(self.trace_calls.clone()))
    }
}

/// The `--table` option shared by every command that touches the messages table.
#[derive(Args, Debug, Clone, Default)]
pub struct TableArgs {
    /// The messages table [env: DDB_MESSAGE_TABLE] [default: cruddur-messages].
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
}

/// The options that choose the user pool, shared by every command that reads one.
#[derive(Args, Debug, Clone)]
pub struct UserPoolArgs {
    /// The Cognito user pool id [env: AWS_COGNITO_USER_POOL_ID]; on local, found by name when unset.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,

    /// On local, the name of the pool to look up when no id is given.
    #[arg(long, value_name = "NAME", default_value = LOCAL_USER_POOL_NAME)]
    pub pool_name: String,
}

impl Default for UserPoolArgs {
    fn default() -> UserPoolArgs {
        UserPoolArgs {
            user_pool_id: None,
            pool_name: LOCAL_USER_POOL_NAME.to_string(),
        }
    }
}

/// The target and its messages table, for the commands that work on the table alone.
#[derive(Args, Debug, Clone, Default)]
pub struct TableTargetArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub table: TableArgs,
}

impl TableTargetArgs {
    /// The context for the chosen target and table.
    pub async fn connect(&self) -> anyhow::Result<Context> {
        crate::cli::connect(&self.target, &self.table, &UserPoolArgs::default()).await
    }
}

/// The target and its user pool, for the commands that read the pool but not the table.
#[derive(Args, Debug, Clone, Default)]
pub struct PoolTargetArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub pool: UserPoolArgs,
}

impl PoolTargetArgs {
    /// The configuration for the chosen target and pool.
    pub fn config(&self) -> anyhow::Result<Config> {
        crate::cli::config(&self.target, &TableArgs::default(), &self.pool)
    }

    /// The context for the chosen target and pool.
    pub async fn connect(&self) -> anyhow::Result<Context> {
        Context::new(self.config()?).await
    }
}

/// The target, its messages table and its user pool, for the commands that read every store.
#[derive(Args, Debug, Clone, Default)]
pub struct StoresArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub table: TableArgs,

    #[command(flatten)]
    pub pool: UserPoolArgs,
}

impl StoresArgs {
    /// The context for the chosen target, table and pool.
    pub async fn connect(&self) -> anyhow::Result<Context> {
        crate::cli::connect(&self.target, &self.table, &self.pool).await
    }
}

/// The `--output` option of every tool that prints rows.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, jsonl when piped].
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
}

impl OutputArgs {
    /// The chosen format: `--output`, else a table on a terminal and JSON lines otherwise.
    pub fn format(&self) -> Format {
        self.output.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Jsonl
            }
        })
    }
}

/// The `--wide` flag's help.
pub const WIDE_HELP: &str =
    "Show every column and full values in tables (tables are cut to 100 columns otherwise)";

/// The `--wide` flag, which the registry gives every tool that takes `--output` (see
/// [`crate::cli::tools`]): tables then show every column and full values. JSON is never cut.
pub fn wide_arg() -> clap::Arg {
    clap::Arg::new(WIDE)
        .long(WIDE)
        .action(clap::ArgAction::SetTrue)
        .help(WIDE_HELP)
}

/// The id (and long name) of [`wide_arg`].
pub const WIDE: &str = "wide";

/// Whether `matches` (of a tool given [`wide_arg`]) asked for `--wide`.
pub fn wide(matches: &clap::ArgMatches) -> bool {
    matches
        .try_get_one::<bool>(WIDE)
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
}

/// The `--dry-run` flag of every tool that writes.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct DryRun {
    /// Say exactly what would be created, deleted or changed (the same report as a real run) and
    /// write nothing; no confirmation is asked, not even on prod.
    #[arg(long)]
    pub dry_run: bool,
}

impl DryRun {
    /// The message a dry run ends with, on stderr.
    pub const NOTE: &'static str = crate::ops::ui::DRY_RUN_NOTE;

    /// Prints [`DryRun::NOTE`] on stderr when this is a dry run.
    pub fn note(&self) {
        if self.dry_run {
            eprintln!("{}", Self::NOTE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        target: TargetArgs,
    }

    #[test]
    fn target_is_an_exact_word() {
        assert_eq!(
            Cli::try_parse_from(["x"]).unwrap().target.target(),
            Target::Local
        );
        assert_eq!(
            Cli::try_parse_from(["x", "prod"]).unwrap().target.target(),
            Target::Prod
        );
        assert_eq!(
            Cli::try_parse_from(["x", "--target", "prod"])
                .unwrap()
                .target
                .target(),
            Target::Prod
        );
        for bad in ["production", "pro", "PROD", "local-prod", ""] {
            let err = Cli::try_parse_from(["x", bad]).unwrap_err().to_string();
            assert!(
                err.contains("local") && err.contains("prod"),
                "{bad}: {err}"
            );
        }
        assert!(Cli::try_parse_from(["x", "prod", "--target", "local"]).is_err());
    }

    #[test]
    fn timeout_is_whole_positive_seconds() {
        let cli = Cli::try_parse_from(["x", "--timeout", "7"]).unwrap();
        assert_eq!(cli.target.timeout, Some(7));
        for bad in ["0", "-3", "1.5", "soon"] {
            assert!(
                Cli::try_parse_from(["x", "--timeout", bad]).is_err(),
                "{bad}"
            );
        }
    }
}

/// The capacity budget of a bulk job (`seed`, `table-import`, `table-export`, `scan`, `check`).
#[derive(Args, Debug, Clone, Default)]
pub struct CapacityArgs {
    /// The share of the table's provisioned capacity the job may use, 1-100 [default on prod:
    /// 50; on local: no budget]. The bucket holds one second of it: the table's burst capacity
    /// stays the app's.
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub capacity: Option<u8>,

    /// Write capacity units per second, outright (instead of a share).
    #[arg(long, value_name = "N")]
    pub max_wcu: Option<f64>,

    /// Read capacity units per second, outright (instead of a share).
    #[arg(long, value_name = "N")]
    pub max_rcu: Option<f64>,

    /// Fail when nothing at all was done for this many seconds (DynamoDB throttling every
    /// request) [default: 300].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stall_timeout: Option<u64>,
}

impl CapacityArgs {
    /// The flags as the capacity governor takes them.
    pub fn flags(&self) -> CapacityFlags {
        CapacityFlags {
            share_pct: self.capacity,
            max_wcu: self.max_wcu,
            max_rcu: self.max_rcu,
            stall_timeout: self
                .stall_timeout
                .map_or(bulk::DEFAULT_STALL_TIMEOUT, Duration::from_secs),
        }
    }

    /// A bulk job's options: this budget, `--output` and `--dry-run`.
    pub fn bulk(&self, output: Option<Format>, dry_run: DryRun) -> BulkOptions {
        BulkOptions {
            capacity: self.flags(),
            output,
            dry_run: dry_run.dry_run,
        }
    }
}

/// The options of the tools that write in bulk (`seed`, `import`): the batch writes, the
/// capacity budget and the summary on stdout.
#[derive(Args, Debug, Clone)]
pub struct BulkWriteArgs {
    #[command(flatten)]
    pub writes: BatchWriteArgs,

    #[command(flatten)]
    pub capacity: CapacityArgs,

    /// Also print the summary (items, seconds, budget, units consumed) on stdout in this
    /// format; the line on stderr comes either way.
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
}

impl BulkWriteArgs {
    /// The bulk job's options, with `--dry-run`.
    pub fn bulk(&self, dry_run: DryRun) -> BulkOptions {
        self.capacity.bulk(self.output, dry_run)
    }
}

/// The `--concurrency` of the tools that write in batches (`seed`, `table-import`).
#[derive(Args, Debug, Clone, Copy)]
pub struct BatchWriteArgs {
    /// BatchWriteItem requests (of 25 items) in flight, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = bulk::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=64).map(usize::from))]
    pub concurrency: usize,
}

impl BatchWriteArgs {
    /// The write options these flags choose.
    pub fn options(&self) -> bulk::WriteOptions {
        bulk::WriteOptions {
            concurrency: self.concurrency,
        }
    }
}

/// The pace of the tools that call Cognito in bulk (`cognito-export`, `cognito-import`).
#[derive(Args, Debug, Clone, Default)]
pub struct CognitoRateArgs {
    /// Requests per second: a FRACTION (0 to 1) of Cognito's default quotas (UserCreation 50/s,
    /// UserRead 120/s, UserList 30/s, UserUpdate 25/s), or CATEGORY=N for one category (above
    /// its default only if your account's quota was raised). Repeat or comma-separate; later
    /// values win [default on prod: the default quotas; on local: unpaced].
    #[arg(long, value_name = "FRACTION|CATEGORY=N", value_delimiter = ',')]
    pub rate: Vec<RateSetting>,

    /// Fail when one request was throttled (TooManyRequestsException) for this many seconds
    /// in a row [default: 300].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stall_timeout: Option<u64>,
}

impl CognitoRateArgs {
    /// The pace these flags choose.
    pub fn pace(&self) -> Pace {
        Pace {
            settings: self.rate.clone(),
            stall_timeout: self.stall_timeout,
        }
    }
}
