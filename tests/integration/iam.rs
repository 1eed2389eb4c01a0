//! Least privilege: the README's permissions table is the code's, every tool has a row, and
//! `iam-policy` prints what the table says.

use cruddur_ops::iam;

use crate::common::{bin, fails, ok, run, stderr, stdout};

/// The README's "Permissions" table is the one rendered from the code's table.
#[test]
fn the_readme_permissions_table_is_the_codes() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    let section = iam::readme::section(&readme).unwrap_or_else(|| {
        panic!(
            "README.md has no section between {:?} and {:?}",
            iam::readme::BEGIN,
            iam::readme::END
        )
    });
    let code = iam::readme::table();
    if section != code.trim_end() {
        let diff: Vec<String> = code
            .lines()
            .zip(section.lines().chain(std::iter::repeat("")))
            .filter(|(c, r)| c != r)
            .map(|(c, r)| format!("code:   {c}\nREADME: {r}"))
            .collect();
        panic!(
            "the README's permissions table differs from src/iam/table.rs: regenerate it with \
             `cargo run -q --bin iam-policy -- --permissions-table` and paste it between the \
             markers\n{}",
            diff.join("\n")
        );
    }
}

/// Every tool's command has a row in the table, and the index the tools query is the one the
/// policies name.
#[test]
fn every_tool_is_in_the_table() {
    for command in crate::common::all_commands() {
        let name = command.get_name();
        assert!(
            iam::tool(name).is_some(),
            "{name} has no row in src/iam/table.rs"
        );
    }
    assert!(iam::tool("messaging-stream-lambda").is_some());
    assert_eq!(iam::QUERIED_INDEX, cruddur_ops::model::keys::GROUP_INDEX);
}

