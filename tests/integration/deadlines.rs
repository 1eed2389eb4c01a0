//! Bounded waiting and honest errors: every tool against an endpoint that accepts the TCP
//! connection and never answers (a listener this test owns) fails within the timeout, naming the
//! endpoint and the operation; the "start the local stack" hint appears only when nothing
//! answered at all; a server that is not the service shows its HTTP status.
//!
//! (The module's name is part of the plan: libtest starts tests in name order, and this one's
//! longest test waits 20 s on a silent server, which at the end of the alphabet was the run's
//! last 20 s.)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cruddur_ops::config::{Config, Target};

use crate::common::*;

/// A TCP server on a free loopback port; what it does with a connection is `serve`'s business.
/// The accept loop stops when the guard goes.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(serve: fn(TcpStream, &mut Vec<TcpStream>)) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("its address").port();
        listener.set_nonblocking(true).expect("non-blocking accept");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        serve(conn, &mut held)
                    }
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Server { port, stop }
    }

    /// Accepts every connection and never sends a byte (a paused or overloaded server).
    fn silent() -> Server {
        Server::start(|conn, held| held.push(conn))
    }

    /// Answers every request with an HTML 404, as a web server on the wrong port would.
    fn not_found() -> Server {
        Server::start(|mut conn, _| {
            let body = "<html><body><h1>404 Not Found</h1></body></html>";
            reply(
                &mut conn,
                "404 Not Found",
                "Content-Type: text/html\r\n",
                body,
            );
        })
    }

    fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pg(&self) -> String {
        format!(
            "postgresql://postgres:password@127.0.0.1:{}/cruddur",
            self.port
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads a request from `conn` (what arrives within half a second) and answers it with `status`,
/// the `headers` lines (each ending with CRLF) and `body`, then closes.
fn reply(conn: &mut TcpStream, status: &str, headers: &str, body: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 65536];
    let _ = conn.read(&mut buf);
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
    // dropped here: the port is free again
}

const HINT: &str = "just up";

/// One tool run that must fail against a silent endpoint.
struct Case {
    name: &'static str,
    cmd: Command,
    /// Words the error must contain: the endpoint and the operation.
    expect: Vec<String>,
}

/// Runs every case at once (each waits for its timeout) and checks each outcome.
fn run_cases(cases: Vec<Case>, bound: Duration) {
    let results: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = cases
            .into_iter()
            .map(|mut case| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let out = run(&mut case.cmd);
                    (case.name, case.expect, out, started.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, expect, out, took) in results {
        let err = stderr(&out);
        assert!(!out.status.success(), "{name}: expected failure\n{err}");
        assert_ne!(out.status.code(), Some(101), "{name}: panicked\n{err}");
        assert!(
            took < bound,
            "{name}: took {took:?} (bound {bound:?})\n{err}"
        );
        for word in &expect {
            assert!(
                err.contains(word.as_str()),
                "{name}: no {word:?} in:\n{err}"
            );
        }
        assert!(
            !err.contains(HINT),
            "{name}: a server that accepted is not 'not running':\n{err}"
        );
    }
}

#[test]
fn every_tool_gives_up_on_a_silent_endpoint() {
    let silent = Server::silent();
    let table = TestTable::created();
    let db = block_on(TestDb::seeded());
    let pool = block_on(async { TestPool::created(&clean_local_context().await).await });
    let ddb_at = silent.http();
    let no_answer = "no answer within 2 s".to_string();

    // A tool with a 2 s timeout (the variable, or the flag on every other one).
    let mut n = 0;
    let mut tool = |name: &str| {
        let mut cmd = bin(name);
        n += 1;
        if n % 2 == 0 {
            cmd.env("CRUDDUR_OPS_TIMEOUT_SECS", "2");
        } else {
            cmd.args(["--timeout", "2"]);
        }
        cmd
    };
    let ddb = |mut cmd: Command| {
        cmd.env("AWS_ENDPOINT_URL_DYNAMODB", &ddb_at);
        cmd
    };
    let mut cases = vec![
        Case {
            name: "list-tables",
            cmd: ddb(tool("list-tables")),
            expect: vec![ddb_at.clone(), "listing tables".into(), no_answer.clone()],
        },
        Case {
            name: "scan",
            cmd: ddb(tool("scan")),
            expect: vec![ddb_at.clone(), "scanning table".into(), no_answer.clone()],
        },
        Case {
            name: "schema-load",
            cmd: ddb(tool("schema-load")),
            expect: vec![ddb_at.clone(), "cruddur-messages".into(), no_answer.clone()],
        },
        Case {
            name: "get-conversations",
            cmd: ddb(tool("get-conversations")),
            expect: vec![ddb_at.clone(), "reading".into(), no_answer.clone()],
        },
    ];
    // Cognito.
    for name in ["list-users", "update-cognito-user-ids"] {
        let mut cmd = tool(name);
        cmd.args(["--user-pool-id", &pool.id])
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", silent.http())
            .env("CONNECTION_URL", &db.url);
        cases.push(Case {
            name,
            cmd,
            expect: vec![silent.http(), "Cognito".into(), no_answer.clone()],
        });
    }
    // PostgreSQL (the other stores are the real local ones).
    let pg_at = format!("127.0.0.1:{}", silent.port);
    let mut sync = tool("update-cognito-user-ids");
    sync.args(["--user-pool-id", &pool.id]);
    let mut seed = tool("seed");
    seed.args(["--table", &table.name]);
    for (name, mut cmd) in [
        ("db-setup", tool("db-setup")),
        ("seed", seed),
        ("update-cognito-user-ids (database)", sync),
        ("summary", tool("summary")),
    ] {
        cmd.env("CONNECTION_URL", silent.pg());
        cases.push(Case {
            name,
            cmd,
            expect: vec![
                pg_at.clone(),
                "connecting to PostgreSQL".into(),
                no_answer.clone(),
            ],
        });
    }
    // S3 (the native import reads the export's manifest first).
    let mut import = tool("table-import");
    import
        .args([
            "--s3",
            "s3://silent-bucket/x/AWSDynamoDB/01/",
            "--table",
            &table.name,
        ])
        .env("AWS_ENDPOINT_URL_S3", silent.http());
    cases.push(Case {
        name: "table-import --s3",
        cmd: import,
        expect: vec![
            silent.http(),
            "S3".into(),
            "manifest".into(),
            no_answer.clone(),
        ],
    });
    // And once with the default timeout, which must stay under 30 s.
    let mut default = bin("list-tables");
    default.env("AWS_ENDPOINT_URL_DYNAMODB", &ddb_at);
    cases.push(Case {
        name: "list-tables, default timeout",
        cmd: default,
        expect: vec![ddb_at.clone(), "no answer within 20 s".into()],
    });
    run_cases(cases, Duration::from_secs(30));
}

#[test]
fn a_statement_is_cancelled_after_the_timeout() {
    let config = Config::resolve(Target::Local, |_| None)
        .unwrap()
        .with_timeout(Some(Duration::from_secs(1)));
    let started = Instant::now();
    let err = block_on(async {
        let client = cruddur_ops::pg::connect_url(&admin_url(), &config)
            .await
            .expect("connect");
        client.query("SELECT pg_sleep(30)", &[]).await.unwrap_err()
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(format!("{err:#}").contains("statement timeout"), "{err:#}");
}

#[test]
fn the_start_the_stack_hint_only_when_nothing_answered() {
    // Nothing listening: the hint, for DynamoDB and PostgreSQL alike.
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let err = fails(run(
        bin("list-tables").env("AWS_ENDPOINT_URL_DYNAMODB", &closed)
    ));
    assert!(err.contains(&closed) && err.contains(HINT), "{err}");
    let closed_pg = format!(
        "postgresql://postgres:password@127.0.0.1:{}/cruddur",
        closed_port()
    );
    let err = fails(run(bin("summary").env("CONNECTION_URL", &closed_pg)));
    assert!(
        err.contains("connecting to PostgreSQL") && err.contains(HINT),
        "{err}"
    );

    // A wrong password, a malformed URL: the server answered, or nothing was tried. No hint.
    let wrong = format!(
        "postgresql://postgres:not-the-password@127.0.0.1:{}/cruddur",
        ports().postgres
    );
    let err = fails(run(bin("summary").env("CONNECTION_URL", &wrong)));
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains(HINT), "{err}");
    let err = fails(run(
        bin("summary").env("CONNECTION_URL", "postgresql://[::1")
    ));
    assert!(err.contains("not valid") && !err.contains(HINT), "{err}");

    // A service error: the service's code, message and HTTP status, no hint.
    let missing = TestTable::new();
    let err = fails(run(
        bin("get-conversations").args(["--table", &missing.name])
    ));
    assert!(
        err.contains("ResourceNotFoundException") && err.contains("HTTP 400"),
        "{err}"
    );
    assert!(
        !err.contains(HINT) && !err.contains("service error"),
        "{err}"
    );

    // Something that is not DynamoDB (or Cognito) answering on the port: its HTTP status.
    let web = Server::not_found();
    let err = fails(run(
        bin("list-tables").env("AWS_ENDPOINT_URL_DYNAMODB", web.http())
    ));
    assert!(
        err.contains("HTTP 404") && err.contains("DynamoDB"),
        "{err}"
    );
    assert!(
        !err.contains(HINT) && !err.contains("service error"),
        "{err}"
    );
    let err = fails(run(bin("list-users")
        .args(["--user-pool-id", "us-east-1_nothing"])
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", web.http())));
    assert!(err.contains("HTTP 404") && err.contains("Cognito"), "{err}");
    assert!(!err.contains(HINT), "{err}");

    // The same for S3: nothing listening, then a web server.
    let table = TestTable::created();
    let import = |s3: &str| {
        let mut cmd = bin("table-import");
        cmd.args([
            "--s3",
            "s3://some-bucket/x/AWSDynamoDB/01/",
            "--table",
            &table.name,
        ])
        .env("AWS_ENDPOINT_URL_S3", s3);
        cmd
    };
    let err = fails(run(&mut import(&closed)));
    assert!(
        err.contains(&closed) && err.contains("S3") && err.contains(HINT),
        "{err}"
    );
    let err = fails(run(&mut import(&web.http())));
    assert!(err.contains("HTTP 404") && err.contains("S3"), "{err}");
    assert!(!err.contains(HINT), "{err}");
    // A bucket in another region: S3's redirect names it, and so does the error.
    let moved = Server::start(|mut conn, _| {
        let body = "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting \
                    to access must be addressed using the specified endpoint.</Message></Error>";
        let headers = "x-amz-bucket-region: eu-west-3\r\nContent-Type: application/xml\r\n";
        reply(&mut conn, "301 Moved Permanently", headers, body);
    });
    let err = fails(run(&mut import(&moved.http())));
    assert!(
        err.contains("PermanentRedirect (HTTP 301)") && err.contains("AWS_REGION=eu-west-3"),
        "{err}"
    );
}

#[test]
fn a_bad_timeout_setting_is_refused() {
    let err = fails(run(
        bin("list-tables").env("CRUDDUR_OPS_TIMEOUT_SECS", "soon")
    ));
    assert!(
        err.contains("CRUDDUR_OPS_TIMEOUT_SECS") && err.contains("soon"),
        "{err}"
    );
    let err = fails(run(bin("list-tables").args(["--timeout", "0"])));
    assert!(err.contains("--timeout"), "{err}");
}

/// Holds the first connection without a byte (a stalled server, a connection dropped on the way)
/// and forwards every later one to DynamoDB Local.
fn first_connection_stalls() -> Server {
    Server::start(|conn, held| {
        if held.is_empty() {
            held.push(conn);
            return;
        }
        forward(conn, ports().dynamodb);
    })
}

/// Forwards `conn` to the local `port`, both ways, until either side closes.
fn forward(conn: TcpStream, port: u16) {
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let (mut down_r, mut up_w) = (conn.try_clone().unwrap(), upstream.try_clone().unwrap());
    let (mut up_r, mut down_w) = (upstream, conn);
    thread::spawn(move || {
        let _ = std::io::copy(&mut down_r, &mut up_w);
        let _ = up_w.shutdown(std::net::Shutdown::Write);
    });
    thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut down_w);
        let _ = down_w.shutdown(std::net::Shutdown::Write);
    });
}

/// On prod an attempt that gets no answer is retried within the operation's bound: the first
/// connection stalls, the retry on a new one answers, and the tool succeeds within `--timeout`.
#[test]
fn on_prod_a_stalled_attempt_is_retried_within_the_bound() {
    let front = first_connection_stalls();
    let table = TestTable::created();
    let started = Instant::now();
    let out = ok(run(bin("list-tables")
        .arg("prod")
        .env("AWS_ENDPOINT_URL", front.http())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "cruddurlocal")
        .env("AWS_SECRET_ACCESS_KEY", "cruddurlocal")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["--output", "json", "--timeout", "9"])));
    let took = started.elapsed();
    assert!(stdout(&out).contains(&table.name), "{}", stdout(&out));
    // The first attempt waited out its share of the bound (a third: 3 s) before the retry.
    assert!(took >= Duration::from_secs(3), "took {took:?}");
}

