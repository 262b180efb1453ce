//! Statistics for Monte Carlo results: means, quantiles, proportions, survival curves and
//! paired comparisons. Std only and strictly sequential so that the same trials always
//! give bit-identical reports, whatever the thread count used to produce them.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use serde::{Deserialize, Serialize};

/// Two-sided 95% normal quantile: proportions (Wilson) and survival bands use it; means use
/// Student's t ([`t95`]), which matters at small trial counts (2 trials: 12.7, not 1.96).
const Z95: f64 = 1.96;

/// Absorbs rounding in products such as 0.75 * (1 - 1/3) so thresholds hit where expected.
const EPS: f64 = 1e-12;

/// Mean with a 95% Student-t CI, so reports can show how much the trial count matters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanCi {
    /// Sample mean (0 when there are no samples).
    pub mean: f64,
    /// 95% Student-t interval `[low, high]` of the mean (n − 1 degrees of freedom; zero
    /// width for one sample, which has no spread to measure).
    pub ci95: [f64; 2],
    /// Sample standard deviation (n − 1 denominator; 0 below two samples).
    pub sd: f64,
    /// Number of samples.
    pub n: usize,
}

/// Sample (n - 1) sd, two-pass for numerical stability; n = 0 gives zeros rather than NaN.
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi {
            mean: 0.0,
            ci95: [0.0, 0.0],
            sd: 0.0,
            n: 0,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = t95(n - 1) * sd / (n as f64).sqrt();
    MeanCi {
        mean,
        ci95: [mean - half, mean + half],
        sd,
        n,
    }
}

/// Nearest-rank quantile: always an observed value, so "p90 = 7 hops" is a real outcome.
/// The rank tolerates rounding in `q * n` (0.7 * 10 must be rank 7, not 8).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || q.is_nan() {
        return None;
    }
    let n = sorted.len();
    let x = q.clamp(0.0, 1.0) * n as f64;
    let nearest = x.round();
    let rank = if (x - nearest).abs() <= 1e-9 * x.max(1.0) {
        nearest
    } else {
        x.ceil()
    };
    Some(sorted[(rank as usize).clamp(1, n) - 1])
}

/// The usual summary of one metric across trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Mean over trials.
    pub mean: f64,
    /// 95% interval `[low, high]` of the mean.
    pub ci95: [f64; 2],
    /// Median (nearest rank: an observed value).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest observed value.
    pub max: f64,
    /// Smallest observed value.
    pub min: f64,
}

/// Sorts a copy with `total_cmp` so the caller's trial order is kept; empty gives all zeros.
pub fn distribution(xs: &[f64]) -> Distribution {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = mean_ci(xs);
    let q = |p| quantile_sorted(&sorted, p).unwrap_or(0.0);
    Distribution {
        mean: m.mean,
        ci95: m.ci95,
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        max: sorted.last().copied().unwrap_or(0.0),
        min: sorted.first().copied().unwrap_or(0.0),
    }
}

/// A success probability with a Wilson interval, which unlike Wald stays sensible at 0 or n.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    /// Observed share `successes / n`, in [0, 1] (0 when n = 0).
    pub probability: f64,
    /// 95% Wilson interval `[low, high]`; `[0, 1]` when n = 0.
    pub ci95: [f64; 2],
    /// Trials with the event.
    pub successes: u64,
    /// Trials in all.
    pub n: u64,
}

/// Wilson score interval at 95%. n = 0 means "no information": [0, 1]. k is capped at n.
pub fn wilson(k: u64, n: u64) -> Proportion {
    let k = k.min(n);
    if n == 0 {
        return Proportion {
            probability: 0.0,
            ci95: [0.0, 1.0],
            successes: 0,
            n: 0,
        };
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    // The bounds are exactly 0 / 1 at the extremes; do not let rounding say otherwise.
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    Proportion {
        probability: p,
        ci95: [lo, hi],
        successes: k,
        n,
    }
}

/// Kaplan–Meier step curve. Time-to-compromise is censored whenever a trial ends first, so
/// a plain mean over "hits" would be biased; KM keeps the censored trials in the risk set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Survival {
    /// The step curve as `(time, S(time))` pairs: starts at `(0, 1)`, one point per event time, and
    /// ends at the horizon.
    pub points: Vec<(f64, f64)>,
    /// Observations with an event within the horizon.
    pub events: usize,
    /// Observations censored (no event seen by the horizon, or cut short).
    pub censored: usize,
    /// End of observation; times beyond it are censored there.
    pub horizon: f64,
    /// Greenwood sum of d / (n (n - d)) up to each point, aligned with `points`.
    #[serde(skip)]
    greenwood: Vec<f64>,
}

