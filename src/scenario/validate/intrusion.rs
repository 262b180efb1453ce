//! Validation of the intrusion model's fields: credentials, services, exploits, firewall
//! rules, decoys and per-link numbers. Every problem names its field path; references to
//! unknown assets, services and techniques get a did-you-mean hint.

use super::{IdMap, Validator};
use crate::error::Diagnostic;
use crate::model::{AssetKind, CredentialForm, Service, default_protocols};
use crate::scenario::{AssetDef, CredentialDef, FirewallRule, Scenario};
use crate::techniques::TechniqueCatalog;

/// `runs_as` values that name a privilege rather than an account.
const PRIVILEGE_WORDS: &[&str] = &["system", "root", "admin", "administrator", "user"];

/// The hint for a service that does not parse.
const SERVICE_HINT: &str = "write ssh, rdp, smb, winrm, https, http, sql (mysql, mssql, postgres, oracle), or tcp:PORT / udp:PORT with PORT in 1-65535";

impl Validator<'_> {
    /// Every intrusion-model field of the scenario.
    pub(super) fn intrusion(&mut self, s: &Scenario, kinds: &IdMap<&str, AssetKind>) {
        for (i, a) in s.assets.iter().enumerate() {
            self.services(i, a, kinds);
            self.exploits(i, a);
            if let Some(f) = &a.firewall {
                self.firewall(i, a, f, kinds);
            }
            if let Some(d) = a.decoy {
                self.prob(format!("assets[{i}].decoy"), d);
            }
        }
        let by_id: IdMap<&str, &AssetDef> = s.assets.iter().map(|a| (a.id.as_str(), a)).collect();
        for (i, c) in s.credentials.iter().enumerate() {
            self.credential(i, c, kinds, &by_id);
        }
        for (i, r) in s.relations.iter().enumerate() {
            if let Some(p) = r.p {
                self.prob(format!("relations[{i}].p"), p);
            }
            if let Some(n) = r.noise {
                self.prob(format!("relations[{i}].noise"), n);
            }
            if let Some(h) = r.mean_hours {
                self.non_negative(format!("relations[{i}].mean_hours"), h, "time");
            }
        }
        if let Some(c) = s.attacker.step_cost {
            self.non_negative("attacker.step_cost".into(), c, "cost");
        }
        for (i, t) in s.techniques.iter().enumerate() {
            if let Some(c) = t.cost {
                self.non_negative(format!("techniques[{i}].cost"), c, "cost");
            }
        }
    }

    fn services(&mut self, i: usize, a: &AssetDef, kinds: &IdMap<&str, AssetKind>) {
        if !a.services.is_empty() && a.kind.is_identity() {
            self.err(
                format!("assets[{i}].services"),
                format!("`services` does not apply to a {}", a.kind),
                Some("list services on hosts, applications, data stores and infrastructure".into()),
            );
            return;
        }
        let mut seen: IdMap<String, usize> = IdMap::default();
        for (j, svc) in a.services.iter().enumerate() {
            let path = format!("assets[{i}].services[{j}]");
            if let Err(msg) = Service::parse(&svc.name) {
                self.err(format!("{path}.name"), msg, Some(SERVICE_HINT.into()));
            } else if let Some(prev) = seen.insert(svc.name.clone(), j) {
                self.err(
                    format!("{path}.name"),
                    format!(
                        "service `{}` is listed twice (first at services[{prev}])",
                        svc.name
                    ),
                    Some("list each service once".into()),
                );
            }
            if let Some(who) = &svc.runs_as
                && !PRIVILEGE_WORDS.contains(&who.as_str())
            {
                match kinds.get(who.as_str()) {
                    Some(k) if k.is_identity() && *k != AssetKind::Group => {}
                    _ => self.err(
                        format!("{path}.runs_as"),
                        format!("`{who}` is neither a privilege nor an identity of the estate"),
                        Some(
                            "write system, root or admin (administrator rights), user, or \
                             the id of a service account"
                                .into(),
                        ),
                    ),
                }
            }
        }
    }

    fn exploits(&mut self, i: usize, a: &AssetDef) {
        if !a.exploits.is_empty() && (a.kind.is_identity() || a.kind.is_data()) {
            self.err(
                format!("assets[{i}].exploits"),
                format!("`exploits` does not apply to a {}", a.kind),
                Some("exploits are of services on hosts, applications and infrastructure".into()),
            );
            return;
        }
        let tc = TechniqueCatalog::builtin();
        for (j, x) in a.exploits.iter().enumerate() {
            let path = format!("assets[{i}].exploits[{j}]");
            self.prob(format!("{path}.p"), x.p);
            if let Some(n) = x.noise {
                self.prob(format!("{path}.noise"), n);
            }
            if let Some(h) = x.mean_hours {
                self.non_negative(format!("{path}.mean_hours"), h, "time");
            }
            if let Some(t) = &x.technique
                && tc.id(t).is_none()
            {
                self.err(
                    format!("{path}.technique"),
                    format!("unknown technique `{t}`"),
                    Some("see `ztsim techniques` for the catalog (T1210, T1190...)".into()),
                );
            }
            if let Some(name) = &x.service {
                self.service_ref(format!("{path}.service"), name, a);
            }
        }
    }

    /// A reference to one of the asset's services (or, if it lists none, any service).
    fn service_ref(&mut self, path: String, name: &str, a: &AssetDef) {
        if name == "any" {
            return;
        }
        if let Err(msg) = Service::parse(name) {
            self.err(path, msg, Some(SERVICE_HINT.into()));
            return;
        }
        if !a.services.is_empty() && !a.services.iter().any(|s| s.name == name) {
            let listed: Vec<&str> = a.services.iter().map(|s| s.name.as_str()).collect();
            self.err(
                path,
                format!("`{}` offers no `{name}` service", a.id),
                Some(format!("its services are: {}", listed.join(", "))),
            );
        }
    }

    fn firewall(
        &mut self,
        i: usize,
        a: &AssetDef,
        f: &crate::scenario::FirewallDef,
        kinds: &IdMap<&str, AssetKind>,
    ) {
        if !(a.kind.is_device() || a.kind.is_infra() || a.kind.is_app()) {
            self.err(
                format!("assets[{i}].firewall"),
                format!("`firewall` does not apply to a {}", a.kind),
                Some(
                    "host firewalls belong to devices, servers, applications and infrastructure"
                        .into(),
                ),
            );
            return;
        }
        for (dir, rules) in [("ingress", &f.ingress), ("egress", &f.egress)] {
            for (j, r) in rules.iter().enumerate() {
                let path = format!("assets[{i}].firewall.{dir}[{j}]");
                if let Some(peer) = &r.peer
                    && peer != "any"
                {
                    self.reference(
                        format!("{path}.peer"),
                        peer,
                        kinds,
                        Some(&[AssetKind::Segment]),
                    );
                }
                for (k, svc) in r.services.iter().enumerate() {
                    if svc != "any"
                        && let Err(msg) = Service::parse(svc)
                    {
                        self.err(
                            format!("{path}.services[{k}]"),
                            msg,
                            Some(SERVICE_HINT.into()),
                        );
                    }
                }
            }
            self.shadowed(&format!("assets[{i}].firewall.{dir}"), rules);
        }
    }

    /// Warns about a rule that a rule before it with the opposite action already decides
    /// (first match wins): both places are named.
    fn shadowed(&mut self, base: &str, rules: &[FirewallRule]) {
        let covers = |a: &FirewallRule, b: &FirewallRule| {
            let peer_a = a.peer.as_deref().unwrap_or("any");
            let peer_b = b.peer.as_deref().unwrap_or("any");
            let peers = peer_a == "any" || peer_a == peer_b;
            let any_a = a.services.is_empty() || a.services.iter().any(|s| s == "any");
            let svcs = any_a
                || (!b.services.is_empty() && b.services.iter().all(|s| a.services.contains(s)));
            peers && svcs
        };
        for (j, later) in rules.iter().enumerate() {
            if let Some(k) = (0..j).find(|&k| covers(&rules[k], later))
                && rules[k].action != later.action
            {
                self.out.push(
                    Diagnostic::warning(
                        format!("{base}[{j}]"),
                        format!(
                            "this rule never applies: {base}[{k}] matches the same \
                             connections first with the opposite action"
                        ),
                    )
                    .with_related(format!("{base}[{k}]"))
                    .with_hint("first match wins: reorder the rules or narrow the earlier one"),
                );
            }
        }
    }

    fn credential(
        &mut self,
        i: usize,
        c: &CredentialDef,
        kinds: &IdMap<&str, AssetKind>,
        by_id: &IdMap<&str, &AssetDef>,
    ) {
        use AssetKind::*;
        let p = |f: &str| format!("credentials[{i}].{f}");
        if let Some(n) = &c.name {
            self.text(p("name"), n);
        }
        self.reference(
            p("of"),
            &c.of,
            kinds,
            Some(&[User, Admin, ServiceAccount, Guest]),
        );
        let (holders, _) = super::relation_kinds(crate::model::RelationKind::Stores);
        for (j, h) in c.found_in.iter().enumerate() {
            self.reference(format!("{}[{j}]", p("found_in")), h, kinds, Some(holders));
        }
        let (leakers, _) = super::relation_kinds(crate::model::RelationKind::Leaks);
        for (j, h) in c.leaked_by.iter().enumerate() {
            self.reference(format!("{}[{j}]", p("leaked_by")), h, kinds, Some(leakers));
        }
        if c.found_in.is_empty() && c.leaked_by.is_empty() {
            self.out.push(
                Diagnostic::warning(p("id"), format!("credential `{}` is found nowhere", c.id))
                    .with_hint(
                        "list where it is stored (`found_in`) or who leaks it (`leaked_by`)",
                    ),
            );
        }
        for (j, t) in c.opens.iter().enumerate() {
            let path = format!("{}[{j}]", p("opens"));
            self.reference(path.clone(), t, kinds, Some(holders));
            if let Some(a) = by_id.get(t.as_str()) {
                self.form_fits(path, c.form, a);
            }
        }
    }

    /// A credential's form must fit some service of what it opens.
    fn form_fits(&mut self, path: String, form: CredentialForm, a: &AssetDef) {
        let offered = if a.services.is_empty() {
            default_protocols(a.kind, a.os.unwrap_or(crate::world::default_os(a.kind)))
        } else {
            a.services
                .iter()
                .filter_map(|s| Service::parse(&s.name).ok())
                .fold(0, |m, s| m | s.protocol.mask())
        };
        if form.protocols() & offered == 0 {
            let names = crate::model::Protocol::names_of(offered).join(", ");
            let fits = crate::model::Protocol::names_of(form.protocols()).join(", ");
            self.err(
                path,
                format!(
                    "a {form} cannot open `{}`: it offers {names}, and a {form} fits {fits}",
                    a.id
                ),
                Some("use a credential form that fits one of its services, or list the service it accepts".into()),
            );
        }
    }
}
