//! Credentials as objects (TA0006, TA0008): a credential entity is found where it is stored
//! or leaked, and opens what its form fits. A password opens every sign-in of its identity;
//! a hash only pass-the-hash (SMB, WinRM); a key only SSH; a token, cookie or API secret
//! only the applications it is good for. See docs/model.md, "Credentials".

use super::{AssetRef, Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step, proto};
use crate::controls::Credential;
use crate::edge::{INTERNET, NodeId, bits};
use crate::model::{AppRole, CredentialForm, RelationKind};
use crate::world::{Decoy, Device, Relation, Secret, Services};

/// Phase of the credential rules: after every older rule, so that an estate without
/// credentials keeps its edge order.
const PHASE: u8 = 11;

/// Taking a credential stored on or in an asset the attacker holds.
pub static STORED: Rule = Rule {
    id: "credential.stored",
    name: "credential stored on an asset",
    techniques: &["T1552.001", "T1552.004"],
    needs: bits::ACCESS | bits::ADMIN,
    grants: bits::ACCESS,
    network: Network::None,
    models: "A password in a shell history, a script or a configuration file, or an SSH \
             private key in a home directory, is read by whoever runs code on the host (or \
             reads the share, or controls the application) that stores it.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Stores]),
    phase: PHASE,
    derive: Derive::Relation(stored),
    example: Example {
        scenario: "name: x\nassets:\n- {id: web, kind: server, os: linux}\n- {id: ops, kind: admin}\n- {id: db, kind: server, os: linux}\ncredentials:\n- {id: ops-pw, of: ops, form: password, found_in: [web]}\n",
        edges: &["web>ops-pw"],
    },
};

fn stored(_: &Ctx, r: &RelRef, out: &mut Out) {
    let Some(sec) = r.to.get::<Secret>() else {
        return;
    };
    let k = r.from.kind();
    // Reading a file on a host takes a user's rights (an administrator's for a protected
    // store); a share or bucket takes read access; an application's configuration or vault
    // takes control of the application.
    let needs = if k.is_app() || sec.needs_admin {
        bits::ADMIN
    } else {
        bits::ACCESS | bits::ADMIN
    };
    let tech = if sec.form == CredentialForm::SshKey {
        "T1552.004"
    } else {
        "T1552.001"
    };
    out.step(Step::new(r.from.node, r.to.node, tech, needs, bits::ACCESS).rel(r.rel.kind));
}

/// Taking a credential an application leaks to whoever reaches it.
pub static LEAKED: Rule = Rule {
    id: "credential.leaked",
    name: "credential leaked by an application",
    techniques: &["T1552.001"],
    needs: bits::ACCESS,
    grants: bits::ACCESS,
    network: Network::Protocols(proto::HTTPS),
    models: "A web application that exposes a secret (a page, an exposed .git folder, a debug \
             endpoint, a public repository) gives it to anyone who can reach it over HTTPS, \
             from the internet or from a foothold inside.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::Leaks]),
    phase: PHASE,
    derive: Derive::Relation(leaked),
    example: Example {
        scenario: "name: x\nassets:\n- {id: wiki, kind: onprem_app, internet_facing: true}\n- {id: svc, kind: service_account}\n- {id: db, kind: database}\ncredentials:\n- {id: svc-pw, of: svc, form: password, leaked_by: [wiki], opens: [db]}\n",
        edges: &["internet>svc-pw"],
    },
};

fn leaked(_: &Ctx, r: &RelRef, out: &mut Out) {
    // The internet always holds: the step's only condition is reaching the application.
    out.step(
        Step::new(INTERNET, r.to.node, "T1552.001", bits::ACCESS, bits::ACCESS)
            .proto(proto::HTTPS)
            .at(r.from.node)
            .rel(r.rel.kind),
    );
}

/// Using a credential: as its identity's, or on what it opens.
pub static USE: Rule = Rule {
    id: "credential.use",
    name: "use a credential where its form fits",
    techniques: &["T1078", "T1021.004", "T1550.002", "T1550.001", "T1550.004"],
    needs: bits::ACCESS,
    grants: bits::PASSWORD | bits::HASH | bits::TOKEN | bits::ACCESS | bits::ADMIN,
    network: Network::ByTarget,
    models: "A stolen password works wherever its identity may sign in; a hash passes over \
             SMB and WinRM; a Kerberos ticket, token or cookie replays; an SSH key opens the \
             hosts that accept it; a credential with `opens` signs in to those assets only, \
             over the protocols its form fits.",
    file: file!(),
    scope: Scope::Asset,
    phase: PHASE,
    derive: Derive::Asset(use_credential),
    example: Example {
        scenario: "name: x\nassets:\n- {id: ops, kind: admin}\n- {id: lx, kind: server, os: linux}\n- {id: win, kind: server}\nrelations:\n- {type: can_ssh, from: ops, to: lx}\n- {type: can_rdp, from: ops, to: win}\ncredentials:\n- {id: ops-key, of: ops, form: ssh_key}\n- {id: ops-pw, of: ops, form: password}\n",
        edges: &["ops-key>lx", "ops-pw>ops"],
    },
};

/// The credential material an edge presents, for credential controls.
fn material(form: CredentialForm) -> Credential {
    match form {
        CredentialForm::Password => Credential::Password,
        CredentialForm::Hash => Credential::Hash,
        CredentialForm::SshKey => Credential::Key,
        CredentialForm::Ticket
        | CredentialForm::Token
        | CredentialForm::Cookie
        | CredentialForm::ApiSecret => Credential::Token,
    }
}

