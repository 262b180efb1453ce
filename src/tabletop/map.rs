//! The `map` snapshot: the estate grouped by segment with each asset's status, as a compact
//! text view and as a hand-written SVG. Data sits with the server that hosts it; assets in
//! no segment (identities, cloud services) are grouped by pillar.
//!
//! God view marks what the attacker holds (`X`), held once but lost (`x`), contained (`#`)
//! and clean (`.`). The trainer view shows what the defenders know: assets named in an
//! alert (`!`) and contained ones (`#`). Crown jewels carry a `*`.

use super::command::fmt_time;
use super::session::Session;
use crate::estate::{Estate, INTERNET, NodeId};
use crate::model::{AssetKind, RelationKind};
use crate::sim::Happening;
use std::fmt::Write;

/// One box of the map.
pub struct Group {
    /// Segment name or pillar name.
    pub title: String,
    /// The segment node, or `None` for a pillar group.
    pub segment: Option<NodeId>,
    /// Nodes in the box.
    pub members: Vec<NodeId>,
}

/// What the map shows for one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// None of the below in this view (`.`).
    Clean,
    /// The attacker holds it (`X`, god view).
    Held,
    /// Held once, then lost (`x`, god view).
    Lost,
    /// Contained by the defenders (`#`).
    Contained,
    /// Named in an alert (`!`, trainer view).
    Alerted,
}

impl Status {
    fn mark(self) -> char {
        match self {
            Status::Clean => '.',
            Status::Held => 'X',
            Status::Lost => 'x',
            Status::Contained => '#',
            Status::Alerted => '!',
        }
    }
    fn fill(self) -> &'static str {
        match self {
            Status::Clean => "#ffffff",
            Status::Held => "#d62728",
            Status::Lost => "#f4a6a6",
            Status::Contained => "#9ecae1",
            Status::Alerted => "#ff9f40",
        }
    }
    fn words(self) -> &'static str {
        match self {
            Status::Clean => "clean",
            Status::Held => "held by the attacker",
            Status::Lost => "held earlier, lost since",
            Status::Contained => "contained",
            Status::Alerted => "named in an alert",
        }
    }
}

/// The groups of the map, in a fixed order: segments as declared, then the unplaced
/// assets by pillar. Groups (AD groups) and virtual nodes are left out.
pub fn groups(est: &Estate) -> Vec<Group> {
    let shown = |n: &crate::estate::Node| {
        n.virtual_kind.is_none() && n.kind != AssetKind::Group && n.kind != AssetKind::Segment
    };
    // Where data lives: with its host when the host is placed.
    let mut host_seg: Vec<Option<u32>> = vec![None; est.nodes.len()];
    for e in est.relations.edge_indices() {
        if est.relations[e] != RelationKind::HostedOn {
            continue;
        }
        if let Some((a, b)) = est.relations.edge_endpoints(e) {
            let (f, t) = (est.relations[a], est.relations[b]);
            let seg = est.node(t).segment;
            if est.node(f).segment == INTERNET && seg != INTERNET {
                host_seg[f as usize] = Some(seg);
            }
        }
    }
    let place = |n: NodeId| -> Option<u32> {
        let node = est.node(n);
        if node.segment != INTERNET {
            Some(node.segment)
        } else {
            host_seg[n as usize]
        }
    };
    let mut out: Vec<Group> = (1..est.segment_count)
        .map(|s| {
            let node = est.node(s);
            Group {
                title: if node.name == node.id {
                    node.id.clone()
                } else {
                    format!("{} — {}", node.id, node.name)
                },
                segment: Some(s),
                members: Vec::new(),
            }
        })
        .collect();
    let mut rest: [(&str, Vec<NodeId>); 5] = [
        ("Identities", Vec::new()),
        ("Cloud and internet-facing applications", Vec::new()),
        ("Data (cloud or unplaced)", Vec::new()),
        ("Infrastructure (cloud or unplaced)", Vec::new()),
        ("Devices in no segment", Vec::new()),
    ];
    for (i, node) in est.nodes.iter().enumerate() {
        let n = i as NodeId;
        if !shown(node) || n == INTERNET {
            continue;
        }
        match place(n) {
            Some(s) => out[s as usize - 1].members.push(n),
            None => {
                let k = node.kind;
                let slot = if k.is_identity() {
                    0
                } else if k.is_app() {
                    1
                } else if k.is_data() {
                    2
                } else if k.is_infra() {
                    3
                } else {
                    4
                };
                rest[slot].1.push(n);
            }
        }
    }
    for (title, members) in rest {
        if !members.is_empty() {
            out.push(Group {
                title: title.into(),
                segment: None,
                members,
            });
        }
    }
    out
}

