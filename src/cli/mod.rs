//! What every binary shares at its edge: parsing its arguments, building the context one way,
//! running the async body on a runtime, printing an error's whole cause chain once, and the exit
//! code. A closed stdout (`scan | head`) is not an error.
//!
//! Below it: [`tools`] (the registry of tools and the `cruddur-ops` program that dispatches to
//! them), [`docs`] (their completions and man pages), [`args`] (the options every tool shares), [`confirm`] (asking before destroying),
//! [`output`] (rendering reports), [`progress`] (progress bars on stderr) and [`commands`] (one
//! module per tool: its arguments and its body).
//!
//! Exit codes, the same for every tool:
//!
//! | code | meaning |
//! |---|---|
//! | [`EXIT_SUCCESS`] (0) | success, also when stdout was closed early (`scan \| head -1`) |
//! | [`EXIT_FAILURE`] (1) | failure: an error, printed once on stderr with its causes |
//! | [`EXIT_USAGE`] (2) | usage error: bad arguments (clap's own code) |
//! | [`EXIT_DRIFT`] (3) | `schema-load`: the table exists but differs from the definition |

pub mod args;
pub mod commands;
pub mod confirm;
pub mod docs;
pub mod output;
pub mod progress;
pub mod tools;

use std::fmt;
use std::future::Future;
use std::process::ExitCode;
use std::sync::OnceLock;

use crate::config::{Config, Target};
use crate::context::{AccessDenied, Context};

/// The running tool's name (its registry name), for messages that name it.
static TOOL: OnceLock<String> = OnceLock::new();

/// Records the running tool's name (once, when it starts), for the messages that name it.
pub fn set_tool_name(name: &str) {
    let _ = TOOL.set(name.to_string());
}

/// Success, also when stdout was closed early (`scan | head -1`).
pub const EXIT_SUCCESS: u8 = 0;
/// Failure: an error, printed once on stderr with its causes.
pub const EXIT_FAILURE: u8 = 1;
/// Bad arguments: clap exits with this code on a usage error.
pub const EXIT_USAGE: u8 = 2;
/// `schema-load`: the table exists but differs from the definition (nothing was changed).
pub const EXIT_DRIFT: u8 = 3;

/// The exit codes as a `--help` note, shared by every tool (`after_help`).
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success (also when stdout is closed early, as in `| head`), 1 failure, 2 usage error, 3 schema-load: the table differs from the definition.";

/// A tool's `--help` epilogue: its `text` (examples, output fields), then the exit codes.
pub fn after_help(text: &str) -> String {
    format!("{text}\n\n{EXIT_CODES_HELP}")
}

/// An error that ends the process with a given exit code instead of [`EXIT_FAILURE`].
#[derive(Debug)]
pub struct Exit {
    /// The exit code.
    pub code: u8,
    /// What happened (printed like any error).
    pub message: String,
    /// Printed as a plain statement, without `error:`: an expected result that has a code of
    /// its own (a plan, [`EXIT_DRIFT`]), not a failure.
    pub plain: bool,
}

impl Exit {
    /// An error ending the process with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
            plain: false,
        }
    }

    /// An expected result ending the process with `code`, stated on stderr without `error:`.
    pub fn plain(code: u8, message: impl Into<String>) -> Exit {
        Exit {
            plain: true,
            ..Exit::new(code, message)
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// Runs `body` on a Tokio runtime and turns its outcome into an exit code.
///
/// Errors are printed once, with their whole context chain, to stderr.
pub fn run<F>(body: F) -> ExitCode
where
    F: Future<Output = anyhow::Result<()>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let outcome = runtime.block_on(body);
    // Don't wait for lingering tasks (in-flight requests of a stopped scan, say).
    runtime.shutdown_background();
    exit_code(outcome)
}

/// Prints `outcome`'s error, if any, and returns the matching exit code: [`EXIT_SUCCESS`] for
/// success and a closed stdout, the code of an [`Exit`] in the chain, else [`EXIT_FAILURE`].
pub fn exit_code(outcome: anyhow::Result<()>) -> ExitCode {
    ExitCode::from(code_of(outcome))
}

fn code_of(outcome: anyhow::Result<()>) -> u8 {
    match outcome {
        Ok(()) => EXIT_SUCCESS,
        Err(err) if is_broken_pipe(&err) => EXIT_SUCCESS,
        Err(err) => {
            let exit = err.chain().find_map(|cause| cause.downcast_ref::<Exit>());
            if exit.is_some_and(|exit| exit.plain) {
                eprintln!("{err:#}");
            } else {
                eprintln!("error: {err:#}");
            }
            if let Some(denied) = err.chain().find_map(|c| c.downcast_ref::<AccessDenied>()) {
                eprintln!("{}", denied_hint(denied));
            }
            exit.map_or(EXIT_FAILURE, |exit| exit.code)
        }
    }
}

/// What to do about a call the IAM policy does not allow: the tool, the action and where, and
/// the command that prints the policy the tool needs.
fn denied_hint(denied: &AccessDenied) -> String {
    let tool = TOOL.get().map_or("this tool", String::as_str);
    let target = match denied.target {
        Target::Prod => " prod",
        Target::Local => "",
    };
    let on = denied
        .resource
        .as_ref()
        .map(|r| format!(" on {r}"))
        .unwrap_or_default();
    format!(
        "{tool} was refused {}{on}: `iam-policy {tool}{target}` prints the IAM policy {tool} \
         needs (README: Permissions)",
        denied.action
    )
}

/// A write to stdout whose reader went away (the output layer marks stdout's errors); a broken
/// pipe of anything else (a socket, a child process) is a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    output::is_closed_stdout(err)
}

/// Builds the context of a command, the one way every tool does: the target, the `--table`
/// and the user pool options (`TableArgs::default()` / `UserPoolArgs::default()` for a tool
/// without them) over the environment.
pub async fn connect(
    target: &args::TargetArgs,
    table: &args::TableArgs,
    pool: &args::UserPoolArgs,
) -> anyhow::Result<Context> {
    Context::new(config(target, table, pool)?).await
}

/// The configuration [`connect`] builds its context from.
pub fn config(
    target: &args::TargetArgs,
    table: &args::TableArgs,
    pool: &args::UserPoolArgs,
) -> anyhow::Result<Config> {
    Ok(target
        .config()?
        .with_table(table.table.clone())
        .with_user_pool_id(pool.user_pool_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn a_broken_pipe_is_success_only_when_it_is_stdouts() {
        use std::io::Write as _;
        let broken = || {
            let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
            drop(theirs);
            ours
        };
        let mut stdout = output::Stdout::standing_for(broken());
        let err = Err::<(), _>(stdout.write_all(b"x").unwrap_err()).context("writing");
        assert_eq!(code_of(err), EXIT_SUCCESS);
        let socket = broken().write_all(b"x").unwrap_err();
        assert_eq!(socket.kind(), std::io::ErrorKind::BrokenPipe);
        assert_eq!(
            code_of(Err::<(), _>(socket).context("sending")),
            EXIT_FAILURE
        );
        assert_eq!(code_of(Err(anyhow::anyhow!("boom"))), EXIT_FAILURE);
    }

    #[test]
    fn an_exit_in_the_chain_sets_the_code() {
        let err = Err::<(), _>(Exit::new(EXIT_DRIFT, "differs")).context("loading the schema");
        assert_eq!(code_of(err), EXIT_DRIFT);
    }
}
