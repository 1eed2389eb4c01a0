use super::*;
use crate::cognito::records::{Membership, SchemaAttribute};

fn user(name: &str, attrs: &[(&str, &str)]) -> UserRecord {
    UserRecord {
        username: name.into(),
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        enabled: true,
        status: Some("CONFIRMED".into()),
        created: None,
    }
}

fn custom(name: &str, mutable: bool) -> SchemaAttribute {
    SchemaAttribute {
        name: name.into(),
        data_type: Some("String".into()),
        mutable: Some(mutable),
        ..SchemaAttribute::default()
    }
}

fn backup(users: Vec<UserRecord>) -> Backup {
    Backup {
        pool: PoolDescription {
            id: "old".into(),
            schema: vec![custom("custom:tier", true)],
            ..PoolDescription::default()
        },
        groups: vec![GroupRecord {
            name: "admins".into(),
            ..GroupRecord::default()
        }],
        members: users
            .iter()
            .map(|u| Membership {
                group: "admins".into(),
                username: u.username.clone(),
            })
            .collect(),
        users,
    }
}

fn target(schema: Vec<SchemaAttribute>, users: Vec<UserRecord>) -> Target {
    Target {
        pool: PoolDescription {
            id: "new".into(),
            schema,
            ..PoolDescription::default()
        },
        users,
        ..Target::default()
    }
}

#[test]
fn a_new_pool_gets_every_group_user_and_membership_without_sub() {
    let b = backup(vec![user(
        "bayko",
        &[("sub", "s1"), ("email", "b@x"), ("custom:tier", "gold")],
    )]);
    let plan = plan(&b, &target(vec![custom("custom:tier", true)], vec![])).unwrap();
    assert_eq!(plan.groups_to_create.len(), 1);
    let UserStep::Create {
        attributes,
        enabled,
    } = &plan.users[0].step
    else {
        panic!("{:?}", plan.users[0]);
    };
    assert!(enabled);
    assert_eq!(
        attributes.keys().collect::<Vec<_>>(),
        ["custom:tier", "email"]
    );
    assert_eq!(plan.members[0].login, "bayko");
    assert!(!plan.members[0].present);
}

#[test]
fn an_existing_user_is_compared_and_only_what_differs_is_updated() {
    let b = backup(vec![
        user(
            "a",
            &[("sub", "s1"), ("email", "a@x"), ("email_verified", "true")],
        ),
        user("b", &[("sub", "s2"), ("custom:tier", "gold")]),
    ]);
    let mut disabled = user("a", &[("sub", "other"), ("email", "old@x")]);
    disabled.enabled = false;
    let mut t = target(
        vec![custom("custom:tier", true)],
        vec![
            disabled,
            user("b", &[("sub", "s9"), ("custom:tier", "gold")]),
        ],
    );
    t.groups.insert("admins".into());
    t.members.insert(("admins".into(), "b".into()));
    let plan = plan(&b, &t).unwrap();
    assert_eq!(
        plan.users[0].step,
        UserStep::Update {
            attributes: [
                ("email".to_string(), "a@x".to_string()),
                ("email_verified".to_string(), "true".to_string())
            ]
            .into(),
            enabled: Some(true),
        }
    );
    assert_eq!(plan.users[1].step, UserStep::Equal, "sub is never compared");
    assert_eq!(plan.groups_present, ["admins"]);
    assert_eq!(
        plan.members.iter().map(|m| m.present).collect::<Vec<_>>(),
        [false, true]
    );
}

#[test]
fn an_immutable_difference_is_noted_not_updated() {
    let b = backup(vec![user("a", &[("custom:tier", "gold")])]);
    let t = target(
        vec![custom("custom:tier", false)],
        vec![user("a", &[("custom:tier", "silver")])],
    );
    let plan = plan(&b, &t).unwrap();
    assert_eq!(plan.users[0].step, UserStep::Equal);
    assert_eq!(plan.immutable_differences, ["a: custom:tier"]);
}

#[test]
fn a_schema_that_cannot_hold_an_attribute_is_refused_naming_it() {
    let b = backup(vec![
        user("a", &[("custom:tier", "gold")]),
        user("b", &[("custom:tier", "x"), ("custom:team", "y")]),
    ]);
    let err = format!("{:#}", plan(&b, &target(vec![], vec![])).unwrap_err());
    assert!(
        err.contains("attribute custom:tier (carried by a, b) is not in the target pool's schema"),
        "{err}"
    );
    assert!(
        err.contains("attribute custom:team (carried by b)"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    // A standard attribute is checked only against a schema that lists standard ones.
    let b = backup(vec![user("a", &[("email", "a@x")])]);
    assert!(plan(&b, &target(vec![], vec![])).is_ok());
    let listed = vec![SchemaAttribute {
        name: "name".into(),
        ..SchemaAttribute::default()
    }];
    let err = format!("{:#}", plan(&b, &target(listed, vec![])).unwrap_err());
    assert!(err.contains("attribute email (carried by a)"), "{err}");
    // A required attribute some users lack, and a type that differs.
    let mut required = custom("custom:team", true);
    required.required = Some(true);
    let mut number = custom("custom:tier", true);
    number.data_type = Some("Number".into());
    let b = backup(vec![user("a", &[("custom:tier", "1")])]);
    let err = format!(
        "{:#}",
        plan(&b, &target(vec![required, number], vec![])).unwrap_err()
    );
    assert!(
        err.contains("requires attribute custom:team, which 1 users lack (a)"),
        "{err}"
    );
    assert!(
        err.contains("custom:tier is a String in the file and a Number"),
        "{err}"
    );
}

#[test]
fn a_pool_signing_in_by_email_matches_users_by_email() {
    let b = backup(vec![
        user("uuid-1", &[("email", "A@x")]),
        user("uuid-2", &[]),
    ]);
    let mut t = target(vec![], vec![user("uuid-9", &[("email", "a@x")])]);
    t.pool.username_attributes = vec!["email".into()];
    t.pool.case_sensitive = Some(false);
    let err = format!("{:#}", plan(&b, &t).unwrap_err());
    assert!(
        err.contains("signs users in by email, which 1 users lack (uuid-2)"),
        "{err}"
    );
    let b = backup(vec![user("uuid-1", &[("email", "A@x")])]);
    let p = plan(&b, &t).unwrap();
    assert_eq!(p.users[0].login, "A@x");
    assert!(matches!(p.users[0].step, UserStep::Update { .. }));
    t.members.insert(("admins".into(), "uuid-9".into()));
    t.groups.insert("admins".into());
    assert!(plan(&b, &t).unwrap().members[0].present);
}
