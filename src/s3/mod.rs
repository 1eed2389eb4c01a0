//! S3 access for the native export and import: `s3://BUCKET/KEY` addresses ([`S3Url`]),
//! listing objects and folders, reading a small object whole (a manifest), and reading a large
//! one as a stream ([`ObjectReader`], a blocking [`Read`] over the response body, so the import
//! pipeline reads an S3 data file line by line like a local file). Nothing here knows what an
//! export is.
//!
//! The requests go through the context's S3 client ([`crate::context::S3Client`]: signing,
//! retries, errors in words); this module knows the operations' queries and answers. Every call
//! has a bounded wait: the per-request timeouts (`--timeout`), and the same bound on each chunk
//! of a streamed body.

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use aws_smithy_types::byte_stream::{error::Error as ByteStreamError, ByteStream};
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};
use bytes::Bytes;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::context::{Context, S3Get};

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

/// One page of a ListObjectsV2 answer.
#[derive(Debug, Default, PartialEq, Eq)]
struct Page {
    /// The objects listed.
    objects: Vec<Object>,
    /// The common prefixes (with a delimiter: the folders).
    folders: Vec<String>,
    /// The token of the next page, when the listing is cut short.
    next: Option<String>,
}

/// Every page of ListObjectsV2 under `prefix` in `bucket` (with `delimiter`, folders too);
/// `what` names the listing in errors.
async fn list_pages(
    ctx: &Context,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    what: &str,
) -> Result<Page> {
    let mut all = Page::default();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![
            ("list-type", "2".to_string()),
            ("prefix", prefix.to_string()),
        ];
        if let Some(delimiter) = delimiter {
            query.push(("delimiter", delimiter.to_string()));
        }
        if let Some(token) = token.take() {
            query.push(("continuation-token", token));
        }
        let request = S3Get {
            operation: "ListObjectsV2",
            bucket,
            key: "",
            query,
        };
        let answer = ctx.s3().get(&request, what).await?;
        let text = body_text(ctx, answer.body, what).await?;
        let page = parse_page(&text).with_context(|| format!("{what}: S3's answer"))?;
        all.objects.extend(page.objects);
        all.folders.extend(page.folders);
        match page.next {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}

/// A ListObjectsV2 answer's objects, common prefixes and next token.
fn parse_page(xml: &str) -> Result<Page> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element()?;
    if !root.start_el().matches("ListBucketResult") {
        bail!("not a ListObjectsV2 answer (no ListBucketResult)");
    }
    let mut page = Page::default();
    let mut truncated = false;
    while let Some(mut tag) = root.next_tag() {
        match tag.start_el() {
            s if s.matches("Contents") => page.objects.push(parse_object(&mut tag)?),
            s if s.matches("CommonPrefixes") => {
                while let Some(mut inner) = tag.next_tag() {
                    if inner.start_el().matches("Prefix") {
                        page.folders.push(try_data(&mut inner)?.into_owned());
                    }
                }
            }
            s if s.matches("IsTruncated") => truncated = try_data(&mut tag)?.trim() == "true",
            s if s.matches("NextContinuationToken") => {
                page.next = Some(try_data(&mut tag)?.into_owned());
            }
            _ => {}
        }
    }
    if truncated && page.next.is_none() {
        bail!("the listing is cut short but has no NextContinuationToken");
    }
    if !truncated {
        page.next = None;
    }
    Ok(page)
}

/// One `<Contents>` of a listing: the key, the size and the ETag.
fn parse_object(tag: &mut ScopedDecoder<'_, '_>) -> Result<Object> {
    let (mut key, mut size, mut etag) = (None, 0, None);
    while let Some(mut inner) = tag.next_tag() {
        match inner.start_el() {
            s if s.matches("Key") => key = Some(try_data(&mut inner)?.into_owned()),
            s if s.matches("Size") => {
                let text = try_data(&mut inner)?;
                size = text
                    .trim()
                    .parse()
                    .with_context(|| format!("the size {text:?}"))?;
            }
            s if s.matches("ETag") => etag = Some(bare_etag(&try_data(&mut inner)?)),
            _ => {}
        }
    }
    Ok(Object {
        key: key.context("an object without a Key")?,
        size,
        etag,
    })
}

