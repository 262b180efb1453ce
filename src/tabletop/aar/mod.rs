//! The after-action report of a tabletop exercise played in the browser (`ztsim serve`):
//! what happened, what the room decided and when, which expectations it met, what acting
//! earlier would have changed, and what to improve.
//!
//! The exercise room ([`crate::tabletop::Session`] plus the server's seats, scores and
//! events) fills in an [`AfterAction`]; the report reads it together with the session.
//!
//! - [`counterfactual`]: for each key decision, paired futures from the state at the first
//!   alert that named its target: the decision taken then, as played, and not at all.
//! - [`mod@layer`]: the exercise's ATT&CK Navigator layer (the techniques the attacker used,
//!   coloured by whether the defenders saw them).
//! - [`plan`]: the improvement plan: the facilitator's entries plus one per missed
//!   expectation.
//! - [`html`]: the report as one self-contained HTML page (askama, `templates/aar.html`).
//! - [`mod@pdf`]: the same page printed to PDF by headless Chromium.

pub mod counterfactual;
pub mod html;
pub mod layer;
pub mod pdf;
pub mod plan;

pub use counterfactual::{Arm, Counterfactual, Futures, Outcome, counterfactuals};
pub use html::report_html;
pub use layer::{TechniqueUse, layer, technique_uses};
pub use pdf::pdf;
pub use plan::improvement_plan;

use serde::{Deserialize, Serialize};

/// What the report needs from the exercise room besides the session: the exercise's
/// header, the decisions taken, the expectations and how they went, the timeline the room
/// saw, and the facilitator's improvement items.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AfterAction {
    /// The exercise's title.
    pub title: String,
    /// Its learning objectives, one per entry.
    pub objectives: Vec<String>,
    /// Every decision the seats took, in order.
    pub decisions: Vec<Decision>,
    /// Every expectation of the exercise with its result.
    pub expectations: Vec<ExpectationResult>,
    /// The exercise's events as the room saw them, in order.
    pub timeline: Vec<TimelineItem>,
    /// Improvement items the facilitator recorded (`improve` command).
    pub improvements: Vec<Improvement>,
}

/// One decision a seat took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// When it was taken, in hours since the start.
    pub at: f64,
    /// When it took effect in the engine (after the modelled delay), in hours.
    pub effective_at: f64,
    /// The seat that took it (`it-1`).
    pub seat: String,
    /// The seat's role as people read it (`IT`, `SOC analyst`): the counterfactual's
    /// sentence starts "Had IT isolated ...".
    pub role: String,
    /// The canonical tabletop command (`isolate ws-cfo-01`), or the decision's words when
    /// it has no engine effect (`decide pay`).
    pub action: String,
    /// Its entry in the session's log; `None`: no engine effect.
    pub log_index: Option<usize>,
    /// Points it earned (0 when it met no expectation).
    pub points: i32,
    /// A key decision: it gets a counterfactual.
    pub key: bool,
}

/// One expectation of the exercise and how the room did on it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// Its id in the exercise file.
    pub id: String,
    /// What was expected, in words.
    pub title: String,
    /// The role expected to act.
    pub role: String,
    /// Due by this many hours since the start.
    pub by: f64,
    /// The points it is worth.
    pub points: i32,
    /// When it was met, in hours; `None`: never.
    pub met_at: Option<f64>,
    /// The points earned (less than `points` when met late).
    pub earned: i32,
}

/// One event of the exercise as the room saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineItem {
    /// When, in hours since the start.
    pub t: f64,
    /// What kind of event: `alert`, `action`, `effect`, `inject`, `message`, `hint`,
    /// `expectation`, `attack` or `clock`.
    pub kind: String,
    /// What happened, in words.
    pub text: String,
}

/// One entry of the improvement plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Improvement {
    /// What to improve.
    pub issue: String,
    /// Who owns it (a role or a person).
    pub owner: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
}

#[cfg(test)]
pub(crate) mod testkit {
    //! A session of the hand-checkable chain (`tests/scenarios/tabletop/aar-chain.yaml`)
    //! played from a list of commands, for the submodules' tests.

    use crate::tabletop::{Config, Entry, Session, command};

    /// A session of the chain with `commands` applied in order, each at the clock's time.
    pub(crate) fn chain(commands: &[&str]) -> Session {
        let prep = crate::pipeline::Prepared::from_file(
            std::path::Path::new("tests/scenarios/tabletop/aar-chain.yaml"),
            &crate::limits::Limits::default(),
        )
        .expect("the chain loads");
        let cfg = Config {
            scenario: "aar-chain.yaml".into(),
            controls: "none".into(),
            profile: None,
            seed: 7,
            trial: 0,
        };
        let mut s = Session::new(prep, cfg).expect("starts");
        for c in commands {
            let cmd = command::parse(c).expect("parses").expect("a command");
            let at = s.now();
            s.apply(Entry {
                at,
                cmd,
                note: None,
                until: None,
            })
            .expect("applies");
        }
        s
    }
}
