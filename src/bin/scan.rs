//! `scan`: print every item of the messages table as it arrives.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("scan")
}
