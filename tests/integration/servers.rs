//! Private server instances for fault tests: DynamoDB Local, moto's Cognito server and a
//! PostgreSQL cluster, each on a free loopback port of its own (never the shared stack's), with kill (SIGKILL), pause
//! (SIGSTOP), resume (SIGCONT) and restart, and removed (processes and files) on drop.

#![allow(dead_code)]

use std::collections::BTreeSet;
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

/// The newest compiled loopback launcher beside the jar (scripts/stack/dynamodb.sh compiles it).
fn loopback_launcher(jar: &Path) -> PathBuf {
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(jar)
        .expect("the DynamoDB Local cache")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("LoopbackDynamoDB.class").exists())
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("the loopback launcher compiled beside the jar (run `just up` once)")
        .1
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
        // On the test stack's tmpfs when it has one (scripts/test-stack.sh), as its own cluster.
        let root = std::env::var_os("CRUDDUR_OPS_PG_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = root.join(crate::common::unique("fault-pg"));
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
                // Through the stack's loopback launcher (the jar alone listens on every
                // interface), with the quick JIT only: half the CPU of a default JVM for a
                // server that lives a few seconds.
                let jar = dynamodb_dir();
                let mut cmd = Command::new("java");
                cmd.args([
                    "-XX:-UsePerfData",
                    "-XX:TieredStopAtLevel=1",
                    "-Djava.net.preferIPv4Stack=true",
                ])
                .arg(format!(
                    "-Djava.library.path={}",
                    jar.join("DynamoDBLocal_lib").display()
                ))
                .arg("-cp")
                .arg(format!(
                    "{}:{}",
                    loopback_launcher(&jar).display(),
                    jar.join("DynamoDBLocal.jar").display()
                ))
                .args(["LoopbackDynamoDB", "127.0.0.1"])
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
                    .args(["-c", "fsync=off"])
                    // Its shared memory segments in the data directory (removed with it), not in
                    // /dev/shm, where a SIGKILLed server's segments would stay behind.
                    .args(["-c", "dynamic_shared_memory_type=mmap"]);
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

    /// Every live process of the server: its own, those of its process group, and their
    /// descendants (PostgreSQL's backends each lead a session of their own, outside the group).
    fn processes(&self) -> Vec<u32> {
        self.child
            .as_ref()
            .map_or_else(Vec::new, |c| family(c.id()))
    }

    /// SIGKILL to every process of the server; waits until none of them is left (so nothing
    /// holds the port, a connection or the data directory) and the port refuses connections.
    pub fn kill(&mut self) {
        if self.child.is_none() {
            return;
        }
        // Stopped first, so that none forks, or outlives its parent and leaves the family,
        // while they are listed.
        self.pause();
        let processes = self.processes();
        signal_all(&processes, "KILL");
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        wait_until(READY, "the killed server's processes to be gone", || {
            processes.iter().all(|&pid| gone(pid))
        });
        wait_until(READY, "the killed server's port to be free", || {
            TcpStream::connect(("127.0.0.1", self.port)).is_err()
        });
    }

    /// SIGSTOP to every process of the server: it holds its connections and answers nothing.
    /// Returns once every thread of each is stopped.
    pub fn pause(&self) {
        // The parent first, so that it starts no new process while its children are stopped.
        signal(self.pid(), "STOP", true);
        wait_until(READY, "the server to stop", || stopped(self.pid()));
        let processes = self.processes();
        signal_all(&processes, "STOP");
        let started = Instant::now();
        let mut nap = Nap::default();
        while !processes.iter().all(|&pid| stopped(pid)) {
            if started.elapsed() > READY {
                let states: Vec<String> = processes
                    .iter()
                    .map(|pid| {
                        std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
                    })
                    .collect();
                panic!("the server's processes did not stop: {states:#?}");
            }
            nap.take();
        }
    }

    /// SIGCONT to every process of the server. Returns once no thread of them is stopped.
    pub fn resume(&self) {
        let processes = self.processes();
        signal_all(&processes, "CONT");
        wait_until(READY, "the server to run again", || {
            processes.iter().all(|&pid| gone(pid) || !stopped(pid))
        });
    }

    /// Starts the server again on the same port (and, for PostgreSQL, the same data).
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }
}

