//! Active Directory Certificate Services (AD CS): certificates as identities.
//!
//! A domain controller accepts a certificate issued by a certificate authority in its
//! domain's NTAuth store as proof of the identity the certificate names (PKINIT). So a
//! principal that can get, or forge, a certificate naming a domain administrator holds the
//! domain: every rule here ends in the domain's directory node with the `HASH` bit (a
//! ticket as an administrator, then DCSync), technique T1649. The misconfigurations are
//! SpecterOps' ESC numbers ("Certified Pre-Owned", 2021), as BloodHound names its edges.
//!
//! Certificate templates, authorities and the other PKI objects are assets
//! (`certificate_template`, `certificate_authority`, `pki_object`); enrollment rights,
//! publication and the officer rights are relations (`can_enroll`, `published_to`,
//! `can_manage_ca`, `can_issue_certificates`, `can_enroll_on_behalf`, `has_issuance_policy`,
//! `oid_group_link`). Enrolling takes the right on the template *and* on the authority,
//! held by the same principal: the rules follow `member_of` both ways to find who holds
//! both (`both`). Because they read memberships across the estate, an edit to an estate
//! with certificate services recompiles everything (see `EstateWorld::has_certificate_services`).

use super::{AssetRef, Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::edge::{NodeId, bits, flags};
use crate::model::{AssetKind, RelationKind};
use crate::scenario::PkiRole;
use crate::world::{CertAuthority, CertTemplate, Domain, Links, Pki, Relation};
use bevy_ecs::prelude::*;
use std::collections::HashSet;

/// Relations the certificate rules read beyond the one they are anchored on: who may
/// enroll where, what each authority publishes, memberships, agent restrictions and
/// issuance policies.
pub const READS: &[RelationKind] = &[
    RelationKind::MemberOf,
    RelationKind::CanEnroll,
    RelationKind::PublishedTo,
    RelationKind::CanEnrollOnBehalf,
    RelationKind::HasIssuancePolicy,
    RelationKind::OidGroupLink,
];

/// Phase of the certificate rules: after the account takeovers.
const PHASE: u8 = 13;

/// What a principal must hold to request a certificate: a credential of its own.
const NEEDS: u8 = bits::PASSWORD | bits::HASH;

/// The technique of every certificate step: Steal or Forge Authentication Certificates.
const TECH: &str = "T1649";

/// Ends of the relations of `kind` at `e`: targets when `out`, sources otherwise.
fn related(cx: &Ctx, e: Entity, kind: RelationKind, out: bool) -> Vec<Entity> {
    let Some(l) = cx.world.get::<Links>(e) else {
        return Vec::new();
    };
    let list = if out { &l.out } else { &l.incoming };
    list.iter()
        .filter_map(|&r| cx.world.get::<Relation>(r))
        .filter(|r| r.kind == kind)
        .map(|r| if out { r.to } else { r.from })
        .collect()
}

/// `e` and everything reachable from it over `member_of`, upwards (its groups) when `up`,
/// downwards (its members) otherwise.
fn closure(cx: &Ctx, e: Entity, up: bool) -> HashSet<Entity> {
    let mut seen = HashSet::from([e]);
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        for y in related(cx, x, RelationKind::MemberOf, up) {
            if seen.insert(y) {
                stack.push(y);
            }
        }
    }
    seen
}

/// The principals that hold a right through `p` and another through `q`: `p` when it is
/// (transitively) a member of `q`, `q` when it is a member of `p`, otherwise the topmost
/// principals among the members of both (so a group in both is one source, not each of
/// its members). `groups_of_p` is `closure(cx, p, true)`, computed once by the caller.
fn both(cx: &Ctx, p: Entity, groups_of_p: &HashSet<Entity>, q: Entity) -> Vec<Entity> {
    if groups_of_p.contains(&q) {
        return vec![p];
    }
    if closure(cx, q, true).contains(&p) {
        return vec![q];
    }
    let (dp, dq) = (closure(cx, p, false), closure(cx, q, false));
    let common: HashSet<Entity> = dp.intersection(&dq).copied().collect();
    let mut tops: Vec<Entity> = common
        .iter()
        .copied()
        .filter(|&x| {
            !related(cx, x, RelationKind::MemberOf, true)
                .iter()
                .any(|g| common.contains(g))
        })
        .collect();
    tops.sort_unstable();
    tops
}

