//! What every AWS client's calls carry, through one SDK interceptor ([`Calls`]) registered where
//! the clients are built:
//! - the name of the operation, written onto its response ([`OPERATION_HEADER`]), so that an
//!   error from a service that does not say which action it denied (S3's `AccessDenied`) still
//!   names it;
//! - with `--trace-calls FILE` (or `CRUDDUR_OPS_TRACE_CALLS`), one JSON line per call in FILE:
//!   `{"service", "operation", "resource", "status", "ms"}` ([`Trace`]), so a user can see what
//!   a run did.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::config::ConfigBag;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde::Serialize;

/// The response header naming the operation it answers (set by [`Calls`], never by a server).
pub const OPERATION_HEADER: &str = "x-cruddur-ops-operation";

/// The file of `--trace-calls`: one JSON line per call, appended.
#[derive(Debug)]
pub struct Trace {
    file: Mutex<File>,
}

impl Trace {
    /// Opens `path` for appending (created if missing).
    pub fn open(path: &Path) -> Result<Trace> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the --trace-calls file {}", path.display()))?;
        Ok(Trace {
            file: Mutex::new(file),
        })
    }

    /// Appends `line` (a whole line in one write, so concurrent calls do not interleave).
    fn write(&self, line: &CallLine<'_>) {
        if let Ok(mut text) = serde_json::to_vec(line) {
            text.push(b'\n');
            if let Ok(mut file) = self.file.lock() {
                // Tracing never fails a call: a full disk loses trace lines, not the run.
                let _ = file.write_all(&text);
            }
        }
    }
}

impl Trace {
    /// Writes the line of a call made without the SDK (S3's, `super::s3`): its `service` and
    /// `operation`, the `resource` it names, the last HTTP `status` (none: `error` says why)
    /// and its time since `started`.
    pub(super) fn record(
        &self,
        service: &str,
        operation: &str,
        resource: Option<String>,
        status: Option<u16>,
        error: Option<String>,
        started: Instant,
    ) {
        self.write(&CallLine {
            service,
            operation,
            resource,
            status,
            error,
            ms: millis(started),
        });
    }
}

/// The time since `started` in milliseconds, to a hundredth.
fn millis(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e5).round() / 100.0
}

/// One line of the trace.
#[derive(Serialize)]
struct CallLine<'a> {
    service: &'a str,
    operation: &'a str,
    /// The table, stream, export, pool or bucket/key the call names, when it names one.
    resource: Option<String>,
    /// The HTTP status of the last answer, `null` when none came (no connection, a timeout).
    status: Option<u16>,
    /// Why no answer came, when none did.
    error: Option<String>,
    /// From the call's start to its end, retries included.
    ms: f64,
}

/// What a call's trace line needs, kept in the call's configuration between hooks.
#[derive(Debug, Clone)]
struct Started {
    at: Instant,
    resource: Option<String>,
}

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The resource a request names: for the JSON services, the first of the usual fields of its
/// body; for S3, the path (`/bucket/key`).
fn resource_of(service: &str, uri: &str, body: Option<&[u8]>) -> Option<String> {
    if service == "S3" {
        let path = uri
            .split("://")
            .nth(1)
            .map_or(uri, |rest| rest.find('/').map_or("", |at| &rest[at..]));
        let path = path.split('?').next().unwrap_or_default();
        return (!path.is_empty() && path != "/").then(|| path.to_string());
    }
    let json: serde_json::Value = serde_json::from_slice(body?).ok()?;
    [
        "TableName",
        "TableArn",
        "StreamArn",
        "ExportArn",
        "ImportArn",
        "ResourceArn",
        "UserPoolId",
    ]
    .iter()
    .find_map(|field| json.get(field)?.as_str().map(str::to_string))
}

/// The interceptor of every client the context builds.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    trace: Option<Arc<Trace>>,
}

impl Calls {
    /// The interceptor, writing a trace line per call to `trace` when there is one.
    pub fn new(trace: Option<Arc<Trace>>) -> Calls {
        Calls { trace }
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "cruddur-ops calls"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.trace.is_some() {
            cfg.interceptor_state().store_put(Started {
                at: Instant::now(),
                resource: None,
            });
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.trace.is_some() {
            let service = cfg.load::<Metadata>().map(|m| m.service().to_string());
            if let Some(started) = cfg.load::<Started>().cloned() {
                let request = context.request();
                let resource = resource_of(
                    service.as_deref().unwrap_or_default(),
                    request.uri(),
                    request.body().bytes(),
                );
                cfg.interceptor_state().store_put(Started {
                    resource,
                    ..started
                });
            }
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let name = metadata.name().to_string();
            context
                .response_mut()
                .headers_mut()
                .insert(OPERATION_HEADER, name);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(trace), Some(metadata), Some(started)) =
            (&self.trace, cfg.load::<Metadata>(), cfg.load::<Started>())
        else {
            return Ok(());
        };
        let status = context.response().map(|r| r.status().as_u16());
        // Without an answer, what happened instead (no connection, a timeout).
        let error = match (status, context.output_or_error()) {
            (None, Some(Err(err))) => Some(err.to_string()),
            _ => None,
        };
        trace.write(&CallLine {
            service: metadata.service(),
            operation: metadata.name(),
            resource: started.resource.clone(),
            status,
            error,
            ms: millis(started.at),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_come_from_the_body_or_the_path() {
        let body = br#"{"TableName":"t","Limit":5}"#;
        assert_eq!(
            resource_of("DynamoDB", "https://x/", Some(body)).as_deref(),
            Some("t")
        );
        let pool = br#"{"UserPoolId":"us-east-1_A"}"#;
        assert_eq!(
            resource_of("Cognito Identity Provider", "https://x/", Some(pool)).as_deref(),
            Some("us-east-1_A")
        );
        assert_eq!(resource_of("DynamoDB", "https://x/", Some(b"{}")), None);
        assert_eq!(
            resource_of("S3", "http://127.0.0.1:9/b/k/x.json?list-type=2", None).as_deref(),
            Some("/b/k/x.json")
        );
        assert_eq!(
            resource_of("S3", "https://b.s3.amazonaws.com/?x", None),
            None
        );
    }
}
