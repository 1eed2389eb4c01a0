//! Users across PostgreSQL and Cognito: reading the `users` table, and copying each Cognito user's
//! `sub` into `users.cognito_user_id` (matched on handle = `preferred_username`).
//!
//! The sync costs the ListUsers pages plus one transaction: the rows are read, the plan is
//! computed here ([`plan`], pure), and every change is written by one `UPDATE ... FROM unnest(...)`
//! statement. A failure rolls the whole transaction back, so the table is left as it was.

use std::collections::{BTreeMap, HashMap};

pub use crate::pg::users::{db_users, DbUser};
use crate::pg::Client;
use anyhow::{Context as _, Result};
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

use crate::cognito::{self, CognitoUser, NewUser};
use crate::context::Context;
use crate::ops::ui::{Bar, Ui};
use crate::pg;
use crate::report::{Format, Report};

/// Copies each Cognito user's sub of the pool (found by `pool_name` on local when no id is
/// configured) into the database, with a bar; hands the report to `ui` in `format` and warns of
/// what it could not apply.
pub async fn run(
    ctx: &Context,
    pool_name: &str,
    dry_run: bool,
    format: Format,
    ui: &mut impl Ui,
) -> Result<()> {
    let pool_id = cognito::resolve_user_pool_id(ctx, pool_name).await?;
    let bar = crate::ops::list_users::users_bar(ctx, &pool_id, ui).await;
    let report =
        sync_cognito_user_ids_with_progress(ctx, &pool_id, dry_run, |n| bar.set(n as u64)).await?;
    bar.finish();
    ui.emit(&report, format)?;
    ui.dry_run_note(dry_run);
    if !report.ambiguous.is_empty() {
        ui.note(&format!(
            "warning: {} preferred_username values are shared by several Cognito users; none of them was applied",
            report.ambiguous.len()
        ));
    }
    if report.cognito_users == 0 {
        ui.note(&format!(
            "warning: user pool {pool_id} has no users: nothing to sync"
        ));
    }
    Ok(())
}

impl Report for SyncReport {
    const COLUMNS: &'static [&'static str] = &["What", "Count", "Who"];
    const CUT: &'static [&'static str] = &["What"];

    fn rows(&self) -> Vec<Vec<String>> {
        let row = |what: &str, names: Vec<String>| {
            vec![what.to_string(), names.len().to_string(), names.join("\n")]
        };
        // How it was read goes with "What"; "Who" holds only users (the dry run is on stderr).
        let read = format!(
            "Cognito users read (in {} ListUsers page{})",
            self.pages,
            if self.pages == 1 { "" } else { "s" },
        );
        vec![
            vec![read, self.cognito_users.to_string(), String::new()],
            row(
                if self.dry_run {
                    "would update"
                } else {
                    "updated"
                },
                self.updated
                    .iter()
                    .map(|c| {
                        let from = c.from.as_deref().unwrap_or("NULL");
                        format!("{}: {from} -> {}", c.handle, c.to)
                    })
                    .collect(),
            ),
            row("already correct", self.already_correct.clone()),
            row(
                "Cognito users with no matching handle",
                self.unmatched_cognito
                    .iter()
                    .map(|u| format!("{} (Cognito user {})", u.handle, u.username))
                    .collect(),
            ),
            row(
                "database users with no Cognito user",
                self.missing_in_cognito.clone(),
            ),
            row(
                "Cognito users without preferred_username (skipped)",
                self.without_handle.clone(),
            ),
            row(
                "Cognito users without sub (skipped)",
                self.without_sub.clone(),
            ),
            row(
                "handles shared by several Cognito users (none applied)",
                self.ambiguous
                    .iter()
                    .map(|a| format!("{} (Cognito users {})", a.handle, a.usernames.join(", ")))
                    .collect(),
            ),
        ]
    }
}

