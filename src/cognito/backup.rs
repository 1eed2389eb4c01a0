//! The Cognito calls of a pool's backup and restore, each paced by a [`Pacer`] (its quota
//! category, throttling slowed down and retried): describing a pool, reading every user (all
//! attributes), group and membership page by page, and creating groups and users, updating
//! attributes, enabling or disabling a user and adding a user to a group.

use std::collections::BTreeMap;
use std::future::Future;

use anyhow::{Context as _, Result};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::primitives::DateTimeFormat;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, GroupType, MessageActionType, SchemaAttributeType, UserPoolType, UserType,
};
use aws_smithy_runtime_api::http::Response as HttpResponse;

use super::rate::{Category, Pacer};
use super::records::{
    GroupRecord, PasswordPolicy, PoolDescription, SchemaAttribute, UserRecord, FORMAT,
};
use super::LIST_USERS_PAGE_SIZE;
use crate::context::{Context, SdkResultExt};

/// The most groups one ListGroups page holds (Cognito's maximum).
const LIST_GROUPS_PAGE_SIZE: i32 = 60;

/// What `pool_id` is (DescribeUserPool).
pub async fn describe_pool(ctx: &Context, pacer: &Pacer, pool_id: &str) -> Result<PoolDescription> {
    let described = pacer
        .send(Category::UserList, || {
            ctx.cognito()
                .describe_user_pool()
                .user_pool_id(pool_id)
                .send()
        })
        .await
        .on(
            &ctx.cognito_endpoint,
            format_args!("describing user pool {pool_id}"),
        )?;
    let pool = described
        .user_pool()
        .with_context(|| format!("describing user pool {pool_id}: the answer holds no pool"))?;
    Ok(description(pool_id, pool))
}

fn description(pool_id: &str, pool: &UserPoolType) -> PoolDescription {
    let policy = pool
        .policies()
        .and_then(|p| p.password_policy())
        .map(|p| PasswordPolicy {
            minimum_length: p.minimum_length(),
            require_uppercase: p.require_uppercase(),
            require_lowercase: p.require_lowercase(),
            require_numbers: p.require_numbers(),
            require_symbols: p.require_symbols(),
            temporary_password_validity_days: p.temporary_password_validity_days(),
        });
    PoolDescription {
        format: FORMAT,
        id: pool_id.to_string(),
        name: pool.name().map(str::to_string),
        schema: pool
            .schema_attributes()
            .iter()
            .map(schema_attribute)
            .collect(),
        username_attributes: words(pool.username_attributes().iter().map(|a| a.as_str())),
        alias_attributes: words(pool.alias_attributes().iter().map(|a| a.as_str())),
        case_sensitive: pool.username_configuration().map(|u| u.case_sensitive()),
        auto_verified_attributes: words(pool.auto_verified_attributes().iter().map(|a| a.as_str())),
        password_policy: policy,
        mfa: pool.mfa_configuration().map(|m| m.as_str().to_string()),
        admin_create_user_only: pool
            .admin_create_user_config()
            .map(|c| c.allow_admin_create_user_only()),
        estimated_users: i64::from(pool.estimated_number_of_users()),
    }
}

fn words<'a>(words: impl Iterator<Item = &'a str>) -> Vec<String> {
    words.map(str::to_string).collect()
}

fn schema_attribute(a: &SchemaAttributeType) -> SchemaAttribute {
    let strings = a.string_attribute_constraints();
    let numbers = a.number_attribute_constraints();
    let name = a.name().unwrap_or_default();
    SchemaAttribute {
        name: name.to_string(),
        data_type: a.attribute_data_type().map(|t| t.as_str().to_string()),
        mutable: a.mutable(),
        required: a.required(),
        developer_only: a.developer_only_attribute(),
        min_length: strings.and_then(|s| s.min_length()).map(str::to_string),
        max_length: strings.and_then(|s| s.max_length()).map(str::to_string),
        min_value: numbers.and_then(|n| n.min_value()).map(str::to_string),
        max_value: numbers.and_then(|n| n.max_value()).map(str::to_string),
    }
}

