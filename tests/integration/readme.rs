//! The README's examples, run as written. Every command line of its `sh` blocks either runs here,
//! in README order, in bash, or is named in [`NOT_RUN`] with the reason it cannot run here
//! (`examples.rs` still checks that those name real tools and that their arguments parse).
//!
//! They run on a stack of the test's own (a second stack, as `stack.rs` starts it), set up by the
//! steps of the justfile's `setup` recipe, so that the default table, pool and database the
//! examples name are this test's; from a directory that looks like the repository's (its
//! `seeds`, `tests` and `target`), so the files they write stay in the test's directory; with
//! every tool's name and `cruddur-ops` on PATH, as after `just install`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::examples::{commands_of, is_synopsis, readme_lines};
use crate::stack::SideStack;

/// The lines not run, each found by how it starts, with the reason. A README line that reaches
/// `prod` or is a usage synopsis is not run either (see [`why_not_run`]).
const NOT_RUN: &[(&str, &str)] = &[
    (
        "just setup",
        "builds with cargo, whose lock the running `cargo test` holds: this test runs the setup \
         recipe's steps from the justfile instead",
    ),
    ("just test-repeat", "the test suite, several times"),
    ("just test", "the test suite, which this test is part of"),
    ("just ci", "CI: formatting, lints and this test suite"),
    ("just lint-scripts", "shellcheck, which `just ci` runs"),
    ("just bench", "the benchmarks: minutes of load"),
    ("just build", "cargo, whose lock the running `cargo test` holds"),
    (
        "just install",
        "installs into ~/.cargo: `just install-check` does it in a throw-away root",
    ),
    (
        "just uninstall",
        "uninstalls from ~/.cargo: `just install-check` does it in a throw-away root",
    ),
    (
        "just up && list-tables && just down",
        "a second stack on fixed ports: stack::a_second_stack_runs_beside_the_first_on_its_own_ports \
         does it on free ones",
    ),
    (
        "export CRUDDUR_OPS_STATE=",
        "moves the stack for the next line (not run, above)",
    ),
    ("curl ", "downloads RDS's certificate bundle (the network)"),
    (
        "export PROD_CONNECTION_URL=",
        "the production database's address",
    ),
    ("aws ", "the AWS CLI, on an AWS account"),
    (
        "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url http://localhost:9229",
        "the rehearsal's bucket, with the AWS CLI on the default stack's moto port (9229)",
    ),
    ("pip install cargo-lambda", "installs a cargo plugin (and zig)"),
    ("cargo lambda ", "builds and deploys to AWS Lambda"),
    (
        "seed --file chat.txt",
        "reads a chat.txt of yours, between users alice and bob of your database",
    ),
    (
        "seed --messages 50000",
        "50,000 writes: the benchmarks' load (`just bench`)",
    ),
    (
        "messaging-stream --follow --checkpoint ~/",
        "writes its checkpoint into your home directory",
    ),
    (
        "M=AWS_ENDPOINT_URL_DYNAMODB=http://localhost:9229",
        "the rehearsal on the default stack's moto port (9229)",
    ),
    (
        "P=\"env $M",
        "the rehearsal on the default stack's moto port (9229)",
    ),
    (
        "env $M ",
        "the rehearsal on moto: its steps take the S3 folder, export ARN or backup ARN the step \
         before prints (`s3_native` and `backups` run them on the test stack)",
    ),
];

/// Commands run before the README line that starts with the first string: the state the
/// README's text has the reader in by then, which an earlier example of another section undid.
const BEFORE: &[(&str, &[&str])] = &[
    (
        // The `drop` examples just above removed the table the scan and seed examples read.
        "scan | jq -r .message",
        &["schema-load", "seed"],
    ),
    (
        // The `db-setup` examples gave the users new uuids: their conversation rows are seeded
        // again, as after `just setup`.
        "send-message --from everlygrandest --to bayko",
        &["seed"],
    ),
];

