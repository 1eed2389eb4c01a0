//! `restore`: a whole table back, into a new table, from an on-demand backup or from a table's
//! point-in-time recovery window. A restore creates the table without the stream, TTL,
//! point-in-time recovery, deletion protection and tags of the original: they are set again from
//! the schema file through `schema-load`'s own plan and apply. Then the restored table is
//! compared with the backup's figures and, with verify, item by item (a hash of every item, by
//! key) with the table it came from.
//!
//! Everything is checked before the first write: the source exists (and can be restored here),
//! the new table does not. The caller's `approve` runs between the checks and the restore (the
//! prod confirmation).

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{AttributeValue, TableStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Target;
use crate::context::Context;
use crate::ddb::backup as store;
use crate::ddb::item::{to_typed_json, Item};
use crate::ddb::native::{point_in_time_recovery, Pitr};
use crate::ddb::scan::{scan_pages, ScanOptions};
use crate::ddb::table::describe;
use crate::ops::backup::{find, not_supported, supported};
use crate::ops::schema_load::{self as schema, PlanOptions, Step, TableDefinition};
use crate::report::Report;

/// Where the restored table comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An on-demand backup, by ARN or name.
    Backup(String),
    /// A table's point-in-time recovery window, at a time (`None`: the latest restorable time).
    PointInTime {
        /// The table.
        table: String,
        /// The time (`None`: latest).
        at: Option<DateTime<Utc>>,
    },
}

/// `--to-time`: `latest` (the latest restorable time, `None`) or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToTime(pub Option<DateTime<Utc>>);

impl std::str::FromStr for ToTime {
    type Err = String;

    fn from_str(text: &str) -> Result<ToTime, String> {
        if text == "latest" {
            return Ok(ToTime(None));
        }
        DateTime::parse_from_rfc3339(text)
            .map(|t| ToTime(Some(t.with_timezone(&Utc))))
            .map_err(|e| {
                format!("{e}: write `latest` or an RFC 3339 time such as 2026-12-06T10:00:00Z")
            })
    }
}

impl Source {
    /// The source `--from-backup`, or `--source` with `--to-time`, names.
    pub fn new(
        backup: &Option<String>,
        table: &Option<String>,
        at: Option<ToTime>,
    ) -> Result<Source> {
        match (backup, table) {
            (Some(which), _) => Ok(Source::Backup(which.clone())),
            (None, Some(table)) => Ok(Source::PointInTime {
                table: table.clone(),
                at: at.and_then(|t| t.0),
            }),
            (None, None) => bail!("say what to restore: --from-backup ARN|NAME or --source TABLE"),
        }
    }
}

/// What to restore, where, and how.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// From where.
    pub source: Source,
    /// The new table (it must not exist).
    pub to: String,
    /// The schema file whose settings are set on the new table.
    pub schema: TableDefinition,
    /// The bound on the wait for the new table to become ACTIVE (and on each settings step).
    pub wait_timeout: Duration,
    /// Compare every item with this table afterwards.
    pub verify_against: Option<String>,
    /// Compare every item with the source table afterwards (the backup's table, or the
    /// point-in-time source), when `verify_against` names none.
    pub verify_source: bool,
    /// Say what would be done; do nothing.
    pub dry_run: bool,
}

/// What a restore reports while it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// The new table is not ACTIVE yet: its status, and how long it has been waited for.
    Restoring {
        /// TableStatus.
        status: &'a str,
        /// Waited so far.
        waited: Duration,
    },
    /// A settings step.
    Setting(schema::Event<'a>),
    /// The verifying scans started.
    Verifying,
}

impl Event<'_> {
    /// The event in words, for a spinner (`None`: nothing to show).
    pub fn describe(&self, table: &str) -> Option<String> {
        match self {
            Event::Restoring { status, waited } => {
                Some(format!("table {table}: {status} ({} s)", waited.as_secs()))
            }
            Event::Setting(schema::Event::Started { n, total, step }) => {
                Some(format!("setting {n}/{total}: {}", step.change()))
            }
            Event::Setting(_) => None,
            Event::Verifying => Some("verifying: scanning both tables".into()),
        }
    }
}

/// An item that differs between the two tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The item's key, `pk=...,sk=...`.
    pub key: String,
    /// `changed` (both hold it, differently), `missing` (not in the restored table) or `extra`
    /// (only in the restored table).
    pub kind: &'static str,
}

/// The item-by-item comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The table compared with.
    pub compared_with: String,
    /// Its items.
    pub source_items: u64,
    /// The restored table's items.
    pub restored_items: u64,
    /// How many items differ.
    pub differences: usize,
    /// The first of them, by key (at most [`LISTED_DIFFERENCES`]).
    pub listed: Vec<Difference>,
}

