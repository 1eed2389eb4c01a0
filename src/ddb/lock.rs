//! A lease lock held as one item of a table: what keeps two runs of a bulk writer (two `seed`s of
//! the same group from two CI jobs, say) from writing at the same time.
//!
//! The lock is the item `pk = LOCK#<name>`, `sk = lock`, carrying a random token, who holds it
//! and when the lease ends (`expires_at`, milliseconds since the epoch). It is taken with a
//! conditional put that succeeds only when no such item exists or its lease has ended, renewed in
//! the background (a conditional update on the token) every third of the lease, and released with
//! a conditional delete on the token. A holder that dies leaves the item behind; it stops counting
//! once its lease ends. Leases compare wall clocks of the machines involved: keep them in sync.
//!
//! A lease is lost when a renewal finds the item deleted or another holder's, or when no renewal
//! got through before the lease ended (each renewal waits no longer than that). The holder learns
//! it from [`Lease::guard`], which stops the work it runs at once with a [`LostLock`] error
//! naming why (and carrying the last renewal's error), or from [`Lease::check`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use tokio::sync::watch;
use uuid::Uuid;

use crate::context::{sdk_error, Context, SdkResultExt};
use crate::ddb::item::{opt_s, s, Item};
use crate::model::keys::{PK, SK};

/// The sort key of every lock item.
pub const LOCK_SK: &str = "lock";
/// The prefix of a lock item's partition key.
pub const LOCK_PREFIX: &str = "LOCK#";
/// How long a lease lasts without renewal, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The attribute holding the holder's random token.
pub const TOKEN: &str = "lock_token";
/// The attribute naming the holder.
pub const HOLDER: &str = "lock_holder";
/// The attribute holding when the lease ends, in milliseconds since the epoch.
pub const EXPIRES_AT: &str = "expires_at";

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Why a held lock is no longer ours.
#[derive(Debug, Clone)]
pub enum Lost {
    /// A renewal found no lock item: someone deleted it.
    Deleted,
    /// A renewal found another holder's item in its place.
    TakenOver {
        /// Who holds it now, as that holder described itself.
        holder: String,
    },
    /// No renewal got through before the lease ended.
    RanOut {
        /// Why the last renewal failed (`None` when none had ended yet).
        last_error: Option<Arc<anyhow::Error>>,
    },
    /// The renewals stopped without a loss being recorded (their task ended).
    RenewalStopped,
}

impl Lost {
    /// What a renewal's failed condition says: the item is gone, or it is someone else's.
    fn from_old_item(old: Option<&Item>) -> Lost {
        match old.filter(|item| !item.is_empty()) {
            None => Lost::Deleted,
            Some(item) => Lost::TakenOver {
                holder: opt_s(item, HOLDER)
                    .unwrap_or("an unnamed holder")
                    .to_string(),
            },
        }
    }
}

/// The error of a lost lock: the lock, its table and why; a failed renewal's own error is its
/// source.
#[derive(Debug)]
pub struct LostLock {
    pk: String,
    table: String,
    why: Lost,
}

impl LostLock {
    /// Why the lock was lost.
    pub fn why(&self) -> &Lost {
        &self.why
    }
}

impl fmt::Display for LostLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match &self.why {
            Lost::Deleted => "its item was deleted".to_string(),
            Lost::TakenOver { holder } => format!("it was taken over by {holder}"),
            Lost::RanOut { .. } => "its lease ran out before it could be renewed".to_string(),
            Lost::RenewalStopped => "its renewals stopped".to_string(),
        };
        write!(
            f,
            "lost the lock {} of table {} ({why}): another run may be writing; run again when it \
             is done",
            self.pk, self.table
        )
    }
}

impl std::error::Error for LostLock {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.why {
            Lost::RanOut {
                last_error: Some(err),
            } => Some(AsRef::<dyn std::error::Error>::as_ref(&**err)),
            _ => None,
        }
    }
}

/// A held lock. Renewed in the background until [`Lease::release`] (or drop, which stops the
/// renewals and lets the lease run out).
#[derive(Debug)]
pub struct Lease {
    ctx: Context,
    table: String,
    pk: String,
    token: String,
    lost: watch::Receiver<Option<Lost>>,
    renewer: tokio::task::JoinHandle<()>,
}

