//! The Markdown transcript of a session (the debrief document): the setting, the exercise,
//! the trainer's decisions, the full timeline (marking what the defenders saw), the outcome,
//! and the final snapshot; plus the blast-radius chart as SVG. Everything is derived from
//! the session's log and the trial's journal, so it always matches the current branch and
//! is byte-identical for the same commands.

use super::command::fmt_time;
use super::map;
use super::narrate::{self, Line, Tag};
use super::session::{Entry, Session};
use crate::error::Result;
use crate::sim::Happening;
use std::fmt::Write;
use std::path::Path;

/// Makes untrusted text safe inside Markdown (and a table cell): no control characters, no
/// HTML, no links or images, no cell breaks. Every `[` is escaped, so no text can open a
/// link, an image or a link reference definition (`[x]: javascript:...` at the start of a
/// list item or quoted line).
pub fn md(s: &str) -> String {
    let s = crate::report::terminal_safe(s).replace('\n', " ");
    let mut o = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '|' => o.push_str("\\|"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '`' => o.push_str("\\`"),
            '[' => o.push_str("\\["),
            '(' if prev == ']' => o.push_str("\\("),
            c => o.push(c),
        }
        prev = c;
    }
    o
}

fn seen(tag: Tag) -> &'static str {
    match tag {
        Tag::Alert => "**alert**",
        Tag::Unseen => "unseen",
        Tag::Aborted => "unseen (cut short)",
        Tag::Gain => "inject",
        Tag::CrownJewel => "unseen",
        Tag::Effect => "unseen",
        Tag::Defender => "defender action",
        Tag::Response => "SOC response",
        Tag::Info => "",
    }
}

/// The blast radius over time: (hours, compromised count) at each change.
pub fn blast_series(s: &Session) -> Vec<(f64, u32)> {
    let est = s.estate();
    let st = s.state();
    let first = narrate::first_gains(est.nodes.len(), &st.journal);
    let mut v = vec![(0.0, 0u32)];
    let mut c = 0u32;
    for (i, j) in st.journal.iter().enumerate() {
        if let Happening::Gained { node, .. } = j.what
            && first[node as usize] == i
            && est.node(node).counts()
        {
            c += 1;
            match v.last_mut() {
                Some(last) if last.0 == j.t => last.1 = c,
                _ => v.push((j.t, c)),
            }
        }
    }
    v
}

/// The Markdown transcript. `images` names the snapshot and chart files to link, if any.
pub fn markdown(s: &Session, images: Option<(&str, &str)>) -> String {
    let mut o = String::new();
    setting(&mut o, s);
    exercise(&mut o, s);
    let history = s.history();
    decisions(&mut o, &history);
    timeline(&mut o, s, &history);
    outcome(&mut o, s);
    at_the_end(&mut o, s, images);
    o
}

/// One log entry with when it took effect, and the lines before and after it.
type Step = (Entry, f64, Vec<Line>, Vec<Line>);

/// A command as a Markdown code span inside a table cell.
fn command_cell(e: &Entry) -> String {
    e.cmd.to_string().replace('`', "'").replace('|', "/")
}

/// The title and the setting: scenario, controls, attacker, seed, branch, clock.
fn setting(o: &mut String, s: &Session) {
    let est = s.estate();
    let st = s.state();
    let cfg = &s.cfg;
    let title = s
        .exercise
        .as_ref()
        .map(|e| e.title.clone())
        .unwrap_or_else(|| format!("Tabletop exercise on {}", est.name));
    let _ = writeln!(o, "# {}\n", md(&title));
    let _ = writeln!(o, "| Setting | |\n|---|---|");
    let _ = writeln!(
        o,
        "| Scenario | {} ({}) |",
        md(&est.name),
        md(&cfg.scenario)
    );
    let _ = writeln!(o, "| Control set | {} |", md(&s.controls_words()));
    let _ = writeln!(
        o,
        "| Attacker | {}: {} |",
        md(&est.profile.name),
        md(&est.profile.description)
    );
    let _ = writeln!(o, "| Seed, trial | {}, {} |", cfg.seed, cfg.trial);
    let _ = writeln!(o, "| Branch | {} |", md(s.branch()));
    let _ = writeln!(o, "| Horizon | {} |", fmt_time(est.horizon_hours));
    let _ = writeln!(
        o,
        "| Clock at the end | {} ({}) |\n",
        fmt_time(st.now),
        match st.ended {
            None => "attack still under way".to_string(),
            Some(r) => format!("attack over: {}", r.name()),
        }
    );
}

