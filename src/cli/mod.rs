//! What every binary shares at its edge: running the async body on a runtime, printing an error's
//! whole cause chain once, and the exit code. A closed stdout (`scan | head`) is not an error.
//!
//! Below it: [`args`] (the options every tool shares), [`confirm`] (asking before destroying),
//! [`output`] (rendering reports), [`progress`] (progress on stderr).

pub mod args;
pub mod confirm;
pub mod output;
pub mod progress;

use std::future::Future;
use std::io;
use std::process::ExitCode;

use crate::context::Context;

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
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(body);
    // Don't wait for lingering tasks (in-flight requests of a stopped scan, say).
    runtime.shutdown_background();
    exit_code(outcome)
}

/// Prints `outcome`'s error, if any, and returns the matching exit code.
pub fn exit_code(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Builds the context for a command from its target and `--table` arguments.
pub async fn connect(
    target: &args::TargetArgs,
    table: &args::TableArgs,
) -> anyhow::Result<Context> {
    Context::new(target.config().with_table(table.table.clone())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn broken_pipe_is_success() {
        let err = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert_eq!(exit_code(err), ExitCode::SUCCESS);
        assert_eq!(exit_code(Err(anyhow::anyhow!("boom"))), ExitCode::FAILURE);
    }
}
