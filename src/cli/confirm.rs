//! Asking before destroying: destructive actions on prod need the person to type a word at a
//! terminal, or `--yes` from a script. Without a terminal and without `--yes`, they refuse.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::{bail, Context as _, Result};
use clap::Args;

use crate::config::Target;

/// The `--yes` flag shared by destructive commands.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Confirmation {
    /// Do not ask for confirmation (for scripts and CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl Confirmation {
    /// On prod, asks the person to type `word` before `action` goes ahead; local never asks.
    ///
    /// Refuses without a terminal unless `--yes` was given.
    pub fn confirm(&self, target: Target, action: &str, word: &str) -> Result<()> {
        if self.yes || target == Target::Local {
            return Ok(());
        }
        let stdin = io::stdin();
        if !stdin.is_terminal() {
            bail!("refusing to {action} on {target} without a terminal to confirm: pass --yes to go ahead");
        }
        let mut stderr = io::stderr();
        write!(
            stderr,
            "About to {action} on {target}. Type {word:?} to go ahead: "
        )?;
        stderr.flush()?;
        let mut answer = String::new();
        stdin
            .lock()
            .read_line(&mut answer)
            .context("reading the confirmation")?;
        if answer.trim() != word {
            bail!("not confirmed: nothing was changed");
        }
        Ok(())
    }
}