/// The assets an alert about attack edge `edge` names: its source (when it has one) and,
/// when the step succeeded, its target.
pub(crate) fn alert_names(est: &Estate, edge: u32, success: bool) -> impl Iterator<Item = NodeId> {
    let e = &est.edges[edge as usize];
    let src = (e.src != crate::estate::NO_SOURCE).then_some(e.src);
    src.into_iter().chain(success.then_some(e.dst))
}

/// Each node's status in the given view.
pub fn statuses(s: &Session, god: bool) -> Vec<Status> {
    let est = s.estate();
    let st = s.state();
    let mut alerted = vec![false; est.nodes.len()];
    if !god {
        for j in &st.journal {
            if let Happening::Finished {
                edge,
                detected: true,
                success,
                ..
            } = j.what
            {
                for n in alert_names(est, edge, success) {
                    alerted[n as usize] = true;
                }
            }
        }
    }
    (0..est.nodes.len())
        .map(|n| {
            if st.contained.contains(n) {
                Status::Contained
            } else if !god {
                if alerted[n] {
                    Status::Alerted
                } else {
                    Status::Clean
                }
            } else if st.bits[n] != 0 {
                Status::Held
            } else if st.ever.contains(n) {
                Status::Lost
            } else {
                Status::Clean
            }
        })
        .collect()
}

fn legend(god: bool) -> &'static str {
    if god {
        "X held  x held earlier  # contained  . clean  * crown jewel"
    } else {
        "! named in an alert  # contained  . no news  * crown jewel"
    }
}