/// The binary prints the table's actions for the tool and mode, with the ARNs of the given
/// account, region, table, pool and bucket; bad input is a clear error.
#[test]
fn iam_policy_prints_the_tables_actions_on_the_given_resources() {
    let out = ok(run(bin("iam-policy").args([
        "table-import",
        "prod",
        "--mode",
        "s3",
        "--table",
        "copy",
        "--s3",
        "s3://bkt/exports/one/AWSDynamoDB/x/",
        "--account",
        "123456789012",
        "--region",
        "eu-west-1",
    ])));
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}: {policy:#}"))
    };
    assert_eq!(
        by_sid("MessagesTable")["Resource"][0],
        "arn:aws:dynamodb:eu-west-1:123456789012:table/copy"
    );
    assert_eq!(
        by_sid("MessagesTable")["Action"],
        serde_json::json!([
            "dynamodb:BatchWriteItem",
            "dynamodb:CreateBackup",
            "dynamodb:DescribeTable",
            "dynamodb:Scan"
        ])
    );
    assert_eq!(
        by_sid("BucketObjects")["Resource"][0],
        "arn:aws:s3:::bkt/exports/one/AWSDynamoDB/x/*"
    );
    assert_eq!(
        by_sid("Bucket")["Action"],
        serde_json::json!(["s3:ListBucket"])
    );
    assert!(!stdout(&out).contains("ImportTable"), "not this mode");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // No pool id: said, and the narrowest pattern.
    let out = ok(run(bin("iam-policy").args([
        "list-users",
        "prod",
        "--account",
        "123456789012",
        "--region",
        "us-east-1",
    ])));
    assert!(stdout(&out).contains("userpool/*"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the user pool is not known"),
        "{}",
        stderr(&out)
    );

    // PostgreSQL only: no policy, said so.
    let out = ok(run(bin("iam-policy").args(["db-setup", "prod"])));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("needs no AWS policy"),
        "{}",
        stderr(&out)
    );

    // Local only: no prod policy (neither an empty nor a made-up one), said so.
    let out = run(bin("iam-policy").args([
        "cognito-setup",
        "prod",
        "--account",
        "123456789012",
        "--region",
        "us-east-1",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("cognito-setup does not run on prod: local target only"),
        "{}",
        stderr(&out)
    );

    let err = fails(run(bin("iam-policy").args([
        "nope",
        "--account",
        "123456789012",
    ])));
    assert!(err.contains("no tool named \"nope\""), "{err}");
    let err = fails(run(bin("iam-policy").args([
        "schema-load",
        "--mode",
        "fly",
        "--account",
        "123456789012",
        "--region",
        "us-east-1",
    ])));
    assert!(err.contains("plan, apply"), "{err}");
    // prod without a region or credentials: a clear error, not a guess.
    let err = fails(run(bin("iam-policy")
        .args(["scan", "prod"])
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")));
    assert!(err.contains("--account ID and --region REGION"), "{err}");
}

/// A moto server with IAM enforcement on: users made by [`MotoIam::users`] get exactly their
/// policies. The IAM tests share one ([`MotoIam::shared`]).
pub struct MotoIam {
    /// `bash`, which runs moto_server and stops it when its stdin (`alive`) closes: when the
    /// test process ends, however it ends.
    child: std::process::Child,
    alive: Option<std::process::ChildStdin>,
    /// Its URL (an IP address: S3 then addresses buckets by path).
    pub url: String,
    /// `iam_users.py`, signing as `admin`: one process for the server's life.
    helper: std::sync::Mutex<Helper>,
    /// The access key and secret of `admin`, allowed everything (for setting up).
    pub admin: Keys,
}

/// The running `iam_users.py`: requests on its stdin, answers on its stdout.
struct Helper {
    child: std::process::Child,
    requests: std::process::ChildStdin,
    answers: std::io::BufReader<std::process::ChildStdout>,
}

impl Helper {
    /// The next JSON line it prints.
    fn answer(&mut self) -> serde_json::Value {
        use std::io::BufRead as _;
        let mut line = String::new();
        let read = self
            .answers
            .read_line(&mut line)
            .expect("reading the helper");
        assert!(read > 0, "iam_users.py ended: {:?}", self.child.try_wait());
        let answer: serde_json::Value = serde_json::from_str(&line).expect("JSON from the helper");
        assert!(answer.get("error").is_none(), "iam_users.py: {answer}");
        answer
    }
}

/// An access key id and its secret.
#[derive(Clone, Debug)]
pub struct Keys(pub String, pub String);

impl Keys {
    fn from(pair: &serde_json::Value) -> Keys {
        Keys(
            pair[0].as_str().expect("a key").to_string(),
            pair[1].as_str().expect("a secret").to_string(),
        )
    }
}

impl MotoIam {
    /// The suite's one enforcing moto server, started by the first test that asks for it. The IAM
    /// tests share it (each makes its own users, tables, pools and buckets, under unique names),
    /// so that the suite starts moto and boto3 once, not once per test: about 2 s of CPU each.
    /// It ends with the test process (its `bash` and the helper read their stdin, which closes).
    pub fn shared() -> &'static MotoIam {
        static SHARED: std::sync::OnceLock<MotoIam> = std::sync::OnceLock::new();
        SHARED.get_or_init(MotoIam::start)
    }

    /// Starts moto on a free port from the stack's Python environment, and the helper, which
    /// makes `admin` and turns enforcement on.
    fn start() -> MotoIam {
        use std::process::Stdio;
        let out = ok(run(std::process::Command::new("bash")
            .args(["scripts/stack.sh", "python"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))));
        let python = std::path::PathBuf::from(stdout(&out).trim());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = std::process::Command::new("bash")
            .args([
                "-c",
                r#"m=$1; shift; "$m" "$@" & pid=$!; trap 'kill $pid 2>/dev/null' EXIT; read -r _ || true"#,
                "moto-iam",
            ])
            .arg(python.with_file_name("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "1000000000")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let alive = child.stdin.take();
        let url = format!("http://127.0.0.1:{port}");
        let started = std::time::Instant::now();
        let mut nap = crate::servers::Nap::default();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "moto did not listen on port {port}"
            );
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto_server exited: {status}");
            }
            nap.take();
        }
        let mut helper = std::process::Command::new(&python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/integration/iam_users.py"
            ))
            .arg(&url)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the helper runs");
        let mut helper = Helper {
            requests: helper.stdin.take().expect("stdin"),
            answers: std::io::BufReader::new(helper.stdout.take().expect("stdout")),
            child: helper,
        };
        let admin = helper.answer();
        MotoIam {
            child,
            alive,
            url,
            admin: Keys(
                admin["key"].as_str().expect("a key").to_string(),
                admin["secret"].as_str().expect("a secret").to_string(),
            ),
            helper: std::sync::Mutex::new(helper),
        }
    }

    /// `request` to the helper; its answer (a failed request fails the test).
    fn ask(&self, request: serde_json::Value) -> serde_json::Value {
        use std::io::Write as _;
        let mut helper = self.helper.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(helper.requests, "{request}").expect("writing to the helper");
        helper.answer()
    }

    /// Makes one user per `(name, policy)`, each holding exactly its policy; their keys, in order.
    pub fn users(&self, wanted: &[(String, serde_json::Value)]) -> Vec<Keys> {
        let users: Vec<serde_json::Value> = wanted
            .iter()
            .map(|(name, policy)| serde_json::json!({"name": name, "policy": policy}))
            .collect();
        let answer = self.ask(serde_json::json!({"op": "users", "users": users}));
        answer["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(Keys::from)
            .collect()
    }

    /// Creates the bucket `name`.
    pub fn bucket(&self, name: &str) {
        self.ask(serde_json::json!({"op": "bucket", "name": name}));
    }

    /// Creates the user pool `name`; its id.
    pub fn pool(&self, name: &str) -> String {
        let answer = self.ask(serde_json::json!({"op": "pool", "name": name}));
        answer["id"].as_str().expect("a pool id").to_string()
    }

    /// Two users in `pool` (bob disabled), and a group `team` holding alice.
    pub fn fill(&self, pool: &str) {
        self.ask(serde_json::json!({"op": "fill", "pool": pool}));
    }

    /// An on-demand backup of `table` named `name`, taken as `admin`; its ARN.
    pub fn backup(&self, table: &str, name: &str) -> String {
        let answer = self.ask(serde_json::json!({"op": "backup", "table": table, "name": name}));
        answer["arn"].as_str().expect("a backup ARN").to_string()
    }

    /// `tool` on `prod`, every AWS service at this moto, signing with `keys`.
    pub fn prod(&self, tool: &str, keys: &Keys) -> std::process::Command {
        let mut cmd = bin(tool);
        cmd.args(["--target", "prod"]);
        self.with_keys(cmd, keys)
    }

    /// `cmd` with every AWS service at this moto, signing with `keys` (the target as given).
    pub fn with_keys(&self, mut cmd: std::process::Command, keys: &Keys) -> std::process::Command {
        cmd.env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", &keys.0)
            .env("AWS_SECRET_ACCESS_KEY", &keys.1)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }
}

impl Drop for MotoIam {
    fn drop(&mut self) {
        let helper = self.helper.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = helper.child.kill();
        let _ = helper.child.wait();
        // bash stops moto when its stdin closes.
        drop(self.alive.take());
        let _ = self.child.wait();
    }
}

/// An AccessDenied from each service names the tool, the action (and the resource when the
/// service gives it) and the `iam-policy` command; the tool exits 1 and leaves nothing behind.
#[test]
fn an_access_denied_names_the_tool_the_action_and_the_policy_command() {
    let moto = MotoIam::shared();
    let table = crate::common::unique("iam-denied");
    let bucket = crate::common::unique("iam-denied");
    moto.bucket(&bucket);
    ok(run(moto
        .prod("schema-load", &moto.admin)
        .args(["--table", &table, "--apply", "--yes"])));
    let pool = moto.pool("iam-denied");
    let nothing = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Other", "Effect": "Allow", "Action": ["dynamodb:ListTables"], "Resource": ["*"]}
    ]});
    let keys = moto.users(&[("denied".to_string(), nothing)]).remove(0);

    // DynamoDB: an export to a file is refused; no file, not even a partial one.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let out = run(moto
        .prod("table-export", &keys)
        .args(["--table", &table, "--max-rcu", "10", "--file"])
        .arg(&file));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "dynamodb:Scan",
        "table-export was refused dynamodb:Scan",
        "`iam-policy table-export prod` prints the IAM policy table-export needs",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{err}");

    // Cognito: the pool's ARN is in the message when the service gives it.
    let out = run(moto
        .prod("list-users", &keys)
        .args(["--user-pool-id", &pool]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    for want in [
        "list-users was refused cognito-idp:ListUsers",
        "`iam-policy list-users prod`",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }

    // S3 says only "Access Denied": the action comes from the operation called.
    let folder = format!("s3://{bucket}/exports/one/AWSDynamoDB/x/");
    let out = run(moto.prod("table-import", &keys).args([
        "--s3",
        &folder,
        "--table",
        &table,
        "--dry-run",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "table-import was refused s3:GetObject",
        "`iam-policy table-import prod`",
        "HTTP 403",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }
}

/// The policy `iam-policy` prints for `tool` (and `args`: mode, table, pool, bucket) on prod,
/// with moto's account and region.
pub fn printed_policy(tool: &str, args: &[&str]) -> serde_json::Value {
    let out = ok(run(bin("iam-policy")
        .args([
            tool,
            "prod",
            "--account",
            "123456789012",
            "--region",
            "us-east-1",
        ])
        .args(args)));
    serde_json::from_slice(&out.stdout).expect("a JSON policy")
}

/// `policy` as moto can enforce it: moto checks DynamoDB and Cognito requests against the
/// resource `*` (only S3's carry their bucket and key), so their statements are widened to `*`;
/// and it authorizes a TransactWriteItems as `dynamodb:TransactWriteItems`, which AWS checks
/// item by item: granted when the policy has every item action of the tool's transactions
/// (`transaction`).
pub fn for_moto(policy: &serde_json::Value, transaction: &[&str]) -> serde_json::Value {
    let mut policy = policy.clone();
    let mut actions = std::collections::BTreeSet::new();
    for statement in policy["Statement"].as_array_mut().expect("statements") {
        let all: Vec<String> = statement["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        if all.iter().all(|a| !a.starts_with("s3:")) {
            statement["Resource"] = serde_json::json!(["*"]);
        }
        actions.extend(all);
    }
    if !transaction.is_empty() && transaction.iter().all(|a| actions.contains(*a)) {
        policy["Statement"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "Sid": "MotoTransactions", "Effect": "Allow",
                "Action": ["dynamodb:TransactWriteItems"], "Resource": ["*"]
            }));
    }
    policy
}

/// `policy` without `action` (a statement left empty is dropped; a policy left empty allows only
/// `sts:GetCallerIdentity`, which needs no permission).
pub fn without(policy: &serde_json::Value, action: &str) -> serde_json::Value {
    let mut policy = policy.clone();
    let statements = policy["Statement"].as_array_mut().unwrap();
    for statement in statements.iter_mut() {
        statement["Action"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a != action);
    }
    statements.retain(|s| !s["Action"].as_array().unwrap().is_empty());
    if statements.is_empty() {
        // IAM wants a statement: one allowing what needs no permission anyway.
        statements.push(serde_json::json!({
            "Sid": "Nothing", "Effect": "Allow",
            "Action": ["sts:GetCallerIdentity"], "Resource": ["*"]
        }));
    }
    policy
}

/// One tool's main paths, run with a given user's keys: `Ok` when the run did its work, else
/// what it printed on stderr.
type Runs<'a> = Box<dyn Fn(&Keys) -> Result<(), String> + 'a>;

/// What the enforcement test proves of one tool.
struct Scenario<'a> {
    tool: &'static str,
    /// `iam-policy`'s arguments after `TOOL prod --account --region` (mode, table, pool, ...).
    policy_args: Vec<String>,
    /// The item actions of the tool's transactions (see [`for_moto`]).
    transaction: &'static [&'static str],
    /// The main paths.
    run: Runs<'a>,
    /// Actions of the policy that these runs do not reach, and why.
    not_reached: &'static [(&'static str, &'static str)],
}

