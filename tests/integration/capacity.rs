//! The capacity budget, tried through a throttling front of our own (`throttle_front.py`): it
//! forwards to DynamoDB Local and throttles as DynamoDB does at the table's provisioned rate
//! (token buckets holding one second, `UnprocessedItems`, `ProvisionedThroughputExceededException`),
//! while a stand-in for the live app draws 30% of the capacity.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common::*;
use crate::servers::{free_port, PythonServer};

const FRONT: &str = include_str!("throttle_front.py");

/// The front, with the app drawing `app_share` of each table's capacity.
pub struct Front {
    _server: PythonServer,
    url: String,
}

impl Front {
    pub fn start(app_share: f64) -> Front {
        let port = free_port();
        let server =
            PythonServer::start(FRONT, &[port.to_string(), ddb_url(), app_share.to_string()]);
        Front {
            _server: server,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `name` on prod, its DynamoDB requests going through the front.
    pub fn prod(&self, name: &str) -> Command {
        let mut cmd = bin(name);
        cmd.arg("prod")
            .env("AWS_ENDPOINT_URL_DYNAMODB", &self.url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        cmd
    }

    /// What the front counted, for `table`: its stats and the app's.
    pub fn stats(&self, table: &str) -> (Value, Value) {
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(address).expect("the front answers");
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        conn.write_all(b"GET /stats HTTP/1.0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut raw = String::new();
        conn.read_to_string(&mut raw).unwrap();
        let body = raw.split_once("\r\n\r\n").expect("an HTTP answer").1;
        let doc: Value = serde_json::from_str(body).expect("the front's stats");
        (doc["tables"][table].clone(), doc["app"].clone())
    }
}

/// A table like the shipped one without its stream, provisioned at `units` for reads and writes
/// (table and index).
pub fn provisioned_table(units: u32, files: &Scratch) -> TestTable {
    let mut schema: Value =
        serde_json::from_str(include_str!("../../seeds/messages-table.json")).unwrap();
    let pt = serde_json::json!({"ReadCapacityUnits": units, "WriteCapacityUnits": units});
    schema["ProvisionedThroughput"] = pt.clone();
    schema["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = pt;
    // No stream: these tables take thousands of writes, and DynamoDB Local answers every write
    // to a stream-enabled table more slowly the more stream records it holds (the rates these
    // tests assert would then measure the server).
    schema
        .as_object_mut()
        .unwrap()
        .remove("StreamSpecification");
    let path = files.write("schema.json", &schema.to_string());
    let table = TestTable::new();
    ok(run(bin("schema-load")
        .args(["--table", &table.name, "--schema"])
        .arg(&path)));
    table
}

/// A table provisioned at `units` holding `count` items of [`export_lines`], imported on local.
pub fn loaded_table(units: u32, count: usize, files: &Scratch) -> TestTable {
    let table = provisioned_table(units, files);
    let input = files.write("in.jsonl", &export_lines(count));
    ok(run(bin("table-import")
        .args(["--table", &table.name, "--file"])
        .arg(&input)));
    table
}

/// A scratch folder, removed when the guard goes.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(unique("capacity"));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `count` export lines of messages of about 600 bytes (one write unit each).
pub fn export_lines(count: usize) -> String {
    let text = "x".repeat(500);
    (0..count)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"MSG#g{}\"}},\"sk\":{{\"S\":\"2026-11-22T10:00:{:02}.{i:06}+00:00\"}},\"message\":{{\"S\":\"{text}\"}}}}}}\n",
                i % 7,
                i % 60
            )
        })
        .collect()
}

/// Units per second between the front's first and last accepted request: the units of every
/// request after the first, over the time since the first (the first request's units were paid
/// before that time began).
fn achieved_rate(stats: &Value) -> f64 {
    let span = stats["last"].as_f64().unwrap() - stats["first"].as_f64().unwrap();
    let after_first = stats["consumed"].as_f64().unwrap() - stats["first_units"].as_f64().unwrap();
    after_first / span.max(1e-3)
}

pub fn count_items(table: &TestTable) -> usize {
    let out = ok(run(bin("scan").args([
        "--table",
        &table.name,
        "--output",
        "jsonl",
    ])));
    stdout(&out).lines().count()
}

#[test]
fn import_prod_stays_inside_its_budget_and_leaves_the_app_its_share() {
    let _alone = exclusive(Load::Measures);
    let files = Scratch::new();
    // 200 WCU provisioned: the default share is half, 100 WCU/s; the app draws 30% (60/s).
    // (At 100 WCU/s, 8 batches of 25 in flight keep up while DynamoDB Local answers a batch
    // within 2 s, even on a machine busy with other tests.)
    let table = provisioned_table(200, &files);
    let front = Front::start(0.3);
    let input = files.write("in.jsonl", &export_lines(1_000));
    let out = ok(run(front
        .prod("table-import")
        .args([
            "--table",
            &table.name,
            "--yes",
            "--output",
            "json",
            "--file",
        ])
        .arg(&input)));
    let err = stderr(&out);
    assert!(err.contains("imported 1000 items"), "{err}");
    assert!(err.contains("budget 100 WCU/s"), "names the budget: {err}");
    // --output json: the same figures on stdout.
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["tool"], "table-import", "{summary}");
    assert_eq!(summary["items"], 1_000, "{summary}");
    assert_eq!(summary["direction"], "write", "{summary}");
    assert_eq!(summary["budget"]["units"], 100.0, "{summary}");
    assert_eq!(summary["consumed_units"], 1_000.0, "{summary}");
    let per_second = summary["units_per_second"].as_f64().unwrap();
    assert!(per_second <= 110.0, "{summary}");

    let (stats, app) = front.stats(&table.name);
    let write = &stats["write"];
    let rate = achieved_rate(write);
    assert!(
        (90.0..=110.0).contains(&rate),
        "wrote at {rate:.1} WCU/s against a budget of 100: {write}"
    );
    let (written, bounced) = (
        write["written"].as_f64().unwrap(),
        write["bounced"].as_f64().unwrap(),
    );
    assert_eq!(written, 1_000.0, "every item written once: {write}");
    assert!(bounced / written <= 0.05, "bounced {bounced}: {write}");
    let denied = app["denied"].as_f64().unwrap() / app["asked"].as_f64().unwrap();
    assert!(
        denied < 0.02,
        "the app was denied {:.1}%: {app}",
        denied * 100.0
    );
    assert_eq!(count_items(&table), 1_000);
}

#[test]
fn export_prod_reads_inside_its_budget() {
    let _alone = exclusive(Load::Measures);
    let files = Scratch::new();
    let table = loaded_table(400, 2_000, &files);
    let front = Front::start(0.3);
    let exported = files.dir.join("out.jsonl");
    let out = ok(run(front
        .prod("table-export")
        .args(["--table", &table.name, "--max-rcu", "20", "--file"])
        .arg(&exported)));
    assert!(stderr(&out).contains("budget 20 RCU/s"), "{}", stderr(&out));
    let lines = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(lines.lines().count(), 2_000);

    let (stats, app) = front.stats(&table.name);
    let read = &stats["read"];
    let rate = achieved_rate(read);
    assert!(
        (16.0..=22.0).contains(&rate),
        "read at {rate:.1} RCU/s against a budget of 20: {read}"
    );
    assert_eq!(read["throttled"], 0, "{read}");
    let denied = app["denied"].as_f64().unwrap() / app["asked"].as_f64().unwrap();
    assert!(
        denied < 0.02,
        "the app was denied {:.1}%: {app}",
        denied * 100.0
    );
}

#[test]
fn an_app_spike_slows_the_import_down_and_nothing_is_lost() {
    let _alone = exclusive(Load::Measures);
    let files = Scratch::new();
    // The app takes 80% and the job asks for its default half: DynamoDB throttles, the job
    // backs off (AIMD) and every item still lands exactly once.
    let table = provisioned_table(200, &files);
    let front = Front::start(0.8);
    let input = files.write("in.jsonl", &export_lines(600));
    let out = ok(run(front
        .prod("table-import")
        .args(["--table", &table.name, "--yes", "--file"])
        .arg(&input)));
    assert!(
        stderr(&out).contains("imported 600 items"),
        "{}",
        stderr(&out)
    );
    let (stats, _) = front.stats(&table.name);
    assert_eq!(stats["write"]["written"], 600, "{stats}");
    // (It was throttled: otherwise this test would not be about a spike.)
    let pushed_back =
        stats["write"]["bounced"].as_u64().unwrap() + stats["write"]["throttled"].as_u64().unwrap();
    assert!(pushed_back > 0, "{stats}");
    assert_eq!(count_items(&table), 600);
}

/// `prod`, its DynamoDB requests through `front`, Cognito on the local stack's moto and
/// PostgreSQL on `db` (as `PROD_CONNECTION_URL`).
fn prod_with_stores(front: &Front, name: &str, table: &TestTable, db: &TestDb) -> Command {
    let mut cmd = front.prod(name);
    cmd.args(["--table", &table.name])
        .env("PROD_CONNECTION_URL", &db.url)
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cognito_url());
    cmd
}

