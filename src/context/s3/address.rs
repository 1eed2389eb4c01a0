//! Where an S3 request goes: the URL of a bucket or an object, its path and query encoded as
//! SigV4 and S3 expect.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::S3Get;

/// What stays as it is in a URI component: the unreserved characters (RFC 3986), as S3 and
/// SigV4 encode.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A key in a path: the same, and its `/` kept.
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Base {
    /// An endpoint URL (the local stack's moto, `AWS_ENDPOINT_URL_S3`): buckets by path.
    Url(String),
    /// AWS: `s3[-fips][.dualstack].REGION.amazonaws.com[.cn]`, a bucket as its own host name
    /// where it can be one (a name with a dot cannot: the certificate's wildcard covers one label).
    Aws { fips: bool, dual_stack: bool },
}

/// The URL of `request` at `base` in `region`, its path and query encoded as SigV4 expects.
pub(super) fn url(base: &Base, region: &str, request: &S3Get<'_>) -> String {
    let key = utf8_percent_encode(request.key, PATH).to_string();
    let bucket = request.bucket;
    let (origin, path) = match base {
        Base::Url(url) => (url.clone(), format!("/{bucket}/{key}")),
        Base::Aws { fips, dual_stack } => {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            let host = format!(
                "s3{}{}.{region}.{suffix}",
                if *fips { "-fips" } else { "" },
                if *dual_stack { ".dualstack" } else { "" }
            );
            if bucket.contains('.') {
                (format!("https://{host}"), format!("/{bucket}/{key}"))
            } else {
                (format!("https://{bucket}.{host}"), format!("/{key}"))
            }
        }
    };
    // A bucket's own path has no trailing slash (`/bucket`, not `/bucket/`).
    let path = match path.strip_suffix('/') {
        Some(trimmed) if request.key.is_empty() && !trimmed.is_empty() => trimmed.to_string(),
        _ => path,
    };
    let query = request
        .query
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, COMPONENT),
                utf8_percent_encode(value, COMPONENT)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    match query.is_empty() {
        true => format!("{origin}{path}"),
        false => format!("{origin}{path}?{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(bucket: &'a str, key: &'a str, query: &[(&'static str, &str)]) -> S3Get<'a> {
        S3Get {
            operation: "GetObject",
            bucket,
            key,
            query: query.iter().map(|(n, v)| (*n, v.to_string())).collect(),
        }
    }

    #[test]
    fn addresses_follow_s3s_rules() {
        let aws = Base::Aws {
            fips: false,
            dual_stack: false,
        };
        let list = get("bkt", "", &[("list-type", "2"), ("prefix", "a b/c+d")]);
        assert_eq!(
            url(&aws, "us-east-1", &list),
            "https://bkt.s3.us-east-1.amazonaws.com/?list-type=2&prefix=a%20b%2Fc%2Bd"
        );
        let object = get("bkt", "exports/x y/data/a+b.json.gz", &[]);
        assert_eq!(
            url(&aws, "eu-west-1", &object),
            "https://bkt.s3.eu-west-1.amazonaws.com/exports/x%20y/data/a%2Bb.json.gz"
        );
        // A dotted name is addressed by path (TLS), China has its own domain.
        assert_eq!(
            url(&aws, "cn-north-1", &get("my.bkt", "k", &[])),
            "https://s3.cn-north-1.amazonaws.com.cn/my.bkt/k"
        );
        let both = Base::Aws {
            fips: true,
            dual_stack: true,
        };
        assert_eq!(
            url(&both, "us-east-1", &get("b1", "k", &[])),
            "https://b1.s3-fips.dualstack.us-east-1.amazonaws.com/k"
        );
        let local = Base::Url("http://localhost:9229".into());
        assert_eq!(
            url(&local, "us-east-1", &get("bkt", "", &[("list-type", "2")])),
            "http://localhost:9229/bkt?list-type=2"
        );
        assert_eq!(
            url(&local, "us-east-1", &get("bkt", "a/b", &[])),
            "http://localhost:9229/bkt/a/b"
        );
    }
}
