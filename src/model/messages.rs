//! The two kinds of rows of the messages table, as types, and their DynamoDB items.
//!
//! - [`Message`]: `pk = MSG#<group>`, `sk = <created>`, the sender's uuid, display name and handle.
//!   It carries no `message_group_uuid`, so the group index holds conversation rows only.
//! - [`Conversation`]: `pk = GRP#<owner>`, `sk = <time of the last message>`, the group uuid, the last
//!   message, and the *other* participant's uuid, display name and handle.

use anyhow::{Context as _, Result};
use uuid::Uuid;

use crate::ddb::item::{get_s, s, Item};
use crate::model::keys::{
    Pk, Sk, MESSAGE, MESSAGE_GROUP_UUID, MESSAGE_UUID, PK, SK, USER_DISPLAY_NAME, USER_HANDLE,
    USER_UUID,
};
use crate::pg::User;

/// A participant as the messages table records one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The user's uuid.
    pub uuid: Uuid,
    /// Display name.
    pub display_name: String,
    /// Handle.
    pub handle: String,
}

impl From<&User> for Person {
    fn from(user: &User) -> Person {
        Person {
            uuid: user.uuid,
            display_name: user.display_name.clone(),
            handle: user.handle.clone(),
        }
    }
}

impl Person {
    fn write(&self, item: &mut Item) {
        item.insert(USER_UUID.into(), s(self.uuid.to_string()));
        item.insert(USER_DISPLAY_NAME.into(), s(&self.display_name));
        item.insert(USER_HANDLE.into(), s(&self.handle));
    }

    fn write_owned(self, item: &mut Item) {
        item.insert(USER_UUID.into(), s(self.uuid.to_string()));
        item.insert(USER_DISPLAY_NAME.into(), s(self.display_name));
        item.insert(USER_HANDLE.into(), s(self.handle));
    }

    fn read(item: &Item) -> Result<Person> {
        Ok(Person {
            uuid: parse_uuid(get_s(item, USER_UUID)?).context(USER_UUID)?,
            display_name: get_s(item, USER_DISPLAY_NAME)?.to_string(),
            handle: get_s(item, USER_HANDLE)?.to_string(),
        })
    }
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).with_context(|| format!("{s:?} is not a uuid"))
}

/// One message of a group (`MSG#` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message group.
    pub group: Uuid,
    /// The message's own uuid.
    pub uuid: Uuid,
    /// When it was written (the sort key).
    pub created: Sk,
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub sender: Person,
}

impl Message {
    /// The DynamoDB item.
    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert(PK.into(), s(Pk::Message(self.group).to_string()));
        item.insert(SK.into(), s(self.created.to_string()));
        item.insert(MESSAGE_UUID.into(), s(self.uuid.to_string()));
        item.insert(MESSAGE.into(), s(&self.text));
        self.sender.write(&mut item);
        item
    }

    /// The DynamoDB item, moving the text into it instead of copying it (for bulk writes).
    pub fn into_item(self) -> Item {
        let mut item = Item::with_capacity(7);
        item.insert(PK.into(), s(Pk::Message(self.group).to_string()));
        item.insert(SK.into(), s(self.created.to_string()));
        item.insert(MESSAGE_UUID.into(), s(self.uuid.to_string()));
        item.insert(MESSAGE.into(), s(self.text));
        self.sender.write_owned(&mut item);
        item
    }

    /// Reads a `MSG#` item.
    pub fn from_item(item: &Item) -> Result<Message> {
        let pk = get_s(item, PK)?;
        let Pk::Message(group) = pk.parse()? else {
            anyhow::bail!("{pk:?} is not a message key (MSG#<group uuid>)");
        };
        Ok(Message {
            group,
            uuid: parse_uuid(get_s(item, MESSAGE_UUID)?).context(MESSAGE_UUID)?,
            created: Sk::parse(get_s(item, SK)?)?,
            text: get_s(item, MESSAGE)?.to_string(),
            sender: Person::read(item)?,
        })
    }
}

/// One participant's row for a conversation (`GRP#` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Whose conversation list this row belongs to.
    pub owner: Uuid,
    /// The message group.
    pub group: Uuid,
    /// Time of the last message (the sort key).
    pub last_at: Sk,
    /// The last message.
    pub last_message: String,
    /// The other participant.
    pub other: Person,
}

impl Conversation {
    /// The DynamoDB item.
    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert(PK.into(), s(Pk::Group(self.owner).to_string()));
        item.insert(SK.into(), s(self.last_at.to_string()));
        item.insert(MESSAGE_GROUP_UUID.into(), s(self.group.to_string()));
        item.insert(MESSAGE.into(), s(&self.last_message));
        self.other.write(&mut item);
        item
    }

    /// Reads a `GRP#` item.
    pub fn from_item(item: &Item) -> Result<Conversation> {
        let pk = get_s(item, PK)?;
        let Pk::Group(owner) = pk.parse()? else {
            anyhow::bail!("{pk:?} is not a conversation key (GRP#<user uuid>)");
        };
        Ok(Conversation {
            owner,
            group: parse_uuid(get_s(item, MESSAGE_GROUP_UUID)?).context(MESSAGE_GROUP_UUID)?,
            last_at: Sk::parse(get_s(item, SK)?)?,
            last_message: get_s(item, MESSAGE)?.to_string(),
            other: Person::read(item)?,
        })
    }

    /// The two rows of a conversation between `a` and `b`, each naming the other participant.
    pub fn pair(group: Uuid, a: &Person, b: &Person, last: &Message) -> [Conversation; 2] {
        let row = |owner: &Person, other: &Person| Conversation {
            owner: owner.uuid,
            group,
            last_at: last.created,
            last_message: last.text.clone(),
            other: other.clone(),
        };
        [row(a, b), row(b, a)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(handle: &str) -> Person {
        Person {
            uuid: Uuid::new_v4(),
            display_name: format!("{handle} name"),
            handle: handle.into(),
        }
    }

    #[test]
    fn items_round_trip() {
        let (a, b) = (person("a"), person("b"));
        let msg = Message {
            group: Uuid::new_v4(),
            uuid: Uuid::new_v4(),
            created: Sk::parse("2026-11-22T10:00:00.000000+00:00").unwrap(),
            text: "héllo 👋".into(),
            sender: a.clone(),
        };
        let item = msg.to_item();
        assert_eq!(msg.clone().into_item(), item);
        assert!(!item.contains_key(MESSAGE_GROUP_UUID));
        assert_eq!(Message::from_item(&item).unwrap(), msg);
        assert!(Conversation::from_item(&item).is_err());

        let [ra, rb] = Conversation::pair(msg.group, &a, &b, &msg);
        assert_eq!(ra.owner, a.uuid);
        assert_eq!(ra.other, b);
        assert_eq!(rb.other, a);
        assert_eq!(Conversation::from_item(&ra.to_item()).unwrap(), ra);
        assert_eq!(get_s(&rb.to_item(), PK).unwrap(), format!("GRP#{}", b.uuid));
    }
}
