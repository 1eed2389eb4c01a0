//! A lease lock held as one item of a table: what keeps two runs of a bulk writer (two `seed`s of
//! the same group from two CI jobs, say) from writing at the same time.
//!
//! The lock is the item `pk = LOCK#<name>`, `sk = lock`, carrying a random token, who holds it
//! and when the lease ends (`expires_at`, milliseconds since the epoch). It is taken with a
//! conditional put that succeeds only when no such item exists or its lease has ended, renewed in
//! the background (a conditional update on the token) every third of the lease, and released with
//! a conditional delete on the token. A holder that dies leaves the item behind; it stops counting
//! once its lease ends. Leases compare wall clocks of the machines involved: keep them in sync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use uuid::Uuid;

use crate::context::{Context, SdkResultExt};
use crate::ddb::item::{opt_s, s, Item};
use crate::model::keys::{PK, SK};

/// The sort key of every lock item.
pub const LOCK_SK: &str = "lock";
/// The prefix of a lock item's partition key.
pub const LOCK_PREFIX: &str = "LOCK#";
/// How long a lease lasts without renewal, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

const TOKEN: &str = "lock_token";
const HOLDER: &str = "lock_holder";
const EXPIRES_AT: &str = "expires_at";

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A held lock. Renewed in the background until [`Lease::release`] (or drop, which stops the
/// renewals and lets the lease run out).
#[derive(Debug)]
pub struct Lease {
    ctx: Context,
    table: String,
    pk: String,
    token: String,
    lost: Arc<AtomicBool>,
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
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
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
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = tokio::spawn(renew(
        ctx.clone(),
        table.to_string(),
        pk.clone(),
        token.clone(),
        lease,
        lost.clone(),
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

/// Extends the lease every third of its length; marks it lost when a renewal finds the token
/// gone, or when the lease ran out before a renewal got through.
async fn renew(
    ctx: Context,
    table: String,
    pk: String,
    token: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
) {
    let mut valid_until = now_ms() + lease.as_millis() as u64;
    loop {
        tokio::time::sleep(lease / 3).await;
        let until = now_ms() + lease.as_millis() as u64;
        let renewed = ctx
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
            .send()
            .await;
        match renewed {
            Ok(_) => valid_until = until,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(_) if now_ms() >= valid_until => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
    }
}

impl Lease {
    /// Fails when the lease was lost (not renewed in time, or taken over): the caller must stop
    /// writing.
    pub fn check(&self) -> Result<()> {
        if self.lost.load(Ordering::SeqCst) {
            bail!(
                "lost the lock {} of table {} (its lease ran out before it could be renewed): \
                 another run may be writing; run again when it is done",
                self.pk,
                self.table
            );
        }
        Ok(())
    }

    /// Stops renewing and deletes the lock item (only if it is still ours).
    pub async fn release(self) -> Result<()> {
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
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                self.lost.store(true, Ordering::SeqCst);
                self.check()
            }
            Err(err) => Err(err)
                .on(
                    &self.ctx.dynamodb_endpoint,
                    format_args!("releasing the lock {} in table {}", self.pk, self.table),
                )
                .context("the lock is released when its lease runs out"),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
