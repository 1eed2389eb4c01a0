//! TLS for PostgreSQL connections, on rustls with the ring provider, following libpq's `sslmode`.
//!
//! | `sslmode` | TLS | what is checked of the server |
//! |---|---|---|
//! | `disable` | never | nothing |
//! | `allow` | only if plain text is refused | the chain, if `sslrootcert` is given |
//! | `prefer` (default) | if the server offers it | the chain, if `sslrootcert` is given |
//! | `require` | always | the chain, if `sslrootcert` is given (libpq's rule) |
//! | `verify-ca` | always | the chain, against `sslrootcert` (required) |
//! | `verify-full` | always | the chain and the host name, against `sslrootcert` (required) |
//!
//! `sslrootcert` is a PEM file of one or more CA certificates (Amazon RDS's global bundle is one),
//! or `system` for the operating system's trust store; as in libpq, `system` makes `verify-full`
//! the default and refuses weaker modes. A failed check is an error naming the check (unknown
//! issuer, host name mismatch, expired); `prefer` falls back to plain text only when the server
//! does not offer TLS, never after a failed check.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use strum::{Display, EnumIter, IntoEnumIterator, IntoStaticStr};

/// libpq's `sslmode`, with its words (`verify-ca`, ...).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, IntoStaticStr, Display, EnumIter)]
#[strum(serialize_all = "kebab-case")]
pub enum SslMode {
    /// Plain text only.
    Disable,
    /// Plain text first; TLS if the server refuses plain text.
    Allow,
    /// TLS if the server offers it, else plain text.
    #[default]
    Prefer,
    /// TLS always.
    Require,
    /// TLS always, the certificate chain checked against the root certificates.
    VerifyCa,
    /// TLS always, the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    /// The word used in connection strings.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FromStr for SslMode {
    type Err = anyhow::Error;

    fn from_str(word: &str) -> Result<SslMode> {
        if let Some(mode) = SslMode::iter().find(|mode| mode.as_str() == word) {
            return Ok(mode);
        }
        let words: Vec<&str> = SslMode::iter().map(SslMode::as_str).collect();
        let (last, others) = words.split_last().unwrap_or((&"", &[]));
        bail!(
            "invalid sslmode {word:?} in the PostgreSQL connection URL (expected {} or {last})",
            others.join(", ")
        )
    }
}

/// Where the trusted CA certificates come from (`sslrootcert`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
    /// The operating system's trust store (`sslrootcert=system`).
    System,
}

impl fmt::Display for RootCert {
    /// The value as written after `sslrootcert=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCert::File(path) => write!(f, "{}", path.display()),
            RootCert::System => f.write_str("system"),
        }
    }
}

/// The TLS part of a connection string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `sslmode` (default `prefer`).
    pub mode: SslMode,
    /// Whether `sslmode` was written in the connection string.
    pub mode_given: bool,
    /// `sslrootcert`.
    pub root_cert: Option<RootCert>,
}

/// What is checked of the server's certificate.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nothing: the session is encrypted (if TLS is used) but anyone can pose as the server.
    Nothing,
    /// The chain, against the root certificates.
    Chain,
    /// The chain and the host name.
    ChainAndHostName,
}

impl TlsSettings {
    /// The effective mode: `sslrootcert=system` makes `verify-full` the default.
    pub fn mode(&self) -> SslMode {
        if !self.mode_given && self.root_cert == Some(RootCert::System) {
            SslMode::VerifyFull
        } else {
            self.mode
        }
    }

    /// What these settings check of the server, or why they are inconsistent.
    pub fn check(&self) -> Result<Check> {
        let mode = self.mode();
        if self.root_cert == Some(RootCert::System) && mode != SslMode::VerifyFull {
            bail!(
                "sslmode={mode} may not be used with sslrootcert=system: the system trust store \
                 holds public CAs, so only the host name identifies the server (use \
                 sslmode=verify-full)"
            );
        }
        Ok(match (mode, &self.root_cert) {
            (SslMode::Disable, _) => Check::Nothing,
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => bail!(
                "sslmode={mode} needs the certificate of the CA that signed the server's: add \
                 sslrootcert=PATH (a PEM file; for Amazon RDS, the global bundle) or \
                 sslrootcert=system to the connection URL, or set PGSSLROOTCERT"
            ),
            (SslMode::VerifyFull, Some(_)) => Check::ChainAndHostName,
            (_, Some(_)) => Check::Chain,
            (_, None) => Check::Nothing,
        })
    }

    /// The warning to print on prod when the server's identity is not checked, if any.
    pub fn identity_warning(&self, server: &str) -> Option<String> {
        match self.check() {
            Ok(Check::Nothing) => {}
            _ => return None,
        }
        let what = if self.mode() == SslMode::Disable {
            "the connection is not encrypted and the server's identity is not checked"
        } else {
            "the server's identity is not checked (anyone on the network path can pose as it)"
        };
        Some(format!(
            "warning: PostgreSQL {server}: sslmode={}: {what}; to check it, add \
             sslmode=verify-full&sslrootcert=/path/to/ca-bundle.pem to the connection URL (for \
             Amazon RDS, AWS's global-bundle.pem: see the README)",
            self.mode()
        ))
    }
}

