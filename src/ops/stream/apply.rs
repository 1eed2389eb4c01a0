//! Moving a group's conversation (`GRP#`) rows to a new message in DynamoDB: a delete of the old
//! key and a put of the new item in one transaction per row, conditioned so that a row only ever
//! moves forward in time, retried on a cancelled transaction with a fresh read.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use uuid::Uuid;

use super::outcome::OutcomeKind;
use super::plan::{too_large, NewMessage};
use crate::context::{Context, SdkResultExt};
use crate::ddb::item::{get_s, s, Item};
use crate::ddb::query::{self, query_all};
use crate::ddb::retry;
use crate::ddb::size::{item_size, MAX_ITEM_BYTES};
use crate::model::keys::{Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, PK, SK};
use crate::ops::conversations::group_rows;

/// Pauses before asking the group index again when it shows no conversation rows.
const EMPTY_INDEX_PAUSES: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];

/// How many times a row is re-read and retried when its transaction is cancelled.
const MAX_ATTEMPTS: u32 = 5;

/// What happened to one conversation row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RowResult {
    Moved {
        owner: String,
        from: String,
    },
    AlreadyCurrent {
        owner: String,
        sk: String,
    },
    Vanished {
        owner: String,
    },
    Conflict {
        owner: String,
        why: String,
    },
    /// The moved row would be over DynamoDB's item limit: it can never be written.
    TooLarge {
        owner: String,
        why: String,
    },
}

/// Whether a row at `row` must move to a message at `message`: only ever forward in time.
pub fn must_move(row: Sk, message: Sk) -> bool {
    row < message
}

/// The newest row of each owner (`pk`) among a group's conversation rows, keyed by `pk`.
/// Rows without a readable `pk`/`sk` are left out.
pub fn newest_per_owner(rows: Vec<Item>) -> BTreeMap<String, (Sk, Item)> {
    let mut newest: BTreeMap<String, (Sk, Item)> = BTreeMap::new();
    for row in rows {
        let (Ok(pk), Ok(sk)) = (get_s(&row, PK), get_s(&row, SK)) else {
            continue;
        };
        let Ok(at) = Sk::parse(sk) else {
            continue;
        };
        let pk = pk.to_string();
        if newest.get(&pk).is_none_or(|(current, _)| at > *current) {
            newest.insert(pk, (at, row));
        }
    }
    newest
}

/// Moves every conversation row of the message's group that is older than the message.
pub(super) async fn apply_message(
    ctx: &Context,
    message: &NewMessage,
    dry_run: bool,
) -> Result<(OutcomeKind, String)> {
    // The group index is eventually consistent: a group created a moment ago, or a row in the
    // middle of a move (deleted, not yet put, as the index sees it), may briefly be missing.
    let mut newest = newest_per_owner(group_rows(ctx, message.group).await?);
    for pause in EMPTY_INDEX_PAUSES {
        if !newest.is_empty() {
            break;
        }
        tokio::time::sleep(pause).await;
        newest = newest_per_owner(group_rows(ctx, message.group).await?);
    }
    if newest.is_empty() {
        return Ok((
            OutcomeKind::NoConversation,
            "the group has no conversation rows".into(),
        ));
    }
    let mut results = Vec::with_capacity(newest.len());
    for (owner, (_, row)) in newest {
        results.push(move_row(ctx, message, owner, row, dry_run).await?);
    }
    let (kind, detail) = summarize(&results);
    Ok(if dry_run {
        (
            kind,
            format!(
                "dry run: {}",
                detail.replace(" moved from ", " would move from ")
            ),
        )
    } else {
        (kind, detail)
    })
}

pub(super) fn summarize(results: &[RowResult]) -> (OutcomeKind, String) {
    let moved = results
        .iter()
        .filter(|r| matches!(r, RowResult::Moved { .. }))
        .count();
    let conflict = results
        .iter()
        .any(|r| matches!(r, RowResult::Conflict { .. }));
    let too_large = results
        .iter()
        .any(|r| matches!(r, RowResult::TooLarge { .. }));
    let parts: Vec<String> = results
        .iter()
        .map(|r| match r {
            RowResult::Moved { owner, from } => format!("{owner} moved from {from}"),
            RowResult::AlreadyCurrent { owner, sk } => format!("{owner} already at {sk}"),
            RowResult::Vanished { owner } => format!("{owner} row is gone"),
            RowResult::Conflict { owner, why } => format!("{owner} left as it was: {why}"),
            RowResult::TooLarge { owner, why } => format!("{owner} not moved: {why}"),
        })
        .collect();
    let kind = if moved > 0 {
        OutcomeKind::Applied
    } else if too_large {
        // No row can ever carry this message: a record that can never apply is malformed, and
        // the batch goes on past it.
        OutcomeKind::Malformed
    } else if conflict {
        OutcomeKind::Conflict
    } else {
        OutcomeKind::Stale
    };
    (kind, parts.join("; "))
}

