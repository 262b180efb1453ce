//! The shape of an estate, for a researcher checking a generated one: counts by kind and
//! relation, and the degree distributions that make attack paths (sessions per identity,
//! admin rights per identity) with their heavy tail. Works on any scenario, generated or not.

use crate::model::{AssetKind, RelationKind};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Quantiles of a degree distribution (nearest rank).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Dist {
    /// Identities in the class.
    pub count: usize,
    /// Mean degree.
    pub mean: f64,
    /// Median degree.
    pub p50: usize,
    /// 90th percentile of the degree.
    pub p90: usize,
    /// 99th percentile of the degree.
    pub p99: usize,
    /// Largest degree.
    pub max: usize,
    /// How many have a degree above 50.
    pub over_50: usize,
}

impl Dist {
    pub(crate) fn of(mut xs: Vec<usize>) -> Dist {
        if xs.is_empty() {
            return Dist::default();
        }
        xs.sort_unstable();
        let n = xs.len();
        let q = |p: f64| xs[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Dist {
            count: n,
            mean: xs.iter().sum::<usize>() as f64 / n as f64,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: xs[n - 1],
            over_50: xs.iter().filter(|&&x| x > 50).count(),
        }
    }
}

/// Degree distributions by class of identity.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Degrees {
    /// Tier-2 users (kind `user`).
    pub users: Dist,
    /// Helpdesk and admin accounts (kind `admin`, any tier).
    pub admins: Dist,
    /// Service accounts (kind `service_account`).
    pub service_accounts: Dist,
    /// Every identity except groups.
    pub all: Dist,
}

/// The shape of a scenario's estate: counts and degree distributions (`ztsim generate --stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Assets declared (segments not included).
    pub assets: usize,
    /// Segments declared.
    pub segments: usize,
    /// Reachability rules declared.
    pub reachability_rules: usize,
    /// Relations declared.
    pub relations: usize,
    /// Relations per asset.
    pub relations_per_asset: f64,
    /// Assets by kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Assets by pillar (segments under `networks`).
    pub by_pillar: BTreeMap<String, usize>,
    /// Relations by kind.
    pub by_relation: BTreeMap<String, usize>,
    /// Ids of the crown-jewel assets.
    pub crown_jewels: Vec<String>,
    /// Devices holding a session of the identity (`has_session` into it).
    pub sessions: Degrees,
    /// Direct `admin_to` relations from the identity.
    pub admin_to_direct: Degrees,
    /// `admin_to` including those inherited through (nested) groups, counted with
    /// multiplicity: an upper bound on the distinct targets.
    pub admin_to_effective: Degrees,
}

