//! The users' checks against the Cognito pool: [`check_users`].

use std::collections::{HashMap, HashSet};

use crate::cognito::CognitoUser;
use crate::pg::Account;

use super::{Kind, Problem, Store, MOCK};

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
        // A NULL cognito_user_id is no Cognito id yet, like MOCK.
        let id = account.cognito_user_id.as_deref().unwrap_or(MOCK);
        if account.cognito_user_id.is_none() {
            problems.push(postgres(
                Kind::MockCognitoId,
                "cognito_user_id is NULL: run update-cognito-user-ids".into(),
            ));
        } else if id == MOCK {
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
