//! `drop`: delete a table and wait until it is gone.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::drop::run)
}