/// Attributes as name → value (a missing value is empty).
fn attribute_map(attributes: &[AttributeType]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|a| {
            (
                a.name().to_string(),
                a.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A user as the file holds it.
pub fn user_record(user: &UserType) -> UserRecord {
    UserRecord {
        username: user.username().unwrap_or_default().to_string(),
        attributes: attribute_map(user.attributes()),
        enabled: user.enabled(),
        status: user.user_status().map(|s| s.as_str().to_string()),
        created: user
            .user_create_date()
            .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()),
    }
}

/// Sends a listing call page after page through `pacer` (each page a `UserList` request):
/// `request(token)` asks for the page after `token`, `next` reads the next token from a page, and
/// `on_page` gets each page. `what` names the listing in an error.
async fn each_page<O, E, Fut>(
    ctx: &Context,
    pacer: &Pacer,
    what: &str,
    request: impl Fn(Option<String>) -> Fut,
    next: impl Fn(&O) -> Option<&str>,
    mut on_page: impl FnMut(O) -> Result<()>,
) -> Result<()>
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<O, SdkError<E, HttpResponse>>>,
{
    let mut token: Option<String> = None;
    loop {
        let page = pacer
            .send(Category::UserList, || request(token.clone()))
            .await
            .on(&ctx.cognito_endpoint, what)?;
        let after = next(&page).filter(|t| !t.is_empty()).map(str::to_string);
        on_page(page)?;
        match after {
            Some(after) => token = Some(after),
            None => return Ok(()),
        }
    }
}

/// Reads every user of `pool_id` with every attribute, ListUsers page by page (at most 60
/// each), handing each page to `on_page`.
pub async fn for_each_user_page(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    mut on_page: impl FnMut(Vec<UserRecord>) -> Result<()>,
) -> Result<()> {
    each_page(
        ctx,
        pacer,
        &format!("listing the users of user pool {pool_id}"),
        |token| {
            ctx.cognito()
                .list_users()
                .user_pool_id(pool_id)
                .limit(LIST_USERS_PAGE_SIZE)
                .set_pagination_token(token)
                .send()
        },
        |page| page.pagination_token(),
        |page| on_page(page.users().iter().map(user_record).collect()),
    )
    .await
}

fn group_record(group: &GroupType) -> GroupRecord {
    GroupRecord {
        name: group.group_name().unwrap_or_default().to_string(),
        description: group.description().map(str::to_string),
        precedence: group.precedence(),
        role_arn: group.role_arn().map(str::to_string),
    }
}

/// Every group of `pool_id` (every ListGroups page).
pub async fn list_groups(ctx: &Context, pacer: &Pacer, pool_id: &str) -> Result<Vec<GroupRecord>> {
    let mut groups = Vec::new();
    each_page(
        ctx,
        pacer,
        &format!("listing the groups of user pool {pool_id}"),
        |token| {
            ctx.cognito()
                .list_groups()
                .user_pool_id(pool_id)
                .limit(LIST_GROUPS_PAGE_SIZE)
                .set_next_token(token)
                .send()
        },
        |page| page.next_token(),
        |page| {
            groups.extend(page.groups().iter().map(group_record));
            Ok(())
        },
    )
    .await?;
    Ok(groups)
}

/// Reads the user names of every member of `group` (every ListUsersInGroup page of at most
/// 60), handing each page to `on_page`.
pub async fn for_each_member_page(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    group: &str,
    mut on_page: impl FnMut(Vec<String>) -> Result<()>,
) -> Result<()> {
    each_page(
        ctx,
        pacer,
        &format!("listing the members of group {group} of user pool {pool_id}"),
        |token| {
            ctx.cognito()
                .list_users_in_group()
                .user_pool_id(pool_id)
                .group_name(group)
                .limit(LIST_USERS_PAGE_SIZE)
                .set_next_token(token)
                .send()
        },
        |page| page.next_token(),
        |page| {
            on_page(
                page.users()
                    .iter()
                    .filter_map(|u| u.username().map(str::to_string))
                    .collect(),
            )
        },
    )
    .await
}

/// Creates `group` in `pool_id`: `false` when a group of that name exists already.
pub async fn create_group(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    group: &GroupRecord,
) -> Result<bool> {
    let sent = pacer
        .send(Category::UserUpdate, || {
            ctx.cognito()
                .create_group()
                .user_pool_id(pool_id)
                .group_name(&group.name)
                .set_description(group.description.clone())
                .set_precedence(group.precedence)
                .set_role_arn(group.role_arn.clone())
                .send()
        })
        .await;
    let created = sent.on_unless(
        |e| e.is_group_exists_exception(),
        &ctx.cognito_endpoint,
        format_args!("creating group {} in user pool {pool_id}", group.name),
    )?;
    Ok(created.is_some())
}

fn attribute_types(attributes: &BTreeMap<String, String>) -> Result<Vec<AttributeType>> {
    attributes
        .iter()
        .map(|(name, value)| AttributeType::builder().name(name).value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .context("building user attributes")
}

/// Creates the user `name` in `pool_id` with `attributes`, sending no message (the user gets
/// a temporary password no one knows: status FORCE_CHANGE_PASSWORD). `false` when a user of
/// that name exists already.
pub async fn admin_create_user(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    name: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<bool> {
    let attrs = attribute_types(attributes)?;
    let sent = pacer
        .send(Category::UserCreation, || {
            ctx.cognito()
                .admin_create_user()
                .user_pool_id(pool_id)
                .username(name)
                .set_user_attributes(Some(attrs.clone()))
                .message_action(MessageActionType::Suppress)
                .send()
        })
        .await;
    let created = sent.on_unless(
        |e| e.is_username_exists_exception(),
        &ctx.cognito_endpoint,
        format_args!("creating user {name} in user pool {pool_id}"),
    )?;
    Ok(created.is_some())
}

/// The user `name` of `pool_id` (AdminGetUser); `None` when there is none.
pub async fn get_user(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    name: &str,
) -> Result<Option<UserRecord>> {
    let sent = pacer
        .send(Category::UserRead, || {
            ctx.cognito()
                .admin_get_user()
                .user_pool_id(pool_id)
                .username(name)
                .send()
        })
        .await;
    let found = sent.on_unless(
        |e| e.is_user_not_found_exception(),
        &ctx.cognito_endpoint,
        format_args!("reading user {name} of user pool {pool_id}"),
    )?;
    Ok(found.map(|user| UserRecord {
        username: user.username().to_string(),
        attributes: attribute_map(user.user_attributes()),
        enabled: user.enabled(),
        status: user.user_status().map(|s| s.as_str().to_string()),
        created: user
            .user_create_date()
            .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()),
    }))
}

/// Sets `attributes` of the user `name` (AdminUpdateUserAttributes).
pub async fn update_attributes(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    name: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<()> {
    let attrs = attribute_types(attributes)?;
    pacer
        .send(Category::UserUpdate, || {
            ctx.cognito()
                .admin_update_user_attributes()
                .user_pool_id(pool_id)
                .username(name)
                .set_user_attributes(Some(attrs.clone()))
                .send()
        })
        .await
        .on(
            &ctx.cognito_endpoint,
            format_args!("updating the attributes of user {name} of user pool {pool_id}"),
        )?;
    Ok(())
}

/// Enables or disables the user `name` (AdminEnableUser / AdminDisableUser).
pub async fn set_enabled(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    name: &str,
    enabled: bool,
) -> Result<()> {
    let what = if enabled { "enabling" } else { "disabling" };
    let context = || format!("{what} user {name} of user pool {pool_id}");
    if enabled {
        pacer
            .send(Category::UserUpdate, || {
                ctx.cognito()
                    .admin_enable_user()
                    .user_pool_id(pool_id)
                    .username(name)
                    .send()
            })
            .await
            .on(&ctx.cognito_endpoint, context())?;
    } else {
        pacer
            .send(Category::UserUpdate, || {
                ctx.cognito()
                    .admin_disable_user()
                    .user_pool_id(pool_id)
                    .username(name)
                    .send()
            })
            .await
            .on(&ctx.cognito_endpoint, context())?;
    }
    Ok(())
}

/// Adds the user `name` to `group` (AdminAddUserToGroup; a member already stays one).
pub async fn add_to_group(
    ctx: &Context,
    pacer: &Pacer,
    pool_id: &str,
    name: &str,
    group: &str,
) -> Result<()> {
    pacer
        .send(Category::UserUpdate, || {
            ctx.cognito()
                .admin_add_user_to_group()
                .user_pool_id(pool_id)
                .username(name)
                .group_name(group)
                .send()
        })
        .await
        .on(
            &ctx.cognito_endpoint,
            format_args!("adding user {name} to group {group} of user pool {pool_id}"),
        )?;
    Ok(())
}
