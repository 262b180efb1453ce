//! Lateral movement (TA0008): signing in to other hosts and services with what the attacker
//! holds, over the network.

use super::{Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step, proto};
use crate::controls::Credential;
use crate::edge::{bits, flags};
use crate::model::{AssetKind, Os, RelationKind};
use crate::world::{CloudHosted, Device};

/// The eligible flag of a relation (a just-in-time right rather than a standing one).
pub(crate) fn eligible(r: &RelRef) -> u8 {
    if r.rel.eligible { flags::ELIGIBLE } else { 0 }
}

/// A user-level remote sign-in granted by a `can_*` relation.
fn remote_sign_in(r: &RelRef, out: &mut Out, tech: &'static str, needs: u8, over: u8) {
    out.step(
        Step::new(r.from.node, r.to.node, tech, needs, bits::ACCESS)
            .proto(over)
            .cred(Credential::Password)
            .rel(r.rel.kind)
            .flags(eligible(r)),
    );
}

macro_rules! sign_in_rule {
    ($name:ident, $f:ident, $id:literal, $title:literal, $tech:literal, $kind:ident, $needs:expr, $proto:expr, $models:literal, $ex:literal, $edges:expr) => {
        #[doc = $models]
        pub static $name: Rule = Rule {
            id: $id,
            name: $title,
            techniques: &[$tech],
            needs: $needs,
            grants: bits::ACCESS,
            network: Network::Protocols($proto),
            models: $models,
            file: file!(),
            scope: Scope::Relations(&[RelationKind::$kind]),
            phase: 6,
            derive: Derive::Relation($f),
            example: Example {
                scenario: $ex,
                edges: $edges,
            },
        };
        fn $f(_: &Ctx, r: &RelRef, out: &mut Out) {
            remote_sign_in(r, out, $tech, $needs, $proto);
        }
    };
}

sign_in_rule!(
    RDP,
    rdp,
    "lateral.rdp",
    "remote desktop",
    "T1021.001",
    CanRdp,
    bits::PASSWORD,
    proto::RDP,
    "An identity allowed to use Remote Desktop on a host signs in there with its password \
     and runs code as a user.",
    "name: x\nassets:\n- {id: alice, kind: user}\n- {id: pc, kind: workstation}\n- {id: srv, kind: server}\nrelations:\n- {type: can_rdp, from: alice, to: pc}\n",
    &["alice>pc"]
);

sign_in_rule!(
    PSREMOTE,
    psremote,
    "lateral.psremote",
    "PowerShell remoting",
    "T1021.006",
    CanPsremote,
    bits::PASSWORD | bits::HASH,
    proto::WINRM,
    "An identity allowed to use PowerShell remoting (WinRM) on a host runs commands there, \
     with its password or its hash.",
    "name: x\nassets:\n- {id: alice, kind: user}\n- {id: srv, kind: server}\n- {id: pc, kind: workstation}\nrelations:\n- {type: can_psremote, from: alice, to: srv}\n",
    &["alice>srv"]
);

sign_in_rule!(
    SSH,
    ssh,
    "lateral.ssh",
    "SSH",
    "T1021.004",
    CanSsh,
    bits::PASSWORD,
    proto::SSH,
    "An identity allowed to sign in over SSH to a host does so with its password and runs \
     a shell as a user.",
    "name: x\nassets:\n- {id: ops, kind: admin}\n- {id: lx, kind: server, os: linux}\n- {id: lx2, kind: server, os: linux}\nrelations:\n- {type: can_ssh, from: ops, to: lx}\n",
    &["ops>lx"]
);

sign_in_rule!(
    LOGON,
    logon,
    "lateral.logon",
    "interactive logon",
    "T1078.002",
    CanLogOn,
    bits::PASSWORD,
    proto::RDP | proto::SSH,
    "A domain account allowed to log on to a host signs in remotely (RDP or SSH) with its \
     password.",
    "name: x\nassets:\n- {id: bob, kind: user}\n- {id: pc, kind: workstation}\n- {id: pc2, kind: workstation}\nrelations:\n- {type: can_log_on, from: bob, to: pc2}\n",
    &["bob>pc2"]
);

/// Where an `admin_to` relation points: a Windows host, another host, a cloud service, a
/// data store or an application. Each admin rule handles one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AdminTarget {
    Windows,
    Unix,
    Cloud,
    Data,
    App,
}

fn admin_target(r: &RelRef) -> AdminTarget {
    let tk = r.to.kind();
    if tk.is_device() || tk == AssetKind::DomainController {
        match r.to.get::<Device>().map(|d| d.os) {
            Some(Os::Windows) => AdminTarget::Windows,
            _ => AdminTarget::Unix,
        }
    } else if r.to.has::<CloudHosted>() {
        AdminTarget::Cloud
    } else if tk.is_data() {
        AdminTarget::Data
    } else {
        AdminTarget::App
    }
}

