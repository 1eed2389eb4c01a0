//! The S3 client of the native export and import ([`S3Client`]): signed GET requests, a bucket's
//! (ListObjectsV2) or an object's (GetObject), and their answers. Signed by the SDK's own SigV4
//! signer (`aws-sigv4`), sent through the SDK's HTTP connector (hyper, rustls over ring, the
//! operating system's trust store), with the SDK configuration's credentials, region, retries
//! and timeouts: the same chains and bounds as every other client. Its errors read like every
//! SDK call's ([`super::SdkResultExt`]): what, on which endpoint, why; a denial is an
//! [`AccessDenied`](super::AccessDenied) naming the S3 action.
//!
//! Why not the SDK's S3 client: `crate::s3` sends two kinds of GET, and `aws-sdk-s3` was the
//! largest crate of the build after Cognito's (29 of the 124 s of the first debug build that
//! `just setup` runs; docs/build-and-size.md).

use std::fmt::Display;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context as _, Result};
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::{tls, Connector};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use super::backoff::{backoff, jitter};
use super::calls::Trace;
use super::errors::{
    chain, denial, excerpt, is_certificate_error, no_answer, nothing_answered, status_without_code,
    xml_tag,
};
use super::Endpoint;
use crate::config::Target;
use address::{url, Base};

mod address;

/// Credentials that expire within this long are fetched again before a request.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// One GET request: an operation's name (for IAM messages and the trace), the bucket, the key
/// (empty for a bucket's operations) and the query.
#[derive(Debug, Clone)]
pub struct S3Get<'a> {
    /// The S3 operation (`ListObjectsV2`, `GetObject`).
    pub operation: &'static str,
    /// The bucket.
    pub bucket: &'a str,
    /// The key, empty for the bucket itself.
    pub key: &'a str,
    /// The query's parameters, unencoded.
    pub query: Vec<(&'static str, String)>,
}

/// A successful answer: its headers and its body, still streaming.
#[derive(Debug)]
pub struct S3Answer {
    /// The response headers (`etag`, `content-length`, ...).
    pub headers: Headers,
    /// The body, read as it arrives.
    pub body: ByteStream,
}

/// How a failed attempt ended.
enum Failure {
    /// The service answered with an error status (its body read whole).
    Status(Box<HttpResponse>, String),
    /// No answer: no connection, or a broken one.
    Transport(ConnectorError),
    /// No answer within the attempt's bound.
    Timeout,
    /// Nothing was sent: no credentials, no region, a request that could not be signed.
    NotSent(anyhow::Error),
}

/// A failed call: the S3 error code when S3 answered with one, and the error in words.
struct S3Error {
    code: Option<String>,
    error: anyhow::Error,
}

/// The S3 client: built once per process ([`super::Context::s3`]).
#[derive(Debug)]
pub struct S3Client {
    connector: Connector,
    credentials: Option<SharedCredentialsProvider>,
    cached: tokio::sync::Mutex<Option<Credentials>>,
    region: Option<String>,
    base: Base,
    endpoint: Endpoint,
    attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    trace: Option<Arc<Trace>>,
}

impl S3Client {
    /// The client for `sdk`'s credentials, region, retries and timeouts, sending to `endpoint`
    /// (its URL when one is configured, else AWS's regional S3 endpoint).
    pub(super) fn new(sdk: &SdkConfig, endpoint: &Endpoint, trace: Option<Arc<Trace>>) -> Self {
        let timeouts = sdk.timeout_config();
        let bound = endpoint.timeout;
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(timeouts.and_then(|t| t.connect_timeout()));
        settings.set_read_timeout(timeouts.and_then(|t| t.read_timeout()));
        let mut connector = Connector::builder().connector_settings(settings.build());
        if let Some(sleep) = sdk.sleep_impl() {
            connector = connector.sleep_impl(sleep);
        }
        let connector = connector
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build();
        let base = match &endpoint.url {
            Some(url) => Base::Url(url.trim_end_matches('/').to_string()),
            None => Base::Aws {
                fips: sdk.use_fips().unwrap_or(false),
                dual_stack: sdk.use_dual_stack().unwrap_or(false),
            },
        };
        let retry = sdk.retry_config();
        S3Client {
            connector,
            credentials: sdk.credentials_provider(),
            cached: tokio::sync::Mutex::new(None),
            region: sdk.region().map(|r| r.to_string()),
            base,
            endpoint: endpoint.clone(),
            attempts: retry.map_or(3, |r| r.max_attempts()).max(1),
            initial_backoff: retry.map_or(Duration::from_secs(1), |r| r.initial_backoff()),
            max_backoff: retry.map_or(Duration::from_secs(20), |r| r.max_backoff()),
            attempt_timeout: timeouts
                .and_then(|t| t.operation_attempt_timeout())
                .unwrap_or(bound),
            operation_timeout: timeouts
                .and_then(|t| t.operation_timeout())
                .unwrap_or(bound),
            trace,
        }
    }

