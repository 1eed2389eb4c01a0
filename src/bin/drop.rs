//! `drop`: delete a table and wait until it is gone.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("drop")
}
