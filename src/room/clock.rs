//! Moving the clock. A move is split at every moment something is due: a player's action
//! taking effect after its modelled delay, an inject at a time, a deadline, a hint. So an
//! isolation queued for 02:15 is in force from 02:15 whatever the facilitator's steps.

use super::Room;
use super::request::FacCommand;
use crate::sim::Happening;
use crate::tabletop::command::{Command, fmt_time};
use crate::tabletop::session::Entry;

/// What a clock move waits for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Goal {
    /// One attack step.
    Step,
    /// A time.
    Time(f64),
    /// The next alert.
    Detection,
    /// The next crown jewel.
    CrownJewel,
}

/// Counts the move compares before and after.
#[derive(Clone, Copy)]
struct Marks {
    steps: usize,
    alerts: usize,
    jewels: usize,
}

impl Room {
    fn marks(&self) -> Marks {
        let st = self.session.state();
        let est = self.session.estate();
        let mut m = Marks {
            steps: 0,
            alerts: 0,
            jewels: 0,
        };
        for j in &st.journal {
            match j.what {
                Happening::Finished { detected, .. } => {
                    m.steps += 1;
                    m.alerts += usize::from(detected);
                }
                Happening::Gained { node, .. } if est.node(node).crown_jewel => m.jewels += 1,
                _ => {}
            }
        }
        m
    }

    /// Moves the clock as a facilitator's command says; returns what happened in words.
    pub(super) fn move_clock(&mut self, c: &FacCommand) -> String {
        let now = self.session.now();
        let (_, to) = Room::clock_command(c, now);
        let goal = match c {
            FacCommand::Step => Goal::Step,
            FacCommand::Run { until } if until == "crown-jewel" => Goal::CrownJewel,
            FacCommand::Run { .. } => Goal::Detection,
            _ => Goal::Time(to.unwrap_or(now)),
        };
        self.run_to(goal);
        let st = self.session.state();
        format!(
            "Clock at {}: blast radius {}, {} alert(s) in all{}.",
            fmt_time(st.now),
            st.m.compromised,
            st.m.detections,
            if st.ended.is_some() {
                "; the attack is over"
            } else {
                ""
            }
        )
    }

    /// Moves the clock to `t` (a rewind's last move).
    pub(super) fn move_clock_to(&mut self, t: f64) {
        self.run_to(Goal::Time(t));
    }

    fn run_to(&mut self, goal: Goal) {
        let start = self.marks();
        let cap = self.clock_cap.unwrap_or(f64::INFINITY);
        // Each pass either moves the clock, ends the trial or meets the goal; the bound
        // only guards against a pass that does none of these.
        for _ in 0..100_000 {
            self.process_due();
            let now = self.session.now();
            let m = self.marks();
            let done = match goal {
                Goal::Step => m.steps > start.steps,
                Goal::Time(t) => now >= t,
                Goal::Detection => m.alerts > start.alerts,
                Goal::CrownJewel => m.jewels > start.jewels,
            };
            if done || now >= cap || !self.session.clock_can_move() {
                break;
            }
            let mut limit = self.next_point().min(cap);
            if let Goal::Time(t) = goal {
                limit = limit.min(t);
            }
            let cmd = match goal {
                Goal::Step => Command::Step(crate::tabletop::command::StepArg::Actions(1)),
                Goal::Time(_) => Command::Run(crate::tabletop::command::Until::Time(limit)),
                Goal::Detection => Command::Run(crate::tabletop::command::Until::Detection),
                Goal::CrownJewel => Command::Run(crate::tabletop::command::Until::CrownJewel),
            };
            let until = limit.is_finite().then_some(limit);
            let before = (now, self.session.state().journal.len());
            if self
                .session
                .apply(Entry {
                    at: now,
                    cmd,
                    note: None,
                    until,
                })
                .is_err()
            {
                break;
            }
            if (self.session.now(), self.session.state().journal.len()) == before {
                break;
            }
        }
        self.process_due();
    }

    /// The next moment after now at which something is due (infinity: none).
    fn next_point(&self) -> f64 {
        let now = self.session.now();
        let mut next = f64::INFINITY;
        let mut see = |t: f64| {
            if t > now && t < next {
                next = t;
            }
        };
        for p in &self.play.pending {
            see(p.effective_at);
        }
        for (i, j) in self.live.injects.iter().enumerate() {
            if !self.play.fired.contains(&i) {
                if let Some(t) = j.when.at {
                    see(t);
                }
                if let Some(t) = j.when.by {
                    see(t);
                }
            }
        }
        for (i, e) in self.live.expectations.iter().enumerate() {
            if self.play.met[i].is_none() {
                see(e.by);
                if let Some(h) = &e.hint {
                    see(h.at);
                }
            }
        }
        next
    }

    /// Applies everything due by now: pending actions, then the triggers.
    pub(super) fn process_due(&mut self) {
        // An inject's command may make more things due; the bound stops a loop.
        for _ in 0..1000 {
            let now = self.session.now();
            let due = self
                .play
                .pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.effective_at <= now)
                .min_by(|a, b| a.1.effective_at.total_cmp(&b.1.effective_at))
                .map(|(i, _)| i);
            match due {
                Some(i) => {
                    let p = self.play.pending.remove(i);
                    self.take_effect(p);
                }
                None => {
                    if !self.check_triggers() {
                        break;
                    }
                }
            }
        }
    }

    fn take_effect(&mut self, p: super::play::Pending) {
        let d = &self.play.decisions[p.decision];
        let Some(cmd) = d.action.command(&d.target) else {
            return;
        };
        let index = self.session.log().len();
        let at = self.session.now();
        let (text, ok) = match self.session.apply(Entry {
            at,
            cmd: cmd.clone(),
            note: None,
            until: None,
        }) {
            Ok(()) => (format!("In effect: `{cmd}` ({})", p.seat), true),
            Err(m) => (format!("`{cmd}` ({}) had no effect: {m}", p.seat), false),
        };
        if ok {
            self.play.decisions[p.decision].log_index = Some(index);
        }
        self.play.decisions[p.decision].effective_at = at;
        let role = self.play.decisions[p.decision].role.clone();
        self.play.events.push(super::play::Event {
            t: at,
            kind: "effect",
            text,
            assets: vec![p.target],
            seat: Some(p.seat),
            id: None,
            to: super::play::Audience::Actor(role),
        });
    }
}