/// Asserts that `stats` (one direction of the front's counters for a table) kept within 10% of
/// `budget` units a second (plus the bucket's one second of burst), and that the app was denied less than 2% of what it asked.
#[track_caller]
fn inside_budget(stats: &Value, app: &Value, budget: f64) {
    let rate = achieved_rate(stats);
    // The bucket holds one second of budget (ddb::capacity::BURST), which a job of a few
    // seconds may spend on top of its rate: allowed for above the 10%.
    let span = stats["last"].as_f64().unwrap() - stats["first"].as_f64().unwrap();
    let burst = budget * cruddur_ops::ddb::capacity::BURST.as_secs_f64() / span.max(1.0);
    assert!(
        (budget * 0.9..=budget * 1.1 + burst).contains(&rate),
        "{rate:.1} units/s against a budget of {budget} over {span:.1} s: {stats}"
    );
    let denied = app["denied"].as_f64().unwrap() / app["asked"].as_f64().unwrap().max(1.0);
    assert!(
        denied < 0.02,
        "the app was denied {:.1}%: {app}",
        denied * 100.0
    );
}

#[test]
fn seed_scan_and_check_prod_stay_inside_their_budgets() {
    let _alone = exclusive(Load::Measures);
    let files = Scratch::new();
    let table = provisioned_table(200, &files);
    let db = block_on(TestDb::seeded());
    let pool = TestPool::synced_with(&db);
    // On prod the pool is named by its id.
    let pool_id = block_on(async {
        let ctx = clean_local_context().await;
        cruddur_ops::cognito::resolve_user_pool_id(&ctx, &pool.name).await
    })
    .expect("the pool's id");

    // seed prod: 600 messages of one write unit each at 60 WCU/s.
    let front = Front::start(0.3);
    let out = ok(run(prod_with_stores(&front, "seed", &table, &db).args([
        "--messages",
        "600",
        "--max-wcu",
        "60",
        "--yes",
    ])));
    assert!(stderr(&out).contains("budget 60 WCU/s"), "{}", stderr(&out));
    let (stats, app) = front.stats(&table.name);
    inside_budget(&stats["write"], &app, 60.0);
    assert_eq!(count_items(&table), 602);

    // scan prod, then check prod, each at 4 RCU/s (each reads the whole table).
    for tool in ["scan", "check"] {
        let front = Front::start(0.3);
        let mut cmd = prod_with_stores(&front, tool, &table, &db);
        cmd.args(["--max-rcu", "4", "--output", "jsonl"]);
        if tool == "check" {
            cmd.args(["--user-pool-id", &pool_id]);
        }
        let out = ok(run(&mut cmd));
        if tool == "scan" {
            assert_eq!(stdout(&out).lines().count(), 602);
        } else {
            assert!(stderr(&out).contains("budget 4 RCU/s"), "{}", stderr(&out));
        }
        let (stats, app) = front.stats(&table.name);
        assert_eq!(stats["read"]["throttled"], 0, "{tool}: {stats}");
        inside_budget(&stats["read"], &app, 4.0);
    }
}
