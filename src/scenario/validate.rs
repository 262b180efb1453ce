//! Semantic checks on a typed scenario: ids, references, kinds, ranges. Every problem is
//! collected (never the first only) with its field path and a fix hint. The reachability
//! warning for objectives lives in [`crate::estate`], which has the graph.

use super::{AssetDef, Scenario};
use crate::controls::{Catalog, ControlDef, ControlUse, EffectDef, EffectKind, ParamValue};
use crate::error::Diagnostic;
use crate::limits::Limits;
use crate::model::{AssetKind, RelationKind};
use crate::techniques::TechniqueCatalog;
use std::collections::HashSet;

/// The largest value, time, speed or spread accepted: far beyond any real estate, and small
/// enough that sums over millions of assets and trials stay finite.
const MAX_QUANTITY: f64 = 1e12;

/// The most records one asset, or all assets together, may hold: 2^53, exact as a float.
const MAX_RECORDS: u64 = 1 << 53;

/// The longest horizon accepted, in hours (over 100,000 years).
const MAX_HORIZON_HOURS: f64 = 1e9;

/// Maps keyed by the scenario's ids: a million of them on the largest estates.
type IdMap<K, V> = foldhash::HashMap<K, V>;

mod intrusion;

/// Every semantic problem of `s` (errors and warnings), each with its field path; an empty
/// list means the scenario is valid. Line numbers are left at 0 (see [`super::locate_all`]).
pub fn validate(s: &Scenario, limits: &Limits) -> Vec<Diagnostic> {
    let mut v = Validator {
        out: Vec::new(),
        limits,
        hints: crate::suggest::HintBudget::default(),
    };
    v.run(s);
    v.out
}

struct Validator<'a> {
    out: Vec<Diagnostic>,
    limits: &'a Limits,
    /// "Did you mean" searches left: each costs a pass over every id.
    hints: crate::suggest::HintBudget,
}

fn article(word: &str) -> &'static str {
    // "a user", "an admin": kind names starting with u sound like "you".
    if word.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    }
}