/// The users of the database as Cognito users to create (handle and email).
pub fn new_users(users: &[DbUser]) -> Vec<NewUser> {
    users
        .iter()
        .map(|u| NewUser {
            handle: u.handle.clone(),
            email: u.email.clone(),
        })
        .collect()
}

/// One `cognito_user_id` to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The row's handle.
    pub handle: String,
    /// The value before (`None`: NULL, no Cognito id yet).
    pub from: Option<String>,
    /// The Cognito `sub` written.
    pub to: String,
}

/// A Cognito user whose handle has no row in `users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmatched {
    /// `preferred_username`.
    pub handle: String,
    /// Cognito user name.
    pub username: String,
}

/// A `preferred_username` carried by several Cognito users: none of them is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ambiguous {
    /// The shared `preferred_username`.
    pub handle: String,
    /// The Cognito user names carrying it.
    pub usernames: Vec<String>,
}

/// What a sync found and did. Every list is sorted. In JSON, `updated` is
/// `{"count", "users": [{"handle", "from", "to"}]}` and `already_correct` is `{"count", "handles"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// True when nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// How many Cognito users were read.
    pub cognito_users: usize,
    /// How many ListUsers pages that took.
    pub pages: usize,
    /// Rows whose `cognito_user_id` changed (or would change, in a dry run).
    #[serde(serialize_with = "counted_users")]
    pub updated: Vec<Change>,
    /// Handles whose `cognito_user_id` already held the right `sub`.
    #[serde(serialize_with = "counted_handles")]
    pub already_correct: Vec<String>,
    /// Cognito users with a handle no row has.
    pub unmatched_cognito: Vec<Unmatched>,
    /// Handles of rows no Cognito user carries.
    pub missing_in_cognito: Vec<String>,
    /// Cognito users without `preferred_username`, by user name (skipped).
    #[serde(rename = "without_preferred_username")]
    pub without_handle: Vec<String>,
    /// Cognito users without `sub`, by user name (skipped).
    pub without_sub: Vec<String>,
    /// Handles shared by several Cognito users (none applied).
    pub ambiguous: Vec<Ambiguous>,
}

/// A list with its length, as `{"count": N, "<key>": [...]}`.
fn counted<S: Serializer, T: Serialize>(
    key: &'static str,
    list: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("count", &list.len())?;
    map.serialize_entry(key, list)?;
    map.end()
}

fn counted_users<S: Serializer>(users: &[Change], s: S) -> Result<S::Ok, S::Error> {
    counted("users", users, s)
}

fn counted_handles<S: Serializer>(handles: &[String], s: S) -> Result<S::Ok, S::Error> {
    counted("handles", handles, s)
}

/// Matches Cognito users to rows (pure): what would change, what is already right, and what
/// cannot be matched. `db` is every row as `(handle, cognito_user_id)`; a NULL `cognito_user_id`
/// (`None`) is no Cognito id yet, like `MOCK`.
pub fn plan(cognito: &[CognitoUser], db: &[(String, Option<String>)]) -> SyncReport {
    let mut report = SyncReport {
        cognito_users: cognito.len(),
        ..SyncReport::default()
    };
    let mut by_handle: BTreeMap<&str, Vec<&CognitoUser>> = BTreeMap::new();
    for user in cognito {
        match &user.handle {
            None => report.without_handle.push(user.username.clone()),
            Some(handle) => by_handle.entry(handle).or_default().push(user),
        }
    }
    let rows: HashMap<&str, Option<&str>> =
        db.iter().map(|(h, c)| (h.as_str(), c.as_deref())).collect();
    for (handle, users) in &by_handle {
        if let [user] = users.as_slice() {
            let Some(sub) = &user.sub else {
                report.without_sub.push(user.username.clone());
                continue;
            };
            match rows.get(handle) {
                None => report.unmatched_cognito.push(Unmatched {
                    handle: handle.to_string(),
                    username: user.username.clone(),
                }),
                Some(current) if *current == Some(sub.as_str()) => {
                    report.already_correct.push(handle.to_string())
                }
                Some(current) => report.updated.push(Change {
                    handle: handle.to_string(),
                    from: current.map(str::to_string),
                    to: sub.clone(),
                }),
            }
        } else {
            let mut usernames: Vec<String> = users.iter().map(|u| u.username.clone()).collect();
            usernames.sort();
            report.ambiguous.push(Ambiguous {
                handle: handle.to_string(),
                usernames,
            });
        }
    }
    report.missing_in_cognito = db
        .iter()
        .filter(|(h, _)| !by_handle.contains_key(h.as_str()))
        .map(|(h, _)| h.clone())
        .collect();
    report.missing_in_cognito.sort();
    report.without_handle.sort();
    report.without_sub.sort();
    report
        .unmatched_cognito
        .sort_by(|a, b| a.handle.cmp(&b.handle));
    report
}

