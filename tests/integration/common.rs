//! Shared test helpers: running binaries, unique names, and guards that clean up on drop.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use cruddur_ops::cli::tools;

use cruddur_ops::config::{Config, LocalPorts, Target};
use cruddur_ops::context::Context;

/// The local stack's ports, from `CRUDDUR_OPS_DDB_PORT`, `CRUDDUR_OPS_COGNITO_PORT` and
/// `CRUDDUR_OPS_PG_PORT` (defaults 8000, 9229, 5432), as the tools and `scripts/stack.sh` read them.
pub fn ports() -> LocalPorts {
    LocalPorts::resolve(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .expect("valid CRUDDUR_OPS_*_PORT variables")
}

/// The local stack's DynamoDB Local endpoint.
pub fn ddb_url() -> String {
    format!("http://localhost:{}", ports().dynamodb)
}

/// The local stack's Cognito (moto) endpoint.
pub fn cognito_url() -> String {
    format!("http://localhost:{}", ports().cognito)
}

/// The local stack's PostgreSQL server (maintenance database).
pub fn admin_url() -> String {
    database_url("postgres")
}

/// A short unique suffix for names.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A command for one of the toolkit's tools: the one binary, `cruddur-ops`, called through a link
/// named after the tool (as `just install` makes them), so that argv[0] selects the tool and
/// its usage lines and snapshots name it; with a clean AWS environment pointing at nothing in
/// particular (tests add what they need).
pub fn bin(name: &str) -> Command {
    let tool = tools::find(name)
        .unwrap_or_else(|| panic!("no tool {name} in the registry (cli::tools::TOOLS)"));
    clean(Command::new(tool_links().join(tool.name)))
}

/// `cruddur-ops` itself, with the same clean environment as [`bin`].
pub fn program() -> Command {
    clean(Command::new(env!("CARGO_BIN_EXE_cruddur-ops")))
}

/// A directory holding one link per tool of the registry to the `cruddur-ops` that cargo built
/// for these tests (made once per test run; each link replaced atomically, so that a stale one
/// from an older build never lingers).
pub fn tool_links() -> &'static Path {
    static LINKS: OnceLock<PathBuf> = OnceLock::new();
    LINKS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tool-links");
        std::fs::create_dir_all(&dir).expect("the tool links' directory");
        for tool in tools::TOOLS {
            let fresh = dir.join(format!(".{}.{}", tool.name, std::process::id()));
            let _ = std::fs::remove_file(&fresh);
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cruddur-ops"), &fresh)
                .expect("a link to cruddur-ops");
            std::fs::rename(&fresh, dir.join(tool.name)).expect("a tool link");
        }
        dir
    })
}

/// `cmd` without the caller's AWS, table, database and timeout settings.
pub fn clean(mut cmd: Command) -> Command {
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_")
            || key == "DDB_MESSAGE_TABLE"
            || key == "CONNECTION_URL"
            || key == "PROD_CONNECTION_URL"
            || key == "CRUDDUR_OPS_TIMEOUT_SECS"
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
    Context::new(
        Config::from_env(Target::Local)
            .unwrap()
            .with_table(Some(table.to_string())),
    )
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
        // The shipped schema turns deletion protection on.
        let _ = bin("drop")
            .args([&self.name, "--if-exists", "--disable-deletion-protection"])
            .output();
    }
}

/// A URL for the database `name` on the local stack's PostgreSQL server.
pub fn database_url(name: &str) -> String {
    format!(
        "postgresql://postgres:password@localhost:{}/{name}",
        ports().postgres
    )
}

/// Runs `work` to completion on a fresh runtime in its own thread: for `Drop` guards, which may
/// run inside a test's runtime (where blocking on another future would panic).
fn on_fresh_runtime<F>(work: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cleanup runtime");
        rt.block_on(work());
    })
    .join();
}

/// A uniquely named PostgreSQL database, dropped (with `WITH (FORCE)`) when the guard goes.
pub struct TestDb {
    /// The database's name.
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

impl TestDb {
    /// A new name; the database is not created.
    pub fn new() -> TestDb {
        let name = format!(
            "test_db_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        TestDb {
            url: database_url(&name),
            name,
        }
    }

