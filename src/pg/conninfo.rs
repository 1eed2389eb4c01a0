//! Connection strings: the TLS parameters tokio-postgres does not know, taken out before it parses.
//!
//! tokio-postgres understands `sslmode=disable|prefer|require` only, and rejects `allow`,
//! `verify-ca`, `verify-full` and `sslrootcert`. [`parse`] removes `sslmode` and `sslrootcert`
//! from either form of connection string (`postgresql://...?k=v&...` and `host=... k=v ...`),
//! remembers them as [`TlsSettings`], and hands the rest to tokio-postgres.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio_postgres::Config as PgConfig;

use super::tls::{RootCert, TlsSettings};

/// A parameter this module takes out of a connection string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `sslmode`.
    SslMode,
    /// `sslrootcert`.
    SslRootCert,
}

impl Param {
    /// Its name in a connection string.
    pub fn key(self) -> &'static str {
        match self {
            Param::SslMode => "sslmode",
            Param::SslRootCert => "sslrootcert",
        }
    }

    /// The parameter named `key`, if it is one of ours.
    fn named(key: &str) -> Option<Param> {
        [Param::SslMode, Param::SslRootCert]
            .into_iter()
            .find(|p| p.key() == key)
    }
}

/// Parses a connection string (URL or `key=value` form) into tokio-postgres's configuration and
/// the TLS settings it cannot hold.
pub fn parse(conninfo: &str) -> Result<(PgConfig, TlsSettings)> {
    let (rest, params) = take_params(conninfo)?;
    let mut settings = TlsSettings::default();
    for (param, value) in params {
        match param {
            Param::SslMode => {
                settings.mode = value.parse()?;
                settings.mode_given = true;
            }
            Param::SslRootCert => {
                settings.root_cert = match value.as_str() {
                    "" => None,
                    "system" => Some(RootCert::System),
                    path => Some(RootCert::File(PathBuf::from(path))),
                }
            }
        }
    }
    let pg: PgConfig = rest.parse().context(
        "the PostgreSQL connection URL is not valid \
         (expected postgresql://USER:PASSWORD@HOST:PORT/DB[?sslmode=...])",
    )?;
    Ok((pg, settings))
}

/// `conninfo` with `key=value` added, unless it already sets `key` (a parameter of the connection
/// string wins over the environment, as in libpq).
pub fn with_default_param(conninfo: &str, param: Param, value: &str) -> String {
    let already = match take_params(conninfo) {
        Ok((_, params)) => params.iter().any(|(p, _)| *p == param),
        // Left for `parse` to report.
        Err(_) => return conninfo.to_string(),
    };
    if already {
        return conninfo.to_string();
    }
    if is_url(conninfo) {
        let separator = match conninfo.split_once('?') {
            None => "?",
            Some((_, "")) => "",
            Some(_) => "&",
        };
        format!(
            "{conninfo}{separator}{}={}",
            param.key(),
            percent_encode(value)
        )
    } else {
        let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{} {}='{quoted}'", conninfo.trim_end(), param.key())
    }
}

fn is_url(conninfo: &str) -> bool {
    conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://")
}

/// Our parameters and their values (decoded), in the order they appear.
type Params = Vec<(Param, String)>;

/// Splits `conninfo` into the string without our parameters, and our parameters.
fn take_params(conninfo: &str) -> Result<(String, Params)> {
    if is_url(conninfo) {
        take_url_params(conninfo)
    } else {
        take_keyword_params(conninfo)
    }
}

fn take_url_params(url: &str) -> Result<(String, Params)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut ours = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match Param::named(&percent_decode(key)?) {
            Some(param) => ours.push((param, percent_decode(value)?)),
            None => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, ours))
}

/// The `key=value` form: values are bare words or single-quoted, `\` escapes the next character.
fn take_keyword_params(conninfo: &str) -> Result<(String, Params)> {
    let mut kept: Vec<&str> = Vec::new();
    let mut ours = Vec::new();
    let bytes = conninfo.as_bytes();
    let mut i = 0;
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_space(i);
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &conninfo[start..i];
        i = skip_space(i);
        if i >= bytes.len() || bytes[i] != b'=' {
            // Not ours to judge: tokio-postgres reports it.
            kept.push(&conninfo[start..]);
            break;
        }
        i = skip_space(i + 1);
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => bail!("unterminated quoted value of {key} in the connection string"),
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < bytes.len() => {
                        let c = conninfo[i + 1..].chars().next().unwrap_or_default();
                        value.push(c);
                        i += 1 + c.len_utf8();
                    }
                    Some(_) => {
                        let c = conninfo[i..].chars().next().unwrap_or_default();
                        value.push(c);
                        i += c.len_utf8().max(1);
                    }
                }
            }
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    let c = conninfo[i + 1..].chars().next().unwrap_or_default();
                    value.push(c);
                    i += 1 + c.len_utf8();
                } else {
                    let c = conninfo[i..].chars().next().unwrap_or_default();
                    value.push(c);
                    i += c.len_utf8().max(1);
                }
            }
        }
        match Param::named(key) {
            Some(param) => ours.push((param, value)),
            None => kept.push(&conninfo[start..i]),
        }
    }
    Ok((kept.join(" "), ours))
}