/// The principals that hold the right through `p` and may also enroll at authority `ca`.
fn enrolling_at(cx: &Ctx, p: Entity, ca: Entity) -> Vec<Entity> {
    let (mut out, groups) = (Vec::new(), closure(cx, p, true));
    for q in related(cx, ca, RelationKind::CanEnroll, false) {
        for x in both(cx, p, &groups, q) {
            if !out.contains(&x) {
                out.push(x);
            }
        }
    }
    out
}

/// Whether principal `x` holds a right of `kind` on `target`, itself or through a group.
fn holds(cx: &Ctx, x: Entity, kind: RelationKind, target: Entity) -> bool {
    let mine = closure(cx, x, true);
    related(cx, target, kind, false)
        .iter()
        .any(|h| mine.contains(h))
}

/// The authorities template `t` is published to whose certificates authenticate.
fn issuing_cas(cx: &Ctx, t: Entity) -> Vec<Entity> {
    related(cx, t, RelationKind::PublishedTo, true)
        .into_iter()
        .filter(|&c| cx.world.get::<CertAuthority>(c).is_some_and(|a| a.ntauth))
        .collect()
}

/// The directory node of an asset's domain, if the estate has one.
fn directory_of(cx: &Ctx, e: Entity) -> Option<NodeId> {
    let key = cx.world.get::<Domain>(e).map_or("", |d| d.0.as_str());
    cx.virtuals.domains.get(key).map(|&(dir, _)| dir)
}

/// One certificate step per principal, from it to the directory of `ca`'s domain.
fn to_directory(cx: &Ctx, out: &mut Out, from: &[Entity], ca: Entity, rel: RelationKind) {
    let Some(dir) = directory_of(cx, ca) else {
        return;
    };
    for &x in from {
        out.step(
            Step::new(cx.node(x), dir, TECH, NEEDS, bits::HASH)
                .rel(rel)
                .flags(flags::PRIVILEGED),
        );
    }
}

/// A client-authentication template whose requests need neither approval nor an agent's
/// signature: what a requester asks for, it gets.
fn issues_on_request(t: &crate::scenario::TemplateDef) -> bool {
    t.authentication && !t.manager_approval && t.authorized_signatures == 0
}

/// The settings of template `t`, if it is one.
fn template<'w>(cx: &Ctx<'w>, t: Entity) -> Option<&'w crate::scenario::TemplateDef> {
    cx.world.get::<CertTemplate>(t).map(|c| &c.0)
}

/// A scenario most enrollment examples share: `alice` is in `staff`, which may enroll in
/// the template `t` (settings `$t`); `ca` (settings `$ca`) publishes it and lets `alice`
/// enroll; `bob` enrolls in `t` but not at `ca`; `$assets` and `$rels` add the rest.
macro_rules! pki_example {
    ($t:literal, $ca:literal, $assets:literal, $rels:literal) => {
        concat!(
            "name: x\nassets:\n",
            $assets,
            "- {id: alice, kind: user, domain: corp}\n- {id: bob, kind: user, domain: corp}\n",
            "- {id: staff, kind: group, domain: corp}\n",
            "- {id: t, kind: certificate_template, domain: corp, template: ",
            $t,
            "}\n- {id: ca, kind: certificate_authority, domain: corp, ca: ",
            $ca,
            "}\nrelations:\n- {type: member_of, from: alice, to: staff}\n",
            "- {type: can_enroll, from: staff, to: t}\n- {type: can_enroll, from: bob, to: t}\n",
            "- {type: can_enroll, from: alice, to: ca}\n- {type: published_to, from: t, to: ca}\n",
            $rels
        )
    };
}

