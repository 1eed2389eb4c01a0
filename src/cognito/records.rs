//! A user pool as `cognito-export` writes it and `cognito-import` reads it: JSON lines, each an
//! object whose `type` says what it is. The first line describes the pool ([`PoolDescription`]:
//! what a new pool needs to accept these users), then one line per group, per user and per
//! group membership:
//!
//! ```text
//! {"type":"pool","format":1,"id":"us-east-1_Ab","name":"cruddur-user-pool","schema":[...],...}
//! {"type":"group","name":"admins","description":"...","precedence":1,"role_arn":null}
//! {"type":"user","username":"bayko","attributes":{"email":"...","sub":"..."},"enabled":true,...}
//! {"type":"member","group":"admins","username":"bayko"}
//! ```
//!
//! Passwords are not there: Cognito never gives them out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the file's shape, in the pool line.
pub const FORMAT: u32 = 1;

/// The attribute every user has and no one can set: the user's id in this pool.
pub const SUB: &str = "sub";

/// Attributes Cognito sets itself and refuses in AdminCreateUser / AdminUpdateUserAttributes.
pub const READ_ONLY: [&str; 2] = [SUB, "identities"];

/// The prefix of a developer-only attribute's name (readable, never writable by an admin call).
pub const DEVELOPER_ONLY_PREFIX: &str = "dev:";

/// Whether the attribute `name` can be given to AdminCreateUser.
pub fn writable(name: &str) -> bool {
    !READ_ONLY.contains(&name) && !name.starts_with(DEVELOPER_ONLY_PREFIX)
}

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// The pool (the first line).
    Pool(PoolDescription),
    /// A group.
    Group(GroupRecord),
    /// A user.
    User(UserRecord),
    /// A user's membership of a group.
    Member(Membership),
}

/// What a pool is: what a new pool needs to accept the exported users.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolDescription {
    /// The file's shape ([`FORMAT`]).
    pub format: u32,
    /// The pool's id.
    pub id: String,
    /// The pool's name.
    pub name: Option<String>,
    /// Its schema attributes (real Cognito lists the standard ones too; moto only custom ones).
    pub schema: Vec<SchemaAttribute>,
    /// Attributes that serve as the user name (`email`, `phone_number`), if any.
    pub username_attributes: Vec<String>,
    /// Attributes that may sign in beside the user name (`email`, `phone_number`,
    /// `preferred_username`).
    pub alias_attributes: Vec<String>,
    /// Whether user names are case sensitive (`None`: not said).
    pub case_sensitive: Option<bool>,
    /// Attributes Cognito verifies itself (`email`, `phone_number`).
    pub auto_verified_attributes: Vec<String>,
    /// The password policy.
    pub password_policy: Option<PasswordPolicy>,
    /// `OFF`, `ON` or `OPTIONAL`.
    pub mfa: Option<String>,
    /// Only administrators may create users.
    pub admin_create_user_only: Option<bool>,
    /// Cognito's estimate of the number of users.
    pub estimated_users: i64,
}

impl PoolDescription {
    /// The schema attribute `name`, if the pool lists it.
    pub fn attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.schema.iter().find(|a| a.name == name)
    }

    /// Whether the schema lists standard attributes (real Cognito does; moto lists only custom
    /// ones, so a standard attribute cannot be checked against it).
    pub fn lists_standard_attributes(&self) -> bool {
        self.schema.iter().any(|a| !a.is_custom())
    }
}

/// One attribute of a pool's schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaAttribute {
    /// Its name as users carry it (`email`, `custom:tier`).
    pub name: String,
    /// `String`, `Number`, `DateTime` or `Boolean`.
    pub data_type: Option<String>,
    /// Whether it can change after the user is created.
    pub mutable: Option<bool>,
    /// Whether every user must have it.
    pub required: Option<bool>,
    /// Whether only the app's developer credentials may write it.
    pub developer_only: Option<bool>,
    /// The shortest value (strings).
    pub min_length: Option<String>,
    /// The longest value (strings).
    pub max_length: Option<String>,
    /// The smallest value (numbers).
    pub min_value: Option<String>,
    /// The largest value (numbers).
    pub max_value: Option<String>,
}

impl SchemaAttribute {
    /// A custom attribute (`custom:...` or `dev:custom:...`).
    pub fn is_custom(&self) -> bool {
        is_custom(&self.name)
    }
}

/// Whether the attribute `name` is a custom one.
pub fn is_custom(name: &str) -> bool {
    name.starts_with("custom:") || name.starts_with("dev:custom:")
}

/// A pool's password policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// The shortest password.
    pub minimum_length: Option<i32>,
    /// Needs an upper-case letter.
    pub require_uppercase: bool,
    /// Needs a lower-case letter.
    pub require_lowercase: bool,
    /// Needs a digit.
    pub require_numbers: bool,
    /// Needs a symbol.
    pub require_symbols: bool,
    /// Days a temporary password stays valid.
    pub temporary_password_validity_days: i32,
}

/// A group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its precedence (lower wins when a user is in several groups with roles).
    pub precedence: Option<i32>,
    /// The IAM role its members get from an identity pool.
    pub role_arn: Option<String>,
}

/// A user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user name (in a pool whose user name is the email, the `sub`).
    pub username: String,
    /// Every attribute, by name (`sub` included: it is the old id, for the remap).
    pub attributes: BTreeMap<String, String>,
    /// Whether the user may sign in.
    pub enabled: bool,
    /// The account status (`CONFIRMED`, `FORCE_CHANGE_PASSWORD`, ...).
    pub status: Option<String>,
    /// When the user was created (RFC 3339).
    pub created: Option<String>,
}

/// A user in a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Membership {
    /// The group's name.
    pub group: String,
    /// The user's user name (as in the user's line).
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_their_type_first_and_read_back() {
        let user = Line::User(UserRecord {
            username: "bayko".into(),
            attributes: [("email".to_string(), "b@example.com".to_string())].into(),
            enabled: true,
            status: Some("CONFIRMED".into()),
            created: None,
        });
        let text = serde_json::to_string(&user).unwrap();
        assert!(
            text.starts_with(r#"{"type":"user","username":"bayko""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Line>(&text).unwrap(), user);
        let member = r#"{"type":"member","group":"admins","username":"bayko"}"#;
        assert!(matches!(
            serde_json::from_str::<Line>(member).unwrap(),
            Line::Member(m) if m.group == "admins"
        ));
        assert!(serde_json::from_str::<Line>(r#"{"type":"device"}"#).is_err());
    }

    #[test]
    fn only_attributes_cognito_accepts_are_writable() {
        assert!(writable("email") && writable("custom:tier"));
        assert!(!writable("sub") && !writable("identities") && !writable("dev:custom:x"));
    }
}
