//! Private server instances for fault tests: DynamoDB Local, moto's Cognito server and a
//! PostgreSQL cluster, each on a free loopback port of its own (never the shared stack's), with kill (SIGKILL), pause
//! (SIGSTOP), resume (SIGCONT) and restart, and removed (processes and files) on drop.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to come up on a loaded machine.
const READY: Duration = Duration::from_secs(90);

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A small server a test writes in Python (`python3 -c SCRIPT ARGS...`), which prints `ready` on
/// stdout once it listens. Started and waited for by [`PythonServer::start`]; killed on drop.
pub struct PythonServer {
    child: Child,
}

impl PythonServer {
    pub fn start<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> PythonServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-c", script])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let server = PythonServer { child };
        let mut ready = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut ready)
            .expect("the server's stdout reads");
        assert_eq!(
            ready.trim(),
            "ready",
            "the Python test server did not start"
        );
        server
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn signal(pid: u32, sig: &str, group: bool) {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), "--", &target])
        .stderr(Stdio::null())
        .status();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DynamoDb,
    Postgres,
    Moto,
}

/// A server process of its own, on its own port.
pub struct Server {
    kind: Kind,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// The cached DynamoDB Local (see scripts/stack.sh).
fn dynamodb_dir() -> PathBuf {
    let home = std::env::var("HOME").expect("HOME");
    let root = Path::new(&home).join(".cache/cruddur-ops/dynamodb-local");
    std::fs::read_dir(&root)
        .expect("DynamoDB Local is cached (run `just up` once)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("DynamoDBLocal.jar").exists())
        .expect("DynamoDBLocal.jar in the cache")
}

/// The directory of PostgreSQL's server binaries.
fn pg_bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("initdb under /usr/lib/postgresql/*/bin")
}

impl Server {
    /// DynamoDB Local, in memory.
    pub fn dynamodb() -> Server {
        let dir = std::env::temp_dir().join(crate::common::unique("fault-ddb"));
        std::fs::create_dir_all(&dir).expect("a state dir");
        let mut server = Server {
            kind: Kind::DynamoDb,
            port: free_port(),
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// moto's server (Cognito user pools, in memory), from the stack's cached venv.
    pub fn moto() -> Server {
        let dir = std::env::temp_dir().join(crate::common::unique("fault-moto"));
        std::fs::create_dir_all(&dir).expect("a state dir");
        let mut server = Server {
            kind: Kind::Moto,
            port: free_port(),
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// A private PostgreSQL cluster (user postgres, password `password`).
    pub fn postgres() -> Server {
        let dir = std::env::temp_dir().join(crate::common::unique("fault-pg"));
        std::fs::create_dir_all(&dir).expect("a cluster dir");
        std::fs::write(dir.join("pwfile"), "password\n").expect("pwfile");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown the cluster dir to postgres");
        }
        let out = as_pg_user(pg_bindir().join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", "postgres", "--auth-host=scram-sha-256"])
            .args([
                "--auth-local=scram-sha-256",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", dir.join("pwfile").display()))
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = Server {
            kind: Kind::Postgres,
            port: free_port(),
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// The endpoint URL (DynamoDB, moto) or connection URL of `database` (PostgreSQL).
    pub fn url(&self, database: &str) -> String {
        match self.kind {
            Kind::DynamoDb | Kind::Moto => format!("http://127.0.0.1:{}", self.port),
            Kind::Postgres => format!(
                "postgresql://postgres:password@127.0.0.1:{}/{database}?sslmode=disable",
                self.port
            ),
        }
    }

    fn start(&mut self) {
        let mut cmd = match self.kind {
            Kind::DynamoDb => {
                let jar = dynamodb_dir();
                let mut cmd = Command::new("java");
                cmd.arg("-XX:-UsePerfData")
                    .arg(format!(
                        "-Djava.library.path={}",
                        jar.join("DynamoDBLocal_lib").display()
                    ))
                    .arg("-jar")
                    .arg(jar.join("DynamoDBLocal.jar"))
                    .args(["-inMemory", "-disableTelemetry", "-port"])
                    .arg(self.port.to_string())
                    .current_dir(&self.dir);
                cmd
            }
            Kind::Moto => {
                let home = std::env::var("HOME").expect("HOME");
                let moto = Path::new(&home).join(".cache/cruddur-ops/venv/bin/moto_server");
                assert!(
                    moto.exists(),
                    "moto is cached at {} (run `just up` once)",
                    moto.display()
                );
                let mut cmd = Command::new(moto);
                cmd.args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
                    .current_dir(&self.dir);
                cmd
            }
            Kind::Postgres => {
                let mut cmd = as_pg_user(pg_bindir().join("postgres"));
                cmd.arg("-D")
                    .arg(self.dir.join("data"))
                    .args(["-p", &self.port.to_string()])
                    .args(["-c", "listen_addresses=127.0.0.1"])
                    .args(["-c", "unix_socket_directories="])
                    .args(["-c", "fsync=off"]);
                cmd
            }
        };
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("the {:?} server exited at start: {status}", self.kind);
                }
            }
            let up = match self.kind {
                Kind::DynamoDb | Kind::Moto => TcpStream::connect(("127.0.0.1", self.port)).is_ok(),
                Kind::Postgres => crate::common::block_on(async {
                    match cruddur_ops::pg::connect_url(
                        &self.url("postgres"),
                        &crate::common::local_config(),
                    )
                    .await
                    {
                        Ok(client) => client.batch_execute("SELECT 1").await.is_ok(),
                        Err(_) => false,
                    }
                }),
            };
            if up {
                return;
            }
            assert!(
                started.elapsed() < READY,
                "the {:?} server did not come up on port {} in {READY:?}",
                self.kind,
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// SIGKILL to the server and every process of its group; waits until they are gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "KILL", true);
            let _ = child.wait();
            // The port is free once nothing of the group is left.
            let started = Instant::now();
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && started.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGSTOP to the server's group: it holds its connections and answers nothing.
    pub fn pause(&self) {
        signal(self.pid(), "STOP", true);
    }

    /// SIGCONT to the server's group.
    pub fn resume(&self) {
        signal(self.pid(), "CONT", true);
    }

    /// Starts the server again on the same port (and, for PostgreSQL, the same data).
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }
}

fn as_pg_user(program: PathBuf) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            signal(child.id(), "CONT", true);
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