/// Moves one conversation row forward to `message`, retrying on a cancelled transaction with a
/// fresh, strongly consistent read of the row.
async fn move_row(
    ctx: &Context,
    message: &NewMessage,
    owner: String,
    mut row: Item,
    dry_run: bool,
) -> Result<RowResult> {
    let new_sk = message.at.to_string();
    for attempt in 0..MAX_ATTEMPTS {
        let old_sk = get_s(&row, SK)?.to_string();
        let current = Sk::parse(&old_sk)?;
        if !must_move(current, message.at) {
            return Ok(RowResult::AlreadyCurrent { owner, sk: old_sk });
        }
        let mut moved = row.clone();
        moved.insert(SK.into(), s(&new_sk));
        moved.insert(MESSAGE.into(), s(&message.text));
        let size = item_size(&moved);
        if size > MAX_ITEM_BYTES {
            return Ok(RowResult::TooLarge {
                owner,
                why: too_large(size),
            });
        }
        if dry_run {
            return Ok(RowResult::Moved {
                owner,
                from: old_sk,
            });
        }
        let delete = Delete::builder()
            .table_name(ctx.table())
            .key(PK, s(&owner))
            .key(SK, s(&old_sk))
            .condition_expression("attribute_exists(#pk) AND #g = :g")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
            .expression_attribute_values(":g", s(message.group.to_string()))
            .build()
            .context("building the delete of a conversation row")?;
        let put = Put::builder()
            .table_name(ctx.table())
            .set_item(Some(moved))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .context("building the put of a conversation row")?;
        let sent = ctx
            .dynamodb()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match sent {
            Ok(_) => {
                return Ok(RowResult::Moved {
                    owner,
                    from: old_sk,
                })
            }
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_transaction_canceled_exception()
                        || e.is_transaction_in_progress_exception()
                }) =>
            {
                // Someone moved the row (or is moving it): read it again and decide again,
                // after the shared jittered backoff (several processors may collide again).
                retry::pause(attempt + 1).await;
                match consistent_row(ctx, &owner, message.group).await? {
                    Some(fresh) => row = fresh,
                    None => return Ok(RowResult::Vanished { owner }),
                }
            }
            Err(err) if refused_as_too_large(&err).is_some() => {
                let why = refused_as_too_large(&err).unwrap_or_default();
                return Ok(RowResult::TooLarge { owner, why });
            }
            Err(err) => {
                return Err(err).on(
                    &ctx.dynamodb_endpoint,
                    format_args!(
                        "moving conversation row {owner} of group {} to {new_sk} in table {}",
                        message.group,
                        ctx.table()
                    ),
                )
            }
        }
    }
    Ok(RowResult::Conflict {
        owner,
        why: format!("still changing after {MAX_ATTEMPTS} attempts"),
    })
}

/// The newest row of `group` in the partition `owner` (`GRP#<user>`), read strongly consistent.
async fn consistent_row(ctx: &Context, owner: &str, group: Uuid) -> Result<Option<Item>> {
    let request = query::partition(ctx, owner.parse::<Pk>()?)
        .consistent_read(true)
        .filter_expression("#g = :g")
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":g", s(group.to_string()));
    let what = format!("re-reading conversation row {owner} of group {group}");
    let rows = query_all(ctx, request, what).await?;
    Ok(newest_per_owner(rows)
        .into_values()
        .next()
        .map(|(_, row)| row))
}

/// Whether DynamoDB refused a write because the item or the request is too large (HTTP 413, or
/// a ValidationException about the item size): retrying can never succeed.
fn refused_as_too_large<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    err: &aws_sdk_dynamodb::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<String> {
    if let Some(service) = err.as_service_error() {
        if service.code() == Some("ValidationException") {
            return service
                .message()
                .filter(|m| is_item_size_message(m))
                .map(|m| format!("ValidationException: {m} (DynamoDB's 400 KB item limit)"));
        }
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    (status == Some(413)).then(|| {
        "HTTP 413: request too large (over DynamoDB's 400 KB item limit), so it can never be \
         written"
            .to_string()
    })
}

/// Whether a ValidationException's message is DynamoDB's "Item size has exceeded the maximum
/// allowed size" (or "Item size to update has exceeded ...").
pub fn is_item_size_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("item size") && m.contains("exceeded")
}

#[cfg(test)]
mod tests;