/// `cmd`'s outcome: `Ok` on success, else its stderr.
fn outcome(cmd: &mut std::process::Command) -> Result<(), String> {
    let out = run(cmd);
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "{:?}: {}{}",
            out.status.code(),
            stdout(&out),
            stderr(&out)
        )),
    }
}

/// Runs `scenario` with exactly the policy `iam-policy` prints (it must succeed), then once per
/// action with that action removed (it must fail naming the action), except the actions it
/// names as not reached.
fn prove(moto: &MotoIam, scenario: &Scenario) {
    let tool = scenario.tool;
    let args: Vec<&str> = scenario.policy_args.iter().map(String::as_str).collect();
    let printed = printed_policy(tool, &args);
    let actions: std::collections::BTreeSet<String> = printed["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for (action, why) in scenario.not_reached {
        assert!(
            actions.contains(*action),
            "{tool}: {action} is named as not reached ({why}) but is not in the policy"
        );
    }
    let removed: Vec<&String> = actions
        .iter()
        .filter(|a| !scenario.not_reached.iter().any(|(n, _)| n == a))
        .collect();
    let mut wanted = vec![(
        crate::common::unique(tool),
        for_moto(&printed, scenario.transaction),
    )];
    for action in &removed {
        let policy = without(&printed, action);
        wanted.push((
            crate::common::unique(tool),
            for_moto(&policy, scenario.transaction),
        ));
    }
    let keys = moto.users(&wanted);
    if let Err(err) = (scenario.run)(&keys[0]) {
        panic!("{tool} failed with the policy iam-policy printed:\n{printed:#}\n{err}");
    }
    for (action, keys) in removed.iter().zip(&keys[1..]) {
        let err = match (scenario.run)(keys) {
            Ok(()) => panic!(
                "{tool} succeeded without {action}: the table lists an action these runs never \
                 need (remove it, or name it in not_reached with the reason)"
            ),
            Err(err) => err,
        };
        let named = err.contains(action.as_str())
            || (scenario.transaction.contains(&action.as_str())
                && err.contains("dynamodb:TransactWriteItems"));
        assert!(
            named && err.contains(&format!("{tool} was refused")),
            "{tool} without {action} failed, but not naming it:\n{err}"
        );
    }
}

