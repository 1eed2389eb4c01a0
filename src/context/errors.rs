//! Errors in words: an SDK call's error as "what on endpoint: why" ([`SdkResultExt`]), a call the
//! caller's IAM policy does not allow as an [`AccessDenied`] naming the action and resource, the
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

use super::calls::OPERATION_HEADER;
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
pub(super) fn chain(err: &(dyn StdError + 'static)) -> String {
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
    excerpt(&String::from_utf8_lossy(raw.body().bytes()?))
}

/// The start of `text` (a response body) on one line, `None` when there is nothing to show.
pub(super) fn excerpt(text: &str) -> Option<String> {
    const MAX: usize = 200;
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

/// A call that the caller's IAM policy does not allow: the action, the resource when the service
/// names it, and the service's own words. `cli` adds the tool and the `iam-policy` command that
/// prints the policy it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    /// The IAM action denied (`dynamodb:Scan`), from the service's message, else from the
    /// operation called.
    pub action: String,
    /// The resource, when the service's message names it.
    pub resource: Option<String>,
    /// The service's error code (`AccessDeniedException`, `AccessDenied`, ...).
    pub code: String,
    /// The service's message.
    pub message: Option<String>,
    /// The HTTP status.
    pub status: u16,
    /// The target the call went to.
    pub target: Target,
}

impl std::fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "access denied: the IAM policy does not allow {}",
            self.action
        )?;
        if let Some(resource) = &self.resource {
            write!(f, " on {resource}")?;
        }
        f.write_str(" (")?;
        match (self.code.as_str(), &self.message) {
            ("", None) => {}
            ("", Some(message)) => write!(f, "{message}, ")?,
            (code, None) => write!(f, "{code}, ")?,
            (code, Some(message)) => write!(f, "{code}: {message}, ")?,
        }
        write!(f, "HTTP {})", self.status)
    }
}

impl StdError for AccessDenied {}

/// Codes that mean "your credentials are not allowed this", whatever the HTTP status.
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "NotAuthorizedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
];

/// The word after `marker` in `message` (`perform: dynamodb:Scan on resource: ...`).
fn word_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let at = message.find(marker)? + marker.len();
    message[at..]
        .split_whitespace()
        .next()
        .map(|w| w.trim_end_matches(['.', ',', ';']))
}

/// The service prefix of IAM actions for an endpoint's service.
fn action_prefix(service: &str) -> &'static str {
    match service {
        "DynamoDB" | "DynamoDB Streams" => "dynamodb",
        "Cognito" => "cognito-idp",
        "S3" => "s3",
        "STS" => "sts",
        _ => "unknown",
    }
}

/// The text of the first `<tag>` of an XML body.
pub(super) fn xml_tag<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    Some(&body[start..end])
}

/// The access denial an SDK call's error `code` with `message` stands for, if it is one.
fn access_denied(
    endpoint: &Endpoint,
    code: &str,
    message: Option<&str>,
    raw: &HttpResponse,
) -> Option<AccessDenied> {
    // A body the service's parser could not read (an XML error from a JSON service) may still
    // carry the message.
    let body = raw
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let message = message.or_else(|| xml_tag(body.as_deref()?, "Message"));
    let code = match code {
        "" => body
            .as_deref()
            .and_then(|b| xml_tag(b, "Code"))
            .unwrap_or_default(),
        code => code,
    };
    let operation = raw.headers().get(OPERATION_HEADER);
    denial(endpoint, raw.status().as_u16(), code, message, operation)
}

/// The access denial an answer with `status`, the service's error `code` and `message` stands
/// for, if it is one; `operation` names the action when the message does not.
pub(super) fn denial(
    endpoint: &Endpoint,
    status: u16,
    code: &str,
    message: Option<&str>,
    operation: Option<&str>,
) -> Option<AccessDenied> {
    // A denial names itself; only S3 answers one without a body (to HEAD requests). Another
    // 403 (a web server on the port, bad credentials) is not a missing permission.
    let denied = DENIED_CODES.contains(&code)
        || (status == 403 && code.is_empty() && endpoint.service == "S3");
    if !denied {
        return None;
    }
    let from_message = message.and_then(|m| word_after(m, "perform: "));
    let action = match (from_message, operation) {
        (Some(action), _) => action.to_string(),
        (None, Some(operation)) => {
            crate::iam::action_of_operation(action_prefix(endpoint.service), operation)
        }
        (None, None) => format!("a {} action", endpoint.service),
    };
    Some(AccessDenied {
        action,
        resource: message
            .and_then(|m| word_after(m, "on resource: "))
            .map(str::to_string),
        code: code.to_string(),
        message: message.map(str::to_string),
        status,
        target: endpoint.target,
    })
}

/// Adds context to an SDK call's error: what was being done, on which service and endpoint.
pub trait SdkResultExt<T, E> {
    /// Wraps the error as "`what` on `endpoint`: why", where why is the service's error code and
    /// message (or the HTTP status and the start of the body when there is none), "no answer
    /// within N s", or the transport's cause chain, with a hint when nothing answered at all.
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T>;

    /// As [`SdkResultExt::on`], but the service error `expected` picks out (a user that already
    /// exists, one that is not found) is `None`, an answer like any other.
    fn on_unless(
        self,
        expected: impl FnOnce(&E) -> bool,
        endpoint: &Endpoint,
        what: impl Display,
    ) -> Result<Option<T>>;
}

impl<T, E> SdkResultExt<T, E> for std::result::Result<T, SdkError<E, HttpResponse>>
where
    E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
{
    fn on(self, endpoint: &Endpoint, what: impl Display) -> Result<T> {
        self.map_err(|err| sdk_error(err, endpoint, what))
    }

    fn on_unless(
        self,
        expected: impl FnOnce(&E) -> bool,
        endpoint: &Endpoint,
        what: impl Display,
    ) -> Result<Option<T>> {
        match self {
            Ok(answer) => Ok(Some(answer)),
            Err(err) if err.as_service_error().is_some_and(expected) => Ok(None),
            Err(err) => Err(sdk_error(err, endpoint, what)),
        }
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
    let denied = match &err {
        SdkError::ServiceError(failure) => {
            let e = failure.err();
            let code = e.code().unwrap_or_default();
            access_denied(endpoint, code, e.message(), failure.raw())
        }
        // A 403 whose body the SDK could not parse (moto's XML errors to JSON clients).
        SdkError::ResponseError(failure) if failure.raw().status().as_u16() == 403 => {
            access_denied(endpoint, "", None, failure.raw())
        }
        _ => None,
    };
    if let Some(denied) = denied {
        return anyhow::Error::new(denied).context(context);
    }
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
pub(super) fn is_certificate_error(err: &(dyn StdError + 'static)) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_words_give_the_action_and_the_resource() {
        let message = "User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to \
                       perform: dynamodb:Scan on resource: arn:aws:dynamodb:us-east-1:123456789012:table/t \
                       because no identity-based policy allows the dynamodb:Scan action";
        assert_eq!(word_after(message, "perform: "), Some("dynamodb:Scan"));
        assert_eq!(
            word_after(message, "on resource: "),
            Some("arn:aws:dynamodb:us-east-1:123456789012:table/t")
        );
        let body = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        assert_eq!(xml_tag(body, "Code"), Some("AccessDenied"));
        assert_eq!(xml_tag(body, "Message"), Some("no"));
        assert_eq!(xml_tag(body, "Other"), None);
        assert_eq!(action_prefix("DynamoDB Streams"), "dynamodb");
        assert_eq!(action_prefix("Cognito"), "cognito-idp");
    }
}
