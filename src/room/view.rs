//! What a seat sees: the View JSON of docs/serve.md. A player's role sees the alerts of
//! its channels, the assets those alerts name, containment, the seats' actions that
//! concern it, and the messages sent to it; the facilitator sees everything, the
//! attacker's path included, which a reveal shows to every seat.

use super::Room;
use super::play::Audience;
use super::request::Who;
use crate::estate::{Estate, NO_SOURCE};
use crate::model::RelationKind;
use crate::sim::Happening;
use crate::tabletop::command::fmt_time;
use crate::tabletop::exercise::Channel;
use crate::tabletop::{map, narrate};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Relations drawn between assets on the graph (others would clutter it).
const LINKS: [RelationKind; 4] = [
    RelationKind::HasSession,
    RelationKind::AdminTo,
    RelationKind::HostedOn,
    RelationKind::MemberOf,
];

/// An alert: when, what it says, the assets it names.
struct Alert {
    assets: Vec<String>,
    identity: bool,
    device: bool,
}

fn alerts(est: &Estate, journal: &[crate::sim::JournalEntry]) -> Vec<Alert> {
    let mut out = Vec::new();
    for j in journal {
        if let Happening::Finished {
            edge,
            success,
            detected: true,
            ..
        } = j.what
        {
            let nodes: Vec<_> = crate::tabletop::map::alert_names(est, edge, success).collect();
            let kinds: Vec<_> = nodes.iter().map(|&n| est.node(n).kind).collect();
            out.push(Alert {
                assets: nodes.iter().map(|&n| est.node(n).id.clone()).collect(),
                identity: kinds.iter().any(|k| k.is_identity()),
                device: kinds
                    .iter()
                    .any(|k| k.is_device() || k.is_app() || k.is_infra()),
            });
        }
    }
    out
}

impl Room {
    /// The channels `who` sees (the facilitator: all).
    pub(super) fn channels(&self, who: Who) -> Vec<Channel> {
        match who {
            Who::Facilitator => vec![
                Channel::Alerts,
                Channel::Escalations,
                Channel::Graph,
                Channel::BlastRadius,
            ],
            Who::Seat(s) => self.live.roles[self.seats[s].role].sees.clone(),
        }
    }

    fn role_id(&self, who: Who) -> Option<&str> {
        match who {
            Who::Facilitator => None,
            Who::Seat(s) => Some(&self.live.roles[self.seats[s].role].id),
        }
    }

    /// Whether `who` sees an event addressed to `to`.
    pub(super) fn sees(&self, who: Who, to: &Audience) -> bool {
        let Some(role) = self.role_id(who) else {
            return true;
        };
        let ch = self.channels(who);
        match to {
            Audience::All => true,
            Audience::Facilitator => false,
            Audience::Roles(r) => r.iter().any(|x| x == role),
            Audience::Channel(c) => ch.contains(c),
            Audience::Actor(r) => r == role || ch.contains(&Channel::Escalations),
            Audience::Alert { identity, device } => {
                ch.contains(&Channel::Alerts)
                    || (*identity && ch.contains(&Channel::IdentityAlerts))
                    || (*device && ch.contains(&Channel::DeviceAlerts))
            }
        }
    }

    fn sees_alert(&self, ch: &[Channel], a: &Alert) -> bool {
        ch.contains(&Channel::Alerts)
            || (ch.contains(&Channel::IdentityAlerts) && a.identity)
            || (ch.contains(&Channel::DeviceAlerts) && a.device)
    }

    /// Whether `who` sees the attacker (facilitator, or a reveal).
    pub(super) fn god(&self, who: Who) -> bool {
        who == Who::Facilitator || self.meta.revealed
    }

    /// The View for `who` as JSON text, as the API and the WebSocket send it whole.
    pub fn view_text(&self, who: Who) -> String {
        self.view_since(who, &mut None)
    }

    /// The View for `who`, as JSON.
    pub fn view(&self, who: Who) -> Value {
        serde_json::from_str(&self.view_text(who)).unwrap_or(Value::Null)
    }

