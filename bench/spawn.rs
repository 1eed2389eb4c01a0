//! The benchmark harness's process launcher (std only; bench/harness.py compiles it with rustc).
//!
//! Why it exists: a child forked from the harness (a Python process with boto3 loaded, ~65 MB)
//! inherits the harness's RSS high-water mark, and Linux keeps it across exec in the child's
//! ru_maxrss, so a 3 MB process would read as 65 MB. This launcher is itself ~1 MB: the children
//! it starts report their own peak.
//!
//! Usage: spawn REPORT N1 ARG... [N2 ARG...]...: starts every command (N = its word count) at
//! once, inheriting stdin/stdout/stderr, reaps them with wait4 and writes one line per command,
//! in the order given, to REPORT: `<exit code or -signal> <wall seconds since the first start>
//! <ru_maxrss kB>`.

use std::io::Write;
use std::process::{exit, Command};
use std::time::Instant;

/// `struct rusage` on 64-bit Linux: two timevals, then 14 longs (ru_maxrss first).
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: spawn REPORT N ARG... [N ARG...]...");
        exit(2);
    }
    let mut commands: Vec<&[String]> = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let n: usize = args[i].parse().unwrap_or(0);
        if n == 0 || i + 1 + n > args.len() {
            eprintln!("spawn: bad word count {:?}", args[i]);
            exit(2);
        }
        commands.push(&args[i + 1..i + 1 + n]);
        i += 1 + n;
    }
    let start = Instant::now();
    let mut pids = Vec::new();
    for cmd in &commands {
        match Command::new(&cmd[0]).args(&cmd[1..]).spawn() {
            Ok(child) => pids.push(child.id() as i32),
            Err(err) => {
                eprintln!("spawn: cannot start {}: {err}", cmd[0]);
                exit(127);
            }
        }
    }
    let mut lines = vec![String::new(); pids.len()];
    let mut left = pids.len();
    while left > 0 {
        let mut status = 0i32;
        let mut usage = Rusage {
            utime: [0; 2],
            stime: [0; 2],
            maxrss: 0,
            rest: [0; 13],
        };
        // SAFETY: plain libc call with valid pointers to locals.
        let pid = unsafe { wait4(-1, &mut status, 0, &mut usage) };
        let wall = start.elapsed().as_secs_f64();
        if pid < 0 {
            eprintln!("spawn: wait4: {}", std::io::Error::last_os_error());
            exit(1);
        }
        if let Some(k) = pids.iter().position(|&p| p == pid) {
            let code = if status & 0x7f == 0 {
                (status >> 8) & 0xff
            } else {
                -(status & 0x7f)
            };
            lines[k] = format!("{code} {wall:.6} {}", usage.maxrss);
            left -= 1;
        }
    }
    let report = lines.join("\n") + "\n";
    if let Err(err) = std::fs::File::create(&args[0]).and_then(|mut f| f.write_all(report.as_bytes())) {
        eprintln!("spawn: writing {}: {err}", args[0]);
        exit(1);
    }
}
