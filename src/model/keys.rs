//! The messages table's keys and attribute names, built and parsed in one place.
//!
//! - `pk = GRP#<user uuid>`, `sk = <time of the last message>`: a conversation row per participant.
//! - `pk = MSG#<message group uuid>`, `sk = <created time>`: a message.
//!
//! Times are ISO-8601 with microseconds and a UTC offset (`2026-11-22T10:00:00.000000+00:00`), so
//! that they sort as strings in time order.

use std::fmt;
use std::str::FromStr;

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use uuid::Uuid;

use crate::ddb::item::{s, Item};

/// The partition key attribute of the messages table (`GRP#...`, `MSG#...`, `LOCK#...`).
pub const PK: &str = "pk";
/// The sort key attribute of the messages table.
pub const SK: &str = "sk";

/// The key attributes of the messages table's item at (`pk`, `sk`): what a get or a delete names.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    [(PK.to_string(), s(pk)), (SK.to_string(), s(sk))].into()
}

/// The message group of a row (the GSI's hash key).
pub const MESSAGE_GROUP_UUID: &str = "message_group_uuid";
/// A message's own uuid.
pub const MESSAGE_UUID: &str = "message_uuid";
/// The message text (for a conversation row: the last message).
pub const MESSAGE: &str = "message";
/// A user's uuid (sender of a message; the other participant of a conversation row).
pub const USER_UUID: &str = "user_uuid";
/// A user's display name.
pub const USER_DISPLAY_NAME: &str = "user_display_name";
/// A user's handle.
pub const USER_HANDLE: &str = "user_handle";
/// The GSI that finds every row of a message group.
pub const GROUP_INDEX: &str = "message-group-sk-index";
/// The default message group of the seeded conversation.
pub const DEFAULT_GROUP: &str = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399";

/// A partition key of the messages table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pk {
    /// `GRP#<user uuid>`: the conversations of one user.
    Group(Uuid),
    /// `MSG#<message group uuid>`: the messages of one group.
    Message(Uuid),
}

impl Pk {
    const GROUP: &'static str = "GRP#";
    const MESSAGE: &'static str = "MSG#";
}

impl fmt::Display for Pk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pk::Group(user) => write!(f, "{}{user}", Pk::GROUP),
            Pk::Message(group) => write!(f, "{}{group}", Pk::MESSAGE),
        }
    }
}

impl FromStr for Pk {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Pk> {
        let (make, rest): (fn(Uuid) -> Pk, &str) = if let Some(rest) = s.strip_prefix(Pk::GROUP) {
            (Pk::Group, rest)
        } else if let Some(rest) = s.strip_prefix(Pk::MESSAGE) {
            (Pk::Message, rest)
        } else {
            bail!("partition key {s:?} is neither GRP#<uuid> nor MSG#<uuid>");
        };
        let id = Uuid::parse_str(rest).with_context(|| format!("partition key {s:?}"))?;
        Ok(make(id))
    }
}

/// A time as the table writes it, for messages.
const EXAMPLE_TIME: &str = "2026-11-22T10:00:00.000000+00:00";

/// A sort key: a point in time, written so that string order is time order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sk(pub DateTime<Utc>);

impl Sk {
    /// The sort key for now.
    pub fn now() -> Sk {
        Sk(Utc::now())
    }

    /// Parses any RFC 3339 / ISO-8601 time with an offset.
    pub fn parse(s: &str) -> Result<Sk> {
        DateTime::<FixedOffset>::parse_from_rfc3339(s)
            .map(|t| Sk(t.with_timezone(&Utc)))
            .with_context(|| {
                format!("{s:?} is not an ISO-8601 time with an offset (such as {EXAMPLE_TIME})")
            })
    }
}

impl fmt::Display for Sk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `+00:00` rather than `Z`, microseconds always: the format the app writes.
        let s = self.0.to_rfc3339_opts(SecondsFormat::Micros, false);
        f.write_str(&s)
    }
}

impl serde::Serialize for Sk {
    /// As its string, the way it is written to the table.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for Sk {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Sk> {
        Sk::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn partition_keys_round_trip() {
        let id = Uuid::parse_str(DEFAULT_GROUP).unwrap();
        assert_eq!(Pk::Message(id).to_string(), format!("MSG#{DEFAULT_GROUP}"));
        assert_eq!(Pk::Group(id).to_string(), format!("GRP#{DEFAULT_GROUP}"));
        for pk in [Pk::Message(id), Pk::Group(id)] {
            assert_eq!(pk.to_string().parse::<Pk>().unwrap(), pk);
        }
        assert!("XYZ#1".parse::<Pk>().is_err());
        assert!("MSG#not-a-uuid".parse::<Pk>().is_err());
    }

    #[test]
    fn sort_keys_have_micros_and_an_offset() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        assert_eq!(Sk(t).to_string(), "2026-11-22T10:00:00.000000+00:00");
        assert_eq!(Sk::parse("2026-11-22T12:00:00+02:00").unwrap(), Sk(t));
        assert_eq!(Sk::parse(&Sk(t).to_string()).unwrap(), Sk(t));
        let err = Sk::parse("2026-11-22 10:00").unwrap_err();
        assert!(err.to_string().contains(EXAMPLE_TIME), "{err:#}");
        assert!(
            err.chain().any(|cause| cause.is::<chrono::ParseError>()),
            "chrono's error is the cause: {err:#}"
        );
        let later = Sk(t + chrono::Duration::microseconds(1));
        assert!(Sk(t).to_string() < later.to_string());
    }
}
