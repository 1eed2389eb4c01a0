//! Faults survived: each test starts its own DynamoDB Local, moto or PostgreSQL
//! ([`crate::servers`]), kills or pauses it while a tool works, and checks that the tool fails
//! clearly (or finishes) and that the data ends complete: never a silent partial result.
//!
//! No test relies on the clock to know where the tool is. A fault lands at a point the test
//! observes: the server is paused (every thread stopped, [`Server::pause`]) and then the tool is
//! seen waiting on it, with a request sent and no byte of answer ([`unanswered`]). From there the
//! tool cannot finish without the server, so a kill must make it fail and a resume must let it
//! finish, after the resume. [`pause_at_request`] walks a tool through its requests one at a
//! time, so that kills land at many distinct points of its work, in order, on any machine.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cruddur_ops::config::{Config, Target, DEFAULT_TIMEOUT};
use cruddur_ops::context::Context;

use crate::common::*;
use crate::servers::{freeze, poll_until, thaw, unanswered, wait_until, Nap, Server, Unanswered};

const NOW: &str = "2026-11-22T10:00:00+00:00";
const TABLE: &str = "fault-messages";

/// How long a paused server stays paused once the tool is seen waiting on it: a tenth of the
/// tool's own per-request timeout, so the pause is far longer than any request takes here
/// (milliseconds on loopback) and far inside the timeout, which the tool must wait out. Nothing
/// is inferred from this span: the tests assert what the tool did before and after it.
const STALL: Duration = Duration::from_secs(DEFAULT_TIMEOUT.as_secs() / 10);

/// How long to wait, once the server is paused, for the tool to show a request it waits on.
/// A tool that is working (formatting a page, say) sends its next request within this; a tool
/// that was paused in the middle of receiving an answer waits for the rest, which a stopped
/// server never sends: after this the server is resumed and the catch tried again. Only speed
/// depends on it, never what a test proves.
const CATCH_WAIT: Duration = Duration::from_secs(2);

/// The most a tool's run may take here, however loaded the machine (a bound for failing
/// clearly, never a wait).
const BOUND: Duration = Duration::from_secs(90);

/// Messages the DynamoDB fault tests seed: 80 BatchWriteItem calls, many more than are ever in
/// flight at once, so the seed is surely mid-way while it has written anything but all of them.
const SEED_MESSAGES: u64 = 2_000;

/// Large items added to a table so that a scan of it takes many pages (DynamoDB ends a page at
/// 1 MB): [`FILLER_ITEMS`] of [`FILLER_BYTES`] make about a dozen, several times what a scan
/// holds at once (the page it writes, one waiting, one being read).
const FILLER_ITEMS: usize = 60;
const FILLER_BYTES: usize = 200_000;

/// A toolkit binary on the private DynamoDB Local `ddb`, with `db` for its users.
fn on(ddb: &Server, db: &TestDb, name: &str) -> Command {
    let mut cmd = on_table(ddb, name);
    cmd.env("CONNECTION_URL", &db.url);
    cmd
}

/// A toolkit binary on the private DynamoDB Local `ddb` (no PostgreSQL).
fn on_table(ddb: &Server, name: &str) -> Command {
    let mut cmd = bin(name);
    cmd.env("AWS_ENDPOINT_URL_DYNAMODB", ddb.url(""))
        .args(["--table", TABLE]);
    cmd
}