fn kind_list(kinds: &[AssetKind]) -> String {
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Validator<'_> {
    fn err(&mut self, path: String, msg: String, hint: Option<String>) {
        let mut d = Diagnostic::error(path, msg);
        d.hint = hint;
        self.out.push(d);
    }

    fn prob(&mut self, path: String, x: f64) {
        if !x.is_finite() {
            self.err(path, format!("{x} is not a finite number"), None);
        } else if !(0.0..=1.0).contains(&x) {
            self.err(
                path,
                format!("probability {x} is outside [0, 1]"),
                Some("write probabilities as fractions, e.g. 0.3 for 30%".into()),
            );
        }
    }

    fn non_negative(&mut self, path: String, x: f64, what: &str) {
        if !x.is_finite() {
            self.err(path, format!("{x} is not a finite number"), None);
        } else if x < 0.0 {
            self.err(path, format!("{what} must not be negative (got {x})"), None);
        } else if x > MAX_QUANTITY {
            self.err(
                path,
                format!("{what} {x} is over the largest accepted, {MAX_QUANTITY:e}"),
                Some("sums of such numbers over assets and trials would overflow".into()),
            );
        }
    }

    /// Record counts: each at most [`MAX_RECORDS`], and so is their sum over the scenario,
    /// so that no sum of records (per trial, over trials as a float) can wrap or lose
    /// precision.
    fn records(&mut self, s: &Scenario) {
        let mut total: u64 = 0;
        for (i, a) in s.assets.iter().enumerate() {
            let Some(r) = a.records else { continue };
            if r > MAX_RECORDS {
                self.err(
                    format!("assets[{i}].records"),
                    format!("{r} records is over the largest accepted, {MAX_RECORDS}"),
                    None,
                );
                return;
            }
            total = total.saturating_add(r);
            if total > MAX_RECORDS {
                self.err(
                    format!("assets[{i}].records"),
                    format!("the records of all assets add up to more than {MAX_RECORDS} here"),
                    Some("records of every asset together must stay within 2^53".into()),
                );
                return;
            }
        }
    }

    fn text(&mut self, path: String, s: &str) {
        if s.len() > self.limits.max_string_len {
            self.err(
                path,
                format!(
                    "string of {} bytes is over the limit of {}",
                    s.len(),
                    self.limits.max_string_len
                ),
                Some("raise it with --max-string-len".into()),
            );
        }
    }

    fn run(&mut self, s: &Scenario) {
        self.sizes(s);
        let kinds = self.ids(s);
        let segment_ids: Vec<&str> = kinds
            .iter()
            .filter(|(_, k)| **k == AssetKind::Segment)
            .map(|(id, _)| *id)
            .collect();
        self.reachability(s, &kinds);
        for (i, a) in s.assets.iter().enumerate() {
            self.asset(i, a, &kinds, &segment_ids);
        }
        self.relations(s, &kinds);
        self.intrusion(s, &kinds);
        self.records(s);
        self.attacker(s, &kinds);
        self.techniques(s);
        self.rates_and_times(s);
        self.simulation(s);
        self.controls(s, &kinds, &segment_ids);
    }

    /// The name, and the counts of assets and relations against the limits.
    fn sizes(&mut self, s: &Scenario) {
        self.text("name".into(), &s.name);
        if s.name.trim().is_empty() {
            self.err("name".into(), "scenario name is empty".into(), None);
        }
        if s.assets.is_empty() {
            self.out.push(
                Diagnostic::warning("assets", "the estate has no assets: there is nothing to attack")
                    .with_hint("list identities, devices, applications, data and infrastructure under `assets:`"),
            );
        }
        if s.assets.len() > self.limits.max_assets {
            self.err(
                "assets".into(),
                format!(
                    "{} assets, over the limit of {}",
                    s.assets.len(),
                    self.limits.max_assets
                ),
                Some("raise it with --max-assets".into()),
            );
        }
        if s.relations.len() > self.limits.max_relations {
            self.err(
                "relations".into(),
                format!(
                    "{} relations, over the limit of {}",
                    s.relations.len(),
                    self.limits.max_relations
                ),
                Some("raise it with --max-relations".into()),
            );
        }
    }

    /// Checks every segment and asset id and returns the kind of each: segments and assets
    /// share one namespace, and `internet` is implicit.
    fn ids<'s>(&mut self, s: &'s Scenario) -> IdMap<&'s str, AssetKind> {
        let mut kinds: IdMap<&str, AssetKind> = IdMap::default();
        let mut first_at: IdMap<&str, String> = IdMap::default();
        kinds.insert("internet", AssetKind::Segment);
        for (i, seg) in s.segments.iter().enumerate() {
            let path = format!("segments[{i}].id");
            self.check_id(&path, &seg.id, &mut first_at, seg.id != "internet");
            kinds.insert(&seg.id, AssetKind::Segment);
            if let Some(v) = seg.value {
                self.non_negative(format!("segments[{i}].value"), v, "value");
            }
        }
        for (i, a) in s.assets.iter().enumerate() {
            let path = format!("assets[{i}].id");
            self.check_id(&path, &a.id, &mut first_at, true);
            if a.id == "internet" {
                self.err(
                    path,
                    "`internet` is the implicit internet segment".into(),
                    Some("choose another id".into()),
                );
            }
            kinds.entry(&a.id).or_insert(a.kind);
        }
        for (i, c) in s.credentials.iter().enumerate() {
            let path = format!("credentials[{i}].id");
            self.check_id(&path, &c.id, &mut first_at, true);
            kinds.entry(&c.id).or_insert(AssetKind::Credential);
        }
        kinds
    }

    /// Reachability rules: both ends are segments, and some protocol is listed.
    fn reachability(&mut self, s: &Scenario, kinds: &IdMap<&str, AssetKind>) {
        for (i, r) in s.reachability.iter().enumerate() {
            for (field, id) in [("from", &r.from), ("to", &r.to)] {
                self.reference(
                    format!("reachability[{i}].{field}"),
                    id,
                    kinds,
                    Some(&[AssetKind::Segment]),
                );
            }
            if r.protocols.is_empty() {
                self.err(
                    format!("reachability[{i}].protocols"),
                    "no protocols listed".into(),
                    Some("list protocols (smb, rdp, winrm, ssh, https, sql) or `any`".into()),
                );
            }
        }
    }

    /// Relations: known ends of the kinds the relation accepts (or a hint that `from` and
    /// `to` are swapped), `role` only on role_on, no relation to itself.
    fn relations(&mut self, s: &Scenario, kinds: &IdMap<&str, AssetKind>) {
        for (i, r) in s.relations.iter().enumerate() {
            let (from_ok, to_ok) = relation_kinds(r.kind);
            let (fk, tk) = (kinds.get(r.from.as_str()), kinds.get(r.to.as_str()));
            if let (Some(fk), Some(tk)) = (fk, tk)
                && !(from_ok.contains(fk) && to_ok.contains(tk))
                && from_ok.contains(tk)
                && to_ok.contains(fk)
            {
                self.err(
                    format!("relations[{i}].from"),
                    format!(
                        "a {} relation goes from ({}) to ({}), but `{}` is {} {fk} and `{}` is {} {tk}",
                        r.kind,
                        kind_list(from_ok),
                        kind_list(to_ok),
                        r.from,
                        article(fk.name()),
                        r.to,
                        article(tk.name())
                    ),
                    Some("`from` and `to` look swapped".into()),
                );
                continue;
            }
            self.reference(
                format!("relations[{i}].from"),
                &r.from,
                kinds,
                Some(from_ok),
            );
            self.reference(format!("relations[{i}].to"), &r.to, kinds, Some(to_ok));
            if r.role.is_some() && r.kind != RelationKind::RoleOn {
                self.err(
                    format!("relations[{i}].role"),
                    "`role` applies to role_on only".into(),
                    None,
                );
            }
            if r.from == r.to {
                self.err(
                    format!("relations[{i}].to"),
                    "a relation from an asset to itself".into(),
                    None,
                );
            }
        }
    }

    /// The attacker's start assets, objectives, profile, tries and a way to begin.
    fn attacker(&mut self, s: &Scenario, kinds: &IdMap<&str, AssetKind>) {
        let a = &s.attacker;
        for (j, id) in a.start.iter().enumerate() {
            self.reference(format!("attacker.start[{j}]"), id, kinds, None);
        }
        for (j, id) in a.objectives.iter().enumerate() {
            self.reference(format!("attacker.objectives[{j}]"), id, kinds, None);
        }
        if let Some(p) = &a.profile
            && crate::attacker::Profile::builtin(p).is_none()
        {
            self.err(
                "attacker.profile".into(),
                format!("unknown attacker profile `{p}`"),
                Some(format!(
                    "built-in profiles: {}",
                    crate::attacker::Profile::NAMES.join(", ")
                )),
            );
        }
        if a.max_tries == Some(0) {
            self.err(
                "attacker.max_tries".into(),
                "max_tries must be at least 1".into(),
                Some("1 means a single try".into()),
            );
        }
        // Leaked secrets and listed exploits are open to the attacker on the internet
        // whatever its entry vectors.
        let from_outside = s.credentials.iter().any(|c| !c.leaked_by.is_empty())
            || s.assets.iter().any(|x| !x.exploits.is_empty());
        if a.entry.as_ref().is_some_and(|e| e.is_empty()) && a.start.is_empty() && !from_outside {
            self.err(
                "attacker.entry".into(),
                "no entry vector and no start asset: the attacker can never begin".into(),
                Some("list entry vectors or give `start:` assets".into()),
            );
        }
    }

    /// Technique overrides: known ids, probabilities and mean times.
    fn techniques(&mut self, s: &Scenario) {
        let tc = TechniqueCatalog::builtin();
        for (i, t) in s.techniques.iter().enumerate() {
            if tc.id(&t.id).is_none() {
                self.err(
                    format!("techniques[{i}].id"),
                    format!("unknown technique `{}`", t.id),
                    Some("see `ztsim techniques` for the catalog".into()),
                );
            }
            if let Some(p) = t.p {
                self.prob(format!("techniques[{i}].p"), p);
            }
            if let Some(n) = t.noise {
                self.prob(format!("techniques[{i}].noise"), n);
            }
            if let Some(m) = t.mean_hours {
                self.non_negative(format!("techniques[{i}].mean_hours"), m, "time");
            }
        }
    }

    /// The defender's and attacker's times and rates, and the techniques' spreads.
    fn rates_and_times(&mut self, s: &Scenario) {
        let a = &s.attacker;
        if let Some(h) = s.defender.manual_response_hours {
            self.non_negative("defender.manual_response_hours".into(), h, "time");
        }
        if let Some(h) = s.defender.triage_hours {
            self.non_negative("defender.triage_hours".into(), h, "time");
        }
        if let Some(h) = s.defender.investigation_hours {
            self.non_negative("defender.investigation_hours".into(), h, "time");
        }
        if let Some(x) = s.defender.scoping {
            self.prob("defender.scoping".into(), x);
        }
        if let Some(x) = a.speed {
            self.non_negative("attacker.speed".into(), x, "speed");
        }
        if let Some(x) = a.noise_aversion {
            self.prob("attacker.noise_aversion".into(), x);
        }
        if let Some(h) = a.time_budget_hours {
            self.non_negative("attacker.time_budget_hours".into(), h, "time");
        }
        for (i, t) in s.techniques.iter().enumerate() {
            if let Some(x) = t.sigma {
                self.non_negative(format!("techniques[{i}].sigma"), x, "sigma");
            }
        }
    }

    /// The simulation's horizon and number of trials.
    fn simulation(&mut self, s: &Scenario) {
        let sim = &s.simulation;
        if !(sim.horizon_hours.is_finite()
            && sim.horizon_hours > 0.0
            && sim.horizon_hours <= MAX_HORIZON_HOURS)
        {
            self.err(
                "simulation.horizon_hours".into(),
                format!(
                    "horizon must be a positive number of hours, at most {MAX_HORIZON_HOURS:e} (got {})",
                    sim.horizon_hours
                ),
                Some("720 is 30 days".into()),
            );
        }
        if sim.trials == 0 {
            self.err(
                "simulation.trials".into(),
                "trials must be at least 1".into(),
                None,
            );
        }
    }

    fn check_id<'s>(
        &mut self,
        path: &str,
        id: &'s str,
        first_at: &mut IdMap<&'s str, String>,
        check_dup: bool,
    ) {
        self.text(path.to_string(), id);
        if id.trim().is_empty() {
            self.err(path.to_string(), "empty id".into(), None);
            return;
        }
        if id.chars().any(|c| c.is_control()) {
            self.err(
                path.to_string(),
                "id contains control characters".into(),
                None,
            );
        }
        if check_dup {
            if let Some(prev) = first_at.get(id) {
                self.err(
                    path.to_string(),
                    format!("duplicate id `{id}` (first defined at {prev})"),
                    Some("ids must be unique across segments and assets".into()),
                );
            } else {
                first_at.insert(id, path.to_string());
            }
        }
    }

    fn reference(
        &mut self,
        path: String,
        id: &str,
        kinds: &IdMap<&str, AssetKind>,
        allowed: Option<&[AssetKind]>,
    ) {
        match kinds.get(id) {
            None => {
                // Suggest ids of the kinds allowed here first, then any id (each
                // search counts against the file's hint budget).
                let fits = kinds
                    .iter()
                    .filter(|(_, k)| allowed.is_none_or(|a| a.contains(k)))
                    .map(|(id, _)| *id);
                let credential = allowed == Some(&[AssetKind::Credential][..]);
                let mut hint = self.hints.hint(id, fits);
                if hint.is_none() && !credential && allowed.is_some() {
                    hint = self.hints.hint(id, kinds.keys().copied());
                }
                let hint = hint.unwrap_or_else(|| {
                    if credential {
                        "declare it under `credentials:`".into()
                    } else {
                        "define it under `assets:` or `segments:`".into()
                    }
                });
                self.err(path, format!("unknown id `{id}`"), Some(hint));
            }
            Some(k) => {
                if let Some(allowed) = allowed
                    && !allowed.contains(k)
                {
                    self.err(
                        path,
                        format!(
                            "`{id}` is {} {k}, which cannot be used here",
                            article(k.name())
                        ),
                        Some(format!("expected one of: {}", kind_list(allowed))),
                    );
                }
            }
        }
    }

    fn asset(&mut self, i: usize, a: &AssetDef, kinds: &IdMap<&str, AssetKind>, segs: &[&str]) {
        let p = |f: &str| format!("assets[{i}].{f}");
        let k = a.kind;
        if let Some(n) = &a.name {
            self.text(p("name"), n);
        }
        if let Some(v) = a.value {
            self.non_negative(p("value"), v, "value");
        }
        if k == AssetKind::Segment {
            self.err(
                p("kind"),
                "segments are declared under `segments:`".into(),
                Some("move it to the segments list".into()),
            );
        }
        if k == AssetKind::Credential {
            self.err(
                p("kind"),
                "credentials are declared under `credentials:`".into(),
                Some("move it to the credentials list, with `of` and `form`".into()),
            );
        }
        let not_for = |field: &str, present: bool, ok: bool, v: &mut Self| {
            if present && !ok {
                v.err(
                    p(field),
                    format!("`{field}` does not apply to a {k}"),
                    Some("remove the field or fix the kind".into()),
                );
            }
        };
        let id = k.is_identity();
        let dev = k.is_device();
        let app = k.is_app();
        let data = k.is_data();
        let infra = k.is_infra();
        not_for("tier", a.tier.is_some(), id, self);
        not_for("mfa", a.mfa.is_some(), id && k != AssetKind::Group, self);
        not_for(
            "weak_password",
            a.weak_password.is_some(),
            id && k != AssetKind::Group,
            self,
        );
        not_for("trained", a.trained.is_some(), k.is_human(), self);
        not_for(
            "domain",
            a.domain.is_some(),
            id || k == AssetKind::DomainController
                || dev
                || k.is_pki_object()
                || k == AssetKind::CertificateAuthority,
            self,
        );
        not_for("os", a.os.is_some(), dev, self);
        not_for("managed", a.managed.is_some(), dev, self);
        not_for("compliant", a.compliant.is_some(), dev, self);
        not_for("edr", a.edr.is_some(), dev || infra, self);
        not_for(
            "patch_lag_days",
            a.patch_lag_days.is_some(),
            dev || infra,
            self,
        );
        not_for(
            "unique_local_admin",
            a.unique_local_admin.is_some(),
            dev,
            self,
        );
        not_for(
            "credential_guard",
            a.credential_guard.is_some(),
            dev || k == AssetKind::DomainController,
            self,
        );
        not_for(
            "unconstrained_delegation",
            a.unconstrained_delegation.is_some(),
            dev || id && k != AssetKind::Group,
            self,
        );
        not_for("exposed", !a.exposed.is_empty(), dev || infra, self);
        not_for(
            "exploitable",
            a.exploitable.is_some(),
            dev || app || infra,
            self,
        );
        not_for(
            "internet_facing",
            a.internet_facing.is_some(),
            app || infra,
            self,
        );
        not_for("sso", a.sso.is_some(), app, self);
        not_for("sensitivity", a.sensitivity.is_some(), data, self);
        not_for("records", a.records.is_some(), data, self);
        not_for("encrypted", a.encrypted.is_some(), data, self);
        not_for("crown_jewel", a.crown_jewel, data || infra || app, self);
        not_for(
            "segment",
            a.segment.is_some(),
            !id && !k.is_pki_object(),
            self,
        );
        not_for(
            "template",
            a.template.is_some(),
            k == AssetKind::CertificateTemplate,
            self,
        );
        not_for(
            "ca",
            a.ca.is_some(),
            k == AssetKind::CertificateAuthority,
            self,
        );
        not_for("pki", a.pki.is_some(), k == AssetKind::PkiObject, self);
        if k == AssetKind::PkiObject && a.pki.is_none() {
            self.err(
                p("pki"),
                "a pki_object needs `pki`: what it is".into(),
                Some("one of ntauth_store, root_ca, aia_ca, issuance_policy".into()),
            );
        }
        if let Some(t) = a.tier
            && t > 2
        {
            self.err(
                p("tier"),
                format!("tier {t} is not 0, 1 or 2"),
                Some("0 = domain/cloud admin, 1 = server admin, 2 = user".into()),
            );
        }
        if let Some(x) = a.exploitable {
            self.prob(p("exploitable"), x);
        }
        if let Some(x) = a.patch_lag_days {
            self.non_negative(p("patch_lag_days"), x, "patch lag");
        }
        if let Some(seg) = &a.segment {
            self.reference(p("segment"), seg, kinds, Some(&[AssetKind::Segment]));
        }
        let _ = segs;
    }

    fn controls(&mut self, s: &Scenario, kinds: &IdMap<&str, AssetKind>, segs: &[&str]) {
        let Ok(builtin) = Catalog::builtin() else {
            return;
        };
        let catalog = builtin.with_overrides(&s.controls);
        for (i, c) in s.controls.iter().enumerate() {
            let is_new = builtin.get(&c.id).is_none();
            self.control_def(i, c, is_new, &catalog, kinds, segs);
        }
        self.control_sets(s, &catalog, kinds, segs);
    }

    /// One control the scenario defines (`is_new`) or overrides: a new one is complete,
    /// numbers are in range, parameters carry provenance, effects are well formed.
    fn control_def(
        &mut self,
        i: usize,
        c: &ControlDef,
        is_new: bool,
        catalog: &Catalog,
        kinds: &IdMap<&str, AssetKind>,
        segs: &[&str],
    ) {
        let p = |f: &str| format!("controls[{i}].{f}");
        if is_new && (c.name.is_none() || c.effects.is_none()) {
            self.err(
                p("id"),
                format!(
                    "`{}` is not a catalog control, so it needs `name` and `effects`",
                    c.id
                ),
                Some("to override a catalog control use its id (see `ztsim controls`)".into()),
            );
        }
        if let Some(cov) = c.coverage {
            self.prob(p("coverage"), cov);
        }
        if let Some(cost) = c.cost {
            self.non_negative(p("cost"), cost, "cost");
        }
        for (name, pd) in &c.parameters {
            if !pd.value.is_finite() {
                self.err(
                    format!("controls[{i}].parameters.{name}.value"),
                    "not a finite number".into(),
                    None,
                );
            }
            if pd.source.is_none() && pd.assumption.is_none() {
                self.err(
                    format!("controls[{i}].parameters.{name}"),
                    "a parameter needs its provenance".into(),
                    Some("add `source: <citation>` or `assumption: <why>`".into()),
                );
            }
        }
        let merged = catalog.get(&c.id);
        for (name, x) in &c.params {
            let known = merged.is_some_and(|m| m.parameters.contains_key(name));
            if !known {
                self.err(
                    format!("controls[{i}].params.{name}"),
                    format!("`{}` has no parameter `{name}`", c.id),
                    None,
                );
            } else if !x.is_finite() {
                self.err(
                    format!("controls[{i}].params.{name}"),
                    "not a finite number".into(),
                    None,
                );
            }
        }
        if let (Some(effects), Some(m)) = (&c.effects, merged) {
            for (j, e) in effects.iter().enumerate() {
                self.effect(&format!("controls[{i}].effects[{j}]"), e, m, kinds);
            }
        }
        if let Some(scope) = &c.scope {
            self.scope(&format!("controls[{i}].scope"), scope, kinds, segs);
        }
    }

    /// One effect of control `m` at `path`: known techniques, the number its kind needs
    /// (a known parameter or a value in range), protocols to block, segments to allow.
    fn effect(
        &mut self,
        path: &str,
        e: &EffectDef,
        m: &ControlDef,
        kinds: &IdMap<&str, AssetKind>,
    ) {
        let ep = |f: &str| format!("{path}.{f}");
        let tc = TechniqueCatalog::builtin();
        for (k, t) in e.techniques.iter().enumerate() {
            if !tc.known_pattern(t) {
                self.err(
                    ep(&format!("techniques[{k}]")),
                    format!("unknown technique `{t}`"),
                    Some("see `ztsim techniques`".into()),
                );
            }
        }
        let (field, val) = match e.kind {
            EffectKind::Harden => ("e", &e.e),
            EffectKind::Detect => ("d", &e.d),
            EffectKind::Standing => ("fraction", &e.fraction),
            EffectKind::Respond => ("delay_hours", &e.delay_hours),
            _ => ("", &None),
        };
        if !field.is_empty() {
            match val {
                None => self.err(
                    ep("kind"),
                    format!("a {:?} effect needs `{field}`", e.kind).to_lowercase(),
                    None,
                ),
                Some(ParamValue::Param(name)) if !m.parameters.contains_key(name) => self.err(
                    ep(field),
                    format!("unknown parameter `{name}`"),
                    Some("declare it under `parameters:`".into()),
                ),
                Some(ParamValue::Number(x)) if e.kind == EffectKind::Respond => {
                    self.non_negative(ep(field), *x, "delay")
                }
                Some(ParamValue::Number(x)) => self.prob(ep(field), *x),
                _ => {}
            }
        }
        if e.direction.is_some() && e.kind != EffectKind::Block {
            self.err(
                ep("direction"),
                "`direction` applies to block effects only".into(),
                None,
            );
        }
        if e.kind == EffectKind::Block && e.protocols.is_empty() {
            self.err(
                ep("protocols"),
                "a block effect needs protocols".into(),
                None,
            );
        }
        for (k, seg) in e.allow_from.iter().enumerate() {
            self.reference(
                ep(&format!("allow_from[{k}]")),
                seg,
                kinds,
                Some(&[AssetKind::Segment]),
            );
        }
    }

    /// The scenario's control sets: names free and unique, a known parent, and each use of
    /// a control checked against the merged catalog.
    fn control_sets(
        &mut self,
        s: &Scenario,
        catalog: &Catalog,
        kinds: &IdMap<&str, AssetKind>,
        segs: &[&str],
    ) {
        let set_names: HashSet<&str> = s.control_sets.iter().map(|c| c.name.as_str()).collect();
        for (i, set) in s.control_sets.iter().enumerate() {
            if set.name.trim().is_empty() {
                self.err(
                    format!("control_sets[{i}].name"),
                    "a control set needs a non-empty name".into(),
                    Some("name it, e.g. `name: mfa-everywhere`".into()),
                );
            } else if set.name == "none" {
                self.err(
                    format!("control_sets[{i}].name"),
                    "`none` is reserved".into(),
                    None,
                );
            } else if crate::controls::resolve_set(&set.name, &[], catalog).is_ok() {
                // A preset (`initial`) or catalog syntax (`C01+C14`, `initial+C14`) already
                // means something on the command line and in sweeps: a scenario set of that
                // name would silently change its meaning.
                self.err(
                    format!("control_sets[{i}].name"),
                    format!(
                        "`{}` already names a preset or catalog controls; a scenario set cannot redefine it",
                        set.name
                    ),
                    Some("choose another name (presets: traditional, initial, advanced, optimal; `+` joins catalog ids)".into()),
                );
            }
            if s.control_sets[..i].iter().any(|o| o.name == set.name) {
                self.err(
                    format!("control_sets[{i}].name"),
                    format!("duplicate control set `{}`", set.name),
                    None,
                );
            }
            if let Some(parent) = &set.extends
                && parent != "none"
                && !set_names.contains(parent.as_str())
                && crate::controls::resolve_set(parent, &[], catalog).is_err()
            {
                self.err(
                    format!("control_sets[{i}].extends"),
                    format!("unknown control set `{parent}`"),
                    Some(
                        "extend `none`, another set of this scenario, or catalog ids joined with +"
                            .into(),
                    ),
                );
            }
            for (j, u) in set.controls.iter().enumerate() {
                let path = format!("control_sets[{i}].controls[{j}]");
                self.control_use(&path, u, catalog, kinds, segs);
            }
        }
    }

    /// One control a set uses, at `path`: a known id, coverage in range, parameters the
    /// control has, and its scope.
    fn control_use(
        &mut self,
        path: &str,
        u: &ControlUse,
        catalog: &Catalog,
        kinds: &IdMap<&str, AssetKind>,
        segs: &[&str],
    ) {
        let up = |f: &str| format!("{path}{f}");
        let Some(def) = catalog.get(&u.id) else {
            let hint = match catalog.closest_id(&u.id) {
                Some(k) => format!("did you mean `{k}`?"),
                None => "see `ztsim controls` for the catalog".into(),
            };
            self.err(up(".id"), format!("unknown control `{}`", u.id), Some(hint));
            return;
        };
        if let Some(cov) = u.coverage {
            self.prob(up(".coverage"), cov);
        }
        for (name, x) in &u.params {
            if !def.parameters.contains_key(name) {
                let known: Vec<&str> = def.parameters.keys().map(String::as_str).collect();
                self.err(
                    up(&format!(".params.{name}")),
                    format!("`{}` has no parameter `{name}`", u.id),
                    Some(format!(
                        "its parameters: {}",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    )),
                );
            } else if !x.is_finite() {
                self.err(
                    up(&format!(".params.{name}")),
                    "not a finite number".into(),
                    None,
                );
            }
        }
        if let Some(scope) = &u.scope {
            self.scope(&up(".scope"), scope, kinds, segs);
        }
    }

    fn scope(
        &mut self,
        path: &str,
        sc: &crate::controls::ScopeDef,
        kinds: &IdMap<&str, AssetKind>,
        _segs: &[&str],
    ) {
        for (k, id) in sc.ids.iter().enumerate() {
            self.reference(format!("{path}.ids[{k}]"), id, kinds, None);
        }
        for (k, id) in sc.segments.iter().enumerate() {
            self.reference(
                format!("{path}.segments[{k}]"),
                id,
                kinds,
                Some(&[AssetKind::Segment]),
            );
        }
        for (k, t) in sc.tiers.iter().enumerate() {
            if *t > 2 {
                self.err(
                    format!("{path}.tiers[{k}]"),
                    format!("tier {t} is not 0, 1 or 2"),
                    None,
                );
            }
        }
    }
}

