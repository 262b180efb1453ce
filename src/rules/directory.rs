//! The directory (Active Directory and its like): domain-wide credential theft and what
//! any authenticated user can do.

use super::identity::signs_in;
use super::{AssetRef, Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::edge::{NodeId, bits, flags};
use crate::model::{AssetKind, RelationKind};
use crate::world::{Domain, Identity, UnconstrainedDelegation};

/// The (directory, any-domain-user) virtual nodes of an asset's domain.
/// Whether an asset of kind `k` needs its domain's virtual nodes: identities that sign in,
/// domain controllers, and hosts trusted for unconstrained delegation (coercion reaches the
/// domain through them).
pub(crate) fn has_directory_node(k: AssetKind, er: bevy_ecs::world::EntityRef) -> bool {
    k.is_identity() && k != AssetKind::Group
        || k == AssetKind::DomainController
        || er.contains::<UnconstrainedDelegation>()
}

fn domain_nodes(cx: &Ctx, a: &AssetRef) -> Option<(NodeId, NodeId)> {
    let key = a.get::<Domain>().map(|d| d.0.as_str()).unwrap_or("");
    cx.virtuals.domains.get(key).copied()
}

/// DCSync: replicating the directory from a domain controller one administers.
pub static DCSYNC: Rule = Rule {
    id: "directory.dcsync",
    name: "DCSync",
    techniques: &["T1003.006"],
    needs: bits::ADMIN,
    grants: bits::HASH,
    network: Network::None,
    models: "With administrative rights on a domain controller the attacker asks it to \
             replicate the directory and receives every account's password hash.",
    file: file!(),
    scope: Scope::Asset,
    phase: 4,
    derive: Derive::Asset(dcsync),
    example: Example {
        scenario: "name: x\nassets:\n- {id: dc, kind: domain_controller, domain: corp}\n- {id: alice, kind: user, domain: corp}\n- {id: srv, kind: server}\n",
        edges: &["dc>@domain:corp"],
    },
};

fn dcsync(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if a.kind() == AssetKind::DomainController
        && let Some((dom, _)) = domain_nodes(cx, a)
    {
        out.step(
            Step::new(a.node, dom, "T1003.006", bits::ADMIN, bits::HASH).flags(flags::PRIVILEGED),
        );
    }
}

/// The directory's hashes include every member's.
pub static DOMAIN_HASHES: Rule = Rule {
    id: "directory.member-hashes",
    name: "directory holds members' hashes",
    techniques: &[],
    needs: bits::HASH,
    grants: bits::HASH,
    network: Network::None,
    models: "Whoever holds the directory's replicated secrets holds each member account's \
             hash (a structural edge from the domain to its identities).",
    file: file!(),
    scope: Scope::Asset,
    phase: 4,
    derive: Derive::Asset(member_hashes),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: bob, kind: user}\n- {id: g, kind: group, domain: corp}\n",
        edges: &["@domain:corp>alice", "@domain:>bob"],
    },
};

fn member_hashes(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if signs_in(a)
        && let Some((dom, _)) = domain_nodes(cx, a)
    {
        out.free(dom, a.node, bits::HASH, bits::HASH, 0, None);
    }
}

/// Any member's credentials make the attacker an authenticated domain user.
pub static DOMAIN_USER: Rule = Rule {
    id: "directory.domain-user",
    name: "authenticated domain user",
    techniques: &[],
    needs: bits::PASSWORD | bits::HASH,
    grants: bits::ACCESS,
    network: Network::None,
    models: "Any member's password or hash lets the attacker query the directory as an \
             authenticated user, the foothold for Kerberoasting (a structural edge).",
    file: file!(),
    scope: Scope::Asset,
    phase: 4,
    derive: Derive::Asset(domain_user),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user, domain: corp}\n- {id: svc, kind: service_account, domain: corp}\n- {id: g, kind: group, domain: corp}\n",
        edges: &["alice>@domain-users:corp", "svc>@domain-users:corp"],
    },
};

fn domain_user(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if signs_in(a)
        && let Some((_, du)) = domain_nodes(cx, a)
    {
        out.free(
            a.node,
            du,
            bits::PASSWORD | bits::HASH,
            bits::ACCESS,
            0,
            None,
        );
    }
}