/// The stores every scenario reads: a messages table seeded with the standard conversation
/// (rows older than the recorded stream event), a user pool with users and a group, PostgreSQL's
/// seed users.
struct Stores {
    table: String,
    pool: String,
    db: crate::common::TestDb,
}

impl Stores {
    async fn made(moto: &MotoIam) -> Stores {
        let db = crate::common::TestDb::seeded().await;
        let stores = Stores {
            table: fresh_table(moto, &db),
            pool: moto.pool(&crate::common::unique("iam")),
            db,
        };
        moto.fill(&stores.pool);
        stores
    }
}

/// A new table on `moto`, made by `schema-load` and seeded by `seed` as `admin`.
fn fresh_table(moto: &MotoIam, db: &crate::common::TestDb) -> String {
    let table = crate::common::unique("iam");
    ok(run(moto
        .prod("schema-load", &moto.admin)
        .args(["--table", &table, "--apply", "--yes"])));
    ok(run(moto
        .prod("seed", &moto.admin)
        .args([
            "--table",
            &table,
            "--now",
            "2026-11-01T00:00:00+00:00",
            "--max-wcu",
            "1000",
            "--yes",
        ])
        .env("PROD_CONNECTION_URL", &db.url)));
    table
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Every tool that reads or writes the messages table, with exactly its printed policy, on moto
/// with IAM enforcement: each succeeds, and fails naming the action when any one is removed.
#[tokio::test(flavor = "multi_thread")]
async fn the_table_tools_need_exactly_their_policies() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let stores = Stores::made(moto).await;
    let (t, db) = (stores.table.as_str(), &stores.db);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    ok(run(moto
        .prod("table-export", &moto.admin)
        .args(["--table", t, "--max-rcu", "1000", "--file"])
        .arg(&file)));
    let group = cruddur_ops::model::keys::DEFAULT_GROUP;
    let table_args = strings(&["--table", t]);
    let budget: &'static [(&str, &str)] = &[];
    let scenarios = vec![
        Scenario {
            tool: "list-tables",
            policy_args: vec![],
            transaction: &[],
            run: Box::new(|k| outcome(&mut moto.prod("list-tables", k))),
            not_reached: budget,
        },
        Scenario {
            tool: "scan",
            policy_args: table_args.clone(),
            transaction: &[],
            run: Box::new(|k| outcome(moto.prod("scan", k).args(["--table", t]))),
            not_reached: &[],
        },
        Scenario {
            tool: "get-conversations",
            policy_args: table_args.clone(),
            transaction: &[],
            run: Box::new(|k| outcome(moto.prod("get-conversations", k).args(["--table", t]))),
            not_reached: &[],
        },
        Scenario {
            tool: "list-conversations",
            policy_args: table_args.clone(),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("list-conversations", k)
                        .args(["--table", t])
                        .args(["--user-uuid", "0d5d4b3c-1f00-4c7a-9e7e-2d4f5c6b7a8e"]),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "table-export",
            policy_args: strings(&["--table", t, "--mode", "file"]),
            transaction: &[],
            run: Box::new(|k| {
                let out = dir.path().join(crate::common::unique("out"));
                outcome(
                    moto.prod("table-export", k)
                        .args(["--table", t, "--file"])
                        .arg(out),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "table-import",
            policy_args: strings(&["--table", t, "--mode", "file"]),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("table-import", k)
                        .args(["--table", t, "--max-wcu", "1000", "--yes", "--file"])
                        .arg(&file),
                )
            }),
            not_reached: &[(
                "dynamodb:DescribeBackup",
                "moto's CreateBackup answers AVAILABLE at once, so the wait asks nothing more",
            )],
        },
        Scenario {
            tool: "seed",
            policy_args: strings(&["--table", t, "--mode", "write"]),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("seed", k)
                        .args(["--table", t, "--max-wcu", "1000", "--yes"])
                        .env("PROD_CONNECTION_URL", &db.url),
                )
            }),
            not_reached: &[(
                "dynamodb:UpdateItem",
                "the lock's lease is renewed only after 10 s of writing",
            )],
        },
        Scenario {
            tool: "send-message",
            policy_args: strings(&["--table", t, "--mode", "send"]),
            transaction: &["dynamodb:PutItem"],
            run: Box::new(|k| {
                let send = || {
                    let mut cmd = moto.prod("send-message", k);
                    cmd.args(["--table", t, "--from", "everlygrandest"])
                        .env("PROD_CONNECTION_URL", &db.url);
                    cmd
                };
                outcome(send().args(["--group", group, "hello"]))?;
                outcome(send().args(["--to", "bayko", "a new group"]))
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "messaging-stream",
            policy_args: strings(&["--table", t, "--mode", "event"]),
            transaction: &["dynamodb:PutItem", "dynamodb:DeleteItem"],
            run: Box::new(|k| {
                // Each run on a table of its own: the event moves rows that are then current.
                let fresh = fresh_table(moto, db);
                outcome(moto.prod("messaging-stream", k).args([
                    "--table",
                    &fresh,
                    "--event",
                    concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/fixtures/stream-event.json"
                    ),
                    "--skip-malformed",
                ]))
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "drop",
            policy_args: strings(&["--table", t, "--mode", "drop"]),
            transaction: &[],
            run: Box::new(|k| {
                // The policy names the table `t`: moto does not check resources (for_moto).
                let doomed = crate::common::unique("iam-drop");
                ok(run(moto
                    .prod("schema-load", &moto.admin)
                    .args(["--table", &doomed, "--apply", "--yes"])));
                outcome(moto.prod("drop", k).args([
                    &doomed,
                    "--yes",
                    "--disable-deletion-protection",
                ]))
            }),
            not_reached: &[(
                "dynamodb:DescribeBackup",
                "moto's CreateBackup answers AVAILABLE at once, so the wait asks nothing more",
            )],
        },
    ];
    for scenario in &scenarios {
        prove(moto, scenario);
    }
}

/// The tools that read or write the user pool (and `check` and `summary`, which read every
/// store), each with exactly its printed policy, on moto with IAM enforcement.
#[tokio::test(flavor = "multi_thread")]
async fn the_pool_tools_need_exactly_their_policies() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let stores = Stores::made(moto).await;
    let (t, p, db) = (stores.table.as_str(), stores.pool.as_str(), &stores.db);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("pool.jsonl");
    ok(run(moto
        .prod("cognito-export", &moto.admin)
        .args(["--user-pool-id", p, "--file"])
        .arg(&backup)));
    // The same pool, with alice's email changed and bob enabled: a second restore updates both.
    let changed = dir.path().join("changed.jsonl");
    let text = std::fs::read_to_string(&backup).unwrap();
    let text: Vec<String> = text
        .lines()
        .map(|line| {
            let line = line.replace("alice@example.com", "alice2@example.com");
            match line.contains(r#""username":"bob""#) {
                true => line.replace(r#""enabled":false"#, r#""enabled":true"#),
                false => line,
            }
        })
        .collect();
    std::fs::write(&changed, text.join("\n") + "\n").unwrap();
    let pool_args = strings(&["--user-pool-id", p]);
    let terminal: &'static [(&str, &str)] = &[(
        "cognito-idp:DescribeUserPool",
        "asked only for a progress bar's total, when stderr is a terminal",
    )];
    let scenarios = vec![
        Scenario {
            tool: "list-users",
            policy_args: pool_args.clone(),
            transaction: &[],
            run: Box::new(|k| outcome(moto.prod("list-users", k).args(["--user-pool-id", p]))),
            not_reached: terminal,
        },
        Scenario {
            tool: "update-cognito-user-ids",
            policy_args: pool_args.clone(),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("update-cognito-user-ids", k)
                        .args(["--user-pool-id", p])
                        .env("PROD_CONNECTION_URL", &db.url),
                )
            }),
            not_reached: terminal,
        },
        Scenario {
            tool: "find-user",
            policy_args: pool_args.clone(),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("find-user", k)
                        .args(["--handle", "bayko", "--cognito", "--user-pool-id", p])
                        .env("PROD_CONNECTION_URL", &db.url),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "cognito-export",
            policy_args: pool_args.clone(),
            transaction: &[],
            run: Box::new(|k| {
                let out = dir.path().join(crate::common::unique("export"));
                outcome(
                    moto.prod("cognito-export", k)
                        .args(["--user-pool-id", p, "--file"])
                        .arg(out),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "cognito-import",
            policy_args: strings(&["--user-pool-id", p, "--mode", "restore"]),
            transaction: &[],
            run: Box::new(|k| {
                // Each run restores into a new pool, then restores the changed file over it.
                let fresh = moto.pool(&crate::common::unique("iam-restore"));
                for file in [&backup, &changed] {
                    outcome(
                        moto.prod("cognito-import", k)
                            .args(["--user-pool-id", &fresh, "--yes", "--file"])
                            .arg(file),
                    )?;
                }
                Ok(())
            }),
            not_reached: &[(
                "cognito-idp:AdminGetUser",
                "read only when someone else created a user between the listing and its creation",
            )],
        },
        Scenario {
            tool: "summary",
            policy_args: strings(&["--table", t, "--user-pool-id", p]),
            transaction: &[],
            run: Box::new(|k| {
                outcome(
                    moto.prod("summary", k)
                        .args(["--table", t, "--user-pool-id", p])
                        .env("PROD_CONNECTION_URL", &db.url),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "check",
            policy_args: strings(&["--table", t, "--user-pool-id", p]),
            transaction: &[],
            run: Box::new(|k| {
                // These stores disagree (the pool's users are not PostgreSQL's): check reads them
                // all and reports the problems, which is its run completing.
                match outcome(
                    moto.prod("check", k)
                        .args(["--table", t, "--user-pool-id", p])
                        .env("PROD_CONNECTION_URL", &db.url),
                ) {
                    Err(err) if err.contains("the stores are not consistent") => Ok(()),
                    other => other,
                }
            }),
            not_reached: &[],
        },
    ];
    for scenario in &scenarios {
        prove(moto, scenario);
    }
}

/// `schema-load` creates a table and brings it to a changed definition (capacity, TTL, point-in-
/// time recovery, tags added and removed) with exactly its printed policy.
#[tokio::test(flavor = "multi_thread")]
async fn schema_load_needs_exactly_its_policy() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let dir = tempfile::tempdir().unwrap();
    let shipped: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/messages-table.json"
    )))
    .unwrap();
    let mut first = shipped.clone();
    first["TimeToLiveSpecification"] =
        serde_json::json!({"AttributeName": "expires_at", "Enabled": true});
    first["Tags"] = serde_json::json!([{"Key": "team", "Value": "a"}]);
    let mut second = first.clone();
    second["ProvisionedThroughput"] =
        serde_json::json!({"ReadCapacityUnits": 6, "WriteCapacityUnits": 6});
    second["Tags"] = serde_json::json!([{"Key": "owner", "Value": "b"}]);
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, first.to_string()).unwrap();
    std::fs::write(&b, second.to_string()).unwrap();
    let scenario = Scenario {
        tool: "schema-load",
        policy_args: strings(&["--table", "any"]),
        transaction: &[],
        run: Box::new(|k| {
            let table = crate::common::unique("iam-schema");
            for schema in [&a, &b] {
                outcome(
                    moto.prod("schema-load", k)
                        .args(["--table", &table, "--apply", "--yes", "--schema"])
                        .arg(schema),
                )?;
            }
            Ok(())
        }),
        not_reached: &[
            (
                "dynamodb:CreateBackup",
                "these plans change capacity, TTL, point-in-time recovery and tags, which take no \
                 backup (backups.rs proves the backup before an index rebuild)",
            ),
            ("dynamodb:DescribeBackup", "no backup is taken (above)"),
        ],
    };
    prove(moto, &scenario);
}

