//! The table: every tool, the AWS actions it calls and on what, per mode and target. Read from
//! the code paths (`src/ddb`, `src/cognito`, `src/s3`, `src/ops`); keep it equal to them when a
//! tool starts or stops calling something (the enforcement test in `tests/integration/iam.rs`
//! runs each tool with exactly this and fails when an action is missing or never needed).
//!
//! Notes on the entries:
//! - The SDK's waiters (`TableExists`, `TableNotExists`) and every wait for an index poll
//!   `DescribeTable`.
//! - A `TransactWriteItems` is authorized item by item: its puts need `dynamodb:PutItem`, its
//!   deletes `dynamodb:DeleteItem`.
//! - `s3:ListBucket` is also what makes S3 answer 404 (not 403) for an object that is not there,
//!   which `table-import --s3` relies on to tell a folder without a manifest.
//! - What DynamoDB does on the caller's behalf for `table-export --s3` (writing the files),
//!   `table-import --s3 --new-table` (reading them, writing its log) and `restore` (writing the
//!   new table) needs the caller's permissions too.

use super::Resource::{
    AllTables, Any, AnyExports, Backups, Bucket, DeadLetterQueue, Exports, ImportLogs, Imports,
    Index, LambdaLogs, Objects, Pool, Stream, Table,
};
use super::{Mode, Need, Tool};

/// Found by name on the local target when no pool id is given.
const FIND_POOL: Need = Need::new("cognito-idp:ListUserPools", Any)
    .local()
    .when("no --user-pool-id: the pool is found by name");

/// The read budget of a bulk job comes from the table's provisioned capacity.
const BUDGET: &str = "no --max-rcu/--max-wcu: the budget comes from the table";

/// The user pool's users, groups and members, read whole.
const READ_POOL: [Need; 3] = [
    Need::new("cognito-idp:ListUsers", Pool),
    Need::new("cognito-idp:ListGroups", Pool),
    Need::new("cognito-idp:ListUsersInGroup", Pool),
];

/// What DynamoDB does as the caller when it writes an export's files (`table-export --s3`, prod).
const fn written_by_dynamodb(action: &'static str) -> Need {
    Need::new(action, Objects)
        .modes(&["s3"])
        .prod()
        .when("DynamoDB writes the files as the caller")
}

/// What DynamoDB checks as the caller's on the new table of a restore: AWS's page on IAM with
/// backup and restore asks for read and write permissions on the target table (`restore`).
const fn restored_by_dynamodb(action: &'static str) -> Need {
    Need::new(action, AllTables).when("DynamoDB checks it as the caller's on the new table")
}

/// What DynamoDB does as the caller when it logs an import (`table-import --s3 --new-table`,
/// prod).
const fn logged_by_dynamodb(action: &'static str) -> Need {
    Need::new(action, ImportLogs)
        .modes(&["new-table"])
        .prod()
        .when("DynamoDB logs the import as the caller")
}