/// `Some(t)` is an event at t, `None` a trial censored at `horizon`. Events after the horizon
/// (or with non-finite times) were not seen within it and count as censored there.
pub fn kaplan_meier(obs: &[Option<f64>], horizon: f64) -> Survival {
    let samples: Vec<(f64, bool)> = obs
        .iter()
        .map(|o| match o {
            Some(t) if t.is_finite() && *t <= horizon => (*t, true),
            _ => (horizon, false),
        })
        .collect();
    kaplan_meier_censored(&samples, horizon)
}

/// General KM over `(time, event)` pairs, for censoring before the horizon (e.g. a trial cut
/// short by detection). Negative times are clamped to 0; times past the horizon are censored.
/// Events sort before censorings at the same time, the usual KM convention.
pub fn kaplan_meier_censored(samples: &[(f64, bool)], horizon: f64) -> Survival {
    let mut s: Vec<(f64, bool)> = samples
        .iter()
        .map(|&(t, e)| {
            let t = if t.is_nan() { horizon } else { t.max(0.0) };
            if t > horizon {
                (horizon, false)
            } else {
                (t, e && t.is_finite())
            }
        })
        .collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let events = s.iter().filter(|x| x.1).count();
    let mut points = vec![(0.0, 1.0)];
    let mut greenwood = vec![0.0];
    let (mut surv, mut gw, mut at_risk, mut i) = (1.0_f64, 0.0_f64, s.len(), 0);
    while i < s.len() {
        let t = s[i].0;
        let (mut d, mut c) = (0usize, 0usize);
        while i < s.len() && s[i].0 == t {
            d += usize::from(s[i].1);
            c += usize::from(!s[i].1);
            i += 1;
        }
        if d > 0 {
            surv *= 1.0 - d as f64 / at_risk as f64;
            gw += if d < at_risk {
                d as f64 / (at_risk as f64 * (at_risk - d) as f64)
            } else {
                f64::INFINITY
            };
            points.push((t, surv));
            greenwood.push(gw);
        }
        at_risk -= d + c;
    }
    if points.last().is_some_and(|p| p.0 < horizon) {
        points.push((horizon, surv));
        greenwood.push(gw);
    }
    Survival {
        points,
        events,
        censored: s.len() - events,
        horizon,
        greenwood,
    }
}

impl Survival {
    /// Smallest t with S(t) <= 1 - q; None when censoring leaves that quantile unobserved,
    /// which reports must show as "not reached" rather than invent a time.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if q.is_nan() {
            return None;
        }
        let target = 1.0 - q;
        self.points
            .iter()
            .find(|p| p.1 <= target + EPS)
            .map(|p| p.0)
    }

    /// Right-continuous lookup: a drop at t already applies at t. 1 before time 0.
    pub fn at(&self, t: f64) -> f64 {
        self.points
            .iter()
            .take_while(|p| p.0 <= t)
            .last()
            .map_or(1.0, |p| p.1)
    }

    /// Greenwood band on the log-log scale, which keeps the bounds inside (0, 1) without
    /// clamping artefacts near the tails. Points with S = 1 or S = 0 get a zero-width band.
    pub fn band95(&self) -> Vec<(f64, f64, f64)> {
        self.points
            .iter()
            .zip(&self.greenwood)
            .map(|(&(t, s), &gw)| {
                if s <= 0.0 || s >= 1.0 || !gw.is_finite() {
                    return (t, s.clamp(0.0, 1.0), s.clamp(0.0, 1.0));
                }
                let se = gw.sqrt() / s.ln().abs();
                let lo = s.powf((Z95 * se).exp());
                let hi = s.powf((-Z95 * se).exp());
                (t, lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0))
            })
            .collect()
    }
}

/// Paired comparison of two control sets run on common random numbers, where the pairing
/// cancels most trial-to-trial noise that two independent means would carry.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// Mean of the per-trial differences, set − baseline (negative: the set does better on a "less
    /// is better" metric).
    pub mean: f64,
    /// 95% Student-t interval `[low, high]` of the mean difference.
    pub ci95: [f64; 2],
    /// Whether the interval excludes 0 (needs at least two pairs).
    pub significant: bool,
    /// Number of pairs (trials) compared.
    pub n: usize,
}

