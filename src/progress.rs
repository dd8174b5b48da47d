//! A progress bar on stderr. Deprecated: the library's runs report
//! progress as events through their callbacks and draw nothing; the
//! binaries draw those events with `indicatif`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A one-line progress bar drawn on stderr, only when stderr is a terminal
/// (and the caller did not ask for quiet); otherwise it does nothing.
///
/// ```
/// # #![allow(deprecated)]
/// let progress = terralux::progress::Progress::new("zonal", false); // disabled
/// progress.update(3, 10);
/// progress.finish();
/// ```
pub struct Progress {
    label: String,
    enabled: bool,
    state: Mutex<(Instant, Instant)>,
}

impl Progress {
    /// A bar labelled `label`; drawn when `enabled` and stderr is a terminal.
    pub fn new(label: &str, enabled: bool) -> Self {
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            enabled: enabled && std::io::stderr().is_terminal(),
            state: Mutex::new((now, now - Duration::from_secs(1))),
        }
    }

    /// Show `done` of `total` (redrawn at most ten times a second).
    pub fn update(&self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        if now.duration_since(state.1) < Duration::from_millis(100) && done < total {
            return;
        }
        state.1 = now;
        let share = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let width = 30;
        let filled = ((share * width as f64).round() as usize).min(width);
        let elapsed = now.duration_since(state.0).as_secs_f64();
        let _ = write!(
            std::io::stderr(),
            "\r{} [{}{}] {:5.1}% {done}/{total} {elapsed:.1}s",
            self.label,
            "#".repeat(filled),
            ".".repeat(width - filled),
            share * 100.0
        );
    }

    /// End the line.
    pub fn finish(&self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr());
        }
    }
}
