//! The plan of a restore, pure: what the file holds against what the target pool holds. Which
//! groups to create, which users to create, to update (and which attributes) or leave as they
//! are, which memberships to add; or the refusal, before the first write, when the target's
//! schema cannot hold what the file's users carry.
//!
//! A user is matched by the name they sign in with in the target pool: the user name, or in a
//! pool whose user name is the email (or phone number) that attribute, compared without case when
//! the target's user names ignore case. Attributes are compared one by one; only the writable
//! ones are written (not `sub`, `identities` or developer-only ones), and an attribute the target
//! holds immutable is set when the user is created but never updated (a difference in it is
//! noted).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{bail, Result};

use super::read::Backup;
use crate::cognito::records::{is_custom, writable, GroupRecord, PoolDescription, UserRecord};

/// What to do with one user of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserStep {
    /// Create the user with these attributes (then disable them when `enabled` is false).
    Create {
        /// The writable attributes.
        attributes: BTreeMap<String, String>,
        /// Whether the user may sign in.
        enabled: bool,
    },
    /// Set these attributes, and enable or disable the user when `enabled` says so.
    Update {
        /// The attributes whose value differs (or is missing).
        attributes: BTreeMap<String, String>,
        /// `Some`: the user's enabled state differs and becomes this.
        enabled: Option<bool>,
    },
    /// Nothing differs.
    Equal,
}

/// One user of the file and what to do with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAction {
    /// The user name in the file.
    pub username: String,
    /// The name the target pool knows (or will know) the user by, for the admin calls.
    pub login: String,
    /// What to do.
    pub step: UserStep,
}

/// One membership of the file and whether the target has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAction {
    /// The group.
    pub group: String,
    /// The user's name in the target pool ([`UserAction::login`]).
    pub login: String,
    /// The target pool has it already.
    pub present: bool,
}

/// The plan of a restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Groups to create.
    pub groups_to_create: Vec<GroupRecord>,
    /// Groups of the file the target has already (left as they are).
    pub groups_present: Vec<String>,
    /// One per user of the file, in file order.
    pub users: Vec<UserAction>,
    /// One per membership of the file, in file order.
    pub members: Vec<MemberAction>,
    /// Differences in attributes the target holds immutable (`user: attribute`): left.
    pub immutable_differences: Vec<String>,
    /// Attributes of the file that are never written (developer-only ones), by name.
    pub skipped_attributes: BTreeSet<String>,
}

/// What the target pool holds.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Its description.
    pub pool: PoolDescription,
    /// Its users.
    pub users: Vec<UserRecord>,
    /// Its groups' names.
    pub groups: BTreeSet<String>,
    /// Its memberships, as (group, the member's user name in the target).
    pub members: BTreeSet<(String, String)>,
}

/// How the target pool tells users apart: the attributes that serve as user name (none: the user
/// name itself), and whether case counts.
struct Identity<'a> {
    attributes: &'a [String],
    ignore_case: bool,
}

impl Identity<'_> {
    fn key(&self, name: &str) -> String {
        if self.ignore_case {
            name.to_lowercase()
        } else {
            name.to_string()
        }
    }

    /// The name `user` signs in with in the target, if they have one.
    fn login(&self, user: &UserRecord) -> Option<String> {
        if self.attributes.is_empty() {
            return Some(user.username.clone());
        }
        self.attributes
            .iter()
            .find_map(|a| user.attributes.get(a).filter(|v| !v.is_empty()).cloned())
    }
}

