//! The improvement plan and the expectations' states: the facilitator's improvement items,
//! then one item per expectation the room missed, without duplicates.

use super::{AfterAction, ExpectationResult, Improvement};
use crate::tabletop::command::fmt_time;

/// Points from which a missed expectation is a `high` priority (below: `medium`).
pub const HIGH_POINTS: i32 = 20;

/// How an expectation went, as of the end of the exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Met by its time.
    Met,
    /// Met after its time.
    Late,
    /// Not met, and its time passed.
    Missed,
    /// Not met, and not yet due when the exercise ended.
    Open,
}

impl State {
    /// The state's word (`met`, `late`, `missed`, `open`), also its CSS class.
    pub fn word(self) -> &'static str {
        match self {
            State::Met => "met",
            State::Late => "late",
            State::Missed => "missed",
            State::Open => "open",
        }
    }
}

/// How expectation `e` went in an exercise that ended at `end` (hours).
pub fn state(e: &ExpectationResult, end: f64) -> State {
    match e.met_at {
        Some(t) if t <= e.by => State::Met,
        Some(_) => State::Late,
        None if e.by <= end => State::Missed,
        None => State::Open,
    }
}

/// The improvement plan of an exercise that ended at `end` (hours): the facilitator's items
/// in order, then "TITLE was missed (due T+...)" for each missed expectation, owned by its
/// role, `high` priority from [`HIGH_POINTS`] points, else `medium`. An item whose issue
/// (trimmed, ignoring case) is already in the plan is left out.
pub fn improvement_plan(a: &AfterAction, end: f64) -> Vec<Improvement> {
    let missed = a
        .expectations
        .iter()
        .filter(|e| state(e, end) == State::Missed)
        .map(|e| Improvement {
            issue: format!("{} was missed (due {})", e.title.trim(), fmt_time(e.by)),
            owner: e.role.clone(),
            priority: if e.points >= HIGH_POINTS {
                "high"
            } else {
                "medium"
            }
            .into(),
        });
    let mut out: Vec<Improvement> = Vec::new();
    for i in a.improvements.iter().cloned().chain(missed) {
        let key = i.issue.trim().to_lowercase();
        if !key.is_empty() && !out.iter().any(|o| o.issue.trim().to_lowercase() == key) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation(title: &str, by: f64, points: i32, met_at: Option<f64>) -> ExpectationResult {
        ExpectationResult {
            id: title.to_lowercase().replace(' ', "-"),
            title: title.into(),
            role: "it".into(),
            by,
            points,
            met_at,
            earned: if met_at.is_some() { points } else { 0 },
        }
    }

    #[test]
    fn missed_expectations_join_the_plan_once_with_their_priority() {
        let a = AfterAction {
            expectations: vec![
                expectation("Isolate the CFO workstation", 4.0, 20, None),
                expectation("Reset the helpdesk accounts", 6.0, 10, None),
                expectation("Call the insurer", 2.0, 10, Some(1.5)),
                expectation("Escalate to the CEO", 3.0, 30, Some(5.0)),
                expectation("Restore from backup", 48.0, 40, None),
            ],
            improvements: vec![
                Improvement {
                    issue: "Weekend on-call rota".into(),
                    owner: "CEO".into(),
                    priority: "high".into(),
                },
                Improvement {
                    issue: " weekend ON-CALL rota ".into(),
                    owner: "IT".into(),
                    priority: "low".into(),
                },
                Improvement {
                    issue: "reset the helpdesk accounts was missed (due T+06:00)".into(),
                    owner: "facilitator".into(),
                    priority: "low".into(),
                },
            ],
            ..AfterAction::default()
        };
        let states: Vec<&str> = a
            .expectations
            .iter()
            .map(|e| state(e, 12.0).word())
            .collect();
        assert_eq!(states, ["missed", "missed", "met", "late", "open"]);
        let plan = improvement_plan(&a, 12.0);
        let rows: Vec<(&str, &str, &str)> = plan
            .iter()
            .map(|i| (i.issue.as_str(), i.owner.as_str(), i.priority.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Weekend on-call rota", "CEO", "high"),
                (
                    "reset the helpdesk accounts was missed (due T+06:00)",
                    "facilitator",
                    "low"
                ),
                (
                    "Isolate the CFO workstation was missed (due T+04:00)",
                    "it",
                    "high"
                ),
            ]
        );
    }
}
