//! `check`: are PostgreSQL, the Cognito user pool and the messages table consistent? Read-only.
//!
//! The users and the pool are read whole (they are small); the messages table is streamed a page
//! at a time ([`scan_pages`](crate::ddb::scan::scan_pages)) through a [`Checker`], which keeps only
//! the newest message of each group and the conversation rows (few), so memory does not grow
//! with the number of messages. Every problem found is a [`Problem`] row: its kind, the store it
//! is in, the key of the item or user, and what is wrong.

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use uuid::Uuid;

use crate::cognito::{self, CognitoUser};
use crate::context::Context;
use crate::ddb::item::{get_s, opt_s, Item};
use crate::ddb::scan::{self, ScanOptions};
use crate::model::keys::{Pk, Sk, MESSAGE, PK, SK, USER_DISPLAY_NAME, USER_HANDLE, USER_UUID};
use crate::model::messages::Conversation;
use crate::pg::{self, Account};
use crate::report::Row;
use crate::text::truncate;

/// The `cognito_user_id` a user has until `update-cognito-user-ids` ran.
pub const MOCK: &str = "MOCK";

/// What kind of inconsistency a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An item's `user_uuid` (or a conversation row's owner) is not a PostgreSQL user.
    UnknownUser,
    /// An item's `user_handle` or `user_display_name` differs from the PostgreSQL user's.
    UserMismatch,
    /// An item that is neither a readable message nor a readable conversation row.
    MalformedItem,
    /// A conversation row whose group has no messages.
    EmptyGroup,
    /// A conversation row whose last message or time is not its group's newest message.
    StaleConversation,
    /// A conversation row without the other participant's row for the same group.
    MissingPartner,
    /// A PostgreSQL user whose `cognito_user_id` is still `MOCK`.
    MockCognitoId,
    /// A PostgreSQL user whose `cognito_user_id` is empty.
    EmptyCognitoId,
    /// A PostgreSQL user no pool user carries as `preferred_username`.
    NoPoolUser,
    /// A PostgreSQL user whose `cognito_user_id` is not the `sub` of the pool user with its handle.
    WrongCognitoId,
    /// A pool user with no PostgreSQL user (its `preferred_username` matches no handle).
    PoolUserWithoutDbUser,
}

impl Kind {
    /// The kind as `check` prints it (`unknown-user`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownUser => "unknown-user",
            Kind::UserMismatch => "user-mismatch",
            Kind::MalformedItem => "malformed-item",
            Kind::EmptyGroup => "empty-group",
            Kind::StaleConversation => "stale-conversation",
            Kind::MissingPartner => "missing-partner",
            Kind::MockCognitoId => "mock-cognito-id",
            Kind::EmptyCognitoId => "empty-cognito-id",
            Kind::NoPoolUser => "no-pool-user",
            Kind::WrongCognitoId => "wrong-cognito-id",
            Kind::PoolUserWithoutDbUser => "pool-user-without-db-user",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    /// The messages table.
    Dynamodb,
    /// The `users` table.
    Postgres,
    /// The Cognito user pool.
    Cognito,
}

impl Store {
    fn as_str(self) -> &'static str {
        match self {
            Store::Dynamodb => "dynamodb",
            Store::Postgres => "postgres",
            Store::Cognito => "cognito",
        }
    }
}

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong, as a kind.
    pub kind: Kind,
    /// The store holding the offending item or user.
    pub store: Store,
    /// The item's key (`pk sk`), the user's handle, or the pool user's user name.
    pub key: String,
    /// What is wrong, in words.
    pub detail: String,
}

impl Row for Problem {
    const COLUMNS: &'static [&'static str] = &["Kind", "Store", "Key", "Detail"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.kind.to_string(),
            self.store.as_str().to_string(),
            self.key.clone(),
            self.detail.clone(),
        ]
    }
}

/// How much was checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// PostgreSQL users.
    pub users: usize,
    /// Pool users.
    pub pool_users: usize,
    /// `MSG#` items.
    pub messages: u64,
    /// Message groups with at least one message.
    pub groups: usize,
    /// `GRP#` items.
    pub conversations: usize,
    /// Items of neither kind.
    pub other_items: u64,
}

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every problem, sorted by store, kind and key.
    pub problems: Vec<Problem>,
    /// What was read.
    pub checked: Checked,
}

fn item_key(item: &Item) -> String {
    format!(
        "{} {}",
        opt_s(item, PK).unwrap_or("(no pk)"),
        opt_s(item, SK).unwrap_or("(no sk)")
    )
}

