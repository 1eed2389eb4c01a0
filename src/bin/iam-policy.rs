//! `iam-policy`: print the IAM policy a tool needs.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("iam-policy")
}
