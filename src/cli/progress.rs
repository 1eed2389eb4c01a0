//! Progress on stderr for long operations (seed, a whole-table scan, a Cognito listing):
//! indicatif bars with the rate and, when the total is known, the ETA. Drawn only when stderr is
//! a terminal, never into stdout, and only once the work has lasted half a second (shorter work
//! flashes no bar); without a terminal a [`Progress`] draws nothing, and the tool
//! prints one summary line when it is done.
//!
//! Library operations do not draw: they ask their [`Ui`](crate::ops::ui::Ui) for a bar and move
//! it through the [`Bar`] trait, which [`Progress`] implements. The bar's colours go through
//! `console`, which turns them off when `NO_COLOR` is set (or stderr is not a terminal).

use std::fmt::Display;
use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ops::ui::Bar;

/// With a known total: the phase, a bar, how many of how many, the rate and the ETA.
const BAR: &str =
    "{msg} [{bar:25.cyan/blue}] {human_pos}/{human_len} ({percent}%) {per_sec:0} ETA {eta}";
/// Without a total: a spinner, how many so far and the rate.
const SPINNER: &str = "{spinner} {msg}: {human_pos} {per_sec:0} ({elapsed})";
/// A count someone else keeps (an index's item count, which DynamoDB updates only now and then):
/// no rate or ETA, which would be made up from its jumps, but the time spent so far.
const COUNT: &str = "{msg} [{bar:25.cyan/blue}] {human_pos}/{human_len} ({percent}%) {elapsed}";
/// Waiting on a job that reports no count (a DynamoDB export): a spinner, its status, the time.
const WAITING: &str = "{spinner} {msg} ({elapsed})";

/// How long work goes on before its bar appears: shorter work shows none.
const APPEAR_AFTER: Duration = Duration::from_millis(500);

/// A progress bar on stderr, drawn only when stderr is a terminal, once the work has lasted
/// [`APPEAR_AFTER`].
pub struct Progress {
    bar: ProgressBar,
    phase: String,
    /// Shown after the phase: the capacity budget, when there is one.
    note: String,
    /// Drawn with [`COUNT`]: no rate, no ETA.
    counted: bool,
}

impl Progress {
    /// A bar for `phase`, out of `total` when it is known (a spinner otherwise).
    pub fn new(phase: impl Display, total: Option<u64>) -> Progress {
        // Hidden at first: work done within APPEAR_AFTER flashes no bar.
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let progress = Progress {
            bar,
            phase: phase.to_string(),
            note: String::new(),
            counted: false,
        };
        progress.style(total);
        progress.bar.set_message(progress.phase.clone());
        if Progress::drawn() {
            let bar = progress.bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(APPEAR_AFTER);
                if !bar.is_finished() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(100));
                }
            });
        }
        progress
    }

    /// A spinner for waiting on a job that reports no count; [`Progress::say`] shows its status.
    pub fn waiting(phase: impl Display) -> Progress {
        let progress = Progress::new(phase, None);
        if let Ok(style) = ProgressStyle::with_template(WAITING) {
            progress.bar.set_style(style);
        }
        progress
    }

    /// Shows `text` as the bar's message (a job's status).
    pub fn say(&self, text: impl Display) {
        self.bar.set_message(text.to_string());
    }

    /// Shows `note` after the phase, e.g. "writing (budget 2.5 WCU/s)".
    pub fn note(mut self, note: &str) -> Progress {
        if !note.is_empty() {
            self.note = note.to_string();
            self.bar.set_message(format!("{}{}", self.phase, self.note));
        }
        self
    }

    /// Shows a count kept elsewhere, which moves in jumps: no rate or ETA, the elapsed time.
    pub fn counted(mut self) -> Progress {
        self.counted = true;
        self.style(self.bar.length());
        self
    }

    /// Whether bars are drawn: stderr is a terminal.
    pub fn drawn() -> bool {
        io::stderr().is_terminal()
    }

    fn style(&self, total: Option<u64>) {
        let template = match (total, self.counted) {
            (None, _) => SPINNER,
            (Some(_), true) => COUNT,
            (Some(_), false) => BAR,
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
    }

    /// Shows `done` of `total` in `phase`; a new phase starts a new bar (rate and ETA afresh).
    pub fn show(&mut self, phase: impl Display, done: u64, total: u64) {
        let phase = phase.to_string();
        if phase != self.phase || self.bar.length() != Some(total) {
            // A counted bar keeps its clock: the elapsed time is the whole wait's.
            if phase != self.phase && !self.counted {
                self.bar.reset();
            }
            self.style(Some(total));
            self.bar.set_length(total);
            self.bar.set_message(format!("{phase}{}", self.note));
            self.phase = phase;
        }
        self.bar.set_position(done);
    }

    /// Shows `done` so far (of the total given to [`Progress::new`], if any).
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Adds `n` to what is done.
    pub fn add(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Bar for Progress {
    fn show(&mut self, phase: &str, done: u64, total: u64) {
        Progress::show(self, phase, done, total)
    }
    fn set(&self, done: u64) {
        Progress::set(self, done)
    }
    fn add(&self, n: u64) {
        Progress::add(self, n)
    }
    fn say(&self, text: &str) {
        Progress::say(self, text)
    }
    fn with_note(self, note: &str) -> Progress {
        self.note(note)
    }
    fn counted(self) -> Progress {
        Progress::counted(self)
    }
    fn finish(&self) {
        Progress::finish(self)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error ends the operation early: leave no bar behind the error message.
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_parse() {
        for template in [BAR, SPINNER, COUNT, WAITING] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn a_bar_follows_phases_and_totals() {
        let mut bar = Progress::new("writing", None);
        bar.show("deleting", 5, 10);
        assert_eq!((bar.bar.position(), bar.bar.length()), (5, Some(10)));
        bar.show("writing", 3, 100);
        assert_eq!((bar.bar.position(), bar.bar.length()), (3, Some(100)));
        bar.add(2);
        assert_eq!(bar.bar.position(), 5);
        bar.finish();
        assert!(bar.bar.is_finished());
    }
}
