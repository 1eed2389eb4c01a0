//! The per-process context: the resolved [`Config`], the AWS SDK configuration (loaded once, the
//! expensive part) and the clients derived from it (cheap). Also turns SDK errors into errors that
//! name the service, the endpoint and, for the local stack, what to do about it.

mod backoff;
mod calls;
mod errors;
mod s3;

use std::fmt::{self, Display};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::service_config::ServiceConfigKey;

use crate::config::{Config, Target};

pub use backoff::{backoff, jitter};
use errors::CertificateErrorsAreFinal;
pub use errors::{
    no_answer, nothing_answered, sdk_error, status_without_code, AccessDenied, SdkResultExt,
};
pub use s3::{S3Answer, S3Client, S3Get};

/// A service endpoint, for error messages: the URL when one is configured, else the region.
#[derive(Debug, Clone)]
pub struct Endpoint {
    service: &'static str,
    url: Option<String>,
    region: Option<String>,
    target: Target,
    /// The per-request bound in force, for "no answer within" messages.
    timeout: Duration,
}

impl Endpoint {
    /// The endpoint of `service` (named `service_id` by the SDK, e.g. `Cognito Identity
    /// Provider`): the URL set explicitly (local), else the one the SDK itself takes from
    /// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` or the profile (prod), else none: the
    /// service's regional endpoint.
    fn new(
        service: &'static str,
        service_id: &str,
        explicit: Option<&str>,
        sdk: &SdkConfig,
        target: Target,
        timeout: Duration,
    ) -> Endpoint {
        let configured = || {
            let key = ServiceConfigKey::builder()
                .service_id(service_id)
                .env("AWS_ENDPOINT_URL")
                .profile("endpoint_url")
                .build()
                .ok()?;
            sdk.service_config()?.load_config(key)
        };
        let url = explicit
            .map(str::to_string)
            .or_else(configured)
            .or_else(|| sdk.endpoint_url().map(str::to_string));
        Endpoint {
            service,
            url,
            region: sdk.region().map(|r| r.to_string()),
            target,
            timeout,
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
            None => match &self.region {
                Some(region) => write!(f, "{} ({}, region {region})", self.service, self.target),
                None => write!(f, "{} ({})", self.service, self.target),
            },
        }
    }
}

/// What every command works with: configuration and clients, built once per process.
///
/// Each AWS client is built on first use ([`dynamodb`](Context::dynamodb),
/// [`cognito`](Context::cognito), [`dynamodb_streams`](Context::dynamodb_streams)) from the one
/// SDK configuration, and shared by every clone of the context. A tool that never calls a
/// service does not build its client, and so does not carry that client's code either (each
/// tool is its own binary: `list-tables` has no Cognito client in it).
#[derive(Debug, Clone)]
pub struct Context {
    /// The resolved configuration.
    pub config: Config,
    /// The loaded SDK configuration, for clients of other services.
    pub sdk: SdkConfig,
    dynamodb: Arc<OnceLock<aws_sdk_dynamodb::Client>>,
    cognito: Arc<OnceLock<aws_sdk_cognitoidentityprovider::Client>>,
    dynamodb_streams: Arc<OnceLock<aws_sdk_dynamodbstreams::Client>>,
    s3: Arc<OnceLock<S3Client>>,
    sts: Arc<OnceLock<aws_sdk_sts::Client>>,
    /// The `--trace-calls` file, opened once; every client's interceptor writes to it.
    trace: Option<Arc<calls::Trace>>,
    /// Where DynamoDB requests go, for messages.
    pub dynamodb_endpoint: Endpoint,
    /// Where DynamoDB Streams requests go, for messages.
    pub dynamodb_streams_endpoint: Endpoint,
    /// Where Cognito requests go, for messages.
    pub cognito_endpoint: Endpoint,
    /// Where S3 requests go (the native export and import), for messages.
    pub s3_endpoint: Endpoint,
    /// Where STS requests go (`iam-policy`'s account), for messages.
    pub sts_endpoint: Endpoint,
}

