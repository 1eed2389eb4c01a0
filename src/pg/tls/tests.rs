//! Tests of the TLS settings: sslmode and sslrootcert as libpq reads them.

use super::*;

fn settings(mode: Option<SslMode>, root: Option<RootCert>) -> TlsSettings {
    TlsSettings {
        mode: mode.unwrap_or_default(),
        mode_given: mode.is_some(),
        root_cert: root,
    }
}

#[test]
fn sslmode_words_parse_back_and_a_wrong_one_lists_them() {
    let words = [
        (SslMode::Disable, "disable"),
        (SslMode::Allow, "allow"),
        (SslMode::Prefer, "prefer"),
        (SslMode::Require, "require"),
        (SslMode::VerifyCa, "verify-ca"),
        (SslMode::VerifyFull, "verify-full"),
    ];
    for (mode, word) in words {
        assert_eq!(mode.as_str(), word);
        assert_eq!(mode.to_string(), word);
        assert_eq!(word.parse::<SslMode>().unwrap(), mode);
    }
    assert_eq!(
        "VerifyCa".parse::<SslMode>().unwrap_err().to_string(),
        "invalid sslmode \"VerifyCa\" in the PostgreSQL connection URL (expected disable, \
         allow, prefer, require, verify-ca or verify-full)"
    );
}

#[test]
fn checks_follow_libpq() {
    let file = || Some(RootCert::File("/ca.pem".into()));
    let check = |mode, root| settings(mode, root).check();
    assert_eq!(check(None, None).unwrap(), Check::Nothing);
    assert_eq!(check(Some(SslMode::Require), None).unwrap(), Check::Nothing);
    assert_eq!(check(Some(SslMode::Require), file()).unwrap(), Check::Chain);
    assert_eq!(check(None, file()).unwrap(), Check::Chain);
    assert_eq!(check(Some(SslMode::Allow), file()).unwrap(), Check::Chain);
    assert_eq!(
        check(Some(SslMode::Disable), file()).unwrap(),
        Check::Nothing
    );
    assert_eq!(
        check(Some(SslMode::VerifyCa), file()).unwrap(),
        Check::Chain
    );
    assert_eq!(
        check(Some(SslMode::VerifyFull), file()).unwrap(),
        Check::ChainAndHostName
    );
    let err = check(Some(SslMode::VerifyFull), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("sslrootcert"), "{err}");
    assert_eq!(
        check(None, Some(RootCert::System)).unwrap(),
        Check::ChainAndHostName
    );
    let err = check(Some(SslMode::VerifyCa), Some(RootCert::System))
        .unwrap_err()
        .to_string();
    assert!(err.contains("verify-full"), "{err}");
}

#[test]
fn only_unchecked_modes_warn() {
    let warn = |mode, root| settings(mode, root).identity_warning("u@db:5432/cruddur");
    let text = warn(Some(SslMode::Require), None).unwrap();
    assert!(
        text.contains("u@db:5432/cruddur") && text.contains("verify-full"),
        "{text}"
    );
    assert!(warn(Some(SslMode::Disable), None)
        .unwrap()
        .contains("not encrypted"));
    assert!(warn(None, None).is_some());
    assert!(warn(Some(SslMode::Require), Some(RootCert::File("/a".into()))).is_none());
    assert!(warn(Some(SslMode::VerifyFull), Some(RootCert::System)).is_none());
}

#[test]
fn failures_name_the_check() {
    let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
    let root = RootCert::File("/x/ca.pem".into());
    let text = describe_failure(&unknown, Some(&root));
    assert!(
        text.starts_with("unknown issuer") && text.contains("/x/ca.pem"),
        "{text}"
    );
    let name = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
        expected: ServerName::try_from("db.example").unwrap(),
        presented: vec!["DnsName(\"localhost\")".into()],
    });
    let text = describe_failure(&name, Some(&root));
    assert!(
        text.starts_with("host name mismatch") && text.contains("db.example"),
        "{text}"
    );
    let expired = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
        time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
        not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_600_000_000)),
    });
    let text = describe_failure(&expired, None);
    assert!(
        text.starts_with("expired") && text.contains("2020-09-13"),
        "{text}"
    );
}

#[test]
fn a_missing_root_certificate_file_is_named() {
    let err = load_roots(&RootCert::File("/no/such/ca.pem".into())).unwrap_err();
    assert!(format!("{err:#}").contains("/no/such/ca.pem"), "{err:#}");
}