impl Stats {
    /// Computes the shape of `s`.
    pub fn of(s: &Scenario) -> Stats {
        let n = s.assets.len();
        let index: HashMap<&str, usize> = s
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        let mut by_kind = BTreeMap::new();
        let mut by_pillar = BTreeMap::new();
        for a in &s.assets {
            *by_kind.entry(a.kind.name().to_string()).or_insert(0) += 1;
            *by_pillar
                .entry(a.kind.pillar().name().to_string())
                .or_insert(0) += 1;
        }
        if !s.segments.is_empty() {
            by_pillar.insert("networks".into(), s.segments.len());
        }
        let mut by_relation = BTreeMap::new();
        let mut sessions = vec![0usize; n];
        let mut admin = vec![0usize; n];
        let mut groups_of: Vec<Vec<usize>> = vec![Vec::new(); n];
        for r in &s.relations {
            *by_relation.entry(r.kind.name().to_string()).or_insert(0) += 1;
            let (Some(&f), Some(&t)) = (index.get(r.from.as_str()), index.get(r.to.as_str()))
            else {
                continue;
            };
            match r.kind {
                RelationKind::HasSession => sessions[t] += 1,
                RelationKind::AdminTo => admin[f] += 1,
                RelationKind::MemberOf => groups_of[f].push(t),
                _ => {}
            }
        }
        // Effective admin count of each group: its own plus its parents', memoised; a
        // membership cycle counts once.
        let mut memo: Vec<Option<usize>> = vec![None; n];
        let mut on_stack = vec![false; n];
        fn effective(
            g: usize,
            admin: &[usize],
            groups_of: &[Vec<usize>],
            memo: &mut [Option<usize>],
            on_stack: &mut [bool],
        ) -> usize {
            if let Some(x) = memo[g] {
                return x;
            }
            if on_stack[g] {
                return 0;
            }
            on_stack[g] = true;
            let mut total = admin[g];
            for &p in &groups_of[g] {
                total += effective(p, admin, groups_of, memo, on_stack);
            }
            on_stack[g] = false;
            memo[g] = Some(total);
            total
        }
        let mut eff = vec![0usize; n];
        for i in 0..n {
            if s.assets[i].kind.is_identity() && s.assets[i].kind != AssetKind::Group {
                eff[i] = admin[i]
                    + groups_of[i]
                        .iter()
                        .map(|&g| effective(g, &admin, &groups_of, &mut memo, &mut on_stack))
                        .sum::<usize>();
            }
        }
        let degrees = |d: &[usize]| {
            let pick = |f: &dyn Fn(AssetKind) -> bool| {
                Dist::of(
                    (0..n)
                        .filter(|&i| f(s.assets[i].kind))
                        .map(|i| d[i])
                        .collect(),
                )
            };
            Degrees {
                users: pick(&|k| k == AssetKind::User),
                admins: pick(&|k| k == AssetKind::Admin),
                service_accounts: pick(&|k| k == AssetKind::ServiceAccount),
                all: pick(&|k| k.is_identity() && k != AssetKind::Group),
            }
        };
        Stats {
            assets: n,
            segments: s.segments.len(),
            reachability_rules: s.reachability.len(),
            relations: s.relations.len(),
            relations_per_asset: s.relations.len() as f64 / n.max(1) as f64,
            by_kind,
            by_pillar,
            by_relation,
            crown_jewels: s
                .assets
                .iter()
                .filter(|a| a.crown_jewel)
                .map(|a| a.id.clone())
                .collect(),
            sessions: degrees(&sessions),
            admin_to_direct: degrees(&admin),
            admin_to_effective: degrees(&eff),
        }
    }

    /// A plain-text summary for the terminal.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} assets, {} segments ({} reachability rules), {} relations ({:.2} per asset)",
            self.assets,
            self.segments,
            self.reachability_rules,
            self.relations,
            self.relations_per_asset
        );
        let join = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(o, "by pillar: {}", join(&self.by_pillar));
        let _ = writeln!(o, "by kind: {}", join(&self.by_kind));
        let _ = writeln!(o, "by relation: {}", join(&self.by_relation));
        let _ = writeln!(o, "crown jewels: {}", self.crown_jewels.join(", "));
        let _ = writeln!(
            o,
            "{:<42} {:>7} {:>8} {:>5} {:>5} {:>5} {:>7} {:>6}",
            "degree per identity", "count", "mean", "p50", "p90", "p99", "max", ">50"
        );
        for (what, d) in [
            ("sessions", &self.sessions),
            ("admin_to (direct)", &self.admin_to_direct),
            ("admin_to (incl. groups)", &self.admin_to_effective),
        ] {
            for (class, x) in [
                ("users", &d.users),
                ("admins+helpdesk", &d.admins),
                ("service accounts", &d.service_accounts),
                ("all identities", &d.all),
            ] {
                let _ = writeln!(
                    o,
                    "{:<42} {:>7} {:>8.2} {:>5} {:>5} {:>5} {:>7} {:>6}",
                    format!("{what}: {class}"),
                    x.count,
                    x.mean,
                    x.p50,
                    x.p90,
                    x.p99,
                    x.max,
                    x.over_50
                );
            }
        }
        o
    }
}
