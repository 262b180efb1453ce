//! What the after-action report needs from a room ([`crate::tabletop::aar`]): the
//! decisions with their scores and log entries, the expectations and how they went, the
//! timeline the facilitator saw, the improvement plan; and a copy of the played session,
//! so the report's futures run without holding the room.

use super::Room;
use super::request::Who;
use crate::error::Result;
use crate::tabletop::aar::{AfterAction, Decision, ExpectationResult, Improvement, TimelineItem};
use crate::tabletop::session::Session;

impl Room {
    /// The report's input for the line being played.
    pub fn after_action(&self) -> AfterAction {
        let roles = &self.live.roles;
        let title_of = |id: &str| {
            roles
                .iter()
                .find(|r| r.id == id)
                .map_or(id.to_string(), |r| r.title.clone())
        };
        let decisions = self
            .play
            .decisions
            .iter()
            .map(|d| Decision {
                at: d.at,
                effective_at: d.effective_at,
                seat: d.seat.clone(),
                role: title_of(&d.role),
                action: if d.target.is_empty() {
                    d.action.name().to_string()
                } else {
                    format!("{} {}", d.action.name(), d.target)
                },
                log_index: d.log_index,
                points: d.points,
                key: d.log_index.is_some(),
            })
            .collect();
        let expectations = self
            .live
            .expectations
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let met = self.play.met[i].as_ref();
                ExpectationResult {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    role: e
                        .owner
                        .clone()
                        .or_else(|| e.role.as_deref().map(title_of))
                        .unwrap_or_else(|| "Everyone".into()),
                    by: e.by,
                    points: e.points,
                    met_at: met.map(|m| m.at),
                    earned: met.map_or(0, |m| m.earned),
                }
            })
            .collect();
        let timeline = self.view(Who::Facilitator)["events"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|e| TimelineItem {
                        t: e["t"].as_f64().unwrap_or(0.0),
                        kind: e["kind"].as_str().unwrap_or("").to_string(),
                        text: e["text"].as_str().unwrap_or("").to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        AfterAction {
            title: self.info.title.clone(),
            objectives: self.info.objectives.clone(),
            decisions,
            expectations,
            timeline,
            improvements: self
                .meta
                .improvements
                .iter()
                .map(|(issue, owner, priority)| Improvement {
                    issue: issue.clone(),
                    owner: owner.clone(),
                    priority: priority.clone(),
                })
                .collect(),
        }
    }

    /// A copy of the played session (the same trial, replayed from its log), for work
    /// that must not hold the room.
    pub fn session_copy(&self) -> Result<Session> {
        let mut s = self.session.fresh()?;
        s.exercise = self.session.exercise.clone();
        s.replay(self.session.log().to_vec())
            .map_err(crate::error::Error::Usage)?;
        Ok(s)
    }
}
