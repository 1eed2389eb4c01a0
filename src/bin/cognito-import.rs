//! `cognito-import`: see [`cruddur_ops::cli::commands::cognito_import`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("cognito-import")
}
