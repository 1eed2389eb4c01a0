//! The local stack itself (`scripts/stack.sh`): DynamoDB Local listens on loopback only, a second
//! stack runs beside the first on ports of its own, and a port held by someone else stops `up`
//! before it starts anything.
//!
//! The first stack is the one the suite runs against (`just test` starts it; its ports follow
//! `CRUDDUR_OPS_*_PORT`). The second one gets a temporary state dir and free ports, and is
//! stopped by a guard even when a test fails.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::*;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A free TCP port on 127.0.0.1 for a service to take: a random one below the usual ephemeral
/// range (32768 and up), so no client connection of a parallel test can be holding it.
fn free_port() -> u16 {
    loop {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        let bindable = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok(); // released here
        if bindable && !accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), port) {
            return port;
        }
    }
}

/// Does anything accept a TCP connection at `ip:port`?
fn accepts(ip: IpAddr, port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::new(ip, port), CONNECT_TIMEOUT).is_ok()
}

/// One of this machine's addresses that is not loopback, if it has one: the source address the
/// kernel picks for a public destination (a UDP "connect" sends nothing), else `hostname -I`.
fn non_loopback_address() -> Option<IpAddr> {
    let usable = |ip: &IpAddr| !ip.is_loopback() && !ip.is_unspecified();
    let by_route = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|socket| {
            socket.connect(("8.8.8.8", 53))?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .ok()
        .filter(usable);
    by_route.or_else(|| {
        let out = Command::new("hostname").arg("-I").output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|word| word.parse::<IpAddr>().ok())
            .find(usable)
    })
}

/// Asserts that DynamoDB Local on `port` accepts on 127.0.0.1 and refuses on the machine's
/// non-loopback address (skipped, with a message, when the machine has none).
#[track_caller]
fn assert_loopback_only(port: u16) {
    assert!(
        accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        "nothing accepts on 127.0.0.1:{port}: is the local stack up?"
    );
    let Some(ip) = non_loopback_address() else {
        eprintln!("skipped the non-loopback check: this machine has no non-loopback address");
        return;
    };
    assert!(
        !accepts(ip, port),
        "DynamoDB Local accepts connections on {ip}:{port}: it must listen on 127.0.0.1 only"
    );
}

fn stack_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/stack.sh")
}

/// A second stack: its own state dir and ports. `down` runs and the state dir goes when the
/// guard is dropped (also on panic).
pub(crate) struct SideStack {
    state: PathBuf,
    ddb: u16,
    cognito: u16,
    pg: u16,
}

impl SideStack {
    /// Free ports and a fresh state dir; nothing is started.
    pub(crate) fn new() -> SideStack {
        SideStack::with_pg_port(free_port())
    }

    /// As `new`, with PostgreSQL on `pg`.
    fn with_pg_port(pg: u16) -> SideStack {
        let state = std::env::temp_dir().join(unique("cruddur-ops-stack"));
        std::fs::create_dir_all(&state).expect("the side stack's state dir");
        let mut ports = [free_port(), free_port()];
        while ports[0] == ports[1] || ports.contains(&pg) {
            ports = [free_port(), free_port()];
        }
        SideStack {
            state,
            ddb: ports[0],
            cognito: ports[1],
            pg,
        }
    }

