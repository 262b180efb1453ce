//! Credential access (TA0006): taking passwords, hashes and tokens from where they live.

use super::privilege::shares_local_admin;
use super::{AssetRef, Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::controls::Credential;
use crate::edge::{INTERNET, bits, flags};
use crate::model::{AppRole, AssetKind, RelationKind};
use crate::world::{Device, Relation};

/// Dumping the local SAM for the shared local administrator hash.
pub static SAM_SHARED_ADMIN: Rule = Rule {
    id: "credential.sam-dump",
    name: "dump the local SAM",
    techniques: &["T1003.002"],
    needs: bits::ADMIN,
    grants: bits::HASH,
    network: Network::None,
    models: "An administrator on a Windows device reads the local account database and takes \
             the local administrator hash, which other devices share unless LAPS is used \
             (Credential Guard does not protect the SAM).",
    file: file!(),
    scope: Scope::Asset,
    phase: 5,
    derive: Derive::Asset(sam_dump),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc1, kind: workstation}\n- {id: pc2, kind: workstation, unique_local_admin: true}\n- {id: mac, kind: laptop, os: macos}\n",
        edges: &["pc1>@shared-local-admin"],
    },
};

fn sam_dump(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if let (true, Some(la)) = (shares_local_admin(a), cx.virtuals.shared_local_admin) {
        out.step(
            Step::new(a.node, la, "T1003.002", bits::ADMIN, bits::HASH)
                .cred(Credential::Hash)
                .flags(flags::SHARED_LOCAL_ADMIN),
        );
    }
}

/// Dumping LSASS memory for the hashes of identities signed in on a host.
pub static LSASS: Rule = Rule {
    id: "credential.lsass",
    name: "dump LSASS memory",
    techniques: &["T1003.001"],
    needs: bits::ADMIN,
    grants: bits::HASH,
    network: Network::None,
    models: "An administrator on a host reads the memory of the logon process and takes the \
             hashes of every identity with a session there (Mimikatz); Credential Guard cuts \
             the odds to a tenth.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HasSession]),
    phase: 6,
    derive: Derive::Relation(lsass),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc, kind: workstation}\n- {id: alice, kind: admin}\n- {id: srv, kind: server, credential_guard: true}\nrelations:\n- {type: has_session, from: pc, to: alice}\n- {type: has_session, from: srv, to: alice}\n",
        edges: &["pc>alice", "srv>alice"],
    },
};

fn lsass(_: &Ctx, r: &RelRef, out: &mut Out) {
    let cg = r.from.get::<Device>().is_some_and(|d| d.credential_guard);
    out.step(
        Step::new(r.from.node, r.to.node, "T1003.001", bits::ADMIN, bits::HASH)
            .cred(Credential::Hash)
            .rel(RelationKind::HasSession)
            .p(if cg { 0.1 } else { 1.0 }),
    );
}

/// Stealing a person's browser session cookies from their device.
pub static COOKIE_THEFT: Rule = Rule {
    id: "credential.cookie-theft",
    name: "steal web session cookies",
    techniques: &["T1539"],
    needs: bits::ACCESS,
    grants: bits::TOKEN,
    network: Network::None,
    models: "Code running as the user on their own workstation, laptop or phone copies the \
             browser's session cookies, which replay past MFA (infostealers).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HasSession]),
    phase: 6,
    derive: Derive::Relation(cookie_theft),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc, kind: workstation}\n- {id: alice, kind: user}\n- {id: srv, kind: server}\n- {id: svc, kind: service_account}\nrelations:\n- {type: has_session, from: pc, to: alice}\n- {type: has_session, from: srv, to: alice}\n- {type: has_session, from: pc, to: svc}\n",
        edges: &["pc>alice"],
    },
};

fn cookie_theft(_: &Ctx, r: &RelRef, out: &mut Out) {
    let endpoint = matches!(
        r.from.kind(),
        AssetKind::Workstation | AssetKind::Laptop | AssetKind::Byod | AssetKind::Mobile
    );
    if r.to.kind().is_human() && endpoint {
        out.step(
            Step::new(r.from.node, r.to.node, "T1539", bits::ACCESS, bits::TOKEN)
                .cred(Credential::Token)
                .rel(RelationKind::HasSession),
        );
    }
}

/// Stealing an application access token from a SaaS or identity provider one administers.
pub static APP_TOKEN: Rule = Rule {
    id: "credential.app-token",
    name: "steal application access tokens",
    techniques: &["T1528"],
    needs: bits::ADMIN,
    grants: bits::TOKEN,
    network: Network::None,
    models: "Control of a SaaS application or identity provider yields the access and \
             refresh tokens of its administrators (consent grants, token stores).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::RoleOn]),
    phase: 6,
    derive: Derive::Relation(app_token),
    example: Example {
        scenario: "name: x\nassets:\n- {id: admin, kind: admin}\n- {id: crm, kind: saas}\n- {id: wiki, kind: onprem_app}\nrelations:\n- {type: role_on, from: admin, to: crm, role: admin}\n- {type: role_on, from: admin, to: wiki, role: admin}\n",
        edges: &["crm>admin"],
    },
};

fn app_token(_: &Ctx, r: &RelRef, out: &mut Out) {
    let admin = r.rel.role == Some(AppRole::Admin);
    if admin && matches!(r.to.kind(), AssetKind::Saas | AssetKind::IdentityProvider) {
        out.step(
            Step::new(r.to.node, r.from.node, "T1528", bits::ADMIN, bits::TOKEN)
                .cred(Credential::Token)
                .rel(RelationKind::RoleOn),
        );
    }
}

/// Adversary-in-the-middle on a segment: poisoning and relaying to catch hashes.
pub static AITM: Rule = Rule {
    id: "credential.aitm",
    name: "adversary-in-the-middle",
    techniques: &["T1557"],
    needs: bits::ACCESS,
    grants: bits::HASH,
    network: Network::None,
    models: "A foothold in a segment poisons LLMNR/NBT-NS or relays NTLM and catches the \
             hashes of identities that sign in on devices there.",
    file: file!(),
    scope: Scope::Asset,
    phase: 7,
    derive: Derive::Asset(aitm),
    example: Example {
        scenario: "name: x\nsegments:\n- {id: lan}\nassets:\n- {id: pc, kind: workstation, segment: lan}\n- {id: pc2, kind: laptop, segment: lan}\n- {id: alice, kind: user}\n- {id: cloudpc, kind: laptop}\nrelations:\n- {type: has_session, from: pc, to: alice}\n- {type: has_session, from: pc2, to: alice}\n- {type: has_session, from: cloudpc, to: alice}\n",
        edges: &["lan>alice"],
    },
};

fn aitm(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let Some(links) = a.links() else { return };
    let mut segs: Vec<_> = links
        .incoming
        .iter()
        .filter_map(|&r| cx.world.get::<Relation>(r))
        .filter(|r| r.kind == RelationKind::HasSession)
        .map(|r| cx.nodes[cx.node(r.from) as usize].segment)
        .filter(|&s| s != INTERNET)
        .collect();
    segs.sort_unstable();
    segs.dedup();
    for seg in segs {
        out.step(Step::new(seg, a.node, "T1557", bits::ACCESS, bits::HASH).cred(Credential::Hash));
    }
}