/// ESC1: a template whose requester names the subject.
pub static ESC1: Rule = Rule {
    id: "certificates.esc1",
    name: "ESC1: request a certificate as anyone",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal that may enroll in a client-authentication template whose \
             requester supplies the subject, with no approval and no agent signature, at an \
             authority the domain trusts, asks for a certificate naming a domain \
             administrator and logs on with it.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanEnroll]),
    phase: PHASE,
    derive: Derive::Relation(esc1),
    example: Example {
        scenario: pki_example!(
            "{authentication: true, enrollee_supplies_subject: true}",
            "{}",
            "",
            ""
        ),
        edges: &["alice>@domain:corp"],
    },
};

fn esc1(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let Some(t) = template(cx, r.rel.to) else {
        return;
    };
    if !(issues_on_request(t) && t.enrollee_supplies_subject) {
        return;
    }
    for ca in issuing_cas(cx, r.rel.to) {
        let who = enrolling_at(cx, r.rel.from, ca);
        to_directory(cx, out, &who, ca, RelationKind::CanEnroll);
    }
}

/// ESC6: an authority that lets every requester name the subject.
pub static ESC6: Rule = Rule {
    id: "certificates.esc6",
    name: "ESC6: the authority accepts any subject",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "An authority with EDITF_ATTRIBUTESUBJECTALTNAME2 set takes the subject \
             alternative name from the request, so any client-authentication template it \
             publishes without approval issues a certificate naming whoever the requester \
             chooses.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanEnroll]),
    phase: PHASE,
    derive: Derive::Relation(esc6),
    example: Example {
        scenario: pki_example!(
            "{authentication: true}",
            "{user_specified_san: true}",
            "",
            ""
        ),
        edges: &["alice>@domain:corp"],
    },
};

fn esc6(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let Some(t) = template(cx, r.rel.to) else {
        return;
    };
    // A template that already lets the requester name the subject is ESC1's.
    if !issues_on_request(t) || t.enrollee_supplies_subject {
        return;
    }
    for ca in issuing_cas(cx, r.rel.to) {
        if cx
            .world
            .get::<CertAuthority>(ca)
            .is_some_and(|a| a.user_specified_san)
        {
            let who = enrolling_at(cx, r.rel.from, ca);
            to_directory(cx, out, &who, ca, RelationKind::CanEnroll);
        }
    }
}

/// ESC3: an enrollment agent certificate, then a certificate on anyone's behalf.
pub static ESC3: Rule = Rule {
    id: "certificates.esc3",
    name: "ESC3: enroll as an agent, then on behalf of anyone",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal that may enroll in a Certificate Request Agent template gets an \
             agent certificate, signs a request on a domain administrator's behalf for a \
             client-authentication template that accepts agent signatures, and logs on \
             with the certificate it gets.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanEnroll]),
    phase: PHASE,
    derive: Derive::Relation(esc3),
    example: Example {
        scenario: pki_example!(
            "{request_agent: true}",
            "{}",
            "- {id: u, kind: certificate_template, domain: corp, template: {authentication: true, agent_signable: true}}\n",
            "- {type: published_to, from: u, to: ca}\n"
        ),
        edges: &["alice>@domain:corp"],
    },
};

fn esc3(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let Some(t) = template(cx, r.rel.to) else {
        return;
    };
    if !(t.request_agent && !t.manager_approval && t.authorized_signatures == 0) {
        return;
    }
    let mut agents: Vec<Entity> = Vec::new();
    for ca in related(cx, r.rel.to, RelationKind::PublishedTo, true) {
        for x in enrolling_at(cx, r.rel.from, ca) {
            if !agents.contains(&x) {
                agents.push(x);
            }
        }
    }
    for x in agents {
        if let Some(ca) = on_behalf_ca(cx, x) {
            to_directory(cx, out, &[x], ca, RelationKind::CanEnroll);
        }
    }
}