/// Applies `cognito` users to the `users` table in one transaction: reads the rows, plans
/// ([`plan`]) and writes every change with one statement; with `dry_run` it rolls back instead.
/// A failure leaves the table as it was.
pub async fn apply(
    client: &mut Client,
    cognito: &[CognitoUser],
    dry_run: bool,
) -> Result<SyncReport> {
    let tx = client
        .transaction()
        .await
        .context("starting the sync transaction")?;
    let db = pg::users::lock_cognito_user_ids(&tx).await?;
    let mut report = plan(cognito, &db);
    report.dry_run = dry_run;
    if dry_run || report.updated.is_empty() {
        tx.rollback()
            .await
            .context("ending the read-only transaction")?;
        return Ok(report);
    }
    let handles: Vec<&str> = report.updated.iter().map(|c| c.handle.as_str()).collect();
    let subs: Vec<&str> = report.updated.iter().map(|c| c.to.as_str()).collect();
    let written = pg::users::set_cognito_user_ids(&tx, &handles, &subs).await?;
    tx.commit().await.context(
        "committing the cognito_user_id updates (with no answer to the commit, the server \
             applies all of them or none: run the sync again, it is idempotent)",
    )?;
    // The rows were locked (FOR UPDATE), so this is the plan; report what was written anyway.
    let written: std::collections::HashSet<String> = written.into_iter().collect();
    report.updated.retain(|c| written.contains(&c.handle));
    Ok(report)
}

/// Where the target's database is, for an error: `postgres@localhost:5432/cruddur`.
fn pg_place(ctx: &Context) -> String {
    pg::database_url(&ctx.config)
        .ok()
        .and_then(|url| url.parse::<tokio_postgres::Config>().ok())
        .map(|config| pg::describe(&config))
        .unwrap_or_else(|| "(no database URL)".into())
}

/// The whole sync: every ListUsers page of `pool_id` (while connecting to the target's database),
/// then one transaction.
pub async fn sync_cognito_user_ids(
    ctx: &Context,
    pool_id: &str,
    dry_run: bool,
) -> Result<SyncReport> {
    sync_cognito_user_ids_with_progress(ctx, pool_id, dry_run, |_| {}).await
}

