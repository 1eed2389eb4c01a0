//! Least privilege: which AWS actions each tool calls, on which resources, in which use. The one
//! source of truth is [`table::TOOLS`]: `iam-policy` builds its policy documents from it
//! ([`policy`]), the README's "Permissions" section is rendered from it ([`readme`]), and an
//! AccessDenied error names the IAM action of the operation that was denied
//! ([`action_of_operation`]).
//!
//! Data and pure functions only: no calls (the account and region are resolved by
//! `ops::iam_policy`).

pub mod policy;
pub mod readme;
pub mod table;

use crate::config::Target;

/// The index the tools query (`model::keys::GROUP_INDEX`, which a layer below `model` cannot
/// name; `tests/integration/iam.rs` checks they are the same).
pub const QUERIED_INDEX: &str = "message-group-sk-index";

/// What an action is allowed on, as a pattern of ARNs filled in by [`policy::Resources`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// The messages table: `arn:aws:dynamodb:R:A:table/NAME`.
    Table,
    /// The table's index that the tools query: `table/NAME/index/message-group-sk-index`.
    Index,
    /// The table's streams: `table/NAME/stream/*`.
    Stream,
    /// The table's exports: `table/NAME/export/*`.
    Exports,
    /// Exports of any table (`table-import --s3` reads an export of another table): `table/*/export/*`.
    AnyExports,
    /// The table's imports: `table/NAME/import/*`.
    Imports,
    /// On-demand backups of any table (a restore reads the backup of another, maybe dropped,
    /// table): `table/*/backup/*`.
    Backups,
    /// Every table of the account and region (`list-tables` describes them all): `table/*`.
    AllTables,
    /// The user pool: `arn:aws:cognito-idp:R:A:userpool/ID`.
    Pool,
    /// The bucket: `arn:aws:s3:::BUCKET`.
    Bucket,
    /// The objects under the prefix: `arn:aws:s3:::BUCKET/PREFIX*`.
    Objects,
    /// The log groups of DynamoDB's imports: `arn:aws:logs:R:A:log-group:/aws-dynamodb/*`.
    ImportLogs,
    /// The Lambda function's log group: `log-group:/aws/lambda/messaging-stream-lambda:*`.
    LambdaLogs,
    /// The Lambda mapping's on-failure queue (README): `arn:aws:sqs:R:A:cruddur-messaging-stream-dlq`.
    DeadLetterQueue,
    /// `*`: actions that take no resource (ListTables, ListUserPools, CreateUserPool, ListStreams,
    /// ListExports).
    Any,
}

/// Which targets a [`Need`] applies to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Targets {
    /// `local` and `prod`.
    Both,
    /// Only `local` (the pool found by name, an earlier export joined by listing).
    Local,
    /// Only `prod` (the capacity budget read from the table, what DynamoDB does on the caller's
    /// behalf).
    Prod,
}

impl Targets {
    /// Whether `target` is one of these.
    pub fn holds(self, target: Target) -> bool {
        match self {
            Targets::Both => true,
            Targets::Local => target == Target::Local,
            Targets::Prod => target == Target::Prod,
        }
    }
}

/// One action a tool calls: on what, in which of its modes and targets, and, when not every run
/// reaches it, when.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// The IAM action, `service:Action`.
    pub action: &'static str,
    /// What it is allowed on.
    pub resource: Resource,
    /// The modes that call it (empty: every mode of the tool).
    pub modes: &'static [&'static str],
    /// The targets that call it.
    pub targets: Targets,
    /// When a run reaches it, if not always (short: the README shows it).
    pub when: Option<&'static str>,
}

impl Need {
    /// `action` on `resource`, in every mode and target, always reached.
    pub const fn new(action: &'static str, resource: Resource) -> Need {
        Need {
            action,
            resource,
            modes: &[],
            targets: Targets::Both,
            when: None,
        }
    }

