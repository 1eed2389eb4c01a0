//! Shared test helpers: running binaries, unique names, and guards that clean up on drop.

#![allow(dead_code)]

use std::process::{Command, Output};

use cruddur_ops::config::{Config, Target};
use cruddur_ops::context::Context;

/// The local stack's PostgreSQL server (maintenance database).
pub const ADMIN_URL: &str = "postgresql://postgres:password@localhost:5432/postgres";

/// A short unique suffix for names.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A command for one of the toolkit's binaries, with a clean AWS environment pointing at
/// nothing in particular (tests add what they need).
pub fn bin(name: &str) -> Command {
    // Cargo builds every binary before the integration tests, next to the test's deps/ folder.
    let exe = std::env::current_exe().expect("test executable path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory")
        .join(name);
    assert!(path.exists(), "no binary {name} at {}", path.display());
    let mut cmd = Command::new(path);
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_")
            || key == "DDB_MESSAGE_TABLE"
            || key == "CONNECTION_URL"
            || key == "PROD_CONNECTION_URL"
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `cmd`, returning its output (never panics on a non-zero exit).
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success, showing stderr when it failed.
#[track_caller]
pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Asserts failure and returns stderr.
#[track_caller]
pub fn fails(out: Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got success\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stderr(&out)
}

/// A context on the local stack for `table`.
pub async fn local_context(table: &str) -> Context {
    Context::new(Config::from_env(Target::Local).with_table(Some(table.to_string())))
        .await
        .expect("local context")
}

/// A uniquely named messages table, dropped (if it exists) when the guard goes.
pub struct TestTable {
    /// The table's name.
    pub name: String,
}

impl TestTable {
    /// A new name; the table is not created.
    pub fn new() -> TestTable {
        TestTable {
            name: unique("test-messages"),
        }
    }

    /// A new table created with `schema-load`.
    pub fn created() -> TestTable {
        let table = TestTable::new();
        ok(run(bin("schema-load").args(["--table", &table.name])));
        table
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        let _ = bin("drop").args([&self.name, "--if-exists"]).output();
    }
}