/// A tool running in the background. Its stdout and stderr are read as they come (a tool that
/// writes more than a pipe holds, such as a scan of many items, would otherwise block on its
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

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote on stderr so far.
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Whether it has written a whole line on stdout yet.
    fn has_written_a_line(&self) -> bool {
        self.stdout.lock().unwrap().contains(&b'\n')
    }

    /// Waits until `cond` holds, failing if the tool ends first or `BOUND` passes.
    #[track_caller]
    fn wait_while_running(&mut self, what: &str, mut cond: impl FnMut(&Running) -> bool) {
        let started = Instant::now();
        let mut nap = Nap::default();
        while !cond(self) {
            assert!(
                self.is_running(),
                "the tool ended before {what}; stderr:\n{}",
                self.stderr_text()
            );
            assert!(
                started.elapsed() < BOUND,
                "not {what} in {BOUND:?}; stderr:\n{}",
                self.stderr_text()
            );
            nap.take();
        }
    }

    /// Waits until stderr holds `needle`.
    fn wait_for_stderr(&mut self, needle: &str) {
        self.wait_while_running(&format!("printing {needle:?}"), |r| {
            r.stderr_text().contains(needle)
        });
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
    let mut nap = Nap::default();
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
        nap.take();
    }
}

/// Walks `tool` through its requests to `server`, one at a time: pauses the server, waits until
/// the tool is seen waiting on it with a request it had not sent at the previous step (requests
/// are told apart by connection and bytes sent), and, to go on, freezes the tool, lets the server
/// answer, pauses the server again and thaws the tool, which can then send only its next
/// request. Returns at step `steps` with the server paused and the tool waiting on it (true), or
/// with the server running once the tool has ended before that step (false).
fn pause_at_request(server: &Server, tool: &mut Running, steps: usize) -> bool {
    let started = Instant::now();
    let pid = tool.pid();
    let mut before: BTreeSet<Unanswered> = BTreeSet::new();
    let mut step = 0;
    server.pause();
    loop {
        assert!(
            started.elapsed() < BOUND,
            "could not catch the tool at its request {} in {BOUND:?}; stderr:\n{}",
            step + 1,
            tool.stderr_text()
        );
        let mut waits = BTreeSet::new();
        let caught = poll_until(CATCH_WAIT, || {
            waits = unanswered(pid, server.port);
            waits.iter().any(|w| !before.contains(w)) || !tool.is_running()
        });
        if !tool.is_running() {
            server.resume();
            return false;
        }
        if caught {
            step += 1;
            if step == steps {
                return true;
            }
            before = waits;
        }
        freeze(pid);
        server.resume();
        wait_until(BOUND, "the server to answer the frozen tool", || {
            unanswered(pid, server.port).is_empty()
        });
        server.pause();
        thaw(pid);
    }
}

/// Starts `cmd` with `server` already paused, so that [`pause_at_request`] catches it at its
/// very first request: a tool started first could finish (or get past its first requests) before
/// the pause lands, as db-setup did once its sign-in to PostgreSQL got fast.
fn spawn_held(server: &Server, cmd: &mut Command) -> Running {
    server.pause();
    spawn(cmd)
}

/// Pauses `server` once `tool` is seen waiting on it: the tool is then surely mid-way, unable to
/// finish until the server answers. Fails when the tool ends first.
#[track_caller]
fn pause_while_waited_on(server: &Server, tool: &mut Running) {
    assert!(
        pause_at_request(server, tool, 1),
        "the tool ended before it could be caught waiting on the server; stderr:\n{}",
        tool.stderr_text()
    );
}

