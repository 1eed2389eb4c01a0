//! S3 access for the native export and import: `s3://BUCKET/KEY` addresses ([`S3Url`]),
//! listing objects and folders, reading a small object whole (a manifest), and reading a large
//! one as a stream ([`ObjectReader`], a blocking [`Read`] over the response body, so the import
//! pipeline reads an S3 data file line by line like a local file). Nothing here knows what an
//! export is.
//!
//! Every call has a bounded wait: the SDK's per-request timeouts (`--timeout`), and the same
//! bound on each chunk of a streamed body.

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::context::{Context, SdkResultExt};

/// The bound on one answer (`--timeout`), also on each chunk of a streamed body.
fn timeout(ctx: &Context) -> Duration {
    ctx.config
        .timeout()
        .unwrap_or(crate::config::DEFAULT_TIMEOUT)
}

/// An S3 address: a bucket and a key (or a key prefix), written `s3://BUCKET/KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key or prefix, without a leading `/` (may be empty).
    pub key: String,
}

impl S3Url {
    /// Parses `s3://BUCKET/KEY` (KEY may be empty or end with `/`).
    pub fn parse(text: &str) -> Result<S3Url> {
        let Some(rest) = text.strip_prefix("s3://") else {
            bail!("{text:?} is not an S3 address: write s3://BUCKET/PREFIX");
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c);
        if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(valid) {
            bail!(
                "{text:?}: {bucket:?} is not a bucket name (3 to 63 lower-case letters, digits, \
                 dots and hyphens)"
            );
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.trim_start_matches('/').to_string(),
        })
    }

    /// The same bucket, another key.
    pub fn with_key(&self, key: impl Into<String>) -> S3Url {
        S3Url {
            bucket: self.bucket.clone(),
            key: key.into(),
        }
    }

    /// The key as a folder: empty, or ending with one `/`.
    pub fn folder(&self) -> String {
        let key = self.key.trim_end_matches('/');
        if key.is_empty() {
            String::new()
        } else {
            format!("{key}/")
        }
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// An object as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, without quotes.
    pub etag: Option<String>,
}

/// An ETag without the quotes S3 puts around it.
pub fn bare_etag(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

/// Every object under `prefix` in `bucket`, in key order (ListObjectsV2, page by page).
pub async fn list(ctx: &Context, bucket: &str, prefix: &str) -> Result<Vec<Object>> {
    let mut pages = ctx
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.on(
            &ctx.s3_endpoint,
            format_args!("listing s3://{bucket}/{prefix}"),
        )?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            objects.push(Object {
                key: key.to_string(),
                size: o.size().unwrap_or(0).max(0) as u64,
                etag: o.e_tag().map(bare_etag),
            });
        }
    }
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(objects)
}

/// The folders directly under `prefix` (which ends with `/`): their full prefixes, each ending
/// with `/`, in order.
pub async fn folders(ctx: &Context, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut pages = ctx
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.on(
            &ctx.s3_endpoint,
            format_args!("listing the folders of s3://{bucket}/{prefix}"),
        )?;
        found.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
    }
    found.sort();
    Ok(found)
}

/// Reads the object at `url` whole as text, `None` when there is no such object. Refuses one
/// over `max_bytes` (a manifest is small; anything bigger is not what was asked for).
pub async fn read_text(ctx: &Context, url: &S3Url, max_bytes: u64) -> Result<Option<String>> {
    let out = match ctx
        .s3()
        .get_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await
    {
        Ok(out) => out,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
        Err(err) => return Err(err).on(&ctx.s3_endpoint, format_args!("reading {url}")),
    };
    if out.content_length().unwrap_or(0) as u64 > max_bytes {
        bail!("{url} is over {max_bytes} bytes: not a manifest");
    }
    let timeout = timeout(ctx);
    let bytes = tokio::time::timeout(timeout, out.body.collect())
        .await
        .map_err(|_| anyhow::anyhow!(crate::context::no_answer(timeout)))
        .and_then(|r| r.map_err(anyhow::Error::from))
        .with_context(|| format!("reading {url}"))?
        .into_bytes();
    String::from_utf8(bytes.to_vec())
        .map(Some)
        .with_context(|| format!("{url} is not UTF-8 text"))
}

/// A blocking [`Read`] over an S3 object's body, streamed chunk by chunk as it is read: the
/// import pipeline (synchronous, line by line) reads it like a file. Each chunk waits at most
/// the request timeout. Needs Tokio's multi-thread runtime (every tool runs on one); on any
/// other, opening fails with an error instead of blocking the runtime.
pub struct ObjectReader {
    handle: Handle,
    body: ByteStream,
    chunk: Bytes,
    timeout: Duration,
    name: String,
}

impl ObjectReader {
    /// Opens `url` for reading; with `etag`, refuses an object whose ETag is another (it changed
    /// since it was listed).
    pub fn open(ctx: &Context, url: &S3Url, etag: Option<&str>) -> Result<ObjectReader> {
        let handle = Handle::try_current().context("reading from S3 needs the async runtime")?;
        if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            bail!("reading {url} needs Tokio's multi-thread runtime");
        }
        let request = ctx.s3().get_object().bucket(&url.bucket).key(&url.key);
        let endpoint = &ctx.s3_endpoint;
        let out = tokio::task::block_in_place(|| {
            handle.block_on(async {
                request
                    .send()
                    .await
                    .on(endpoint, format_args!("reading {url}"))
            })
        })?;
        if let (Some(want), Some(got)) = (etag, out.e_tag()) {
            if bare_etag(want) != bare_etag(got) {
                bail!(
                    "{url} changed since it was listed (ETag {} instead of {}): nothing was written",
                    bare_etag(got),
                    bare_etag(want)
                );
            }
        }
        Ok(ObjectReader {
            handle,
            body: out.body,
            chunk: Bytes::new(),
            timeout: timeout(ctx),
            name: url.to_string(),
        })
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            let (body, timeout) = (&mut self.body, self.timeout);
            let next = tokio::task::block_in_place(|| {
                self.handle
                    .block_on(async { tokio::time::timeout(timeout, body.next()).await })
            });
            match next {
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("{}: {}", self.name, crate::context::no_answer(self.timeout)),
                    ))
                }
                Ok(None) => return Ok(0),
                Ok(Some(Err(err))) => {
                    return Err(io::Error::other(BodyError {
                        name: self.name.clone(),
                        source: err,
                    }))
                }
                Ok(Some(Ok(chunk))) => self.chunk = chunk,
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// A failed chunk of an object's body: the object's name, the SDK's error as its source. (An
/// [`io::Error`] shows this error's words and hands on its source, so the cause chain stays
/// whole.)
#[derive(Debug)]
struct BodyError {
    name: String,
    source: aws_sdk_s3::primitives::ByteStreamError,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading the body of {}", self.name)
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_addresses_parse() {
        let u = S3Url::parse("s3://my-bucket/exports/2026/").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("my-bucket", "exports/2026/")
        );
        assert_eq!(u.folder(), "exports/2026/");
        assert_eq!(u.to_string(), "s3://my-bucket/exports/2026/");
        let u = S3Url::parse("s3://my-bucket").unwrap();
        assert_eq!((u.key.as_str(), u.folder()), ("", String::new()));
        assert_eq!(S3Url::parse("s3://b.c-d/x").unwrap().folder(), "x/");
        for bad in [
            "my-bucket/x",
            "https://b/x",
            "s3://",
            "s3://UPPER/x",
            "s3://ab/x",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(bare_etag("\"abc\""), "abc");
    }
}