/// One administrative step along an `admin_to` relation to a target of kind `want`.
#[allow(clippy::too_many_arguments)]
fn admin_step(
    r: &RelRef,
    out: &mut Out,
    want: AdminTarget,
    tech: &'static str,
    needs: u8,
    grants: u8,
    over: u8,
    cred: Option<Credential>,
    extra: u8,
) {
    if admin_target(r) != want {
        return;
    }
    let mut s = Step::new(r.from.node, r.to.node, tech, needs, grants)
        .proto(over)
        .rel(RelationKind::AdminTo)
        .flags(flags::PRIVILEGED | eligible(r) | extra);
    s.cred = cred;
    out.step(s);
}

macro_rules! admin_rule {
    ($name:ident, $f:ident, $id:literal, $title:literal, $tech:literal, $needs:expr, $grants:expr, $net:expr, $models:literal, $ex:expr, $edges:expr, |$r:ident, $out:ident| $body:expr) => {
        #[doc = $models]
        pub static $name: Rule = Rule {
            id: $id,
            name: $title,
            techniques: &[$tech],
            needs: $needs,
            grants: $grants,
            network: $net,
            models: $models,
            file: file!(),
            scope: Scope::Relations(&[RelationKind::AdminTo]),
            phase: 6,
            derive: Derive::Relation($f),
            example: Example {
                scenario: $ex,
                edges: $edges,
            },
        };
        fn $f(_: &Ctx, $r: &RelRef, $out: &mut Out) {
            $body
        }
    };
}

/// An example estate with one admin right of each target type (Windows host, Linux host,
/// cloud service, data store, application).
const ADMIN_EXAMPLE: &str = "name: x\nassets:\n- {id: adm, kind: admin}\n- {id: win, kind: server}\n- {id: lx, kind: server, os: linux}\n- {id: sub, kind: cloud_subscription}\n- {id: db, kind: database}\n- {id: app, kind: onprem_app}\nrelations:\n- {type: admin_to, from: adm, to: win}\n- {type: admin_to, from: adm, to: lx}\n- {type: admin_to, from: adm, to: sub}\n- {type: admin_to, from: adm, to: db}\n- {type: admin_to, from: adm, to: app}\n";

admin_rule!(
    ADMIN_SMB,
    admin_smb,
    "lateral.admin-smb",
    "SMB admin shares",
    "T1021.002",
    bits::PASSWORD,
    bits::ADMIN,
    Network::Protocols(proto::SMB),
    "A local administrator of a Windows host connects to its admin shares with a password \
     and starts a service (PsExec).",
    ADMIN_EXAMPLE,
    &["adm>win"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Windows,
        "T1021.002",
        bits::PASSWORD,
        bits::ADMIN,
        proto::SMB,
        Some(Credential::Password),
        0
    )
);

admin_rule!(
    ADMIN_PTH,
    admin_pth,
    "lateral.admin-pth",
    "pass the hash",
    "T1550.002",
    bits::HASH,
    bits::ADMIN,
    Network::Protocols(proto::SMB),
    "A local administrator's NTLM hash, without the password, opens a Windows host over SMB \
     (pass the hash).",
    ADMIN_EXAMPLE,
    &["adm>win"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Windows,
        "T1550.002",
        bits::HASH,
        bits::ADMIN,
        proto::SMB,
        Some(Credential::Hash),
        0
    )
);

admin_rule!(
    ADMIN_WINRM,
    admin_winrm,
    "lateral.admin-winrm",
    "WinRM as administrator",
    "T1021.006",
    bits::PASSWORD | bits::HASH,
    bits::ADMIN,
    Network::Protocols(proto::WINRM),
    "A local administrator of a Windows host runs commands over WinRM with its password or \
     hash.",
    ADMIN_EXAMPLE,
    &["adm>win"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Windows,
        "T1021.006",
        bits::PASSWORD | bits::HASH,
        bits::ADMIN,
        proto::WINRM,
        Some(Credential::Password),
        0
    )
);

admin_rule!(
    ADMIN_RDP,
    admin_rdp,
    "lateral.admin-rdp",
    "RDP as administrator",
    "T1021.001",
    bits::PASSWORD,
    bits::ADMIN,
    Network::Protocols(proto::RDP),
    "A local administrator of a Windows host signs in over Remote Desktop with its password.",
    ADMIN_EXAMPLE,
    &["adm>win"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Windows,
        "T1021.001",
        bits::PASSWORD,
        bits::ADMIN,
        proto::RDP,
        Some(Credential::Password),
        0
    )
);

