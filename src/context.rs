//! The per-process context: the resolved [`Config`], the AWS SDK configuration (loaded once, the
//! expensive part) and the clients derived from it (cheap). Also turns SDK errors into errors that
//! name the service, the endpoint and, for the local stack, what to do about it.

use std::fmt::{self, Display};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::config::{Config, Target};

/// A service endpoint, for error messages.
#[derive(Debug, Clone)]
pub struct Endpoint {
    service: &'static str,
    url: Option<String>,
    target: Target,
}

impl Endpoint {
    fn new(service: &'static str, url: Option<String>, target: Target) -> Endpoint {
        Endpoint {
            service,
            url,
            target,
        }
    }

    /// The hint added to an error that means "nothing answered there".
    fn unreachable_hint(&self) -> &'static str {
        match self.target {
            Target::Local if self.url.is_some() => {
                " (is the local stack running? start it with `just up`)"
            }
            _ => " (check the endpoint, your network and your AWS credentials)",
        }
    }
}

impl Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.url {
            Some(url) => write!(f, "{} at {url} ({})", self.service, self.target),
            None => write!(f, "{} ({})", self.service, self.target),
        }
    }
}

/// Adds context to an SDK call's error: what was being done, on which service and endpoint.
pub trait SdkResultExt<T> {
    /// Wraps the error as "`what` on `endpoint`", with a hint when the endpoint did not answer.
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T>;
}

impl<T, E, R> SdkResultExt<T> for std::result::Result<T, SdkError<E, R>>
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T> {
        self.map_err(|err| {
            let context = format!("{what} on {endpoint}");
            match &err {
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => anyhow::Error::new(err)
                    .context(format!("{context}{}", endpoint.unreachable_hint())),
                // The service's own words: "ResourceNotFoundException: Requested resource not found".
                SdkError::ServiceError(service) => {
                    let e = service.err();
                    let code = e.code().unwrap_or("service error");
                    match e.message() {
                        Some(message) => anyhow!("{code}: {message}"),
                        None => anyhow!("{code}"),
                    }
                    .context(context)
                }
                _ => anyhow::Error::new(err).context(context),
            }
        })
    }
}

/// What every command works with: configuration and clients, built once per process.
#[derive(Debug, Clone)]
pub struct Context {
    /// The resolved configuration.
    pub config: Config,
    /// The loaded SDK configuration, for clients of other services.
    pub sdk: SdkConfig,
    /// The DynamoDB client.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The Cognito user pools client.
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    /// The DynamoDB Streams client (same endpoint as DynamoDB: DynamoDB Local serves both).
    pub dynamodb_streams: aws_sdk_dynamodbstreams::Client,
    /// Where DynamoDB requests go, for messages.
    pub dynamodb_endpoint: Endpoint,
    /// Where Cognito requests go, for messages.
    pub cognito_endpoint: Endpoint,
}

/// How long to wait for a TCP connection before calling an endpoint unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Context {
    /// Loads the SDK configuration for `config.target` and builds every client from it.
    ///
    /// Local: static dummy credentials (never a person's real ones), few quick retries.
    /// Prod: the SDK's standard credential and region chains, standard retries.
    pub async fn new(config: Config) -> Result<Context> {
        let sdk = load_sdk_config(&config).await;
        if sdk.region().is_none() {
            bail!(
                "no AWS region is configured for the {} target: set AWS_REGION or a region in your AWS profile",
                config.target
            );
        }
        let mut ddb = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(url) = &config.dynamodb_endpoint {
            ddb = ddb.endpoint_url(url);
        }
        let mut streams = aws_sdk_dynamodbstreams::config::Builder::from(&sdk);
        if let Some(url) = &config.dynamodb_endpoint {
            streams = streams.endpoint_url(url);
        }
        let mut cognito = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk);
        if let Some(url) = &config.cognito_endpoint {
            cognito = cognito.endpoint_url(url);
        }
        Ok(Context {
            dynamodb_endpoint: Endpoint::new(
                "DynamoDB",
                config.dynamodb_endpoint.clone(),
                config.target,
            ),
            cognito_endpoint: Endpoint::new(
                "Cognito",
                config.cognito_endpoint.clone(),
                config.target,
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(ddb.build()),
            dynamodb_streams: aws_sdk_dynamodbstreams::Client::from_conf(streams.build()),
            cognito: aws_sdk_cognitoidentityprovider::Client::from_conf(cognito.build()),
            config,
            sdk,
        })
    }

    /// The target this context talks to.
    pub fn target(&self) -> Target {
        self.config.target
    }

    /// The messages table.
    pub fn table(&self) -> &str {
        &self.config.table
    }

    /// The same context (the same clients) for another messages table.
    pub fn for_table(&self, table: &str) -> Context {
        let mut ctx = self.clone();
        ctx.config.table = table.to_string();
        ctx
    }
}

async fn load_sdk_config(config: &Config) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    match config.target {
        Target::Local => {
            loader = loader
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    // DynamoDB Local accepts only letters and digits here.
                    "cruddurlocal",
                    "cruddurlocal",
                    None,
                    None,
                    "cruddur-ops-local",
                ))
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(2)
                        .with_initial_backoff(Duration::from_millis(100)),
                );
        }
        Target::Prod => {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(5));
        }
    }
    loader.load().await
}