    /// Only in `modes`.
    pub const fn modes(mut self, modes: &'static [&'static str]) -> Need {
        self.modes = modes;
        self
    }

    /// Only on the local target.
    pub const fn local(mut self) -> Need {
        self.targets = Targets::Local;
        self
    }

    /// Only on the prod target.
    pub const fn prod(mut self) -> Need {
        self.targets = Targets::Prod;
        self
    }

    /// Reached only `when`.
    pub const fn when(mut self, when: &'static str) -> Need {
        self.when = Some(when);
        self
    }

    /// Whether a run of `mode` (`None`: any mode) on `target` may call it.
    pub fn applies(&self, target: Target, mode: Option<&str>) -> bool {
        self.targets.holds(target)
            && match mode {
                None => true,
                Some(mode) => self.modes.is_empty() || self.modes.contains(&mode),
            }
    }

    /// The service prefix of the action (`dynamodb`, `cognito-idp`, `s3`, `logs`, `sqs`).
    pub fn service(&self) -> &'static str {
        self.action.split(':').next().unwrap_or(self.action)
    }
}

/// A way a tool is used that calls other actions (`schema-load`: `plan` and `apply`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mode {
    /// The word `iam-policy --mode` takes.
    pub name: &'static str,
    /// What it covers.
    pub what: &'static str,
}

/// A tool's row of the table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    /// The binary's name.
    pub name: &'static str,
    /// Its modes (empty: one way of use).
    pub modes: &'static [Mode],
    /// Every action it may call.
    pub needs: &'static [Need],
    /// What else to know (a tool that calls no AWS API says so here).
    pub note: Option<&'static str>,
}

impl Tool {
    /// The actions a run of `mode` (`None`: every mode) on `target` may call.
    pub fn needs_for(&self, target: Target, mode: Option<&str>) -> Vec<Need> {
        self.needs
            .iter()
            .filter(|n| n.applies(target, mode))
            .copied()
            .collect()
    }

    /// Whether the tool calls any AWS API at all.
    pub fn calls_aws(&self) -> bool {
        !self.needs.is_empty()
    }

    /// Whether the tool runs on the local target only: it calls AWS, but nothing on prod
    /// (`cognito-setup`: the production pool is managed outside the toolkit).
    pub fn local_only(&self) -> bool {
        self.calls_aws() && self.needs.iter().all(|n| !n.targets.holds(Target::Prod))
    }
}

/// The tool named `name`, if the table has it.
pub fn tool(name: &str) -> Option<&'static Tool> {
    table::TOOLS.iter().find(|t| t.name == name)
}

/// The IAM action that authorizes `operation` of the service whose actions start with `prefix`
/// (the SDK's operation name: `ListObjectsV2`, `Scan`): mostly the operation's own name; S3's
/// listings and object reads have other names, and a DynamoDB transaction is authorized item by
/// item.
pub fn action_of_operation(prefix: &str, operation: &str) -> String {
    match (prefix, operation) {
        ("s3", "ListObjectsV2" | "ListObjects") => "s3:ListBucket".to_string(),
        ("s3", "HeadObject") => "s3:GetObject".to_string(),
        ("dynamodb", "TransactWriteItems") => {
            "dynamodb:PutItem / dynamodb:DeleteItem (each item of the transaction)".to_string()
        }
        _ => format!("{prefix}:{operation}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_map_to_their_actions() {
        assert_eq!(action_of_operation("dynamodb", "Scan"), "dynamodb:Scan");
        assert_eq!(action_of_operation("s3", "ListObjectsV2"), "s3:ListBucket");
        assert_eq!(action_of_operation("s3", "GetObject"), "s3:GetObject");
        assert!(action_of_operation("dynamodb", "TransactWriteItems").contains("dynamodb:PutItem"));
    }

    #[test]
    fn a_need_applies_to_its_modes_and_targets() {
        let n = Need::new("dynamodb:Scan", Resource::Table)
            .modes(&["file"])
            .prod();
        assert!(n.applies(Target::Prod, Some("file")));
        assert!(n.applies(Target::Prod, None));
        assert!(!n.applies(Target::Prod, Some("s3")));
        assert!(!n.applies(Target::Local, Some("file")));
        assert_eq!(n.service(), "dynamodb");
    }
}
