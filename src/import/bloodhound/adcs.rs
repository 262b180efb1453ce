//! Certificate services (AD CS) in a SharpHound collection: certificate templates,
//! enterprise authorities, root and AIA authority entries, the NTAuth store and issuance
//! policies, read as BloodHound reads them and mapped onto the certificate assets and
//! relations the rules in [`crate::rules::certificates`] consume.
//!
//! Reading follows BloodHound's ingest (ein/ad.go): an enterprise authority's
//! `EnabledCertTemplates` give PublishedTo (template → authority), `HostingComputer` gives
//! HostsCAService (computer → authority), collected enrollment agent restrictions give
//! DelegatedEnrollmentAgent (agent → template), and when its `CASecurity` was collected
//! the authority's rights come from it (less Owns and local-group principals) plus the
//! object's `Aces` (less ManageCA, ManageCertificates and Enroll, unless held by the host).
//! Root authorities and the NTAuth store are RootCAFor / NTAuthStoreFor their `DomainSID`;
//! an issuance policy's `GroupLink` is OIDGroupLink.

use super::*;
use crate::scenario::{TemplateDef, WebEnrollment};

/// The Certificate Request Agent EKU / application policy.
const REQUEST_AGENT: &str = "1.3.6.1.4.1.311.20.2.1";
/// The any-purpose EKU.
const ANY_PURPOSE: &str = "2.5.29.37.0";

/// What a certificate services object carries beyond the common properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkiNode {
    /// A template's settings.
    pub template: Option<TemplateDef>,
    /// A template's issuance policy OIDs.
    pub policy_oids: Vec<String>,
    /// An issuance policy's own OID.
    pub oid: Option<String>,
    /// An authority's (or entry's) certificate thumbprint.
    pub thumbprint: Option<String>,
    /// The NTAuth store's certificate thumbprints.
    pub thumbprints: Vec<String>,
    /// An enterprise authority lets requesters name the subject (IsUserSpecifiesSanEnabled).
    pub user_san: bool,
    /// An enterprise authority restricts enrollment agents (restrictions collected, some set).
    pub agent_restrictions: bool,
    /// An enterprise authority's web enrollment, as its endpoint scan found it.
    pub web: WebEnrollment,
}

/// `{Data|Value|Restrictions, Collected}` as SharpHound writes each registry read.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Collected<T: Default> {
    #[serde(rename = "Data", alias = "Value", alias = "Restrictions")]
    data: T,
    #[serde(rename = "Collected")]
    collected: bool,
}

/// One enrollment agent restriction.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Restriction {
    #[serde(rename = "AccessType")]
    access: Option<String>,
    #[serde(rename = "Agent")]
    agent: Option<TypedRef>,
    #[serde(rename = "Template")]
    template: Option<TypedRef>,
    #[serde(rename = "AllTemplates")]
    all_templates: bool,
}

/// An enterprise authority's `CARegistryData`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CaRegistry {
    #[serde(rename = "CASecurity")]
    security: Option<Collected<Option<Vec<RawAce>>>>,
    #[serde(rename = "EnrollmentAgentRestrictions")]
    restrictions: Option<Collected<Option<Vec<Restriction>>>>,
    #[serde(rename = "IsUserSpecifiesSanEnabled")]
    san: Option<Collected<Option<bool>>>,
}