/// `backups` (list and delete) and `restore` (from a backup by name, and to the latest
/// restorable time, both with `--verify` and a schema file that sets every setting a restore
/// drops), each with exactly its printed policy, on moto with IAM enforcement.
#[tokio::test(flavor = "multi_thread")]
async fn the_backup_tools_need_exactly_their_policies() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let db = crate::common::TestDb::seeded().await;
    let t = fresh_table(moto, &db);
    let t = t.as_str();
    let named = crate::common::unique("iam-backup");
    moto.backup(t, &named);
    // The shipped definition (stream, deletion protection, point-in-time recovery) with TTL and
    // a tag: every setting a restore drops, so that every settings step runs.
    let dir = tempfile::tempdir().unwrap();
    let mut definition: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/messages-table.json"
    )))
    .unwrap();
    definition["TimeToLiveSpecification"] =
        serde_json::json!({"AttributeName": "expires_at", "Enabled": true});
    definition["Tags"] = serde_json::json!([{"Key": "team", "Value": "a"}]);
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, definition.to_string()).unwrap();
    let schema = schema.to_str().unwrap();
    // What AWS checks as the caller's while it writes the restored table, and moto does not.
    const BY_AWS: &str = "AWS checks the caller's read and write permissions on the new table \
                          while it restores; moto's restore writes the items itself";
    let restore_writes: &'static [(&str, &str)] = &[
        ("dynamodb:PutItem", BY_AWS),
        ("dynamodb:BatchWriteItem", BY_AWS),
        ("dynamodb:UpdateItem", BY_AWS),
        ("dynamodb:DeleteItem", BY_AWS),
        ("dynamodb:GetItem", BY_AWS),
        ("dynamodb:Query", BY_AWS),
    ];
    let restore = |k: &Keys, from: &[&str]| {
        outcome(
            moto.prod("restore", k)
                .args(from)
                .args(["--schema", schema, "--verify", "--yes", "--to"])
                .arg(crate::common::unique("iam-restored")),
        )
    };
    let scenarios = vec![
        Scenario {
            tool: "backups",
            policy_args: strings(&["--table", t, "--mode", "list"]),
            transaction: &[],
            run: Box::new(|k| outcome(moto.prod("backups", k).args(["--table", t]))),
            not_reached: &[],
        },
        Scenario {
            tool: "backups",
            policy_args: strings(&["--table", t, "--mode", "delete"]),
            transaction: &[],
            run: Box::new(|k| {
                // Each run deletes a backup of its own.
                let arn = moto.backup(t, &crate::common::unique("iam-doomed"));
                outcome(
                    moto.prod("backups", k)
                        .args(["--table", t, "--yes", "--delete", &arn]),
                )
            }),
            not_reached: &[],
        },
        Scenario {
            tool: "restore",
            policy_args: strings(&["--mode", "backup"]),
            transaction: &[],
            // By name: ListBackups finds it, DescribeBackup reads it.
            run: Box::new(|k| restore(k, &["--from-backup", &named])),
            not_reached: restore_writes,
        },
        Scenario {
            tool: "restore",
            policy_args: strings(&["--mode", "time"]),
            transaction: &[],
            run: Box::new(|k| restore(k, &["--source", t, "--to-time", "latest"])),
            not_reached: restore_writes,
        },
    ];
    for scenario in &scenarios {
        prove(moto, scenario);
    }
}

