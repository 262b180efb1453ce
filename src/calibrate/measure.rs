//! ztsim's side of a figure: the per-trial measurement of a metric and its statistic over
//! the trials, with a 95% interval. Times are Kaplan–Meier quantiles (a trial that never sees
//! the event is censored at the horizon, counted from its own start), with the interval
//! read where the Greenwood band crosses the quantile; shares are Wilson intervals.

use super::file::{Metric, Origin};
use crate::sim::TrialOutcome;
use crate::stats::{self, Survival};
use serde::{Deserialize, Serialize};

/// ztsim's value of a figure's quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The statistic (hours, or a share); `None` when censoring leaves it unobserved (a
    /// time beyond the horizon) or no trial qualifies.
    pub value: Option<f64>,
    /// 95% interval; an end is `None` when unobserved (beyond the horizon).
    pub ci95: [Option<f64>; 2],
    /// Trials that count (those with an intrusion, or a detection, as the metric needs).
    pub n: usize,
    /// Of those, trials in which the event was seen.
    pub events: usize,
    /// Latest time observable from the trials' own starts (the horizon less the earliest
    /// start); a time beyond it is censored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observable_hours: Option<f64>,
}

/// The per-trial (time, event) of a time metric, counted from the trial's own origin;
/// trials without the origin (no intrusion, no detection) do not count.
fn samples(o: &[TrialOutcome], metric: Metric, from: Origin, horizon: f64) -> Vec<(f64, bool)> {
    o.iter()
        .filter_map(|t| {
            let start = match from {
                Origin::InitialAccess => t.first_compromise_hours,
                Origin::FirstFoothold => t.first_foothold_hours,
            };
            let (origin, event) = match metric {
                Metric::Breakout => {
                    let f = t.first_foothold_hours?;
                    (f, t.breakout_hours.map(|b| b + f))
                }
                Metric::TimeToTierZero => (start?, t.watch_hours),
                Metric::TimeToImpact => (start?, t.impact_hours),
                Metric::TimeToExfiltration => (start?, t.exfil_hours),
                Metric::Dwell => (start?, t.inside_detect_hours),
                Metric::DetectToEviction => (t.detect_hours?, t.evict_hours),
                Metric::EvictedShare | Metric::ObjectiveReduction => return None,
            };
            Some(match event {
                Some(e) if e <= horizon => ((e - origin).max(0.0), true),
                _ => ((horizon - origin).max(0.0), false),
            })
        })
        .collect()
}

/// The `q` quantile of a survival curve with its 95% interval: the times where the lower
/// and upper Greenwood bands first fall to 1 - q.
fn km_quantile(s: &Survival, q: f64) -> (Option<f64>, [Option<f64>; 2]) {
    let target = 1.0 - q + 1e-12;
    let band = s.band95();
    let lo = band.iter().find(|b| b.1 <= target).map(|b| b.0);
    let hi = band.iter().find(|b| b.2 <= target).map(|b| b.0);
    (s.quantile(q), [lo, hi])
}

