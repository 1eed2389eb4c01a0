//! Snapshots of what a person sees from every tool: its table on stdout (`--output table`, the
//! format of a terminal) and its messages on stderr, compared with the committed files in
//! `snapshots/`. A changed message fails here with a diff; after a deliberate change, accept the
//! new text with `INSTA_UPDATE=always cargo test --test integration snapshots` (or `cargo insta
//! review`) and commit the files.
//!
//! What varies from run to run is redacted first ([`redact`]): uuids, times, the tests' unique
//! names, pool ids, durations, rates, ports and temporary paths, whole or cut by a table. Every
//! output is also checked for a run of three or more spaces inside a line of text (tables
//! excepted), the defect that two of `messaging-stream`'s messages once had, and for a table wider
//! than 100 columns without `--wide`.
//!
//! Two tests, each on a fixture of its own (one seeded table, database and pool, unique names), so
//! they run side by side: the setup and read tools, and the tools that write.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cruddur_ops::ops::schema_load::{self, TableDefinition};
use serde_json::{json, Value};

use crate::common::*;

/// The time of the seeded conversation's newest message (fixed, so the messages are too).
const NEWEST: &str = "2026-01-01T00:00:00.000000+00:00";

/// The seeded conversation's group.
const GROUP: &str = cruddur_ops::model::keys::DEFAULT_GROUP;

/// Redactions, in order: (pattern, replacement).
const FILTERS: &[(&str, &str)] = &[
    // The tests' unique names, before the uuids and times they might contain.
    (r"test-messages-[0-9a-f]{12}", "[table]"),
    (r"test_db_[0-9a-f]{12}(__rebuild)?", "[database]"),
    (r"test-pool-[0-9a-f]{12}", "[pool]"),
    (r"snapshots-[0-9a-f]{12}", "[dir]"),
    (r"us-east-1_[0-9A-Za-z]+", "[pool-id]"),
    (
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "[uuid]",
    ),
    // Stream ARNs end in the stream's creation time.
    (r"/stream/[0-9T:.\-]+", "/stream/[created]"),
    (
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[time]",
    ),
    // Values a table cut to fit 100 columns (`2026-01-01T00:0…`, `1b2c3d4e-5f…`), after the
    // whole ones. The tables cut no identifier shorter than that (MIN_WIDTH).
    (r"\b\d{4}-\d[0-9T:.+\-]*…", "[time]…"),
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F-]{0,27}…", "[uuid]…"),
    (r"(localhost|127\.0\.0\.1):\d+", "$1:[port]"),
    (r"(/tmp|/var/folders)/[^\s:,)]+", "[tmp]"),
    // Rates and durations: "1234.5 items/s", "12 WCU/s", "0.8 s", "250 ms".
    (r"\d+(\.\d+)? ?[A-Za-z]+/s\b", "[rate]"),
    (r"\b\d+(\.\d+)? ?(ms|µs|s|min)\b", "[duration]"),
];

/// Whether `line` is part of a table drawn by comfy-table (its borders and cells).
fn in_table(line: &str) -> bool {
    line.trim_start()
        .starts_with(['│', '┌', '└', '├', '╞', '╭', '╰', '|', '+'])
}

/// Panics when a line of text (not of a table) has three or more spaces between two words.
#[track_caller]
fn no_space_runs(name: &str, text: &str) {
    for line in text.lines().filter(|l| !in_table(l)) {
        let words = line.trim();
        assert!(
            !words.contains("   "),
            "{name}: a run of spaces inside a line of text:\n{line:?}\n\nin:\n{text}"
        );
    }
}

/// Panics when a line of a table is wider than the terminal's 100 columns (in characters), unless
/// the command asked for `--wide`.
#[track_caller]
fn fits_the_terminal(name: &str, cmd: &Command, text: &str) {
    if cmd.get_args().any(|arg| arg == "--wide") {
        return;
    }
    for line in text.lines().filter(|l| in_table(l)) {
        assert!(
            line.chars().count() <= cruddur_ops::cli::output::WIDTH,
            "{name}: a table line wider than {} columns without --wide:\n{line}\n\nin:\n{text}",
            cruddur_ops::cli::output::WIDTH
        );
    }
}

