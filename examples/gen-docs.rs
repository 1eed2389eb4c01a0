//! Writes the shell completions (bash, zsh, fish) and man pages of `cruddur-ops` and of every
//! tool name (the registry, [`cruddur_ops::cli::tools::TOOLS`]), generated from their clap
//! definitions: `cruddur-ops` with every tool as a subcommand, and each tool as its link runs
//! it. `just install` runs it:
//!
//! ```sh
//! cargo run --example gen-docs -- OUT_DIR
//! ```
//!
//! and copies what it wrote under the install prefix's `share/`. OUT_DIR gets, for `cruddur-ops`
//! and each tool:
//!
//! - `completions/bash/<tool>`
//! - `completions/zsh/_<tool>`
//! - `completions/fish/<tool>.fish`
//! - `man/man1/<tool>.1`
//!
//! It is an example rather than a binary so that `clap_complete` and `clap_mangen` stay
//! dev-dependencies, out of the installed tools.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap_complete::Shell;
use cruddur_ops::cli::tools;

/// Where each shell's completion for `tool` goes, relative to OUT_DIR.
fn completion_path(shell: Shell, tool: &str) -> PathBuf {
    match shell {
        Shell::Bash => Path::new("completions/bash").join(tool),
        Shell::Zsh => Path::new("completions/zsh").join(format!("_{tool}")),
        Shell::Fish => Path::new("completions/fish").join(format!("{tool}.fish")),
        other => Path::new("completions").join(other.to_string()).join(tool),
    }
}

/// The shells we write completions for.
const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let out = match (args.next(), args.next()) {
        (Some(out), None) if !out.is_empty() => PathBuf::from(out),
        _ => bail!("usage: cargo run --example gen-docs -- OUT_DIR"),
    };

    let mut commands = vec![tools::program()];
    commands.extend(tools::TOOLS.iter().map(tools::Tool::command));
    check_names(&commands)?;

    let mut written = 0;
    for command in &commands {
        let tool = command.get_name().to_string();
        for shell in SHELLS {
            let mut command = command.clone();
            write_file(&out.join(completion_path(shell, &tool)), |w| {
                clap_complete::generate(shell, &mut command, &tool, w);
                Ok(())
            })?;
            written += 1;
        }
        let page = out.join("man/man1").join(format!("{tool}.1"));
        write_file(&page, |w| clap_mangen::Man::new(command.clone()).render(w))?;
        written += 1;
    }
    eprintln!(
        "gen-docs: {written} files for {} and {} tools in {}",
        tools::PROGRAM,
        tools::TOOLS.len(),
        out.display()
    );
    Ok(())
}

/// Every tool needs a distinct, non-empty name that is safe as a file name.
fn check_names(commands: &[clap::Command]) -> anyhow::Result<()> {
    if commands.is_empty() {
        bail!("the registry lists no tools");
    }
    let mut seen = BTreeSet::new();
    for command in commands {
        let name = command.get_name();
        let safe = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !safe {
            bail!("command name {name:?} is not a plain tool name");
        }
        if !seen.insert(name) {
            bail!("command {name:?} is listed twice");
        }
    }
    Ok(())
}

/// Creates `path` (and its directory) and fills it with `fill`.
fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let context = || format!("writing {}", path.display());
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(context)?;
    }
    let mut file = BufWriter::new(File::create(path).with_context(context)?);
    fill(&mut file).with_context(context)?;
    file.flush().with_context(context)
}