/// How long to wait for a TCP connection before calling an endpoint unreachable (or the
/// per-request timeout, when that is shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Context {
    /// Loads the SDK configuration for `config.target`; the clients are built from it on first
    /// use.
    ///
    /// Local: static dummy credentials (never a person's real ones), few quick retries.
    /// Prod: the SDK's standard credential and region chains, standard retries.
    pub async fn new(config: Config) -> Result<Context> {
        let timeout = config.timeout()?;
        let sdk = load_sdk_config(&config, timeout).await;
        if sdk.region().is_none() {
            bail!(
                "no AWS region is configured for the {} target: set AWS_REGION or a region in your AWS profile",
                config.target
            );
        }
        let trace = match &config.trace_calls {
            Some(path) => Some(Arc::new(calls::Trace::open(path)?)),
            None => None,
        };
        let mut ctx = Context::with_clients(
            config,
            sdk,
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        );
        ctx.trace = trace;
        Ok(ctx)
    }

    /// A context over clients built elsewhere (tests build them over `aws-smithy-mocks`).
    /// `sdk` and `config` name the endpoints in error messages.
    pub fn from_parts(
        config: Config,
        sdk: SdkConfig,
        dynamodb: aws_sdk_dynamodb::Client,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        dynamodb_streams: aws_sdk_dynamodbstreams::Client,
    ) -> Context {
        Context::with_clients(
            config,
            sdk,
            OnceLock::from(dynamodb),
            OnceLock::from(cognito),
            OnceLock::from(dynamodb_streams),
        )
    }

    fn with_clients(
        config: Config,
        sdk: SdkConfig,
        dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
        cognito: OnceLock<aws_sdk_cognitoidentityprovider::Client>,
        dynamodb_streams: OnceLock<aws_sdk_dynamodbstreams::Client>,
    ) -> Context {
        let ddb_url = config.dynamodb_endpoint.as_deref();
        // Context::new has checked the setting; a context built otherwise gets the default.
        let timeout = config.timeout().unwrap_or(crate::config::DEFAULT_TIMEOUT);
        Context {
            dynamodb_endpoint: Endpoint::new(
                "DynamoDB",
                "DynamoDB",
                ddb_url,
                &sdk,
                config.target,
                timeout,
            ),
            dynamodb_streams_endpoint: Endpoint::new(
                "DynamoDB Streams",
                "DynamoDB Streams",
                ddb_url,
                &sdk,
                config.target,
                timeout,
            ),
            cognito_endpoint: Endpoint::new(
                "Cognito",
                "Cognito Identity Provider",
                config.cognito_endpoint.as_deref(),
                &sdk,
                config.target,
                timeout,
            ),
            s3_endpoint: Endpoint::new(
                "S3",
                "S3",
                config.s3_endpoint.as_deref(),
                &sdk,
                config.target,
                timeout,
            ),
            sts_endpoint: Endpoint::new(
                "STS",
                "STS",
                config.cognito_endpoint.as_deref(),
                &sdk,
                config.target,
                timeout,
            ),
            s3: Arc::new(OnceLock::new()),
            sts: Arc::new(OnceLock::new()),
            trace: None,
            dynamodb: Arc::new(dynamodb),
            dynamodb_streams: Arc::new(dynamodb_streams),
            cognito: Arc::new(cognito),
            config,
            sdk,
        }
    }

    // Only the local endpoints are set below (config.rs resolves them; the Streams client
    // shares DynamoDB Local's); on prod the SDK reads AWS_ENDPOINT_URL[_<SERVICE>] itself.

    /// The DynamoDB client.
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb.get_or_init(|| {
            let mut builder = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
                .retry_classifier(CertificateErrorsAreFinal)
                .interceptor(calls::Calls::new(self.trace.clone()));
            if let Some(url) = &self.config.dynamodb_endpoint {
                builder = builder.endpoint_url(url);
            }
            aws_sdk_dynamodb::Client::from_conf(builder.build())
        })
    }

    /// The Cognito user pools client.
    pub fn cognito(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        self.cognito.get_or_init(|| {
            let mut builder = aws_sdk_cognitoidentityprovider::config::Builder::from(&self.sdk)
                .retry_classifier(CertificateErrorsAreFinal)
                .interceptor(calls::Calls::new(self.trace.clone()));
            if let Some(url) = &self.config.cognito_endpoint {
                builder = builder.endpoint_url(url);
            }
            aws_sdk_cognitoidentityprovider::Client::from_conf(builder.build())
        })
    }

    /// The DynamoDB Streams client (locally the DynamoDB endpoint: DynamoDB Local serves both;
    /// on prod its own, `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` or the regional one).
    pub fn dynamodb_streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        self.dynamodb_streams.get_or_init(|| {
            let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(&self.sdk)
                .retry_classifier(CertificateErrorsAreFinal)
                .interceptor(calls::Calls::new(self.trace.clone()));
            if let Some(url) = &self.config.dynamodb_endpoint {
                builder = builder.endpoint_url(url);
            }
            aws_sdk_dynamodbstreams::Client::from_conf(builder.build())
        })
    }

    /// The S3 client (the native export and import): signed GET requests, locally to moto's
    /// server by path (`http://localhost:9229/BUCKET/KEY`), on prod to S3's regional endpoint
    /// (or `AWS_ENDPOINT_URL_S3`).
    pub fn s3(&self) -> &S3Client {
        self.s3
            .get_or_init(|| S3Client::new(&self.sdk, &self.s3_endpoint, self.trace.clone()))
    }

    /// The STS client (`iam-policy` asks it for the caller's account). Locally it is moto's
    /// server on the Cognito port, which serves STS too; on prod the SDK's own endpoint.
    pub fn sts(&self) -> &aws_sdk_sts::Client {
        self.sts.get_or_init(|| {
            let mut builder = aws_sdk_sts::config::Builder::from(&self.sdk)
                .retry_classifier(CertificateErrorsAreFinal)
                .interceptor(calls::Calls::new(self.trace.clone()));
            if let Some(url) = &self.config.cognito_endpoint {
                builder = builder.endpoint_url(url);
            }
            aws_sdk_sts::Client::from_conf(builder.build())
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

/// The SDK's timeouts for a per-request bound of `timeout`: every operation (one API call, its
/// retries included: one Scan page, one BatchWriteItem, one ListUsers page) must be answered
/// within `timeout`. Paginated work (a scan of millions of items, every ListUsers page) is many
/// operations, each with its own bound, so it is never cut short as a whole.
///
/// On prod one attempt may take a third of the bound (at least 1 s), so an attempt lost to a
/// dropped connection or a stalled server is retried within the operation's bound instead of
/// using all of it. Locally (one process on loopback) an attempt may take the whole bound.
pub fn timeout_config(timeout: Duration, target: Target) -> TimeoutConfig {
    let attempt = match target {
        Target::Local => timeout,
        Target::Prod => (timeout / 3).max(Duration::from_secs(1)).min(timeout),
    };
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(attempt))
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(timeout)
        .build()
}

/// The one HTTP client every AWS client shares: hyper with rustls over ring and the operating
/// system's trust store. (The SDK's default client would bring aws-lc-rs as a second crypto
/// library; PostgreSQL's TLS already uses ring.)
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

async fn load_sdk_config(config: &Config, timeout: Duration) -> SdkConfig {
    let timeouts = timeout_config(timeout, config.target);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts);
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
                // Three quick attempts: DynamoDB Local now and then fails a request inside
                // (HTTP 500 InternalFailure, a NullPointerException in its log) while another
                // table's index is being built or changed, and twice in a row within 100 ms
                // was seen once in about twenty runs of the test suite.
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(3)
                        .with_initial_backoff(Duration::from_millis(100)),
                );
        }
        Target::Prod => {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(5));
        }
    }
    loader.load().await
}

