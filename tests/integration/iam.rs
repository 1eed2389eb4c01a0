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
    for command in cruddur_ops::cli::commands::all() {
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
        "import",
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
        serde_json::json!(["dynamodb:BatchWriteItem", "dynamodb:DescribeTable"])
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

/// A moto server of the test's own, with IAM enforcement on: users made by [`MotoIam::users`]
/// get exactly their policies. Killed when the guard goes.
pub struct MotoIam {
    child: std::process::Child,
    /// Its URL (an IP address: S3 then addresses buckets by path).
    pub url: String,
    python: std::path::PathBuf,
    /// The access key and secret of `admin`, allowed everything (for setting up).
    pub admin: Keys,
}

/// An access key id and its secret.
#[derive(Clone, Debug)]
pub struct Keys(pub String, pub String);

impl MotoIam {
    /// Starts moto on a free port from the stack's Python environment, makes `admin`, and turns
    /// enforcement on.
    pub fn start() -> MotoIam {
        let out = ok(run(std::process::Command::new("bash")
            .args(["scripts/stack.sh", "python"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))));
        let python = std::path::PathBuf::from(stdout(&out).trim());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(python.with_file_name("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "1000000000")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let mut moto = MotoIam {
            child,
            url: format!("http://127.0.0.1:{port}"),
            python,
            admin: Keys("test".to_string(), "test".to_string()),
        };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "moto did not listen on port {port}"
            );
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let out = ok(run(&mut moto.helper(&["admin", &moto.url])));
        let text = stdout(&out);
        let mut words = text.split_whitespace();
        moto.admin = Keys(
            words.next().expect("a key").to_string(),
            words.next().expect("a secret").to_string(),
        );
        moto
    }

    /// `iam_users.py` with `args`, as `admin`.
    fn helper(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.python);
        cmd.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/integration/iam_users.py"
        ))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &self.admin.0)
        .env("AWS_SECRET_ACCESS_KEY", &self.admin.1)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        cmd
    }

    /// Makes one user per `(name, policy)`, each holding exactly its policy; their keys, in order.
    pub fn users(&self, wanted: &[(String, serde_json::Value)]) -> Vec<Keys> {
        use std::io::Write as _;
        let mut child = self
            .helper(&["users", &self.url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the helper runs");
        let mut input = child.stdin.take().expect("stdin");
        for (name, policy) in wanted {
            let line = serde_json::json!({"name": name, "policy": policy});
            writeln!(input, "{line}").expect("writing to the helper");
        }
        drop(input);
        let out = ok(child.wait_with_output().expect("the helper ends"));
        stdout(&out)
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
                Keys(
                    v["key"].as_str().unwrap().to_string(),
                    v["secret"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Creates the bucket `name`.
    pub fn bucket(&self, name: &str) {
        ok(run(&mut self.helper(&["bucket", &self.url, name])));
    }

    /// Creates the user pool `name`; its id.
    pub fn pool(&self, name: &str) -> String {
        stdout(&ok(run(&mut self.helper(&["pool", &self.url, name]))))
            .trim()
            .to_string()
    }

    /// `tool` on `prod`, every AWS service at this moto, signing with `keys`.
    pub fn prod(&self, tool: &str, keys: &Keys) -> std::process::Command {
        let mut cmd = bin(tool);
        cmd.arg("prod")
            .env("AWS_ENDPOINT_URL", &self.url)
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An AccessDenied from each service names the tool, the action (and the resource when the
/// service gives it) and the `iam-policy` command; the tool exits 1 and leaves nothing behind.
#[test]
fn an_access_denied_names_the_tool_the_action_and_the_policy_command() {
    let moto = MotoIam::start();
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
        .prod("export", &keys)
        .args(["--table", &table, "--max-rcu", "10", "--file"])
        .arg(&file));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "dynamodb:Scan",
        "export was refused dynamodb:Scan",
        "`iam-policy export prod` prints the IAM policy export needs",
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
    let out =
        run(moto
            .prod("import", &keys)
            .args(["--s3", &folder, "--table", &table, "--dry-run"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "import was refused s3:GetObject",
        "`iam-policy import prod`",
        "HTTP 403",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }
}