    /// Sends `request`; a successful answer, else the error in words ("`what` on S3 ...: why").
    pub async fn get(&self, request: &S3Get<'_>, what: impl Display) -> Result<S3Answer> {
        self.call(request, what).await.map_err(|e| e.error)
    }

    /// As [`S3Client::get`], but an error whose S3 code is `expected` (`NoSuchKey`) is `None`,
    /// an answer like any other.
    pub async fn get_unless(
        &self,
        request: &S3Get<'_>,
        expected: &str,
        what: impl Display,
    ) -> Result<Option<S3Answer>> {
        match self.call(request, what).await {
            Ok(answer) => Ok(Some(answer)),
            Err(failed) if failed.code.as_deref() == Some(expected) => Ok(None),
            Err(failed) => Err(failed.error),
        }
    }

    /// Sends `request` within the operation's bound, and writes its trace line.
    async fn call(
        &self,
        request: &S3Get<'_>,
        what: impl Display,
    ) -> std::result::Result<S3Answer, S3Error> {
        let started = Instant::now();
        let (status, outcome) =
            match tokio::time::timeout(self.operation_timeout, self.attempts(request)).await {
                Ok(done) => done,
                Err(_) => (None, Err(Failure::Timeout)),
            };
        if let Some(trace) = &self.trace {
            let error = match (&outcome, status) {
                (Err(Failure::Timeout), _) => Some(no_answer(self.endpoint.timeout)),
                (Err(Failure::Transport(err)), None) => Some(chain(err)),
                (Err(Failure::NotSent(err)), None) => Some(format!("{err:#}")),
                _ => None,
            };
            let resource = format!("/{}/{}", request.bucket, request.key);
            let resource = resource.trim_end_matches('/').to_string();
            trace.record(
                "S3",
                request.operation,
                Some(resource),
                status,
                error,
                started,
            );
        }
        let failure = match outcome {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        let (code, error) = match failure {
            Failure::Status(raw, body) => (
                xml_tag(&body, "Code").map(str::to_string),
                self.status_error(&raw, &body, request.operation),
            ),
            Failure::Timeout => (None, anyhow!(no_answer(self.endpoint.timeout))),
            Failure::Transport(err) => (None, self.transport_error(err)),
            Failure::NotSent(err) => (None, err),
        };
        Err(S3Error {
            code,
            error: error.context(format!("{what} on {}", self.endpoint)),
        })
    }

    /// Every attempt of `request`, within the retry configuration; the last HTTP status seen
    /// and the outcome.
    async fn attempts(
        &self,
        request: &S3Get<'_>,
    ) -> (Option<u16>, std::result::Result<S3Answer, Failure>) {
        let mut status = None;
        let mut attempt = 1;
        loop {
            let sent = match self.signed(request).await {
                Ok(signed) => {
                    tokio::time::timeout(self.attempt_timeout, self.connector.call(signed)).await
                }
                Err(err) => return (status, Err(Failure::NotSent(err))),
            };
            let outcome = match sent {
                Err(_) => Err(Failure::Timeout),
                Ok(Err(err)) => Err(Failure::Transport(err)),
                Ok(Ok(response)) => {
                    status = Some(response.status().as_u16());
                    answer(response).await
                }
            };
            let retry = match &outcome {
                Ok(_) | Err(Failure::NotSent(_)) => false,
                Err(Failure::Timeout) => true,
                Err(Failure::Transport(err)) => {
                    (err.is_io() || err.is_timeout()) && !is_certificate_error(err)
                }
                Err(Failure::Status(raw, body)) => transient(raw.status().as_u16(), body),
            };
            if !retry || attempt >= self.attempts {
                return (status, outcome);
            }
            let pause = backoff(attempt, self.initial_backoff, self.max_backoff, jitter());
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// `request` as an HTTP request, signed with the current credentials.
    async fn signed(&self, request: &S3Get<'_>) -> Result<HttpRequest> {
        let Some(region) = self.region.as_deref() else {
            bail!("no AWS region is configured: set AWS_REGION or a region in your AWS profile");
        };
        let url = url(&self.base, region, request);
        let credentials = self.credentials().await?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .context("signing the request")?
            .into();
        let signable =
            SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
                .context("signing the request")?;
        let (instructions, _) = sign(signable, &params)
            .context("signing the request")?
            .into_parts();
        let mut http = HttpRequest::get(&url).with_context(|| format!("the address {url}"))?;
        for (name, value) in instructions.headers() {
            http.headers_mut()
                .try_insert(name.to_string(), value.to_string())
                .context("signing the request")?;
        }
        Ok(http)
    }

    /// The credentials of the SDK's chain, fetched again when they expire within a few minutes.
    async fn credentials(&self) -> Result<Credentials> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref() {
            let fresh = credentials
                .expiry()
                .is_none_or(|at| at > SystemTime::now() + CREDENTIALS_MARGIN);
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let Some(provider) = &self.credentials else {
            bail!("no AWS credentials are configured (the SDK's credential chain found none)");
        };
        let credentials = provider
            .provide_credentials()
            .await
            .context("loading AWS credentials")?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// An error status in words: a denial, a bucket in another region, the service's code and
    /// message, or the status of something that is not S3.
    fn status_error(&self, raw: &HttpResponse, body: &str, operation: &str) -> anyhow::Error {
        let status = raw.status().as_u16();
        let code = xml_tag(body, "Code").unwrap_or_default();
        let message = xml_tag(body, "Message");
        if let Some(denied) = denial(&self.endpoint, status, code, message, Some(operation)) {
            return anyhow::Error::new(denied);
        }
        if let Some(region) = raw.headers().get("x-amz-bucket-region") {
            if self.region.as_deref() != Some(region) {
                return anyhow!(
                    "{} (HTTP {status}): the bucket is in region {region}: set AWS_REGION={region}",
                    if code.is_empty() {
                        "wrong region"
                    } else {
                        code
                    }
                );
            }
        }
        match (code, message) {
            ("", _) => anyhow!(status_without_code(status, "S3", excerpt(body))),
            (code, Some(message)) => anyhow!("{code}: {message} (HTTP {status})"),
            (code, None) => anyhow!("{code} (HTTP {status})"),
        }
    }

    /// A failure without an answer in words, with a hint when nothing answered at all.
    fn transport_error(&self, err: ConnectorError) -> anyhow::Error {
        let text = chain(&err);
        if nothing_answered(&err) || (self.endpoint.target == Target::Prod && err.is_io()) {
            anyhow!("{text}{}", self.endpoint.unreachable_hint())
        } else if err.is_timeout() {
            anyhow!("{}: {text}", no_answer(self.endpoint.timeout))
        } else {
            anyhow!(text)
        }
    }
}

/// A success as an answer; an error status with its body read (an error's body is small).
async fn answer(response: HttpResponse) -> std::result::Result<S3Answer, Failure> {
    let status = response.status();
    if status.is_success() {
        let headers = response.headers().clone();
        return Ok(S3Answer {
            headers,
            body: ByteStream::new(response.into_body()),
        });
    }
    let (head, body) = split(response);
    let bytes = match ByteStream::new(body).collect().await {
        Ok(bytes) => bytes.into_bytes(),
        Err(_) => Default::default(),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Err(Failure::Status(Box::new(head), text))
}

/// A response's status and headers (with an empty body), and its body.
fn split(mut response: HttpResponse) -> (HttpResponse, SdkBody) {
    let body = std::mem::replace(response.body_mut(), SdkBody::empty());
    (response, body)
}

/// Whether an error status is worth another attempt: S3 is busy or failed inside.
fn transient(status: u16, body: &str) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
        || matches!(
            xml_tag(body, "Code"),
            Some("SlowDown" | "InternalError" | "RequestTimeout")
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_internal_errors_are_retried_others_are_not() {
        let slow =
            "<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>";
        assert!(transient(503, slow));
        assert!(transient(500, ""));
        assert!(!transient(404, "<Error><Code>NoSuchKey</Code></Error>"));
        assert!(!transient(403, "<Error><Code>AccessDenied</Code></Error>"));
    }
}