/// The exercise's header, when a script is played: audience, objectives, notes.
fn exercise(o: &mut String, s: &Session) {
    let Some(e) = &s.exercise else {
        return;
    };
    let _ = writeln!(o, "## The exercise\n");
    if let Some(a) = &e.audience {
        let _ = writeln!(o, "- **Audience:** {}", md(a));
    }
    if let Some(d) = &e.duration {
        let _ = writeln!(o, "- **Duration:** {}", md(d));
    }
    let _ = writeln!(o, "- **Script:** {}", md(&e.file));
    if !e.objectives.is_empty() {
        let _ = writeln!(o, "\n**Learning objectives**\n");
        for x in &e.objectives {
            let _ = writeln!(o, "1. {}", md(x));
        }
    }
    if let Some(n) = &e.facilitator_notes {
        let _ = writeln!(o, "\n**Facilitator notes**\n");
        for l in n.lines() {
            let _ = writeln!(o, "> {}", md(l));
        }
    }
    o.push('\n');
}

/// The table of the trainer's decisions and script steps.
fn decisions(o: &mut String, history: &[Step]) {
    let _ = writeln!(o, "## The trainer's decisions and script steps\n");
    if history.is_empty() {
        let _ = writeln!(o, "None.\n");
        return;
    }
    let _ = writeln!(o, "| # | Time | Command | Note |\n|---|---|---|---|");
    for (i, (e, applied, _, _)) in history.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {} | {} | `{}` | {} |",
            i + 1,
            fmt_time(*applied),
            command_cell(e),
            md(e.note.as_deref().unwrap_or(""))
        );
    }
    o.push('\n');
}

/// Everything that happened, in order, with what the defenders saw of it.
fn timeline(o: &mut String, s: &Session, history: &[Step]) {
    let _ = writeln!(
        o,
        "## Timeline\n\nEverything that happened. *Seen by defenders* says what the defenders' view showed: alerts, their own actions and the SOC's responses; everything marked unseen was visible only in god view.\n"
    );
    let _ = writeln!(o, "| Time | Seen by defenders | Event |\n|---|---|---|");
    let row = |o: &mut String, l: &Line| {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            fmt_time(l.t),
            seen(l.tag),
            md(&l.text)
        );
    };
    for l in s.opening() {
        row(o, &l);
    }
    for (i, (e, applied, before, after)) in history.iter().enumerate() {
        // What happened while the clock moved to the step's time comes first.
        for l in before {
            row(o, l);
        }
        let _ = writeln!(
            o,
            "| {} | trainer | **{}: `{}`**{} |",
            fmt_time(*applied),
            i + 1,
            command_cell(e),
            e.note
                .as_deref()
                .map(|n| format!(" — {}", md(n)))
                .unwrap_or_default()
        );
        for l in after {
            row(o, l);
        }
    }
    o.push('\n');
}

/// The trial's outcome: blast radius, crown jewels, steps, data, containment.
fn outcome(o: &mut String, s: &Session) {
    let est = s.estate();
    let st = s.state();
    let m = &st.m;
    let _ = writeln!(o, "## Outcome\n");
    let _ = writeln!(
        o,
        "- Blast radius: **{}** asset(s) compromised",
        m.compromised
    );
    let jewels: Vec<String> = (0..est.nodes.len())
        .filter(|&n| est.nodes[n].crown_jewel && st.ever.contains(n))
        .map(|n| md(&narrate::label(est, n as u32)))
        .collect();
    let _ = writeln!(
        o,
        "- Crown jewels reached: {}",
        if jewels.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{} (first at {})",
                jewels.join(", "),
                m.crown_jewel_at.map(fmt_time).unwrap_or_default()
            )
        }
    );
    let _ = writeln!(
        o,
        "- Attack steps: {} attempted, {} succeeded; {} detected (first alert {})",
        m.steps_attempted,
        m.steps_succeeded,
        m.detections,
        m.first_detect_at
            .map(fmt_time)
            .unwrap_or_else(|| "never".into())
    );
    let _ = writeln!(
        o,
        "- Records exposed {}, exfiltrated {}; devices encrypted {}, backups destroyed {}",
        m.records_exposed, m.records_exfiltrated, m.encrypted, m.backups_destroyed
    );
    let contained: Vec<String> = st
        .contained
        .ones()
        .map(|n| md(&narrate::label(est, n as u32)))
        .collect();
    let _ = writeln!(
        o,
        "- Contained: {}",
        if contained.is_empty() {
            "nothing".into()
        } else {
            contained.join(", ")
        }
    );
    if let Some(t) = m.contained_at.filter(|_| st.live_owned == 0) {
        let _ = writeln!(o, "- Every foothold contained at {}", fmt_time(t));
    }
    o.push('\n');
}