/// Measures `metric` over `o` (and `baseline` for a reduction): the quantile `q` of a time,
/// or the share.
pub fn measure(
    o: &[TrialOutcome],
    baseline: Option<&[TrialOutcome]>,
    metric: Metric,
    from: Origin,
    q: f64,
    horizon: f64,
) -> Measured {
    match metric {
        Metric::EvictedShare => {
            // Intrusions detected: a step seen inside, not a phish at the door.
            let detected: Vec<&TrialOutcome> = o
                .iter()
                .filter(|t| t.inside_detect_hours.is_some())
                .collect();
            let k = detected.iter().filter(|t| t.evict_hours.is_some()).count();
            let p = stats::wilson(k as u64, detected.len() as u64);
            Measured {
                value: (!detected.is_empty()).then_some(p.probability),
                ci95: [Some(p.ci95[0]), Some(p.ci95[1])],
                n: detected.len(),
                events: k,
                observable_hours: None,
            }
        }
        Metric::ObjectiveReduction => {
            let share = |o: &[TrialOutcome]| {
                let k = o.iter().filter(|t| t.crown_jewel_hours.is_some()).count();
                stats::wilson(k as u64, o.len() as u64)
            };
            let after = share(o);
            let before = share(baseline.unwrap_or(&[]));
            let red = |a: f64, b: f64| if b > 0.0 { Some(1.0 - a / b) } else { None };
            Measured {
                value: red(after.probability, before.probability),
                // Conservative: the after share's interval against the before share's.
                ci95: [
                    red(after.ci95[1], before.ci95[0]).map(|x| x.max(0.0)),
                    red(after.ci95[0], before.ci95[1]),
                ],
                n: o.len(),
                events: after.successes as usize,
                observable_hours: None,
            }
        }
        _ => {
            let s = samples(o, metric, from, horizon);
            let observable = s.iter().map(|x| x.0).fold(0.0f64, f64::max);
            let km = stats::kaplan_meier_censored(&s, horizon);
            let (value, ci95) = km_quantile(&km, q);
            Measured {
                value,
                ci95,
                n: s.len(),
                events: km.events,
                observable_hours: Some(observable),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(foothold: Option<f64>, detect: Option<f64>, evict: Option<f64>) -> TrialOutcome {
        crate::sim::TrialOutcome {
            trial: 0,
            compromised: 1,
            value: 0.0,
            by_kind: Vec::new(),
            records_exposed: 0,
            records_exfiltrated: 0,
            encrypted: 0,
            backups_destroyed: 0,
            crown_jewel_hours: None,
            watch_hours: None,
            first_foothold_hours: foothold,
            breakout_hours: None,
            detect_hours: detect,
            contain_hours: None,
            blast_at_contain: None,
            evict_hours: evict,
            first_compromise_hours: foothold,
            inside_detect_hours: detect,
            impact_hours: None,
            exfil_hours: None,
            steps_attempted: 0,
            steps_succeeded: 0,
            edges_examined: 0,
            end_hours: 0.0,
            end: crate::sim::EndReason::Horizon,
            timeline: Vec::new(),
            techniques: Vec::new(),
            admin: 0,
            user_only: 0,
            discovered: 0,
            known_not_compromised: 0,
            cost: 0.0,
            score: 0.0,
            parents: Vec::new(),
        }
    }

    #[test]
    fn dwell_counts_from_each_trials_intrusion() {
        // Intrusions at 10, 20, 30 h, detected 2, 4 and 6 h later: median 4 h.
        let o: Vec<_> = [(10.0, 12.0), (20.0, 24.0), (30.0, 36.0)]
            .iter()
            .map(|&(a, d)| trial(Some(a), Some(d), None))
            .collect();
        let m = measure(&o, None, Metric::Dwell, Origin::InitialAccess, 0.5, 100.0);
        assert_eq!(m.value, Some(4.0));
        assert_eq!((m.n, m.events), (3, 3));
        // A trial with no intrusion does not count; one never detected is censored.
        let mut o2 = o.clone();
        o2.push(trial(None, None, None));
        o2.push(trial(Some(50.0), None, None));
        o2.push(trial(Some(60.0), None, None));
        let m = measure(&o2, None, Metric::Dwell, Origin::InitialAccess, 0.5, 100.0);
        assert_eq!((m.n, m.events), (5, 3));
        assert_eq!(m.value, Some(6.0));
    }

    #[test]
    fn evicted_share_is_over_detected_trials() {
        let o = vec![
            trial(Some(1.0), Some(2.0), Some(5.0)),
            trial(Some(1.0), Some(2.0), None),
            trial(Some(1.0), None, None),
        ];
        let m = measure(
            &o,
            None,
            Metric::EvictedShare,
            Origin::InitialAccess,
            0.5,
            100.0,
        );
        assert_eq!(m.value, Some(0.5));
        assert_eq!((m.n, m.events), (2, 1));
        let m = measure(
            &o,
            None,
            Metric::DetectToEviction,
            Origin::InitialAccess,
            0.5,
            100.0,
        );
        assert_eq!((m.n, m.events), (2, 1));
    }

    #[test]
    fn reduction_compares_objective_shares() {
        let hit = |h: bool| {
            let mut t = trial(Some(1.0), None, None);
            t.crown_jewel_hours = h.then_some(3.0);
            t
        };
        let before: Vec<_> = (0..100).map(|i| hit(i < 50)).collect();
        let after: Vec<_> = (0..100).map(|i| hit(i < 5)).collect();
        let m = measure(
            &after,
            Some(&before),
            Metric::ObjectiveReduction,
            Origin::InitialAccess,
            0.5,
            10.0,
        );
        assert!((m.value.unwrap() - 0.9).abs() < 1e-12);
        let [lo, hi] = m.ci95;
        assert!(lo.unwrap() < 0.9 && 0.9 < hi.unwrap());
    }
}