/// How many 503 SlowDown answers [`first_request_busy`] gave.
static BUSY_ANSWERS: AtomicUsize = AtomicUsize::new(0);

/// Answers the first request with S3's 503 SlowDown and forwards every later connection to the
/// stack's moto (S3).
fn first_request_busy() -> Server {
    Server::start(|mut conn, held| {
        if held.is_empty() {
            let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
            let headers = "Content-Type: application/xml\r\n";
            reply(&mut conn, "503 Slow Down", headers, body);
            BUSY_ANSWERS.fetch_add(1, Ordering::SeqCst);
            held.push(conn);
            return;
        }
        forward(conn, ports().cognito);
    })
}

/// S3 busy on the first request (503 SlowDown): the S3 client waits and tries again, and the
/// listing comes back whole.
#[test]
fn a_busy_s3_is_asked_again() {
    let front = first_request_busy();
    block_on(async {
        let moto = moto_context().await;
        let sdk = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&moto.sdk)
                .endpoint_url(cognito_url())
                .force_path_style(true)
                .build(),
        );
        let bucket = unique("busy");
        sdk.create_bucket().bucket(&bucket).send().await.unwrap();
        let body = aws_sdk_s3::primitives::ByteStream::from_static(b"{}");
        let put = sdk.put_object().bucket(&bucket).key("a/b.json").body(body);
        put.send().await.unwrap();

        let config = Config::resolve(Target::Local, |name| match name {
            "AWS_ENDPOINT_URL_S3" => Some(front.http()),
            _ => name
                .starts_with("CRUDDUR_OPS_")
                .then(|| std::env::var(name).ok())
                .flatten(),
        })
        .unwrap()
        .with_timeout(Some(Duration::from_secs(5)));
        let ctx = cruddur_ops::context::Context::new(config).await.unwrap();
        let listed = cruddur_ops::s3::list(&ctx, &bucket, "a/").await;

        let delete = sdk.delete_object().bucket(&bucket).key("a/b.json");
        let _ = delete.send().await;
        let _ = sdk.delete_bucket().bucket(&bucket).send().await;
        let keys: Vec<_> = listed.unwrap().into_iter().map(|o| o.key).collect();
        assert_eq!(keys, ["a/b.json"]);
        assert_eq!(
            BUSY_ANSWERS.load(Ordering::SeqCst),
            1,
            "the first answer was 503"
        );
    });
}