#[cfg(test)]
impl Context {
    /// A local-target configuration whose endpoints are a closed local port, and its SDK
    /// configuration: for contexts over clients that answer from `aws-smithy-mocks`.
    fn test_parts() -> (Config, SdkConfig) {
        let env = crate::config::test_env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]);
        let config = Config::resolve(Target::Local, env)
            .expect("a local configuration without port variables");
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        (config, sdk)
    }

    /// A local-target context whose DynamoDB client is `dynamodb` (one over `aws-smithy-mocks`);
    /// the other clients point at a closed local port and are not meant to be called.
    pub(crate) fn with_dynamodb(dynamodb: aws_sdk_dynamodb::Client) -> Context {
        let (config, sdk) = Context::test_parts();
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
        Context::from_parts(config, sdk, dynamodb, cognito, streams)
    }

    /// A local-target context whose DynamoDB and DynamoDB Streams clients are `dynamodb` and
    /// `streams` (over `aws-smithy-mocks`); the Cognito client points at a closed local port and
    /// is not meant to be called.
    pub(crate) fn with_dynamodb_and_streams(
        dynamodb: aws_sdk_dynamodb::Client,
        streams: aws_sdk_dynamodbstreams::Client,
    ) -> Context {
        let (config, sdk) = Context::test_parts();
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        Context::from_parts(config, sdk, dynamodb, cognito, streams)
    }

    /// A local-target context whose Cognito client is `cognito` (one over `aws-smithy-mocks`);
    /// the other clients point at a closed local port and are not meant to be called.
    pub(crate) fn with_cognito(cognito: aws_sdk_cognitoidentityprovider::Client) -> Context {
        let (config, sdk) = Context::test_parts();
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
        Context::from_parts(config, sdk, dynamodb, cognito, streams)
    }
}