/// `table-export --s3` and `table-import --s3` (into an existing table, and `--new-table`), each
/// with exactly its printed policy for the bucket and prefix, on moto with IAM enforcement (moto
/// checks S3 requests against the bucket's and the object's ARNs).
#[tokio::test(flavor = "multi_thread")]
async fn the_s3_tools_need_exactly_their_policies() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let db = crate::common::TestDb::seeded().await;
    let t = fresh_table(moto, &db);
    let t = t.as_str();
    let bucket = crate::common::unique("iam-s3");
    moto.bucket(&bucket);
    // The export the imports read, made as admin. moto writes no manifest: the imports confirm
    // it by its ARN.
    let out = ok(run(moto.prod("table-export", &moto.admin).args([
        "--table",
        t,
        "--s3",
        &format!("s3://{bucket}/source"),
        "--output",
        "json",
    ])));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let folder = report["folder"].as_str().expect("a folder").to_string();
    let export = report["export_arn"].as_str().expect("an ARN").to_string();
    let (folder, export) = (folder.as_str(), export.as_str());
    let exports = format!("s3://{bucket}/exports/");
    let logs: &'static [(&str, &str)] = &[
        ("logs:CreateLogGroup", LOGGED),
        ("logs:CreateLogStream", LOGGED),
        ("logs:DescribeLogGroups", LOGGED),
        ("logs:DescribeLogStreams", LOGGED),
        ("logs:PutLogEvents", LOGGED),
        ("logs:PutRetentionPolicy", LOGGED),
    ];
    let scenarios = vec![
        Scenario {
            tool: "table-export",
            policy_args: strings(&["--table", t, "--mode", "s3", "--s3", exports.as_str()]),
            transaction: &[],
            run: Box::new(|k| {
                // Each run under a prefix of its own, inside the policy's: moto names its export
                // folders otherwise than AWS, so one folder per prefix tells them apart.
                let to = format!("{exports}{}", crate::common::unique("run"));
                outcome(
                    moto.prod("table-export", k)
                        .args(["--table", t, "--s3", &to]),
                )
            }),
            not_reached: &[
                ("s3:PutObject", WRITTEN),
                ("s3:AbortMultipartUpload", WRITTEN),
                ("s3:PutObjectAcl", WRITTEN),
            ],
        },
        Scenario {
            tool: "table-import",
            policy_args: strings(&["--table", t, "--mode", "s3", "--s3", folder]),
            transaction: &[],
            run: Box::new(|k| {
                // The export's own items over the table's: it is not empty, so a backup first.
                outcome(moto.prod("table-import", k).args([
                    "--table",
                    t,
                    "--s3",
                    folder,
                    "--export-arn",
                    export,
                    "--max-wcu",
                    "1000",
                    "--yes",
                ]))
            }),
            not_reached: &[(
                "dynamodb:DescribeBackup",
                "moto's CreateBackup answers AVAILABLE at once, so the wait asks nothing more",
            )],
        },
        Scenario {
            tool: "table-import",
            // The policy names the table `t`: moto does not check resources (for_moto).
            policy_args: strings(&["--table", t, "--mode", "new-table", "--s3", folder]),
            transaction: &[],
            run: Box::new(|k| {
                outcome(moto.prod("table-import", k).args([
                    "--s3",
                    folder,
                    "--export-arn",
                    export,
                    "--yes",
                    "--new-table",
                    &crate::common::unique("iam-imported"),
                ]))
            }),
            not_reached: logs,
        },
    ];
    for scenario in &scenarios {
        prove(moto, scenario);
    }
}