/// The estate at the end (god view) and the blast radius over time, with the image links.
fn at_the_end(o: &mut String, s: &Session, images: Option<(&str, &str)>) {
    let _ = writeln!(o, "## The estate at the end (god view)\n");
    if let Some((map_file, _)) = images {
        let _ = writeln!(o, "![Estate at the end]({map_file})\n");
    }
    let _ = writeln!(
        o,
        "```\n{}```\n",
        crate::report::terminal_safe(&map::text(s, true))
    );
    let _ = writeln!(o, "## Blast radius over time\n");
    if let Some((_, chart)) = images {
        let _ = writeln!(o, "![Blast radius over time]({chart})\n");
    }
    let series = blast_series(s);
    let _ = writeln!(o, "| Time | Compromised |\n|---|---|");
    for (t, c) in &series {
        let _ = writeln!(o, "| {} | {c} |", fmt_time(*t));
    }
}

/// The blast radius over time as a step chart, with alerts (red ticks) and the trainer's
/// decisions (blue dashed lines).
pub fn chart_svg(s: &Session) -> String {
    let st = s.state();
    let series = blast_series(s);
    let t_end = st.now.max(series.last().map_or(0.0, |p| p.0)).max(1.0);
    let y_max = series.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let (w, h) = (820.0, 360.0);
    let (l, r, t, b) = (60.0, 45.0, 40.0, 50.0);
    let x = |hrs: f64| l + (w - l - r) * hrs / t_end;
    let y = |c: f64| h - b - (h - t - b) * c / y_max;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, sans-serif">"#
    );
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        o,
        r#"<text x="{l}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        map::xml(&format!(
            "Blast radius over time — {} (seed {}, trial {})",
            s.estate().name,
            s.cfg.seed,
            s.cfg.trial
        ))
    );
    // Axes and ticks.
    let _ = writeln!(
        o,
        r##"<line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="#333"/><line x1="{l}" y1="{t}" x2="{l}" y2="{}" stroke="#333"/>"##,
        h - b,
        w - r,
        h - b,
        h - b
    );
    let step = nice_step(t_end);
    let mut tick = 0.0;
    while tick <= t_end + 1e-9 {
        let _ = writeln!(
            o,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#333"/><text x="{0}" y="{3}" font-size="11" text-anchor="middle">{4}</text>"##,
            x(tick),
            h - b,
            h - b + 5.0,
            h - b + 18.0,
            fmt_time(tick)
        );
        tick += step;
    }
    let ystep = nice_step(y_max).max(1.0);
    let mut c = 0.0;
    while c <= y_max + 1e-9 {
        let _ = writeln!(
            o,
            r##"<line x1="{}" y1="{1}" x2="{l}" y2="{1}" stroke="#333"/><line x1="{l}" y1="{1}" x2="{2}" y2="{1}" stroke="#eee"/><text x="{3}" y="{4}" font-size="11" text-anchor="end">{5}</text>"##,
            l - 5.0,
            y(c),
            w - r,
            l - 8.0,
            y(c) + 4.0,
            c
        );
        c += ystep;
    }
    let _ = writeln!(
        o,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">time since the start</text>"#,
        (l + w - r) / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        o,
        r#"<text x="16" y="{}" font-size="12" transform="rotate(-90 16 {})" text-anchor="middle">assets compromised</text>"#,
        (t + h - b) / 2.0,
        (t + h - b) / 2.0
    );
    // Decisions; each label goes on the first row where it overlaps no other label.
    let mut rows: Vec<(f64, f64)> = Vec::new();
    for (e, applied, _, _) in s.history() {
        if matches!(e.cmd, super::command::Command::Note(_))
            || e.cmd.moves_clock()
            || e.cmd.is_display()
        {
            continue;
        }
        let label = e.cmd.to_string();
        let (lx, anchor) = if x(applied) > w - 170.0 {
            (x(applied) - 3.0, "end")
        } else {
            (x(applied) + 3.0, "start")
        };
        let span = 6.3 * label.chars().count() as f64;
        let (from, to) = if anchor == "end" {
            (lx - span, lx)
        } else {
            (lx, lx + span)
        };
        let row = label_row(&mut rows, from, to, ((h - t - b) / 12.0) as usize);
        let _ = writeln!(
            o,
            r##"<line x1="{0}" y1="{t}" x2="{0}" y2="{1}" stroke="#1f77b4" stroke-dasharray="4 3"/><text x="{2}" y="{3}" font-size="10" fill="#1f77b4" stroke="#ffffff" stroke-width="3" paint-order="stroke" text-anchor="{anchor}">{4}</text>"##,
            x(applied),
            h - b,
            lx,
            t + 10.0 + 12.0 * row as f64,
            map::xml(&label)
        );
    }
    // Alerts.
    for j in &st.journal {
        if matches!(j.what, Happening::Finished { detected: true, .. }) {
            let _ = writeln!(
                o,
                r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#d62728" stroke-width="2"/>"##,
                x(j.t),
                h - b,
                h - b - 10.0
            );
        }
    }
    // The step line.
    let mut d = format!("M{:.1},{:.1}", x(0.0), y(series[0].1 as f64));
    let mut last = series[0].1 as f64;
    for &(tt, cc) in &series[1..] {
        let _ = write!(d, " H{:.1} V{:.1}", x(tt), y(cc as f64));
        last = cc as f64;
    }
    let _ = write!(d, " H{:.1}", x(st.now.max(0.0)));
    let _ = last;
    let _ = writeln!(
        o,
        r##"<path d="{d}" fill="none" stroke="#d62728" stroke-width="2.5"/>"##
    );
    let _ = writeln!(
        o,
        r##"<text x="{}" y="{}" font-size="11" fill="#555" text-anchor="end">red ticks: alerts; dashed: the trainer's injects</text>"##,
        w - r,
        h - 12.0
    );
    o.push_str("</svg>\n");
    o
}

