//! Unit tests of the table definition: the shipped one, defaults, and what is rejected.

use std::path::Path;

use super::*;

fn key(name: &str, key_type: KeyType) -> KeyDef {
    KeyDef {
        attribute_name: name.into(),
        key_type,
    }
}

#[test]
fn shipped_definition_is_what_the_app_needs() {
    let def = TableDefinition::load(None).unwrap();
    assert_eq!(def.table_name, "cruddur-messages");
    assert_eq!(
        def.key_schema,
        vec![key("pk", KeyType::Hash), key("sk", KeyType::Range)]
    );
    assert_eq!(def.indexes.len(), 1);
    let gsi = &def.indexes[0];
    assert_eq!(gsi.name, "message-group-sk-index");
    assert_eq!(
        gsi.key_schema,
        vec![
            key("message_group_uuid", KeyType::Hash),
            key("sk", KeyType::Range)
        ]
    );
    assert_eq!(gsi.projection.projection_type, ProjectionType::All);
    assert_eq!(gsi.throughput, Some(Throughput { read: 5, write: 5 }));
    assert_eq!(def.billing_mode, BillingMode::Provisioned);
    assert_eq!(def.throughput, Some(Throughput { read: 5, write: 5 }));
    assert_eq!(def.stream, Some(StreamViewType::NewImage));
    // The prod table is protected and recoverable by default; TTL and tags are left alone.
    assert_eq!(def.deletion_protection, Some(true));
    assert_eq!(def.point_in_time_recovery, Some(true));
    assert_eq!(def.ttl, None);
    assert_eq!(def.tags, None);
    assert!(def.local_indexes.is_empty());
}

const MINIMAL: &str = r#"{"TableName":"t","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;

#[test]
fn the_extra_settings_parse() {
    let json = MINIMAL.replace(
        r#""BillingMode""#,
        r#""TimeToLiveSpecification":{"AttributeName":"expires_at","Enabled":true},
           "PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":false},
           "DeletionProtectionEnabled":false,
           "Tags":[{"Key":"app","Value":"cruddur"}],
           "BillingMode""#,
    );
    let def = TableDefinition::parse(&json).unwrap();
    assert_eq!(def.ttl, Some(TtlSetting::Enabled("expires_at".into())));
    assert_eq!(def.point_in_time_recovery, Some(false));
    assert_eq!(def.deletion_protection, Some(false));
    assert_eq!(
        def.tags,
        Some([("app".to_string(), "cruddur".to_string())].into())
    );
    let off = MINIMAL.replace(
        r#""BillingMode""#,
        r#""TimeToLiveSpecification":{"Enabled":false},"BillingMode""#,
    );
    assert_eq!(
        TableDefinition::parse(&off).unwrap().ttl,
        Some(TtlSetting::Disabled)
    );
}

#[test]
fn defaults_of_a_minimal_definition() {
    let def = TableDefinition::parse(MINIMAL).unwrap();
    assert_eq!(def.billing_mode, BillingMode::PayPerRequest);
    assert!(def.indexes.is_empty());
    assert_eq!(def.stream, None);
    assert_eq!(def.throughput, None);
    // Left out: the table's settings are left as they are.
    assert_eq!(
        (
            def.deletion_protection,
            def.point_in_time_recovery,
            &def.ttl,
            &def.tags
        ),
        (None, None, &None, &None)
    );
    let disabled = MINIMAL.replace(
        r#""BillingMode""#,
        r#""StreamSpecification":{"StreamEnabled":false},"BillingMode""#,
    );
    assert_eq!(TableDefinition::parse(&disabled).unwrap().stream, None);
}