    /// The view of `who`'s role but for `me` and with `"events":null`, and its events.
    /// Seats of one role see the same: built once per role and change and kept, so thirty
    /// seats cost a few builds, not thirty.
    pub(super) fn view_parts(&self, who: Who) -> (Arc<str>, Arc<Vec<Arc<str>>>) {
        let class = match who {
            Who::Facilitator => None,
            Who::Seat(s) => Some(self.seats[s].role),
        };
        let key = (self.seq, self.conn_version);
        {
            let mut c = self.view_cache.borrow_mut();
            if c.0 != key {
                *c = (key, Default::default());
            }
            if let Some(p) = c.1.get(&class) {
                return p.clone();
            }
        }
        let rest: Arc<str> = self.view_rest(who).to_string().into();
        let events = Arc::new(self.event_texts(who));
        self.view_cache
            .borrow_mut()
            .1
            .insert(class, (rest.clone(), events.clone()));
        (rest, events)
    }

    /// Everything of the view but `me`, with `events` null (spliced in as text).
    fn view_rest(&self, who: Who) -> Value {
        let est = self.session.estate();
        let st = self.session.state();
        let ch = self.channels(who);
        let seen_alerts: Vec<Alert> = alerts(est, &st.journal)
            .into_iter()
            .filter(|a| self.sees_alert(&ch, a))
            .collect();
        let path = if self.god(who) {
            self.path()
        } else {
            Vec::new()
        };
        json!({
            "seq": self.seq,
            "exercise": {
                "title": self.info.title,
                "objectives": self.info.objectives,
                "duration": self.info.duration,
                "notes": if who == Who::Facilitator { self.info.notes.clone() } else { None },
            },
            "clock": {
                "now": st.now,
                "text": fmt_time(st.now),
                "ended": st.ended.map(|r| r.name()).or(self.meta.ended.then_some("facilitator")),
                "paused": self.meta.paused,
                "revealed": self.meta.revealed,
                "branch": self.play.branch,
                "branches": self.branch_names(),
                "blast_radius": if ch.contains(&Channel::BlastRadius) { Some(st.m.compromised) } else { None },
            },
            "estate": if ch.contains(&Channel::Graph) { self.estate_json() } else { json!({"groups": [], "nodes": [], "links": []}) },
            "status": self.status(who, &seen_alerts),
            "events": null,
            "path": path,
            "score": self.score_json(),
            "pending": self.play.pending.iter().filter(|p| self.sees(who, &Audience::Actor(self.role_of_seat(&p.seat)))).collect::<Vec<_>>(),
            "seats": if who == Who::Facilitator { self.seats_json() } else { json!([]) },
            "improvements": self.meta.improvements.iter().map(|(i, o, p)| json!({"issue": i, "owner": o, "priority": p})).collect::<Vec<_>>(),
        })
    }

    fn role_of_seat(&self, seat: &str) -> String {
        self.seats
            .iter()
            .find(|s| s.id == seat)
            .map(|s| self.live.roles[s.role].id.clone())
            .unwrap_or_default()
    }

    pub(super) fn me(&self, who: Who) -> Value {
        match who {
            Who::Facilitator => json!({
                "seat": "facilitator", "role": "facilitator", "role_title": "Facilitator",
                "facilitator": true, "can": [], "decisions": [], "brief": null,
            }),
            Who::Seat(s) => {
                let r = &self.live.roles[self.seats[s].role];
                json!({
                    "seat": self.seats[s].id, "role": r.id, "role_title": r.title,
                    "facilitator": false,
                    "can": r.can.iter().map(|a| a.name()).collect::<Vec<_>>(),
                    "decisions": r.decisions, "brief": r.brief,
                })
            }
        }
    }

    /// The estate for the graph: groups (segments, then pillars), assets, a few relations.
    fn estate_json(&self) -> Value {
        let est = self.session.estate();
        let groups = map::groups(est);
        let mut nodes = Vec::new();
        let mut shown = vec![false; est.nodes.len()];
        for (g, grp) in groups.iter().enumerate() {
            for &n in &grp.members {
                shown[n as usize] = true;
                let node = est.node(n);
                nodes.push(json!({
                    "id": node.id, "label": node.name, "kind": node.kind.name(),
                    "group": format!("g{g}"), "crown_jewel": node.crown_jewel,
                }));
            }
        }
        let mut links = Vec::new();
        for e in est.relations.edge_indices() {
            let k = est.relations[e];
            if !LINKS.contains(&k) {
                continue;
            }
            if let Some((a, b)) = est.relations.edge_endpoints(e) {
                let (f, t) = (est.relations[a], est.relations[b]);
                if shown[f as usize] && shown[t as usize] {
                    links.push(
                        json!({"src": est.node(f).id, "dst": est.node(t).id, "kind": k.name()}),
                    );
                }
            }
        }
        json!({
            "groups": groups.iter().enumerate().map(|(g, grp)| json!({"id": format!("g{g}"), "title": grp.title, "segment": grp.segment.map(|n| est.node(n).id.clone())})).collect::<Vec<_>>(),
            "nodes": nodes,
            "links": links,
        })
    }