/// A small body read whole as UTF-8 text, each chunk within the request timeout.
async fn body_text(ctx: &Context, body: ByteStream, what: &str) -> Result<String> {
    let timeout = timeout(ctx);
    let bytes = tokio::time::timeout(timeout, body.collect())
        .await
        .map_err(|_| anyhow::anyhow!(crate::context::no_answer(timeout)))
        .and_then(|r| r.map_err(anyhow::Error::from))
        .with_context(|| what.to_string())?
        .into_bytes();
    String::from_utf8(bytes.to_vec()).with_context(|| format!("{what}: not UTF-8 text"))
}

/// Every object under `prefix` in `bucket`, in key order (ListObjectsV2, page by page).
pub async fn list(ctx: &Context, bucket: &str, prefix: &str) -> Result<Vec<Object>> {
    let what = format!("listing s3://{bucket}/{prefix}");
    let mut objects = list_pages(ctx, bucket, prefix, None, &what).await?.objects;
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(objects)
}

/// The folders directly under `prefix` (which ends with `/`): their full prefixes, each ending
/// with `/`, in order.
pub async fn folders(ctx: &Context, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let what = format!("listing the folders of s3://{bucket}/{prefix}");
    let mut found = list_pages(ctx, bucket, prefix, Some("/"), &what)
        .await?
        .folders;
    found.sort();
    Ok(found)
}

/// The GetObject request of `url`.
fn get_object(url: &S3Url) -> S3Get<'_> {
    S3Get {
        operation: "GetObject",
        bucket: &url.bucket,
        key: &url.key,
        query: Vec::new(),
    }
}

/// Reads the object at `url` whole as text, `None` when there is no such object. Refuses one
/// over `max_bytes` (a manifest is small; anything bigger is not what was asked for).
pub async fn read_text(ctx: &Context, url: &S3Url, max_bytes: u64) -> Result<Option<String>> {
    let what = format!("reading {url}");
    let Some(answer) = ctx
        .s3()
        .get_unless(&get_object(url), "NoSuchKey", &what)
        .await?
    else {
        return Ok(None);
    };
    let length = answer
        .headers
        .get("content-length")
        .and_then(|l| l.parse::<u64>().ok());
    if length.unwrap_or(0) > max_bytes {
        bail!("{url} is over {max_bytes} bytes: not a manifest");
    }
    let text = body_text(ctx, answer.body, &what).await?;
    if text.len() as u64 > max_bytes {
        bail!("{url} is over {max_bytes} bytes: not a manifest");
    }
    Ok(Some(text))
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
        let request = get_object(url);
        let what = format!("reading {url}");
        let out = tokio::task::block_in_place(|| {
            handle.block_on(async { ctx.s3().get(&request, &what).await })
        })?;
        if let (Some(want), Some(got)) = (etag, out.headers.get("etag")) {
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
    source: ByteStreamError,
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

    #[test]
    fn listings_give_objects_folders_and_the_next_page() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bkt</Name><Prefix>ex/</Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>ex/a&amp;b.json.gz</Key><LastModified>2026-12-07T00:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234</Size>
    <StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>ex/b.json.gz</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>ex/AWSDynamoDB/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>"#;
        let page = parse_page(xml).unwrap();
        assert_eq!(
            page.objects,
            [
                Object {
                    key: "ex/a&b.json.gz".into(),
                    size: 1234,
                    etag: Some("9b2cf535f27731c974343645a3985328".into()),
                },
                Object {
                    key: "ex/b.json.gz".into(),
                    size: 0,
                    etag: None,
                },
            ]
        );
        assert_eq!(page.folders, ["ex/AWSDynamoDB/"]);
        assert_eq!(
            page.next.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );

        let last = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
        assert_eq!(parse_page(last).unwrap(), Page::default());
        let cut = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        assert!(parse_page(cut).is_err());
        let error = "<Error><Code>AccessDenied</Code></Error>";
        assert!(parse_page(error).is_err());
        let bad_size =
            "<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>";
        assert!(parse_page(bad_size).is_err());
    }
}
