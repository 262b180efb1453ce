//! Privilege escalation (TA0004) and the shared local administrator password.

use super::{AssetRef, Ctx, Derive, Example, Network, Out, Rule, Scope, Step, proto};
use crate::controls::Credential;
use crate::edge::{bits, flags};
use crate::model::{Os, RelationKind};
use crate::world::Device;

/// Probability that a local privilege-escalation n-day is still unpatched after `lag` days.
/// Interpolates Mandiant's 2023 time-to-exploit figures (12% within 1 day, 29% within a
/// week, 56% within a month); past 90 days 80% \[assumption\]; a 5% zero-day floor
/// \[assumption\].
pub fn privesc_probability(lag_days: f64) -> f64 {
    const PTS: [(f64, f64); 5] = [
        (0.0, 0.05),
        (1.0, 0.12),
        (7.0, 0.29),
        (30.0, 0.56),
        (90.0, 0.8),
    ];
    if lag_days >= 90.0 {
        return 0.8;
    }
    for w in PTS.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if lag_days <= x1 {
            return y0 + (y1 - y0) * (lag_days.max(x0) - x0) / (x1 - x0);
        }
    }
    0.8
}

/// Local privilege escalation on a host.
pub static LOCAL_PRIVESC: Rule = Rule {
    id: "privilege.local-escalation",
    name: "exploit a local privilege escalation",
    techniques: &["T1068"],
    needs: bits::ACCESS,
    grants: bits::ADMIN,
    network: Network::None,
    models: "A user-level foothold on a host exploits an unpatched kernel or service flaw to \
             become administrator; the odds follow the host's patch lag (Mandiant 2023).",
    file: file!(),
    scope: Scope::Asset,
    phase: 5,
    derive: Derive::Asset(local_privesc),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc, kind: workstation}\n- {id: dc, kind: domain_controller}\n- {id: app, kind: onprem_app}\n",
        edges: &["pc>pc", "dc>dc"],
    },
};

fn local_privesc(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let Some(d) = a.get::<Device>() else { return };
    // A scenario that sets T1068's p sets it outright; otherwise the patch lag does.
    let p = if cx.tech.privesc_overridden {
        1.0
    } else {
        privesc_probability(d.patch_lag_days)
    };
    out.step(Step::new(a.node, a.node, "T1068", bits::ACCESS, bits::ADMIN).p(p));
}

/// Whether a device shares the local administrator password (Windows, no LAPS).
pub(crate) fn shares_local_admin(a: &AssetRef) -> bool {
    a.kind().is_device()
        && a.get::<Device>()
            .is_some_and(|d| d.os == Os::Windows && !d.unique_local_admin)
}

/// Pass-the-hash with the shared local administrator password.
pub static SHARED_ADMIN_PTH: Rule = Rule {
    id: "privilege.shared-local-admin",
    name: "reuse the shared local administrator hash",
    techniques: &["T1550.002"],
    needs: bits::HASH,
    grants: bits::ADMIN,
    network: Network::Protocols(proto::SMB),
    models: "The local administrator hash taken from one Windows device opens every other \
             device that shares the same password over SMB (LAPS makes each unique).",
    file: file!(),
    scope: Scope::Asset,
    phase: 5,
    derive: Derive::Asset(shared_admin_pth),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc1, kind: workstation}\n- {id: pc2, kind: laptop, unique_local_admin: true}\n- {id: lx, kind: server, os: linux}\n",
        edges: &["@shared-local-admin>pc1"],
    },
};

fn shared_admin_pth(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if let (true, Some(la)) = (shares_local_admin(a), cx.virtuals.shared_local_admin) {
        out.step(
            Step::new(la, a.node, "T1550.002", bits::HASH, bits::ADMIN)
                .proto(proto::SMB)
                .cred(Credential::Hash)
                .rel(RelationKind::AdminTo)
                .flags(flags::SHARED_LOCAL_ADMIN | flags::PRIVILEGED),
        );
    }
}