/// Waits until `cond` holds, at most `bound`; panics naming `what` when it does not.
#[track_caller]
pub fn wait_until(bound: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    assert!(poll_until(bound, &mut cond), "waited {bound:?} for {what}");
}

/// Polls `cond` until it holds (true) or `bound` has passed (false).
pub fn poll_until(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    let mut nap = Nap::default();
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        nap.take();
    }
}

/// The pauses between two looks at a condition: 1 ms, doubling up to 32 ms. A condition that
/// comes true at once is seen at once; one that takes a while costs a look per 32 ms, not per
/// millisecond (a look may spawn `ss` or read all of /proc, and two cores serve the whole suite).
#[derive(Default)]
pub struct Nap(u32);

impl Nap {
    pub fn take(&mut self) {
        std::thread::sleep(Duration::from_millis(1 << self.0.min(5)));
        self.0 += 1;
    }
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces): the state is
/// `[0]`, the process group `[2]`. Empty when the process is gone.
fn stat_fields(path: &Path) -> Vec<String> {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    rest.split_whitespace().map(str::to_string).collect()
}

/// The live (not zombie) processes that are `root`, in its process group, or descended from
/// either.
pub fn family(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // (pid, parent, group) of every live process.
    let all: Vec<(u32, u32, u32)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let fields = stat_fields(&Path::new("/proc").join(pid.to_string()).join("stat"));
            if fields.first().map(String::as_str) == Some("Z") {
                return None;
            }
            let parent = fields.get(1)?.parse().ok()?;
            let group = fields.get(2)?.parse().ok()?;
            Some((pid, parent, group))
        })
        .collect();
    let mut family: BTreeSet<u32> = all
        .iter()
        .filter(|&&(pid, _, group)| pid == root || group == root)
        .map(|&(pid, _, _)| pid)
        .collect();
    loop {
        let before = family.len();
        for &(pid, parent, _) in &all {
            if family.contains(&parent) {
                family.insert(pid);
            }
        }
        if family.len() == before {
            return family.into_iter().collect();
        }
    }
}

/// Whether process `pid` is gone (or a zombie: it holds nothing any more).
fn gone(pid: u32) -> bool {
    let fields = stat_fields(&Path::new("/proc").join(pid.to_string()).join("stat"));
    matches!(fields.first().map(String::as_str), None | Some("Z"))
}

/// `sig` to each of `pids` (one `kill` for all).
fn signal_all(pids: &[u32], sig: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg("--")
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// SIGSTOP to process `pid`; returns once every thread of it is stopped.
pub fn freeze(pid: u32) {
    signal(pid, "STOP", false);
    wait_until(READY, "the process to stop", || stopped(pid));
}

/// SIGCONT to process `pid`; returns once no thread of it is stopped, or it is gone (it may
/// have ended just before it was frozen).
pub fn thaw(pid: u32) {
    signal(pid, "CONT", false);
    wait_until(READY, "the process to run again", || {
        gone(pid) || !stopped(pid)
    });
}

/// Whether every thread of `pid` is stopped (state `T`), or the process is gone (or a zombie,
/// which a stopped parent has not reaped yet).
pub fn stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    tasks.filter_map(|t| t.ok()).all(|t| {
        let state = stat_fields(&t.path().join("stat"));
        matches!(
            state.first().map(String::as_str),
            None | Some("T") | Some("t") | Some("Z")
        )
    })
}

/// The socket inodes process `pid` holds open.
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.filter_map(|fd| {
        let target = std::fs::read_link(fd.ok()?.path()).ok()?;
        let target = target.to_str()?;
        target
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    })
    .collect()
}