    /// A new database holding the shipped schema and seed users (built with `db::rebuild`).
    pub async fn seeded() -> TestDb {
        let db = TestDb::new();
        cruddur_ops::pg::rebuild(
            &db.url,
            &local_config(),
            cruddur_ops::pg::SCHEMA_SQL,
            cruddur_ops::pg::SEED_SQL,
        )
        .await
        .expect("rebuild the test database");
        db
    }

    /// A connection to the database.
    pub async fn client(&self) -> cruddur_ops::pg::Client {
        cruddur_ops::pg::connect_url(&self.url, &local_config())
            .await
            .expect("connect to the test database")
    }

    /// The seed user with `handle`.
    pub async fn user(&self, handle: &str) -> cruddur_ops::pg::User {
        cruddur_ops::pg::users_by_handle(&self.client().await, &[handle])
            .await
            .expect("the user")
            .remove(0)
    }
}

/// A toolkit binary on `table`, with `db` as its PostgreSQL database (`CONNECTION_URL`).
pub fn tool(name: &str, table: &TestTable, db: &TestDb) -> Command {
    let mut cmd = bin(name);
    cmd.args(["--table", &table.name])
        .env("CONNECTION_URL", &db.url);
    cmd
}

/// Runs `future` to completion on a small runtime of its own (for tests that are not async).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        on_fresh_runtime(move || async move {
            if let Ok(admin) = cruddur_ops::pg::connect_url(&admin_url(), &local_config()).await {
                for db in [name.clone(), format!("{name}__rebuild")] {
                    let _ = admin
                        .batch_execute(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            cruddur_ops::pg::quote_ident(&db)
                        ))
                        .await;
                }
            }
        });
    }
}

/// The local target's configuration, built without reading the rest of the environment (no stray
/// `AWS_COGNITO_USER_POOL_ID` or endpoint from the shell): only the stack's `CRUDDUR_OPS_*` variables.
pub fn local_config() -> Config {
    Config::resolve(Target::Local, |name| {
        name.starts_with("CRUDDUR_OPS_")
            .then(|| std::env::var(name).ok())
            .flatten()
            .filter(|v| !v.trim().is_empty())
    })
    .expect("the stack's port variables are valid")
}

/// A context on the local stack built from [`local_config`].
pub async fn clean_local_context() -> Context {
    Context::new(local_config()).await.expect("local context")
}

/// A uniquely named Cognito user pool on moto; every pool of that name is deleted when the
/// guard goes.
pub struct TestPool {
    /// The pool's name.
    pub name: String,
    /// Its id (empty when a binary is to create it).
    pub id: String,
}

impl TestPool {
    /// A new name; the pool is not created.
    pub fn named() -> TestPool {
        TestPool {
            name: unique("test-pool"),
            id: String::new(),
        }
    }

    /// A new pool.
    pub async fn created(ctx: &Context) -> TestPool {
        let mut pool = TestPool::named();
        pool.id = cruddur_ops::cognito::create_pool(ctx, &pool.name)
            .await
            .expect("create the test pool");
        pool
    }
}

impl TestPool {
    /// A new pool made by `cognito-setup` from `db`'s users, their Cognito ids then copied into
    /// `db` by `update-cognito-user-ids` (what `just setup` does, on a test's own stores).
    pub fn synced_with(db: &TestDb) -> TestPool {
        let pool = TestPool::named();
        let pool_args = ["--pool-name", pool.name.as_str()];
        ok(run(bin("cognito-setup")
            .args(pool_args)
            .env("CONNECTION_URL", &db.url)));
        ok(run(bin("update-cognito-user-ids")
            .args(pool_args)
            .env("CONNECTION_URL", &db.url)));
        pool
    }
}

impl Drop for TestPool {
    fn drop(&mut self) {
        let name = self.name.clone();
        on_fresh_runtime(move || async move {
            let ctx = clean_local_context().await;
            let mut token = None;
            loop {
                let Ok(page) = ctx
                    .cognito()
                    .list_user_pools()
                    .max_results(60)
                    .set_next_token(token)
                    .send()
                    .await
                else {
                    return;
                };
                for pool in page.user_pools() {
                    if pool.name() == Some(name.as_str()) {
                        if let Some(id) = pool.id() {
                            let _ = ctx
                                .cognito()
                                .delete_user_pool()
                                .user_pool_id(id)
                                .send()
                                .await;
                        }
                    }
                }
                match page.next_token {
                    Some(next) if !next.is_empty() => token = Some(next),
                    _ => return,
                }
            }
        });
    }
}

