//! Discovery (TA0007): the attacker acts only on assets it knows. What is public is known
//! from the start; these steps reveal the rest: scanning a segment the attacker's
//! footholds reach, and enumerating a directory as any domain user. (Compromised assets
//! also reveal what their relations point at; the engine does that, see docs/model.md.)

use super::{AssetRef, Ctx, Derive, Example, Network, Out, Rule, Scope, Step};
use crate::edge::{NO_SOURCE, flags};
use crate::model::{AssetKind, Protocol};
use crate::world::Domain;

/// Phase of the discovery rules: after every older rule.
const PHASE: u8 = 11;

/// Scanning a segment for hosts and services.
pub static NETWORK_SCAN: Rule = Rule {
    id: "discovery.network-scan",
    name: "network service discovery",
    techniques: &["T1046"],
    needs: 0,
    grants: 0,
    network: Network::Protocols(127),
    models: "From a foothold that reaches a segment, the attacker sweeps it for live hosts \
             and open services (nmap, masscan): every asset placed there becomes known. It \
             takes time and makes noise.",
    file: file!(),
    scope: Scope::Segment,
    phase: PHASE,
    derive: Derive::Asset(network_scan),
    example: Example {
        scenario: "name: x\nsegments:\n- {id: lan}\n- {id: dmz}\nassets:\n- {id: pc, kind: workstation, segment: lan}\n",
        edges: &["*>lan", "*>dmz"],
    },
};

fn network_scan(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if cx.profile.discovery {
        out.step(
            Step::new(NO_SOURCE, a.node, "T1046", 0, 0)
                .proto(Protocol::Any.mask())
                .flags(flags::SCAN),
        );
    }
}

/// Enumerating the directory.
pub static DIRECTORY: Rule = Rule {
    id: "discovery.directory",
    name: "enumerate the directory",
    techniques: &["T1087.002"],
    needs: crate::edge::bits::ACCESS,
    grants: 0,
    network: Network::None,
    models: "Any authenticated domain user can list the directory's computer and account \
             objects over LDAP (BloodHound's collection does): the domain's computers become \
             known.",
    file: file!(),
    scope: Scope::Asset,
    phase: PHASE,
    derive: Derive::Asset(directory),
    example: Example {
        scenario: "name: x\nassets:\n- {id: dc, kind: domain_controller, domain: corp}\n- {id: alice, kind: user, domain: corp}\n- {id: pc, kind: workstation}\n",
        edges: &["@domain-users:corp>@domain:corp"],
    },
};

fn directory(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if !cx.profile.discovery || a.kind() != AssetKind::DomainController {
        return;
    }
    let key = a.get::<Domain>().map(|d| d.0.as_str()).unwrap_or("");
    if let Some(&(dom, du)) = cx.virtuals.domains.get(key) {
        out.step(Step::new(du, dom, "T1087.002", crate::edge::bits::ACCESS, 0).flags(flags::SCAN));
    }
}
