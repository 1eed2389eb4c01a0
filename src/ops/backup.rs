//! On-demand backups: taking one (named after the table and the UTC time) and waiting until it is
//! AVAILABLE, finding one by ARN or name, listing and deleting them, and the safety net that the
//! destructive tools (`drop`, `schema-load --apply`, `import`) take on prod before they change a
//! table. DynamoDB Local has no backups: every call there ends in an error that names the way to
//! rehearse on the stack's moto server, as `table-export --s3` does.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Target;
use crate::context::Context;
use crate::ddb::backup::{self as store, Unsupported};
use crate::ops::schema_load::Step;

pub use crate::ddb::backup::Backup;

/// The default bound on the wait for a backup to become AVAILABLE: 15 minutes.
pub const DEFAULT_BACKUP_WAIT: Duration = Duration::from_secs(15 * 60);

/// The longest backup name DynamoDB takes.
const MAX_NAME: usize = 255;

/// A backup's name: the table's and the UTC time, `TABLE-20261206T184500Z` (DynamoDB takes
/// 3 to 255 of `[a-zA-Z0-9_.-]`, which a table name already is; a long table name is cut).
pub fn backup_name(table: &str, at: DateTime<Utc>) -> String {
    let stamp = at.format("%Y%m%dT%H%M%SZ").to_string();
    let keep = MAX_NAME - stamp.len() - 1;
    let table: String = table.chars().take(keep).collect();
    format!("{table}-{stamp}")
}

/// Where the stack's moto server (which serves DynamoDB too) answers, for the rehearsal hint.
pub fn moto_endpoint(ctx: &Context) -> &str {
    ctx.config
        .s3_endpoint
        .as_deref()
        .unwrap_or(crate::config::LOCAL_COGNITO_ENDPOINT)
}

/// The error for an endpoint without backups and restores (DynamoDB Local), naming the moto
/// rehearsal.
pub fn not_supported(ctx: &Context, why: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{} has no on-demand backups and no restores ({why}): backups, restores and point-in-time \
         recovery are not supported on DynamoDB Local. Locally they run against the stack's moto \
         server, which serves DynamoDB: set AWS_ENDPOINT_URL_DYNAMODB={} and create the table \
         there (schema-load, seed or import; README: \"Backups and restores\")",
        ctx.dynamodb_endpoint,
        moto_endpoint(ctx)
    )
}

/// `result`, with an [`Unsupported`] turned into [`not_supported`].
pub fn supported<T>(ctx: &Context, result: Result<T>) -> Result<T> {
    result.map_err(|err| match err.downcast_ref::<Unsupported>() {
        Some(why) => not_supported(ctx, &why.0),
        None => err,
    })
}

fn poll_interval(ctx: &Context) -> Duration {
    match ctx.target() {
        Target::Local => Duration::from_millis(200),
        Target::Prod => Duration::from_secs(5),
    }
}

/// Takes a backup of `table` and waits (at most `wait`) until it is AVAILABLE.
pub async fn take(ctx: &Context, table: &str, wait: Duration) -> Result<Backup> {
    let name = backup_name(table, Utc::now());
    let mut backup = supported(ctx, store::create(ctx, table, &name).await)?;
    let started = Instant::now();
    while !backup.is_available() {
        if started.elapsed() >= wait {
            bail!(
                "backup {} ({}) of table {table} is still {} after {} s (--backup-timeout): \
                 nothing else was done; it goes on in DynamoDB (`backups --table {table}` shows it)",
                backup.name,
                backup.arn,
                backup.status,
                wait.as_secs()
            );
        }
        tokio::time::sleep(poll_interval(ctx).min(wait)).await;
        backup = store::describe(ctx, &backup.arn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("backup {} of table {table} disappeared", backup.arn))?;
    }
    Ok(backup)
}