/// What a test does to the machine, for [`exclusive`]: tests that measure a rate against the
/// clock, and tests that load the servers for a long while.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Load {
    /// Asserts an achieved rate (the capacity tests): it must not share two cores with a
    /// long heavy test, or the server's answers, not the governor, set the rate.
    Measures,
    /// Keeps the servers busy for many seconds (thousands of users or items).
    Heavy,
}

/// Tests of one [`Load`] run beside each other, never beside a test of the other kind.
static LOADS: std::sync::Mutex<(usize, usize)> = std::sync::Mutex::new((0, 0));
static LOADS_CHANGED: std::sync::Condvar = std::sync::Condvar::new();

/// Held while a test of kind `load` runs: waits until no test of the other kind runs.
pub struct Exclusive(Load);

/// Waits until no test of the other kind than `load` runs, then holds the place until dropped.
pub fn exclusive(load: Load) -> Exclusive {
    let mut running = LOADS.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let other = match load {
            Load::Measures => running.1,
            Load::Heavy => running.0,
        };
        if other == 0 {
            break;
        }
        running = LOADS_CHANGED
            .wait(running)
            .unwrap_or_else(|e| e.into_inner());
    }
    match load {
        Load::Measures => running.0 += 1,
        Load::Heavy => running.1 += 1,
    }
    Exclusive(load)
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        let mut running = LOADS.lock().unwrap_or_else(|e| e.into_inner());
        match self.0 {
            Load::Measures => running.0 -= 1,
            Load::Heavy => running.1 -= 1,
        }
        LOADS_CHANGED.notify_all();
    }
}

/// A context whose DynamoDB is moto's (the stack's moto server serves DynamoDB and S3 too; S3 is
/// moto's on the local target anyway).
pub async fn moto_context() -> Context {
    let config =
        cruddur_ops::config::Config::resolve(
            cruddur_ops::config::Target::Local,
            |name| match name {
                "AWS_ENDPOINT_URL_DYNAMODB" => Some(cognito_url()),
                _ => name
                    .starts_with("CRUDDUR_OPS_")
                    .then(|| std::env::var(name).ok())
                    .flatten(),
            },
        )
        .unwrap();
    Context::new(config).await.unwrap()
}

/// `tool` pointed at moto's DynamoDB.
pub fn on_moto(tool: &str) -> std::process::Command {
    let mut cmd = bin(tool);
    cmd.env("AWS_ENDPOINT_URL_DYNAMODB", cognito_url());
    cmd
}

/// A tool on the prod code path (real AWS's), sent to moto's DynamoDB; no terminal, so prod
/// needs --yes.
pub fn prod_on_moto(name: &str) -> std::process::Command {
    let mut cmd = bin(name);
    cmd.args(["--target", "prod"])
        .env("AWS_ENDPOINT_URL_DYNAMODB", cognito_url())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdin(std::process::Stdio::null());
    cmd
}

/// A table on moto's DynamoDB, dropped (protection off first) when the guard goes.
pub struct MotoTable(pub String);

impl MotoTable {
    /// A name only: the test creates the table (or expects it created).
    pub fn named() -> MotoTable {
        MotoTable(unique("test-s3"))
    }

    /// Created from the shipped definition (point-in-time recovery on).
    pub fn created() -> MotoTable {
        let table = MotoTable::named();
        ok(run(on_moto("schema-load").args(["--table", &table.0])));
        table
    }

    /// `schema-load prod --table` this table `--schema file` with `args`, on moto.
    pub fn schema_load(&self, file: &std::path::Path, args: &[&str]) -> std::process::Output {
        run(prod_on_moto("schema-load")
            .args(["--table", &self.0, "--schema"])
            .arg(file)
            .args(args))
    }
}

impl Drop for MotoTable {
    fn drop(&mut self) {
        let _ = on_moto("drop")
            .args([&self.0, "--if-exists", "--disable-deletion-protection"])
            .output();
    }
}

/// Every tool's clap command, from the registry (`cli::tools::TOOLS`), named as the user types it.
pub fn all_commands() -> Vec<clap::Command> {
    tools::TOOLS.iter().map(|tool| tool.command()).collect()
}