/// An authority where agent `x` may enroll on someone's behalf for a client-authentication
/// template that accepts an agent's signature (within the authority's agent restrictions).
fn on_behalf_ca(cx: &Ctx, x: Entity) -> Option<Entity> {
    let mine = closure(cx, x, true);
    let mut cas: Vec<Entity> = mine
        .iter()
        .flat_map(|&g| related(cx, g, RelationKind::CanEnroll, true))
        .filter(|&c| cx.world.get::<CertAuthority>(c).is_some_and(|a| a.ntauth))
        .collect();
    cas.sort_unstable();
    cas.dedup();
    cas.into_iter().find(|&ca| {
        let restricted = cx
            .world
            .get::<CertAuthority>(ca)
            .is_some_and(|a| a.agent_restrictions);
        related(cx, ca, RelationKind::PublishedTo, false)
            .into_iter()
            .any(|t2| {
                template(cx, t2)
                    .is_some_and(|t| t.authentication && t.agent_signable && !t.manager_approval)
                    && (!restricted || holds(cx, x, RelationKind::CanEnrollOnBehalf, t2))
            })
    })
}

/// ESC4: control of a template.
pub static ESC4: Rule = Rule {
    id: "certificates.esc4",
    name: "ESC4: rewrite a template",
    techniques: &["T1649", "T1222.001"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal that controls a certificate template's directory object (GenericAll, \
             WriteDacl, WriteOwner, Owns) grants itself enrollment and makes the template \
             ESC1-vulnerable, then requests a certificate as a domain administrator.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanRewriteAcl]),
    phase: PHASE,
    derive: Derive::Relation(esc4),
    example: Example {
        scenario: pki_example!(
            "{}",
            "{}",
            "- {id: carol, kind: user, domain: corp}\n",
            "- {type: can_rewrite_acl, from: carol, to: t}\n- {type: can_enroll, from: carol, to: ca}\n- {type: can_rewrite_acl, from: bob, to: t}\n"
        ),
        edges: &["carol>@domain:corp"],
    },
};

fn esc4(cx: &Ctx, r: &RelRef, out: &mut Out) {
    if r.to.kind() != AssetKind::CertificateTemplate {
        return;
    }
    for ca in issuing_cas(cx, r.rel.to) {
        let who = enrolling_at(cx, r.rel.from, ca);
        to_directory(cx, out, &who, ca, RelationKind::CanRewriteAcl);
    }
}

/// ESC5: control of the PKI objects the domain's trust in certificates rests on.
pub static ESC5: Rule = Rule {
    id: "certificates.esc5",
    name: "ESC5: control a PKI object",
    techniques: &["T1649", "T1222.001"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal that controls the NTAuth store, a root or AIA authority entry, or an \
             enterprise authority's directory object adds a certificate authority of its own \
             to what the domain trusts (or publishes any template on the authority) and \
             forges a certificate naming a domain administrator.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanRewriteAcl]),
    phase: PHASE,
    derive: Derive::Relation(esc5),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: nt, kind: pki_object, pki: ntauth_store, domain: corp}\n- {id: pol, kind: pki_object, pki: issuance_policy, domain: corp}\n- {id: ca, kind: certificate_authority, domain: corp}\nrelations:\n- {type: can_rewrite_acl, from: alice, to: nt}\n- {type: can_rewrite_acl, from: alice, to: pol}\n- {type: can_rewrite_acl, from: alice, to: ca}\n",
        edges: &["alice>@domain:corp", "alice>@domain:corp"],
    },
};

