//! Faults survived: each test starts its own DynamoDB Local or PostgreSQL ([`crate::servers`]),
//! kills or pauses it while a tool works, and checks that the tool fails clearly (or finishes)
//! within a bound and that the data ends complete: never a silent partial result.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cruddur_ops::config::{Config, Target};
use cruddur_ops::context::Context;

use crate::common::*;
use crate::servers::Server;

const NOW: &str = "2026-11-22T10:00:00+00:00";
const TABLE: &str = "fault-messages";

/// A toolkit binary on the private DynamoDB Local `ddb`, with `db` for its users.
fn on(ddb: &Server, db: &TestDb, name: &str) -> Command {
    let mut cmd = bin(name);
    cmd.env("AWS_ENDPOINT_URL_DYNAMODB", ddb.url(""))
        .env("CONNECTION_URL", &db.url)
        .args(["--table", TABLE]);
    cmd
}

/// A tool running in the background. Its stdout and stderr are read as they come (a tool that
/// writes more than a pipe holds, such as a scan of 20,000 items, would otherwise block on its
/// own output and look hung); it is killed when the guard goes.
struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

fn drain(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

fn spawn(cmd: &mut Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the tool");
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let readers = vec![
        drain(child.stdout.take().expect("stdout"), stdout.clone()),
        drain(child.stderr.take().expect("stderr"), stderr.clone()),
    ];
    Running {
        child,
        stdout,
        stderr,
        readers,
    }
}

impl Running {
    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// What it wrote on stderr so far.
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stderr holds `needle`, at most `bound`.
    fn wait_for_stderr(&mut self, needle: &str, bound: Duration) {
        let started = Instant::now();
        while !self.stderr_text().contains(needle) {
            assert!(
                self.is_running(),
                "the tool ended before printing {needle:?}; stderr:\n{}",
                self.stderr_text()
            );
            assert!(
                started.elapsed() < bound,
                "no {needle:?} on stderr in {bound:?}; stderr:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// CPU time (user + system) the process has used so far, from /proc.
    fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<u64> = rest
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
        // USER_HZ is 100 on Linux.
        Duration::from_millis(ticks * 10)
    }

    fn output(mut self) -> Output {
        let status = self.child.wait().expect("wait");
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Output {
            status,
            stdout: std::mem::take(&mut self.stdout.lock().unwrap()),
            stderr: std::mem::take(&mut self.stderr.lock().unwrap()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `running` at most `bound`; panics (after killing it) when it is still running.
fn finish_within(mut running: Running, bound: Duration, what: &str) -> Output {
    let started = Instant::now();
    loop {
        if !running.is_running() {
            return running.output();
        }
        if started.elapsed() > bound {
            let _ = running.child.kill();
            let out = running.output();
            panic!(
                "{what} still running after {bound:?}\nstderr:\n{}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn context(ddb: &Server) -> Context {
    let config = Config::resolve(Target::Local, |key| match key {
        "AWS_ENDPOINT_URL_DYNAMODB" => Some(ddb.url("")),
        _ => None,
    })
    .expect("a local configuration")
    .with_table(Some(TABLE.to_string()));
    Context::new(config).await.expect("a context")
}

/// Items in the table (a consistent COUNT scan).
fn count(ddb: &Server) -> u64 {
    block_on(async {
        let ctx = context(ddb).await;
        let mut total = 0u64;
        let mut start = None;
        loop {
            let page = ctx
                .dynamodb()
                .scan()
                .table_name(TABLE)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("count scan");
            total += page.count as u64;
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return total,
            }
        }
    })
}

/// Waits until the table holds some messages (the writer is under way: the seed's lock item alone
/// does not count).
fn wait_for_items(ddb: &Server, child: &mut Running) {
    let started = Instant::now();
    while count(ddb) < 100 {
        assert!(child.is_running(), "the tool ended before writing anything");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing written in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn dynamodb_killed_during_a_seed_fails_clearly_and_a_rerun_completes() {
    let mut ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    let seed = |ddb: &Server| {
        let mut cmd = on(ddb, &db, "seed");
        cmd.args(["--messages", "20000", "--now", NOW]);
        cmd
    };
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let mut child = spawn(&mut seed(&ddb));
    wait_for_items(&ddb, &mut child);
    ddb.kill();
    let out = finish_within(child, Duration::from_secs(30), "seed after the kill");
    let err = fails(out);
    assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
    assert!(err.contains("written before the error"), "how far: {err}");

    ddb.restart();
    ok(run(&mut on(&ddb, &db, "schema-load")));
    ok(run(&mut seed(&ddb)));
    assert_eq!(count(&ddb), 20_002);
}

#[test]
fn dynamodb_paused_during_a_seed_and_a_scan_both_finish_complete() {
    let ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let mut child = spawn(on(&ddb, &db, "seed").args(["--messages", "20000", "--now", NOW]));
    wait_for_items(&ddb, &mut child);
    ddb.pause();
    std::thread::sleep(Duration::from_secs(10));
    assert!(child.is_running(), "the seed waited");
    ddb.resume();
    ok(finish_within(child, Duration::from_secs(300), "seed"));
    assert_eq!(count(&ddb), 20_002);

    let mut scan = spawn(on(&ddb, &db, "scan").args(["--output", "jsonl"]));
    std::thread::sleep(Duration::from_millis(200));
    ddb.pause();
    std::thread::sleep(Duration::from_secs(10));
    let paused_mid_scan = scan.is_running();
    ddb.resume();
    let out = ok(finish_within(scan, Duration::from_secs(120), "scan"));
    assert!(
        paused_mid_scan,
        "the scan was still running during the pause"
    );
    let keys: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            format!("{} {}", v["pk"], v["sk"])
        })
        .collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), 20_002, "every item");
    assert_eq!(unique.len(), 20_002, "each exactly once");
}

#[test]
fn dynamodb_killed_during_a_scan_is_an_error_never_a_partial_success() {
    let mut ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    ok(run(on(&ddb, &db, "seed").args([
        "--messages",
        "3000",
        "--now",
        NOW,
    ])));
    let mut scan = spawn(on(&ddb, &db, "scan").args(["--output", "jsonl"]));
    // Paused first, so the kill lands while the scan is surely in flight.
    std::thread::sleep(Duration::from_millis(100));
    ddb.pause();
    std::thread::sleep(Duration::from_millis(500));
    assert!(scan.is_running(), "the scan is in flight");
    ddb.kill();
    let out = finish_within(scan, Duration::from_secs(30), "scan after the kill");
    let err = fails(out);
    // The error names the service and its endpoint, and no partial result reached stdout as
    // a success: the exit code says failure.
    assert!(
        err.contains("DynamoDB") && err.contains(&ddb.url("")),
        "{err}"
    );
}

/// The `users` rows of `url`'s database, or the error when it is missing.
fn users(url: &str) -> Result<i64, String> {
    block_on(async {
        let client = cruddur_ops::pg::connect_url(url, &crate::common::local_config())
            .await
            .map_err(|e| format!("{e:#}"))?;
        let row = client
            .query_one("SELECT count(*) FROM users", &[])
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok(row.get(0))
    })
}

fn databases(pg: &Server) -> Vec<String> {
    block_on(async {
        let client =
            cruddur_ops::pg::connect_url(&pg.url("postgres"), &crate::common::local_config())
                .await
                .expect("connect");
        client
            .query("SELECT datname FROM pg_database ORDER BY 1", &[])
            .await
            .expect("list databases")
            .iter()
            .map(|r| r.get(0))
            .collect()
    })
}

#[test]
fn postgres_killed_or_paused_during_db_setup_leaves_the_database_whole() {
    let mut pg = Server::postgres();
    let url = pg.url("cruddur");
    let setup = || {
        let mut cmd = bin("db-setup");
        cmd.arg("local").env("CONNECTION_URL", &url);
        cmd
    };
    ok(run(&mut setup()));
    let complete = users(&url).expect("the first setup");
    assert!(complete >= 2);

    for delay_ms in [0u64, 20, 60, 120, 250, 500] {
        let child = spawn(&mut setup());
        std::thread::sleep(Duration::from_millis(delay_ms));
        pg.kill();
        let _ = finish_within(child, Duration::from_secs(30), "db-setup after the kill");
        pg.restart();
        assert_eq!(
            users(&url),
            Ok(complete),
            "cruddur whole after a kill at {delay_ms} ms"
        );
    }

    // Paused: db-setup waits and finishes.
    let child = spawn(&mut setup());
    std::thread::sleep(Duration::from_millis(50));
    pg.pause();
    std::thread::sleep(Duration::from_secs(3));
    pg.resume();
    ok(finish_within(
        child,
        Duration::from_secs(60),
        "db-setup after the pause",
    ));
    assert_eq!(users(&url), Ok(complete));

    // A database killed while being created the first time: the next run removes the staging
    // database and creates it.
    let fresh = pg.url("fresh");
    let child = spawn(bin("db-setup").arg("local").env("CONNECTION_URL", &fresh));
    std::thread::sleep(Duration::from_millis(150));
    pg.kill();
    let _ = finish_within(child, Duration::from_secs(30), "db-setup after the kill");
    pg.restart();
    ok(run(bin("db-setup")
        .arg("local")
        .env("CONNECTION_URL", &fresh)));
    assert_eq!(users(&fresh), Ok(complete));
    let dbs = databases(&pg);
    assert!(
        !dbs.iter().any(|d| d.contains("rebuild")),
        "no staging database is left: {dbs:?}"
    );
}

// ---- messaging-stream --follow while DynamoDB Local fails ----

/// `send-message` on the private DynamoDB Local; its JSON report.
fn send(ddb: &Server, db: &TestDb, args: &[&str]) -> serde_json::Value {
    let out = ok(run(on(ddb, db, "send-message")
        .args(args)
        .args(["--output", "json"])));
    serde_json::from_slice(&out.stdout).expect("send-message prints JSON")
}

/// The messages of `user`'s conversation rows of `group` (read strongly consistent).
fn conversation_messages(ddb: &Server, user: uuid::Uuid, group: &str) -> Vec<String> {
    use cruddur_ops::ddb::item::{get_s, s};
    use cruddur_ops::model::keys::{Pk, MESSAGE, MESSAGE_GROUP_UUID, PK};
    block_on(async {
        let ctx = context(ddb).await;
        ctx.dynamodb()
            .query()
            .table_name(TABLE)
            .consistent_read(true)
            .key_condition_expression("#pk = :pk")
            .filter_expression("#g = :g")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#g", MESSAGE_GROUP_UUID)
            .expression_attribute_values(":pk", s(Pk::Group(user).to_string()))
            .expression_attribute_values(":g", s(group))
            .send()
            .await
            .expect("query the conversation rows")
            .items()
            .iter()
            .map(|i| get_s(i, MESSAGE).unwrap_or_default().to_string())
            .collect()
    })
}

/// A follower on the private DynamoDB Local, once it reports following the stream.
fn follower(ddb: &Server, db: &TestDb) -> Running {
    let mut running = spawn(on(ddb, db, "messaging-stream").arg("--follow"));
    running.wait_for_stderr("following ", Duration::from_secs(60));
    running
}

#[test]
fn follower_exits_clearly_when_dynamodb_restarts_and_loses_the_stream() {
    let mut ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let first = follower(&ddb, &db);
    // In memory: the restarted server has neither the table nor its stream.
    ddb.restart();
    let out = finish_within(
        first,
        Duration::from_secs(30),
        "the follower after the restart",
    );
    let err = fails(out);
    eprintln!("the follower after the restart: {err}");
    assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
    assert!(err.contains("stream"), "names the stream: {err}");
    assert!(err.lines().count() < 20, "no flood of messages: {err}");

    // The same with the follower stopped (SIGSTOP) across the restart, so that its next request
    // reaches the new, empty server rather than a closed port.
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let second = follower(&ddb, &db);
    let pid = second.child.id().to_string();
    ok(run(Command::new("kill").args(["-STOP", &pid])));
    ddb.restart();
    ok(run(Command::new("kill").args(["-CONT", &pid])));
    let out = finish_within(
        second,
        Duration::from_secs(30),
        "the follower on the new server",
    );
    let err = fails(out);
    eprintln!("the follower on the restarted server: {err}");
    assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
    assert!(err.contains("stream"), "names the stream: {err}");
    assert!(err.lines().count() < 20, "no flood of messages: {err}");
}

#[test]
fn follower_waits_out_a_paused_dynamodb_without_spinning_and_goes_on() {
    let ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let everly = block_on(db.user("everlygrandest")).uuid;
    let bayko = block_on(db.user("bayko")).uuid;
    let mut follower = follower(&ddb, &db);
    let first = send(
        &ddb,
        &db,
        &[
            "--from",
            "everlygrandest",
            "--to",
            "bayko",
            "before the pause",
        ],
    );
    let group = first["message_group_uuid"]
        .as_str()
        .expect("a group")
        .to_string();

    ddb.pause();
    let cpu = follower.cpu_time();
    let lines = follower.stderr_text().lines().count();
    std::thread::sleep(Duration::from_secs(10));
    let used = follower.cpu_time().saturating_sub(cpu);
    let printed = follower.stderr_text().lines().count() - lines;
    ddb.resume();
    // Waiting on the stopped server is not a busy loop, nor a flood of messages.
    assert!(
        used < Duration::from_secs(2),
        "{used:?} of CPU in a 10 s pause"
    );
    assert!(printed < 10, "{printed} lines in a 10 s pause");

    send(
        &ddb,
        &db,
        &["--from", "bayko", "--group", &group, "after the pause"],
    );
    let started = Instant::now();
    loop {
        if !follower.is_running() {
            // Allowed: a clear failure naming the endpoint.
            let err = fails(follower.output());
            assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
            eprintln!("the follower stopped clearly after the pause: {err}");
            return;
        }
        let moved = [everly, bayko]
            .iter()
            .all(|u| conversation_messages(&ddb, *u, &group) == ["after the pause"]);
        if moved {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the follower neither applied the message sent after the pause nor stopped \
             within 30 s; stderr:\n{}",
            follower.stderr_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---- update-cognito-user-ids while PostgreSQL or Cognito fails ----

/// How many users the Cognito-side fault tests sync.
const SYNC_USERS: usize = 2_000;

fn fault_users(count: usize) -> Vec<cruddur_ops::cognito::NewUser> {
    (1..=count)
        .map(|i| cruddur_ops::cognito::NewUser {
            handle: format!("fault{i:05}"),
            email: format!("fault{i:05}@example.com"),
        })
        .collect()
}

/// Runs `sql` on `url`.
fn execute(url: &str, sql: &str) {
    block_on(async {
        let client = cruddur_ops::pg::connect_url(url, &local_config())
            .await
            .expect("connect");
        client.batch_execute(sql).await.expect("the statement");
    })
}

/// How many `users` rows carry a Cognito sub (not `MOCK`).
fn synced(url: &str) -> i64 {
    block_on(async {
        let client = cruddur_ops::pg::connect_url(url, &local_config())
            .await
            .expect("connect");
        client
            .query_one(
                "SELECT count(*) FROM users WHERE cognito_user_id <> 'MOCK'",
                &[],
            )
            .await
            .expect("count synced users")
            .get(0)
    })
}

const UNSYNC: &str = "UPDATE users SET cognito_user_id = 'MOCK'";

/// Runs `cmd` once to completion and returns how long it took.
fn timed(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    ok(run(cmd));
    started.elapsed()
}

#[test]
fn postgres_killed_or_paused_during_a_user_sync_keeps_all_or_nothing() {
    let mut pg = Server::postgres();
    let url = pg.url("cruddur");
    block_on(cruddur_ops::pg::rebuild(
        &url,
        &local_config(),
        cruddur_ops::pg::SCHEMA_SQL,
        cruddur_ops::pg::SEED_SQL,
    ))
    .expect("the database");
    execute(
        &url,
        &format!(
            "INSERT INTO users (display_name, handle, email, cognito_user_id) \
             SELECT 'Fault ' || i, 'fault' || lpad(i::text, 5, '0'), \
                    'fault' || lpad(i::text, 5, '0') || '@example.com', 'MOCK' \
             FROM generate_series(1, {SYNC_USERS}) AS i"
        ),
    );
    // The test's own pool on the shared moto, created concurrently (moto is slow at this).
    let ctx = block_on(clean_local_context());
    let mut pool = TestPool::named();
    pool.id = block_on(cruddur_ops::ops::cognito_setup::setup_local_pool(
        &ctx,
        &pool.name,
        &fault_users(SYNC_USERS),
    ))
    .expect("the test pool and its users")
    .pool_id;
    let sync = || {
        let mut cmd = bin("update-cognito-user-ids");
        cmd.env("CONNECTION_URL", &url)
            .args(["--user-pool-id", &pool.id, "--output", "json"]);
        cmd
    };
    let all = SYNC_USERS as i64;
    let whole = |synced: i64, when: &str| {
        assert!(
            synced == 0 || synced == all,
            "{when}: {synced} of {all} users synced: a partial sync"
        );
    };
    let took = timed(sync().arg("--dry-run"));
    assert_eq!(synced(&url), 0, "a dry run writes nothing");

    // Killed at several points: while Cognito is listed, around the transaction, after it.
    for fraction in [0.5, 0.9, 1.0, 1.1, 1.3] {
        let delay = took.mul_f64(fraction);
        let running = spawn(&mut sync());
        std::thread::sleep(delay);
        pg.kill();
        let out = finish_within(running, Duration::from_secs(30), "the sync after the kill");
        pg.restart();
        let now = synced(&url);
        eprintln!(
            "sync killed after {delay:?}: exit {:?}, {now} of {all} synced",
            out.status.code()
        );
        whole(now, &format!("killed after {delay:?}"));
        if out.status.success() {
            assert_eq!(now, all, "a sync that succeeded wrote everything");
        } else {
            let err = stderr(&out);
            assert!(err.contains("PostgreSQL") || err.contains("users"), "{err}");
        }
        execute(&url, UNSYNC);
    }

    // Stopped before the sync reaches it, so the sync surely waits on it; then killed: the
    // sync fails and nothing is written.
    pg.pause();
    let mut running = spawn(&mut sync());
    std::thread::sleep(took + Duration::from_secs(2));
    assert!(running.is_running(), "the sync waits on the paused server");
    pg.kill();
    let out = finish_within(running, Duration::from_secs(30), "the sync after the kill");
    pg.restart();
    fails(out);
    assert_eq!(synced(&url), 0, "the killed sync left nothing");
    execute(&url, UNSYNC);

    // Paused for less than the timeout: the sync waits and completes.
    let running = spawn(&mut sync());
    std::thread::sleep(took.mul_f64(0.9));
    pg.pause();
    std::thread::sleep(Duration::from_secs(3));
    pg.resume();
    ok(finish_within(
        running,
        Duration::from_secs(60),
        "the sync after the pause",
    ));
    assert_eq!(synced(&url), all);
    execute(&url, UNSYNC);

    // Paused for longer than the timeout, before the sync reaches it: the sync gives up within
    // its bound, says so, and writes nothing.
    pg.pause();
    let running = spawn(sync().env("CRUDDUR_OPS_TIMEOUT_SECS", "3"));
    let out = finish_within(running, Duration::from_secs(30), "the sync while paused");
    pg.resume();
    let err = fails(out);
    assert!(err.contains("within 3 s"), "{err}");
    assert_eq!(synced(&url), 0, "the sync that gave up wrote nothing");
}

#[test]
fn cognito_killed_while_users_are_listed_writes_nothing() {
    let mut moto = Server::moto();
    let db = block_on(TestDb::seeded());
    let cognito = moto.url("");
    let ctx = block_on(async {
        let config = Config::resolve(Target::Local, |key| match key {
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER" => Some(cognito.clone()),
            _ => None,
        })
        .expect("a local configuration");
        Context::new(config).await.expect("a context")
    });
    // The seed's handles (so a completed sync would write) and enough others for many pages.
    let mut users = fault_users(1_000);
    for handle in [
        "everlygrandest",
        "bayko",
        "inesokafor",
        "tomaslind",
        "meitanaka",
    ] {
        users.push(cruddur_ops::cognito::NewUser {
            handle: handle.to_string(),
            email: format!("{handle}@example.com"),
        });
    }
    let pool_id = block_on(cruddur_ops::ops::cognito_setup::setup_local_pool(
        &ctx,
        "fault-pool",
        &users,
    ))
    .expect("the pool")
    .pool_id;
    let sync = || {
        let mut cmd = bin("update-cognito-user-ids");
        cmd.env("CONNECTION_URL", &db.url)
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &cognito)
            .args(["--user-pool-id", &pool_id]);
        cmd
    };
    let took = timed(sync().arg("--dry-run"));
    assert_eq!(synced(&db.url), 0);

    // Stop moto part-way through the listing; a sync still running a second later is waiting on
    // a ListUsers page (the database part takes milliseconds). Try earlier until one is caught.
    let mut delay = took / 2;
    let out = loop {
        let mut running = spawn(&mut sync());
        std::thread::sleep(delay);
        moto.pause();
        std::thread::sleep(Duration::from_secs(1));
        if running.is_running() {
            moto.kill();
            break finish_within(running, Duration::from_secs(30), "the sync after the kill");
        }
        moto.resume();
        let _ = running.output();
        execute(&db.url, UNSYNC);
        assert!(
            delay > Duration::ZERO,
            "never caught the sync while it listed users"
        );
        delay /= 2;
        if delay < Duration::from_millis(20) {
            delay = Duration::ZERO;
        }
    };
    let err = fails(out);
    assert!(err.contains(&cognito), "names the Cognito endpoint: {err}");
    assert!(err.contains("Cognito"), "{err}");
    assert_eq!(synced(&db.url), 0, "nothing was written to PostgreSQL");
}