/// The first row (of at most `max`) whose labels, as `(from, to)` spans, leave room for
/// one from `from` to `to`; the row takes it. With every row full, the one that ends first.
fn label_row(rows: &mut Vec<(f64, f64)>, from: f64, to: f64, max: usize) -> usize {
    let free = rows.iter().position(|r| from > r.1 + 4.0 || to < r.0 - 4.0);
    let i = match free {
        Some(i) => i,
        None if rows.len() < max.max(1) => {
            rows.push((from, to));
            return rows.len() - 1;
        }
        None => (0..rows.len())
            .min_by(|&a, &b| rows[a].1.total_cmp(&rows[b].1))
            .unwrap_or(0),
    };
    rows[i] = (rows[i].0.min(from), rows[i].1.max(to));
    i
}

fn nice_step(span: f64) -> f64 {
    let raw = span / 8.0;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let k = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * p
}

/// `export DIR`: transcript.md, map.svg, blast-radius.svg and session.yaml.
pub fn export(s: &Session, dir: &Path) -> Result<Vec<String>> {
    crate::output::ensure_dir(dir)?;
    let files = [
        (
            "transcript.md",
            markdown(s, Some(("map.svg", "blast-radius.svg"))),
        ),
        ("map.svg", map::svg(s, true)),
        ("blast-radius.svg", chart_svg(s)),
        ("session.yaml", super::script::to_yaml(s)),
    ];
    for (name, text) in &files {
        crate::output::write_atomic(&dir.join(name), text.as_bytes())?;
    }
    Ok(files.iter().map(|(n, _)| n.to_string()).collect())
}
