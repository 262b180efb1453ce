//! Injects, hints and expectations: what reacts to the clock, to the attacker and to what
//! players do or fail to do.

use super::Room;
use super::play::{Audience, Event, Met};
use crate::sim::Happening;
use crate::tabletop::command::fmt_time;
use crate::tabletop::exercise::{Action, Typed};

impl Room {
    /// Scores decision `d` against the open expectations it meets.
    pub(super) fn score(&mut self, d: usize) {
        let dec = self.play.decisions[d].clone();
        for e in 0..self.live.expectations.len() {
            if self.play.met[e].is_some() {
                continue;
            }
            let def = &self.live.expectations[e];
            if def.role.as_ref().is_some_and(|r| r != &dec.role)
                || !self.expected(e).matches(dec.action, &dec.target)
            {
                continue;
            }
            let earned = if dec.at <= def.by {
                def.points
            } else {
                def.late_points
            };
            let text = format!(
                "Expectation met{}: {} ({} point(s), by {})",
                if dec.at <= def.by { "" } else { " late" },
                def.title,
                earned,
                dec.seat
            );
            let role = def.role.clone();
            self.play.met[e] = Some(Met {
                at: dec.at,
                seat: dec.seat.clone(),
                earned,
            });
            self.play.decisions[d].points += earned;
            self.play.events.push(Event {
                t: dec.at,
                kind: "expectation",
                text,
                assets: Vec::new(),
                seat: Some(dec.seat.clone()),
                id: None,
                to: role.map_or(Audience::All, |r| Audience::Roles(vec![r])),
            });
        }
    }

    /// Fires the `done` injects a player's action sets off.
    pub(super) fn fire_done(&mut self, a: Action, target: &str) {
        for i in 0..self.live.injects.len() {
            if self.play.fired.contains(&i) {
                continue;
            }
            let hit = self.live.injects[i]
                .when
                .done
                .as_deref()
                .and_then(|s| Typed::parse(s).ok())
                .is_some_and(|t| t.matches(a, target));
            if hit {
                self.fire(i);
            }
        }
    }

    /// Whether any player has taken an action matching `s`.
    fn done_by_anyone(&self, s: &str) -> bool {
        let Ok(t) = Typed::parse(s) else {
            return false;
        };
        self.play
            .decisions
            .iter()
            .any(|d| t.matches(d.action, &d.target))
    }

    /// Fires inject `i`: its message, then its command.
    fn fire(&mut self, i: usize) {
        self.play.fired.insert(i);
        let def = self.live.injects[i].clone();
        let to = if def.to.is_empty() || def.to.iter().any(|r| r == "all") {
            Audience::All
        } else {
            Audience::Roles(def.to.clone())
        };
        if let Some(say) = &def.say {
            self.play.events.push(Event {
                t: self.session.now(),
                kind: "inject",
                text: say.clone(),
                assets: Vec::new(),
                seat: None,
                id: None,
                to: to.clone(),
            });
        }
        if let Some(c) = &def.command {
            self.inject_line(c, Audience::Facilitator, "inject");
        }
    }

    /// Fires every trigger that is due now; returns whether anything fired.
    pub(super) fn check_triggers(&mut self) -> bool {
        let now = self.session.now();
        let (reached, alerted) = self.scan_journal();
        let mut fired = false;
        for i in 0..self.live.injects.len() {
            if self.play.fired.contains(&i) {
                continue;
            }
            let w = &self.live.injects[i].when;
            let due = w.at.is_some_and(|t| t <= now)
                || w.reached.as_ref().is_some_and(|a| reached.contains(a))
                || w.alert.as_ref().is_some_and(|a| alerted.contains(a))
                || w.not_done
                    .as_ref()
                    .is_some_and(|s| w.by.is_some_and(|b| b <= now) && !self.done_by_anyone(s));
            let moot = w.not_done.as_ref().is_some_and(|s| self.done_by_anyone(s));
            if due && !moot {
                self.fire(i);
                fired = true;
            }
        }
        self.expectation_clock(now);
        fired
    }

    /// Hints for open expectations, and deadlines passed.
    fn expectation_clock(&mut self, now: f64) {
        for e in 0..self.live.expectations.len() {
            if self.play.met[e].is_some() {
                continue;
            }
            let def = self.live.expectations[e].clone();
            let to = def
                .role
                .clone()
                .map_or(Audience::All, |r| Audience::Roles(vec![r]));
            if let Some(h) = &def.hint
                && h.at <= now
                && self.play.hinted.insert(e)
            {
                self.play.events.push(Event {
                    t: h.at,
                    kind: "hint",
                    text: h.text.clone(),
                    assets: Vec::new(),
                    seat: None,
                    id: None,
                    to: to.clone(),
                });
            }
            if def.by <= now && self.play.missed.insert(e) {
                self.play.events.push(Event {
                    t: def.by,
                    kind: "expectation",
                    text: format!(
                        "Expectation missed at {}: {}{}",
                        fmt_time(def.by),
                        def.title,
                        if def.late_points > 0 {
                            format!(" (still worth {} if done now)", def.late_points)
                        } else {
                            String::new()
                        }
                    ),
                    assets: Vec::new(),
                    seat: None,
                    id: None,
                    to,
                });
            }
        }
    }

    /// Assets the attacker has held, and assets an alert has named, so far.
    fn scan_journal(&self) -> (Vec<String>, Vec<String>) {
        let est = self.session.estate();
        let st = self.session.state();
        let reached: Vec<String> = st.ever.ones().map(|n| est.nodes[n].id.clone()).collect();
        let mut alerted = Vec::new();
        for j in &st.journal {
            if let Happening::Finished {
                edge,
                success,
                detected: true,
                ..
            } = j.what
            {
                alerted.extend(
                    crate::tabletop::map::alert_names(est, edge, success)
                        .map(|n| est.node(n).id.clone()),
                );
            }
        }
        (reached, alerted)
    }
}
