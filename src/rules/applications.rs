//! Applications and data: roles on applications, reading data, what hosting and trust
//! relations give an attacker.

use super::lateral::eligible;
use super::{Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step, proto};
use crate::attacker::EntryVector;
use crate::controls::Credential;
use crate::edge::{bits, flags};
use crate::model::{AppRole, AssetKind, RelationKind};
use crate::world::{Application, CloudHosted, Identity};

/// The collection technique for a kind of data store.
pub fn collection_technique(k: AssetKind) -> &'static str {
    match k {
        AssetKind::Bucket => "T1530",
        AssetKind::Mailbox => "T1114",
        _ => "T1213",
    }
}

/// The protocol a data store is reached by: SMB for shares, SQL for databases, HTTPS else.
pub fn data_proto(k: AssetKind) -> u8 {
    match k {
        AssetKind::FileShare => proto::SMB,
        AssetKind::Database => proto::SQL,
        _ => proto::HTTPS,
    }
}

/// Whether a relation's source is a privileged identity (tier 0 or 1).
fn privileged_source(r: &RelRef) -> bool {
    r.from.kind().is_identity() && r.from.get::<Identity>().is_some_and(|i| i.tier <= 1)
}

/// How a `role_on` relation is used: through single sign-on, a remote-access gateway, or
/// the application's own sign-in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleWay {
    Sso,
    Gateway,
    Local,
}

fn role_way(r: &RelRef) -> RoleWay {
    let cloud = r.to.has::<CloudHosted>();
    let sso = r.to.get::<Application>().map_or(cloud, |a| a.sso);
    if sso || cloud {
        RoleWay::Sso
    } else if r.to.kind() == AssetKind::RemoteAccess {
        RoleWay::Gateway
    } else {
        RoleWay::Local
    }
}

/// The grants and flags of a role: admin roles (and any role of a tier 0/1 identity) are
/// privileged.
fn role_grants(r: &RelRef) -> (u8, u8) {
    let admin = r.rel.role == Some(AppRole::Admin);
    let grants = if admin {
        bits::ADMIN | bits::ACCESS
    } else {
        bits::ACCESS
    };
    let pf = if admin || privileged_source(r) {
        flags::PRIVILEGED | eligible(r)
    } else {
        eligible(r)
    };
    (grants, pf)
}

const ROLE_EXAMPLE: &str = "name: x\nassets:\n- {id: alice, kind: user}\n- {id: crm, kind: saas}\n- {id: vpn, kind: remote_access}\n- {id: wiki, kind: onprem_app}\nrelations:\n- {type: role_on, from: alice, to: crm}\n- {type: role_on, from: alice, to: vpn}\n- {type: role_on, from: alice, to: wiki, role: admin}\n";

/// Using a role on a single-sign-on or cloud application.
pub static ROLE_SSO: Rule = Rule {
    id: "applications.role-sso",
    name: "use an application role through single sign-on",
    techniques: &["T1078.004"],
    needs: bits::SIGNED_IN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::Protocols(proto::HTTPS),
    models: "A signed-in identity opens an application it has a role on through single \
             sign-on; the identity provider's policy applies.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::RoleOn]),
    phase: 6,
    derive: Derive::Relation(role_sso),
    example: Example {
        scenario: ROLE_EXAMPLE,
        edges: &["alice>crm"],
    },
};

fn role_sso(_: &Ctx, r: &RelRef, out: &mut Out) {
    if role_way(r) == RoleWay::Sso {
        let (grants, pf) = role_grants(r);
        out.step(
            Step::new(r.from.node, r.to.node, "T1078.004", bits::SIGNED_IN, grants)
                .proto(proto::HTTPS)
                .rel(RelationKind::RoleOn)
                .flags(pf | flags::PEP),
        );
    }
}

/// Signing in to a VPN or remote-access gateway with a password.
pub static ROLE_GATEWAY: Rule = Rule {
    id: "applications.remote-gateway",
    name: "external remote services",
    techniques: &["T1133"],
    needs: bits::PASSWORD,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::Protocols(proto::HTTPS),
    models: "A stolen password opens a VPN or remote-access gateway the identity may use, \
             when the attacker comes in through external remote services; the gateway is a \
             policy enforcement point, so MFA applies there.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::RoleOn]),
    phase: 6,
    derive: Derive::Relation(role_gateway),
    example: Example {
        scenario: ROLE_EXAMPLE,
        edges: &["alice>vpn"],
    },
};

fn role_gateway(cx: &Ctx, r: &RelRef, out: &mut Out) {
    if role_way(r) == RoleWay::Gateway && cx.entry(EntryVector::ExternalRemote) {
        let (grants, pf) = role_grants(r);
        out.step(
            Step::new(r.from.node, r.to.node, "T1133", bits::PASSWORD, grants)
                .proto(proto::HTTPS)
                .cred(Credential::Password)
                .rel(RelationKind::RoleOn)
                .flags(pf | flags::PEP),
        );
    }
}

