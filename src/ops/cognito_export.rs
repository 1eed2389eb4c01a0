//! `cognito-export`: a user pool as JSON lines ([`crate::cognito::records`]): the pool's
//! description, its groups, every user (ListUsers, 60 a page) and every membership
//! (ListUsersInGroup per group), written as the pages arrive (memory holds one page and the
//! groups).

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cognito::backup;
use crate::cognito::rate::Pacer;
use crate::cognito::records::{Line, Membership};
use crate::context::Context;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportReport {
    /// The pool.
    pub user_pool_id: String,
    /// Users written.
    pub users: u64,
    /// Groups written.
    pub groups: u64,
    /// Memberships written.
    pub memberships: u64,
    /// Requests sent to Cognito.
    pub requests: u64,
    /// Requests Cognito throttled (each slowed the export down and was tried again).
    pub throttled: u64,
    /// Seconds it took.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Writes `line` and a newline. The I/O error stays in the chain as itself, so a closed stdout
/// (`cognito-export | head`) is not reported as a failure when `out` is the output layer's
/// stdout (which marks its errors as stdout's).
fn write_line(out: &mut impl Write, line: &Line) -> Result<()> {
    let mut bytes = serde_json::to_vec(line).context("encoding a line of the export")?;
    bytes.push(b'\n');
    out.write_all(&bytes).context("writing the export")
}

/// Writes `pool_id` to `out` as JSON lines: the pool, its groups, its users, its memberships.
/// `on_users(n)` is called after each page of users with the number written so far.
pub async fn export(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    out: &mut impl Write,
    mut on_users: impl FnMut(u64),
) -> Result<ExportReport> {
    let started = Instant::now();
    let mut report = ExportReport {
        user_pool_id: pool_id.to_string(),
        ..ExportReport::default()
    };
    let pool = backup::describe_pool(ctx, pacer, pool_id).await?;
    write_line(out, &Line::Pool(pool))?;
    let groups = backup::list_groups(ctx, pacer, pool_id).await?;
    for group in &groups {
        write_line(out, &Line::Group(group.clone()))?;
    }
    report.groups = groups.len() as u64;
    backup::for_each_user_page(ctx, pacer, pool_id, |users| {
        for user in users {
            write_line(out, &Line::User(user))?;
            report.users += 1;
        }
        on_users(report.users);
        Ok(())
    })
    .await?;
    for group in &groups {
        backup::for_each_member_page(ctx, pacer, pool_id, &group.name, |names| {
            for username in names {
                let member = Membership {
                    group: group.name.clone(),
                    username,
                };
                write_line(out, &Line::Member(member))?;
                report.memberships += 1;
            }
            Ok(())
        })
        .await?;
    }
    out.flush().context("writing the export")?;
    let stats = pacer.stats();
    report.requests = stats.total();
    report.throttled = stats.total_throttled();
    report.elapsed = started.elapsed();
    Ok(report)
}
