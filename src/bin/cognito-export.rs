//! `cognito-export`: see [`cruddur_ops::cli::commands::cognito_export`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("cognito-export")
}
