//! Unit tests of the planner: a live table built from a definition (as CreateTable would leave
//! it), then changed, and the plan's steps, order, risks and refusals checked.

use aws_sdk_dynamodb::types::{
    self as sdk, AttributeDefinition, BillingModeSummary, GlobalSecondaryIndexDescription,
    IndexStatus, KeySchemaElement, Projection, ProvisionedThroughputDescription,
    StreamSpecification, TableDescription, TableStatus,
};

use super::*;

fn keys(keys: &[KeyDef]) -> Vec<KeySchemaElement> {
    super::sdk::sdk_keys(keys).unwrap()
}

fn capacity(t: Option<Throughput>) -> ProvisionedThroughputDescription {
    let t = t.unwrap_or(Throughput { read: 0, write: 0 });
    ProvisionedThroughputDescription::builder()
        .read_capacity_units(t.read)
        .write_capacity_units(t.write)
        .number_of_decreases_today(2)
        .build()
}

/// The table as DynamoDB describes it right after creating `def`.
fn described(def: &TableDefinition) -> TableDescription {
    let mut table = TableDescription::builder()
        .table_name(&def.table_name)
        .table_status(TableStatus::Active)
        .item_count(1234)
        .set_key_schema(Some(keys(&def.key_schema)))
        .billing_mode_summary(
            BillingModeSummary::builder()
                .billing_mode(sdk::BillingMode::from(def.billing_mode.as_str()))
                .build(),
        )
        .provisioned_throughput(capacity(def.throughput))
        .deletion_protection_enabled(def.deletion_protection == Some(true));
    for a in &def.attributes {
        table = table.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(sdk::ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .unwrap(),
        );
    }
    for i in &def.indexes {
        table = table.global_secondary_indexes(
            GlobalSecondaryIndexDescription::builder()
                .index_name(&i.name)
                .set_key_schema(Some(keys(&i.key_schema)))
                .projection(
                    Projection::builder()
                        .projection_type(sdk::ProjectionType::from(
                            i.projection.projection_type.as_str(),
                        ))
                        .build(),
                )
                .provisioned_throughput(capacity(i.throughput))
                .index_status(IndexStatus::Active)
                .build(),
        );
    }
    if let Some(view) = def.stream {
        table = table.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(sdk::StreamViewType::from(view.as_str()))
                .build()
                .unwrap(),
        );
    }
    table.build()
}

fn live(def: &TableDefinition) -> LiveTable {
    LiveTable {
        table: described(def),
        ttl: Feature::Known(TtlState {
            status: "DISABLED".into(),
            attribute: None,
        }),
        point_in_time_recovery: Feature::Known(def.point_in_time_recovery == Some(true)),
        tags: Feature::NotAsked,
    }
}

fn shipped() -> TableDefinition {
    TableDefinition::load(None).unwrap()
}

