//! PostgreSQL TLS as libpq does it, against a private PostgreSQL server started by each test with
//! a certificate issued by a CA the test makes with `openssl` (never the shared stack's server,
//! whose certificate the tests do not control).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use cruddur_ops::pg::connect_url;

use crate::common::{bin, fails, ok, run, stderr, unique};
use crate::servers::{free_port, PythonServer};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const PASSWORD: &str = "tls-test-password";

/// Runs `cmd` as the `postgres` OS user when the tests run as root (PostgreSQL refuses root).
fn as_db_user(program: &str, args: &[&str]) -> Command {
    let running_as_root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0);
    if running_as_root.unwrap_or(false) {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            program,
        ])
        .args(args);
        cmd
    } else {
        let mut cmd = Command::new(program);
        cmd.args(args);
        cmd
    }
}

#[track_caller]
fn must(cmd: &mut Command) {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn openssl(dir: &Path, args: &[&str]) {
    must(Command::new("openssl").current_dir(dir).args(args));
}

/// A CA made for a test: `<name>.pem` and `<name>.key` in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    dir.join(format!("{name}.pem"))
}

/// The validity of a server certificate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Validity {
    Current,
    /// Valid for one day in 2020.
    Expired,
}

/// A server certificate `server.pem` / `server.key` in `dir`, signed by the CA `ca`, for `sans`.
fn make_server_cert(dir: &Path, ca: &str, sans: &str, validity: Validity) {
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=cruddur-test-server",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName={sans}\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
    match validity {
        Validity::Current => openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        ),
        Validity::Expired => {
            // `openssl x509` cannot back-date; `openssl ca` can.
            std::fs::write(dir.join("index.txt"), "").unwrap();
            std::fs::write(dir.join("serial"), "01\n").unwrap();
            std::fs::write(
                dir.join("ca.cnf"),
                "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n\
                 serial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
            )
            .unwrap();
            openssl(
                dir,
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "ca.cnf",
                    "-cert",
                    &ca_pem,
                    "-keyfile",
                    &ca_key,
                    "-in",
                    "server.csr",
                    "-out",
                    "server.pem",
                    "-notext",
                    "-extfile",
                    "server.ext",
                    "-startdate",
                    "20200101000000Z",
                    "-enddate",
                    "20200102000000Z",
                ],
            );
        }
    }
}

/// A private PostgreSQL server on 127.0.0.1 serving TLS with a certificate from the CA `test-ca`
/// (`ca_pem`); another CA, `other-ca` (`other_ca_pem`), signed nothing it serves. Stopped and
/// removed on drop.
struct TlsServer {
    dir: PathBuf,
    port: u16,
    ca_pem: PathBuf,
    other_ca_pem: PathBuf,
}