impl Lenient {
    fn number(&self) -> Option<u64> {
        match &self.0 {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }
    fn strings(&self) -> Vec<String> {
        match &self.0 {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A template's settings from SharpHound's properties, as BloodHound's ESC analysis reads
/// them.
fn template_def(p: &Props) -> TemplateDef {
    let ekus = p.effectiveekus.strings();
    let policies: Vec<String> = p
        .applicationpolicies
        .strings()
        .into_iter()
        .chain(p.certificateapplicationpolicy.strings())
        .collect();
    let schema = p.schemaversion.number().unwrap_or(1);
    let signatures = p.authorizedsignatures.number().unwrap_or(0) as u32;
    TemplateDef {
        authentication: p.authenticationenabled.bool().unwrap_or(false),
        enrollee_supplies_subject: p.enrolleesuppliessubject.bool().unwrap_or(false),
        manager_approval: p.requiresmanagerapproval.bool().unwrap_or(false),
        authorized_signatures: signatures,
        request_agent: ekus.is_empty()
            || ekus.iter().any(|e| e == REQUEST_AGENT || e == ANY_PURPOSE),
        agent_signable: schema == 1
            || (signatures == 1 && policies.iter().any(|e| e == REQUEST_AGENT)),
    }
}

/// Web enrollment from `HttpEnrollmentEndpoints`: SharpHound's scan results
/// (`{Results: [{Url, Type, Status}]}`, Status by name or number) or a list of URLs.
fn web_enrollment(v: &Value) -> WebEnrollment {
    let results = v.get("Results").unwrap_or(v);
    let mut best = WebEnrollment::None;
    for r in results.as_array().into_iter().flatten() {
        let found = match r.get("Status").or_else(|| r.get("status")) {
            Some(Value::String(s)) if s == "Vulnerable_NtlmHttpEndpoint" => WebEnrollment::Http,
            Some(Value::Number(n)) if n.as_u64() == Some(0) => WebEnrollment::Http,
            Some(Value::String(s)) if s == "Vulnerable_NtlmHttpsNoChannelBinding" => {
                WebEnrollment::Https
            }
            Some(Value::Number(n)) if n.as_u64() == Some(2) => WebEnrollment::Https,
            Some(_) => WebEnrollment::HttpsEpa,
            // A bare URL: plain HTTP is relayable; HTTPS without a scan is taken as protected.
            None => match r.as_str() {
                Some(u) if u.to_ascii_lowercase().starts_with("http://") => WebEnrollment::Http,
                Some(_) => WebEnrollment::HttpsEpa,
                None => WebEnrollment::None,
            },
        };
        best = match (best, found) {
            (WebEnrollment::Http, _) | (_, WebEnrollment::Http) => WebEnrollment::Http,
            (WebEnrollment::Https, _) | (_, WebEnrollment::Https) => WebEnrollment::Https,
            (WebEnrollment::HttpsEpa, _) | (_, WebEnrollment::HttpsEpa) => WebEnrollment::HttpsEpa,
            _ => WebEnrollment::None,
        };
    }
    best
}

impl BhKind {
    /// A certificate services object.
    pub(crate) fn is_pki(self) -> bool {
        matches!(
            self,
            BhKind::CertTemplate
                | BhKind::EnterpriseCa
                | BhKind::RootCa
                | BhKind::AiaCa
                | BhKind::NtAuthStore
                | BhKind::IssuancePolicy
        )
    }
}

impl Reader<'_> {
    /// Reads what a certificate services object carries beyond the common fields into node
    /// `i` and queues its edges (before its properties are taken and its ACEs read).
    pub(super) fn pki_object(&mut self, i: usize, kind: BhKind, me: &Ref, o: &mut RawObject) {
        if !kind.is_pki() {
            return;
        }
        let mut node = PkiNode::default();
        if let Some(p) = &o.props {
            node.thumbprint = p.certthumbprint.string().map(|t| t.to_uppercase());
            node.thumbprints = p
                .certthumbprints
                .strings()
                .iter()
                .map(|t| t.to_uppercase())
                .collect();
            node.oid = p.oid.string();
            if kind == BhKind::CertTemplate {
                node.template = Some(template_def(p));
                node.policy_oids = p.issuancepolicies.strings();
            }
        }
        match kind {
            BhKind::EnterpriseCa => self.enterprise_ca(me, o, &mut node),
            BhKind::RootCa | BhKind::NtAuthStore => {
                let edge = if kind == BhKind::RootCa {
                    "RootCAFor"
                } else {
                    "NTAuthStoreFor"
                };
                let dom = self.reference(o.domain_sid.as_deref(), Some("Domain"));
                self.edge(edge, Some(me.clone()), dom);
            }
            BhKind::IssuancePolicy => {
                if let Some(g) = o.group_link.take()
                    && g.id.is_some()
                {
                    let g = self.typed(&g);
                    self.edge("OIDGroupLink", Some(me.clone()), g);
                }
            }
            _ => {}
        }
        self.g.nodes[i].pki = Some(Box::new(node));
    }

    /// An enterprise authority: its templates, host, registry rights and restrictions.
    fn enterprise_ca(&mut self, me: &Ref, o: &mut RawObject, node: &mut PkiNode) {
        let templates: Vec<Ref> = o
            .enabled_templates
            .take()
            .unwrap_or_default()
            .iter()
            .filter_map(|t| self.typed(t))
            .collect();
        for t in &templates {
            self.edge("PublishedTo", Some(t.clone()), Some(me.clone()));
        }
        let host = self.valid_id(o.hosting_computer.as_deref());
        if let Some(h) = &host {
            let c = self.reference(Some(h), Some("Computer"));
            self.edge("HostsCAService", c, Some(me.clone()));
        }
        if let Some(v) = o.http_endpoints.take() {
            node.web = web_enrollment(&v);
        }
        let reg = o.ca_registry.take().unwrap_or_default();
        if let Some(sec) = reg.security.filter(|s| s.collected) {
            // BloodHound: the service's rights come from its registry, not the object's ACL.
            let service = ["ManageCA", "ManageCertificates", "Enroll"];
            let aces = o.aces.get_or_insert_with(Vec::new);
            aces.retain(|a| {
                !service.contains(&a.right.as_deref().unwrap_or(""))
                    || host.is_some() && a.principal.as_deref().map(upper) == host
            });
            aces.extend(sec.data.unwrap_or_default().into_iter().filter(|a| {
                a.right.as_deref() != Some("Owns")
                    && !a
                        .principal_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("LocalGroup"))
            }));
        }
        if let Some(san) = reg.san.filter(|s| s.collected) {
            node.user_san = san.data.unwrap_or(false);
        }
        if let Some(r) = reg.restrictions.filter(|r| r.collected) {
            let list = r.data.unwrap_or_default();
            node.agent_restrictions = !list.is_empty();
            for x in list {
                if x.access.as_deref() != Some("AccessAllowedCallback") {
                    continue;
                }
                let agent = x.agent.as_ref().and_then(|a| self.typed(a));
                let targets: Vec<Ref> = if x.all_templates {
                    templates.clone()
                } else {
                    x.template
                        .as_ref()
                        .and_then(|t| self.typed(t))
                        .into_iter()
                        .collect()
                };
                for t in targets {
                    self.edge("DelegatedEnrollmentAgent", agent.clone(), Some(t));
                }
            }
        }
    }
}

/// The ztsim relations a right on a certificate services object gives. GenericWrite (and
/// the template flag rights) rewrite a template only usefully for a principal that may
/// enroll in it (ESC4 needs both): `enrolls` says whether it may.
fn pki_rights(kind: BhKind, right: &str, enrolls: bool) -> &'static [RelationKind] {
    use RelationKind::*;
    let issues = matches!(kind, BhKind::CertTemplate | BhKind::EnterpriseCa);
    match right {
        "GenericAll" if issues => &[CanRewriteAcl, CanEnroll],
        "GenericAll" | "WriteDACL" | "WriteOwner" | "Owns" => &[CanRewriteAcl],
        "GenericWrite" | "WritePKINameFlag" | "WritePKIEnrollmentFlag"
            if kind == BhKind::CertTemplate =>
        {
            if enrolls {
                &[CanRewriteAcl]
            } else {
                &[]
            }
        }
        "GenericWrite" => &[CanRewriteAcl],
        "AllExtendedRights" if issues => &[CanEnroll],
        _ => &[],
    }
}

impl Mapper<'_> {
    /// The asset of a certificate services node `i`, or `None` for other kinds.
    pub(super) fn pki_asset(&mut self, i: usize) -> Option<usize> {
        let n = &self.g.nodes[i];
        let p = n.pki.as_deref().cloned().unwrap_or_default();
        let (kind, extra) = match n.kind {
            BhKind::CertTemplate => (
                AssetKind::CertificateTemplate,
                (
                    "template",
                    serde_json::to_value(p.template.unwrap_or_default()).ok()?,
                ),
            ),
            BhKind::EnterpriseCa => {
                let mut ca = serde_json::json!({
                    "user_specified_san": p.user_san,
                    "agent_restrictions": p.agent_restrictions,
                    "web_enrollment": p.web,
                });
                if let Some(nt) = self.in_ntauth(p.thumbprint.as_deref()) {
                    ca["ntauth"] = Value::Bool(nt);
                }
                (AssetKind::CertificateAuthority, ("ca", ca))
            }
            k if k.is_pki() => {
                let role = match k {
                    BhKind::RootCa => "root_ca",
                    BhKind::AiaCa => "aia_ca",
                    BhKind::NtAuthStore => "ntauth_store",
                    _ => "issuance_policy",
                };
                (AssetKind::PkiObject, ("pki", Value::String(role.into())))
            }
            _ => return None,
        };
        let mut j = self.base(i, kind);
        if let Some(d) = &self.g.nodes[i].domain {
            j.insert("domain".into(), Value::String(d.clone()));
        }
        j.insert(extra.0.into(), extra.1);
        self.add_asset(j, kind)
    }