/// Why an export's `s3:PutObject` and kin are not reached on moto.
const WRITTEN: &str = "AWS writes the export's files as the caller; moto writes them itself, \
                       unchecked";

/// Why an import's `logs:*` are not reached on moto.
const LOGGED: &str = "AWS logs the import to CloudWatch as the caller; moto's ImportTable logs \
                      nothing";

/// `messaging-stream --follow` reads the table's stream and moves the conversation rows of a
/// message sent while it follows, with exactly its printed policy, on moto with IAM enforcement
/// (moto's server serves DynamoDB Streams and authorizes its calls as `dynamodb:` actions).
#[tokio::test(flavor = "multi_thread")]
async fn the_follower_needs_exactly_its_policy() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let db = crate::common::TestDb::seeded().await;
    let t = fresh_table(moto, &db);
    let t = t.as_str();
    let scenario = Scenario {
        tool: "messaging-stream",
        policy_args: strings(&["--table", t, "--mode", "follow"]),
        transaction: &["dynamodb:PutItem", "dynamodb:DeleteItem"],
        // Each run moves the rows again: its message is newer than the last run's.
        run: Box::new(|k| follow_once(moto, k, t, &db)),
        not_reached: &[],
    };
    prove(moto, &scenario);
}

/// One run of `messaging-stream --follow --output jsonl` on `table`, signing with `keys`: once it
/// says it follows the stream, `admin` sends a message to the standard group; the follower's first
/// outcome line must say it applied it (it moved the conversation rows); then SIGINT, and it must
/// stop cleanly. `Ok` then; else what it printed, with its exit status.
fn follow_once(
    moto: &MotoIam,
    keys: &Keys,
    table: &str,
    db: &crate::common::TestDb,
) -> Result<(), String> {
    use std::io::BufRead as _;
    use std::time::{Duration, Instant};
    let mut child = moto
        .prod("messaging-stream", keys)
        .args(["--table", table, "--follow", "--output", "jsonl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("messaging-stream starts");
    // Every line it prints, stdout's marked `out`, in one channel; closed when both pipes are.
    let (tx, lines) = std::sync::mpsc::channel::<(bool, String)>();
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let readers = [
        (true, Box::new(out) as Box<dyn std::io::BufRead + Send>),
        (false, Box::new(err)),
    ]
    .map(|(is_out, pipe)| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                let _ = tx.send((is_out, line));
            }
        })
    });
    drop(tx);
    let mut printed = String::new();
    // The next line that `want` accepts, within 20 s; `None` when the follower closed its output
    // (it exited) or printed nothing of the kind.
    let mut until = |want: &dyn Fn(bool, &str) -> bool| -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok((is_out, line)) =
            lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            printed.push_str(&line);
            printed.push('\n');
            if want(is_out, &line) {
                return Some(line);
            }
        }
        None
    };
    let following = until(&|is_out, line| !is_out && line.starts_with("following "));
    let applied = following.and_then(|_| {
        ok(run(moto
            .prod("send-message", &moto.admin)
            .args(["--table", table, "--from", "everlygrandest", "--group"])
            .args([cruddur_ops::model::keys::DEFAULT_GROUP, "followed"])
            .env("PROD_CONNECTION_URL", &db.url)));
        until(&|is_out, _| is_out)
    });
    let applied = applied.is_some_and(|line| {
        let outcome: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        outcome["outcome"] == "applied"
    });
    if applied {
        ok(run(
            std::process::Command::new("kill").args(["-INT", &child.id().to_string()])
        ));
    } else {
        let _ = child.kill();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the follower's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("the follower's status");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for reader in readers {
        reader.join().expect("a reader of the follower's output");
    }
    until(&|_, _| false);
    match applied && status.success() {
        true => Ok(()),
        false => Err(format!("{:?}: {printed}", status.code())),
    }
}