impl crate::report::Row for Backup {
    const COLUMNS: &'static [&'static str] = &["name", "created", "size", "items", "status", "arn"];

    fn cells(&self) -> Vec<String> {
        let opt = |n: Option<i64>| n.map_or("-".to_string(), |n| n.to_string());
        vec![
            self.name.clone(),
            self.created.clone().unwrap_or_default(),
            opt(self.size_bytes),
            opt(self.items),
            self.status.clone(),
            self.arn.clone(),
        ]
    }
}

/// The safety net before a destructive change: what was done about a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backup", rename_all = "snake_case")]
pub enum Safeguard {
    /// A backup was taken and is AVAILABLE.
    Taken(Backup),
    /// `--no-backup`: none was taken.
    Skipped,
    /// The local target: none is taken (DynamoDB Local has none).
    Local,
}

impl Safeguard {
    /// The line the tools print about it, on stderr.
    pub fn line(&self, table: &str) -> String {
        match self {
            Safeguard::Taken(b) => format!(
                "backup {} of table {table} is AVAILABLE: {} (restore it with `restore prod \
                 --from-backup {} --to NEW_TABLE`)",
                b.name, b.arn, b.arn
            ),
            Safeguard::Skipped => {
                format!("no backup of table {table} taken (--no-backup): there is no way back")
            }
            Safeguard::Local => format!(
                "no backup of table {table} taken: the local target takes none (DynamoDB Local \
                 has no backups)"
            ),
        }
    }
}

/// Whether (and how long to wait) to take a backup before a destructive change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafetyNet {
    /// `--no-backup`: take none.
    pub skip: bool,
    /// The bound on the wait for it to become AVAILABLE.
    pub wait: Duration,
}

impl Default for SafetyNet {
    fn default() -> SafetyNet {
        SafetyNet {
            skip: false,
            wait: DEFAULT_BACKUP_WAIT,
        }
    }
}

/// Before a destructive change of `table`: on prod, a backup (unless skipped); on local, none.
pub async fn before_destruction(ctx: &Context, table: &str, net: SafetyNet) -> Result<Safeguard> {
    match (ctx.target(), net.skip) {
        (Target::Local, _) => Ok(Safeguard::Local),
        (Target::Prod, true) => Ok(Safeguard::Skipped),
        (Target::Prod, false) => take(ctx, table, net.wait)
            .await
            .map(Safeguard::Taken)
            .with_context(|| {
                format!(
                    "taking a backup of table {table} before changing it (nothing was changed; \
                     --no-backup goes on without one)"
                )
            }),
    }
}

/// Why a schema plan needs a backup first: it deletes (or rebuilds) an index or changes the
/// billing mode. `None`: it does neither.
pub fn risky_step(steps: &[Step]) -> Option<&'static str> {
    steps.iter().find_map(|step| match step {
        Step::DeleteIndex { rebuild: true, .. } => Some("it rebuilds an index"),
        Step::DeleteIndex { .. } => Some("it deletes an index"),
        Step::Capacity {
            from_billing_mode,
            billing_mode,
            ..
        } if from_billing_mode != billing_mode => Some("it changes the billing mode"),
        _ => None,
    })
}

/// [`before_destruction`] for a schema plan: only when [`risky_step`] says so.
pub async fn before_schema_change(
    ctx: &Context,
    table: &str,
    steps: &[Step],
    net: SafetyNet,
) -> Result<Option<Safeguard>> {
    match risky_step(steps) {
        Some(_) => Ok(Some(before_destruction(ctx, table, net).await?)),
        None => Ok(None),
    }
}

/// Before an import into `table` on prod: a backup when the table holds an item (the import may
/// overwrite items with the same keys); none into an empty table, and none on local.
pub async fn before_import(
    ctx: &Context,
    table: &str,
    net: SafetyNet,
) -> Result<Option<Safeguard>> {
    if ctx.target() == Target::Local {
        return Ok(None);
    }
    let one = crate::ddb::scan::ScanOptions {
        limit: Some(1),
        keys_only: true,
        ..Default::default()
    };
    let items = crate::ddb::scan::scan_pages(ctx, table, one, |_| Ok(())).await?;
    match items {
        0 => Ok(None),
        _ => Ok(Some(before_destruction(ctx, table, net).await?)),
    }
}