/// The failure of the last certificate check of a connection, kept for the error message (the
/// error tokio-postgres returns carries only rustls's terse words).
pub type FailureSlot = Arc<Mutex<Option<rustls::Error>>>;

/// The client TLS configuration for `settings`, and the slot where a failed check is recorded.
pub fn tls_config(settings: &TlsSettings) -> Result<(rustls::ClientConfig, FailureSlot)> {
    // ring rather than aws-lc-rs: aws-lc seeds its random generator from CPU jitter on first use,
    // which costs about 20 ms per process; ring is already built for tokio-postgres-rustls.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let check = settings.check()?;
    let webpki = match &settings.root_cert {
        Some(root_cert) if check != Check::Nothing => Some(
            WebPkiServerVerifier::builder_with_provider(
                Arc::new(load_roots(root_cert)?),
                provider.clone(),
            )
            .build()
            .context("setting up certificate verification for PostgreSQL")?,
        ),
        _ => None,
    };
    let failure = FailureSlot::default();
    let verifier = Verifier {
        provider: provider.clone(),
        webpki,
        check,
        failure: failure.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS for PostgreSQL")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((config, failure))
}

/// Reads the trusted CA certificates.
pub fn load_roots(root_cert: &RootCert) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        RootCert::File(path) => {
            let pem = std::fs::read(path).with_context(|| {
                format!(
                    "cannot read the root certificate file {} (sslrootcert)",
                    path.display()
                )
            })?;
            let mut count = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.with_context(|| {
                    format!(
                        "the root certificate file {} is not valid PEM",
                        path.display()
                    )
                })?;
                roots.add(cert).with_context(|| {
                    format!(
                        "certificate #{} of the root certificate file {} cannot be used as a CA",
                        count + 1,
                        path.display()
                    )
                })?;
                count += 1;
            }
            if count == 0 {
                bail!(
                    "the root certificate file {} holds no PEM certificate \
                     (expected -----BEGIN CERTIFICATE----- blocks)",
                    path.display()
                );
            }
        }
        RootCert::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                bail!("the system trust store holds no usable CA certificate (sslrootcert=system){why}");
            }
        }
    }
    Ok(roots)
}

/// Says which check failed, for people: `unknown issuer: ...`, `host name mismatch: ...`.
pub fn describe_failure(err: &rustls::Error, root_cert: Option<&RootCert>) -> String {
    let roots = match root_cert {
        Some(RootCert::File(path)) => path.display().to_string(),
        Some(RootCert::System) => "the system trust store".to_string(),
        None => "the root certificates".to_string(),
    };
    let rustls::Error::InvalidCertificate(cert) = err else {
        return err.to_string();
    };
    match cert {
        CertificateError::UnknownIssuer => {
            format!("unknown issuer: the server's certificate is not signed by a CA of {roots}")
        }
        CertificateError::NotValidForName => {
            "host name mismatch: the server's certificate is not valid for this host name".into()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "host name mismatch: the server's certificate is valid for {} but not for {}",
            presented.join(", "),
            expected.to_str()
        ),
        CertificateError::Expired => "expired: the server's certificate has expired".into(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "expired: the server's certificate expired at {} (now {})",
            rfc3339(not_after),
            rfc3339(time)
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "not yet valid: the server's certificate is not valid yet (check the clock)".into()
        }
        CertificateError::Revoked => "revoked: the server's certificate has been revoked".into(),
        CertificateError::BadSignature => {
            "bad signature: the server's certificate is not correctly signed by its issuer".into()
        }
        // webpki's own error, which rustls passes on opaquely (webpki is not our dependency).
        CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            format!(
                "unknown issuer: the server presents a CA certificate as its own (a self-signed \
                 certificate, probably), not one issued by a CA of {roots}"
            )
        }
        other => format!("the server's certificate was rejected: {other:?}"),
    }
}

fn rfc3339(time: &UnixTime) -> String {
    i64::try_from(time.as_secs())
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(|| format!("{} s", time.as_secs()), |t| t.to_rfc3339())
}

/// Checks the server's certificate as the settings ask (or not at all), recording a failure.
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// The chain verifier; `None` when nothing is checked.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    check: Check,
    failure: FailureSlot,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            // libpq's `require` without a root certificate: encrypted, not authenticated.
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => Ok(verified),
            // The name is checked after the chain: a name error means the chain is good, which
            // is all `verify-ca` asks.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.check == Check::Chain => Ok(ServerCertVerified::assertion()),
            Err(err) => {
                if let Ok(mut slot) = self.failure.lock() {
                    *slot = Some(err.clone());
                }
                Err(err)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests;