/// Holds the paused `server` for [`STALL`] and resumes it, checking that `tool` waited all along
/// on the very requests it was caught on: it neither gave up, nor retried, nor ended.
fn stall_then_resume(server: &Server, tool: &mut Running) {
    let caught = unanswered(tool.pid(), server.port);
    std::thread::sleep(STALL);
    let now = unanswered(tool.pid(), server.port);
    assert!(
        !caught.is_empty() && caught.is_subset(&now),
        "the tool still waits on the requests it was caught on ({caught:?}, now {now:?}); \
         stderr:\n{}",
        tool.stderr_text()
    );
    assert!(tool.is_running(), "the tool waits for the paused server");
    server.resume();
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

/// Adds [`FILLER_ITEMS`] large items (`pk = FILL#i`) to the table.
fn fill(ddb: &Server) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use cruddur_ops::ddb::item::s;
    block_on(async {
        let ctx = context(ddb).await;
        let payload = "x".repeat(FILLER_BYTES);
        let mut requests: Vec<WriteRequest> = (0..FILLER_ITEMS)
            .map(|i| {
                let put = PutRequest::builder()
                    .item("pk", s(format!("FILL#{i}")))
                    .item("sk", s("filler"))
                    .item("payload", s(&payload))
                    .build()
                    .expect("a put request");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        while !requests.is_empty() {
            let batch: Vec<WriteRequest> = requests.drain(..requests.len().min(25)).collect();
            let out = ctx
                .dynamodb()
                .batch_write_item()
                .request_items(TABLE, batch)
                .send()
                .await
                .expect("write the filler items");
            if let Some(left) = out.unprocessed_items.and_then(|mut m| m.remove(TABLE)) {
                requests.extend(left);
            }
        }
    })
}

/// Waits until the seed `tool` has written a message: the table holds more than the seed's lock
/// item and `base` items from before.
fn wait_for_a_message(ddb: &Server, tool: &mut Running, base: u64) {
    tool.wait_while_running("writing a message", |_| count(ddb) > base + 1);
}

/// A seed of [`SEED_MESSAGES`] messages on `ddb`.
fn seed(ddb: &Server, db: &TestDb) -> Command {
    let mut cmd = on(ddb, db, "seed");
    cmd.args(["--messages", &SEED_MESSAGES.to_string(), "--now", NOW]);
    cmd
}

/// Killed while the seed waits on DynamoDB, mid-way through its writes: the seed fails, naming
/// the endpoint and how far it got, and a second run completes the table (every message and both
/// conversation rows, nothing twice).
#[test]
fn dynamodb_killed_during_a_seed_fails_clearly_and_a_rerun_completes() {
    let mut ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let mut child = spawn(&mut seed(&ddb, &db));
    wait_for_a_message(&ddb, &mut child, 0);
    pause_while_waited_on(&ddb, &mut child);
    ddb.kill();
    let out = finish_within(child, BOUND, "seed after the kill");
    let err = fails(out);
    assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
    assert!(err.contains("written before the error"), "how far: {err}");

    ddb.restart();
    ok(run(&mut on(&ddb, &db, "schema-load")));
    ok(run(&mut seed(&ddb, &db)));
    assert_eq!(count(&ddb), SEED_MESSAGES + 2);
}

/// DynamoDB paused while a seed waits on it mid-way, then while a scan waits on it mid-way (it
/// has written items and has pages to go): each waits the pause out on the request it was caught
/// on and, after the resume, finishes complete: every item written, and scanned exactly once.
#[test]
fn dynamodb_paused_during_a_seed_and_a_scan_both_finish_complete() {
    let ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let mut child = spawn(&mut seed(&ddb, &db));
    wait_for_a_message(&ddb, &mut child, 0);
    pause_while_waited_on(&ddb, &mut child);
    stall_then_resume(&ddb, &mut child);
    ok(finish_within(child, BOUND, "seed"));
    assert_eq!(count(&ddb), SEED_MESSAGES + 2);

    fill(&ddb);
    let total = SEED_MESSAGES + 2 + FILLER_ITEMS as u64;
    let mut scan = spawn(on_table(&ddb, "scan").args(["--output", "jsonl"]));
    scan.wait_while_running("writing an item", Running::has_written_a_line);
    pause_while_waited_on(&ddb, &mut scan);
    stall_then_resume(&ddb, &mut scan);
    let out = ok(finish_within(scan, BOUND, "scan"));
    let keys: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            format!("{} {}", v["pk"], v["sk"])
        })
        .collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(keys.len() as u64, total, "every item");
    assert_eq!(unique.len() as u64, total, "each exactly once");
}