/// The CI role (`iam-policy --all`) runs the example workflow's commands as written
/// (examples/ci/seed.yml), pull request and main steps, on the default table, with the pool and
/// database from the environment as the workflow sets them.
#[tokio::test(flavor = "multi_thread")]
async fn the_ci_role_runs_the_example_workflow() {
    // Many processes and a busy moto server for a while: never beside the rate measurements.
    let _heavy = crate::common::exclusive(crate::common::Load::Heavy);
    let moto = MotoIam::shared();
    let db = crate::common::TestDb::seeded().await;
    let pool = moto.pool(&crate::common::unique("iam-ci"));
    let out = ok(run(bin("iam-policy").args([
        "--all",
        "prod",
        "--user-pool-id",
        &pool,
        "--account",
        "123456789012",
        "--region",
        "us-east-1",
    ])));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = moto
        .users(&[("ci".to_string(), for_moto(&printed, &[]))])
        .remove(0);
    let tools: Vec<String> = crate::common::all_commands()
        .iter()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut ran = 0;
    for line in crate::ci_example::run_lines(crate::ci_example::WORKFLOW) {
        for words in crate::ci_example::commands_of(line) {
            if !tools.contains(&words[0]) {
                continue;
            }
            let mut cmd = moto.with_keys(bin(&words[0]), &keys);
            cmd.args(&words[1..])
                .env("AWS_COGNITO_USER_POOL_ID", &pool)
                .env("PROD_CONNECTION_URL", &db.url);
            match outcome(&mut cmd) {
                Ok(()) => {}
                // schema-load's plan on a table that differs, check on stores that disagree:
                // what the workflow accepts or reports.
                Err(err) if err.starts_with("Some(3)") && words[0] == "schema-load" => {}
                Err(err) if err.contains("the stores are not consistent") => {}
                Err(err) => panic!("`{}` with the CI role:\n{err}", words.join(" ")),
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 4, "the workflow's four tool steps");
}

/// `--trace-calls FILE` (or `CRUDDUR_OPS_TRACE_CALLS`) appends one JSON line per AWS call: the
/// service, the operation, the resource it names, the status and the time.
#[test]
fn trace_calls_writes_one_line_per_call() {
    let table = crate::common::TestTable::created();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.jsonl");
    ok(run(bin("scan")
        .args(["--table", &table.name, "--trace-calls"])
        .arg(&file)));
    let err = crate::common::fails(run(bin("get-conversations")
        .args(["--table", "no-such-table-for-trace"])
        .env("CRUDDUR_OPS_TRACE_CALLS", &file)));
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["service"], "DynamoDB");
    assert_eq!(lines[0]["operation"], "Scan");
    assert_eq!(lines[0]["resource"], table.name.as_str());
    assert_eq!(lines[0]["status"], 200);
    assert!(lines[0]["ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert_eq!(lines[1]["operation"], "Query");
    assert_eq!(lines[1]["resource"], "no-such-table-for-trace");
    assert_eq!(lines[1]["status"], 400);

    let err = crate::common::fails(run(bin("scan")
        .args(["--table", &table.name, "--trace-calls"])
        .arg(dir.path().join("missing/calls.jsonl"))));
    assert!(err.contains("opening the --trace-calls file"), "{err}");
}
