//! The app's two write patterns for messages, and `send-message`:
//!
//! - a new message in an existing group: one `MSG#` item;
//! - a new group with its first message: two `GRP#` rows and one `MSG#` item, written atomically
//!   with TransactWriteItems.
//!
//! Only these items are written here: moving the conversation rows to the latest message is the
//! stream processor's job ([`crate::ops::stream`]).

use anyhow::{bail, Context as _, Result};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::Serialize;
use uuid::Uuid;

use crate::context::{Context, SdkResultExt};
use crate::ddb::item::Item;
use crate::model::keys::{Pk, Sk, PK};
use crate::model::messages::{Conversation, Message, Person};
use crate::ops::conversations::group_rows;
use crate::ops::ui::Ui;
use crate::pg;
use crate::report::Format;

/// The longest message the app accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// Checks a message's text the way the app does: not empty (nor only whitespace), at most
/// [`MAX_MESSAGE_CHARS`] characters (characters, not bytes).
pub fn validate_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        bail!("the message is empty: write some text");
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        bail!("the message is {chars} characters long: at most {MAX_MESSAGE_CHARS} are allowed");
    }
    Ok(())
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An existing message group the sender takes part in.
    Group(Uuid),
    /// A new group with the user of this handle.
    NewGroupWith(String),
}

/// What [`send`] wrote (in a dry run, would write). In JSON: `{"message_uuid",
/// "message_group_uuid", "created_at", "from", "to", "new_group"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "SentReport")]
pub struct Sent {
    /// The message as written.
    pub message: Message,
    /// The other participant of the group.
    pub recipient: Person,
    /// Whether a new group was created for it.
    pub new_group: bool,
}

/// [`Sent`] as it is reported: the message's ids, time and both handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReport {
    /// The message's uuid.
    pub message_uuid: Uuid,
    /// The message group's uuid.
    pub message_group_uuid: Uuid,
    /// The message's time (its sort key).
    pub created_at: Sk,
    /// The sender's handle.
    pub from: String,
    /// The recipient's handle.
    pub to: String,
    /// Whether a new group was created for it.
    pub new_group: bool,
}

impl From<Sent> for SentReport {
    fn from(sent: Sent) -> SentReport {
        SentReport {
            message_uuid: sent.message.uuid,
            message_group_uuid: sent.message.group,
            created_at: sent.message.created,
            from: sent.message.sender.handle,
            to: sent.recipient.handle,
            new_group: sent.new_group,
        }
    }
}

/// [`send`] over a connection of its own: hands the report to `ui` in `format` and, in a dry
/// run, says what would be written.
pub async fn run(
    ctx: &Context,
    (from, to): (&str, &Destination),
    text: &str,
    (dry_run, format): (bool, Format),
    ui: &mut impl Ui,
) -> Result<()> {
    let pg = pg::connect(&ctx.config).await?;
    let sent = send(ctx, &pg, from, to, text, dry_run).await?;
    ui.emit(&sent, format)?;
    if dry_run {
        let (m, table) = (&sent.message, ctx.table());
        ui.note(&format!(
            "would write message {} of group {} at {} to table {}{}",
            m.uuid,
            m.group,
            m.created,
            table,
            if sent.new_group {
                format!(
                    ", and the two conversation rows of the new group (GRP#{} and GRP#{})",
                    m.sender.uuid, sent.recipient.uuid
                )
            } else {
                String::new()
            }
        ));
        ui.dry_run_note(true);
    }
    Ok(())
}