/// DynamoDB killed while a scan waits on it mid-way, after it has printed items: the scan exits
/// with an error naming the service and its endpoint; what it printed is never passed off as a
/// whole table.
#[test]
fn dynamodb_killed_during_a_scan_is_an_error_never_a_partial_success() {
    let mut ddb = Server::dynamodb();
    ok(run(&mut on_table(&ddb, "schema-load")));
    fill(&ddb);
    let mut scan = spawn(on_table(&ddb, "scan").args(["--output", "jsonl"]));
    scan.wait_while_running("writing an item", Running::has_written_a_line);
    pause_while_waited_on(&ddb, &mut scan);
    ddb.kill();
    let out = finish_within(scan, BOUND, "scan after the kill");
    let printed = stdout(&out).lines().count();
    let err = fails(out);
    assert!(
        printed > 0 && printed < FILLER_ITEMS,
        "part of the table was printed: {printed} items"
    );
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

/// Every how many requests to PostgreSQL a kill sweep kills the tool (1: at every one).
const SWEEP_STRIDE: usize = 3;

/// PostgreSQL killed while db-setup waits on it, at one request after another (from connecting
/// to the commit): the database is whole every time, the old one or the new one. Paused while it
/// waits: db-setup waits and finishes. Killed while a database is first created under its
/// staging name: the next run removes the staging database and creates it.
#[test]
fn postgres_killed_or_paused_during_db_setup_leaves_the_database_whole() {
    let mut pg = Server::postgres();
    let url = pg.url("cruddur");
    let setup = |url: &str| {
        let mut cmd = bin("db-setup");
        cmd.arg("local").env("CONNECTION_URL", url);
        cmd
    };
    ok(run(&mut setup(&url)));
    let complete = users(&url).expect("the first setup");
    assert!(complete >= 2);

    let mut kills = 0;
    for step in (1..).step_by(SWEEP_STRIDE) {
        let mut child = spawn_held(&pg, &mut setup(&url));
        if !pause_at_request(&pg, &mut child, step) {
            ok(child.output());
            break;
        }
        pg.kill();
        let out = finish_within(child, BOUND, "db-setup after the kill");
        fails(out);
        pg.restart();
        assert_eq!(
            users(&url),
            Ok(complete),
            "cruddur whole after a kill at request {step}"
        );
        kills += 1;
    }
    assert!(kills >= 4, "killed at {kills} points only");

    // Paused while it waits (past connecting): db-setup waits and finishes.
    let mut child = spawn_held(&pg, &mut setup(&url));
    assert!(pause_at_request(&pg, &mut child, 4), "db-setup ended early");
    stall_then_resume(&pg, &mut child);
    ok(finish_within(child, BOUND, "db-setup after the pause"));
    assert_eq!(users(&url), Ok(complete));

    // A database killed while being created the first time, at one request after another until a
    // kill leaves its staging database: the next run removes it and creates the database.
    let fresh = pg.url("fresh");
    let staging = "fresh__rebuild".to_string();
    let mut step = 1;
    loop {
        let mut child = spawn_held(&pg, &mut setup(&fresh));
        assert!(
            pause_at_request(&pg, &mut child, step),
            "db-setup created the database before a kill left its staging database"
        );
        pg.kill();
        fails(finish_within(child, BOUND, "db-setup after the kill"));
        pg.restart();
        let dbs = databases(&pg);
        assert!(!dbs.contains(&"fresh".to_string()), "{dbs:?}");
        if dbs.contains(&staging) {
            break;
        }
        step += 1;
    }
    ok(run(&mut setup(&fresh)));
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
    use cruddur_ops::ddb::item::get_s;
    use cruddur_ops::model::keys::MESSAGE;
    block_on(async {
        let ctx = context(ddb).await;
        crate::stream::rows_of(&ctx, user, group)
            .await
            .iter()
            .map(|i| get_s(i, MESSAGE).unwrap_or_default().to_string())
            .collect()
    })
}

/// A follower on the private DynamoDB Local, once it reports following the stream.
fn follower(ddb: &Server, db: &TestDb) -> Running {
    let mut running = spawn(on(ddb, db, "messaging-stream").arg("--follow"));
    running.wait_for_stderr("following ");
    running
}

/// DynamoDB restarted (in memory: the new server has neither the table nor its stream) under a
/// running follower, then under a follower stopped across the restart (so that its next request
/// reaches the new, empty server): each exits with a short error naming the endpoint and the
/// stream.
#[test]
fn follower_exits_clearly_when_dynamodb_restarts_and_loses_the_stream() {
    let mut ddb = Server::dynamodb();
    let db = block_on(TestDb::seeded());
    ok(run(&mut on(&ddb, &db, "schema-load")));
    let first = follower(&ddb, &db);
    // In memory: the restarted server has neither the table nor its stream.
    ddb.restart();
    let out = finish_within(first, BOUND, "the follower after the restart");
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
    wait_until(BOUND, "the follower to stop", || {
        crate::servers::stopped(second.pid())
    });
    ddb.restart();
    ok(run(Command::new("kill").args(["-CONT", &pid])));
    let out = finish_within(second, BOUND, "the follower on the new server");
    let err = fails(out);
    eprintln!("the follower on the restarted server: {err}");
    assert!(err.contains(&ddb.url("")), "names the endpoint: {err}");
    assert!(err.contains("stream"), "names the stream: {err}");
    assert!(err.lines().count() < 20, "no flood of messages: {err}");
}

/// DynamoDB paused while the follower waits on it: the follower waits on the very request it was
/// caught on for the whole pause (no retries, no busy loop, no flood of messages), and after the
/// resume it goes on: it applies a message sent then.
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

    pause_while_waited_on(&ddb, &mut follower);
    let cpu = follower.cpu_time();
    let lines = follower.stderr_text().lines().count();
    stall_then_resume(&ddb, &mut follower);
    let used = follower.cpu_time().saturating_sub(cpu);
    let printed = follower.stderr_text().lines().count() - lines;
    // Waiting on the stopped server is not a busy loop (a quarter of one core at most: a loop
    // that polls takes all of it), nor a flood of messages.
    assert!(used < STALL / 4, "{used:?} of CPU in a {STALL:?} pause");
    assert!(printed < 10, "{printed} lines in a {STALL:?} pause");

    send(
        &ddb,
        &db,
        &["--from", "bayko", "--group", &group, "after the pause"],
    );
    follower.wait_while_running("applying the message sent after the pause", |_| {
        [everly, bayko]
            .iter()
            .all(|u| conversation_messages(&ddb, *u, &group) == ["after the pause"])
    });
}