/// [`sync_cognito_user_ids`], calling `on_page(users read so far)` after each ListUsers page.
pub async fn sync_cognito_user_ids_with_progress(
    ctx: &Context,
    pool_id: &str,
    dry_run: bool,
    on_page: impl FnMut(usize),
) -> Result<SyncReport> {
    // Connect to the database while Cognito is listed: the listing is most of the time.
    let (listing, mut client) = tokio::try_join!(
        cognito::list_users_with_progress(ctx, pool_id, on_page),
        pg::connect(&ctx.config)
    )?;
    let mut report = apply(&mut client, &listing.users, dry_run)
        .await
        .with_context(|| format!("syncing users on PostgreSQL {}", pg_place(ctx)))?;
    report.pages = listing.pages;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(username: &str, handle: Option<&str>, sub: Option<&str>) -> CognitoUser {
        CognitoUser {
            username: username.into(),
            handle: handle.map(Into::into),
            sub: sub.map(Into::into),
        }
    }

    fn row(handle: &str, id: &str) -> (String, Option<String>) {
        (handle.into(), Some(id.into()))
    }

    #[test]
    fn matches_on_handle_and_sorts_out_the_rest() {
        let cognito = [
            user("u-bayko", Some("bayko"), Some("sub-b")),
            user("u-everly", Some("everlygrandest"), Some("sub-e")),
            user("u-ghost", Some("ghost"), Some("sub-g")),
            user("u-nameless", None, Some("sub-n")),
            user("u-dup2", Some("dup"), Some("sub-d2")),
            user("u-dup1", Some("dup"), Some("sub-d1")),
            user("u-nosub", Some("nosub"), None),
        ];
        let db = [
            row("bayko", "MOCK"),
            row("everlygrandest", "sub-e"),
            row("dup", "MOCK"),
            row("meitanaka", "MOCK"),
            row("nosub", "MOCK"),
        ];
        let r = plan(&cognito, &db);
        assert_eq!(r.cognito_users, 7);
        assert_eq!(
            r.updated,
            vec![Change {
                handle: "bayko".into(),
                from: Some("MOCK".into()),
                to: "sub-b".into()
            }]
        );
        assert_eq!(r.already_correct, vec!["everlygrandest"]);
        assert_eq!(
            r.unmatched_cognito,
            vec![Unmatched {
                handle: "ghost".into(),
                username: "u-ghost".into()
            }]
        );
        assert_eq!(r.missing_in_cognito, vec!["meitanaka"]);
        assert_eq!(r.without_handle, vec!["u-nameless"]);
        assert_eq!(r.without_sub, vec!["u-nosub"]);
        assert_eq!(
            r.ambiguous,
            vec![Ambiguous {
                handle: "dup".into(),
                usernames: vec!["u-dup1".into(), "u-dup2".into()]
            }]
        );
    }

    #[test]
    fn an_ambiguous_handle_is_never_applied_even_if_one_sub_is_already_there() {
        let cognito = [
            user("a", Some("dup"), Some("s1")),
            user("b", Some("dup"), Some("s2")),
        ];
        let r = plan(&cognito, &[row("dup", "s1")]);
        assert!(r.updated.is_empty());
        assert!(r.already_correct.is_empty());
        assert!(r.missing_in_cognito.is_empty());
        assert_eq!(r.ambiguous.len(), 1);
    }

    #[test]
    fn a_null_cognito_user_id_is_updated_from_none() {
        let r = plan(
            &[user("u", Some("bayko"), Some("s"))],
            &[("bayko".into(), None)],
        );
        assert_eq!(
            r.updated,
            vec![Change {
                handle: "bayko".into(),
                from: None,
                to: "s".into()
            }]
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["updated"]["users"][0]["from"], serde_json::Value::Null);
    }

    #[test]
    fn empty_sides() {
        let r = plan(&[], &[row("bayko", "MOCK")]);
        assert_eq!(r.missing_in_cognito, vec!["bayko"]);
        let r = plan(&[user("x", Some("x"), Some("s"))], &[]);
        assert_eq!(r.unmatched_cognito.len(), 1);
        assert!(r.updated.is_empty());
    }

    #[test]
    fn json_report_names_every_category() {
        let r = plan(
            &[
                user("u1", Some("bayko"), Some("s")),
                user("u2", None, Some("t")),
            ],
            &[row("bayko", "MOCK"), row("mei", "MOCK")],
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["updated"]["count"], 1);
        assert_eq!(v["updated"]["users"][0]["handle"], "bayko");
        assert_eq!(v["missing_in_cognito"][0], "mei");
        assert_eq!(v["without_preferred_username"][0], "u2");
        assert_eq!(v["dry_run"], false);
    }
}