/// Users of the file named as "a, b, c" (the first three) with how many there are.
fn some_users(users: &[&str]) -> String {
    let first: Vec<&str> = users.iter().take(3).copied().collect();
    let more = users.len().saturating_sub(first.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{}{more}", first.join(", "))
}

/// Why the target pool cannot hold the file's users: one sentence per attribute, naming it and
/// some of the users who carry (or lack) it. Empty when it can.
pub fn schema_problems(backup: &Backup, target: &PoolDescription) -> Vec<String> {
    let mut carriers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for user in &backup.users {
        for name in user.attributes.keys().filter(|n| writable(n)) {
            carriers.entry(name).or_default().push(&user.username);
        }
    }
    let mut problems = Vec::new();
    let standard_listed = target.lists_standard_attributes();
    for (name, users) in &carriers {
        let held = target.attribute(name);
        let who = some_users(users);
        match held {
            None if is_custom(name) || standard_listed => problems.push(format!(
                "attribute {name} (carried by {who}) is not in the target pool's schema"
            )),
            Some(attribute) => {
                let exported = backup
                    .pool
                    .attribute(name)
                    .and_then(|a| a.data_type.clone());
                if let (Some(from), Some(to)) = (exported, attribute.data_type.as_ref()) {
                    if &from != to {
                        problems.push(format!(
                            "attribute {name} is a {from} in the file and a {to} in the target pool's schema"
                        ));
                    }
                }
            }
            None => {}
        }
    }
    for attribute in target.schema.iter().filter(|a| a.required == Some(true)) {
        if !writable(&attribute.name) {
            continue;
        }
        let lacking: Vec<&str> = backup
            .users
            .iter()
            .filter(|u| {
                u.attributes
                    .get(&attribute.name)
                    .is_none_or(|v| v.is_empty())
            })
            .map(|u| u.username.as_str())
            .collect();
        if !lacking.is_empty() {
            problems.push(format!(
                "the target pool requires attribute {}, which {} users lack ({})",
                attribute.name,
                lacking.len(),
                some_users(&lacking)
            ));
        }
    }
    if !target.username_attributes.is_empty() {
        let identity = Identity {
            attributes: &target.username_attributes,
            ignore_case: false,
        };
        let lacking: Vec<&str> = backup
            .users
            .iter()
            .filter(|u| identity.login(u).is_none())
            .map(|u| u.username.as_str())
            .collect();
        if !lacking.is_empty() {
            problems.push(format!(
                "the target pool signs users in by {}, which {} users lack ({})",
                target.username_attributes.join(" or "),
                lacking.len(),
                some_users(&lacking)
            ));
        }
    }
    problems
}

/// The plan of restoring `backup` into `target`; an error listing every schema problem, or
/// users who would share one name in the target, before anything is written.
pub fn plan(backup: &Backup, target: &Target) -> Result<Plan> {
    let problems = schema_problems(backup, &target.pool);
    if !problems.is_empty() {
        bail!(
            "the target pool {} cannot hold the exported users: {}; nothing was written",
            target.pool.id,
            problems.join("; ")
        );
    }
    let identity = Identity {
        attributes: &target.pool.username_attributes,
        ignore_case: target.pool.case_sensitive == Some(false),
    };
    // The target's users by the name they sign in with, and that name to their user name
    // (which ListUsersInGroup gives).
    let mut existing: HashMap<String, &UserRecord> = HashMap::new();
    for user in &target.users {
        if let Some(login) = identity.login(user) {
            existing.insert(identity.key(&login), user);
        }
    }
    let mut plan = Plan::default();
    for group in &backup.groups {
        if target.groups.contains(&group.name) {
            plan.groups_present.push(group.name.clone());
        } else {
            plan.groups_to_create.push(group.clone());
        }
    }
    let mut logins: HashMap<&str, String> = HashMap::new();
    let mut seen: HashMap<String, &str> = HashMap::new();
    for user in &backup.users {
        let login = identity
            .login(user)
            .unwrap_or_else(|| user.username.clone());
        if let Some(other) = seen.insert(identity.key(&login), &user.username) {
            bail!(
                "users {other} and {} would both be {login} in the target pool; nothing was written",
                user.username
            );
        }
        plan.skipped_attributes.extend(
            user.attributes
                .keys()
                .filter(|n| !writable(n) && n.as_str() != "sub" && n.as_str() != "identities")
                .cloned(),
        );
        let step = match existing.get(&identity.key(&login)) {
            None => UserStep::Create {
                attributes: writable_attributes(user),
                enabled: user.enabled,
            },
            Some(current) => {
                let (step, immutable) = compare(user, current, &target.pool);
                plan.immutable_differences.extend(
                    immutable
                        .into_iter()
                        .map(|a| format!("{}: {a}", user.username)),
                );
                step
            }
        };
        logins.insert(&user.username, login.clone());
        plan.users.push(UserAction {
            username: user.username.clone(),
            login,
            step,
        });
    }
    for member in &backup.members {
        let login = logins
            .get(member.username.as_str())
            .cloned()
            .unwrap_or_else(|| member.username.clone());
        let target_name = existing
            .get(&identity.key(&login))
            .map(|u| u.username.as_str());
        let present = target_name.is_some_and(|name| {
            target
                .members
                .contains(&(member.group.clone(), name.to_string()))
        });
        plan.members.push(MemberAction {
            group: member.group.clone(),
            login,
            present,
        });
    }
    Ok(plan)
}

/// The attributes of `user` that AdminCreateUser takes.
pub fn writable_attributes(user: &UserRecord) -> BTreeMap<String, String> {
    user.attributes
        .iter()
        .filter(|(name, _)| writable(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// What to do to make `current` (in the target) hold `wanted`'s attributes and enabled state;
/// and the immutable attributes that differ (never updated).
pub fn compare(
    wanted: &UserRecord,
    current: &UserRecord,
    target: &PoolDescription,
) -> (UserStep, Vec<String>) {
    let mut changed = BTreeMap::new();
    let mut immutable = Vec::new();
    for (name, value) in writable_attributes(wanted) {
        if current.attributes.get(&name) == Some(&value) {
            continue;
        }
        if target.attribute(&name).and_then(|a| a.mutable) == Some(false) {
            immutable.push(name);
        } else {
            changed.insert(name, value);
        }
    }
    // A new email or phone number is unverified unless the update says otherwise.
    for (contact, verified) in [
        ("email", "email_verified"),
        ("phone_number", "phone_number_verified"),
    ] {
        if changed.contains_key(contact) {
            if let Some(v) = wanted.attributes.get(verified) {
                changed.insert(verified.to_string(), v.clone());
            }
        }
    }
    let enabled = (wanted.enabled != current.enabled).then_some(wanted.enabled);
    let step = if changed.is_empty() && enabled.is_none() {
        UserStep::Equal
    } else {
        UserStep::Update {
            attributes: changed,
            enabled,
        }
    };
    (step, immutable)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