    /// Whether an authority's certificate is in a collected NTAuth store (`None` when no
    /// store was collected: the authority is then taken as trusted, the default).
    fn in_ntauth(&self, thumbprint: Option<&str>) -> Option<bool> {
        let stores: Vec<&PkiNode> = self
            .g
            .nodes
            .iter()
            .filter(|n| n.kind == BhKind::NtAuthStore && n.collected)
            .filter_map(|n| n.pki.as_deref())
            .collect();
        if stores.is_empty() {
            return None;
        }
        let t = thumbprint?;
        Some(stores.iter().any(|s| s.thumbprints.iter().any(|x| x == t)))
    }

    /// Template → issuance policy relations, matched on the policy's OID.
    pub(super) fn pki_links(&mut self) {
        let mut by_oid: HashMap<String, usize> = HashMap::new();
        for (i, n) in self.g.nodes.iter().enumerate() {
            if let (BhKind::IssuancePolicy, Some(oid), Some(a)) = (
                n.kind,
                n.pki.as_ref().and_then(|p| p.oid.clone()),
                self.node_asset[i],
            ) {
                by_oid.insert(oid, a);
            }
        }
        let mut pairs = Vec::new();
        for (i, n) in self.g.nodes.iter().enumerate() {
            let (Some(p), Some(t)) = (n.pki.as_deref(), self.node_asset[i]) else {
                continue;
            };
            for oid in &p.policy_oids {
                match by_oid.get(oid) {
                    Some(&pol) => pairs.push((t, pol)),
                    None => self.rep.skip(
                        "issuance policy of a template with no collected policy object (no group link to follow)",
                    ),
                }
            }
        }
        let mut n = 0;
        for (t, pol) in pairs {
            n += self.rel(RelationKind::HasIssuancePolicy, t, pol) as usize;
        }
        if n > 0 {
            self.rep.mapped("(template issuance policies)", n);
        }
    }