// ---- update-cognito-user-ids while PostgreSQL or Cognito fails ----

/// How many users the Cognito-side fault tests sync: several ListUsers pages (60 users each).
const SYNC_USERS: usize = 300;

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

/// PostgreSQL killed while the sync waits on it, at one request after another (from connecting
/// to the commit): the sync fails naming PostgreSQL, and the users are all synced (a commit the
/// server applied before it died) or none. Paused while it waits: it waits and completes.
/// Paused for longer than the timeout: it gives up within its bound, says so, and writes nothing.
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
    // The test's own pool on the shared moto.
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
    assert_eq!(synced(&url), 0);

    let mut kills = 0;
    for step in (1..).step_by(SWEEP_STRIDE) {
        let mut running = spawn_held(&pg, &mut sync());
        if !pause_at_request(&pg, &mut running, step) {
            ok(running.output());
            assert_eq!(synced(&url), all, "a sync that succeeded wrote everything");
            execute(&url, UNSYNC);
            break;
        }
        pg.kill();
        let out = finish_within(running, BOUND, "the sync after the kill");
        pg.restart();
        let now = synced(&url);
        eprintln!("sync killed at its request {step}: {now} of {all} synced");
        let err = fails(out);
        // Before the transaction the error names PostgreSQL and its endpoint; inside it too
        // (tokio-postgres only says "connection closed").
        assert!(
            err.contains("PostgreSQL postgres@127.0.0.1:"),
            "names the database: {err}"
        );
        assert!(
            now == 0 || now == all,
            "killed at its request {step}: {now} of {all} users synced: a partial sync"
        );
        execute(&url, UNSYNC);
        kills += 1;
    }
    assert!(kills >= 3, "killed at {kills} points only");

    // Paused while it waits (past connecting): the sync waits and completes.
    let mut running = spawn_held(&pg, &mut sync());
    assert!(
        pause_at_request(&pg, &mut running, 4),
        "the sync ended early"
    );
    stall_then_resume(&pg, &mut running);
    ok(finish_within(running, BOUND, "the sync after the pause"));
    assert_eq!(synced(&url), all);
    execute(&url, UNSYNC);

    // Paused for longer than the timeout, before the sync reaches it: the sync gives up within
    // its bound, says so, and writes nothing.
    pg.pause();
    let running = spawn(sync().env("CRUDDUR_OPS_TIMEOUT_SECS", "3"));
    let out = finish_within(running, BOUND, "the sync while paused");
    pg.resume();
    let err = fails(out);
    assert!(err.contains("within 3 s"), "{err}");
    assert_eq!(synced(&url), 0, "the sync that gave up wrote nothing");
}

