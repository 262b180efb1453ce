//! Playing a session: a typed line or a parsed command, including the commands that read or
//! write files (map, save, load, export), and a whole exercise script. This sits above
//! [`super::session`], [`super::map`], [`super::script`] and [`super::transcript`], so
//! none of them depends on another's caller.

use super::command::{self, Command, fmt_time};
use super::script::{self, Script};
use super::session::{Entry, Reply, Session};
use super::{map, transcript};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

impl Session {
    /// Runs one typed line.
    pub fn execute(&mut self, line: &str) -> Reply {
        match command::parse(line) {
            Ok(None) => Reply::default(),
            Ok(Some(cmd)) => self.run(cmd, None),
            Err(m) => Reply::err(m),
        }
    }

    /// Runs one parsed command (with a facilitator note, from a script).
    pub fn run(&mut self, cmd: Command, note: Option<String>) -> Reply {
        match cmd {
            Command::Map(_) | Command::Save(_) | Command::Load(_) | Command::Export(_) => {
                if let Err(m) = self.check(&cmd) {
                    return Reply::err(m);
                }
                run_with_files(self, cmd)
            }
            _ => self.run_in_memory(cmd, note),
        }
    }
}

/// Runs a command that reads or writes a file: `map` (the SVG), `save`, `load`, `export`.
fn run_with_files(s: &mut Session, cmd: Command) -> Reply {
    match cmd {
        Command::Map(file) => {
            let mut text = map::text(s, s.god);
            if let Some(f) = file {
                let svg = map::svg(s, s.god);
                if let Err(e) = crate::output::write_atomic(Path::new(&f), svg.as_bytes()) {
                    return Reply::err(e.to_string());
                }
                text.push_str(&format!("wrote {f}\n"));
            }
            Reply::ok(crate::report::terminal_safe(&text))
        }
        Command::Save(f) => {
            let text = script::to_yaml(s);
            match crate::output::write_atomic(Path::new(&f), text.as_bytes()) {
                Ok(()) => Reply::ok(format!(
                    "Saved {} decision(s) of branch `{}` to {f}.\n",
                    s.log().len(),
                    s.branch()
                )),
                Err(e) => Reply::err(e.to_string()),
            }
        }
        Command::Load(f) => match script::load_into(s, Path::new(&f)) {
            Ok(n) => Reply::ok(format!("Loaded {n} decision(s) from {f}.\n{}", s.footer(0))),
            Err(e) => Reply::err(e.to_string()),
        },
        Command::Export(d) => match transcript::export(s, Path::new(&d)) {
            Ok(files) => Reply::ok(format!("Wrote {} into {d}.\n", files.join(", "))),
            Err(e) => Reply::err(e.to_string()),
        },
        other => s.run_in_memory(other, None),
    }
}

/// Plays a script to its end, writing the narration to `out`.
pub fn run_script(s: &mut Session, script: &Script, out: &mut dyn Write) -> Result<()> {
    let io = |e: std::io::Error| Error::Usage(format!("writing output: {e}"));
    let e = &script.exercise;
    writeln!(out, "Exercise: {}", crate::report::terminal_safe(&e.title)).map_err(io)?;
    for o in &e.objectives {
        writeln!(out, "  objective: {}", crate::report::terminal_safe(o)).map_err(io)?;
    }
    for (i, (step, cmd)) in e.steps.iter().zip(&script.commands).enumerate() {
        // A step whose time has passed (a `run until` went further) happens now.
        writeln!(
            out,
            "> [{}] {}",
            fmt_time(step.at.max(s.now())),
            crate::report::terminal_safe(&cmd.to_string())
        )
        .map_err(io)?;
        if let Some(n) = &step.note {
            for l in n.lines() {
                writeln!(out, "  note: {}", crate::report::terminal_safe(l)).map_err(io)?;
            }
        }
        let path = format!("steps[{i}].do");
        let reply = if cmd.is_logged() || cmd.is_display() {
            // Display steps are logged too, as no-ops: the clock moves to their time and the
            // transcript keeps their notes.
            let entry = Entry {
                at: step.at,
                cmd: cmd.clone(),
                note: step.note.clone(),
                until: step.until,
            };
            s.apply(entry).map_err(|m| script.error_at(&path, m))?;
            let mut text = s.render_last();
            if cmd.is_display() {
                let r = s.run(cmd.clone(), None);
                if r.error {
                    return Err(script.error_at(&path, r.text.trim().trim_start_matches("error: ")));
                }
                text.push_str(&r.text);
            }
            text
        } else {
            let r = s.run(cmd.clone(), None);
            if r.error {
                return Err(script.error_at(&path, r.text.trim().trim_start_matches("error: ")));
            }
            r.text
        };
        write!(out, "{}", crate::report::terminal_safe(&reply)).map_err(io)?;
    }
    writeln!(out, "End of exercise at {}.", fmt_time(s.now())).map_err(io)?;
    Ok(())
}
