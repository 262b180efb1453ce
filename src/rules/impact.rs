//! Impact (TA0040) and exfiltration (TA0010): what the attacker does with what it holds.

use super::{AssetRef, Ctx, Derive, Example, Network, Out, Rule, Scope, Step};
use crate::edge::bits;

/// Encrypting a host for ransom.
pub static ENCRYPT: Rule = Rule {
    id: "impact.encrypt",
    name: "data encrypted for impact",
    techniques: &["T1486"],
    needs: bits::ADMIN,
    grants: bits::IMPACT,
    network: Network::None,
    models: "A ransomware operator with administrative rights on a device or server \
             encrypts it (only for attackers whose profile goes for impact).",
    file: file!(),
    scope: Scope::Asset,
    phase: 9,
    derive: Derive::Asset(encrypt),
    example: Example {
        scenario: "name: x\nattacker: {profile: ransomware}\nassets:\n- {id: pc, kind: workstation}\n- {id: dc, kind: domain_controller}\n- {id: db, kind: database}\n",
        edges: &["pc>pc", "dc>dc"],
    },
};

fn encrypt(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let k = a.kind();
    if cx.profile.impact && (k.is_device() || k.is_infra()) {
        out.step(Step::new(
            a.node,
            a.node,
            "T1486",
            bits::ADMIN,
            bits::IMPACT,
        ));
    }
}

/// Destroying backups so that the victim cannot restore.
pub static INHIBIT_RECOVERY: Rule = Rule {
    id: "impact.inhibit-recovery",
    name: "inhibit system recovery",
    techniques: &["T1490"],
    needs: bits::ACCESS,
    grants: bits::IMPACT,
    network: Network::None,
    models: "A ransomware operator who reaches a backup store (data tagged `backup`) deletes \
             or encrypts it before the ransom note (immutable backups resist).",
    file: file!(),
    scope: Scope::Asset,
    phase: 9,
    derive: Derive::Asset(inhibit_recovery),
    example: Example {
        scenario: "name: x\nattacker: {profile: ransomware}\nassets:\n- {id: bak, kind: file_share, tags: [backup]}\n- {id: share, kind: file_share}\n- {id: pc, kind: workstation, tags: [backup]}\n",
        edges: &["bak>bak"],
    },
};

fn inhibit_recovery(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    let k = a.kind();
    let backup = a.asset.tags.iter().any(|t| t == "backup");
    if cx.profile.impact && !(k.is_device() || k.is_infra()) && k.is_data() && backup {
        out.step(Step::new(
            a.node,
            a.node,
            "T1490",
            bits::ACCESS,
            bits::IMPACT,
        ));
    }
}

/// Copying data out.
pub static EXFILTRATE: Rule = Rule {
    id: "impact.exfiltrate",
    name: "exfiltration over a web service",
    techniques: &["T1567"],
    needs: bits::ACCESS,
    grants: bits::EXFIL,
    network: Network::None,
    models: "An attacker who can read a data store copies its records out to a cloud \
             storage or file-sharing service (the breach counted in records).",
    file: file!(),
    scope: Scope::Asset,
    phase: 10,
    derive: Derive::Asset(exfiltrate),
    example: Example {
        scenario: "name: x\nassets:\n- {id: db, kind: database}\n- {id: mb, kind: mailbox}\n- {id: pc, kind: workstation}\n",
        edges: &["db>db", "mb>mb"],
    },
};

fn exfiltrate(_: &Ctx, a: &AssetRef, out: &mut Out) {
    if a.kind().is_data() {
        out.step(Step::new(
            a.node,
            a.node,
            "T1567",
            bits::ACCESS,
            bits::EXFIL,
        ));
    }
}
