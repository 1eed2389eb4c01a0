//! `seed`: write one conversation between two users into the messages table.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("seed")
}
