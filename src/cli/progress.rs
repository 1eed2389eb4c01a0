//! Progress on stderr for long operations, drawn only when stderr is a terminal.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// A one-line progress indicator on stderr, drawn only when stderr is a terminal.
pub struct Progress {
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Progress {
    const EVERY: Duration = Duration::from_millis(100);

    /// A bar on stderr, drawn only when stderr is a terminal.
    pub fn new() -> Progress {
        Progress {
            enabled: io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    /// Shows `done` of `total` in `phase`.
    pub fn show(&mut self, phase: impl Display, done: u64, total: u64, with_rate: bool) {
        if !self.enabled || total == 0 {
            return;
        }
        let now = Instant::now();
        if done < total && self.last.is_some_and(|t| now - t < Self::EVERY) {
            return;
        }
        self.last = Some(now);
        const WIDTH: u64 = 30;
        let filled = (done.min(total) * WIDTH / total) as usize;
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let mut err = io::stderr().lock();
        let _ = write!(
            err,
            "\r{phase:>18} [{}{}] {done}/{total} ({:.0}%)",
            "#".repeat(filled),
            " ".repeat(WIDTH as usize - filled),
            done as f64 * 100.0 / total as f64,
        );
        if with_rate {
            let _ = write!(err, " {rate:.0}/s ");
        }
        let _ = err.flush();
        self.drawn = true;
        if done >= total {
            self.started = Instant::now();
        }
    }

    /// Ends the line the bar was drawn on.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(io::stderr());
            self.drawn = false;
        }
    }
}
