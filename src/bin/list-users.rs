//! `list-users`: every user of the Cognito user pool.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("list-users")
}
