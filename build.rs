//! Build script: the commit `--version` names (`cruddur-ops 0.1.0 (commit 1a2b3c4d5e6f)`), set
//! as the compile-time variable `CRUDDUR_OPS_COMMIT` for `cli::tools::VERSION`.
//!
//! The commit is, in order: `CRUDDUR_OPS_GIT_COMMIT` when set (a packager building from a
//! tarball that knows its commit), else `git rev-parse HEAD` when the package's own directory is
//! the top of a git work tree, else "unknown commit" (a tarball without `.git`, or no git at all:
//! never an error). Cargo reruns this script only when HEAD, the branch it points at or that
//! variable changes, not on every source edit.

// A build script reads its inputs from the environment (cargo's variables and the override);
// the rule that only src/config.rs reads it is about the tools.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;

const OVERRIDE: &str = "CRUDDUR_OPS_GIT_COMMIT";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={OVERRIDE}");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = match std::env::var(OVERRIDE) {
        Ok(commit) if !commit.trim().is_empty() => Some(short(commit.trim())),
        _ => git_commit(&dir),
    };
    let described = match commit {
        Some(commit) => format!("commit {commit}"),
        None => "unknown commit".to_string(),
    };
    println!("cargo:rustc-env=CRUDDUR_OPS_COMMIT={described}");
}

/// The first 12 characters of a commit id (git's own short form is as long as it needs to be,
/// which changes with the repository's size).
fn short(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// One line of `git ARGS` run in `dir`, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!line.is_empty()).then_some(line)
}

/// HEAD's commit, when `dir` is the top of a git work tree (an unpacked tarball inside some
/// other repository must not take that repository's commit), and the files to watch for it.
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), dir) {
        return None;
    }
    let commit = git(dir, &["rev-parse", "HEAD"])?;
    // HEAD itself (this work tree's), the branch it points at, and packed-refs (where a branch
    // lives once packed): whichever exists.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    Some(short(&commit))
}