fn esc5(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let trust_anchor = match r.to.kind() {
        AssetKind::CertificateAuthority => true,
        AssetKind::PkiObject => {
            r.to.get::<Pki>()
                .is_some_and(|p| p.0 != PkiRole::IssuancePolicy)
        }
        _ => false,
    };
    if trust_anchor {
        to_directory(
            cx,
            out,
            &[r.rel.from],
            r.rel.to,
            RelationKind::CanRewriteAcl,
        );
    }
}

/// ESC7: the CA manager right.
pub static ESC7_MANAGE_CA: Rule = Rule {
    id: "certificates.esc7-manage-ca",
    name: "ESC7: manage the authority",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal with ManageCA on an authority the domain trusts makes itself an \
             officer, enables the SubCA template, requests a certificate naming a domain \
             administrator and issues the denied request itself.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanManageCa]),
    phase: PHASE,
    derive: Derive::Relation(esc7_manage),
    example: Example {
        scenario: pki_example!(
            "{}",
            "{}",
            "- {id: carol, kind: user, domain: corp}\n",
            "- {type: can_manage_ca, from: carol, to: ca}\n"
        ),
        edges: &["carol>@domain:corp"],
    },
};

fn esc7_manage(cx: &Ctx, r: &RelRef, out: &mut Out) {
    if r.to.get::<CertAuthority>().is_some_and(|a| a.ntauth) {
        to_directory(cx, out, &[r.rel.from], r.rel.to, RelationKind::CanManageCa);
    }
}

/// ESC7: the certificate officer right.
pub static ESC7_OFFICER: Rule = Rule {
    id: "certificates.esc7-officer",
    name: "ESC7: approve your own request",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A certificate officer (ManageCertificates) who may also enroll in a template \
             that would be ESC1 but for manager approval requests a certificate naming a \
             domain administrator and approves it.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanIssueCertificates]),
    phase: PHASE,
    derive: Derive::Relation(esc7_officer),
    example: Example {
        scenario: pki_example!(
            "{authentication: true, enrollee_supplies_subject: true, manager_approval: true}",
            "{}",
            "",
            "- {type: can_issue_certificates, from: alice, to: ca}\n- {type: can_issue_certificates, from: bob, to: ca}\n"
        ),
        edges: &["alice>@domain:corp"],
    },
};

fn esc7_officer(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let (officer, ca) = (r.rel.from, r.rel.to);
    if !r.to.get::<CertAuthority>().is_some_and(|a| a.ntauth) {
        return;
    }
    let (mut who, groups) = (Vec::new(), closure(cx, officer, true));
    for t in related(cx, ca, RelationKind::PublishedTo, false) {
        let approvable = template(cx, t).is_some_and(|t| {
            t.authentication && t.enrollee_supplies_subject && t.authorized_signatures == 0
        });
        if !approvable {
            continue;
        }
        for q in related(cx, t, RelationKind::CanEnroll, false) {
            for x in both(cx, officer, &groups, q) {
                if holds(cx, x, RelationKind::CanEnroll, ca) && !who.contains(&x) {
                    who.push(x);
                }
            }
        }
    }
    to_directory(cx, out, &who, ca, RelationKind::CanIssueCertificates);
}

/// ESC13: a template whose issuance policy is linked to a group.
pub static ESC13: Rule = Rule {
    id: "certificates.esc13",
    name: "ESC13: a policy linked to a group",
    techniques: &["T1649"],
    needs: NEEDS,
    grants: bits::PASSWORD | bits::HASH,
    network: Network::None,
    models: "A certificate from a client-authentication template whose issuance policy is \
             linked to a group (msDS-OIDToGroupLink) puts that group in the holder's logon \
             token, so enrolling in it gives the group's rights.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanEnroll]),
    phase: PHASE,
    derive: Derive::Relation(esc13),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: t, kind: certificate_template, domain: corp, template: {authentication: true}}\n- {id: ca, kind: certificate_authority, domain: corp}\n- {id: pol, kind: pki_object, pki: issuance_policy, domain: corp}\n- {id: admins, kind: group, domain: corp}\nrelations:\n- {type: can_enroll, from: alice, to: t}\n- {type: can_enroll, from: alice, to: ca}\n- {type: published_to, from: t, to: ca}\n- {type: has_issuance_policy, from: t, to: pol}\n- {type: oid_group_link, from: pol, to: admins}\n",
        edges: &["alice>admins"],
    },
};