#[test]
fn bad_definitions_are_rejected_with_the_reason() {
    let err = |json: &str| format!("{:#}", TableDefinition::parse(json).unwrap_err());
    assert!(err("{").contains("not valid JSON"));
    let missing = err(r#"{"TableName":"t"}"#);
    assert!(
        missing.contains("missing field `AttributeDefinitions`"),
        "{missing}"
    );
    // A file naming another table: an error unless --table was explicit.
    let file = Path::new("other.json");
    let mut def = TableDefinition::load(None).unwrap();
    def.table_name = "from-file".into();
    let refused = def
        .clone()
        .retarget(Some(file), "cruddur-messages", false)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("other.json")
            && refused.contains("\"from-file\"")
            && refused.contains("\"cruddur-messages\""),
        "{refused}"
    );
    let mut explicit = def.clone();
    let note = explicit.retarget(Some(file), "mine", true).unwrap();
    assert!(note.is_some_and(|n| n.contains("from-file") && n.contains("mine")));
    assert_eq!(explicit.table_name, "mine");
    let mut same = def.clone();
    assert_eq!(same.retarget(Some(file), "from-file", false).unwrap(), None);
    let mut shipped = TableDefinition::load(None).unwrap();
    assert_eq!(shipped.retarget(None, "t", false).unwrap(), None);
    assert_eq!(shipped.table_name, "t");
    let no_attr = r#"{"TableName":"t","AttributeDefinitions":[],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    assert!(err(no_attr).contains("\"pk\""));
    let bad_type = MINIMAL.replace(r#""AttributeType":"S""#, r#""AttributeType":"X""#);
    let bad_type = err(&bad_type);
    assert!(
        bad_type.contains("unknown variant `X`, expected one of `S`, `N`, `B`")
            && bad_type.contains("line 1"),
        "{bad_type}"
    );
    // A field this toolkit does not support is an error, not silently dropped.
    let unknown = MINIMAL.replace(r#""BillingMode""#, r#""SSESpecification":{},"BillingMode""#);
    let unknown = err(&unknown);
    assert!(
        unknown.contains("unknown field `SSESpecification`"),
        "{unknown}"
    );
    let no_ttl_attribute = MINIMAL.replace(
        r#""BillingMode""#,
        r#""TimeToLiveSpecification":{"Enabled":true},"BillingMode""#,
    );
    assert!(err(&no_ttl_attribute).contains("needs an AttributeName"));
    let twice = MINIMAL.replace(
        r#""BillingMode""#,
        r#""Tags":[{"Key":"a","Value":"1"},{"Key":"a","Value":"2"}],"BillingMode""#,
    );
    assert!(
        err(&twice).contains("\"a\" appears twice"),
        "{}",
        err(&twice)
    );
    let no_view = MINIMAL.replace(
        r#""BillingMode""#,
        r#""StreamSpecification":{"StreamEnabled":true},"BillingMode""#,
    );
    assert!(err(&no_view).contains("needs a StreamViewType"));
    let provisioned = MINIMAL.replace("PAY_PER_REQUEST", "PROVISIONED");
    assert!(err(&provisioned).contains("needs ProvisionedThroughput"));
    let zero = provisioned.replace(
        r#""BillingMode""#,
        r#""ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":5},"BillingMode""#,
    );
    assert!(err(&zero).contains("must be positive"), "{}", err(&zero));
    let fraction = zero.replace(r#""ReadCapacityUnits":0"#, r#""ReadCapacityUnits":1.5"#);
    assert!(err(&fraction).contains("not a valid table definition"));
}

#[test]
fn an_index_creation_sends_the_table_attributes_with_the_new_ones() {
    use aws_sdk_dynamodb::types::{AttributeDefinition, ScalarAttributeType as T};
    let attr = |name: &str, t: T| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(t)
            .build()
            .unwrap()
    };
    let new = vec![attr("user_uuid", T::S), attr("sk", T::S)];
    let table = [attr("pk", T::S), attr("sk", T::S), attr("group", T::S)];
    let sent: Vec<_> = sdk::with_table_attributes(new, &table)
        .iter()
        .map(|a| a.attribute_name().to_string())
        .collect();
    assert_eq!(sent, ["user_uuid", "sk", "pk", "group"]);
}