/// Finds the backup `which` names: an ARN (DescribeBackup), else a name (ListBackups; it must
/// name exactly one). It must be AVAILABLE.
pub async fn find(ctx: &Context, which: &str) -> Result<Backup> {
    let found = if which.starts_with("arn:") {
        match supported(ctx, store::describe(ctx, which).await)? {
            Some(backup) => backup,
            None => bail!(
                "no backup {which} on {}: check the ARN (a backup of another account or region \
                 cannot be restored here; `backups --table TABLE` lists this one's)",
                ctx.dynamodb_endpoint
            ),
        }
    } else {
        let named: Vec<Backup> = supported(ctx, store::list(ctx, None).await)?
            .into_iter()
            .filter(|b| b.name == which)
            .collect();
        match named.as_slice() {
            [one] => {
                supported(ctx, store::describe(ctx, &one.arn).await)?.unwrap_or_else(|| one.clone())
            }
            [] => bail!(
                "no backup named {which} on {} (`backups --table TABLE` lists them)",
                ctx.dynamodb_endpoint
            ),
            many => bail!(
                "{} backups are named {which} on {}: pass one's ARN instead ({})",
                many.len(),
                ctx.dynamodb_endpoint,
                many.iter()
                    .map(|b| b.arn.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    if !found.is_available() {
        bail!(
            "backup {} ({}) is {}, not AVAILABLE: it cannot be restored yet",
            found.name,
            found.arn,
            found.status
        );
    }
    Ok(found)
}

/// The backups of `table` (every table's when `None`), oldest first, each with its item count
/// (one DescribeBackup each).
pub async fn list(ctx: &Context, table: Option<&str>) -> Result<Vec<Backup>> {
    let mut found = supported(ctx, store::list(ctx, table).await)?;
    for backup in &mut found {
        if let Some(described) = store::describe(ctx, &backup.arn).await? {
            backup.items = described.items;
        }
    }
    Ok(found)
}

/// Deletes backup `arn`, returning what it was; a missing one is an error.
pub async fn delete(ctx: &Context, arn: &str) -> Result<Backup> {
    let Some(backup) = supported(ctx, store::describe(ctx, arn).await)? else {
        bail!(
            "no backup {arn} on {}: nothing was deleted",
            ctx.dynamodb_endpoint
        );
    };
    if !supported(ctx, store::delete(ctx, arn).await)? {
        bail!(
            "no backup {arn} on {}: nothing was deleted",
            ctx.dynamodb_endpoint
        );
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_backup_is_named_after_the_table_and_the_utc_time() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 18, 45, 0).unwrap();
        assert_eq!(
            backup_name("cruddur-messages", at),
            "cruddur-messages-20261206T184500Z"
        );
        let long = "t".repeat(255);
        let name = backup_name(&long, at);
        assert_eq!(name.len(), 255);
        assert!(name.ends_with("-20261206T184500Z"));
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)));
    }

    #[test]
    fn a_plan_needs_a_backup_when_it_deletes_an_index_or_changes_the_billing_mode() {
        use crate::ops::schema_load::BillingMode;
        let delete = Step::DeleteIndex {
            index: "by-user".into(),
            rebuild: true,
        };
        assert_eq!(risky_step(&[delete]), Some("it rebuilds an index"));
        assert_eq!(
            risky_step(&[Step::DeletionProtection { enabled: true }]),
            None
        );
        let capacity = |from, to| Step::Capacity {
            from_billing_mode: from,
            billing_mode: to,
            from_table: None,
            table: None,
            indexes: Vec::new(),
            decrease: false,
            decreases_today: 0,
        };
        assert_eq!(
            risky_step(&[capacity(
                BillingMode::PayPerRequest,
                BillingMode::Provisioned
            )]),
            Some("it changes the billing mode")
        );
        assert_eq!(
            risky_step(&[capacity(BillingMode::Provisioned, BillingMode::Provisioned)]),
            None
        );
    }
}