/// Cognito killed while the sync waits on its third request (the listing is mid-way: there are
/// six ListUsers pages): the sync fails naming Cognito and its endpoint, and nothing is written
/// to PostgreSQL.
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
    let mut users = fault_users(SYNC_USERS);
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
    assert_eq!(synced(&db.url), 0);

    let mut running = spawn_held(&moto, &mut sync());
    assert!(
        pause_at_request(&moto, &mut running, 3),
        "the sync ended before its third request to Cognito"
    );
    moto.kill();
    let out = finish_within(running, BOUND, "the sync after the kill");
    let err = fails(out);
    assert!(err.contains(&cognito), "names the Cognito endpoint: {err}");
    assert!(err.contains("Cognito"), "{err}");
    assert_eq!(synced(&db.url), 0, "nothing was written to PostgreSQL");
}

/// DynamoDB killed while a seed-style lock is held: no renewal gets through, so when the lease
/// ends its holder is stopped with a `LostLock` that says the lease ran out and carries the last
/// renewal's error (naming the lock and the endpoint) as its cause.
#[test]
fn a_lock_whose_server_is_killed_is_lost_when_its_lease_ends_with_the_renewal_error() {
    use cruddur_ops::ddb::lock::{self, Lost, LostLock};
    let mut ddb = Server::dynamodb();
    ok(run(&mut on_table(&ddb, "schema-load")));
    block_on(async {
        let ctx = context(&ddb).await;
        let lease = lock::acquire(&ctx, TABLE, "renewal", "the test", Duration::from_secs(3))
            .await
            .expect("take the lock");
        ddb.kill();
        let err = tokio::time::timeout(
            BOUND,
            lease.guard(std::future::pending::<anyhow::Result<()>>()),
        )
        .await
        .expect("the holder learns that its lock is lost")
        .expect_err("work under a lost lock fails");
        let lost = err.downcast_ref::<LostLock>().expect("a LostLock");
        assert!(
            matches!(
                lost.why(),
                Lost::RanOut {
                    last_error: Some(_)
                }
            ),
            "{err:#}"
        );
        let text = format!("{err:#}");
        assert!(text.contains("lease ran out"), "{text}");
        assert!(text.contains("renewing the lock LOCK#renewal"), "{text}");
        assert!(
            text.contains(&ddb.port.to_string()),
            "names the endpoint: {text}"
        );
    });
}
