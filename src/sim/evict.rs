//! The SOC's eviction of an intrusion: after a detection it responded to, the defender
//! investigates, scopes what the attacker holds, and takes it away at once: credentials
//! reset and sessions and tokens revoked across the intrusion's scope (group rights and
//! access to applications and data go with them), and every host the attacker runs code on
//! that the investigation finds isolated and rebuilt. Each host is found with the defender's
//! `scoping` share; a host it misses (where persistence hides) stays the attacker's, and the
//! next detection it causes opens another round. Without an eviction the defender acts only
//! on the two ends of each detected step, and an attacker holding a phished cloud identity,
//! a token or a group's rights is never evicted.
//!
//! A pure function of (estate, plan, trial key, state), like the rest of the engine.

use super::engine::{Ctx, contain, holdable, journal, schedule};
use super::state::{EventKind, Happening, TrialState};
use crate::estate::{INTERNET, NodeId};
use crate::rng::purpose;

/// After a detection of attempt (`edge`, `try_no`) whose response comes due at `respond_at`:
/// opens an investigation that ends in an eviction, unless one is pending already or the
/// defender does not evict.
pub(crate) fn open_investigation(
    cx: &Ctx,
    st: &mut TrialState,
    edge: u32,
    try_no: u8,
    respond_at: f64,
) {
    let Some(ev) = cx.est.eviction else { return };
    if st.evict_pending || cx.certain {
        return;
    }
    st.evict_pending = true;
    let at = respond_at
        + cx.key.exponential(
            ev.investigation_hours,
            edge as u64,
            try_no as u64,
            purpose::EVICT,
        );
    schedule(st, at, EventKind::Evict, 0, 0);
    journal(st, Happening::EvictionScheduled { at });
}

/// The eviction comes due: every holding the investigation finds is taken away.
pub(crate) fn evict(cx: &Ctx, st: &mut TrialState) {
    st.evict_pending = false;
    let Some(ev) = cx.est.eviction else { return };
    let round = st.m.evictions as u64;
    st.m.evictions += 1;
    let mut held: Vec<NodeId> = st
        .touched
        .iter()
        .copied()
        .filter(|&n| {
            n != INTERNET && st.bits[n as usize] != 0 && !st.contained.contains(n as usize)
        })
        .collect();
    held.sort_unstable();
    held.dedup();
    let (mut found, mut missed) = (0u32, 0u32);
    for n in held {
        let node = cx.est.node(n);
        if node.kind == crate::model::AssetKind::Segment {
            // Network access follows the footholds in the segment.
            continue;
        }
        if node.foothold & st.bits[n as usize] != 0 {
            // A host the attacker runs code on: where persistence hides. Found with the
            // scoping share, then isolated (and rebuilt); missed, it stays the attacker's.
            let seen =
                ev.scoping >= 1.0 || cx.key.uniform(n as u64, round, purpose::SCOPE) < ev.scoping;
            if seen {
                found += 1;
                contain(cx, st, n);
            } else {
                missed += 1;
            }
        } else {
            // Credentials, sessions, tokens, group rights, access to applications and data
            // (and what the virtual nodes stand for: a domain's hashes, a shared password):
            // reset, revoked and rotated across the intrusion's scope.
            if holdable(node) {
                found += 1;
            }
            drop_holding(cx, st, n);
        }
    }
    journal(st, Happening::Evicted { found, missed });
}

/// Takes away everything the attacker holds on a node that is not a host it runs code on:
/// an identity's passwords, hashes, tokens and sessions (reset and revoked), a group's
/// rights, access to an application or data store. The node can be taken again.
fn drop_holding(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let ni = n as usize;
    if st.bits[ni] == 0 {
        return;
    }
    st.bits[ni] = 0;
    st.changed.push(n);
    if holdable(cx.est.node(n)) {
        journal(st, Happening::Revoked { node: n });
        st.live_owned -= 1;
        if st.live_owned == 0 {
            held_nothing(st);
        }
    }
}

/// The attacker has just come to hold no live node by the defender's doing.
pub(crate) fn held_nothing(st: &mut TrialState) {
    st.m.contained_at = Some(st.now);
    if st.m.evicted_at.is_none() {
        st.m.evicted_at = Some(st.now);
    }
}

#[cfg(test)]
mod tests {
    use crate::limits::Limits;
    use crate::pipeline::Prepared;
    use crate::sim::{EndReason, Engine};

    /// The world of tests/scenarios/evict.yaml: a phished cloud identity whose sign-in to
    /// its SaaS app is always detected, and a workstation the attacker runs code on quietly.
    /// The SOC contains the identity and the app an hour after the alert; only an
    /// investigation that finds the workstation evicts the intrusion.
    pub(super) const WORLD: &str = r#"
name: tiny-evict
segments:
  - {id: lan, name: LAN}
assets:
  - {id: ws-quiet, kind: workstation, segment: lan, os: windows, edr: false, patch_lag_days: 0, exploitable: 0.0}
  - {id: u-loud, kind: user, tier: 2, mfa: none}
  - {id: saas-loud, kind: saas, internet_facing: true, sso: false}
relations:
  - {type: role_on, from: u-loud, to: saas-loud, role: user, noise: 1}
attacker:
  entry: []
  start: [ws-quiet, u-loud]
  strategy: random
  parallelism: 0
  max_tries: 1
techniques:
  - {id: T1078.004, p: 1.0, mean_hours: 0.5}
  - {id: T1068, noise: 0}
  - {id: T1046, noise: 0}
  - {id: T1557, noise: 0}
  - {id: T1003.002, noise: 0}
defender:
  manual_response_hours: 1
  SCOPING
simulation:
  trials: 10
  horizon_hours: 1000
  seed: 3
"#;

    fn play(scoping: &str, trials: u64) -> Vec<crate::sim::TrialOutcome> {
        let text = WORLD.replace("SCOPING", scoping);
        let p = Prepared::from_str(&text, "tiny", &Limits::default()).expect("valid");
        let plans = p.plans(&["none".to_string()], 3).expect("plan");
        let mut e = Engine::new(p.estate.clone(), plans[0].clone(), 3);
        (0..trials).map(|i| e.run_trial(i, 4)).collect()
    }

    #[test]
    fn eviction_takes_what_per_alert_containment_leaves() {
        // Scoping 0 turns eviction off: containment acts on the detected step's two ends
        // (u-loud and saas-loud); the quiet workstation is never touched.
        for o in play("scoping: 0", 20) {
            assert!(o.detect_hours.is_some());
            assert_eq!(o.contain_hours, None, "{o:?}");
            assert_eq!(o.evict_hours, None);
        }
        // Scoping 1: the investigation finds the workstation; the attacker holds nothing.
        for o in play("scoping: 1", 20) {
            let d = o.detect_hours.expect("detected");
            let ev = o.evict_hours.expect("evicted");
            assert!(ev > d, "{o:?}");
            assert_eq!(o.contain_hours, Some(ev));
            assert_eq!(o.end, EndReason::Contained);
        }
    }

    #[test]
    fn missed_hosts_stay_the_attackers() {
        // Scoping 0.5: the one host is found half the time, and nothing is detected
        // afterwards (its steps are quiet), so the other half are never evicted.
        let out = play("scoping: 0.5", 400);
        let evicted = out.iter().filter(|o| o.evict_hours.is_some()).count();
        assert!((170..=230).contains(&evicted), "{evicted} of 400");
    }
}
