//! Errors in words: an SDK call's error as "what on endpoint: why" ([`SdkResultExt`]), the
//! messages for no answer and for an HTTP status without a service error code, and the retry
//! classifier that makes a rejected server certificate final.

use std::error::Error as StdError;
use std::fmt::Display;
use std::io;
use std::time::Duration;

use anyhow::{anyhow, Result};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

use super::Endpoint;
use crate::config::{Target, TIMEOUT_VAR};

/// The message for a request that got no answer within `timeout`.
pub fn no_answer(timeout: Duration) -> String {
    format!(
        "no answer within {} s (the server accepted the connection but did not reply; \
         raise the limit with --timeout SECS or {TIMEOUT_VAR})",
        timeout.as_secs()
    )
}

/// Whether an error means that nothing answered at all: the connection was refused, the host
/// name did not resolve or no TCP connection was accepted in time. Only then does a message
/// suggest starting the local stack; a wrong password, a bad URL or a service's own error never
/// get that hint.
pub fn nothing_answered(err: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            ) {
                return true;
            }
        }
        let text = e.to_string().to_lowercase();
        if [
            "dns error",
            "failed to lookup address",
            "connect timeout",
            "connection refused",
        ]
        .iter()
        .any(|needle| text.contains(needle))
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// `err` and its sources, joined by ": ".
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let more = e.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = e.source();
    }
    text
}

/// The start of a response body, on one line, for errors from something that is not the service.
fn body_excerpt(raw: &HttpResponse) -> Option<String> {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(raw.body().bytes()?);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(MAX) {
        _ if text.is_empty() => None,
        Some((cut, _)) => Some(format!("{}...", &text[..cut])),
        None => Some(text),
    }
}

/// What an HTTP status without a service error code says. 413 is the request being too large
/// (for DynamoDB: an item over 400 KB, or a request over 16 MB), not a sign of a wrong endpoint.
pub fn status_without_code(status: u16, service: &str, body: Option<String>) -> String {
    let body = body.map(|b| format!(", body: {b}")).unwrap_or_default();
    if status == 413 {
        let limits = if service == "DynamoDB" {
            " (an item over DynamoDB's 400 KB limit, or a request over 16 MB)"
        } else {
            ""
        };
        return format!("HTTP 413: request too large{limits}{body}");
    }
    format!(
        "HTTP {status} without a {service} error code (is this endpoint really {service}?){body}"
    )
}

/// Adds context to an SDK call's error: what was being done, on which service and endpoint.
pub trait SdkResultExt<T> {
    /// Wraps the error as "`what` on `endpoint`: why", where why is the service's error code and
    /// message (or the HTTP status and the start of the body when there is none), "no answer
    /// within N s", or the transport's cause chain, with a hint when nothing answered at all.
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T>;
}

impl<T, E> SdkResultExt<T> for std::result::Result<T, SdkError<E, HttpResponse>>
where
    E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
{
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T> {
        self.map_err(|err| sdk_error(err, endpoint, what))
    }
}

/// An SDK call's error as [`SdkResultExt::on`] words it, for an error that is not in a `Result`
/// (a waiter's failed DescribeTable, say).
pub fn sdk_error<E>(
    err: SdkError<E, HttpResponse>,
    endpoint: &Endpoint,
    what: impl Display,
) -> anyhow::Error
where
    E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
{
    let context = format!("{what} on {endpoint}");
    let service = endpoint.service;
    let not_the_service =
        |raw: &HttpResponse| status_without_code(raw.status().as_u16(), service, body_excerpt(raw));
    let why = match &err {
        // The service's own words: "ResourceNotFoundException: Requested resource not found".
        SdkError::ServiceError(failure) => {
            let e = failure.err();
            let status = failure.raw().status();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => {
                    format!("{code}: {message} (HTTP {status})")
                }
                (Some(code), None) => format!("{code} (HTTP {status})"),
                (None, message) => {
                    let text = not_the_service(failure.raw());
                    match message {
                        Some(m) => format!("{m}: {text}"),
                        None => text,
                    }
                }
            }
        }
        SdkError::ResponseError(failure) => {
            format!("{}: {}", not_the_service(failure.raw()), chain(&err))
        }
        SdkError::TimeoutError(_) => no_answer(endpoint.timeout),
        SdkError::DispatchFailure(_) if nothing_answered(&err) => {
            format!("{}{}", chain(&err), endpoint.unreachable_hint())
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            format!("{}: {}", no_answer(endpoint.timeout), chain(&err))
        }
        SdkError::DispatchFailure(_) if endpoint.target == Target::Prod => {
            format!("{}{}", chain(&err), endpoint.unreachable_hint())
        }
        _ => chain(&err),
    };
    anyhow!(why).context(context)
}

/// A server certificate that fails its check fails the same way on every attempt: the request is
/// not retried (the SDK would count the handshake as a transient I/O error, and with a short
/// `--timeout` the operation bound would end first, reporting "no answer" instead of the
/// certificate's problem).
#[derive(Debug)]
pub(super) struct CertificateErrorsAreFinal;

impl ClassifyRetry for CertificateErrorsAreFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(err)) if is_certificate_error(err) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "CertificateErrorsAreFinal"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether `err` (or a cause of it) is a rejected server certificate.
fn is_certificate_error(err: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return true;
        }
        if e.to_string().contains("invalid peer certificate") {
            return true;
        }
        cause = e.source();
    }
    false
}
