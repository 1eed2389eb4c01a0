//! The seed's I/O against DynamoDB: reading what a group holds (its messages and conversation
//! rows), and the writes of a plan, done under the group's seed lock: deleting what an earlier seed
//! left, putting every message, then the conversation rows (conditionally).

use anyhow::{bail, Context as _, Result};
use uuid::Uuid;

use super::{ExistingMessage, ExistingRow, Phase, Plan};
use crate::context::Context;
use crate::context::SdkResultExt;
use crate::ddb::batch::{batch_write_within, delete_request, put_request, WriteOptions};
use crate::ddb::capacity::Governor;
use crate::ddb::item::{get_s, opt_s, s};
use crate::ddb::query::{self, query_all};
use crate::model::keys::{key, Pk, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK};
use crate::model::messages::Conversation;
use crate::ops::conversations;

/// What `group` holds: its messages (keys and uuids) and its conversation rows (keys).
pub(super) async fn read_existing(
    ctx: &Context,
    group: Uuid,
) -> Result<(Vec<ExistingMessage>, Vec<ExistingRow>)> {
    let rows = async {
        conversations::group_rows(ctx, group)
            .await?
            .iter()
            .filter(|row| matches!(get_s(row, PK).map(str::parse), Ok(Ok(Pk::Group(_)))))
            .map(|row| {
                Ok(ExistingRow {
                    pk: get_s(row, PK)?.to_string(),
                    sk: get_s(row, SK)?.to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()
            .context("reading the group's conversation rows")
    };
    tokio::try_join!(existing_messages(ctx, group), rows)
}

/// The sort keys and uuids of every message of `group` (all pages).
async fn existing_messages(ctx: &Context, group: Uuid) -> Result<Vec<ExistingMessage>> {
    let pk = Pk::Message(group).to_string();
    let request = query::partition(ctx, Pk::Message(group))
        .projection_expression("#sk, #u")
        .expression_attribute_names("#sk", SK)
        .expression_attribute_names("#u", MESSAGE_UUID);
    let what = format!("reading the keys of {pk} in table {}", ctx.table());
    query_all(ctx, request, what)
        .await?
        .iter()
        .map(|item| {
            Ok(ExistingMessage {
                sk: get_s(item, SK)
                    .context("a message without a sort key")?
                    .to_string(),
                uuid: opt_s(item, MESSAGE_UUID).map(str::to_string),
            })
        })
        .collect()
}

/// The writes of [`super::execute()`], under its lock (whose loss stops them, through
/// [`crate::ddb::lock::Lease::guard`]): (messages, conversation rows, deleted).
pub(super) async fn write_plan(
    ctx: &Context,
    plan: Plan,
    options: WriteOptions,
    governor: &Governor,
    progress: &mut impl FnMut(Phase, u64, u64),
) -> Result<(u64, u64, u64)> {
    let table = ctx.table();
    let rows: Vec<Conversation> = plan.rows_to_write().cloned().collect();
    let Plan {
        group,
        people,
        end,
        lines,
        stale_messages,
        stale_conversations,
        ..
    } = plan;

    let stale = (stale_conversations.len() + stale_messages.len()) as u64;
    let message_pk = Pk::Message(group).to_string();
    let deletes = stale_conversations
        .into_iter()
        .chain(
            stale_messages
                .into_iter()
                .map(|sk| (message_pk.clone(), sk)),
        )
        .map(|(pk, sk)| delete_request(key(pk, sk)))
        .collect::<Result<Vec<_>>>()?;
    // Conversation rows first: a half-done run leaves no list entry pointing at missing messages.
    let done = std::cell::Cell::new(0u64);
    let deleted = batch_write_within(ctx, table, deletes, options, governor, |n| {
        done.set(n);
        progress(Phase::Deleting, n, stale)
    })
    .await
    .with_context(|| {
        format!(
            "deleting the earlier seed of group {group} from table {table} \
             ({} of {stale} deleted before the error; run the seed again to finish)",
            done.get()
        )
    })?;

    let count = lines.len() as u64;
    let total = count + rows.len() as u64;
    let puts = Plan::into_messages(lines, group, people, end)
        .map(|m| put_request(m.into_item()))
        .collect::<Result<Vec<_>>>()?;
    done.set(0);
    let messages = batch_write_within(ctx, table, puts, options, governor, |n| {
        done.set(n);
        progress(Phase::Writing, n, total)
    })
    .await
    .with_context(|| {
        format!(
            "writing the messages of group {group} to table {table} \
             ({} of {count} messages written before the error; run the seed again to finish)",
            done.get()
        )
    })?;

    let mut written = 0;
    for row in &rows {
        put_conversation(ctx, row).await?;
        written += 1;
        progress(Phase::Writing, messages + written, total);
    }
    Ok((messages, written, deleted))
}

/// Puts a conversation row unless its key holds a row of another message group.
async fn put_conversation(ctx: &Context, row: &Conversation) -> Result<()> {
    let put = ctx
        .dynamodb()
        .put_item()
        .table_name(ctx.table())
        .set_item(Some(row.to_item()))
        .condition_expression("attribute_not_exists(#pk) OR #g = :g")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":g", s(row.group.to_string()))
        .send()
        .await;
    let key = || format!("{} {}", Pk::Group(row.owner), row.last_at);
    match put {
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            bail!(
                "conversation row {} in table {} belongs to another message group: not \
                 overwritten; the messages of group {} are written, seed with another --now to \
                 add the conversation row",
                key(),
                ctx.table(),
                row.group
            )
        }
        other => other.map(|_| ()).on(
            &ctx.dynamodb_endpoint,
            format_args!(
                "writing conversation row {} to table {}",
                key(),
                ctx.table()
            ),
        ),
    }
}
