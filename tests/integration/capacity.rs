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

/// A table like the shipped one, provisioned at `units` for reads and writes (table and index).
pub fn provisioned_table(units: u32, files: &Scratch) -> TestTable {
    let mut schema: Value =
        serde_json::from_str(include_str!("../../seeds/messages-table.json")).unwrap();
    let pt = serde_json::json!({"ReadCapacityUnits": units, "WriteCapacityUnits": units});
    schema["ProvisionedThroughput"] = pt.clone();
    schema["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = pt;
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
    ok(run(bin("import")
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

/// Units per second between the front's first and last accepted request.
fn achieved_rate(stats: &Value) -> f64 {
    let span = stats["last"].as_f64().unwrap() - stats["first"].as_f64().unwrap();
    stats["consumed"].as_f64().unwrap() / span.max(1e-3)
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
    let files = Scratch::new();
    // 400 WCU provisioned: the default share is half, 200 WCU/s; the app draws 30% (120/s).
    let table = provisioned_table(400, &files);
    let front = Front::start(0.3);
    let input = files.write("in.jsonl", &export_lines(2_000));
    let out = ok(run(front
        .prod("import")
        .args(["--table", &table.name, "--yes", "--file"])
        .arg(&input)));
    let err = stderr(&out);
    assert!(err.contains("imported 2000 items"), "{err}");
    assert!(err.contains("budget 200 WCU/s"), "names the budget: {err}");

    let (stats, app) = front.stats(&table.name);
    let write = &stats["write"];
    let rate = achieved_rate(write);
    assert!(
        (180.0..=220.0).contains(&rate),
        "wrote at {rate:.1} WCU/s against a budget of 200: {write}"
    );
    let (written, bounced) = (
        write["written"].as_f64().unwrap(),
        write["bounced"].as_f64().unwrap(),
    );
    assert_eq!(written, 2_000.0, "every item written once: {write}");
    assert!(bounced / written <= 0.05, "bounced {bounced}: {write}");
    let denied = app["denied"].as_f64().unwrap() / app["asked"].as_f64().unwrap();
    assert!(
        denied < 0.02,
        "the app was denied {:.1}%: {app}",
        denied * 100.0
    );
    assert_eq!(count_items(&table), 2_000);
}

#[test]
fn export_prod_reads_inside_its_budget() {
    let files = Scratch::new();
    let table = loaded_table(400, 2_000, &files);
    let front = Front::start(0.3);
    let exported = files.dir.join("out.jsonl");
    let out = ok(run(front
        .prod("export")
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
    let files = Scratch::new();
    // The app takes 80% and the job asks for its default half: DynamoDB throttles, the job
    // backs off (AIMD) and every item still lands exactly once.
    let table = provisioned_table(200, &files);
    let front = Front::start(0.8);
    let input = files.write("in.jsonl", &export_lines(600));
    let out = ok(run(front
        .prod("import")
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
