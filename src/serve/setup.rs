//! From an exercise file to a room: load and check the exercise and its scenario, then
//! start a new journal or resume the one in the state directory.

use super::ServeArgs;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::Prepared;
use crate::room::store::{Header, Store};
use crate::room::{Info, Room, Tokens};
use crate::tabletop::exercise;
use crate::tabletop::script::{self, Script};
use crate::tabletop::session::{Config, Session};
use std::path::{Path, PathBuf};

/// A room ready to serve, and how it came to be.
pub struct Opened {
    /// The room, journal attached.
    pub room: Room,
    /// Requests replayed from an existing journal (0: a new session).
    pub resumed: usize,
    /// The journal's path.
    pub journal: PathBuf,
    /// The scenario file played.
    pub scenario: PathBuf,
}

fn hash_file(p: &Path) -> Result<String> {
    let bytes = std::fs::read(p).map_err(|cause| Error::Read {
        path: p.to_path_buf(),
        cause,
    })?;
    Ok(format!("{:016x}", crate::rng::fnv1a(&bytes)))
}

/// The scenario an exercise names: as written from the working directory, else from the
/// exercise file's directory.
fn scenario_path(sc: &Script, file: &Path) -> Result<PathBuf> {
    let Some(s) = &sc.exercise.scenario else {
        return Err(sc.error_at(
            "scenario",
            "a served exercise names its scenario (`scenario: scenarios/flat-ad.yaml`), or pass --scenario",
        ));
    };
    let direct = PathBuf::from(s);
    if direct.exists() {
        return Ok(direct);
    }
    // Beside the exercise, or beside one of its folders (`scenarios/exercises/x.yaml`
    // names `scenarios/flat-ad.yaml` from the repository's root).
    let mut dir = file.parent();
    while let Some(d) = dir {
        let p = d.join(s);
        if p.exists() {
            return Ok(p);
        }
        dir = d.parent();
    }
    Err(sc.error_at(
        "scenario",
        format!("no file `{s}` from the working directory or beside the exercise"),
    ))
}

/// A session on the exercise's scenario, its live part checked against the scenario.
fn session(sc: &Script, scenario: &Path, limits: &Limits) -> Result<Session> {
    let ex = &sc.exercise;
    if ex.roles.is_empty() {
        return Err(sc.error_at(
            "roles",
            "a served exercise needs `roles:` (who plays, what each sees and may do)",
        ));
    }
    let mut prep = Prepared::from_file(scenario, limits)?;
    if let Some(p) = &ex.profile {
        prep.set_profile(p)?;
    }
    let cfg = Config {
        scenario: scenario.display().to_string(),
        controls: ex.controls.clone().unwrap_or_else(|| "none".into()),
        profile: ex.profile.clone(),
        seed: ex.seed.unwrap_or(prep.loaded.scenario.simulation.seed),
        trial: ex.trial.unwrap_or(0),
    };
    let mut s = Session::new(prep, cfg)?;
    s.exercise = Some(sc.info());
    exercise::check_against(&ex.live(), &s).map_err(|d| sc.error_at(&d.path, d.message))?;
    Ok(s)
}

/// Opens the room: a new session with fresh tokens, or the journal's session replayed.
pub fn open(a: &ServeArgs) -> Result<Opened> {
    let limits = Limits::default();
    let sc = script::load(&a.exercise, &limits)?;
    let scenario = match &a.scenario {
        Some(p) => p.clone(),
        None => scenario_path(&sc, &a.exercise)?,
    };
    let s = session(&sc, &scenario, &limits)?;
    let live = sc.exercise.live();
    let info = Info {
        title: sc.exercise.title.clone(),
        objectives: sc.exercise.objectives.clone(),
        duration: sc.exercise.duration.clone(),
        notes: sc.exercise.facilitator_notes.clone(),
    };
    let dir = a.state_dir.clone().unwrap_or_else(|| {
        let stem = a
            .exercise
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "exercise".into());
        PathBuf::from(format!("{stem}.session"))
    });
    std::fs::create_dir_all(&dir).map_err(|cause| Error::Write {
        path: dir.clone(),
        cause,
    })?;
    let journal = Store::path_in(&dir);
    let exercise_hash = hash_file(&a.exercise)?;
    let scenario_hash = hash_file(&scenario)?;
    let storage = |e: crate::room::store::StoreError| Error::Usage(e.to_string());
    if journal.exists() {
        let (store, header, reqs) = Store::open(&journal).map_err(storage)?;
        for (what, was, is) in [
            ("exercise", &header.exercise_hash, &exercise_hash),
            ("scenario", &header.scenario_hash, &scenario_hash),
        ] {
            if was != is {
                return Err(Error::Usage(format!(
                    "{}: the {what} file changed since this session began; resume with the file as it was, or start a new session with another --state-dir",
                    journal.display()
                )));
            }
        }
        let mut room = Room::new(s, live, info, header.tokens)
            .map_err(|e| Error::Usage(format!("{}: {}", journal.display(), e.message)))?;
        let n = reqs.len();
        room.replay(reqs)
            .map_err(|e| Error::Usage(format!("{}: {}", journal.display(), e.message)))?;
        room.attach(store);
        return Ok(Opened {
            room,
            resumed: n,
            journal,
            scenario,
        });
    }
    let tokens = Tokens::fresh(&live);
    let header = Header {
        ztsim_session: 1,
        exercise: a.exercise.display().to_string(),
        exercise_hash,
        scenario_hash,
        tokens: tokens.clone(),
    };
    let mut room = Room::new(s, live, info, tokens).map_err(|e| Error::Usage(e.message))?;
    room.attach(Store::create(&journal, &header).map_err(storage)?);
    Ok(Opened {
        room,
        resumed: 0,
        journal,
        scenario,
    })
}
