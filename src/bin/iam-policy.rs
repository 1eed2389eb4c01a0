//! `iam-policy`: print the IAM policy a tool needs.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::iam_policy::run)
}