fn kinds(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            serde_json::to_value(s).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

const LOCAL: PlanOptions = PlanOptions {
    allow_index_rebuild: false,
    prod: false,
};

#[test]
fn a_table_as_defined_needs_nothing() {
    let def = shipped();
    let plan = plan_changes(&def, &live(&def), LOCAL);
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn steps_come_in_a_safe_order_one_index_per_call() {
    let old = shipped();
    let mut def = shipped();
    let mut now = old.clone();
    now.deletion_protection = Some(false);
    now.indexes[0].name = "old-index".into();
    def.indexes.push(IndexDefinition {
        name: "by-user".into(),
        ..def.indexes[0].clone()
    });
    def.throughput = Some(Throughput { read: 10, write: 5 });
    def.stream = Some(StreamViewType::NewAndOldImages);
    def.ttl = Some(TtlSetting::Enabled("expires_at".into()));
    def.point_in_time_recovery = Some(true);
    let mut table = live(&now);
    table.point_in_time_recovery = Feature::Known(false);
    let plan = plan_changes(&def, &table, LOCAL);
    assert_eq!(
        kinds(&plan),
        [
            "deletion_protection",
            "delete_index",
            "capacity",
            "create_index",
            "create_index",
            "stream",
            "stream",
            "time_to_live",
            "point_in_time_recovery"
        ]
    );
    assert!(plan.refusals.is_empty());
    let lines: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{}: {}", s.call(), s.change()))
        .collect();
    assert_eq!(lines[0], "UpdateTable: turn deletion protection on");
    assert_eq!(lines[1], "UpdateTable: delete GSI old-index");
    assert_eq!(
        lines[2],
        "UpdateTable: table capacity 5/5 -> 10/5 (read/write)"
    );
    assert!(lines[3].starts_with("UpdateTable: create GSI message-group-sk-index"));
    assert_eq!(lines[5], "UpdateTable: disable the stream");
    assert_eq!(
        lines[6],
        "UpdateTable: enable the stream (NEW_AND_OLD_IMAGES)"
    );
    assert_eq!(
        lines[7],
        "UpdateTimeToLive: turn TTL on (attribute expires_at)"
    );
    assert_eq!(
        lines[8],
        "UpdateContinuousBackups: turn point-in-time recovery on"
    );
    assert!(plan.steps[3]
        .risk()
        .contains("reads the whole table (about 1234 items)"));
    // Protection off comes last.
    def.deletion_protection = Some(false);
    let plan = plan_changes(&def, &live(&shipped()), LOCAL);
    assert_eq!(
        plan.steps.last(),
        Some(&Step::DeletionProtection { enabled: false })
    );
}

#[test]
fn keys_and_local_indexes_are_refused_with_the_reason() {
    let mut def = shipped();
    def.key_schema[1].attribute_name = "message_group_uuid".into();
    let plan = plan_changes(&def, &live(&shipped()), LOCAL);
    assert!(plan.steps.is_empty());
    assert_eq!(plan.refusals.len(), 1);
    assert!(plan.refusals[0].what.contains("key schema: expected pk S HASH, message_group_uuid S RANGE, found pk S HASH, sk S RANGE"), "{:?}", plan.refusals);
    assert!(plan.refusals[0].reason.contains("cannot change in place"));

    let mut def = shipped();
    def.local_indexes.push(LocalIndexDefinition {
        name: "by-group".into(),
        key_schema: vec![
            def.key_schema[0].clone(),
            KeyDef {
                attribute_name: "message_group_uuid".into(),
                key_type: KeyType::Range,
            },
        ],
        projection: def.indexes[0].projection.clone(),
    });
    let plan = plan_changes(&def, &live(&shipped()), LOCAL);
    assert!(plan.refusals[0]
        .what
        .starts_with("local secondary indexes: expected by-group"));
    assert!(plan.refusals[0].reason.contains("made with the table"));
}

#[test]
fn an_index_change_needs_the_rebuild_flag() {
    let mut def = shipped();
    def.indexes[0].projection = ProjectionDef {
        projection_type: ProjectionType::KeysOnly,
        non_key_attributes: vec![],
    };
    let plan = plan_changes(&def, &live(&shipped()), LOCAL);
    assert!(plan.steps.is_empty());
    assert!(plan.refusals[0]
        .what
        .contains("projection: expected KEYS_ONLY, found ALL"));
    assert!(plan.refusals[0].reason.contains("--allow-index-rebuild"));
    let plan = plan_changes(
        &def,
        &live(&shipped()),
        PlanOptions {
            allow_index_rebuild: true,
            prod: false,
        },
    );
    assert!(plan.refusals.is_empty());
    assert_eq!(kinds(&plan), ["delete_index", "create_index"]);
    assert!(plan.steps[0].risk().contains("unavailable"));
    assert!(plan.steps[1].change().starts_with("re-create GSI"));
}

#[test]
fn capacity_decreases_and_billing_switches_say_what_they_risk() {
    let mut def = shipped();
    def.throughput = Some(Throughput { read: 1, write: 5 });
    def.indexes[0].throughput = Some(Throughput { read: 5, write: 2 });
    let plan = plan_changes(&def, &live(&shipped()), LOCAL);
    assert_eq!(kinds(&plan), ["capacity"]);
    assert_eq!(
        plan.steps[0].change(),
        "table capacity 5/5 -> 1/5 (read/write); GSI message-group-sk-index capacity 5/5 -> 5/2"
    );
    assert!(plan.steps[0]
        .risk()
        .contains("daily limit of decreases (2 so far today)"));

    let mut on_demand = shipped();
    on_demand.billing_mode = BillingMode::PayPerRequest;
    on_demand.throughput = None;
    on_demand.indexes[0].throughput = None;
    let plan = plan_changes(&on_demand, &live(&shipped()), LOCAL);
    assert_eq!(
        plan.steps[0].change(),
        "billing mode PROVISIONED -> PAY_PER_REQUEST"
    );
    assert!(plan.steps[0].risk().contains("switch billing mode"));
    // Back: the table and every index get their capacity in the same call.
    let plan = plan_changes(&shipped(), &live(&on_demand), LOCAL);
    assert_eq!(
        plan.steps[0].change(),
        "billing mode PAY_PER_REQUEST -> PROVISIONED; table capacity on-demand -> 5/5 (read/write); GSI message-group-sk-index capacity on-demand -> 5/5"
    );
}

#[test]
fn settings_an_endpoint_lacks_are_noted_or_refused_on_prod() {
    let def = shipped();
    let mut table = live(&def);
    table.point_in_time_recovery =
        Feature::Unsupported("An unknown operation was requested.".into());
    let plan = plan_changes(&def, &table, LOCAL);
    assert!(plan.is_empty());
    assert!(plan.notes[0].starts_with("point-in-time recovery: not supported by this endpoint"));
    let prod = PlanOptions {
        allow_index_rebuild: false,
        prod: true,
    };
    let plan = plan_changes(&def, &table, prod);
    assert!(plan.refusals[0]
        .reason
        .contains("requires point-in-time recovery on prod"));
}

#[test]
fn a_new_ttl_attribute_turns_ttl_off_then_on() {
    let mut def = shipped();
    def.ttl = Some(TtlSetting::Enabled("expires_at".into()));
    let mut table = live(&def);
    table.ttl = Feature::Known(TtlState {
        status: "ENABLED".into(),
        attribute: Some("ttl".into()),
    });
    let plan = plan_changes(&def, &table, LOCAL);
    assert_eq!(
        plan.steps,
        [
            Step::TimeToLive {
                enabled: false,
                attribute: "ttl".into()
            },
            Step::TimeToLive {
                enabled: true,
                attribute: "expires_at".into()
            }
        ]
    );
    def.ttl = Some(TtlSetting::Disabled);
    assert_eq!(plan_changes(&def, &table, LOCAL).steps.len(), 1);
    // Left out of the file: left alone.
    def.ttl = None;
    assert!(plan_changes(&def, &table, LOCAL).is_empty());
}