/// Signing in to an application's own login with valid credentials.
pub static ROLE_APP: Rule = Rule {
    id: "applications.role-local",
    name: "use an application role with its own login",
    techniques: &["T1078"],
    needs: bits::PASSWORD | bits::HASH,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::Protocols(proto::HTTPS),
    models: "An on-premises application with its own (or integrated Windows) sign-in accepts \
             the identity's password or hash, and grants its role.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::RoleOn]),
    phase: 6,
    derive: Derive::Relation(role_app),
    example: Example {
        scenario: ROLE_EXAMPLE,
        edges: &["alice>wiki"],
    },
};

fn role_app(_: &Ctx, r: &RelRef, out: &mut Out) {
    if role_way(r) == RoleWay::Local {
        let (grants, pf) = role_grants(r);
        out.step(
            Step::new(
                r.from.node,
                r.to.node,
                "T1078",
                bits::PASSWORD | bits::HASH,
                grants,
            )
            .proto(proto::HTTPS)
            .cred(Credential::Password)
            .rel(RelationKind::RoleOn)
            .flags(pf),
        );
    }
}

/// What a `reads` or `writes` relation gives on the data: read access, and for a writer
/// also write access (the [`bits::ADMIN`] bit of a data store), which lets it taint what
/// others run from there ([`super::lateral::SHARED_CONTENT`]).
fn data_grants(r: &RelRef) -> u8 {
    if r.rel.kind == RelationKind::Writes {
        bits::ACCESS | bits::ADMIN
    } else {
        bits::ACCESS
    }
}

const DATA_EXAMPLE: &str = "name: x\nassets:\n- {id: app, kind: onprem_app}\n- {id: alice, kind: user}\n- {id: db, kind: database}\n- {id: bkt, kind: bucket}\nrelations:\n- {type: reads, from: app, to: db}\n- {type: reads, from: alice, to: bkt}\n- {type: writes, from: alice, to: db}\n";

/// An application reads the data it is connected to.
pub static DATA_FROM_APP: Rule = Rule {
    id: "applications.data-from-app",
    name: "data through a compromised application",
    techniques: &["T1213", "T1530", "T1114"],
    needs: bits::ADMIN,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::None,
    models: "Control of an application gives its stored connection to the data it reads or \
             writes (connection strings, service credentials).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Reads, RelationKind::Writes]),
    phase: 6,
    derive: Derive::Relation(data_from_app),
    example: Example {
        scenario: DATA_EXAMPLE,
        edges: &["app>db"],
    },
};

fn data_from_app(_: &Ctx, r: &RelRef, out: &mut Out) {
    if r.from.kind().is_app() {
        let tech = collection_technique(r.to.kind());
        out.step(
            Step::new(r.from.node, r.to.node, tech, bits::ADMIN, data_grants(r)).rel(r.rel.kind),
        );
    }
}

/// A signed-in identity reads cloud data it has access to.
pub static DATA_CLOUD: Rule = Rule {
    id: "applications.data-cloud",
    name: "data from cloud storage",
    techniques: &["T1530", "T1114", "T1213"],
    needs: bits::SIGNED_IN,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::Protocols(proto::HTTPS),
    models: "A signed-in identity with access to a cloud bucket, mailbox or store reads it \
             through the provider's API (a policy enforcement point).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Reads, RelationKind::Writes]),
    phase: 6,
    derive: Derive::Relation(data_cloud),
    example: Example {
        scenario: DATA_EXAMPLE,
        edges: &["alice>bkt"],
    },
};

fn data_cloud(_: &Ctx, r: &RelRef, out: &mut Out) {
    if !r.from.kind().is_app() && r.to.has::<CloudHosted>() {
        let tech = collection_technique(r.to.kind());
        let pf = if privileged_source(r) {
            flags::PRIVILEGED
        } else {
            0
        };
        out.step(
            Step::new(
                r.from.node,
                r.to.node,
                tech,
                bits::SIGNED_IN,
                data_grants(r),
            )
            .proto(proto::HTTPS)
            .rel(r.rel.kind)
            .flags(flags::PEP | pf),
        );
    }
}

/// An identity reads an on-premises data store with its credentials.
pub static DATA_ONPREM: Rule = Rule {
    id: "applications.data-onprem",
    name: "data from an on-premises store",
    techniques: &["T1213", "T1114", "T1530"],
    needs: bits::PASSWORD | bits::HASH,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::ByTarget,
    models: "An identity with access to a database or file share connects to it over its \
             own protocol (SQL, SMB) with its password or hash and reads it.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Reads, RelationKind::Writes]),
    phase: 6,
    derive: Derive::Relation(data_onprem),
    example: Example {
        scenario: DATA_EXAMPLE,
        edges: &["alice>db"],
    },
};