/// The asset kinds each end of a relation accepts, by family (read by [`relation_kinds`]).
mod ends {
    use crate::model::AssetKind::{self, *};
    pub(super) const IDENT: &[AssetKind] = &[User, Admin, ServiceAccount, Guest, Group];
    pub(super) const DEVICES: &[AssetKind] = &[
        Workstation,
        Laptop,
        Server,
        Mobile,
        Iot,
        Byod,
        DomainController,
        Hypervisor,
    ];
    // Computers a Group Policy Object applies to, and the accounts it applies to.
    pub(super) const GPO_TARGETS: &[AssetKind] = &[
        Workstation,
        Laptop,
        Server,
        DomainController,
        User,
        Admin,
        ServiceAccount,
    ];
    pub(super) const ADMINABLE: &[AssetKind] = &[
        Workstation,
        Laptop,
        Server,
        Mobile,
        Iot,
        Byod,
        Saas,
        OnpremApp,
        Api,
        IdentityProvider,
        RemoteAccess,
        Database,
        FileShare,
        Bucket,
        Mailbox,
        DomainController,
        Hypervisor,
        Cluster,
        CloudSubscription,
        CertificateAuthority,
    ];
    pub(super) const APPS: &[AssetKind] = &[
        Saas,
        OnpremApp,
        Api,
        IdentityProvider,
        RemoteAccess,
        Cluster,
        CloudSubscription,
    ];
    pub(super) const DATA: &[AssetKind] = &[Database, FileShare, Bucket, Mailbox];
    pub(super) const READERS: &[AssetKind] = &[
        User,
        Admin,
        ServiceAccount,
        Guest,
        Group,
        Saas,
        OnpremApp,
        Api,
        IdentityProvider,
    ];
    pub(super) const HOSTED: &[AssetKind] = &[
        CertificateAuthority,
        Saas,
        OnpremApp,
        Api,
        IdentityProvider,
        RemoteAccess,
        Database,
        FileShare,
        Bucket,
        Mailbox,
        Server,
        Workstation,
        DomainController,
        Cluster,
    ];
    pub(super) const HOSTS: &[AssetKind] = &[
        Server,
        Workstation,
        Laptop,
        Hypervisor,
        Cluster,
        CloudSubscription,
        DomainController,
        Saas,
    ];
    pub(super) const RUNNERS: &[AssetKind] = &[
        Workstation,
        Laptop,
        Server,
        Iot,
        DomainController,
        Hypervisor,
        Cluster,
        OnpremApp,
        Api,
    ];
    // What a cloud control plane runs commands on (devices, VMs, clusters, automation).
    pub(super) const COMMAND_TARGETS: &[AssetKind] =
        &[Workstation, Laptop, Server, Mobile, Cluster, Api];
    pub(super) const CODE_SOURCES: &[AssetKind] =
        &[FileShare, Bucket, Database, OnpremApp, Api, Saas];
    pub(super) const TRUSTING: &[AssetKind] = &[
        IdentityProvider,
        DomainController,
        CloudSubscription,
        Saas,
        Cluster,
        RemoteAccess,
        OnpremApp,
        Api,
    ];
}