/// The compact text view: per group, its assets with their marks.
pub fn text(s: &Session, god: bool) -> String {
    let est = s.estate();
    let st = s.state();
    let marks = statuses(s, god);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Estate at {} ({} view; blast radius {}): {}",
        fmt_time(st.now),
        if god { "god" } else { "trainer" },
        st.m.compromised,
        legend(god)
    );
    for g in groups(est) {
        let hit = g
            .members
            .iter()
            .filter(|&&n| marks[n as usize] != Status::Clean)
            .count();
        let seg_mark = g
            .segment
            .map(|sg| format!("[{}] ", marks[sg as usize].mark()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{seg_mark}{} ({hit}/{} marked)",
            g.title,
            g.members.len()
        );
        let mut line = String::from("   ");
        for &n in &g.members {
            let node = est.node(n);
            let tok = format!(
                " {} {}{}",
                marks[n as usize].mark(),
                node.id,
                if node.crown_jewel { "*" } else { "" }
            );
            if line.len() + tok.len() > 100 && line.len() > 3 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("   ");
            }
            line.push_str(&tok);
        }
        if line.len() > 3 {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Escapes text for SVG (XML) and strips control characters.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The SVG snapshot: one card per group, one row per asset, coloured by status.
pub fn svg(s: &Session, god: bool) -> String {
    let est = s.estate();
    let st = s.state();
    let marks = statuses(s, god);
    let groups = groups(est);
    const COL_W: f64 = 330.0;
    const ROW: f64 = 17.0;
    const HEAD: f64 = 24.0;
    const GAP: f64 = 14.0;
    const TOP: f64 = 78.0;
    let ncols = groups.len().clamp(1, 4);
    // Greedy: each card goes to the shortest column.
    let mut heights = vec![0.0f64; ncols];
    let mut placed: Vec<(usize, f64)> = Vec::new();
    for g in &groups {
        let h = HEAD + ROW * g.members.len().max(1) as f64 + 8.0;
        let (c, _) = heights
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        placed.push((c, heights[c]));
        heights[c] += h + GAP;
    }
    let width = GAP + ncols as f64 * (COL_W + GAP);
    let height = TOP + heights.iter().cloned().fold(0.0, f64::max) + 10.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, Arial, sans-serif">"#
    );
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#fafafa"/>"##);
    let _ = writeln!(
        o,
        r#"<text x="{GAP}" y="26" font-size="18" font-weight="bold">{}</text>"#,
        xml(&format!(
            "{} at {} — blast radius {} ({} view)",
            est.name,
            fmt_time(st.now),
            st.m.compromised,
            if god { "god" } else { "trainer" }
        ))
    );
    // Legend.
    let keys: &[Status] = if god {
        &[Status::Held, Status::Lost, Status::Contained, Status::Clean]
    } else {
        &[Status::Alerted, Status::Contained, Status::Clean]
    };
    let mut x = GAP;
    for k in keys {
        let _ = writeln!(
            o,
            r##"<rect x="{x}" y="42" width="12" height="12" fill="{}" stroke="#555"/><text x="{}" y="52" font-size="12">{}</text>"##,
            k.fill(),
            x + 16.0,
            k.words()
        );
        x += 24.0 + 7.0 * k.words().len() as f64;
    }
    let _ = writeln!(
        o,
        r##"<text x="{x}" y="52" font-size="12"><tspan fill="#b8860b">★</tspan> crown jewel</text>"##
    );
    for (g, (c, y0)) in groups.iter().zip(placed) {
        let x0 = GAP + c as f64 * (COL_W + GAP);
        let y0 = TOP + y0;
        let h = HEAD + ROW * g.members.len().max(1) as f64 + 8.0;
        let seg_fill = g
            .segment
            .map(|sg| marks[sg as usize])
            .filter(|m| *m != Status::Clean)
            .map_or("#e8e8e8", |m| m.fill());
        let _ = writeln!(
            o,
            r##"<rect x="{x0}" y="{y0}" width="{COL_W}" height="{h}" rx="6" fill="#ffffff" stroke="#888"/>"##
        );
        let _ = writeln!(
            o,
            r##"<rect x="{x0}" y="{y0}" width="{COL_W}" height="{HEAD}" rx="6" fill="{seg_fill}" stroke="#888"/>"##
        );
        let ink = if seg_fill == Status::Held.fill() {
            "#ffffff"
        } else {
            "#000000"
        };
        let _ = writeln!(
            o,
            r#"<text x="{}" y="{}" font-size="13" font-weight="bold" fill="{ink}">{}</text>"#,
            x0 + 8.0,
            y0 + 16.0,
            xml(&truncate(&g.title, 40))
        );
        for (i, &n) in g.members.iter().enumerate() {
            let node = est.node(n);
            let y = y0 + HEAD + 4.0 + ROW * i as f64;
            let m = marks[n as usize];
            let stroke = if m == Status::Contained {
                "#1f4e79"
            } else {
                "#555"
            };
            let _ = writeln!(
                o,
                r#"<rect x="{}" y="{}" width="11" height="11" fill="{}" stroke="{stroke}" stroke-width="{}"/>"#,
                x0 + 8.0,
                y + 2.0,
                m.fill(),
                if m == Status::Contained { 2 } else { 1 }
            );
            let label = if node.name == node.id {
                node.id.clone()
            } else {
                format!("{} — {}", node.id, node.name)
            };
            let star = if node.crown_jewel {
                r##"<tspan fill="#b8860b">★ </tspan>"##
            } else {
                ""
            };
            let weight = if m == Status::Held {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let _ = writeln!(
                o,
                r#"<text x="{}" y="{}" font-size="11.5"{weight}>{star}{}</text>"#,
                x0 + 25.0,
                y + 12.0,
                xml(&truncate(&label, if m == Status::Held { 40 } else { 46 }))
            );
        }
    }
    o.push_str("</svg>\n");
    o
}