/// Posts `text` as the user `from` (a handle in PostgreSQL) to `to`; with `dry_run`, writes
/// nothing and returns what it would write (the report of `send-message --dry-run`), the
/// message's uuid and time chosen as a real send would choose them.
///
/// Everything is checked (text, the table's keys, users, group membership) before the first
/// write, and the same in a dry run.
pub async fn send(
    ctx: &Context,
    pg: &crate::pg::Client,
    from: &str,
    to: &Destination,
    text: &str,
    dry_run: bool,
) -> Result<Sent> {
    validate_text(text)?;
    crate::ddb::shape::require_message_keys(ctx, ctx.table()).await?;
    match to {
        Destination::Group(group) => {
            let users = pg::users_by_handle(pg, &[from]).await?;
            let sender = Person::from(&users[0]);
            let rows = group_rows(ctx, *group).await?;
            if rows.is_empty() {
                bail!(
                    "message group {group} has no conversation rows in table {}: \
                     start a conversation with --to HANDLE",
                    ctx.table()
                );
            }
            let own_pk = Pk::Group(sender.uuid).to_string();
            let own = rows
                .iter()
                .map(Conversation::from_item)
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("reading the conversation rows of group {group}"))?
                .into_iter()
                .find(|row| row.owner == sender.uuid);
            let Some(own) = own else {
                bail!(
                    "{from} is not a participant of message group {group} (no {own_pk} row for it)"
                );
            };
            let message = new_message(*group, text, &sender);
            if !dry_run {
                put_message(ctx, &message).await?;
            }
            Ok(Sent {
                message,
                recipient: own.other,
                new_group: false,
            })
        }
        Destination::NewGroupWith(handle) => {
            if handle == from {
                bail!("--to names the sender ({from}): a conversation needs another user");
            }
            let users = pg::users_by_handle(pg, &[from, handle]).await?;
            let (sender, recipient) = (Person::from(&users[0]), Person::from(&users[1]));
            let message = new_message(Uuid::new_v4(), text, &sender);
            if !dry_run {
                create_group(ctx, &message, &sender, &recipient).await?;
            }
            Ok(Sent {
                message,
                recipient,
                new_group: true,
            })
        }
    }
}

fn new_message(group: Uuid, text: &str, sender: &Person) -> Message {
    Message {
        group,
        uuid: Uuid::new_v4(),
        created: Sk::now(),
        text: text.to_string(),
        sender: sender.clone(),
    }
}

/// Writes one message into an existing group: a `MSG#` item, refused if its key already exists.
pub async fn put_message(ctx: &Context, message: &Message) -> Result<()> {
    ctx.dynamodb()
        .put_item()
        .table_name(ctx.table())
        .set_item(Some(message.to_item()))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .send()
        .await
        .on(
            &ctx.dynamodb_endpoint,
            format_args!(
                "writing message {} into group {} of table {}",
                message.uuid,
                message.group,
                ctx.table()
            ),
        )?;
    Ok(())
}

/// Creates the group of `message` between `sender` and `recipient`: both conversation rows and the
/// first message, in one transaction (all three or none).
pub async fn create_group(
    ctx: &Context,
    message: &Message,
    sender: &Person,
    recipient: &Person,
) -> Result<()> {
    let [a, b] = Conversation::pair(message.group, sender, recipient, message);
    let put = |item: Item| -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(ctx.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .context("building a transaction item")?;
        Ok(TransactWriteItem::builder().put(put).build())
    };
    ctx.dynamodb()
        .transact_write_items()
        .transact_items(put(a.to_item())?)
        .transact_items(put(b.to_item())?)
        .transact_items(put(message.to_item())?)
        .send()
        .await
        .on(
            &ctx.dynamodb_endpoint,
            format_args!(
                "creating message group {} ({} and {}) in table {}",
                message.group,
                sender.handle,
                recipient.handle,
                ctx.table()
            ),
        )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_in_characters() {
        assert!(validate_text("").is_err());
        assert!(validate_text("  \n").is_err());
        assert!(validate_text("hi").is_ok());
        assert!(validate_text(&"x".repeat(1024)).is_ok());
        let err = validate_text(&"x".repeat(1025)).unwrap_err().to_string();
        assert!(err.contains("1025") && err.contains("1024"), "{err}");
        // 1,024 two-byte characters are 2,048 bytes but still allowed.
        assert!(validate_text(&"é".repeat(1024)).is_ok());
        assert!(validate_text(&"é".repeat(1025)).is_err());
    }
}
