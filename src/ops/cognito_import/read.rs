//! Reading a `cognito-export` file whole, every line checked before anything is written: the
//! first line describes the pool, the others are groups, users and memberships; a user or group
//! named twice, or a membership of a user or group the file does not hold, is an error naming
//! the line.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context as _, Result};

use crate::cognito::records::{GroupRecord, Line, Membership, PoolDescription, UserRecord, FORMAT};

/// A pool as the file holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backup {
    /// The exported pool.
    pub pool: PoolDescription,
    /// Its groups, in file order.
    pub groups: Vec<GroupRecord>,
    /// Its users, in file order.
    pub users: Vec<UserRecord>,
    /// Its memberships, in file order.
    pub members: Vec<Membership>,
}

/// Reads the export file at `path`.
pub fn read_file(path: &Path) -> Result<Backup> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    read(file, &path.display().to_string())
}

/// Reads an export from `input`; errors name `source` and the line.
pub fn read(input: impl Read, source: &str) -> Result<Backup> {
    let mut backup = Backup::default();
    let mut pool = None;
    let mut usernames = BTreeSet::new();
    let mut group_names = BTreeSet::new();
    let mut members = BTreeSet::new();
    for (index, line) in BufReader::new(input).lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("reading {source} (line {number})"))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{source} line {number}");
        let parsed: Line = serde_json::from_str(&line)
            .with_context(|| format!("{}: not a line of a cognito-export file", at()))?;
        match (parsed, pool.is_some()) {
            (Line::Pool(p), false) => {
                if p.format != FORMAT {
                    bail!(
                        "{}: the file has format {}, this tool reads format {FORMAT}",
                        at(),
                        p.format
                    );
                }
                pool = Some(p);
            }
            (Line::Pool(_), true) => bail!("{}: a second pool line", at()),
            (_, false) => bail!(
                "{}: the first line must describe the pool (is this a cognito-export file?)",
                at()
            ),
            (Line::Group(g), true) => {
                if !group_names.insert(g.name.clone()) {
                    bail!("{}: group {:?} appears twice", at(), g.name);
                }
                backup.groups.push(g);
            }
            (Line::User(u), true) => {
                if u.username.is_empty() {
                    bail!("{}: a user without a user name", at());
                }
                if !usernames.insert(u.username.clone()) {
                    bail!("{}: user {:?} appears twice", at(), u.username);
                }
                backup.users.push(u);
            }
            (Line::Member(m), true) => {
                if members.insert(m.clone()) {
                    backup.members.push(m);
                }
            }
        }
    }
    let Some(pool) = pool else {
        bail!("{source} is empty: no pool line");
    };
    backup.pool = pool;
    // Memberships come after their users and groups in an export; check them at the end so
    // that a file put together by hand may order them freely.
    for m in &backup.members {
        if !group_names.contains(&m.group) {
            bail!(
                "{source}: a membership of user {:?} in group {:?}, which the file does not hold",
                m.username,
                m.group
            );
        }
        if !usernames.contains(&m.username) {
            bail!(
                "{source}: a membership of user {:?} in group {:?}, a user the file does not hold",
                m.username,
                m.group
            );
        }
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = r#"{"type":"pool","format":1,"id":"p","name":null,"schema":[],"username_attributes":[],"alias_attributes":[],"case_sensitive":null,"auto_verified_attributes":[],"password_policy":null,"mfa":null,"admin_create_user_only":null,"estimated_users":0}"#;

    fn user(name: &str) -> String {
        format!(
            r#"{{"type":"user","username":"{name}","attributes":{{}},"enabled":true,"status":null,"created":null}}"#
        )
    }

    fn err(text: &str) -> String {
        format!("{:#}", read(text.as_bytes(), "f.jsonl").unwrap_err())
    }

    #[test]
    fn reads_a_whole_export() {
        let text = [
            POOL.to_string(),
            r#"{"type":"group","name":"g","description":null,"precedence":1,"role_arn":null}"#
                .into(),
            user("a"),
            user("b"),
            r#"{"type":"member","group":"g","username":"b"}"#.into(),
            String::new(),
        ]
        .join("\n");
        let backup = read(text.as_bytes(), "f").unwrap();
        assert_eq!(backup.users.len(), 2);
        assert_eq!(backup.groups[0].precedence, Some(1));
        assert_eq!(backup.members[0].username, "b");
    }

    #[test]
    fn refuses_what_is_not_an_export_naming_the_line() {
        assert!(err(&user("a")).contains("f.jsonl line 1: the first line must describe the pool"));
        assert!(err(&format!("{POOL}\n{}\n{}", user("a"), user("a")))
            .contains("line 3: user \"a\" appears twice"));
        assert!(err(&format!("{POOL}\nnot json")).contains("line 2: not a line"));
        assert!(err(&format!(
            "{POOL}\n{}\n{{\"type\":\"member\",\"group\":\"x\",\"username\":\"a\"}}",
            user("a")
        ))
        .contains("group \"x\", which the file does not hold"));
        assert!(err(&POOL.replace("\"format\":1", "\"format\":9")).contains("format 9"));
        assert!(err("").contains("no pool line"));
    }

    #[test]
    fn a_line_that_is_not_json_keeps_the_parser_error_as_its_cause() {
        let err = read(format!("{POOL}\nnot json").as_bytes(), "f").unwrap_err();
        assert!(
            err.chain().any(|cause| cause.is::<serde_json::Error>()),
            "{err:#}"
        );
    }
}
