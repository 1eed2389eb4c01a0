//! `list-users`: every user of the Cognito user pool.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::list_users::run)
}
