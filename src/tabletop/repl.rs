//! The terminal layer, kept thin: read a line, hand it to the [`Session`], print the reply.
//! On a terminal: line editing, history and tab completion of commands, asset ids, control
//! ids and branch names (rustyline), a prompt with the clock, and colour. On a pipe: plain
//! lines until end of input, each echoed as `> line` so that the output reads as a
//! transcript, and no prompt or colour.

use super::command::{COMMANDS, fmt_time};
use super::session::Session;
use crate::error::{Error, Result};
use crate::model::AssetKind;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::io::{BufRead, IsTerminal, Write};

/// Words the completer offers after each command.
#[derive(Default)]
pub(crate) struct Completions {
    assets: Vec<(String, AssetKind, bool)>,
    controls: Vec<String>,
    pub branches: Vec<String>,
}

impl Completions {
    pub(crate) fn of(s: &Session) -> Completions {
        let est = s.estate();
        let assets = est
            .nodes
            .iter()
            .filter(|n| n.virtual_kind.is_none() && n.id != "internet")
            .map(|n| (n.id.clone(), n.kind, n.segment != crate::estate::INTERNET))
            .collect();
        Completions {
            assets,
            controls: s.catalog().controls.iter().map(|c| c.id.clone()).collect(),
            branches: s.branch_names(),
        }
    }

    fn ids(&self, f: impl Fn(AssetKind, bool) -> bool) -> Vec<String> {
        self.assets
            .iter()
            .filter(|(_, k, placed)| f(*k, *placed))
            .map(|(id, _, _)| id.clone())
            .collect()
    }

    /// Candidates for word number `index` (0 = the command) after `words`.
    pub fn candidates(&self, words: &[&str], index: usize) -> Vec<String> {
        if index == 0 {
            return COMMANDS.iter().map(|c| c.0.to_string()).collect();
        }
        let cmd = words.first().copied().unwrap_or("");
        match (cmd, index) {
            ("isolate", 1) => self.ids(|k, _| k != AssetKind::Segment),
            ("disable" | "reset" | "revoke", 1) => self.ids(|k, _| k.is_identity()),
            ("block", 1) => self.ids(|k, placed| k == AssetKind::Segment || placed),
            ("phish", 1) => self.ids(|k, _| k.is_human()),
            ("exploit", 1) => self.ids(|k, _| k.is_app() || k.is_device() || k.is_infra()),
            ("foothold", 1) => self.ids(|k, _| k.gives_foothold()),
            ("insider", 1) => self.ids(|k, _| k.is_identity() && k != AssetKind::Group),
            ("insider", 2) => self.ids(|k, _| k.is_device()),
            ("enable" | "disable-control", 1) => self.controls.clone(),
            ("enable", _) => self.ids(|_, _| true),
            ("run", 1) => vec!["until".into()],
            ("run", 2) => vec!["detection".into(), "crown-jewel".into(), "time".into()],
            ("switch", 1) => self.branches.clone(),
            ("god", 1) => vec!["on".into(), "off".into()],
            ("help", 1) => COMMANDS.iter().map(|c| c.0.to_string()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The rustyline helper: completion only.
pub(crate) struct TabletopHelper {
    pub words: Completions,
}

impl Completer for TabletopHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = &line[..pos];
        let start = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let prefix = &head[start..];
        let words: Vec<&str> = head[..start].split_whitespace().collect();
        let mut c: Vec<Pair> = self
            .words
            .candidates(&words, words.len())
            .into_iter()
            .filter(|w| w.starts_with(prefix))
            .map(|w| Pair {
                display: w.clone(),
                replacement: format!("{w} "),
            })
            .collect();
        c.sort_by(|a, b| a.display.cmp(&b.display));
        c.dedup_by(|a, b| a.display == b.display);
        Ok((start, c))
    }
}

impl Hinter for TabletopHelper {
    type Hint = String;
}
impl Highlighter for TabletopHelper {}
impl Validator for TabletopHelper {}
impl Helper for TabletopHelper {}

fn colour(text: &str) -> String {
    let mut o = String::new();
    for l in text.lines() {
        let code = if l.get(10..).is_some_and(|r| r.starts_with("ALERT")) {
            Some("31;1")
        } else if l
            .get(10..)
            .is_some_and(|r| r.starts_with("DEFENDER") || r.starts_with("RESPONSE"))
        {
            Some("34")
        } else if l.get(10..).is_some_and(|r| r.starts_with("CROWN JEWEL")) {
            Some("35;1")
        } else if l.get(10..).is_some_and(|r| r.starts_with("(")) || l.contains("  -- blast radius")
        {
            Some("2")
        } else if l.starts_with("error:") {
            Some("31")
        } else {
            None
        };
        match code {
            Some(c) => o.push_str(&format!("\x1b[{c}m{l}\x1b[0m\n")),
            None => {
                o.push_str(l);
                o.push('\n');
            }
        }
    }
    o
}

/// Plays a session on standard input and output until `quit` or end of input.
pub fn run(s: &mut Session) -> Result<()> {
    let io = |e: std::io::Error| Error::Usage(format!("terminal: {e}"));
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mut out = std::io::stdout();
    out.write_all(s.intro().as_bytes()).map_err(io)?;
    if !interactive {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut raw = Vec::new();
        for number in 1.. {
            raw.clear();
            if input.read_until(b'\n', &mut raw).map_err(io)? == 0 {
                break;
            }
            // A line that is not UTF-8 is refused on its own; the session goes on.
            let Ok(line) = std::str::from_utf8(&raw) else {
                writeln!(
                    out,
                    "error: input line {number} is not UTF-8 text; ignored (save the input as UTF-8)"
                )
                .map_err(io)?;
                continue;
            };
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            writeln!(out, "> {}", crate::report::terminal_safe(trimmed)).map_err(io)?;
            let r = s.execute(trimmed);
            out.write_all(crate::report::terminal_safe(&r.text).as_bytes())
                .map_err(io)?;
            if r.quit {
                break;
            }
        }
        return out.flush().map_err(io);
    }
    let mut ed = rustyline::Editor::<TabletopHelper, rustyline::history::DefaultHistory>::new()
        .map_err(|e| Error::Usage(format!("terminal: {e}")))?;
    ed.set_helper(Some(TabletopHelper {
        words: Completions::of(s),
    }));
    loop {
        let prompt = format!("{}> ", fmt_time(s.now()));
        match ed.readline(&prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if trimmed.is_empty() {
                    continue;
                }
                let _ = ed.add_history_entry(trimmed);
                let r = s.execute(trimmed);
                // anstream drops the colours under NO_COLOR (and CLICOLOR=0).
                anstream::AutoStream::auto(&mut out)
                    .write_all(colour(&crate::report::terminal_safe(&r.text)).as_bytes())
                    .map_err(io)?;
                out.flush().map_err(io)?;
                if let Some(h) = ed.helper_mut() {
                    h.words.branches = s.branch_names();
                }
                if r.quit {
                    break;
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                writeln!(out, "(interrupted: type `quit` to leave)").map_err(io)?;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(Error::Usage(format!("terminal: {e}"))),
        }
    }
    Ok(())
}
