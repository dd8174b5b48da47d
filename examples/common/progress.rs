//! The binaries' progress bar: indicatif on stderr, drawn only when stderr
//! is a terminal and the user did not ask for quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar labelled with the program's name, fed by the library's progress callback.
pub struct Progress(ProgressBar);

impl Progress {
    /// A bar for `program`; hidden when `enabled` is false or stderr is not a terminal.
    pub fn new(program: &str, enabled: bool) -> Self {
        let bar = if enabled {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{program} [{{bar:30}}] {{percent:>3}}% {{pos}}/{{len}} {{elapsed}}"
        )) {
            bar.set_style(style.progress_chars("#>."));
        }
        Progress(bar)
    }

    /// `done` of `total`.
    pub fn update(&self, done: usize, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(done as u64);
    }

    /// Print `line` on stderr above the bar.
    pub fn say(&self, line: &str) {
        self.0.suspend(|| eprintln!("{line}"));
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