/// How many differences a report lists.
pub const LISTED_DIFFERENCES: usize = 100;

/// What `restore` did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The new table.
    pub table: String,
    /// Where it came from: `backup NAME (ARN)` or `table T at TIME`.
    pub from: String,
    /// The table the backup was taken of, or the point-in-time source.
    pub source_table: Option<String>,
    /// A dry run: nothing was done.
    pub dry_run: bool,
    /// The settings set from the schema file (dry run: those it would set).
    pub settings: Vec<String>,
    /// Settings not set, and why.
    pub notes: Vec<String>,
    /// The item count the source reported (the backup's, else the source table's; approximate).
    pub expected_items: Option<i64>,
    /// The restored table's item count, as DescribeTable reports it.
    pub items: Option<i64>,
    /// The item-by-item comparison (with verify).
    pub verify: Option<Verification>,
}

impl Report for RestoreReport {
    const COLUMNS: &'static [&'static str] = &["what", "value"];

    fn rows(&self) -> Vec<Vec<String>> {
        let opt = |n: Option<i64>| n.map_or("-".to_string(), |n| n.to_string());
        let mut rows = vec![
            vec!["table".into(), self.table.clone()],
            vec!["from".into(), self.from.clone()],
            vec!["dry run".into(), self.dry_run.to_string()],
            vec!["settings".into(), self.settings.join("\n")],
            vec!["expected items".into(), opt(self.expected_items)],
            vec!["items".into(), opt(self.items)],
        ];
        if !self.notes.is_empty() {
            rows.push(vec!["notes".into(), self.notes.join("\n")]);
        }
        if let Some(v) = &self.verify {
            rows.push(vec!["compared with".into(), v.compared_with.clone()]);
            rows.push(vec!["differences".into(), v.differences.to_string()]);
            for d in &v.listed {
                rows.push(vec![d.kind.into(), d.key.clone()]);
            }
        }
        rows
    }
}

impl RestoreReport {
    /// The summary, for stderr: what was restored and set, the item counts, the comparison.
    pub fn lines(&self, endpoint: &str) -> Vec<String> {
        let set = match self.settings.is_empty() {
            true => "nothing".to_string(),
            false => self.settings.join(", "),
        };
        if self.dry_run {
            return vec![format!(
                "would restore {} into new table {} on {endpoint} and set: {set}",
                self.from, self.table
            )];
        }
        let mut lines = vec![format!(
            "restored {} into table {} on {endpoint}; set: {set}",
            self.from, self.table
        )];
        lines.extend(self.notes.iter().map(|n| format!("note: {n}")));
        match (self.expected_items, self.items) {
            (Some(expected), Some(items)) if expected != items => lines.push(format!(
                "items: {items} restored, {expected} in the source's figures (both approximate, \
                 as DescribeTable counts): they differ"
            )),
            (Some(expected), Some(items)) => lines.push(format!(
                "items: {items} restored, as the source's figures say ({expected})"
            )),
            _ => {}
        }
        if let Some(v) = &self.verify {
            lines.push(format!(
                "verify: {} differences between {} ({} items) and {} ({} items)",
                v.differences, v.compared_with, v.source_items, self.table, v.restored_items
            ));
        }
        lines
    }

    /// An error when `--verify` found differences.
    pub fn differences(&self) -> Result<()> {
        match &self.verify {
            Some(v) if v.differences > 0 => bail!(
                "{} items differ between {} and {} (listed by key in the report)",
                v.differences,
                v.compared_with,
                self.table
            ),
            _ => Ok(()),
        }
    }
}

/// Whether `step` is a setting a restore drops (the only steps a restore applies).
fn dropped_by_restore(step: &Step) -> bool {
    matches!(
        step,
        Step::Stream { .. }
            | Step::TimeToLive { .. }
            | Step::PointInTimeRecovery { .. }
            | Step::DeletionProtection { .. }
            | Step::Tag { .. }
            | Step::Untag { .. }
    )
}

/// The schema file's settings a restore drops, in words (for a dry run).
fn wanted_settings(def: &TableDefinition) -> Vec<String> {
    let mut wanted = Vec::new();
    if let Some(view) = def.stream {
        wanted.push(format!("stream on ({})", view.as_str()));
    }
    if let Some(crate::ops::schema_load::TtlSetting::Enabled(attribute)) = &def.ttl {
        wanted.push(format!("TTL on attribute {attribute}"));
    }
    if def.point_in_time_recovery == Some(true) {
        wanted.push("point-in-time recovery on".into());
    }
    if def.deletion_protection == Some(true) {
        wanted.push("deletion protection on".into());
    }
    for (key, value) in def.tags.iter().flatten() {
        wanted.push(format!("tag {key}={value}"));
    }
    wanted
}