/// Mean of `b[i] - a[i]` over the common prefix. Needs n >= 2 to call anything significant: a
/// single pair says nothing about spread.
pub fn paired_diff(a: &[f64], b: &[f64]) -> PairedDiff {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let m = mean_ci(&diffs);
    let significant = m.n >= 2 && (m.ci95[0] > 0.0 || m.ci95[1] < 0.0);
    PairedDiff {
        mean: m.mean,
        ci95: m.ci95,
        significant,
        n: m.n,
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom: the half-width factor of
/// a two-sided 95% interval. Exact to three decimals up to 30 df (the usual table), then the
/// Cornish–Fisher expansion around the normal's 1.96; 0 for `df = 0` (one observation has
/// no spread to scale).
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => 0.0,
        1..=30 => TABLE[df - 1],
        _ => {
            let (z, v) = (Z95, df as f64);
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_from_the_table_and_beyond() {
        assert_eq!(t95(0), 0.0);
        assert!(close(t95(1), 12.706, 1e-9));
        assert!(close(t95(30), 2.042, 1e-9));
        // Beyond the table the expansion continues it smoothly toward 1.96.
        assert!(close(t95(31), 2.040, 2e-3));
        assert!(close(t95(120), 1.980, 1e-3));
        assert!(t95(10_000) > Z95 && t95(10_000) < Z95 + 1e-3);
        // Four differences 1, 2, 3, 4: mean 2.5, sd 1.291, half-width t(3) * sd / 2.
        let d = paired_diff(&[0.0; 4], &[1.0, 2.0, 3.0, 4.0]);
        let half = 3.182 * 1.290_994_4 / 2.0;
        assert!(close(d.ci95[0], 2.5 - half, 1e-6) && close(d.ci95[1], 2.5 + half, 1e-6));
        assert!(d.significant);
        let same = paired_diff(&[1.0, 0.0, 1.0], &[1.0, 0.0, 1.0]);
        assert_eq!(
            (same.mean, same.ci95, same.significant),
            (0.0, [0.0, 0.0], false)
        );
    }

    #[test]
    fn mean_ci_hand_checked() {
        let m = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert!(close(m.mean, 2.5, 1e-12));
        assert!(close(m.sd, 1.290_994_4, 1e-7));
        // Student's t with 3 degrees of freedom (3.182), not the normal's 1.96: with two
        // trials the factor would be 12.706.
        let half = 3.182 * m.sd / 2.0;
        assert!(close(m.ci95[0], 2.5 - half, 1e-12) && close(m.ci95[1], 2.5 + half, 1e-12));
        assert_eq!(m.n, 4);
        let two = mean_ci(&[0.0, 2.0]);
        assert!(close(
            two.ci95[1] - two.mean,
            12.706 * two.sd / 2f64.sqrt(),
            1e-9
        ));
    }

    #[test]
    fn mean_ci_degenerate() {
        let m = mean_ci(&[]);
        assert_eq!(
            m,
            MeanCi {
                mean: 0.0,
                ci95: [0.0, 0.0],
                sd: 0.0,
                n: 0
            }
        );
        let m = mean_ci(&[3.5]);
        assert_eq!(
            m,
            MeanCi {
                mean: 3.5,
                ci95: [3.5, 3.5],
                sd: 0.0,
                n: 1
            }
        );
    }

    #[test]
    fn nearest_rank_quantiles() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_sorted(&xs, 0.5), Some(5.0));
        assert_eq!(quantile_sorted(&xs, 0.9), Some(9.0));
        assert_eq!(quantile_sorted(&xs, 0.99), Some(10.0));
        assert_eq!(quantile_sorted(&xs, 0.7), Some(7.0));
        assert_eq!(quantile_sorted(&xs, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&xs, 1.0), Some(10.0));
        assert_eq!(quantile_sorted(&xs, 2.0), Some(10.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&xs, f64::NAN), None);
    }

    #[test]
    fn distribution_summary() {
        let d = distribution(&[10.0, 1.0, 4.0, 3.0, 2.0, 9.0, 5.0, 8.0, 7.0, 6.0]);
        assert_eq!((d.p50, d.p90, d.p99), (5.0, 9.0, 10.0));
        assert_eq!((d.min, d.max), (1.0, 10.0));
        assert!(close(d.mean, 5.5, 1e-12));
        let e = distribution(&[]);
        assert_eq!(
            (e.mean, e.p50, e.p99, e.min, e.max),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(e.ci95, [0.0, 0.0]);
    }

    #[test]
    fn wilson_hand_checked() {
        let p = wilson(0, 10);
        assert_eq!(p.ci95[0], 0.0);
        assert!(close(p.ci95[1], 0.2775, 1e-4));
        let p = wilson(5, 10);
        assert!(close(p.probability, 0.5, 1e-12));
        assert!(close(p.ci95[0], 0.2366, 1e-4) && close(p.ci95[1], 0.7634, 1e-4));
        let p = wilson(10, 10);
        assert_eq!(p.ci95[1], 1.0);
        assert!(close(p.ci95[0], 0.7225, 1e-4));
        assert_eq!(wilson(3, 0).ci95, [0.0, 1.0]);
        assert_eq!(wilson(12, 10).successes, 10);
    }

    #[test]
    fn km_censored_at_horizon() {
        let s = kaplan_meier(&[Some(1.0), Some(2.0), None, None], 10.0);
        assert_eq!((s.events, s.censored), (2, 2));
        assert_eq!(s.points.len(), 4);
        assert_eq!(s.points[0], (0.0, 1.0));
        assert!(s.points[1].0 == 1.0 && close(s.points[1].1, 0.75, 1e-12));
        assert!(s.points[2].0 == 2.0 && close(s.points[2].1, 0.5, 1e-12));
        assert!(s.points[3].0 == 10.0 && close(s.points[3].1, 0.5, 1e-12));
        assert_eq!(s.quantile(0.5), Some(2.0));
        assert_eq!(s.quantile(0.25), Some(1.0));
        assert_eq!(s.quantile(0.9), None);
        assert_eq!(s.at(-1.0), 1.0);
        assert_eq!(s.at(0.999), 1.0);
        assert!(close(s.at(1.0), 0.75, 1e-12) && close(s.at(5.0), 0.5, 1e-12));
    }

    #[test]
    fn km_ties_drop_together_and_late_events_are_censored() {
        let s = kaplan_meier(&[Some(3.0), Some(3.0), Some(1.0), Some(99.0)], 10.0);
        assert_eq!((s.events, s.censored), (3, 1));
        assert_eq!(s.points.len(), 4);
        assert!(close(s.points[1].1, 0.75, 1e-12));
        assert!(s.points[2].0 == 3.0 && close(s.points[2].1, 0.25, 1e-12));
        let e = kaplan_meier(&[], 5.0);
        assert_eq!(e.points, vec![(0.0, 1.0), (5.0, 1.0)]);
        assert_eq!(e.quantile(0.5), None);
    }

    #[test]
    fn km_mid_censoring_differs_from_ecdf() {
        // Event at 1, censored at 2, event at 3: the naive ECDF would give 1 - 2/3 at t=3,
        // KM knows only one subject was still at risk then, so S(3) = 0.
        let s = kaplan_meier_censored(&[(1.0, true), (2.0, false), (3.0, true)], 10.0);
        assert!(close(s.at(1.0), 2.0 / 3.0, 1e-12));
        assert!(close(s.at(2.5), 2.0 / 3.0, 1e-12));
        assert_eq!(s.at(3.0), 0.0);
        assert_eq!(s.quantile(0.9), Some(3.0));
        assert_eq!(s.band95().last().map(|b| (b.1, b.2)), Some((0.0, 0.0)));
    }

    #[test]
    fn km_band_log_log_greenwood() {
        let s = kaplan_meier(&[Some(1.0), Some(2.0), None, None], 10.0);
        let b = s.band95();
        assert_eq!(b.len(), s.points.len());
        assert_eq!(b[0], (0.0, 1.0, 1.0));
        // t=1: S=0.75, Greenwood 1/12; log-log: 0.75^exp(±1.96*sqrt(1/12)/|ln 0.75|).
        assert!(close(b[1].1, 0.127_94, 1e-4) && close(b[1].2, 0.960_55, 1e-4));
        for ((t, lo, hi), (pt, ps)) in b.iter().zip(&s.points) {
            assert!(t == pt && *lo <= *ps && *ps <= *hi && *lo >= 0.0 && *hi <= 1.0);
        }
    }

    #[test]
    fn paired_diff_cases() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let same = paired_diff(&a, &a);
        assert_eq!(
            (same.mean, same.ci95, same.significant),
            (0.0, [0.0, 0.0], false)
        );
        let b: Vec<f64> = a.iter().map(|x| x - 1.0).collect();
        let shift = paired_diff(&a, &b);
        assert_eq!(
            (shift.mean, shift.ci95, shift.significant),
            (-1.0, [-1.0, -1.0], true)
        );
        let prefix = paired_diff(&a, &[2.0, 3.0]);
        assert_eq!((prefix.n, prefix.mean), (2, 1.0));
        assert!(!paired_diff(&[0.0], &[5.0]).significant);
        assert_eq!(paired_diff(&[], &[]).n, 0);
    }
}
