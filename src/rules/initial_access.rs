//! Initial access (TA0001): how the attacker gets in from the internet.

use super::{AssetRef, Ctx, Derive, Example, Network, Out, Rule, Scope, Step, proto};
use crate::attacker::EntryVector;
use crate::controls::Credential;
use crate::edge::{INTERNET, NO_SOURCE, bits, flags};
use crate::model::{AssetKind, RelationKind};
use crate::world::{Exposure, Identity};

/// Phishing click rate after awareness training relative to untrained (KnowBe4 2023:
/// 5.4% after 12 months vs 33.1% untrained).
pub const TRAINED_CLICK_FACTOR: f64 = 0.054 / 0.331;

fn click_factor(a: &AssetRef) -> f64 {
    if a.get::<Identity>().is_some_and(|i| i.trained) {
        TRAINED_CLICK_FACTOR
    } else {
        1.0
    }
}

/// Credential phishing: a link to a fake sign-in page harvests a person's password.
pub static PHISH_LINK: Rule = Rule {
    id: "initial.phish-link",
    name: "spearphishing link",
    techniques: &["T1566.002"],
    needs: bits::ACCESS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A link in an email leads a user, admin or guest to a fake sign-in page that \
             captures their password (trained users click less often).",
    file: file!(),
    scope: Scope::Asset,
    phase: 1,
    derive: Derive::Asset(phish_link),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user}\n- {id: svc, kind: service_account}\n- {id: pc, kind: workstation}\n",
        edges: &["internet>alice"],
    },
};

fn phish_link(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if cx.entry(EntryVector::Phishing) && a.kind().is_human() {
        out.step(
            Step::new(INTERNET, a.node, "T1566.002", bits::ACCESS, bits::PASSWORD)
                .p(click_factor(a)),
        );
    }
}

/// Password spraying against accounts with weak passwords, at the identity provider.
pub static PASSWORD_SPRAY: Rule = Rule {
    id: "initial.password-spray",
    name: "password spraying",
    techniques: &["T1110.003"],
    needs: bits::ACCESS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "The attacker tries a few common passwords against many accounts at an \
             internet-facing sign-in; accounts with weak passwords fall (MFA and the policy \
             engine still apply at the sign-in).",
    file: file!(),
    scope: Scope::Asset,
    phase: 1,
    derive: Derive::Asset(password_spray),
    example: Example {
        scenario: "name: x\nassets:\n- {id: weak, kind: user, weak_password: true}\n- {id: strong, kind: user}\n- {id: g, kind: group}\n",
        edges: &["internet>weak"],
    },
};

fn password_spray(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let weak = a.get::<Identity>().is_some_and(|i| i.weak_password);
    if cx.entry(EntryVector::ValidAccounts) && a.kind() != AssetKind::Group && weak {
        out.step(
            Step::new(INTERNET, a.node, "T1110.003", bits::ACCESS, bits::PASSWORD)
                .cred(Credential::Password)
                .flags(flags::PEP),
        );
    }
}

/// Exploitation of an internet-facing application.
pub static EXPLOIT_PUBLIC: Rule = Rule {
    id: "initial.exploit-public",
    name: "exploit public-facing application",
    techniques: &["T1190"],
    needs: 0,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::Protocols(proto::HTTPS),
    models: "A vulnerability in an internet-facing web application (a VPN portal, a file \
             transfer server) gives code execution on it; success is its `exploitable` odds.",
    file: file!(),
    scope: Scope::Asset,
    phase: 1,
    derive: Derive::Asset(exploit_public),
    example: Example {
        scenario: "name: x\nassets:\n- {id: portal, kind: onprem_app, internet_facing: true, exploitable: 0.5}\n- {id: intranet, kind: onprem_app, exploitable: 0.5}\n- {id: safe, kind: onprem_app, internet_facing: true}\n",
        edges: &["*>portal"],
    },
};

/// Exploitation of a remote service from a foothold inside.
pub static EXPLOIT_REMOTE: Rule = Rule {
    id: "initial.exploit-remote",
    name: "exploitation of remote services",
    techniques: &["T1210"],
    needs: 0,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::Protocols(proto::MGMT | proto::HTTPS),
    models: "A vulnerable service on a host or an internal application (EternalBlue, an \
             unpatched web app) is exploited from any foothold that reaches it.",
    file: file!(),
    scope: Scope::Asset,
    phase: 1,
    derive: Derive::Asset(exploit_remote),
    example: Example {
        scenario: "name: x\nassets:\n- {id: srv, kind: server, exploitable: 0.3}\n- {id: app, kind: onprem_app, exploitable: 0.3}\n- {id: db, kind: database}\n- {id: pc, kind: workstation}\n",
        edges: &["*>srv", "*>app"],
    },
};

