//! `check`: see [`cruddur_ops::cli::commands::check`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("check")
}