    /// Each asset's state as `who` knows it.
    fn status(&self, who: Who, seen: &[Alert]) -> BTreeMap<String, &'static str> {
        let est = self.session.estate();
        let st = self.session.state();
        let mut out = BTreeMap::new();
        for d in &self.play.decisions {
            if est.index.contains_key(&d.target) {
                out.insert(d.target.clone(), "suspected");
            }
        }
        for a in seen {
            for id in &a.assets {
                out.insert(id.clone(), "detected");
            }
        }
        for e in self.events() {
            if e.kind == "alert" && self.sees(who, &e.to) {
                for id in &e.assets {
                    out.insert(id.clone(), "detected");
                }
            }
        }
        if self.god(who) {
            for n in st.ever.ones() {
                let s = if st.bits[n] != 0 {
                    "compromised"
                } else {
                    "lost"
                };
                out.insert(est.nodes[n].id.clone(), s);
            }
        }
        for n in st.contained.ones() {
            out.insert(est.nodes[n].id.clone(), "contained");
        }
        out.retain(|id, _| {
            est.index
                .get(id)
                .is_some_and(|&n| est.node(n).virtual_kind.is_none())
        });
        out
    }

    /// The attacker's finished steps, in order.
    pub fn path(&self) -> Vec<Value> {
        let est = self.session.estate();
        let tc = crate::techniques::TechniqueCatalog::builtin();
        self.session
            .state()
            .journal
            .iter()
            .filter_map(|j| match j.what {
                Happening::Finished {
                    edge,
                    success,
                    detected,
                    ..
                } => {
                    let e = &est.edges[edge as usize];
                    Some(json!({
                        "t": j.t,
                        "src": (e.src != NO_SOURCE).then(|| est.node(e.src).id.clone()),
                        "dst": est.node(e.dst).id,
                        "technique": tc.get(e.tech).id,
                        "success": success,
                        "detected": detected,
                        "text": narrate::step_sentence(est, edge, success),
                    }))
                }
                _ => None,
            })
            .collect()
    }

    fn score_json(&self) -> Value {
        let now = self.session.now();
        let mut total = 0;
        let mut max = 0;
        let ex: Vec<Value> = self
            .live
            .expectations
            .iter()
            .enumerate()
            .map(|(i, e)| {
                max += e.points;
                let met = self.play.met[i].as_ref();
                total += met.map_or(0, |m| m.earned);
                let state = match met {
                    Some(m) if m.at <= e.by => "met",
                    Some(_) => "late",
                    None if now > e.by || self.play.missed.contains(&i) => "missed",
                    None => "open",
                };
                json!({
                    "id": e.id, "title": e.title, "role": e.role, "points": e.points,
                    "by": e.by, "by_text": fmt_time(e.by), "state": state,
                    "at": met.map(|m| m.at), "earned": met.map_or(0, |m| m.earned),
                    "seat": met.map(|m| m.seat.clone()),
                })
            })
            .collect();
        json!({"total": total, "max": max, "expectations": ex})
    }

    fn seats_json(&self) -> Value {
        let counts = self
            .play
            .decisions
            .iter()
            .fold(BTreeMap::new(), |mut m, d| {
                *m.entry(d.seat.as_str()).or_insert(0u32) += 1;
                m
            });
        let points = self
            .play
            .decisions
            .iter()
            .fold(BTreeMap::new(), |mut m, d| {
                *m.entry(d.seat.as_str()).or_insert(0i32) += d.points;
                m
            });
        self.seats
            .iter()
            .map(|s| {
                let r = &self.live.roles[s.role];
                json!({
                    "seat": s.id, "role": r.id, "role_title": r.title,
                    "connected": self.connected.get(&s.id).copied().unwrap_or(0) > 0,
                    "actions": counts.get(s.id.as_str()).copied().unwrap_or(0),
                    "score": points.get(s.id.as_str()).copied().unwrap_or(0),
                    "link": format!("/seat?token={}", s.token),
                })
            })
            .collect()
    }
}