/// An exploitable asset's odds, and whether it is exploited from the internet (an app that
/// faces it, when the attacker exploits from outside) rather than from inside.
fn exploitable(cx: &Ctx, a: &AssetRef) -> Option<(f64, bool)> {
    let x = a.get::<Exposure>().filter(|x| x.exploitable > 0.0)?;
    let public = a.kind().is_app() && cx.entry(EntryVector::ExploitPublic) && x.internet_facing;
    Some((x.exploitable, public))
}

fn exploit_public(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if let Some((p, true)) = exploitable(cx, a) {
        let grants = bits::ACCESS | bits::ADMIN;
        out.step(
            Step::new(NO_SOURCE, a.node, "T1190", 0, grants)
                .proto(proto::HTTPS)
                .p(p),
        );
    }
}

fn exploit_remote(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let k = a.kind();
    if let Some((p, false)) = exploitable(cx, a)
        && (k.is_device() || k.is_infra() || k.is_app())
    {
        let over = if k.is_app() {
            proto::HTTPS
        } else {
            proto::MGMT | proto::HTTPS
        };
        let grants = bits::ACCESS | bits::ADMIN;
        out.step(
            Step::new(NO_SOURCE, a.node, "T1210", 0, grants)
                .proto(over)
                .p(p),
        );
    }
}

/// A malicious attachment opened on a user's own device.
pub static PHISH_ATTACHMENT: Rule = Rule {
    id: "initial.phish-attachment",
    name: "spearphishing attachment",
    techniques: &["T1566.001"],
    needs: bits::ACCESS,
    grants: bits::ACCESS,
    network: Network::None,
    models: "A person opens a malicious attachment on a workstation, laptop or personal \
             device they are signed in to, running the attacker's code there.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HasSession]),
    phase: 2,
    derive: Derive::Relation(phish_attachment),
    example: Example {
        scenario: "name: x\nassets:\n- {id: bob, kind: user}\n- {id: pc, kind: workstation}\n- {id: srv, kind: server}\nrelations:\n- {type: has_session, from: pc, to: bob}\n- {type: has_session, from: srv, to: bob}\n",
        edges: &["internet>pc"],
    },
};

fn phish_attachment(cx: &Ctx, r: &super::RelRef, out: &mut Out) {
    let (dev, who) = (&r.from, &r.to);
    if cx.entry(EntryVector::Phishing)
        && who.kind().is_human()
        && matches!(
            dev.kind(),
            AssetKind::Workstation | AssetKind::Laptop | AssetKind::Byod
        )
    {
        out.step(
            Step::new(INTERNET, dev.node, "T1566.001", bits::ACCESS, bits::ACCESS)
                .p(click_factor(who)),
        );
    }
}

/// An explicit vulnerability of one service, tried from every foothold that reaches it.
pub static EXPLOIT_SERVICE: Rule = Rule {
    id: "initial.exploit-service",
    name: "exploit a listed vulnerability",
    techniques: &["T1210", "T1190"],
    needs: 0,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::ByTarget,
    models: "A known vulnerability of one service (`exploits:` on the asset) is exploited over \
             that service's protocol, with its own odds, time and noise, and yields the \
             privilege the service runs with (a user's, or root/SYSTEM).",
    file: file!(),
    scope: Scope::Asset,
    phase: 11,
    derive: Derive::Asset(exploit_service),
    example: Example {
        scenario: "name: x\nassets:\n- {id: web, kind: server, os: linux, services: [{name: https, runs_as: user}], exploits: [{service: https, p: 0.4}]}\n- {id: db, kind: server, os: linux}\n- {id: pc, kind: workstation, exploitable: 0.2}\n",
        edges: &["*>web"],
    },
};

fn exploit_service(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let Some(xs) = a.get::<crate::world::Exploits>() else {
        return;
    };
    let facing = a.get::<Exposure>().is_some_and(|x| x.internet_facing)
        && a.kind().is_app()
        && cx.entry(EntryVector::ExploitPublic);
    for x in &xs.0 {
        let grants = match x.privilege {
            crate::model::Privilege::Admin => bits::ACCESS | bits::ADMIN,
            crate::model::Privilege::User => bits::ACCESS,
        };
        let tech = match x.technique.as_deref() {
            Some(t) => crate::techniques::TechniqueCatalog::builtin()
                .list
                .iter()
                .find(|c| c.id == t)
                .map_or("T1210", |c| c.id.as_str()),
            None if facing => "T1190",
            None => "T1210",
        };
        let own = crate::scenario::LinkParams {
            p: Some(x.p),
            mean_hours: x.mean_hours,
            noise: x.noise,
        };
        out.step(
            Step::new(NO_SOURCE, a.node, tech, 0, grants)
                .proto(x.proto)
                .exact(own),
        );
    }
}
