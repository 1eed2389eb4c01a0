//! Problems of one kind, grouped ([`group`]): one [`ProblemGroup`] per kind and store, with the
//! count, what the kind means and the first few problems, so that a table with 412 messages from
//! an unknown user reads as one row and not as 412.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::Row;

use super::{Kind, Problem, Store};

/// How many problems of a group are shown (in every format).
pub const SAMPLE: usize = 5;

/// One problem of a group, shown as an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The item's key (`pk sk`), the user's handle, or the pool user's user name.
    pub key: String,
    /// What is wrong, in words.
    pub detail: String,
}

/// Every problem of one kind in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemGroup {
    /// What is wrong, as a kind.
    pub kind: Kind,
    /// The store holding the offending items or users.
    pub store: Store,
    /// How many problems of this kind.
    pub count: usize,
    /// The count and what the kind means: "412 items: ...".
    pub summary: String,
    /// The first [`SAMPLE`] problems, by key.
    pub sample: Vec<Example>,
}

impl Kind {
    /// What a problem of this kind means, as a phrase after "N items: ".
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::UnknownUser => {
                "user_uuid (or a conversation row's owner) is not a PostgreSQL user"
            }
            Kind::UserMismatch => "user_handle or user_display_name differs from PostgreSQL's",
            Kind::MalformedItem => "neither a readable message nor a readable conversation row",
            Kind::EmptyGroup => "a conversation row whose group has no messages",
            Kind::StaleConversation => {
                "a conversation row whose last message is not its group's newest"
            }
            Kind::MissingPartner => "a conversation row without the other participant's row",
            Kind::MockCognitoId => "cognito_user_id is MOCK or NULL (run update-cognito-user-ids)",
            Kind::EmptyCognitoId => "cognito_user_id is empty",
            Kind::NoPoolUser => "no pool user has the handle as preferred_username",
            Kind::WrongCognitoId => {
                "cognito_user_id is not the sub of the pool user with the handle"
            }
            Kind::PoolUserWithoutDbUser => "no PostgreSQL user has the preferred_username",
        }
    }
}

impl Store {
    /// What this store holds, singular and plural.
    fn nouns(self) -> (&'static str, &'static str) {
        match self {
            Store::Dynamodb => ("item", "items"),
            Store::Postgres => ("user", "users"),
            Store::Cognito => ("pool user", "pool users"),
        }
    }
}

/// The problems grouped by store and kind (in that order), each group's sample the first
/// [`SAMPLE`] problems by key.
pub fn group(problems: &[Problem]) -> Vec<ProblemGroup> {
    let mut groups: BTreeMap<(Store, Kind), Vec<&Problem>> = BTreeMap::new();
    for problem in problems {
        groups
            .entry((problem.store, problem.kind))
            .or_default()
            .push(problem);
    }
    groups
        .into_iter()
        .map(|((store, kind), mut members)| {
            members.sort_by(|a, b| a.key.cmp(&b.key));
            let count = members.len();
            let (one, many) = store.nouns();
            let noun = if count == 1 { one } else { many };
            ProblemGroup {
                kind,
                store,
                count,
                summary: format!("{count} {noun}: {}", kind.meaning()),
                sample: members
                    .iter()
                    .take(SAMPLE)
                    .map(|p| Example {
                        key: p.key.clone(),
                        detail: p.detail.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

impl Row for ProblemGroup {
    const COLUMNS: &'static [&'static str] = &["Kind", "Store", "Count", "Problems"];
    const CUT: &'static [&'static str] = &["Problems"];

    /// The last cell is the summary, then one line per example, then how many more there are.
    fn cells(&self) -> Vec<String> {
        let mut lines = vec![self.summary.clone()];
        lines.extend(
            self.sample
                .iter()
                .map(|e| format!("- {}: {}", e.key, e.detail)),
        );
        let more = self.count - self.sample.len();
        if more > 0 {
            lines.push(format!("and {more} more (check --all lists every one)"));
        }
        vec![
            self.kind.to_string(),
            self.store.as_str().to_string(),
            self.count.to_string(),
            lines.join("\n"),
        ]
    }
}