/// Takes the lock `name` in `table` for `holder` (a description for the error another run sees),
/// with a lease of `lease`. Fails at once, naming the holder, when someone else holds it.
pub async fn acquire(
    ctx: &Context,
    table: &str,
    name: &str,
    holder: &str,
    lease: Duration,
) -> Result<Lease> {
    let pk = format!("{LOCK_PREFIX}{name}");
    let token = Uuid::new_v4().to_string();
    let now = now_ms();
    let mut item = Item::new();
    item.insert(PK.into(), s(&pk));
    item.insert(SK.into(), s(LOCK_SK));
    item.insert(TOKEN.into(), s(&token));
    item.insert(HOLDER.into(), s(holder));
    item.insert(EXPIRES_AT.into(), n(now + lease.as_millis() as u64));
    let put = ctx
        .dynamodb()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk) OR #exp < :now")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#exp", EXPIRES_AT)
        .expression_attribute_values(":now", n(now))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match put {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            let old = err
                .as_service_error()
                .and_then(|e| match e {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item.clone(),
                    _ => None,
                })
                .unwrap_or_default();
            let who = opt_s(&old, HOLDER).unwrap_or("another process");
            let left = match old.get(EXPIRES_AT) {
                Some(AttributeValue::N(ms)) => ms.parse::<u64>().ok().map(|ms| {
                    format!(
                        " (its lease ends in {:.0} s unless renewed)",
                        ms.saturating_sub(now) as f64 / 1000.0
                    )
                }),
                _ => None,
            }
            .unwrap_or_default();
            bail!(
                "{name} is locked in table {table} by {who}{left}: another run is writing it; \
                 wait for it to finish, then run again"
            );
        }
        Err(err) => {
            return Err(err).on(
                &ctx.dynamodb_endpoint,
                format_args!("taking the lock {pk} in table {table}"),
            )
        }
    }
    let (lost_tx, lost) = watch::channel(None);
    let renewer = tokio::spawn(renew(
        ctx.clone(),
        table.to_string(),
        pk.clone(),
        token.clone(),
        lease,
        lost_tx,
    ));
    Ok(Lease {
        ctx: ctx.clone(),
        table: table.to_string(),
        pk,
        token,
        lost,
        renewer,
    })
}

/// Extends the lease every third of its length, each attempt bounded by the end of the lease;
/// records the loss (and ends) when a renewal finds the item deleted or another holder's, or when
/// the lease ended before a renewal got through.
async fn renew(
    ctx: Context,
    table: String,
    pk: String,
    token: String,
    lease: Duration,
    lost: watch::Sender<Option<Lost>>,
) {
    let lease_ms = lease.as_millis() as u64;
    let mut valid_until = now_ms() + lease_ms;
    let mut last_error = None;
    loop {
        let left = |valid_until: u64| Duration::from_millis(valid_until.saturating_sub(now_ms()));
        tokio::time::sleep((lease / 3).min(left(valid_until))).await;
        if now_ms() >= valid_until {
            lost.send_replace(Some(Lost::RanOut { last_error }));
            return;
        }
        let until = now_ms() + lease_ms;
        let request = ctx
            .dynamodb()
            .update_item()
            .table_name(&table)
            .key(PK, s(&pk))
            .key(SK, s(LOCK_SK))
            .update_expression("SET #exp = :until")
            .condition_expression("#token = :token")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":token", s(&token))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // A renewal still unanswered when the lease ends comes too late: the lease is lost.
        let Ok(renewed) = tokio::time::timeout(left(valid_until), request.send()).await else {
            last_error = Some(Arc::new(anyhow::anyhow!(
                "renewing the lock {pk} in table {table} on {}: no answer before the lease ended",
                ctx.dynamodb_endpoint
            )));
            continue;
        };
        match renewed {
            Ok(_) => {
                valid_until = until;
                last_error = None;
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    lost.send_replace(Some(Lost::from_old_item(failed.item.as_ref())));
                    return;
                }
                _ => {
                    let what = format_args!("renewing the lock {pk} in table {table}");
                    last_error = Some(Arc::new(sdk_error(err, &ctx.dynamodb_endpoint, what)));
                }
            },
        }
    }
}

impl Lease {
    /// Fails with a [`LostLock`] when the lease was lost: the caller must stop writing.
    pub fn check(&self) -> Result<()> {
        let lost = self
            .lost
            .borrow()
            .clone()
            .or_else(|| self.renewer.is_finished().then_some(Lost::RenewalStopped));
        match lost {
            Some(why) => Err(self.lost_lock(why).into()),
            None => Ok(()),
        }
    }

    /// Runs `work` while the lease holds. When the lease is lost first, `work` is dropped there
    /// (nothing more of it runs) and the [`LostLock`] is the error; when `work` ends, the lease
    /// is checked once more.
    pub async fn guard<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let mut lost = self.lost.clone();
        tokio::select! {
            biased;
            why = lost.wait_for(Option::is_some) => {
                let why = why.ok().and_then(|why| why.clone()).unwrap_or(Lost::RenewalStopped);
                Err(self.lost_lock(why).into())
            }
            done = work => {
                let value = done?;
                self.check()?;
                Ok(value)
            }
        }
    }

    fn lost_lock(&self, why: Lost) -> LostLock {
        LostLock {
            pk: self.pk.clone(),
            table: self.table.clone(),
            why,
        }
    }

    /// Stops renewing and deletes the lock item (only if it is still ours: when it is not, the
    /// error says why, and the other holder's item stays).
    pub async fn release(self) -> Result<()> {
        // Asked before the renewals stop (then they would look stopped); the item is deleted
        // either way if it is still ours.
        let held = self.check();
        self.renewer.abort();
        let deleted = self
            .ctx
            .dynamodb()
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(&self.pk))
            .key(SK, s(LOCK_SK))
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_values(":token", s(&self.token))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        held?;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => Err(self
                    .lost_lock(Lost::from_old_item(failed.item.as_ref()))
                    .into()),
                _ => Err(err)
                    .on(
                        &self.ctx.dynamodb_endpoint,
                        format_args!("releasing the lock {} in table {}", self.pk, self.table),
                    )
                    .context("the lock is released when its lease runs out"),
            },
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