/// Every tool, in the order of their names.
pub static TOOLS: &[Tool] = &[
    Tool {
        name: "backups",
        modes: &[
            Mode {
                name: "list",
                what: "a table's backups",
            },
            Mode {
                name: "delete",
                what: "--delete ARN",
            },
        ],
        needs: &[
            Need::new("dynamodb:ListBackups", Any).modes(&["list"]),
            Need::new("dynamodb:DescribeBackup", Backups)
                .modes(&["list"])
                .when("a backup is listed (for its item count)"),
            Need::new("dynamodb:DescribeBackup", Backups).modes(&["delete"]),
            Need::new("dynamodb:DeleteBackup", Backups).modes(&["delete"]),
        ],
        note: None,
    },
    Tool {
        name: "check",
        modes: &[],
        needs: &[
            Need::new("dynamodb:Scan", Table),
            Need::new("dynamodb:DescribeTable", Table).prod().when(BUDGET),
            READ_POOL[0],
            READ_POOL[1],
            READ_POOL[2],
            FIND_POOL,
        ],
        note: None,
    },
    Tool {
        name: "cognito-export",
        modes: &[],
        needs: &[
            Need::new("cognito-idp:DescribeUserPool", Pool),
            READ_POOL[0],
            READ_POOL[1],
            READ_POOL[2],
            FIND_POOL,
        ],
        note: None,
    },
    Tool {
        name: "cognito-import",
        modes: &[
            Mode {
                name: "dry-run",
                what: "--dry-run: the pool is read, nothing written",
            },
            Mode {
                name: "restore",
                what: "a real run",
            },
        ],
        needs: &[
            Need::new("cognito-idp:DescribeUserPool", Pool),
            READ_POOL[0],
            READ_POOL[1],
            READ_POOL[2],
            Need::new("cognito-idp:CreateGroup", Pool)
                .modes(&["restore"])
                .when("a group is missing"),
            Need::new("cognito-idp:AdminCreateUser", Pool)
                .modes(&["restore"])
                .when("a user is missing"),
            Need::new("cognito-idp:AdminDisableUser", Pool)
                .modes(&["restore"])
                .when("a user was exported disabled"),
            Need::new("cognito-idp:AdminEnableUser", Pool)
                .modes(&["restore"])
                .when("a disabled user was exported enabled"),
            Need::new("cognito-idp:AdminUpdateUserAttributes", Pool)
                .modes(&["restore"])
                .when("an existing user's attributes differ"),
            Need::new("cognito-idp:AdminAddUserToGroup", Pool)
                .modes(&["restore"])
                .when("a membership is missing"),
            Need::new("cognito-idp:AdminGetUser", Pool)
                .modes(&["restore"])
                .when("someone else created the user meanwhile"),
            FIND_POOL,
        ],
        note: None,
    },
    Tool {
        name: "cognito-setup",
        modes: &[],
        needs: &[
            Need::new("cognito-idp:ListUserPools", Any).local(),
            Need::new("cognito-idp:CreateUserPool", Any)
                .local()
                .when("the pool does not exist (not --dry-run)"),
            Need::new("cognito-idp:ListUsers", Pool)
                .local()
                .when("the pool exists"),
            Need::new("cognito-idp:AdminCreateUser", Pool)
                .local()
                .when("a user is missing (not --dry-run)"),
        ],
        note: Some("local target only (the production pool is managed outside the toolkit)"),
    },
    Tool {
        name: "db-setup",
        modes: &[],
        needs: &[],
        note: Some("PostgreSQL only"),
    },
    Tool {
        name: "drop",
        modes: &[
            Mode {
                name: "dry-run",
                what: "--dry-run: the table is described, nothing deleted",
            },
            Mode {
                name: "drop",
                what: "a real run",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table),
            Need::new("dynamodb:DeleteTable", Table).modes(&["drop"]),
            Need::new("dynamodb:CreateBackup", Table)
                .modes(&["drop"])
                .prod()
                .when("the backup before the delete (not with --no-backup)"),
            Need::new("dynamodb:DescribeBackup", Backups)
                .modes(&["drop"])
                .prod()
                .when("waiting for that backup to be AVAILABLE"),
            Need::new("dynamodb:UpdateTable", Table)
                .modes(&["drop"])
                .when("--disable-deletion-protection on a protected table"),
        ],
        note: None,
    },
    Tool {
        name: "find-user",
        modes: &[],
        needs: &[
            Need::new("cognito-idp:ListUsers", Pool).when("--cognito"),
            Need::new("cognito-idp:ListUserPools", Any)
                .local()
                .when("--cognito without --user-pool-id"),
        ],
        note: Some("without --cognito, PostgreSQL only"),
    },
    Tool {
        name: "get-conversations",
        modes: &[],
        needs: &[Need::new("dynamodb:Query", Table)],
        note: None,
    },
    Tool {
        name: "iam-policy",
        modes: &[],
        needs: &[],
        note: Some(
            "no policy: sts:GetCallerIdentity (without --account) needs no permission",
        ),
    },
    Tool {
        name: "list-conversations",
        modes: &[],
        needs: &[Need::new("dynamodb:Query", Table)],
        note: None,
    },
    Tool {
        name: "list-tables",
        modes: &[],
        needs: &[
            Need::new("dynamodb:ListTables", Any),
            Need::new("dynamodb:DescribeTable", AllTables),
        ],
        note: None,
    },
    Tool {
        name: "list-users",
        modes: &[],
        needs: &[
            Need::new("cognito-idp:ListUsers", Pool),
            Need::new("cognito-idp:DescribeUserPool", Pool)
                .when("stderr is a terminal (the progress bar's total)"),
            FIND_POOL,
        ],
        note: None,
    },
    Tool {
        name: "messaging-stream",
        modes: &[
            Mode {
                name: "follow",
                what: "--follow (reads the table's stream)",
            },
            Mode {
                name: "event",
                what: "--event FILE (a recorded Lambda event)",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table).modes(&["follow"]),
            Need::new("dynamodb:DescribeStream", Stream).modes(&["follow"]),
            Need::new("dynamodb:GetShardIterator", Stream).modes(&["follow"]),
            Need::new("dynamodb:GetRecords", Stream).modes(&["follow"]),
            Need::new("dynamodb:Query", Index),
            Need::new("dynamodb:Query", Table)
                .when("a row changed meanwhile (read again, consistent)"),
            Need::new("dynamodb:PutItem", Table).when("a row moves (not --dry-run)"),
            Need::new("dynamodb:DeleteItem", Table).when("a row moves (not --dry-run)"),
        ],
        note: None,
    },
    Tool {
        name: "messaging-stream-lambda",
        modes: &[],
        needs: &[
            Need::new("dynamodb:DescribeStream", Stream),
            Need::new("dynamodb:GetShardIterator", Stream),
            Need::new("dynamodb:GetRecords", Stream),
            Need::new("dynamodb:ListStreams", Any),
            Need::new("dynamodb:Query", Index),
            Need::new("dynamodb:Query", Table)
                .when("a row changed meanwhile (read again, consistent)"),
            Need::new("dynamodb:PutItem", Table),
            Need::new("dynamodb:DeleteItem", Table),
            Need::new("logs:CreateLogGroup", LambdaLogs),
            Need::new("logs:CreateLogStream", LambdaLogs),
            Need::new("logs:PutLogEvents", LambdaLogs),
            Need::new("sqs:SendMessage", DeadLetterQueue)
                .when("a record given up on (the mapping's on-failure queue)"),
        ],
        note: Some(
            "the function's execution role: the stream is read by Lambda's event source mapping with it",
        ),
    },
    Tool {
        name: "restore",
        modes: &[
            Mode {
                name: "backup",
                what: "--from-backup ARN|NAME",
            },
            Mode {
                name: "time",
                what: "--source TABLE --to-time TIME|latest",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", AllTables),
            Need::new("dynamodb:DescribeBackup", Backups).modes(&["backup"]),
            Need::new("dynamodb:ListBackups", Any)
                .modes(&["backup"])
                .when("a backup named, not given by ARN"),
            Need::new("dynamodb:RestoreTableFromBackup", AllTables).modes(&["backup"]),
            Need::new("dynamodb:DescribeContinuousBackups", AllTables).modes(&["time"]),
            Need::new("dynamodb:RestoreTableToPointInTime", AllTables).modes(&["time"]),
            Need::new("dynamodb:DescribeContinuousBackups", AllTables)
                .modes(&["backup"])
                .when("the schema file sets PointInTimeRecoverySpecification"),
            Need::new("dynamodb:DescribeTimeToLive", AllTables)
                .when("the schema file sets TimeToLiveSpecification"),
            Need::new("dynamodb:ListTagsOfResource", AllTables).when("the schema file sets Tags"),
            restored_by_dynamodb("dynamodb:PutItem"),
            restored_by_dynamodb("dynamodb:BatchWriteItem"),
            restored_by_dynamodb("dynamodb:UpdateItem"),
            restored_by_dynamodb("dynamodb:DeleteItem"),
            restored_by_dynamodb("dynamodb:GetItem"),
            restored_by_dynamodb("dynamodb:Query"),
            Need::new("dynamodb:UpdateTable", AllTables).when("the stream, deletion protection"),
            Need::new("dynamodb:UpdateTimeToLive", AllTables).when("the schema file's TTL"),
            Need::new("dynamodb:UpdateContinuousBackups", AllTables)
                .when("the schema file's point-in-time recovery"),
            Need::new("dynamodb:TagResource", AllTables).when("the schema file's tags"),
            Need::new("dynamodb:Scan", AllTables)
                .when("--verify; and DynamoDB checks it as the caller's on the new table"),
        ],
        note: Some("the restored table and its source are named at run time (table/*)"),
    },
    Tool {
        name: "scan",
        modes: &[],
        needs: &[
            Need::new("dynamodb:Scan", Table),
            Need::new("dynamodb:DescribeTable", Table)
                .when("prod without --max-rcu, or a progress bar"),
        ],
        note: None,
    },
    Tool {
        name: "schema-load",
        modes: &[
            Mode {
                name: "plan",
                what: "an existing table read and compared (without --apply, or --dry-run)",
            },
            Mode {
                name: "apply",
                what: "--apply, or a missing table (always created)",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table),
            Need::new("dynamodb:DescribeContinuousBackups", Table)
                .when("the file sets PointInTimeRecoverySpecification"),
            Need::new("dynamodb:DescribeTimeToLive", Table)
                .when("the file sets TimeToLiveSpecification"),
            Need::new("dynamodb:ListTagsOfResource", Table).when("the file sets Tags"),
            Need::new("dynamodb:CreateTable", Table)
                .modes(&["apply"])
                .when("the table does not exist"),
            Need::new("dynamodb:UpdateTable", Table)
                .modes(&["apply"])
                .when("capacity, indexes, stream or deletion protection differ"),
            Need::new("dynamodb:UpdateTimeToLive", Table)
                .modes(&["apply"])
                .when("TTL differs"),
            Need::new("dynamodb:UpdateContinuousBackups", Table)
                .modes(&["apply"])
                .when("point-in-time recovery differs"),
            Need::new("dynamodb:TagResource", Table)
                .modes(&["apply"])
                .when("tags to add"),
            Need::new("dynamodb:CreateBackup", Table)
                .modes(&["apply"])
                .prod()
                .when("a plan that deletes or rebuilds an index or changes the billing mode"),
            Need::new("dynamodb:DescribeBackup", Backups)
                .modes(&["apply"])
                .prod()
                .when("waiting for that backup to be AVAILABLE"),
            Need::new("dynamodb:UntagResource", Table)
                .modes(&["apply"])
                .when("tags to remove"),
        ],
        note: None,
    },
    Tool {
        name: "seed",
        modes: &[
            Mode {
                name: "dry-run",
                what: "--dry-run: the group is read, nothing written",
            },
            Mode {
                name: "write",
                what: "a real run",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table),
            Need::new("dynamodb:Query", Table),
            Need::new("dynamodb:Query", Index),
            Need::new("dynamodb:PutItem", Table).modes(&["write"]),
            Need::new("dynamodb:DeleteItem", Table).modes(&["write"]),
            Need::new("dynamodb:BatchWriteItem", Table).modes(&["write"]),
            Need::new("dynamodb:UpdateItem", Table)
                .modes(&["write"])
                .when("the writes take over 10 s (the lock's lease is renewed)"),
        ],
        note: None,
    },
    Tool {
        name: "send-message",
        modes: &[
            Mode {
                name: "dry-run",
                what: "--dry-run: nothing written",
            },
            Mode {
                name: "send",
                what: "a real run",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table),
            Need::new("dynamodb:Query", Index).when("--group"),
            Need::new("dynamodb:PutItem", Table).modes(&["send"]),
        ],
        note: None,
    },
    Tool {
        name: "summary",
        modes: &[],
        needs: &[
            Need::new("dynamodb:Scan", Table),
            READ_POOL[0],
            READ_POOL[1],
            READ_POOL[2],
            FIND_POOL,
        ],
        note: None,
    },
    Tool {
        name: "table-export",
        modes: &[
            Mode {
                name: "file",
                what: "--file (a Scan of the table)",
            },
            Mode {
                name: "s3",
                what: "--s3 (DynamoDB's ExportTableToPointInTime)",
            },
        ],
        needs: &[
            Need::new("dynamodb:Scan", Table).modes(&["file"]),
            Need::new("dynamodb:DescribeTable", Table)
                .modes(&["file"])
                .when("--dry-run, or prod without --max-rcu"),
            Need::new("dynamodb:DescribeTable", Table).modes(&["s3"]),
            Need::new("dynamodb:DescribeContinuousBackups", Table).modes(&["s3"]),
            Need::new("dynamodb:ExportTableToPointInTime", Table)
                .modes(&["s3"])
                .when("no earlier export of the same request to join"),
            Need::new("dynamodb:DescribeExport", Exports).modes(&["s3"]),
            Need::new("dynamodb:ListExports", Any)
                .modes(&["s3"])
                .local()
                .when("looking for the same export started before"),
            Need::new("s3:GetObject", Objects)
                .modes(&["s3"])
                .when("reading the export's manifest"),
            Need::new("s3:ListBucket", Bucket)
                .modes(&["s3"])
                .when("listing a folder without manifest (moto)"),
            written_by_dynamodb("s3:PutObject"),
            written_by_dynamodb("s3:AbortMultipartUpload"),
            written_by_dynamodb("s3:PutObjectAcl"),
        ],
        note: None,
    },
    Tool {
        name: "table-import",
        modes: &[
            Mode {
                name: "file",
                what: "--file (BatchWriteItem)",
            },
            Mode {
                name: "s3",
                what: "--s3 into an existing table (BatchWriteItem)",
            },
            Mode {
                name: "new-table",
                what: "--s3 --new-table (DynamoDB's ImportTable; --table names the new table)",
            },
        ],
        needs: &[
            Need::new("dynamodb:DescribeTable", Table),
            Need::new("dynamodb:Scan", Table)
                .modes(&["file", "s3"])
                .prod()
                .when("one item read: is the table empty (no backup then)"),
            Need::new("dynamodb:CreateBackup", Table)
                .modes(&["file", "s3"])
                .prod()
                .when("the backup before writing into a table that is not empty (not with --no-backup)"),
            Need::new("dynamodb:DescribeBackup", Backups)
                .modes(&["file", "s3"])
                .prod()
                .when("waiting for that backup to be AVAILABLE"),
            Need::new("dynamodb:BatchWriteItem", Table)
                .modes(&["file", "s3"])
                .when("not --dry-run"),
            Need::new("dynamodb:DescribeExport", AnyExports)
                .modes(&["s3", "new-table"])
                .when("--export-arn"),
            Need::new("s3:GetObject", Objects).modes(&["s3", "new-table"]),
            Need::new("s3:ListBucket", Bucket).modes(&["s3", "new-table"]),
            Need::new("dynamodb:ImportTable", Table).modes(&["new-table"]),
            Need::new("dynamodb:DescribeImport", Imports).modes(&["new-table"]),
            logged_by_dynamodb("logs:CreateLogGroup"),
            logged_by_dynamodb("logs:CreateLogStream"),
            logged_by_dynamodb("logs:DescribeLogGroups"),
            logged_by_dynamodb("logs:DescribeLogStreams"),
            logged_by_dynamodb("logs:PutLogEvents"),
            logged_by_dynamodb("logs:PutRetentionPolicy"),
        ],
        note: None,
    },
    Tool {
        name: "update-cognito-user-ids",
        modes: &[],
        needs: &[
            Need::new("cognito-idp:ListUsers", Pool),
            Need::new("cognito-idp:DescribeUserPool", Pool)
                .when("stderr is a terminal (the progress bar's total)"),
            FIND_POOL,
        ],
        note: None,
    },
];

/// The README's CI steps (`schema-load prod` plan and apply, `seed prod --yes`, `check prod`), as
/// (tool, mode): what `iam-policy --all` covers.
pub const CI_STEPS: &[(&str, Option<&str>)] = &[
    ("schema-load", None),
    ("seed", Some("write")),
    ("check", None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_sorted_unique_and_their_modes_exist() {
        let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for tool in TOOLS {
            for need in tool.needs {
                assert!(need.action.contains(':'), "{}: {}", tool.name, need.action);
                for mode in need.modes {
                    assert!(
                        tool.modes.iter().any(|m| m.name == *mode),
                        "{}: mode {mode} of {} is not one of its modes",
                        tool.name,
                        need.action
                    );
                }
            }
            if !tool.calls_aws() {
                assert!(tool.note.is_some(), "{} calls nothing: say why", tool.name);
            }
        }
        let local_only: Vec<&str> = TOOLS
            .iter()
            .filter(|t| t.local_only())
            .map(|t| t.name)
            .collect();
        assert_eq!(
            local_only,
            ["cognito-setup"],
            "the tools that call nothing on prod"
        );
        for (tool, mode) in CI_STEPS {
            let t = crate::iam::tool(tool).expect("a CI step's tool");
            assert!(mode.is_none_or(|m| t.modes.iter().any(|x| x.name == m)));
        }
    }
}