    /// Edges of certificate services' own kinds (PublishedTo, HostsCAService, Enroll,
    /// ManageCA, ManageCertificates, DelegatedEnrollmentAgent, OIDGroupLink, RootCAFor,
    /// NTAuthStoreFor).
    pub(super) fn pki_edge(&mut self, ei: usize) {
        let e = self.g.edges[ei].clone();
        let (fk, tk) = (self.g.nodes[e.from].kind, self.g.nodes[e.to].kind);
        let kind = e.kind.as_str();
        let asset = |m: &Self, i: usize| {
            m.node_asset[i]
                .ok_or_else(|| "involves an object that could not be imported".to_string())
        };
        let r = match kind {
            "RootCAFor" | "NTAuthStoreFor" => {
                self.rep.skip(format!(
                    "{kind} (structure: the pki_object's `domain`, and the authorities' `ntauth` read from the NTAuth store)"
                ));
                return;
            }
            "PublishedTo" => asset(self, e.from).and_then(|t| {
                asset(self, e.to).map(|c| self.rel(RelationKind::PublishedTo, t, c) as usize)
            }),
            // BloodHound's Computer -> CA is ztsim's CA hosted_on computer.
            "HostsCAService" => asset(self, e.to).and_then(|c| {
                asset(self, e.from).map(|h| self.rel(RelationKind::HostedOn, c, h) as usize)
            }),
            "OIDGroupLink" => asset(self, e.from).and_then(|p| {
                asset(self, e.to).map(|g| self.rel(RelationKind::OidGroupLink, p, g) as usize)
            }),
            _ => {
                let rk = match kind {
                    "Enroll" => RelationKind::CanEnroll,
                    "ManageCA" => RelationKind::CanManageCa,
                    "ManageCertificates" => RelationKind::CanIssueCertificates,
                    _ => RelationKind::CanEnrollOnBehalf,
                };
                self.principal(e.from)
                    .and_then(|p| asset(self, e.to).map(|t| self.rel(rk, p, t) as usize))
            }
        };
        let _ = fk;
        self.outcome(kind, tk, r);
    }

