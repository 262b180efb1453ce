//! Progress on standard error for the commands that may take more than a second: a trial
//! bar for Monte Carlo runs, a spinner with the elapsed time for the analyses. Both stay
//! hidden when standard error is not a terminal (pipes, CI logs, batch jobs), so logs and
//! captured output never carry them.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

fn visible() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar counting trials, cleared when dropped.
pub struct TrialBar(ProgressBar);

impl TrialBar {
    /// A bar labelled `label`; hidden unless standard error is a terminal.
    pub fn new(label: &str) -> TrialBar {
        // Hidden until `start` knows the total: no "0/0 trials" first frame.
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        b.set_style(
            ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} trials, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_prefix(label.to_string());
        TrialBar(b)
    }
}

impl ztsim::montecarlo::Observer for TrialBar {
    fn start(&self, trials: u64) {
        self.0.set_length(trials);
        if visible() {
            self.0.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
    fn done(&self, trials: u64) {
        self.0.inc(trials);
    }
}

impl Drop for TrialBar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A spinner saying what is being done and for how long, cleared when dropped.
pub struct Spinner(ProgressBar);

impl Spinner {
    /// Starts spinning with `what` (e.g. "ranking choke points"); hidden unless standard
    /// error is a terminal.
    pub fn new(what: &str) -> Spinner {
        if !visible() {
            return Spinner(ProgressBar::hidden());
        }
        let s = ProgressBar::new_spinner();
        s.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        s.set_message(what.to_string());
        s.enable_steady_tick(Duration::from_millis(120));
        Spinner(s)
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
