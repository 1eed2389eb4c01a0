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
