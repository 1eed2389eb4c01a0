//! Reading conversations: the messages of a group (newest N, or every page) and a user's
//! conversation list, plus the table rows the binaries show for them.

use anyhow::{Context as _, Result};
use chrono::Utc;
use uuid::Uuid;

use crate::context::Context;
use crate::ddb::item::{opt_s, s, to_plain_json, Item};
use crate::ddb::query::{self, query_all, query_pages};
use crate::model::keys::{
    Pk, Sk, GROUP_INDEX, MESSAGE, MESSAGE_GROUP_UUID, SK, USER_DISPLAY_NAME, USER_HANDLE,
};
use crate::pg;
use crate::report::Row;

/// The newest `limit` messages of `group`, oldest first (the order a chat shows them).
pub async fn newest_messages(ctx: &Context, group: Uuid, limit: usize) -> Result<Vec<Item>> {
    let pk = Pk::Message(group).to_string();
    let mut items: Vec<Item> = Vec::with_capacity(limit.min(1_000));
    if limit == 0 {
        return Ok(items);
    }
    let request = query::partition(ctx, Pk::Message(group))
        .scan_index_forward(false)
        .limit(limit.min(i32::MAX as usize) as i32);
    let what = format!("reading the messages of {pk} in table {}", ctx.table());
    // A page stops at 1 MB, so it may hold fewer than `limit`: keep going until enough.
    query_pages(ctx, request, what, |page| {
        items.extend(page);
        Ok(items.len() < limit)
    })
    .await?;
    items.truncate(limit);
    items.reverse();
    Ok(items)
}

/// Every message of `group`, oldest first, handed to `on_page` a page at a time; returns how many.
pub async fn message_pages(
    ctx: &Context,
    group: Uuid,
    mut on_page: impl FnMut(Vec<Item>) -> Result<()>,
) -> Result<u64> {
    let pk = Pk::Message(group).to_string();
    let request = query::partition(ctx, Pk::Message(group));
    let what = format!("reading the messages of {pk} in table {}", ctx.table());
    let mut count = 0u64;
    query_pages(ctx, request, what, |items| {
        count += items.len() as u64;
        on_page(items)?;
        Ok(true)
    })
    .await?;
    Ok(count)
}

/// The conversation rows of `user`, newest first (all pages).
pub async fn conversations_of(ctx: &Context, user: Uuid) -> Result<Vec<Item>> {
    let pk = Pk::Group(user).to_string();
    let request = query::partition(ctx, Pk::Group(user)).scan_index_forward(false);
    let what = format!("reading the conversations of {pk} in table {}", ctx.table());
    query_all(ctx, request, what).await
}

/// Every row of `group` in the group index (`message-group-sk-index`): its conversation rows.
pub async fn group_rows(ctx: &Context, group: Uuid) -> Result<Vec<Item>> {
    let request = ctx
        .dynamodb()
        .query()
        .table_name(ctx.table())
        .index_name(GROUP_INDEX)
        .key_condition_expression("#g = :g")
        .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
        .expression_attribute_values(":g", s(group.to_string()));
    let what = format!(
        "reading group {group} from index {GROUP_INDEX} of table {}",
        ctx.table()
    );
    query_all(ctx, request, what).await
}

/// The uuid of the user with `handle`, from PostgreSQL.
pub async fn user_uuid(ctx: &Context, handle: &str) -> Result<Uuid> {
    let client = pg::connect(&ctx.config).await?;
    let users = pg::users_by_handle(&client, &[handle]).await?;
    users
        .first()
        .map(|u| u.uuid)
        .with_context(|| format!("no user with handle {handle:?}"))
}

/// Items as plain JSON values (what `scan` prints without `--raw`).
pub fn plain_json(items: &[Item]) -> Vec<serde_json::Value> {
    items.iter().map(to_plain_json).collect()
}

/// A sort key as `YYYY-MM-DD hh:mm AM` (UTC); anything that is not a time is shown as it is.
pub fn display_time(sk: &str) -> String {
    match Sk::parse(sk) {
        Ok(Sk(t)) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %I:%M %p")
            .to_string(),
        Err(_) => sk.to_string(),
    }
}