impl TlsServer {
    /// A server whose certificate names `sans` (openssl's subjectAltName syntax).
    fn start(sans: &str, validity: Validity) -> TlsServer {
        let dir = std::env::temp_dir().join(unique("cruddur-tls"));
        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let ca_pem = make_ca(&certs, "test-ca");
        let other_ca_pem = make_ca(&certs, "other-ca");
        make_server_cert(&certs, "test-ca", sans, validity);
        let port = free_port();
        // Built before initdb runs, so that a failure below still removes everything.
        let server = TlsServer {
            dir: dir.clone(),
            port,
            ca_pem,
            other_ca_pem,
        };
        std::fs::write(dir.join("pwfile"), PASSWORD).unwrap();
        must(Command::new("chmod").args(["0700", &dir.to_string_lossy()]));
        must(Command::new("chmod").args(["0600", &certs.join("server.key").to_string_lossy()]));
        if std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
        {
            must(Command::new("chown").args(["-R", "postgres:postgres", &dir.to_string_lossy()]));
        }
        let data = dir.join("data");
        let initdb = format!("{PG_BIN}/initdb");
        must(&mut as_db_user(
            &initdb,
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                &format!("--pwfile={}", dir.join("pwfile").display()),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--no-sync",
            ],
        ));
        let options = format!(
            "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c ssl=on \
             -c ssl_cert_file={cert} -c ssl_key_file={key} -c fsync=off",
            dir = dir.display(),
            cert = certs.join("server.pem").display(),
            key = certs.join("server.key").display(),
        );
        must(&mut as_db_user(
            &format!("{PG_BIN}/pg_ctl"),
            &[
                "-D",
                &data.to_string_lossy(),
                "-w",
                "-t",
                "30",
                "-l",
                &dir.join("log").to_string_lossy(),
                "-o",
                &options,
                "start",
            ],
        ));
        server
    }

    /// A URL for this server's `postgres` database through host name `host`, with `query`.
    fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgresql://postgres:{PASSWORD}@{host}:{}/postgres?{query}",
            self.port
        )
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = as_db_user(
            &format!("{PG_BIN}/pg_ctl"),
            &[
                "-D",
                &self.dir.join("data").to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
        .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the session of `client` is encrypted.
pub(crate) async fn uses_tls(client: &cruddur_ops::pg::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl answers")
        .get(0)
}

/// The whole error chain of a connection that must fail.
async fn refused(url: &str) -> String {
    match connect_url(url, &crate::common::local_config()).await {
        Ok(_) => panic!("{url} connected, but must not"),
        Err(err) => format!("{err:#}"),
    }
}

#[tokio::test]
async fn verified_tls_follows_libpq_sslmode() {
    let server = TlsServer::start("DNS:localhost,IP:127.0.0.1", Validity::Current);
    let ca = server.ca_pem.display().to_string();
    let other = server.other_ca_pem.display().to_string();

    // verify-full with the right CA, by name and by address.
    for host in ["localhost", "127.0.0.1"] {
        let url = server.url(host, &format!("sslmode=verify-full&sslrootcert={ca}"));
        let client = connect_url(&url, &crate::common::local_config())
            .await
            .unwrap_or_else(|e| panic!("verify-full with the right CA via {host}: {e:#}"));
        assert!(uses_tls(&client).await);
    }

    // Another CA: unknown issuer, naming the server and the file.
    let err = refused(&server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    ))
    .await;
    assert!(err.contains("unknown issuer"), "{err}");
    assert!(err.contains(&format!("localhost:{}", server.port)), "{err}");
    assert!(err.contains(&other), "{err}");

    // A host name the certificate does not carry (the address is right: hostaddr).
    let mismatch = format!(
        "postgresql://postgres:{PASSWORD}@db.example:{}/postgres?hostaddr=127.0.0.1\
         &sslmode=verify-full&sslrootcert={ca}",
        server.port
    );
    let err = refused(&mismatch).await;
    assert!(err.contains("host name mismatch"), "{err}");
    assert!(err.contains("db.example"), "{err}");

    // verify-ca checks the chain only: the same host name is fine, another CA is not.
    let client = connect_url(
        &mismatch.replace("verify-full", "verify-ca"),
        &crate::common::local_config(),
    )
    .await
    .unwrap_or_else(|e| panic!("verify-ca with the right CA: {e:#}"));
    assert!(uses_tls(&client).await);
    let err = refused(&server.url(
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={other}"),
    ))
    .await;
    assert!(err.contains("unknown issuer"), "{err}");

    // require encrypts without checking; with a root certificate it checks the chain, as in
    // libpq, and so does prefer, which never falls back to plain text after a failed check.
    let client = connect_url(
        &server.url("localhost", "sslmode=require"),
        &crate::common::local_config(),
    )
    .await
    .unwrap_or_else(|e| panic!("sslmode=require: {e:#}"));
    assert!(uses_tls(&client).await);
    for mode in ["require", "prefer"] {
        let err =
            refused(&server.url("localhost", &format!("sslmode={mode}&sslrootcert={other}"))).await;
        assert!(err.contains("unknown issuer"), "{mode}: {err}");
    }
    let client = connect_url(
        &server.url("localhost", &format!("sslmode=require&sslrootcert={ca}")),
        &crate::common::local_config(),
    )
    .await
    .unwrap_or_else(|e| panic!("require with the right CA: {e:#}"));
    assert!(uses_tls(&client).await);

    // The key=value form takes the same parameters.
    let keyword = format!(
        "host=localhost port={} user=postgres password={PASSWORD} dbname=postgres \
         sslmode=verify-full sslrootcert='{ca}'",
        server.port
    );
    let client = connect_url(&keyword, &crate::common::local_config())
        .await
        .unwrap_or_else(|e| panic!("key=value verify-full: {e:#}"));
    assert!(uses_tls(&client).await);

    // allow: plain text first, which this server accepts.
    let client = connect_url(
        &server.url("localhost", "sslmode=allow"),
        &crate::common::local_config(),
    )
    .await
    .unwrap_or_else(|e| panic!("sslmode=allow: {e:#}"));
    assert!(!uses_tls(&client).await);
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    let server = TlsServer::start("DNS:localhost,IP:127.0.0.1", Validity::Expired);
    let ca = server.ca_pem.display().to_string();
    let err = refused(&server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(err.contains("expired"), "{err}");
    assert!(err.contains("2020-01-02"), "{err}");
    // Without verification the same server is reachable (what `require` means).
    connect_url(
        &server.url("localhost", "sslmode=require"),
        &crate::common::local_config(),
    )
    .await
    .unwrap_or_else(|e| panic!("sslmode=require: {e:#}"));
}

#[tokio::test]
async fn a_missing_root_certificate_file_is_an_error_naming_it() {
    // Checked before anything is sent: no server needed, and none is reached.
    let missing = std::env::temp_dir()
        .join(unique("no-such-ca"))
        .join("ca.pem");
    let url = format!(
        "postgresql://postgres:password@localhost:1/postgres?sslmode=verify-full&sslrootcert={}",
        missing.display()
    );
    let err = refused(&url).await;
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(
        err.contains("cannot read the root certificate file"),
        "{err}"
    );

    let err =
        refused("postgresql://postgres:password@localhost:1/postgres?sslmode=verify-full").await;
    assert!(err.contains("sslrootcert"), "{err}");
}

#[test]
fn prod_warns_once_when_the_server_is_not_checked() {
    let server = TlsServer::start("DNS:localhost,IP:127.0.0.1", Validity::Current);
    let db_url = |query: &str| {
        format!(
            "postgresql://postgres:{PASSWORD}@localhost:{}/cruddur?{query}",
            server.port
        )
    };
    // db-setup connects twice (the maintenance database, then the new one): one warning.
    let out = ok(run(bin("db-setup")
        .args(["prod", "--yes"])
        .env("PROD_CONNECTION_URL", db_url("sslmode=require"))
        .env_remove("PGSSLROOTCERT")));
    let err = stderr(&out);
    assert_eq!(err.matches("identity is not checked").count(), 1, "{err}");
    assert!(err.contains("sslmode=verify-full"), "{err}");

    // verify-full with the CA from PGSSLROOTCERT: checked, so no warning.
    let out = ok(run(bin("db-setup")
        .args(["prod", "--yes"])
        .env("PROD_CONNECTION_URL", db_url("sslmode=verify-full"))
        .env("PGSSLROOTCERT", &server.ca_pem)));
    let err = stderr(&out);
    assert!(!err.contains("warning"), "{err}");

    // And a wrong CA through PGSSLROOTCERT is refused, naming the check.
    let err = fails(run(bin("db-setup")
        .args(["prod", "--yes"])
        .env("PROD_CONNECTION_URL", db_url("sslmode=verify-full"))
        .env("PGSSLROOTCERT", &server.other_ca_pem)));
    assert!(err.contains("unknown issuer"), "{err}");
}

/// An HTTPS front for the local stack's DynamoDB Local: a TLS-terminating proxy (Python's `ssl`
/// and `asyncio`) on 127.0.0.1 with a certificate for `localhost` from the test's own CA. Killed
/// and removed on drop.
struct HttpsFront {
    dir: PathBuf,
    port: u16,
    ca_pem: PathBuf,
    _proxy: PythonServer,
}

const HTTPS_PROXY: &str = r#"
import asyncio, ssl, sys
cert, key, port, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()
async def handle(reader, writer):
    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"#;

impl HttpsFront {
    fn start() -> HttpsFront {
        let dir = std::env::temp_dir().join(unique("cruddur-https"));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_pem = make_ca(&dir, "test-ca");
        make_server_cert(&dir, "test-ca", "DNS:localhost", Validity::Current);
        let port = free_port();
        let proxy = PythonServer::start(
            HTTPS_PROXY,
            &[
                dir.join("server.pem").into_os_string(),
                dir.join("server.key").into_os_string(),
                port.to_string().into(),
                crate::common::ports().dynamodb.to_string().into(),
            ],
        );
        HttpsFront {
            dir,
            port,
            ca_pem,
            _proxy: proxy,
        }
    }

    /// `list-tables prod` through this front, trusting only the system's store plus, when
    /// `ca` is given, `SSL_CERT_FILE=ca`.
    fn list_tables(&self, ca: Option<&Path>, timeout_secs: &str) -> std::process::Output {
        let mut cmd = bin("list-tables");
        cmd.arg("prod")
            .env(
                "AWS_ENDPOINT_URL",
                format!("https://localhost:{}", self.port),
            )
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "cruddurlocal")
            .env("AWS_SECRET_ACCESS_KEY", "cruddurlocal")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("SSL_CERT_DIR")
            .env_remove("SSL_CERT_FILE")
            .args(["--output", "json", "--timeout", timeout_secs]);
        if let Some(ca) = ca {
            cmd.env("SSL_CERT_FILE", ca);
        }
        run(&mut cmd)
    }
}

impl Drop for HttpsFront {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The AWS clients (prod) speak TLS through the toolkit's own HTTP client (rustls with ring) and
/// check the server's certificate against the trust store: a server whose CA is trusted answers,
/// one whose CA is not is refused, naming the certificate problem.
#[test]
fn aws_calls_verify_the_server_certificate() {
    let front = HttpsFront::start();
    let table = crate::common::TestTable::created();

    let out = ok(front.list_tables(Some(&front.ca_pem), "30"));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.contains(&table.name),
        "list-tables over HTTPS must list {}:\n{listed}",
        table.name
    );

    // A certificate error is final, not retried: even a bound too short for the SDK's retries
    // (5 attempts with backoff) reports the certificate, never "no answer".
    for timeout in ["30", "1"] {
        let err = fails(front.list_tables(None, timeout));
        assert!(
            err.contains("UnknownIssuer") && !err.contains("no answer"),
            "--timeout {timeout}: an untrusted server must be refused, naming the certificate: {err}"
        );
        assert!(!err.contains(&table.name), "{err}");
    }
}
