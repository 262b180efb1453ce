//! Progress of a long run: a bar with an ETA (indicatif) on a terminal, plain periodic lines
//! when standard error is a file or a pipe (batch jobs, CI logs). The runner only calls the
//! [`Progress`] trait; what is printed is chosen by the command line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the runner reports. Called from worker threads.
pub trait Progress: Sync {
    /// A run of `cells` cells and `trials` trials starts.
    fn start(&self, _cells: usize, _trials: u64) {}
    /// `trials` more trials finished.
    fn advance(&self, _trials: u64) {}
    /// One more cell finished (and was checkpointed).
    fn cell_done(&self) {}
    /// The run is over (finished or failed); clear the bar.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Progress on standard error.
pub struct StderrProgress {
    label: String,
    bar: Option<ProgressBar>,
    interval: Duration,
    started: Mutex<Option<Instant>>,
    last: Mutex<Instant>,
    totals: Mutex<(usize, u64)>,
    trials: AtomicU64,
    cells: AtomicUsize,
}

impl StderrProgress {
    /// A bar when standard error is a terminal, else a line every `interval`.
    pub fn new(label: &str, interval: Duration) -> StderrProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            // Hidden until `start` knows the totals: no "0/0 trials" first frame.
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} trials, {msg}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_prefix(label.to_string());
            b
        });
        StderrProgress {
            label: label.to_string(),
            bar,
            interval,
            started: Mutex::new(None),
            last: Mutex::new(Instant::now()),
            totals: Mutex::new((0, 0)),
            trials: AtomicU64::new(0),
            cells: AtomicUsize::new(0),
        }
    }

    fn line(&self, done: bool) {
        let (cells, trials) = self.totals.lock().map(|t| *t).unwrap_or((0, 0));
        let t = self.trials.load(Ordering::Relaxed);
        let c = self.cells.load(Ordering::Relaxed);
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|s| *s)
            .map_or(0.0, |s| s.elapsed().as_secs_f64());
        let pct = if trials > 0 {
            100.0 * t as f64 / trials as f64
        } else {
            100.0
        };
        let eta = if t > 0 && t < trials {
            format!(
                ", ETA {}",
                duration(elapsed * (trials - t) as f64 / t as f64)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}: {}{pct:.1}% ({t}/{trials} trials, {c}/{cells} cells), {} elapsed{eta}",
            self.label,
            if done { "done, " } else { "" },
            duration(elapsed)
        );
    }
}

fn duration(s: f64) -> String {
    let s = s.max(0.0);
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

impl Progress for StderrProgress {
    fn start(&self, cells: usize, trials: u64) {
        if let Ok(mut t) = self.totals.lock() {
            *t = (cells, trials);
        }
        if let Ok(mut s) = self.started.lock() {
            *s = Some(Instant::now());
        }
        if let Ok(mut l) = self.last.lock() {
            *l = Instant::now();
        }
        match &self.bar {
            Some(b) => {
                b.set_length(trials);
                b.set_message(format!("0/{cells} cells"));
                b.reset_eta();
                b.set_draw_target(ProgressDrawTarget::stderr());
            }
            None => self.line(false),
        }
    }

    fn advance(&self, trials: u64) {
        self.trials.fetch_add(trials, Ordering::Relaxed);
        match &self.bar {
            Some(b) => b.inc(trials),
            None => {
                let due = self
                    .last
                    .try_lock()
                    .map(|mut l| {
                        if l.elapsed() >= self.interval {
                            *l = Instant::now();
                            true
                        } else {
                            false
                        }
                    })
                    .unwrap_or(false);
                if due {
                    self.line(false);
                }
            }
        }
    }

    fn cell_done(&self) {
        let c = self.cells.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(b) = &self.bar {
            let cells = self.totals.lock().map(|t| t.0).unwrap_or(0);
            b.set_message(format!("{c}/{cells} cells"));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        self.line(true);
    }
}