/// Kerberoasting a service account with a weak password.
pub static KERBEROAST: Rule = Rule {
    id: "directory.kerberoast",
    name: "Kerberoasting",
    techniques: &["T1558.003"],
    needs: bits::ACCESS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "Any domain user requests a service ticket for an account with a service \
             principal name and cracks its weak password offline.",
    file: file!(),
    scope: Scope::Asset,
    phase: 4,
    derive: Derive::Asset(kerberoast),
    example: Example {
        scenario: "name: x\nassets:\n- {id: svc, kind: service_account, weak_password: true, domain: corp}\n- {id: svc2, kind: service_account, domain: corp}\n- {id: alice, kind: user, weak_password: true, domain: corp}\n",
        edges: &["@domain-users:corp>svc"],
    },
};

fn kerberoast(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let weak = a.get::<Identity>().is_some_and(|i| i.weak_password);
    if a.kind() == AssetKind::ServiceAccount
        && weak
        && let Some((_, du)) = domain_nodes(cx, a)
    {
        out.step(Step::new(
            du,
            a.node,
            "T1558.003",
            bits::ACCESS,
            bits::PASSWORD,
        ));
    }
}

/// Coercing a domain controller to a host with unconstrained delegation.
pub static COERCE_UNCONSTRAINED: Rule = Rule {
    id: "directory.coerce-unconstrained",
    name: "coercion to unconstrained delegation",
    techniques: &["T1187"],
    needs: bits::ADMIN | bits::PASSWORD | bits::HASH,
    grants: bits::HASH,
    network: Network::None,
    models: "An administrator of a host trusted for unconstrained delegation (or the holder \
             of such an account's password, with a DNS record of its own: krbrelayx) makes a \
             domain controller authenticate to it (PrinterBug, PetitPotam), takes the \
             controller's ticket-granting ticket and replicates the directory with it \
             (BloodHound's CoerceToTGT). A domain member reaches its controllers anyway, so \
             there is no network condition.",
    file: file!(),
    scope: Scope::Asset,
    phase: 12,
    derive: Derive::Asset(coerce_unconstrained),
    example: Example {
        scenario: "name: x\nassets:\n- {id: dc, kind: domain_controller, domain: corp}\n- {id: app, kind: server, domain: corp, unconstrained_delegation: true}\n- {id: web, kind: server, domain: corp}\n- {id: svc, kind: service_account, domain: corp, unconstrained_delegation: true}\n- {id: alice, kind: user, domain: corp}\n",
        edges: &["app>@domain:corp", "svc>@domain:corp"],
    },
};

fn coerce_unconstrained(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    // A domain controller is trusted for delegation by design: holding it is the domain.
    if a.get::<UnconstrainedDelegation>().is_none() || a.kind() == AssetKind::DomainController {
        return;
    }
    let needs = if signs_in(a) {
        bits::PASSWORD | bits::HASH
    } else {
        bits::ADMIN
    };
    if let Some((dom, _)) = domain_nodes(cx, a) {
        out.step(Step::new(a.node, dom, "T1187", needs, bits::HASH).flags(flags::PRIVILEGED));
    }
}

/// Pushing a Group Policy Object.
pub static GPO_ABUSE: Rule = Rule {
    id: "directory.gpo-abuse",
    name: "abuse a Group Policy Object",
    techniques: &["T1484.001"],
    needs: bits::PASSWORD | bits::HASH,
    grants: bits::ADMIN | bits::HASH,
    network: Network::None,
    models: "A principal that may edit a Group Policy Object (or link one) adds an immediate \
             scheduled task to it (SharpGPOAbuse): at the next policy refresh every computer it \
             applies to runs it as SYSTEM, and every account it applies to runs it at logon, \
             giving up its Kerberos ticket. Computers pull policy from the controllers, so \
             there is no network condition.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanPushGpo]),
    phase: 12,
    derive: Derive::Relation(gpo_abuse),
    example: Example {
        scenario: "name: x\nassets:\n- {id: carol, kind: user}\n- {id: srv, kind: server}\n- {id: bob, kind: user}\nrelations:\n- {type: can_push_gpo, from: carol, to: srv}\n- {type: can_push_gpo, from: carol, to: bob}\n",
        edges: &["carol>srv", "carol>bob"],
    },
};

fn gpo_abuse(_: &Ctx, r: &RelRef, out: &mut Out) {
    // A computer runs the policy as SYSTEM; an account runs it in its own session.
    let grants = if r.to.kind().is_identity() {
        bits::HASH
    } else {
        bits::ADMIN
    };
    out.step(
        Step::new(
            r.from.node,
            r.to.node,
            "T1484.001",
            bits::PASSWORD | bits::HASH,
            grants,
        )
        .rel(r.rel.kind),
    );
}