/// Header of the messages table.
pub const MESSAGE_HEADER: [&str; 3] = ["Sender", "Time (UTC)", "Message"];

/// A message as a table row: sender handle, time, the whole message (the table cuts it to fit).
pub fn message_row(item: &Item) -> Vec<String> {
    vec![
        opt_s(item, USER_HANDLE).unwrap_or_default().to_string(),
        display_time(opt_s(item, SK).unwrap_or_default()),
        opt_s(item, MESSAGE).unwrap_or_default().to_string(),
    ]
}

/// Header of the conversations table.
pub const CONVERSATION_HEADER: [&str; 5] = [
    // The row's user_* attributes are the other participant's (JSON: user_handle, ...).
    "With (user_handle)",
    "Display name",
    "Last message",
    "Time (UTC)",
    "Message group",
];

/// A conversation row as a table row: the other person, the last message and its time, the group.
pub fn conversation_row(item: &Item) -> Vec<String> {
    vec![
        opt_s(item, USER_HANDLE).unwrap_or_default().to_string(),
        opt_s(item, USER_DISPLAY_NAME)
            .unwrap_or_default()
            .to_string(),
        opt_s(item, MESSAGE).unwrap_or_default().to_string(),
        display_time(opt_s(item, SK).unwrap_or_default()),
        opt_s(item, MESSAGE_GROUP_UUID)
            .unwrap_or_default()
            .to_string(),
    ]
}

/// A message item as a row of `get-conversations`: in JSON every attribute as a plain value; in
/// a table [`MESSAGE_HEADER`].
#[derive(Debug, Clone)]
pub struct MessageRow(pub Item);

/// A conversation row of `list-conversations`: in JSON every attribute as a plain value; in a
/// table [`CONVERSATION_HEADER`].
#[derive(Debug, Clone)]
pub struct ConversationRow(pub Item);

impl serde::Serialize for MessageRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        to_plain_json(&self.0).serialize(s)
    }
}

impl serde::Serialize for ConversationRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        to_plain_json(&self.0).serialize(s)
    }
}

impl Row for MessageRow {
    const COLUMNS: &'static [&'static str] = &MESSAGE_HEADER;
    const CUT: &'static [&'static str] = &["Message"];

    fn cells(&self) -> Vec<String> {
        message_row(&self.0)
    }
}

impl Row for ConversationRow {
    const COLUMNS: &'static [&'static str] = &CONVERSATION_HEADER;
    const CUT: &'static [&'static str] = &["Last message", "Display name"];
    const HIDE: &'static [&'static str] = &["Display name", "Time (UTC)"];

    fn cells(&self) -> Vec<String> {
        conversation_row(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::PK;

    #[test]
    fn times_show_as_twelve_hour_clock() {
        assert_eq!(
            display_time("2026-11-22T10:05:00.000000+00:00"),
            "2026-11-22 10:05 AM"
        );
        assert_eq!(
            display_time("2026-11-22T23:59:59.999999+00:00"),
            "2026-11-22 11:59 PM"
        );
        assert_eq!(
            display_time("2026-11-23T01:00:00+02:00"),
            "2026-11-22 11:00 PM"
        );
        assert_eq!(display_time("not a time"), "not a time");
    }

    #[test]
    fn rows_keep_the_whole_message() {
        let item: Item = [
            (PK.to_string(), s("MSG#x")),
            (SK.to_string(), s("2026-11-22T13:00:00.000000+00:00")),
            (USER_HANDLE.to_string(), s("bayko")),
            (USER_DISPLAY_NAME.to_string(), s("Andrew Bayko")),
            (MESSAGE.to_string(), s("é".repeat(50))),
            (MESSAGE_GROUP_UUID.to_string(), s("g")),
        ]
        .into();
        let row = message_row(&item);
        assert_eq!(row[0], "bayko");
        assert_eq!(row[1], "2026-11-22 01:00 PM");
        assert_eq!(row[2], "é".repeat(50));
        let row = conversation_row(&item);
        assert_eq!(row.len(), CONVERSATION_HEADER.len());
        assert_eq!(row[1], "Andrew Bayko");
        assert_eq!(row[4], "g");
    }
}