admin_rule!(
    ADMIN_SSH,
    admin_ssh,
    "lateral.admin-ssh",
    "SSH as root",
    "T1021.004",
    bits::PASSWORD,
    bits::ADMIN,
    Network::Protocols(proto::SSH),
    "An administrator of a Linux, macOS or other non-Windows host signs in over SSH with its \
     password and becomes root.",
    ADMIN_EXAMPLE,
    &["adm>lx"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Unix,
        "T1021.004",
        bits::PASSWORD,
        bits::ADMIN,
        proto::SSH,
        Some(Credential::Password),
        0
    )
);

admin_rule!(
    ADMIN_CLOUD,
    admin_cloud,
    "lateral.admin-cloud",
    "cloud administrator",
    "T1078.004",
    bits::SIGNED_IN,
    bits::ADMIN | bits::ACCESS,
    Network::Protocols(proto::HTTPS),
    "A signed-in identity with an administrative role on a cloud service or subscription \
     uses it through the provider's console or API (a policy enforcement point).",
    ADMIN_EXAMPLE,
    &["adm>sub"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::Cloud,
        "T1078.004",
        bits::SIGNED_IN,
        bits::ADMIN | bits::ACCESS,
        proto::HTTPS,
        None,
        flags::PEP
    )
);

admin_rule!(
    ADMIN_DATA,
    admin_data,
    "lateral.admin-data",
    "data store administrator",
    "T1213",
    bits::PASSWORD | bits::HASH,
    bits::ACCESS | bits::ADMIN,
    Network::ByTarget,
    "An administrator of an on-premises data store signs in to its service and reads and \
     writes it (T1213 for databases, T1530 buckets, T1114 mailboxes).",
    ADMIN_EXAMPLE,
    &["adm>db"],
    |r, out| {
        let tech = super::applications::collection_technique(r.to.kind());
        let over = super::applications::data_proto(r.to.kind());
        admin_step(
            r,
            out,
            AdminTarget::Data,
            tech,
            bits::PASSWORD | bits::HASH,
            bits::ACCESS | bits::ADMIN,
            over,
            Some(Credential::Password),
            0,
        )
    }
);

admin_rule!(
    ADMIN_APP,
    admin_app,
    "lateral.admin-app",
    "application administrator",
    "T1078",
    bits::PASSWORD | bits::HASH,
    bits::ADMIN | bits::ACCESS,
    Network::Protocols(proto::HTTPS | proto::SSH),
    "An administrator of an on-premises application or infrastructure service signs in to \
     its management interface with valid credentials.",
    ADMIN_EXAMPLE,
    &["adm>app"],
    |r, out| admin_step(
        r,
        out,
        AdminTarget::App,
        "T1078",
        bits::PASSWORD | bits::HASH,
        bits::ADMIN | bits::ACCESS,
        proto::HTTPS | proto::SSH,
        Some(Credential::Password),
        0
    )
);

/// Content that runs elsewhere: a logon script, a deployment package, a pipeline's source.
pub static SHARED_CONTENT: Rule = Rule {
    id: "lateral.shared-content",
    name: "taint content others run",
    techniques: &["T1080", "T1072", "T1195.002"],
    needs: bits::ADMIN,
    grants: bits::ACCESS | bits::ADMIN,
    network: Network::None,
    models: "Write access to content that other machines run (a logon script or executable \
             on a share, a package in a deployment tool, a repository a CI pipeline builds) \
             runs the attacker's code on each of them: as the user who logs on for a \
             device, as SYSTEM through a deployment tool, with its own rights for a pipeline.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::RunsCodeFrom]),
    phase: 11,
    derive: Derive::Relation(shared_content),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pc1, kind: workstation}\n- {id: pc2, kind: workstation}\n- {id: netlogon, kind: file_share}\nrelations:\n- {type: runs_code_from, from: pc1, to: netlogon}\n- {type: runs_code_from, from: pc2, to: netlogon}\n",
        edges: &["netlogon>pc1", "netlogon>pc2"],
    },
};

fn shared_content(_: &Ctx, r: &RelRef, out: &mut Out) {
    let (runner, source) = (&r.from, &r.to);
    let app_runner = runner.kind().is_app();
    let tech = if source.kind().is_app() {
        "T1072"
    } else if app_runner {
        "T1195.002"
    } else {
        "T1080"
    };
    // A logon script runs as the user who logs on; a deployment tool's agent as SYSTEM; a
    // pipeline with its own rights.
    let grants = if app_runner || source.kind().is_app() {
        bits::ACCESS | bits::ADMIN
    } else {
        bits::ACCESS
    };
    out.step(Step::new(source.node, runner.node, tech, bits::ADMIN, grants).rel(r.rel.kind));
}