/// The users' checks against the pool (pure): `MOCK` or empty ids, ids that are not the sub of
/// the pool user with the same handle, users without a pool user and pool users without a user.
pub fn check_users(accounts: &[Account], pool: &[CognitoUser]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut by_handle: HashMap<&str, Vec<&CognitoUser>> = HashMap::new();
    for user in pool {
        match &user.handle {
            Some(handle) => by_handle.entry(handle).or_default().push(user),
            None => problems.push(Problem {
                kind: Kind::PoolUserWithoutDbUser,
                store: Store::Cognito,
                key: user.username.clone(),
                detail: "the pool user has no preferred_username, so no PostgreSQL user matches it"
                    .into(),
            }),
        }
    }
    let handles: HashSet<&str> = accounts.iter().map(|a| a.handle.as_str()).collect();
    for account in accounts {
        let postgres = |kind, detail: String| Problem {
            kind,
            store: Store::Postgres,
            key: account.handle.clone(),
            detail,
        };
        let id = account.cognito_user_id.as_str();
        if id == MOCK {
            problems.push(postgres(
                Kind::MockCognitoId,
                format!("cognito_user_id is {MOCK}: run update-cognito-user-ids"),
            ));
        } else if id.trim().is_empty() {
            problems.push(postgres(
                Kind::EmptyCognitoId,
                "cognito_user_id is empty".into(),
            ));
        }
        match by_handle.get(account.handle.as_str()) {
            None => problems.push(postgres(
                Kind::NoPoolUser,
                format!("no pool user has preferred_username {:?}", account.handle),
            )),
            Some(users) => {
                let real_id = id != MOCK && !id.trim().is_empty();
                if real_id && !users.iter().any(|u| u.sub.as_deref() == Some(id)) {
                    let subs: Vec<String> = users
                        .iter()
                        .map(|u| {
                            format!(
                                "{} has sub {}",
                                u.username,
                                u.sub.as_deref().unwrap_or("(none)")
                            )
                        })
                        .collect();
                    problems.push(postgres(
                        Kind::WrongCognitoId,
                        format!(
                            "cognito_user_id {id} is not the sub of the pool user with \
                             preferred_username {:?} ({})",
                            account.handle,
                            subs.join("; ")
                        ),
                    ));
                }
            }
        }
    }
    for user in pool {
        if let Some(handle) = &user.handle {
            if !handles.contains(handle.as_str()) {
                problems.push(Problem {
                    kind: Kind::PoolUserWithoutDbUser,
                    store: Store::Cognito,
                    key: user.username.clone(),
                    detail: format!("no PostgreSQL user has handle {handle:?}"),
                });
            }
        }
    }
    problems
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
    users: HashMap<Uuid, (String, String)>,
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
                if name != pg_name {
                    diffs.push(format!(
                        "{USER_DISPLAY_NAME} {name:?} (PostgreSQL: {pg_name:?})"
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
            messages: self.messages,
            groups: self.newest.len(),
            conversations: conversations.len(),
            other_items: self.other_items,
        };
        (self.problems, checked)
    }
}

/// Checks the target's three stores: the users against the pool (`pool_id`), then every item of
/// the messages table (`segments` parallel scan segments) against the users.
pub async fn check(ctx: &Context, pool_id: &str, segments: u32) -> Result<CheckReport> {
    let (client, listing) =
        tokio::try_join!(pg::connect(&ctx.config), cognito::list_users(ctx, pool_id))?;
    let accounts = pg::all_accounts(&client).await?;
    drop(client);
    let mut problems = check_users(&accounts, &listing.users);
    let mut checker = Checker::new(&accounts);
    let options = ScanOptions {
        segments,
        ..ScanOptions::default()
    };
    scan::scan_pages(ctx, ctx.table(), options, |page| {
        page.iter().for_each(|item| checker.item(item));
        Ok(())
    })
    .await?;
    let (table_problems, mut checked) = checker.finish();
    checked.pool_users = listing.users.len();
    problems.extend(table_problems);
    problems.sort_by(|a, b| (a.store, a.kind, &a.key).cmp(&(b.store, b.kind, &b.key)));
    Ok(CheckReport { problems, checked })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::messages::{Message, Person};

    fn account(handle: &str, cognito: &str) -> Account {
        Account {
            uuid: Uuid::new_v4(),
            handle: handle.into(),
            display_name: format!("{handle} name"),
            email: format!("{handle}@example.com"),
            cognito_user_id: cognito.into(),
        }
    }

    fn pool_user(name: &str, handle: Option<&str>, sub: &str) -> CognitoUser {
        CognitoUser {
            username: name.into(),
            handle: handle.map(Into::into),
            sub: Some(sub.into()),
        }
    }

    fn kinds(problems: &[Problem]) -> Vec<(Kind, String)> {
        let mut k: Vec<_> = problems.iter().map(|p| (p.kind, p.key.clone())).collect();
        k.sort();
        k
    }

    #[test]
    fn users_against_the_pool() {
        let accounts = [
            account("ok", "sub-ok"),
            account("mock", MOCK),
            account("empty", ""),
            account("wrong", "sub-other"),
            account("alone", "sub-alone"),
        ];
        let pool = [
            pool_user("u-ok", Some("ok"), "sub-ok"),
            pool_user("u-mock", Some("mock"), "sub-mock"),
            pool_user("u-empty", Some("empty"), "sub-empty"),
            pool_user("u-wrong", Some("wrong"), "sub-wrong"),
            pool_user("u-ghost", Some("ghost"), "sub-ghost"),
            pool_user("u-nameless", None, "sub-n"),
        ];
        assert_eq!(
            kinds(&check_users(&accounts, &pool)),
            vec![
                (Kind::MockCognitoId, "mock".into()),
                (Kind::EmptyCognitoId, "empty".into()),
                (Kind::NoPoolUser, "alone".into()),
                (Kind::WrongCognitoId, "wrong".into()),
                (Kind::PoolUserWithoutDbUser, "u-ghost".into()),
                (Kind::PoolUserWithoutDbUser, "u-nameless".into()),
            ]
        );
        assert!(check_users(&accounts[..1], &pool[..1]).is_empty());
    }

    fn message(group: Uuid, sender: &Person, at: &str, text: &str) -> Item {
        Message {
            group,
            uuid: Uuid::new_v4(),
            created: Sk::parse(at).unwrap(),
            text: text.into(),
            sender: sender.clone(),
        }
        .to_item()
    }

    #[test]
    fn table_items_against_users_and_groups() {
        let accounts = [account("a", "s-a"), account("b", "s-b")];
        let a = Person {
            uuid: accounts[0].uuid,
            display_name: accounts[0].display_name.clone(),
            handle: "a".into(),
        };
        let b = Person {
            uuid: accounts[1].uuid,
            display_name: accounts[1].display_name.clone(),
            handle: "b".into(),
        };
        let group = Uuid::new_v4();
        let first = message(group, &a, "2026-01-01T00:00:00+00:00", "hi");
        let last = message(group, &b, "2026-01-01T00:01:00+00:00", "hello");
        let last_msg = Message::from_item(&last).unwrap();
        let [ra, rb] = Conversation::pair(group, &a, &b, &last_msg);

        // consistent, in any order
        let mut ok = Checker::new(&accounts);
        for item in [&ra.to_item(), &last, &first, &rb.to_item()] {
            ok.item(item);
        }
        let (problems, checked) = ok.finish();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (checked.messages, checked.groups, checked.conversations),
            (2, 1, 2)
        );

        // a stranger, a renamed sender, a stale row without its partner, an empty group
        let stranger = Person {
            uuid: Uuid::new_v4(),
            display_name: "x".into(),
            handle: "x".into(),
        };
        let renamed = Person {
            handle: "a-old".into(),
            ..a.clone()
        };
        let mut bad = Checker::new(&accounts);
        bad.item(&message(
            group,
            &stranger,
            "2026-01-01T00:02:00+00:00",
            "who?",
        ));
        bad.item(&message(group, &renamed, "2026-01-01T00:00:30+00:00", "me"));
        bad.item(&ra.to_item());
        let other_group = Uuid::new_v4();
        let [empty, _] = Conversation::pair(other_group, &b, &a, &last_msg);
        bad.item(&empty.to_item());
        let mut junk = first.clone();
        junk.insert(PK.into(), crate::ddb::item::s("XYZ#1"));
        bad.item(&junk);
        let (problems, _) = bad.finish();
        let found: Vec<Kind> = {
            let mut k: Vec<Kind> = problems.iter().map(|p| p.kind).collect();
            k.sort();
            k
        };
        assert_eq!(
            found,
            vec![
                Kind::UnknownUser,
                Kind::UserMismatch,
                Kind::MalformedItem,
                Kind::EmptyGroup,
                Kind::StaleConversation,
                Kind::MissingPartner,
                Kind::MissingPartner,
            ],
            "{problems:#?}"
        );
    }
}