    /// Sets this stack's ports on `cmd` (for the script and for the tools alike).
    pub(crate) fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("CRUDDUR_OPS_DDB_PORT", self.ddb.to_string())
            .env("CRUDDUR_OPS_COGNITO_PORT", self.cognito.to_string())
            .env("CRUDDUR_OPS_PG_PORT", self.pg.to_string())
    }

    /// Runs `scripts/stack.sh COMMAND` for this stack.
    pub(crate) fn script(&self, command: &str) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(stack_script())
            .arg(command)
            .env("CRUDDUR_OPS_STATE", &self.state)
            // a loaded machine (parallel builds) can slow a JVM start well past the usual 3 s
            .env("CRUDDUR_OPS_TIMEOUT", "120")
            .env_remove("CRUDDUR_OPS_USE_RUNNING")
            .stdin(std::process::Stdio::null());
        run(self.env(&mut cmd))
    }

    /// A toolkit binary pointed at this stack.
    fn tool(&self, name: &str) -> Command {
        let mut cmd = bin(name);
        self.env(&mut cmd);
        cmd
    }

    /// The pid files of services this stack started.
    fn pid_files(&self) -> Vec<String> {
        std::fs::read_dir(self.state.join("run"))
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".pid"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for SideStack {
    fn drop(&mut self) {
        let out = self.script("down");
        if !out.status.success() {
            eprintln!("side stack down failed:\n{}", stderr(&out));
        }
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// The tables `cmd` (a `list-tables`) lists.
pub(crate) fn table_names(cmd: &mut Command) -> Vec<String> {
    let out = ok(run(cmd.args(["--output", "json"])));
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("list-tables --output json is a JSON list");
    rows.iter()
        .map(|row| {
            row["name"]
                .as_str()
                .expect("each row names its table")
                .to_string()
        })
        .collect()
}

#[test]
fn dynamodb_local_listens_on_loopback_only() {
    assert_loopback_only(ports().dynamodb);
}

#[test]
fn a_second_stack_runs_beside_the_first_on_its_own_ports() {
    let first = ports();
    let side = SideStack::new();
    let started = Instant::now();
    let up = side.script("up");
    ok(up);
    eprintln!("side stack up in {:.1?}", started.elapsed());
    assert_eq!(side.pid_files().len(), 3, "{:?}", side.pid_files());

    // A second `up` keeps the running services, without calling them an older stack's.
    let again = stderr(&ok(side.script("up")));
    assert_eq!(again.matches("already running").count(), 3, "{again}");
    assert!(!again.contains("older"), "{again}");

    // The tools follow the port variables: the new DynamoDB Local starts empty, gets a table,
    // and the first stack never sees it.
    assert!(table_names(&mut side.tool("list-tables")).is_empty());
    let table = unique("side-messages");
    ok(run(side.tool("schema-load").args(["--table", &table])));
    assert!(table_names(&mut side.tool("list-tables")).contains(&table));
    let on_first = table_names(&mut bin("list-tables"));
    assert!(
        !on_first.contains(&table),
        "{table} leaked into the first stack"
    );
    assert!(accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), first.cognito));
    assert!(accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), first.postgres));

    // DynamoDB Local of the second stack is on loopback only too.
    assert_loopback_only(side.ddb);

    // Its PostgreSQL serves TLS with a certificate from the state dir's CA, for localhost.
    let ca = side.state.join("tls/ca.pem");
    assert!(ca.is_file(), "no CA certificate at {}", ca.display());
    match Command::new("psql")
        .arg(format!(
            "host=localhost port={} user=postgres dbname=cruddur sslmode=verify-full sslrootcert={}",
            side.pg,
            ca.display()
        ))
        .args(["-X", "-w", "-At", "-c"])
        .arg("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .env("PGPASSWORD", "password")
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
    {
        Ok(out) => assert_eq!(stdout(&ok(out)).trim(), "t", "verify-full must encrypt"),
        Err(e) => eprintln!("skipped the verify-full check: no psql ({e})"),
    }

    // `status` sees this stack up; `down` stops it and the first stack keeps answering.
    ok(side.script("status"));
    let down = ok(side.script("down"));
    assert!(stderr(&down).contains("stopped"), "{}", stderr(&down));
    assert!(!accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), side.ddb));
    assert!(side.pid_files().is_empty(), "{:?}", side.pid_files());
    table_names(&mut bin("list-tables")); // the first stack still answers
}

#[test]
fn up_refuses_a_port_held_by_something_else_and_starts_nothing() {
    // A listener that is no PostgreSQL, on the port the second stack's PostgreSQL would take.
    let foreign = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a foreign listener");
    let port = foreign.local_addr().unwrap().port();
    let side = SideStack::with_pg_port(port);
    let err = fails(side.script("up"));
    assert!(err.contains("CRUDDUR_OPS_PG_PORT"), "{err}");
    assert!(err.contains(&format!("port {port}")), "{err}");
    assert!(err.contains("nothing was started"), "{err}");
    assert!(side.pid_files().is_empty(), "{:?}", side.pid_files());
    for other in [side.ddb, side.cognito] {
        assert!(
            !accepts(IpAddr::V4(Ipv4Addr::LOCALHOST), other),
            "port {other} answers: up started something"
        );
    }
    // The same for a malformed port: a usage error naming the variable.
    let mut cmd = Command::new("bash");
    let out = run(cmd
        .arg(stack_script())
        .arg("up")
        .env("CRUDDUR_OPS_STATE", &side.state)
        .env("CRUDDUR_OPS_DDB_PORT", "80a"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("CRUDDUR_OPS_DDB_PORT"),
        "{}",
        stderr(&out)
    );
    drop(foreign);
}
