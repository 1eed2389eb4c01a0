//! Filters, and the Cognito calls' failures hermetically: each test runs the real library
//! functions over a Cognito client whose responses come from `aws-smithy-mocks` rules.

use super::*;

#[test]
fn filters_never_carry_quotes_or_backslashes() {
    assert_eq!(
        filter_for("preferred_username", "bayko").as_deref(),
        Some(r#"preferred_username = "bayko""#)
    );
    assert_eq!(
        filter_for("preferred_username", r#"o"brien\x"#).as_deref(),
        Some(r#"preferred_username ^= "o""#)
    );
    assert_eq!(filter_for("preferred_username", r#"\x"#), None);
    assert_eq!(filter_for("preferred_username", r#""x"#), None);
}

mod failures {
    use std::time::Duration;

    use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
    use aws_sdk_cognitoidentityprovider::operation::list_users::ListUsersOutput;
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, UserType};
    use aws_sdk_cognitoidentityprovider::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use crate::cognito::{find_pool_by_name, list_users};
    use crate::context::Context;

    const POOL: &str = "us-east-1_Gone12345";

    /// A context whose Cognito client answers from `rules`, with the SDK's standard retries
    /// (3 attempts) and short backoffs, as on prod but quick.
    fn mocked(rules: &[&Rule]) -> Context {
        let client: Client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::Sequential,
            rules,
            |c| c.retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
            )
        );
        Context::with_cognito(client)
    }

    /// An error as Cognito sends it: HTTP 400 with the exception's name in `__type`.
    fn error(code: &str, message: &str) -> Option<String> {
        Some(serde_json::json!({ "__type": code, "message": message }).to_string())
    }

    fn user(name: &str) -> UserType {
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .expect("an attribute")
        };
        UserType::builder()
            .username(name)
            .attributes(attribute("preferred_username", name))
            .attributes(attribute("sub", &format!("sub-{name}")))
            .build()
    }

    /// The error of listing `POOL`'s users over `rule`, with its whole chain.
    async fn listing_error(rule: &Rule) -> (Context, String) {
        let ctx = mocked(&[rule]);
        let err = list_users(&ctx, POOL).await.expect_err("the listing fails");
        let err = format!("{err:#}");
        (ctx, err)
    }

    #[tokio::test]
    async fn a_pool_that_is_gone_is_named_with_the_endpoint_and_not_retried() {
        let rule = mock!(Client::list_users)
            .sequence()
            .http_status(
                400,
                error(
                    "ResourceNotFoundException",
                    &format!("User pool {POOL} does not exist."),
                ),
            )
            .repeatedly()
            .build();
        let (ctx, err) = listing_error(&rule).await;
        assert!(
            err.starts_with(&format!(
                "listing the users of user pool {POOL} on {}: ResourceNotFoundException: \
                 User pool {POOL} does not exist. (HTTP 400",
                ctx.cognito_endpoint
            )),
            "{err}"
        );
        assert!(
            err.contains("http://127.0.0.1:9"),
            "names the endpoint: {err}"
        );
        assert_eq!(rule.num_calls(), 1, "a missing pool stays missing");
    }

    #[tokio::test]
    async fn too_many_requests_is_retried_by_the_sdk() {
        let rule = mock!(Client::list_users)
            .sequence()
            .http_status(400, error("TooManyRequestsException", "Too many requests"))
            .times(2)
            .output(|| ListUsersOutput::builder().users(user("bayko")).build())
            .build();
        let ctx = mocked(&[&rule]);
        let listing = list_users(&ctx, POOL)
            .await
            .expect("the third attempt succeeds");
        assert_eq!(rule.num_calls(), 3);
        assert_eq!(listing.pages, 1);
        assert_eq!(listing.users[0].handle.as_deref(), Some("bayko"));
        assert_eq!(listing.users[0].sub.as_deref(), Some("sub-bayko"));
    }

    #[tokio::test]
    async fn too_many_requests_past_the_retries_fails_naming_pool_endpoint_and_code() {
        let rule = mock!(Client::list_users)
            .sequence()
            .http_status(400, error("TooManyRequestsException", "Too many requests"))
            .repeatedly()
            .build();
        let (ctx, err) = listing_error(&rule).await;
        assert!(
            err.starts_with(&format!(
                "listing the users of user pool {POOL} on {}: TooManyRequestsException: \
                 Too many requests (HTTP 400",
                ctx.cognito_endpoint
            )),
            "{err}"
        );
        assert_eq!(rule.num_calls(), 3, "the SDK's 3 attempts");
    }

    #[tokio::test]
    async fn access_denied_is_final_and_says_who_was_refused() {
        for (code, message) in [
            (
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: \
                 cognito-idp:ListUsers on resource: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Gone12345",
            ),
            ("NotAuthorizedException", "Access to the requested resource is not allowed"),
        ] {
            let named = code == "AccessDeniedException";
            let rule = mock!(Client::list_users)
                .sequence()
                .http_status(400, error(code, message))
                .repeatedly()
                .build();
            let (ctx, err) = listing_error(&rule).await;
            // An access denial (context/errors.rs): the action and resource from the message
            // when it names them, and the service's own words.
            assert!(
                err.starts_with(&format!(
                    "listing the users of user pool {POOL} on {}: access denied: the IAM policy \
                     does not allow ",
                    ctx.cognito_endpoint
                )),
                "{err}"
            );
            assert!(err.ends_with(&format!("({code}: {message}, HTTP 400)")), "{err}");
            assert_eq!(
                err.contains(&format!(
                    "does not allow cognito-idp:ListUsers on arn:aws:cognito-idp:us-east-1:\
                     123456789012:userpool/{POOL} ("
                )),
                named,
                "{err}"
            );
            assert_eq!(rule.num_calls(), 1, "{code} is not retried");
        }
    }

    #[tokio::test]
    async fn finding_a_pool_by_name_names_the_endpoint_when_refused() {
        let rule = mock!(Client::list_user_pools)
            .sequence()
            .http_status(400, error("AccessDeniedException", "not authorized"))
            .repeatedly()
            .build();
        let ctx = mocked(&[&rule]);
        let err = find_pool_by_name(&ctx, "cruddur-user-pool")
            .await
            .expect_err("refused");
        let err = format!("{err:#}");
        assert!(
            err.starts_with(&format!(
                "listing user pools on {}: access denied: ",
                ctx.cognito_endpoint
            )) && err.contains("(AccessDeniedException: not authorized, HTTP 400)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn every_page_is_read_and_a_page_after_a_failure_is_not_lost() {
        // Page 1, then page 2 throttled once and answered on the retry.
        let first = mock!(Client::list_users)
            .match_requests(|input| input.pagination_token().is_none())
            .then_output(|| {
                ListUsersOutput::builder()
                    .users(user("bayko"))
                    .pagination_token("page-2")
                    .build()
            });
        let second = mock!(Client::list_users)
            .match_requests(|input| input.pagination_token() == Some("page-2"))
            .sequence()
            .http_status(400, error("TooManyRequestsException", "Too many requests"))
            .output(|| ListUsersOutput::builder().users(user("tomaslind")).build())
            .build();
        let client: Client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&first, &second],
            |c| c.retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
            )
        );
        let ctx = Context::with_cognito(client);
        let listing = list_users(&ctx, POOL).await.expect("every page");
        let handles: Vec<_> = listing
            .users
            .iter()
            .filter_map(|u| u.handle.as_deref())
            .collect();
        assert_eq!(handles, ["bayko", "tomaslind"]);
        assert_eq!(listing.pages, 2);
        assert_eq!((first.num_calls(), second.num_calls()), (1, 2));
    }

    /// Throttling past the SDK's own retries slows the pacer down and tries again; a request
    /// throttled past the stall timeout fails, naming the code.
    #[tokio::test]
    async fn a_paced_request_throttled_past_the_sdk_retries_is_tried_again() {
        use crate::cognito::backup::admin_create_user;
        use crate::cognito::rate::{Pacer, Rates};
        use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserOutput;

        let rule = mock!(Client::admin_create_user)
            .sequence()
            .http_status(400, error("TooManyRequestsException", "Too many requests"))
            .times(4)
            .output(|| AdminCreateUserOutput::builder().build())
            .build();
        let ctx = mocked(&[&rule]);
        let pacer = Pacer::new(Rates::unlimited(), Duration::from_secs(60));
        let attributes = [("email".to_string(), "b@example.com".to_string())].into();
        let created = admin_create_user(&ctx, &pacer, POOL, "bayko", &attributes)
            .await
            .expect("created once Cognito lets it through");
        assert!(created);
        assert_eq!(rule.num_calls(), 5, "3 SDK attempts, then 2 more");
        let stats = pacer.stats();
        assert_eq!((stats.total(), stats.total_throttled()), (2, 1));

        let rule = mock!(Client::admin_create_user)
            .sequence()
            .http_status(400, error("TooManyRequestsException", "Too many requests"))
            .repeatedly()
            .build();
        let ctx = mocked(&[&rule]);
        let pacer = Pacer::new(Rates::unlimited(), Duration::ZERO);
        let err = admin_create_user(&ctx, &pacer, POOL, "bayko", &attributes)
            .await
            .expect_err("throttled past the stall timeout");
        let err = format!("{err:#}");
        assert!(
            err.starts_with(&format!("creating user bayko in user pool {POOL} on")),
            "{err}"
        );
        assert!(err.contains("TooManyRequestsException"), "{err}");
    }
}
