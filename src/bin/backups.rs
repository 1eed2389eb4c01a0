//! `backups`: list a table's on-demand backups, or delete one.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("backups")
}
