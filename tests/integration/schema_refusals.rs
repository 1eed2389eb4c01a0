//! `schema-load --apply` never loses data: changes that cannot be made in place are refused and
//! leave the table as it was; an index rebuild needs its flag; an interrupted apply (stopped
//! through the library, or the process killed between two steps) carries on; a wait that runs out
//! leaves the index building and a re-run finishes.

use cruddur_ops::ddb::table::describe;
use cruddur_ops::ops::schema_load::{self, PlanOptions};
use serde_json::{json, Value};

use crate::common::*;
use crate::schema_migrations::{
    apply, fill, kinds, load, plan, through_index, with_user_index, Schemas,
};

/// What a refusal must leave as it was: DescribeTable's answer, as text.
async fn described(table: &str) -> String {
    let ctx = local_context(table).await;
    format!("{:?}", describe(&ctx, table).await.unwrap().unwrap())
}

/// Runs `--apply` with `file` and checks it is refused naming `what` and `why`, changing nothing.
async fn refused(table: &str, file: &std::path::Path, what: &str, why: &str) {
    let before = described(table).await;
    let out = load(table, file, &["--apply", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["outcome"], "refused", "{report}");
    assert!(
        report["refusals"][0]["what"]
            .as_str()
            .unwrap()
            .contains(what),
        "{report}"
    );
    assert!(
        report["refusals"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(why),
        "{report}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("refused") && err.contains("nothing was changed"),
        "{err}"
    );
    // The plan without --apply says the same, and exits 3.
    let (plan, text) = plan(table, file);
    assert_eq!(plan["refusals"], report["refusals"]);
    assert!(
        text.contains(&format!("refused: {what}")) && text.contains(why),
        "{text}"
    );
    assert_eq!(described(table).await, before, "the table is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_that_cannot_be_made_in_place_leave_the_table_untouched() {
    let (table, files) = (TestTable::created(), Schemas::new());

    let mut keys = Schemas::shipped();
    keys["KeySchema"][1]["AttributeName"] = json!("message_group_uuid");
    let keys = files.write(&keys);
    refused(
        &table.name,
        &keys,
        "key schema: expected pk S HASH, message_group_uuid S RANGE, found pk S HASH, sk S RANGE",
        "cannot change in place",
    )
    .await;

    let mut lsi = Schemas::shipped();
    lsi["LocalSecondaryIndexes"] = json!([{
        "IndexName": "by-group",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "message_group_uuid", "KeyType": "RANGE"}
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"}
    }]);
    let lsi = files.write(&lsi);
    refused(
        &table.name,
        &lsi,
        "local secondary indexes: expected by-group",
        "made with the table",
    )
    .await;

    let mut projection = Schemas::shipped();
    projection["GlobalSecondaryIndexes"][0]["Projection"] = json!({"ProjectionType": "KEYS_ONLY"});
    let projection = files.write(&projection);
    refused(
        &table.name,
        &projection,
        "GSI message-group-sk-index projection: expected KEYS_ONLY, found ALL",
        "--allow-index-rebuild",
    )
    .await;

    // With the flag: delete, then create; the plan says the index is unavailable meanwhile.
    let out = load(&table.name, &projection, &["--allow-index-rebuild"]);
    assert_eq!(out.status.code(), Some(3));
    let text = stderr(&out);
    assert!(
        text.contains("1. UpdateTable: delete GSI message-group-sk-index (to re-create it"),
        "{text}"
    );
    assert!(
        text.contains("is unavailable (queries on it fail) until it is re-created"),
        "{text}"
    );
    assert!(
        text.contains("2. UpdateTable: re-create GSI message-group-sk-index"),
        "{text}"
    );
    ok(load(
        &table.name,
        &projection,
        &["--apply", "--allow-index-rebuild"],
    ));
    let ctx = local_context(&table.name).await;
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let gsi = &desc.global_secondary_indexes()[0];
    let kind = gsi.projection().and_then(|p| p.projection_type());
    assert_eq!(kind.map(|k| k.as_str()), Some("KEYS_ONLY"));
    assert_eq!(desc.deletion_protection_enabled(), Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_carries_on_from_where_the_table_is() {
    let (table, files) = (TestTable::created(), Schemas::new());
    let mut schema = with_user_index(Schemas::shipped(), "by-user");
    schema = with_user_index(schema, "by-user-too");
    // (with_user_index adds the attribute twice: keep one.)
    schema["AttributeDefinitions"].as_array_mut().unwrap().pop();
    schema["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 8, "WriteCapacityUnits": 8});
    let file = files.write(&schema);
    let (report, _) = plan(&table.name, &file);
    assert_eq!(kinds(&report), ["capacity", "create_index", "create_index"]);

    // The first two steps only, as if the apply had been killed after them.
    let ctx = local_context(&table.name).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let mut def = schema_load::TableDefinition::parse(&text).unwrap();
    def.table_name = table.name.clone();
    let live = schema_load::inspect(&ctx, &def).await.unwrap().unwrap();
    let planned = schema_load::plan_changes(&def, &live, PlanOptions::default());
    assert_eq!(planned.steps.len(), 3);
    let target = schema_load::Target::of(&live.table);
    let wait = schema_load::DEFAULT_WAIT_TIMEOUT;
    let partly =
        schema_load::apply(&ctx, &def, target, &planned.steps[..2], wait, &mut |_| {}).await;
    assert!(partly.error.is_none(), "{:?}", partly.error);

    // The re-run plans (and applies) only what is left.
    let (report, text) = plan(&table.name, &file);
    assert_eq!(kinds(&report), ["create_index"], "{report}");
    assert!(
        text.contains("1. UpdateTable: create GSI by-user-too"),
        "{text}"
    );
    let report = apply(&table.name, &file);
    assert_eq!(report["steps"].as_array().unwrap().len(), 1);
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert_eq!(desc.global_secondary_indexes().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_between_two_steps_is_finished_by_a_rerun_without_losing_an_item() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let files = Schemas::new();
    let table = files.table(&Schemas::quiet());
    let ctx = local_context(&table.name).await;
    let mut keys: Vec<String> = fill(&ctx, &table.name, 300, 10).await.into_iter().collect();
    let mut schema = with_user_index(Schemas::quiet(), "by-user");
    schema = with_user_index(schema, "by-user-too");
    schema["AttributeDefinitions"].as_array_mut().unwrap().pop();
    schema["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 8, "WriteCapacityUnits": 8});
    let file = files.write(&schema);
    let (report, _) = plan(&table.name, &file);
    assert_eq!(kinds(&report), ["capacity", "create_index", "create_index"]);

    // The apply runs as its own process; it is killed (SIGKILL) as soon as it says step 1 is
    // done, before or just as it starts step 2.
    let mut child = bin("schema-load")
        .args(["--table", &table.name, "--schema"])
        .arg(&file)
        .arg("--apply")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("step 1 done");
        said.push(line);
        if done {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "not killed: {status:?}\n{said:#?}"
    );

    // What the kill left: step 1 (capacity) carried out, the second new index not there.
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    let capacity = desc.provisioned_throughput().unwrap();
    assert_eq!(capacity.read_capacity_units(), Some(8), "{said:#?}");
    let indexes: Vec<_> = desc
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    assert!(!indexes.contains(&"by-user-too"), "{indexes:?}");

    // The re-run plans only what is left (whatever step 2 got to) and ends with the table
    // equal to the file, every item readable through both new indexes.
    let (report, _) = plan(&table.name, &file);
    let left = kinds(&report);
    assert!(!left.contains(&"capacity"), "{report}");
    assert!(left.contains(&"create_index"), "{report}");
    apply(&table.name, &file);
    keys.sort();
    for index in ["by-user", "by-user-too"] {
        let mut found = through_index(&ctx, &table.name, index, 10).await;
        found.sort();
        assert_eq!(found, keys, "{index}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_that_runs_out_leaves_the_index_building_and_a_rerun_finishes() {
    let files = Schemas::new();
    let table = files.table(&Schemas::quiet());
    let ctx = local_context(&table.name).await;
    fill(&ctx, &table.name, 300, 10).await;
    let file = files.write(&with_user_index(Schemas::quiet(), "by-user"));
    // No wait at all: the index is CREATING when the first DescribeTable comes back.
    let err = fails(load(
        &table.name,
        &file,
        &["--apply", "--wait-timeout", "0"],
    ));
    assert!(err.contains("GSI by-user is still CREATING"), "{err}");
    // Without a terminal, no bar: one line per status seen, with the item counts. (Whether
    // DynamoDB Local already says it is backfilling when it is first described depends on how
    // far it got: both lines are that status.)
    assert!(
        err.contains("  GSI by-user CREATING: ")
            || err.contains("  GSI by-user CREATING, backfilling: "),
        "{err}"
    );
    assert!(err.contains(" of about 300 items"), "{err}");
    assert!(
        err.contains("it is left as it is") && err.contains("--wait-timeout"),
        "{err}"
    );
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert!(desc
        .global_secondary_indexes()
        .iter()
        .any(|g| g.index_name() == Some("by-user")));

    // The re-run waits for the index, then carries out what is left (on DynamoDB Local, which
    // turned deletion protection off with the UpdateTable, that is turning it on again).
    ok(load(&table.name, &file, &["--apply"]));
    let out = ok(load(&table.name, &file, &[]));
    assert!(
        stderr(&out).contains("exactly as defined")
            || stderr(&out).contains("is as defined in every setting this endpoint reports"),
        "{}",
        stderr(&out)
    );
    let desc = describe(&ctx, &table.name).await.unwrap().unwrap();
    assert!(desc
        .global_secondary_indexes()
        .iter()
        .all(|g| g.index_status().map(|s| s.as_str()) == Some("ACTIVE")));
    assert_eq!(desc.deletion_protection_enabled(), Some(true));
}
