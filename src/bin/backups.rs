//! `backups`: list a table's on-demand backups, or delete one.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::backups::run)
}
