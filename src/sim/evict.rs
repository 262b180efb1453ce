//! The SOC's eviction of an intrusion: after a detection it responded to, the defender
//! investigates, scopes what the attacker holds, and takes it all away at once (hosts
//! isolated, identities' credentials reset and sessions revoked, access to applications and
//! data cut with them). Each holding is found with the defender's `scoping` share; what the
//! investigation misses stays the attacker's, and the next detection it causes opens another
//! round. Without it the defender acts only on the two ends of each detected step, and an
//! attacker holding a phished cloud identity, a token or a group's rights is never evicted.
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
        // Segments follow from the footholds in them, virtual nodes (a domain's hashes, the
        // shared local-admin password) from the real nodes that gave them: they go with those.
        let derived = node.kind == crate::model::AssetKind::Segment || node.virtual_kind.is_some();
        if !derived {
            let seen =
                ev.scoping >= 1.0 || cx.key.uniform(n as u64, round, purpose::SCOPE) < ev.scoping;
            if !seen {
                missed += 1;
                continue;
            }
            found += 1;
        }
        if node.foothold & st.bits[n as usize] != 0 {
            // A host the attacker runs code on: isolated (and rebuilt).
            contain(cx, st, n);
        } else if !derived {
            drop_holding(cx, st, n);
        }
    }
    if missed == 0 {
        // Nothing real is left: what was derived from it goes too.
        let rest: Vec<NodeId> = st
            .touched
            .iter()
            .copied()
            .filter(|&n| n != INTERNET && st.bits[n as usize] != 0 && !holdable(cx.est.node(n)))
            .collect();
        for n in rest {
            if cx.est.node(n).kind != crate::model::AssetKind::Segment {
                st.bits[n as usize] = 0;
                st.changed.push(n);
            }
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
    journal(st, Happening::Revoked { node: n });
    if holdable(cx.est.node(n)) {
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

    /// A workstation the attacker runs code on (user level) and a phished cloud identity
    /// that signs in to a SaaS app. Escalating on the workstation is certain and always
    /// detected; the cloud sign-in is never seen. The SOC isolates the workstation an hour
    /// after the alert. Per-alert containment never touches the cloud identity or the app;
    /// an investigation that finds them evicts the intrusion.
    pub(super) const WORLD: &str = r#"
name: tiny-evict
segments:
  - {id: lan, name: LAN}
assets:
  - {id: ws-1, kind: workstation, segment: lan, os: windows, edr: false, patch_lag_days: 0, exploitable: 0.0}
  - {id: u-cloud, kind: user, tier: 2, mfa: none}
  - {id: saas-1, kind: saas, internet_facing: true, sso: false}
relations:
  - {type: role_on, from: u-cloud, to: saas-1, role: user}
attacker:
  entry: []
  start: [ws-1, u-cloud]
  strategy: random
  parallelism: 0
  max_tries: 1
techniques:
  - {id: T1068, p: 1.0, mean_hours: 1, noise: 1.0}
  - {id: T1078.004, p: 1.0, mean_hours: 0.5, noise: 0.0}
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
        // (ws-1 and u-1); u-cloud's session is never touched.
        for o in play("scoping: 0", 20) {
            assert!(o.detect_hours.is_some());
            assert_eq!(o.contain_hours, None, "{o:?}");
            assert_eq!(o.evict_hours, None);
        }
        // Scoping 1: the investigation finds everything; the attacker holds nothing.
        for o in play("scoping: 1", 20) {
            let d = o.detect_hours.expect("detected");
            let ev = o.evict_hours.expect("evicted");
            assert!(ev > d, "{o:?}");
            assert_eq!(o.contain_hours, Some(ev));
            assert_eq!(o.end, EndReason::Contained);
        }
    }

    #[test]
    fn missed_holdings_stay_the_attackers() {
        // Scoping 0.5: at the eviction the attacker holds two things (u-cloud's password
        // and session, access to saas-1), each found half the time: a quarter of the trials
        // are evicted, and no later detection opens a second round (the cloud steps are
        // quiet), so the rest never are.
        let out = play("scoping: 0.5", 400);
        let evicted = out.iter().filter(|o| o.evict_hours.is_some()).count();
        assert!((70..=130).contains(&evicted), "{evicted} of 400");
    }
}
