//! The pace of the tools that call Cognito in bulk (`cognito-export`, `cognito-import`): the
//! request rates a run is given (`--rate`, `--stall-timeout`) turned into the pacer that holds
//! them, and said in words for a summary line.

use std::time::Duration;

pub use crate::cognito::rate::RateSetting;
use crate::cognito::rate::{Pacer, Rates};
use crate::config::Target;

/// How long one throttled request may wait before the run fails, by default.
const DEFAULT_STALL_SECS: u64 = 300;

/// The rates a bulk Cognito run is given.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// Fractions of the default quotas, or one category's rate; later values win.
    pub settings: Vec<RateSetting>,
    /// Seconds a throttled request may wait (default 300).
    pub stall_timeout: Option<u64>,
}

impl Pace {
    /// The rates for `target`: the default quotas on prod, unpaced on local, then the settings.
    pub fn rates(&self, target: Target) -> Rates {
        let base = match target {
            Target::Prod => Rates::quotas(),
            Target::Local => Rates::unlimited(),
        };
        Rates::with_settings(base, &self.settings)
    }

    /// The pacer for `target`.
    pub fn pacer(&self, target: Target) -> Pacer {
        let stall = self.stall_timeout.unwrap_or(DEFAULT_STALL_SECS);
        Pacer::new(self.rates(target), Duration::from_secs(stall))
    }

    /// The pace in words, for a summary line: "unpaced" or "paced at UserCreation 50/s, ...".
    pub fn describe(&self, target: Target) -> String {
        let rates = self.rates(target);
        if rates == Rates::unlimited() {
            "unpaced".to_string()
        } else {
            format!("paced at {rates}")
        }
    }
}
