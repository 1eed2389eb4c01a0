//! `export`: see [`cruddur_ops::cli::commands::export`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::export::run)
}