    /// Whether principal asset `p` may enroll in template node `t` by a right of its own.
    fn enrolls_in(&self, p: usize, t: usize) -> bool {
        self.enroll_rights.get(&t).is_some_and(|holders| {
            holders
                .iter()
                .any(|f| self.node_asset[*f] == Some(p) || self.machine.get(f) == Some(&p))
        })
    }

    /// Control of certificate services node `t` by principal asset `p` through `right`: the
    /// relations it gives, added to `c`, or why it gives none.
    pub(super) fn pki_control(
        &mut self,
        p: usize,
        t: usize,
        right: &str,
        c: &mut Control,
    ) -> std::result::Result<(), String> {
        let kind = self.g.nodes[t].kind;
        let enrolls = kind == BhKind::CertTemplate && self.enrolls_in(p, t);
        let rels = pki_rights(kind, right, enrolls);
        if rels.is_empty() {
            return Err(if kind == BhKind::CertTemplate && !enrolls {
                "the principal may not enroll in the template, so rewriting its settings gives nothing (ESC4 needs both)".into()
            } else {
                format!(
                    "this right changes nothing a certificate attack uses on a {}",
                    kind.name()
                )
            });
        }
        if let Some(a) = self.node_asset[t] {
            for &rk in rels {
                c.targets += 1;
                c.relations += self.rel(rk, p, a) as usize;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_enrollment_takes_the_worst_endpoint() {
        let v = serde_json::json!({"Results": [
            {"Url": "https://ca/certsrv", "Status": "NotVulnerable_NtlmChannelBindingRequired"},
            {"Url": "http://ca/certsrv", "Status": 0}
        ], "Collected": true});
        assert_eq!(web_enrollment(&v), WebEnrollment::Http);
        let v = serde_json::json!([{"Status": "Vulnerable_NtlmHttpsNoChannelBinding"}]);
        assert_eq!(web_enrollment(&v), WebEnrollment::Https);
        assert_eq!(
            web_enrollment(&serde_json::json!(["https://ca/certsrv"])),
            WebEnrollment::HttpsEpa
        );
        assert_eq!(web_enrollment(&serde_json::json!([])), WebEnrollment::None);
    }

    #[test]
    fn pki_rights_follow_esc4() {
        use RelationKind::*;
        assert_eq!(
            pki_rights(BhKind::CertTemplate, "GenericAll", false),
            &[CanRewriteAcl, CanEnroll]
        );
        assert!(pki_rights(BhKind::CertTemplate, "GenericWrite", false).is_empty());
        assert_eq!(
            pki_rights(BhKind::CertTemplate, "GenericWrite", true),
            &[CanRewriteAcl]
        );
        assert_eq!(
            pki_rights(BhKind::NtAuthStore, "Owns", false),
            &[CanRewriteAcl]
        );
        assert!(pki_rights(BhKind::RootCa, "AllExtendedRights", false).is_empty());
    }
}