/// `--follow` runs until Ctrl-C: these lines run until they show what [`Until`] says, then get
/// SIGINT, and must then have printed the last text on stderr.
const FOLLOWED: &[(&str, Until, &str)] = &[
    (
        // The message the first hour sends just before.
        "cruddur-ops messaging-stream --follow --from-start --output jsonl",
        Until::Applied(1),
        ", 1 applied, 0 malformed",
    ),
    (
        // 'Hello again', sent just before (the other message starts a group: send-message
        // writes its conversation rows itself).
        "messaging-stream --follow --from-start",
        Until::Applied(1),
        ", 1 applied, 0 malformed",
    ),
    (
        "messaging-stream --follow",
        Until::Stderr("Ctrl-C to stop"),
        "nothing applied: ",
    ),
];

/// What a `--follow` line must have shown before it is stopped.
enum Until {
    /// This many records applied (JSON lines on stdout).
    Applied(usize),
    /// This text on stderr (it has started).
    Stderr(&'static str),
}

impl Until {
    fn shown(&self, stdout: &str, stderr: &str) -> bool {
        match self {
            Until::Applied(n) => stdout.matches("\"outcome\":\"applied\"").count() >= *n,
            Until::Stderr(text) => stderr.contains(text),
        }
    }
}

/// How long one example may take, however loaded the machine (a bound for failing clearly).
const BOUND: Duration = Duration::from_secs(60);

/// The line without its comment.
fn command(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim_end()
}

/// Why the README line is not run here, or `None` when it is.
fn why_not_run(line: &str) -> Option<&'static str> {
    if is_synopsis(line) {
        return Some("a usage synopsis");
    }
    if commands_of(line).iter().flatten().any(|w| w == "prod") {
        return Some(
            "reaches real AWS (prod): the iam, capacity, backups and s3_native tests run the \
             prod paths on moto",
        );
    }
    NOT_RUN
        .iter()
        .find(|(start, _)| line.starts_with(start))
        .map(|(_, why)| *why)
}

/// A directory that looks like the repository to the examples: its `seeds`, `tests` and
/// `target`, and nothing else (what they write stays here).
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = Path::new(env!("CARGO_BIN_EXE_cruddur-ops"))
        .parent()
        .and_then(Path::parent)
        .expect("the target directory");
    for (name, to) in [
        ("seeds", repo.join("seeds")),
        ("tests", repo.join("tests")),
        ("target", target.to_path_buf()),
    ] {
        std::os::unix::fs::symlink(to, dir.path().join(name)).expect("a link");
    }
    dir
}

