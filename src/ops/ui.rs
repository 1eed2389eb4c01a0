//! What an operation tells, shows and asks the person running it while it works, without
//! printing or drawing anything itself: a line on stderr ([`Ui::note`]), a progress bar
//! ([`Ui::bar`]), the confirmation a destructive step needs on prod ([`Ui::confirm`]) and a
//! report on stdout ([`Ui::emit`]). The command line implements it (`cli::output::Terminal`);
//! an operation only ever holds `&mut impl Ui`, as cargo's operations hold its shell.

use anyhow::Result;

use crate::config::Target;
use crate::report::{Format, Report};

/// What a dry run ends with, on stderr.
pub const DRY_RUN_NOTE: &str = "dry run: nothing written";

/// The person running an operation.
pub trait Ui: Send {
    /// A progress display.
    type Bar: Bar;

    /// A line for the person (stderr): what was done, what comes next, a warning.
    fn note(&mut self, line: &str);

    /// Before a destructive `action` on `target`: asks the person to type `word` (prod only);
    /// an error refuses.
    fn confirm(&mut self, target: Target, action: &str, word: &str) -> Result<()>;

    /// Hands `report` over for stdout, in `format`.
    fn emit<R: Report + ?Sized>(&mut self, report: &R, format: Format) -> Result<()>;

    /// A bar for `phase`, out of `total` when it is known (a spinner otherwise).
    fn bar(&self, phase: &str, total: Option<u64>) -> Self::Bar;

    /// A spinner for waiting on a job that reports no count ([`Bar::say`] shows its status).
    fn waiting(&self, phase: &str) -> Self::Bar;

    /// Whether bars are drawn at all (worth asking a server for a total).
    fn drawn(&self) -> bool;

    /// [`DRY_RUN_NOTE`] when `dry_run`.
    fn dry_run_note(&mut self, dry_run: bool) {
        if dry_run {
            self.note(DRY_RUN_NOTE);
        }
    }
}

/// A progress display an operation moves along.
pub trait Bar: Send {
    /// Shows `done` of `total` in `phase`; a new phase starts afresh.
    fn show(&mut self, phase: &str, done: u64, total: u64);
    /// Shows `done` so far.
    fn set(&self, done: u64);
    /// Adds `n` to what is done.
    fn add(&self, n: u64);
    /// Shows `text` as the bar's message (a job's status).
    fn say(&self, text: &str);
    /// Shows `note` after the phase (the capacity budget).
    fn with_note(self, note: &str) -> Self;
    /// Shows a count kept elsewhere, which moves in jumps: no rate or ETA.
    fn counted(self) -> Self;
    /// Removes the bar.
    fn finish(&self);
}
