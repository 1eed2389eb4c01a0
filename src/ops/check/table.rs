//! The messages table's checks: the [`Checker`], fed one item at a time.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::ddb::item::{get_s, opt_s, Item};
use crate::model::keys::{Pk, Sk, MESSAGE, PK, SK, USER_DISPLAY_NAME, USER_HANDLE, USER_UUID};
use crate::model::messages::Conversation;
use crate::pg::Account;
use crate::text::truncate;

use super::{Checked, Kind, Problem, Store};

fn item_key(item: &Item) -> String {
    format!(
        "{} {}",
        opt_s(item, PK).unwrap_or("(no pk)"),
        opt_s(item, SK).unwrap_or("(no sk)")
    )
}

/// The newest message of a group seen so far.
#[derive(Debug)]
struct Newest {
    at: Sk,
    sk: String,
    message: String,
}

/// A conversation row, as much of it as the checks at the end need.
#[derive(Debug)]
struct ConversationRow {
    key: String,
    owner: Uuid,
    group: Uuid,
    other: Uuid,
    last_at: Sk,
    last_message: String,
}

/// The messages table's checks, fed one item at a time ([`Checker::item`]) and finished with
/// [`Checker::finish`]. Holds the users, the newest message per group and the conversation rows.
#[derive(Debug)]
pub struct Checker {
    users: HashMap<Uuid, (String, Option<String>)>,
    newest: HashMap<Uuid, Newest>,
    conversations: Vec<ConversationRow>,
    problems: Vec<Problem>,
    messages: u64,
    other_items: u64,
}

impl Checker {
    /// A checker knowing the PostgreSQL users.
    pub fn new(accounts: &[Account]) -> Checker {
        Checker {
            users: accounts
                .iter()
                .map(|a| (a.uuid, (a.handle.clone(), a.display_name.clone())))
                .collect(),
            newest: HashMap::new(),
            conversations: Vec::new(),
            problems: Vec::new(),
            messages: 0,
            other_items: 0,
        }
    }

    fn problem(&mut self, kind: Kind, key: String, detail: String) {
        self.problems.push(Problem {
            kind,
            store: Store::Dynamodb,
            key,
            detail,
        });
    }

    /// Checks the item's user attributes against PostgreSQL.
    fn check_person(&mut self, item: &Item, role: &str) {
        let (Some(uuid), Some(handle), Some(name)) = (
            opt_s(item, USER_UUID),
            opt_s(item, USER_HANDLE),
            opt_s(item, USER_DISPLAY_NAME),
        ) else {
            let detail =
                format!("the {role} lacks {USER_UUID}, {USER_HANDLE} or {USER_DISPLAY_NAME}");
            self.problem(Kind::MalformedItem, item_key(item), detail);
            return;
        };
        let Some(parsed) = Uuid::parse_str(uuid).ok() else {
            let detail = format!("{USER_UUID} {uuid:?} is not a uuid");
            self.problem(Kind::MalformedItem, item_key(item), detail);
            return;
        };
        match self.users.get(&parsed) {
            None => {
                let detail =
                    format!("{USER_UUID} {uuid} ({role} {handle:?}) is not a PostgreSQL user");
                self.problem(Kind::UnknownUser, item_key(item), detail);
            }
            Some((pg_handle, pg_name)) => {
                let mut diffs = Vec::new();
                if handle != pg_handle {
                    diffs.push(format!(
                        "{USER_HANDLE} {handle:?} (PostgreSQL: {pg_handle:?})"
                    ));
                }
                if pg_name.as_deref() != Some(name) {
                    let pg_name = match pg_name {
                        Some(pg_name) => format!("{pg_name:?}"),
                        None => "NULL".to_string(),
                    };
                    diffs.push(format!(
                        "{USER_DISPLAY_NAME} {name:?} (PostgreSQL: {pg_name})"
                    ));
                }
                if !diffs.is_empty() {
                    let detail = format!("{role} {uuid}: {}", diffs.join(", "));
                    self.problem(Kind::UserMismatch, item_key(item), detail);
                }
            }
        }
    }