/// `text` with its `%XX` sequences decoded. Unlike [`percent_decode_str`], which leaves a `%`
/// not followed by two hex digits as it is, such a sequence is an error, as in libpq.
fn percent_decode(text: &str) -> Result<String> {
    let well_formed = text.split('%').skip(1).all(|after| {
        after
            .get(..2)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if !well_formed {
        bail!("bad percent-encoding in {text:?}");
    }
    let decoded = percent_decode_str(text)
        .decode_utf8()
        .with_context(|| format!("{text:?} does not decode to UTF-8"))?;
    Ok(decoded.into_owned())
}

/// What a parameter value keeps unencoded in a URL: letters, digits and `-._~/`.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::tls::SslMode;

    #[test]
    fn url_params_are_taken_out_before_tokio_postgres_parses() {
        let (pg, tls) = parse(
            "postgresql://u:p@db.example:5432/cruddur?sslmode=verify-full&connect_timeout=3\
             &sslrootcert=/etc/ssl/rds%20bundle.pem",
        )
        .unwrap();
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert!(tls.mode_given);
        assert_eq!(
            tls.root_cert,
            Some(RootCert::File("/etc/ssl/rds bundle.pem".into()))
        );
        assert_eq!(pg.get_dbname(), Some("cruddur"));
        assert_eq!(
            pg.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );

        let (rest, ours) = take_params("postgresql://h/db?sslmode=verify-ca").unwrap();
        assert_eq!(rest, "postgresql://h/db");
        assert_eq!(ours, vec![(Param::SslMode, "verify-ca".into())]);

        let (_, tls) = parse("postgresql://h/db").unwrap();
        assert_eq!(tls, TlsSettings::default());
        assert_eq!(tls.mode, SslMode::Prefer);

        let (_, tls) = parse("postgresql://h/db?sslrootcert=system").unwrap();
        assert_eq!(tls.root_cert, Some(RootCert::System));
    }

    #[test]
    fn keyword_params_are_taken_out_too() {
        let (pg, tls) = parse(
            "host=db.example  dbname=cruddur sslmode = verify-ca sslrootcert='/tmp/my ca\\'s.pem' user=u",
        )
        .unwrap();
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(
            tls.root_cert,
            Some(RootCert::File("/tmp/my ca's.pem".into()))
        );
        assert_eq!(pg.get_dbname(), Some("cruddur"));
        assert_eq!(pg.get_user(), Some("u"));
        assert!(parse("host=h sslrootcert='/open").is_err());
    }

    #[test]
    fn percent_encoding_round_trips_and_bad_sequences_are_errors() {
        assert_eq!(
            percent_encode("/a b/é'&=.pem"),
            "/a%20b/%C3%A9%27%26%3D.pem"
        );
        assert_eq!(
            percent_decode("/a%20b/%c3%A9%27%26%3D.pem").unwrap(),
            "/a b/é'&=.pem"
        );
        for bad in ["%", "a%2", "%zz", "100%"] {
            let err = format!("{:#}", percent_decode(bad).unwrap_err());
            assert!(err.contains("bad percent-encoding"), "{bad}: {err}");
        }
        let err = format!("{:#}", percent_decode("%FF").unwrap_err());
        assert!(err.contains("UTF-8"), "{err}");
        assert!(parse("postgresql://h/db?sslrootcert=/a%2.pem").is_err());
    }

    #[test]
    fn unknown_modes_are_errors() {
        let err = parse("postgresql://h/db?sslmode=verify").unwrap_err();
        assert!(format!("{err:#}").contains("verify"), "{err:#}");
    }

    #[test]
    fn the_environment_root_cert_never_overrides_the_url() {
        assert_eq!(
            with_default_param("postgresql://h/db", Param::SslRootCert, "/a b.pem"),
            "postgresql://h/db?sslrootcert=/a%20b.pem"
        );
        assert_eq!(
            with_default_param(
                "postgresql://h/db?sslmode=require",
                Param::SslRootCert,
                "/a.pem"
            ),
            "postgresql://h/db?sslmode=require&sslrootcert=/a.pem"
        );
        assert_eq!(
            with_default_param(
                "postgresql://h/db?sslrootcert=/b.pem",
                Param::SslRootCert,
                "/a.pem"
            ),
            "postgresql://h/db?sslrootcert=/b.pem"
        );
        let keyword = with_default_param("host=h dbname=db", Param::SslRootCert, "/it's.pem");
        assert_eq!(keyword, "host=h dbname=db sslrootcert='/it\\'s.pem'");
        let (_, tls) = parse(&keyword).unwrap();
        assert_eq!(tls.root_cert, Some(RootCert::File("/it's.pem".into())));
    }
}