/// The command line as the snapshot shows it: the tool's name and its arguments.
fn command_line(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::iter::once(program)
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a person sees of `out`: the command, stdout, stderr and the exit code.
fn seen(cmd: &Command, out: &Output) -> String {
    format!(
        "$ {}\n--- stdout\n{}--- stderr\n{}--- exit {}\n",
        command_line(cmd),
        stdout(out),
        stderr(out),
        out.status
            .code()
            .map_or("(signal)".to_string(), |c| c.to_string())
    )
}

/// `text` with what varies from run to run replaced by a placeholder ([`FILTERS`], then `more`).
fn redact(text: &str, more: &[(&str, &str)]) -> String {
    FILTERS
        .iter()
        .chain(more)
        .fold(text.to_string(), |text, (pattern, replacement)| {
            let re = regex::Regex::new(pattern).expect("a valid redaction");
            re.replace_all(&text, *replacement).into_owned()
        })
}

/// What of an output a snapshot keeps.
enum View<'a> {
    /// All of it.
    Whole,
    /// Of a table, its borders, its header and the rows naming this (`list-tables`, whose other
    /// rows are other tests' tables); the padding is collapsed, since those rows set the widths.
    RowsNaming(&'a str),
    /// The tables' rows sorted (a scan's order is the hash order of keys holding random uuids).
    SortedRows,
}

/// Runs `cmd` and compares what a person sees, redacted ([`FILTERS`]) and cut to `view`, with
/// the snapshot `name`.
#[track_caller]
fn snapshot_with(name: &str, cmd: &mut Command, view: View) -> Output {
    let out = tokio::task::block_in_place(|| run(cmd));
    let text = seen(cmd, &out);
    no_space_runs(name, &text);
    fits_the_terminal(name, cmd, &text);
    let text = match view {
        View::Whole => redact(&text, &[]),
        View::RowsNaming(needle) => redact(
            &only_rows_naming(&text, needle),
            &[(r" {2,}([│┆])", " $1"), (r"─+", "─"), (r"═+", "═")],
        ),
        View::SortedRows => sorted_rows(&redact(&text, &[])),
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
    out
}

/// [`snapshot_with`], the whole output kept.
#[track_caller]
fn snapshot(name: &str, cmd: &mut Command) -> Output {
    snapshot_with(name, cmd, View::Whole)
}

/// `cmd` with the human format forced (`--output table`, what a terminal gets).
fn human(mut cmd: Command) -> Command {
    cmd.args(["--output", "table"]);
    cmd
}

/// A table, a database and a pool, with unique names; `seeded` adds the shipped conversation,
/// the pool's users and their ids in PostgreSQL.
struct Fixture {
    table: TestTable,
    db: TestDb,
    pool: TestPool,
}

impl Fixture {
    async fn new() -> Fixture {
        Fixture {
            table: TestTable::new(),
            db: TestDb::seeded().await,
            pool: TestPool::named(),
        }
    }

    async fn seeded() -> Fixture {
        let f = Fixture::new().await;
        tokio::task::block_in_place(|| {
            ok(run(bin("schema-load").args(["--table", &f.table.name])));
            ok(run(f.tool("seed").args(["--now", NEWEST])));
            ok(run(&mut f.pool_tool("cognito-setup")));
            ok(run(&mut f.pool_tool("update-cognito-user-ids")));
        });
        f
    }

    /// A tool on the fixture's table and database.
    fn tool(&self, name: &str) -> Command {
        tool(name, &self.table, &self.db)
    }

    /// A tool on the fixture's pool and database.
    fn pool_tool(&self, name: &str) -> Command {
        let mut cmd = bin(name);
        cmd.args(["--pool-name", &self.pool.name])
            .env("CONNECTION_URL", &self.db.url);
        cmd
    }
}

/// The setup tools step by step (dry runs first), then every read tool on what they built.
#[tokio::test(flavor = "multi_thread")]
async fn setup_and_read_tools() {
    let f = Fixture::new().await;
    let missing = TestDb::new();
    snapshot(
        "db_setup_dry_run",
        bin("db-setup")
            .arg("--dry-run")
            .env("CONNECTION_URL", &missing.url),
    );
    snapshot(
        "schema_load_create",
        bin("schema-load").args(["--table", &f.table.name]),
    );
    snapshot(
        "schema_load_unchanged",
        bin("schema-load").args(["--table", &f.table.name]),
    );
    snapshot(
        "seed_dry_run",
        f.tool("seed").args(["--now", NEWEST, "--dry-run"]),
    );
    snapshot("seed", f.tool("seed").args(["--now", NEWEST]));
    snapshot(
        "cognito_setup_dry_run",
        human(f.pool_tool("cognito-setup")).arg("--dry-run"),
    );
    snapshot("cognito_setup", &mut human(f.pool_tool("cognito-setup")));
    snapshot(
        "update_cognito_user_ids_dry_run",
        human(f.pool_tool("update-cognito-user-ids")).arg("--dry-run"),
    );
    snapshot(
        "update_cognito_user_ids",
        &mut human(f.pool_tool("update-cognito-user-ids")),
    );

    // The scan's order is DynamoDB's hash order of the keys, which hold random uuids.
    snapshot_with("scan", &mut human(f.tool("scan")), View::SortedRows);
    // Every attribute, in full: the only table wider than 100 columns.
    snapshot_with(
        "scan_wide",
        human(f.tool("scan")).arg("--wide"),
        View::SortedRows,
    );
    snapshot(
        "get_conversations",
        human(f.tool("get-conversations")).args(["--group", GROUP]),
    );
    snapshot(
        "list_conversations",
        human(f.tool("list-conversations")).args(["--handle", "bayko"]),
    );
    snapshot("list_users", &mut human(f.pool_tool("list-users")));
    snapshot(
        "find_user",
        human(f.pool_tool("find-user")).args(["--handle", "bayko", "--cognito"]),
    );
    let mut summary = human(f.tool("summary"));
    summary.args(["--pool-name", &f.pool.name]);
    snapshot("summary", &mut summary);
    let mut check = human(f.tool("check"));
    check.args(["--pool-name", &f.pool.name]);
    snapshot("check_consistent", &mut check);

    // Only the header and the fixture's own row: other tests' tables come and go.
    let name = f.table.name.clone();
    snapshot_with(
        "list_tables",
        &mut human(bin("list-tables")),
        View::RowsNaming(&name),
    );
    snapshot(
        "drop_dry_run",
        bin("drop").args([&f.table.name, "--dry-run"]),
    );
}

/// `text` keeping, of a table, its borders, its header and the rows naming `needle`.
fn only_rows_naming(text: &str, needle: &str) -> String {
    let mut header_seen = false;
    text.lines()
        .filter(|line| {
            if !line.starts_with('│') {
                return true;
            }
            let first = !header_seen;
            header_seen = true;
            first || line.contains(needle)
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// `text` with the rows of each table sorted (rows of one line each).
fn sorted_rows(text: &str) -> String {
    let mut out = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    let mut in_body = false;
    for line in text.lines() {
        if in_body && line.starts_with('│') {
            rows.push(line);
            continue;
        }
        rows.sort_unstable();
        out.append(&mut rows);
        in_body = line.starts_with('╞');
        out.push(line);
    }
    rows.sort_unstable();
    out.append(&mut rows);
    out.iter().map(|l| format!("{l}\n")).collect()
}

/// A Lambda event of MSG# INSERT records for the seeded group: (sequence, time, text).
pub(crate) fn event(dir: &Path, records: &[(usize, &str, &str)]) -> PathBuf {
    let pk = format!("MSG#{GROUP}");
    let records: Vec<Value> = records
        .iter()
        .map(|(seq, at, text)| {
            json!({
                "eventID": format!("ev{seq}"),
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "Keys": {"pk": {"S": pk}, "sk": {"S": at}},
                    "NewImage": {
                        "pk": {"S": pk},
                        "sk": {"S": at},
                        "message_uuid": {"S": uuid::Uuid::new_v4().to_string()},
                        "message": {"S": text},
                    },
                    "SequenceNumber": format!("{seq:021}"),
                    "StreamViewType": "NEW_IMAGE",
                }
            })
        })
        .collect();
    let path = dir.join("event.json");
    std::fs::write(&path, json!({ "Records": records }).to_string()).expect("write the event");
    path
}

/// A temporary directory, removed when the guard goes.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The tools that write, on a seeded fixture: send-message, messaging-stream, export and import,
/// schema-load on a table that drifted, and check after problems were made.
#[tokio::test(flavor = "multi_thread")]
async fn tools_that_write() {
    let f = Fixture::seeded().await;
    let dir = TempDir(std::env::temp_dir().join(unique("snapshots")));
    std::fs::create_dir_all(&dir.0).expect("a temporary directory");

    snapshot(
        "send_message",
        human(f.tool("send-message")).args(["--from", "bayko", "--to", "tomaslind", "hello"]),
    );
    snapshot(
        "send_message_dry_run",
        human(f.tool("send-message")).args([
            "--from",
            "bayko",
            "--group",
            GROUP,
            "--dry-run",
            "hello again",
        ]),
    );
    // check with problems (before the stream event, whose message is in no table): a user whose id is MOCK again, one whose display name changed.
    f.db.client()
        .await
        .batch_execute(
            "UPDATE users SET cognito_user_id = 'MOCK' WHERE handle = 'bayko';
             UPDATE users SET display_name = 'Someone Else' WHERE handle = 'everlygrandest';",
        )
        .await
        .expect("make problems");
    let mut check = human(f.tool("check"));
    check.args(["--pool-name", &f.pool.name]);
    snapshot("check_problems", &mut check);

    let later = "2026-01-01T00:00:05.000000+00:00";
    let late = "2025-12-31T00:00:00.000000+00:00";
    let file = event(
        &dir.0,
        &[(1, later, "from the stream"), (2, late, "delivered late")],
    );
    snapshot(
        "messaging_stream_event",
        human(f.tool("messaging-stream")).arg("--event").arg(&file),
    );

    let export = dir.0.join("export.jsonl");
    snapshot(
        "table_export",
        f.tool("table-export").arg("--file").arg(&export),
    );
    let copy = TestTable::created();
    snapshot(
        "table_import_dry_run",
        bin("table-import")
            .args(["--table", &copy.name, "--dry-run", "--file"])
            .arg(&export),
    );
    snapshot(
        "table_import",
        bin("table-import")
            .args(["--table", &copy.name, "--file"])
            .arg(&export),
    );

    // The pool exported, and its restore into a new pool planned.
    let pool_file = dir.0.join("pool.jsonl");
    snapshot(
        "cognito_export",
        f.pool_tool("cognito-export").arg("--file").arg(&pool_file),
    );
    let restored = TestPool::created(&clean_local_context().await).await;
    snapshot(
        "cognito_import_dry_run",
        human(bin("cognito-import"))
            .args(["--pool-name", &restored.name, "--dry-run", "--file"])
            .arg(&pool_file),
    );

    // A table that drifted from the definition: no stream, 1/1 throughput.
    let drifted = TestTable::new();
    let mut def = TableDefinition::load(None).expect("the shipped definition");
    def.stream = None;
    def.throughput = Some(schema_load::Throughput { read: 1, write: 1 });
    def.table_name = drifted.name.clone();
    let options = schema_load::PlanOptions::default();
    let wait = schema_load::DEFAULT_WAIT_TIMEOUT;
    schema_load::create(
        &local_context(&drifted.name).await,
        &def,
        options,
        wait,
        &mut |_| {},
    )
    .await
    .expect("the drifted table");
    snapshot(
        "schema_load_drift",
        bin("schema-load").args(["--table", &drifted.name]),
    );
}