/// Checks everything, asks `approve`, restores, waits, sets the schema file's settings,
/// compares. In a dry run, only the checks.
pub async fn restore(
    ctx: &Context,
    request: RestoreRequest,
    approve: &mut (dyn FnMut(&str) -> Result<()> + Send),
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<RestoreReport> {
    let to = request.to.as_str();
    // Checks, before anything is written: the source first (so that DynamoDB Local says it has
    // no restores whatever the rest), then the new table's name.
    let (from, source_table, expected, backup_arn) = match &request.source {
        Source::Backup(which) => {
            let backup = find(ctx, which).await?;
            let from = format!("backup {} ({})", backup.name, backup.arn);
            (from, backup.table.clone(), backup.items, Some(backup.arn))
        }
        Source::PointInTime { table, at } => {
            match point_in_time_recovery(ctx, table).await {
                Ok(Pitr::Enabled) => {}
                Ok(Pitr::Disabled) => bail!(
                    "table {table} has point-in-time recovery off on {}: it cannot be restored to \
                     a point in time (restore from a backup instead; `backups --table {table}` \
                     lists them); nothing was changed",
                    ctx.dynamodb_endpoint
                ),
                Ok(Pitr::Unsupported(why)) => return Err(not_supported(ctx, &why)),
                Err(err) => return Err(err),
            }
            let found = describe(ctx, table).await?;
            let when = at.map_or("the latest restorable time".to_string(), |t| t.to_rfc3339());
            let items = found.and_then(|t| t.item_count);
            (
                format!("table {table} at {when}"),
                Some(table.clone()),
                items,
                None,
            )
        }
    };
    if describe(ctx, to).await?.is_some() {
        bail!(
            "table {to} already exists on {}: restore never writes over a table; choose another \
             --to (nothing was changed)",
            ctx.dynamodb_endpoint
        );
    }
    let verify_against =
        match (&request.verify_against, request.verify_source) {
            (Some(other), _) => Some(other.clone()),
            (None, true) => Some(source_table.clone().with_context(|| {
                "the backup does not name its table: pass --verify-against TABLE"
            })?),
            (None, false) => None,
        };
    if let Some(other) = &verify_against {
        if describe(ctx, other).await?.is_none() {
            bail!(
                "cannot verify against table {other}: it does not exist on {} (the backup's table \
                 was dropped? pass --verify-against TABLE, or leave --verify out); nothing was \
                 changed",
                ctx.dynamodb_endpoint
            );
        }
    }
    let mut def = request.schema.clone();
    def.table_name = to.to_string();
    let mut report = RestoreReport {
        table: to.to_string(),
        from,
        source_table,
        dry_run: request.dry_run,
        settings: wanted_settings(&def),
        notes: Vec::new(),
        expected_items: expected,
        items: None,
        verify: None,
    };
    if request.dry_run {
        return Ok(report);
    }
    approve(&format!("restore {} into new table {to}", report.from))?;

    match (&request.source, backup_arn) {
        (_, Some(arn)) => supported(ctx, store::restore_from_backup(ctx, &arn, to).await)?,
        (Source::PointInTime { table, at }, None) => {
            supported(ctx, store::restore_to_time(ctx, table, *at, to).await)?
        }
        (Source::Backup(_), None) => bail!("a backup without an ARN"),
    }
    let restored = wait_until_restored(ctx, to, request.wait_timeout, on_event).await?;
    report.items = restored.item_count;

    // The settings a restore drops, through schema-load's plan and apply.
    let live = schema::inspect(ctx, &def)
        .await?
        .with_context(|| format!("restored table {to} disappeared"))?;
    let options = PlanOptions {
        allow_index_rebuild: false,
        prod: ctx.target() == Target::Prod,
    };
    let plan = schema::plan_changes(&def, &live, options);
    let (steps, others): (Vec<Step>, Vec<Step>) =
        plan.steps.into_iter().partition(dropped_by_restore);
    report.notes.extend(plan.notes);
    report.notes.extend(
        plan.refusals
            .iter()
            .map(|r| format!("not set: {}: {}", r.what, r.reason)),
    );
    report.notes.extend(others.iter().map(|s| {
        format!(
            "not set (the backup's table differs from the schema file; run schema-load --table \
             {to}): {}",
            s.change()
        )
    }));
    let applied = schema::apply(
        ctx,
        &def,
        schema::Target::of(&live.table),
        &steps,
        request.wait_timeout,
        &mut |e| on_event(Event::Setting(e)),
    )
    .await;
    if let Some(err) = applied.error {
        return Err(err.context(format!(
            "table {to} was restored and is ACTIVE, but a setting could not be set: run \
             `schema-load --table {to} --apply` to set the rest"
        )));
    }
    report.settings = steps.iter().map(Step::change).collect();

    if let Some(other) = &verify_against {
        on_event(Event::Verifying);
        report.verify = Some(verify(ctx, other, to).await?);
    }
    Ok(report)
}

/// Waits until `table` is ACTIVE with all its indexes, at most `wait`.
async fn wait_until_restored(
    ctx: &Context,
    table: &str,
    wait: Duration,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<aws_sdk_dynamodb::types::TableDescription> {
    let started = Instant::now();
    let poll = match ctx.target() {
        Target::Local => Duration::from_millis(200),
        Target::Prod => Duration::from_secs(5),
    };
    loop {
        let found = describe(ctx, table).await?;
        let status = found
            .as_ref()
            .and_then(|t| t.table_status.clone())
            .map_or("not visible yet".to_string(), |s| s.as_str().to_string());
        if let Some(t) = found {
            let indexes_active = t
                .global_secondary_indexes()
                .iter()
                .all(|g| g.index_status() == Some(&aws_sdk_dynamodb::types::IndexStatus::Active));
            if t.table_status == Some(TableStatus::Active) && indexes_active {
                return Ok(t);
            }
        }
        let waited = started.elapsed();
        if waited >= wait {
            bail!(
                "table {table} is still {status} after {} s (--wait-timeout): the restore goes on \
                 in DynamoDB, and nothing else was done: once it is ACTIVE, set its settings with \
                 `schema-load --table {table} --apply`",
                wait.as_secs()
            );
        }
        on_event(Event::Restoring {
            status: &status,
            waited,
        });
        tokio::time::sleep(poll.min(wait - waited)).await;
    }
}

/// How many segments the verifying scans use, each.
const VERIFY_SEGMENTS: u32 = 4;

/// An attribute value as a key part.
fn key_part(value: Option<&AttributeValue>) -> String {
    match value {
        Some(AttributeValue::S(s)) => s.clone(),
        Some(AttributeValue::N(n)) => n.clone(),
        Some(other) => format!("{other:?}"),
        None => "(none)".into(),
    }
}

/// Every item of `table`, as key → hash of the whole item.
async fn hashes(ctx: &Context, table: &str, keys: &[String]) -> Result<HashMap<String, u64>> {
    let mut found = HashMap::new();
    let options = ScanOptions {
        segments: VERIFY_SEGMENTS,
        ..ScanOptions::default()
    };
    scan_pages(ctx, table, options, |page: &[Item]| {
        for item in page {
            let key = keys
                .iter()
                .map(|k| format!("{k}={}", key_part(item.get(k))))
                .collect::<Vec<_>>()
                .join(",");
            // serde_json's maps are ordered by key, so equal items hash alike.
            let mut hasher = DefaultHasher::new();
            to_typed_json(item).to_string().hash(&mut hasher);
            found.insert(key, hasher.finish());
        }
        Ok(())
    })
    .await?;
    Ok(found)
}

/// Compares every item of `source` with `restored`, by key (both scanned in parallel).
pub async fn verify(ctx: &Context, source: &str, restored: &str) -> Result<Verification> {
    let table = describe(ctx, restored)
        .await?
        .with_context(|| format!("table {restored} disappeared"))?;
    let keys: Vec<String> = table
        .key_schema()
        .iter()
        .map(|k| k.attribute_name().to_string())
        .collect();
    let (theirs, ours) =
        tokio::try_join!(hashes(ctx, source, &keys), hashes(ctx, restored, &keys))?;
    let mut differences = BTreeMap::new();
    for (key, hash) in &theirs {
        match ours.get(key) {
            None => {
                differences.insert(key.clone(), "missing");
            }
            Some(h) if h != hash => {
                differences.insert(key.clone(), "changed");
            }
            Some(_) => {}
        }
    }
    for key in ours.keys().filter(|k| !theirs.contains_key(*k)) {
        differences.insert(key.clone(), "extra");
    }
    Ok(Verification {
        compared_with: source.to_string(),
        source_items: theirs.len() as u64,
        restored_items: ours.len() as u64,
        differences: differences.len(),
        listed: differences
            .into_iter()
            .take(LISTED_DIFFERENCES)
            .map(|(key, kind)| Difference { key, kind })
            .collect(),
    })
}