fn data_onprem(_: &Ctx, r: &RelRef, out: &mut Out) {
    if !r.from.kind().is_app() && !r.to.has::<CloudHosted>() {
        let k = r.to.kind();
        out.step(
            Step::new(
                r.from.node,
                r.to.node,
                collection_technique(k),
                bits::PASSWORD | bits::HASH,
                data_grants(r),
            )
            .proto(data_proto(k))
            .cred(Credential::Password)
            .rel(r.rel.kind),
        );
    }
}

/// Whoever administers a host owns what runs on it.
pub static HOST_OWNS_GUEST: Rule = Rule {
    id: "applications.host-owns-guest",
    name: "host administrator owns its workloads",
    techniques: &["T1078", "T1005", "T1021.007"],
    needs: bits::ADMIN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::None,
    models: "An administrator of a host, hypervisor, cluster or subscription controls the \
             applications, virtual machines and data hosted on it (local data, cloud \
             console access).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HostedOn]),
    phase: 6,
    derive: Derive::Relation(host_owns_guest),
    example: Example {
        scenario: "name: x\nassets:\n- {id: app, kind: onprem_app}\n- {id: srv, kind: server}\n- {id: db, kind: database}\n- {id: k8s, kind: cluster}\nrelations:\n- {type: hosted_on, from: app, to: srv}\n- {type: hosted_on, from: db, to: srv}\n- {type: hosted_on, from: srv, to: k8s}\n",
        edges: &["srv>app", "srv>db", "k8s>srv"],
    },
};

fn host_owns_guest(_: &Ctx, r: &RelRef, out: &mut Out) {
    let (guest, host) = (&r.from, &r.to);
    let (tech, grants) = if guest.kind().is_data() {
        ("T1005", bits::ACCESS)
    } else if matches!(
        host.kind(),
        AssetKind::CloudSubscription | AssetKind::Cluster
    ) {
        ("T1021.007", bits::ADMIN | bits::ACCESS)
    } else {
        ("T1078", bits::ADMIN | bits::ACCESS)
    };
    out.step(
        Step::new(host.node, guest.node, tech, bits::ADMIN, grants)
            .rel(RelationKind::HostedOn)
            .flags(flags::PRIVILEGED),
    );
}

/// Code running in a compromised application runs on its host.
pub static APP_RUNS_ON_HOST: Rule = Rule {
    id: "applications.app-runs-on-host",
    name: "application code runs on its host",
    techniques: &[],
    needs: bits::ADMIN,
    grants: bits::ACCESS,
    network: Network::None,
    models: "Control of an application hosted on a device is code execution on that device \
             as the application's account (a structural edge).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HostedOn]),
    phase: 6,
    derive: Derive::Relation(app_runs_on_host),
    example: Example {
        scenario: "name: x\nassets:\n- {id: app, kind: onprem_app}\n- {id: srv, kind: server}\n- {id: db, kind: database}\nrelations:\n- {type: hosted_on, from: app, to: srv}\n- {type: hosted_on, from: db, to: srv}\n",
        edges: &["app>srv"],
    },
};

fn app_runs_on_host(_: &Ctx, r: &RelRef, out: &mut Out) {
    if r.from.kind().is_app() && r.to.kind().is_device() {
        out.free(
            r.from.node,
            r.to.node,
            bits::ADMIN,
            bits::ACCESS,
            0,
            Some(RelationKind::HostedOn),
        );
    }
}

/// Abusing a trust: a trusted party (or a forged federation token) acts in the trusting one.
pub static TRUST: Rule = Rule {
    id: "applications.trust",
    name: "abuse a trust relationship",
    techniques: &["T1199", "T1606"],
    needs: bits::ADMIN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::None,
    models: "Control of a trusted party gives control of what trusts it: a partner's access \
             (T1199), or a forged SAML token when an identity provider or SaaS trusts a \
             federation signer (T1606, Golden SAML).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Trusts]),
    phase: 6,
    derive: Derive::Relation(trust),
    example: Example {
        scenario: "name: x\nassets:\n- {id: idp, kind: identity_provider}\n- {id: adfs, kind: onprem_app}\n- {id: msp, kind: onprem_app}\nrelations:\n- {type: trusts, from: idp, to: adfs}\n- {type: trusts, from: msp, to: adfs}\n",
        edges: &["adfs>idp", "adfs>msp"],
    },
};

fn trust(_: &Ctx, r: &RelRef, out: &mut Out) {
    let tech = if matches!(r.from.kind(), AssetKind::IdentityProvider | AssetKind::Saas) {
        "T1606"
    } else {
        "T1199"
    };
    out.step(
        Step::new(
            r.to.node,
            r.from.node,
            tech,
            bits::ADMIN,
            bits::ADMIN | bits::ACCESS,
        )
        .rel(RelationKind::Trusts)
        .flags(flags::PRIVILEGED),
    );
}