    /// Checks one item of the messages table.
    pub fn item(&mut self, item: &Item) {
        let pk = match get_s(item, PK).and_then(|pk| pk.parse::<Pk>()) {
            Ok(pk) => pk,
            Err(err) => {
                self.other_items += 1;
                self.problem(Kind::MalformedItem, item_key(item), format!("{err:#}"));
                return;
            }
        };
        match pk {
            Pk::Message(group) => {
                self.messages += 1;
                let (Some(sk), Some(text)) = (opt_s(item, SK), opt_s(item, MESSAGE)) else {
                    let detail = format!("a message without a string {SK} or {MESSAGE}");
                    self.problem(Kind::MalformedItem, item_key(item), detail);
                    return;
                };
                let at = match Sk::parse(sk) {
                    Ok(at) => at,
                    Err(err) => {
                        self.problem(Kind::MalformedItem, item_key(item), format!("{err:#}"));
                        return;
                    }
                };
                self.check_person(item, "sender");
                match self.newest.get_mut(&group) {
                    Some(newest) if newest.at >= at => {}
                    Some(newest) => {
                        *newest = Newest {
                            at,
                            sk: sk.to_string(),
                            message: text.to_string(),
                        }
                    }
                    None => {
                        self.newest.insert(
                            group,
                            Newest {
                                at,
                                sk: sk.to_string(),
                                message: text.to_string(),
                            },
                        );
                    }
                }
            }
            Pk::Group(owner) => {
                let row = match Conversation::from_item(item) {
                    Ok(row) => row,
                    Err(err) => {
                        self.problem(Kind::MalformedItem, item_key(item), format!("{err:#}"));
                        return;
                    }
                };
                self.check_person(item, "other participant");
                if !self.users.contains_key(&owner) {
                    let detail = format!("the row's owner {owner} is not a PostgreSQL user");
                    self.problem(Kind::UnknownUser, item_key(item), detail);
                }
                self.conversations.push(ConversationRow {
                    key: item_key(item),
                    owner,
                    group: row.group,
                    other: row.other.uuid,
                    last_at: row.last_at,
                    last_message: row.last_message,
                });
            }
        }
    }

    /// The conversation rows' checks (they need every message seen) and the problems found.
    pub fn finish(mut self) -> (Vec<Problem>, Checked) {
        let pairs: HashSet<(Uuid, Uuid)> = self
            .conversations
            .iter()
            .map(|c| (c.owner, c.group))
            .collect();
        let conversations = std::mem::take(&mut self.conversations);
        for row in &conversations {
            match self.newest.get(&row.group) {
                None => self.problem(
                    Kind::EmptyGroup,
                    row.key.clone(),
                    format!("group {} has no messages", row.group),
                ),
                Some(newest) if newest.at != row.last_at || newest.message != row.last_message => {
                    let detail = format!(
                        "the row's last message is {:?} at {}, the group's newest is {:?} at {}",
                        truncate(&row.last_message, 40),
                        row.last_at,
                        truncate(&newest.message, 40),
                        newest.sk
                    );
                    self.problem(Kind::StaleConversation, row.key.clone(), detail);
                }
                Some(_) => {}
            }
            if !pairs.contains(&(row.other, row.group)) {
                let detail = format!(
                    "no row {} for group {} (the other participant's)",
                    Pk::Group(row.other),
                    row.group
                );
                self.problem(Kind::MissingPartner, row.key.clone(), detail);
            }
        }
        let checked = Checked {
            users: self.users.len(),
            pool_users: 0,
            pool_groups: 0,
            pool_memberships: 0,
            messages: self.messages,
            groups: self.newest.len(),
            conversations: conversations.len(),
            other_items: self.other_items,
        };
        (self.problems, checked)
    }
}
