//! Tabletop exercises: one trial of the Monte Carlo engine, played step by step under a
//! trainer's control, with narration, defender and attacker injects, undo, rewind and
//! branches, scripted exercises and a Markdown transcript for the debrief.
//!
//! - [`command`]: the command language (parse, canonical form, times, help).
//! - [`session`]: the session state: the engine, the control set as changed during play,
//!   and the log of commands that changed the trial. Undo, rewind, branches and load work
//!   by replaying the log on a fresh engine: a trial is a pure function of (scenario,
//!   control set, profile, seed, trial index, log).
//! - [`narrate`]: the engine's journal in plain words.
//! - [`map`]: the estate snapshot (text and SVG).
//! - [`transcript`]: the Markdown transcript and the blast-radius chart.
//! - [`script`]: the exercise format (also the format of saved sessions).
//! - [`play`]: runs a typed line or command, the ones that touch files included, and plays
//!   a script to its end.
//! - [`repl`]: the thin terminal layer (line editing, history, completion; plain lines
//!   when input is a pipe).
//!
//! There is no second simulator: a tabletop trial and batch trial `I` with the same seed
//! and control set are the same trial until the trainer intervenes.

pub mod aar;
pub mod command;
pub mod exercise;
pub mod map;
pub mod narrate;
pub mod play;
pub mod repl;
pub mod script;
pub mod session;
pub mod transcript;

pub use session::{Config, Entry, Reply, Session};

use crate::error::Result;
use crate::limits::Limits;
use crate::pipeline::Prepared;
use std::path::PathBuf;

/// `ztsim tabletop`: the command-line arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct TabletopArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Control set in force at the start: `none`, a scenario set, a preset, or ids joined with `+` (default: the script's, else none).
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: Option<String>,
    /// Attacker profile, replacing the scenario's: opportunistic, ransomware, apt, insider.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Master seed (default: the script's, else the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Which trial of that seed to play (batch trial I plays the same attacker).
    #[arg(long)]
    pub trial: Option<u64>,
    /// Play an exercise script without interaction (YAML: title, objectives, steps of {at, do, note}).
    #[arg(long, value_name = "EXERCISE.yaml")]
    pub script: Option<PathBuf>,
    /// Write the Markdown transcript here when the session ends.
    #[arg(long, value_name = "FILE.md")]
    pub transcript: Option<PathBuf>,
    /// Start in god view: narrate every attacker action, not only alerts.
    #[arg(long)]
    pub god_view: bool,
}

/// Runs `ztsim tabletop`: loads the scenario (and script), then plays interactively or
/// runs the script, and writes the transcript.
pub fn main(a: &TabletopArgs) -> Result<()> {
    let limits = Limits::default();
    let script = match &a.script {
        Some(p) => Some(script::load(p, &limits)?),
        None => None,
    };
    let ex = script.as_ref().map(|s| &s.exercise);
    let mut prep = Prepared::from_file(&a.scenario, &limits)?;
    let profile = a
        .profile
        .clone()
        .or_else(|| ex.and_then(|e| e.profile.clone()));
    if let Some(p) = &profile {
        prep.set_profile(p)?;
    }
    for w in &prep.loaded.warnings {
        eprintln!(
            "{}",
            crate::report::terminal_safe(&w.render(&prep.loaded.origin))
        );
    }
    let cfg = Config {
        scenario: a.scenario.display().to_string(),
        controls: a
            .controls
            .clone()
            .or_else(|| ex.and_then(|e| e.controls.clone()))
            .unwrap_or_else(|| "none".into()),
        profile,
        seed: a
            .seed
            .or_else(|| ex.and_then(|e| e.seed))
            .unwrap_or(prep.loaded.scenario.simulation.seed),
        trial: a.trial.or_else(|| ex.and_then(|e| e.trial)).unwrap_or(0),
    };
    let mut s = Session::new(prep, cfg)?;
    s.god = a.god_view;
    let played = play(&mut s, script.as_ref());
    // The transcript is written on every way out of the session, an error included: what
    // was played is the facilitator's record.
    if let Some(t) = &a.transcript {
        let written = crate::output::write_atomic(t, transcript::markdown(&s, None).as_bytes());
        if written.is_ok() {
            eprintln!(
                "wrote the transcript to {}",
                crate::report::terminal_safe(&t.display().to_string())
            );
        }
        played?;
        return written;
    }
    played
}

/// Plays the session: the exercise script when there is one, else the prompt.
fn play(s: &mut Session, script: Option<&script::Script>) -> Result<()> {
    match script {
        Some(sc) => {
            sc.validate(s)?;
            s.exercise = Some(sc.info());
            let mut out = std::io::stdout().lock();
            let intro = s.intro();
            std::io::Write::write_all(&mut out, intro.as_bytes())
                .map_err(|e| crate::Error::Usage(format!("writing output: {e}")))?;
            play::run_script(s, sc, &mut out)
        }
        None => repl::run(s),
    }
}