/// Which kinds each relation accepts at its two ends.
pub fn relation_kinds(r: RelationKind) -> (&'static [AssetKind], &'static [AssetKind]) {
    use AssetKind::*;
    use ends::*;
    match r {
        RelationKind::MemberOf => (IDENT, &[Group]),
        RelationKind::AdminTo => (IDENT, ADMINABLE),
        RelationKind::HasSession => (DEVICES, &[User, Admin, ServiceAccount, Guest]),
        RelationKind::CanRdp
        | RelationKind::CanPsremote
        | RelationKind::CanSsh
        | RelationKind::CanLogOn => (IDENT, DEVICES),
        RelationKind::RoleOn => (IDENT, APPS),
        RelationKind::Reads | RelationKind::Writes => (READERS, DATA),
        RelationKind::HostedOn => (HOSTED, HOSTS),
        RelationKind::Trusts => (TRUSTING, TRUSTING),
        RelationKind::Stores => (ADMINABLE, &[Credential]),
        RelationKind::Leaks => (
            &[Saas, OnpremApp, Api, IdentityProvider, RemoteAccess],
            &[Credential],
        ),
        RelationKind::RunsCodeFrom => (RUNNERS, CODE_SOURCES),
        RelationKind::CanResetPassword
        | RelationKind::CanAddKeyCredential
        | RelationKind::CanWriteSpn
        | RelationKind::CanReadPassword => (IDENT, &[User, Admin, ServiceAccount]),
        RelationKind::CanRewriteAcl => (
            IDENT,
            &[
                User,
                Admin,
                ServiceAccount,
                CertificateTemplate,
                CertificateAuthority,
                PkiObject,
            ],
        ),
        RelationKind::CanPushGpo => (IDENT, GPO_TARGETS),
        RelationKind::CanEnroll => (IDENT, &[CertificateTemplate, CertificateAuthority]),
        RelationKind::PublishedTo => (&[CertificateTemplate], &[CertificateAuthority]),
        RelationKind::CanManageCa | RelationKind::CanIssueCertificates => {
            (IDENT, &[CertificateAuthority])
        }
        RelationKind::CanEnrollOnBehalf => (IDENT, &[CertificateTemplate]),
        RelationKind::HasIssuancePolicy => (&[CertificateTemplate], &[PkiObject]),
        RelationKind::OidGroupLink => (&[PkiObject], &[Group]),
        RelationKind::CanAddSecret => (IDENT, &[ServiceAccount]),
        RelationKind::CanAddMember | RelationKind::HasRole => (IDENT, &[Group]),
        RelationKind::CanGrantRole | RelationKind::CanGrantAppRoles => (IDENT, &[IdentityProvider]),
        RelationKind::CanResetCloudPassword => (IDENT, &[User, Admin, ServiceAccount, Guest]),
        RelationKind::CanRunCommand => (IDENT, COMMAND_TARGETS),
        RelationKind::HasManagedIdentity => (COMMAND_TARGETS, &[ServiceAccount]),
    }
}