fn use_credential(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let Some(sec) = a.get::<Secret>() else {
        return;
    };
    let who = cx.asset(sec.of);
    if !sec.opens.is_empty() {
        for &t in &sec.opens {
            open_target(cx, a, sec, &who, &cx.asset(t), out);
        }
        return;
    }
    let to_identity = |bit: u8, out: &mut Out| {
        if who.has::<Decoy>() {
            // A honeytoken: the sign-in is a step, so that touching the decoy is seen.
            out.step(
                Step::new(a.node, who.node, "T1078", bits::ACCESS, bit).cred(material(sec.form)),
            );
        } else {
            out.free(a.node, who.node, bits::ACCESS, bit, 0, None);
        }
    };
    match sec.form {
        CredentialForm::Password => to_identity(bits::PASSWORD, out),
        CredentialForm::Hash => to_identity(bits::HASH, out),
        CredentialForm::Ticket | CredentialForm::Token | CredentialForm::Cookie => {
            to_identity(bits::TOKEN, out)
        }
        CredentialForm::SshKey | CredentialForm::ApiSecret => {
            for (kind, t) in sign_ins(cx, &who) {
                if let Some(g) = key_grants(sec.form, kind, &t) {
                    emit_use(a, sec.form, &t, proto_for(sec.form, &t), g, out);
                }
            }
        }
    }
}

/// The identity's sign-in relations: (kind, target), in scenario order.
fn sign_ins<'w>(cx: &Ctx<'w>, who: &AssetRef<'w>) -> Vec<(RelationKind, AssetRef<'w>)> {
    let Some(l) = who.links() else {
        return Vec::new();
    };
    l.out
        .iter()
        .filter_map(|&e| cx.world.get::<Relation>(e))
        .map(|r| (r.kind, cx.asset(r.to)))
        .collect()
}

/// What a key or an API secret gives through one relation of its identity, if anything.
fn key_grants(form: CredentialForm, kind: RelationKind, t: &AssetRef) -> Option<u8> {
    let host = t.kind().is_device() || t.kind().is_infra();
    match (form, kind) {
        (CredentialForm::SshKey, RelationKind::CanSsh | RelationKind::CanLogOn) if host => {
            Some(bits::ACCESS)
        }
        (CredentialForm::SshKey, RelationKind::AdminTo) if host => Some(bits::ACCESS | bits::ADMIN),
        (CredentialForm::ApiSecret, RelationKind::RoleOn) if t.kind().is_app() => {
            Some(bits::ACCESS)
        }
        (CredentialForm::ApiSecret, RelationKind::AdminTo) if t.kind().is_app() => {
            Some(bits::ACCESS | bits::ADMIN)
        }
        _ => None,
    }
}

/// The protocols a target offers: its services, or its kind's defaults
/// ([`crate::model::default_protocols`]).
pub fn default_protocols(t: &AssetRef) -> u8 {
    match t.get::<Services>() {
        Some(s) => s.mask,
        None => crate::model::default_protocols(
            t.kind(),
            t.get::<Device>()
                .map_or(crate::world::default_os(t.kind()), |d| d.os),
        ),
    }
}

/// The protocols a credential of `form` may use on `t`.
pub fn proto_for(form: CredentialForm, t: &AssetRef) -> u8 {
    form.protocols() & default_protocols(t)
}

/// The technique a credential of `form` uses over `over`.
fn technique(form: CredentialForm, over: u8) -> &'static str {
    match form {
        CredentialForm::SshKey => "T1021.004",
        CredentialForm::Hash => "T1550.002",
        CredentialForm::Cookie => "T1550.004",
        CredentialForm::Token | CredentialForm::ApiSecret | CredentialForm::Ticket => "T1550.001",
        CredentialForm::Password if over & proto::SSH != 0 => "T1021.004",
        CredentialForm::Password if over & proto::RDP != 0 => "T1021.001",
        CredentialForm::Password if over & proto::WINRM != 0 => "T1021.006",
        CredentialForm::Password if over & proto::SMB != 0 => "T1021.002",
        CredentialForm::Password => "T1078",
    }
}

fn emit_use(a: &AssetRef, form: CredentialForm, t: &AssetRef, over: u8, grants: u8, out: &mut Out) {
    if over == 0 {
        return;
    }
    out.step(
        Step::new(a.node, t.node, technique(form, over), bits::ACCESS, grants)
            .proto(over)
            .cred(material(form)),
    );
}

/// A credential with `opens`: signs in to `t` as its identity, with the identity's rights
/// there (administrator through `admin_to`, an admin role or `writes`; a user's otherwise).
fn open_target(cx: &Ctx, a: &AssetRef, sec: &Secret, who: &AssetRef, t: &AssetRef, out: &mut Out) {
    let admin = sign_ins(cx, who).iter().any(|(k, x)| {
        x.node == t.node
            && match k {
                RelationKind::AdminTo | RelationKind::Writes => true,
                RelationKind::RoleOn => role_is_admin(cx, who, t.node),
                _ => false,
            }
    });
    let grants = if admin {
        bits::ACCESS | bits::ADMIN
    } else {
        bits::ACCESS
    };
    emit_use(a, sec.form, t, proto_for(sec.form, t), grants, out);
}

fn role_is_admin(cx: &Ctx, who: &AssetRef, t: NodeId) -> bool {
    who.links().is_some_and(|l| {
        l.out
            .iter()
            .filter_map(|&e| cx.world.get::<Relation>(e))
            .any(|r| {
                r.kind == RelationKind::RoleOn
                    && cx.node(r.to) == t
                    && r.role == Some(AppRole::Admin)
            })
    })
}