fn esc13(cx: &Ctx, r: &RelRef, out: &mut Out) {
    let Some(t) = template(cx, r.rel.to) else {
        return;
    };
    if !issues_on_request(t) {
        return;
    }
    let groups: Vec<Entity> = related(cx, r.rel.to, RelationKind::HasIssuancePolicy, true)
        .into_iter()
        .flat_map(|p| related(cx, p, RelationKind::OidGroupLink, true))
        .collect();
    if groups.is_empty() {
        return;
    }
    let mut who: Vec<Entity> = Vec::new();
    for ca in issuing_cas(cx, r.rel.to) {
        for x in enrolling_at(cx, r.rel.from, ca) {
            if !who.contains(&x) {
                who.push(x);
            }
        }
    }
    for x in who {
        for &g in &groups {
            out.step(
                Step::new(
                    cx.node(x),
                    cx.node(g),
                    TECH,
                    NEEDS,
                    bits::PASSWORD | bits::HASH,
                )
                .rel(RelationKind::OidGroupLink),
            );
        }
    }
}

/// ESC8: NTLM relay to web enrollment.
pub static ESC8: Rule = Rule {
    id: "certificates.esc8",
    name: "ESC8: relay a domain controller to web enrollment",
    techniques: &["T1649", "T1187"],
    needs: bits::ACCESS,
    grants: bits::HASH,
    network: Network::None,
    models: "Any domain user coerces a domain controller to authenticate (PetitPotam, the \
             printer bug) and relays the NTLM authentication to an authority's web \
             enrollment over HTTP or HTTPS without channel binding, receiving a certificate \
             for the domain controller's account.",
    file: file!(),
    scope: Scope::Asset,
    phase: PHASE,
    derive: Derive::Asset(esc8),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: ca, kind: certificate_authority, domain: corp, ca: {web_enrollment: http}}\n- {id: ca2, kind: certificate_authority, domain: corp, ca: {web_enrollment: https_epa}}\n",
        edges: &["@domain-users:corp>@domain:corp"],
    },
};

fn esc8(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let Some(c) = a.get::<CertAuthority>() else {
        return;
    };
    let key = a.get::<Domain>().map_or("", |d| d.0.as_str());
    if c.relayable
        && c.ntauth
        && let Some(&(dir, users)) = cx.virtuals.domains.get(key)
    {
        out.step(Step::new(users, dir, TECH, bits::ACCESS, bits::HASH).flags(flags::PRIVILEGED));
    }
}

/// The authority's own key.
pub static GOLDEN_CERTIFICATE: Rule = Rule {
    id: "certificates.golden-certificate",
    name: "forge certificates with the authority's key",
    techniques: &["T1649", "T1552.004"],
    needs: bits::ADMIN,
    grants: bits::HASH,
    network: Network::None,
    models: "An administrator of an enterprise authority (of the server it runs on) exports \
             its private key and signs certificates naming anyone, a golden certificate no \
             revocation stops.",
    file: file!(),
    scope: Scope::Asset,
    phase: PHASE,
    derive: Derive::Asset(golden),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: ca, kind: certificate_authority, domain: corp}\n- {id: ca2, kind: certificate_authority, domain: corp, ca: {ntauth: false}}\n",
        edges: &["ca>@domain:corp"],
    },
};

fn golden(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if a.get::<CertAuthority>().is_some_and(|c| c.ntauth)
        && let Some(dir) = directory_of(cx, a.er.id())
    {
        out.step(Step::new(a.node, dir, TECH, bits::ADMIN, bits::HASH).flags(flags::PRIVILEGED));
    }
}