/// A request a process has sent and got no answer to, seen on its TCP connection: the socket's
/// inode and how many bytes the process had sent on it (so each request reads differently).
pub type Unanswered = (u64, u64);

/// One TCP socket as `ss -tnie` shows it.
struct Socket {
    recv_q: u64,
    local_port: u16,
    peer_port: u16,
    inode: u64,
    info: String,
}

/// The established TCP sockets with `port` at either end, from `ss` (the kernel's TCP info).
fn sockets(port: u16) -> Vec<Socket> {
    let out = Command::new("ss")
        .args(["-H", "-t", "-n", "-i", "-e", "state", "established"])
        .arg(format!("( sport = :{port} or dport = :{port} )"))
        .output()
        .expect("ss (iproute2) runs");
    assert!(out.status.success(), "ss failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let port_of = |addr: &str| addr.rsplit(':').next().and_then(|p| p.parse().ok());
    // Each socket is a line (queues, addresses, `ino:`), then an indented line of TCP info.
    let mut found: Vec<Socket> = Vec::new();
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) {
            if let Some(last) = found.last_mut() {
                last.info.push_str(line);
            }
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(recv_q), Some(local_port), Some(peer_port), Some(inode)) = (
            words.first().and_then(|q| q.parse().ok()),
            words.get(2).and_then(|a| port_of(a)),
            words.get(3).and_then(|a| port_of(a)),
            field(line, "ino:"),
        ) else {
            continue;
        };
        found.push(Socket {
            recv_q,
            local_port,
            peer_port,
            inode,
            info: String::new(),
        });
    }
    found
}

/// The requests process `pid` has sent to the server on 127.0.0.1:`port` and got no byte of
/// answer to. A connection of the process counts when any of these holds:
///
/// - the server has not read all it sent (the server's end of the connection has bytes in its
///   receive queue);
/// - it sent data and never received any;
/// - it sent data after the last data it received (the kernel's `lastsnd` < `lastrcv`).
///
/// Why that is sound: the clients here speak HTTP/1.1 or PostgreSQL's protocol, where what a
/// client sends is a request (or part of one) that the server answers, and it sends its next
/// request only once the answer is in. So bytes the server has not read, or sent after the last
/// answer byte, are a request without an answer: the process cannot go on with it until the
/// server answers. The last test reads two times the kernel keeps in the same clock ticks and
/// reports as "this long ago" from the same instant, so a strictly shorter `lastsnd` is a later
/// send; a request sent in the same tick as the last answer came reads as equal and is missed by
/// that test (a miss, never a false catch) but is still caught by the first while the server
/// has not read it.
pub fn unanswered(pid: u32, port: u16) -> BTreeSet<Unanswered> {
    let inodes = socket_inodes(pid);
    if inodes.is_empty() {
        return BTreeSet::new();
    }
    let all = sockets(port);
    let unread_by_server = |client_port: u16| {
        all.iter()
            .any(|s| s.local_port == port && s.peer_port == client_port && s.recv_q > 0)
    };
    all.iter()
        .filter(|s| s.peer_port == port && inodes.contains(&s.inode))
        .filter(|s| {
            // ss leaves out a field that is zero.
            let sent = field(&s.info, "bytes_sent:").unwrap_or(0);
            let received = field(&s.info, "bytes_received:").unwrap_or(0);
            let last_sent = field(&s.info, "lastsnd:").unwrap_or(0);
            let last_received = field(&s.info, "lastrcv:").unwrap_or(0);
            unread_by_server(s.local_port)
                || (sent > 0 && received == 0)
                || last_sent < last_received
        })
        .map(|s| (s.inode, field(&s.info, "bytes_sent:").unwrap_or(0)))
        .collect()
}

/// The number after `name` in a line of `ss` output.
fn field(line: &str, name: &str) -> Option<u64> {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(name))
        .and_then(|v| v.parse().ok())
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