/// `bash -o pipefail -c line` in `dir` on `stack`, with every tool's name and `cruddur-ops` on
/// PATH, and none of the caller's AWS, table or database settings.
fn shell(stack: &SideStack, dir: &Path, line: &str) -> Command {
    let mut cmd = clean(Command::new("bash"));
    cmd.args(["-o", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path())
        .stdin(Stdio::null());
    stack.env(&mut cmd);
    cmd
}

/// Every tool's name (the test's links) and `cruddur-ops`, then the caller's PATH.
fn path() -> std::ffi::OsString {
    let program = PathBuf::from(env!("CARGO_BIN_EXE_cruddur-ops"));
    let mut dirs = vec![
        tool_links().to_path_buf(),
        program.parent().expect("its directory").to_path_buf(),
    ];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("a PATH")
}

/// The steps of the justfile's `setup` recipe: its lines that run the binary (`"{{ops}}" ...`),
/// with `cruddur-ops` for the binary.
fn setup_steps() -> Vec<String> {
    let justfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/justfile"))
        .expect("the justfile");
    let recipe = justfile
        .split("\nsetup:")
        .nth(1)
        .expect("a setup recipe in the justfile");
    let steps: Vec<String> = recipe
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .filter_map(|l| l.trim().strip_prefix("\"{{ops}}\" "))
        .map(|rest| format!("cruddur-ops {rest}"))
        .collect();
    assert!(steps.len() >= 5, "the setup recipe's steps: {steps:?}");
    steps
}

/// Runs `line` to its end (at most [`BOUND`]); fails the test unless it exits 0.
fn run_line(stack: &SideStack, dir: &Path, at: &str, line: &str) {
    let out = run_within(shell(stack, dir, line), BOUND)
        .unwrap_or_else(|| panic!("{at}: `{line}` still running after {BOUND:?}"));
    assert!(
        out.status.success(),
        "{at}: `{line}` failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
}

/// Runs `cmd` with its output in files (read whole at the end); `None` when it outlives `bound`
/// (it is then killed).
fn run_within(mut cmd: Command, bound: Duration) -> Option<std::process::Output> {
    let files = tempfile::tempdir().expect("a temporary directory");
    let (out, err) = (files.path().join("out"), files.path().join("err"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out).expect("a file"))
        .stderr(std::fs::File::create(&err).expect("a file"))
        .spawn()
        .expect("bash runs");
    let started = Instant::now();
    let mut nap = crate::servers::Nap::default();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for bash") {
            break status;
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        nap.take();
    };
    Some(std::process::Output {
        status,
        stdout: std::fs::read(&out).unwrap_or_default(),
        stderr: std::fs::read(&err).unwrap_or_default(),
    })
}

/// Runs a `--follow` line until its output shows what `until` says, then sends it SIGINT
/// (Ctrl-C) and checks that it ended well, its stderr holding `last`.
fn follow_line(stack: &SideStack, dir: &Path, at: &str, line: &str, until: &Until, last: &str) {
    let files = tempfile::tempdir().expect("a temporary directory");
    let (out, err) = (files.path().join("out"), files.path().join("err"));
    let mut cmd = shell(stack, dir, &format!("exec {line}"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out).expect("a file"))
        .stderr(std::fs::File::create(&err).expect("a file"))
        .spawn()
        .expect("bash runs");
    let text = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let shown = crate::servers::poll_until(BOUND, || {
        until.shown(&text(&out), &text(&err)) || matches!(child.try_wait(), Ok(Some(_)))
    });
    if !shown {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{at}: `{line}` did not show its work in {BOUND:?}\nstdout:\n{}\nstderr:\n{}",
            text(&out),
            text(&err)
        );
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = crate::servers::poll_until(BOUND, || matches!(child.try_wait(), Ok(Some(_))));
    if !status {
        let _ = child.kill();
    }
    let status = child.wait().expect("the follower ends");
    let (stdout, stderr) = (text(&out), text(&err));
    assert!(
        status.success() && stderr.contains(last),
        "{at}: `{line}` (stopped with SIGINT once it had shown its work): {status:?}, expected \
         {last:?} on stderr\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn every_readme_example_runs_as_written_or_says_why_not() {
    let stack = SideStack::new();
    let up = stack.script("up");
    assert!(up.status.success(), "the stack: {}", stderr(&up));
    let dir = workdir();
    for step in setup_steps() {
        run_line(&stack, dir.path(), "justfile: setup", &step);
    }

    let mut not_run = Vec::new();
    let mut ran = 0;
    for (number, line) in readme_lines() {
        let at = format!("README.md:{number}");
        if commands_of(&line).is_empty() {
            continue; // a comment
        }
        if let Some(why) = why_not_run(&line) {
            not_run.push(format!("{at}: {line}\n    not run: {why}"));
            continue;
        }
        for (start, steps) in BEFORE {
            if line.starts_with(start) {
                for step in *steps {
                    run_line(&stack, dir.path(), &format!("before {at}"), step);
                }
            }
        }
        match FOLLOWED
            .iter()
            .find(|(start, _, _)| command(&line) == *start)
        {
            Some((_, until, last)) => follow_line(&stack, dir.path(), &at, &line, until, last),
            None => run_line(&stack, dir.path(), &at, &line),
        }
        ran += 1;
    }
    eprintln!(
        "{ran} README examples ran; {} did not:\n{}",
        not_run.len(),
        not_run.join("\n")
    );
    assert!(ran >= 40, "only {ran} README examples ran");
    // Every rule still matches a line: a stale one would hide a new example behind its reason.
    let lines = readme_lines();
    for (start, _) in NOT_RUN {
        assert!(
            lines.iter().any(|(_, l)| l.starts_with(start)),
            "NOT_RUN names {start:?}, which no README line starts with any more"
        );
    }
    for (start, _) in BEFORE {
        assert!(
            lines.iter().any(|(_, l)| l.starts_with(start)),
            "BEFORE names {start:?}, which no README line starts with any more"
        );
    }
    for (start, _, _) in FOLLOWED {
        assert!(
            lines.iter().any(|(_, l)| command(l) == *start),
            "FOLLOWED names {start:?}, which is no README line any more"
        );
    }
}
