//! `cognito-setup`: the local Cognito user pool and one user per row of the users table.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("cognito-setup")
}
