//! Microsoft Entra ID and Azure: the control-plane abuses BloodHound draws from AzureHound's
//! data (AZAddSecret, AZMGGrantRole, AZExecuteCommand, AZManagedIdentity, ...). Each is a
//! relation the AzureHound importer writes (docs/azurehound.md has the edge table), and a
//! scenario may write them by hand.
//!
//! A principal acts through the tenant's APIs (Microsoft Graph, Azure Resource Manager) with
//! a session that passed the identity provider's policy: the rules need `SIGNED_IN` on the
//! source (a stolen token gets there through `identity.token-replay`, a password through
//! `identity.sign-in`, where MFA and conditional access apply). No network condition: the
//! APIs face the internet. A directory role is a group standing for the role (`has_role`
//! makes its holders members), so a role's rights are every holder's.

use super::lateral::eligible;
use super::{Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::edge::{bits, flags};
use crate::model::RelationKind;

/// Phase of the Entra rules: after every older rule.
const PHASE: u8 = 13;

/// One control-plane step per relation: from the principal to the target, granting
/// `grants`, with `fl` flags.
fn act(r: &RelRef, out: &mut Out, tech: &'static str, grants: u8, fl: u8) {
    out.step(
        Step::new(r.from.node, r.to.node, tech, bits::SIGNED_IN, grants)
            .rel(r.rel.kind)
            .flags(fl | eligible(r)),
    );
}

/// Holding a directory role.
pub static HAS_ROLE: Rule = Rule {
    id: "entra.has-role",
    name: "hold a directory role",
    techniques: &["T1078.004"],
    needs: bits::CRED,
    grants: bits::CRED,
    network: Network::None,
    models: "Whoever holds a principal's credentials holds the directory roles assigned to it \
             (AZHasRole): a standing assignment at once and silently, like a membership; an \
             eligible one (AZRoleEligible, privileged identity management) only when \
             activated from a signed-in session, so the step is just in time.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HasRole]),
    phase: PHASE,
    derive: Derive::Relation(has_role),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: admin}\n- {id: bob, kind: user}\n- {id: ga, kind: group}\nrelations:\n- {type: has_role, from: alice, to: ga}\n- {type: has_role, from: bob, to: ga, eligible: true}\n",
        edges: &["alice>ga", "bob>ga"],
    },
};

fn has_role(_: &Ctx, r: &RelRef, out: &mut Out) {
    let rel = Some(RelationKind::HasRole);
    if r.rel.eligible {
        // Activation is asked for in a signed-in session; the step stands for the role's
        // rights in that session (a step never copies bits: see `estate::block_of`).
        out.step(
            Step::new(
                r.from.node,
                r.to.node,
                "T1078.004",
                bits::SIGNED_IN,
                bits::SIGNED_IN,
            )
            .rel(RelationKind::HasRole)
            .flags(flags::ELIGIBLE | flags::PRIVILEGED),
        );
    } else {
        out.free(r.from.node, r.to.node, bits::CRED, 0, flags::COPY, rel);
    }
}

/// Adding a secret to a service principal or its application.
pub static ADD_SECRET: Rule = Rule {
    id: "entra.add-secret",
    name: "add a secret to a service principal",
    techniques: &["T1098.001"],
    needs: bits::SIGNED_IN,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal that may manage an application or its service principal (its owner, \
             an Application or Cloud Application Administrator, a service principal with \
             Application.ReadWrite.All) adds a client secret or certificate of its own and \
             authenticates as the service principal (AZAddSecret, AZMGAddSecret, AZMGAddOwner, \
             AZOwns).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanAddSecret]),
    phase: PHASE,
    derive: Derive::Relation(add_secret),
    example: Example {
        scenario: "name: x\nassets:\n- {id: dev, kind: user}\n- {id: admins, kind: group}\n- {id: app, kind: service_account}\n- {id: sync, kind: service_account}\nrelations:\n- {type: can_add_secret, from: dev, to: app}\n- {type: can_add_secret, from: admins, to: sync}\n- {type: member_of, from: dev, to: admins}\n",
        edges: &["dev>app", "admins>sync"],
    },
};

fn add_secret(_: &Ctx, r: &RelRef, out: &mut Out) {
    act(r, out, "T1098.001", bits::PASSWORD, 0);
}

/// Adding oneself to a cloud group.
pub static ADD_MEMBER: Rule = Rule {
    id: "entra.add-member",
    name: "add a member to a cloud group",
    techniques: &["T1098.007"],
    needs: bits::SIGNED_IN,
    grants: bits::SIGNED_IN,
    network: Network::None,
    models: "A principal that may change a group's members (its owner, a Groups Administrator, \
             a service principal with GroupMember.ReadWrite.All) adds itself and acts with the \
             group's rights from its session (AZAddMembers, AZMGAddMember, AZOwns).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanAddMember]),
    phase: PHASE,
    derive: Derive::Relation(add_member),
    example: Example {
        scenario: "name: x\nassets:\n- {id: carol, kind: user}\n- {id: finance, kind: group}\n- {id: crm, kind: saas}\nrelations:\n- {type: can_add_member, from: carol, to: finance}\n- {type: role_on, from: finance, to: crm}\n",
        edges: &["carol>finance"],
    },
};

fn add_member(_: &Ctx, r: &RelRef, out: &mut Out) {
    // The group's rights are used from the principal's session.
    act(r, out, "T1098.007", bits::SIGNED_IN, 0);
}

/// Assigning oneself a directory role.
pub static GRANT_ROLE: Rule = Rule {
    id: "entra.grant-role",
    name: "assign a directory role",
    techniques: &["T1098.003"],
    needs: bits::SIGNED_IN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::None,
    models: "A principal that may assign directory roles (a Privileged Role Administrator, a \
             service principal with RoleManagement.ReadWrite.Directory) assigns itself Global \
             Administrator and administers the tenant (AZPrivilegedRoleAdmin, AZMGGrantRole).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanGrantRole]),
    phase: PHASE,
    derive: Derive::Relation(grant_role),
    example: Example {
        scenario: "name: x\nassets:\n- {id: pra, kind: admin}\n- {id: automation, kind: service_account}\n- {id: tenant, kind: identity_provider}\nrelations:\n- {type: can_grant_role, from: pra, to: tenant}\n- {type: can_grant_role, from: automation, to: tenant}\n",
        edges: &["pra>tenant", "automation>tenant"],
    },
};

fn grant_role(_: &Ctx, r: &RelRef, out: &mut Out) {
    act(
        r,
        out,
        "T1098.003",
        bits::ADMIN | bits::ACCESS,
        flags::PRIVILEGED,
    );
}

/// Granting oneself Microsoft Graph application roles.
pub static GRANT_APP_ROLES: Rule = Rule {
    id: "entra.grant-app-roles",
    name: "grant Graph application roles",
    techniques: &["T1098.003"],
    needs: bits::SIGNED_IN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::None,
    models: "A service principal with AppRoleAssignment.ReadWrite.All grants itself \
             RoleManagement.ReadWrite.Directory, then Global Administrator, and administers \
             the tenant (AZMGGrantAppRoles): one step here.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanGrantAppRoles]),
    phase: PHASE,
    derive: Derive::Relation(grant_app_roles),
    example: Example {
        scenario: "name: x\nassets:\n- {id: deployer, kind: service_account}\n- {id: bob, kind: user}\n- {id: tenant, kind: identity_provider}\nrelations:\n- {type: can_grant_app_roles, from: deployer, to: tenant}\n",
        edges: &["deployer>tenant"],
    },
};

fn grant_app_roles(_: &Ctx, r: &RelRef, out: &mut Out) {
    act(
        r,
        out,
        "T1098.003",
        bits::ADMIN | bits::ACCESS,
        flags::PRIVILEGED,
    );
}

/// Resetting a cloud account's password.
pub static RESET_PASSWORD: Rule = Rule {
    id: "entra.reset-password",
    name: "reset a cloud password",
    techniques: &["T1098"],
    needs: bits::SIGNED_IN,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal whose directory role may reset passwords (Helpdesk, Password, User or \
             Authentication Administrator for ordinary users; Privileged Authentication \
             Administrator for anyone) sets a new password through the admin API and signs \
             in as the account (AZResetPassword, AZPrivilegedAuthAdmin).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanResetCloudPassword]),
    phase: PHASE,
    derive: Derive::Relation(reset_password),
    example: Example {
        scenario: "name: x\nassets:\n- {id: helpdesk, kind: group}\n- {id: alice, kind: user}\n- {id: bob, kind: guest}\nrelations:\n- {type: can_reset_cloud_password, from: helpdesk, to: alice}\n- {type: can_reset_cloud_password, from: helpdesk, to: bob}\n",
        edges: &["helpdesk>alice", "helpdesk>bob"],
    },
};

fn reset_password(_: &Ctx, r: &RelRef, out: &mut Out) {
    act(r, out, "T1098", bits::PASSWORD, 0);
}

/// Running commands through the cloud control plane.
pub static RUN_COMMAND: Rule = Rule {
    id: "entra.run-command",
    name: "run a command through the control plane",
    techniques: &["T1651"],
    needs: bits::SIGNED_IN,
    grants: bits::ADMIN | bits::ACCESS,
    network: Network::None,
    models: "A principal with a role that runs code on a resource (Virtual Machine \
             Contributor, Owner or Contributor of a VM, Intune Administrator on managed \
             Windows devices, Automation or AKS Contributor) runs a command or script there \
             as SYSTEM or root through the provider's API, with no network path to the \
             resource (AZExecuteCommand, AZVMContributor, AZContributor, \
             AZAutomationContributor, AZAKSContributor).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanRunCommand]),
    phase: PHASE,
    derive: Derive::Relation(run_command),
    example: Example {
        scenario: "name: x\nassets:\n- {id: ops, kind: group}\n- {id: vm, kind: server}\n- {id: aks, kind: cluster}\n- {id: pc, kind: workstation}\nrelations:\n- {type: can_run_command, from: ops, to: vm}\n- {type: can_run_command, from: ops, to: aks}\n",
        edges: &["ops>vm", "ops>aks"],
    },
};

fn run_command(_: &Ctx, r: &RelRef, out: &mut Out) {
    act(
        r,
        out,
        "T1651",
        bits::ADMIN | bits::ACCESS,
        flags::PRIVILEGED,
    );
}

/// Taking a resource's managed identity.
pub static MANAGED_IDENTITY: Rule = Rule {
    id: "entra.managed-identity",
    name: "take a managed identity's token",
    techniques: &["T1552.005"],
    needs: bits::ACCESS | bits::ADMIN,
    grants: bits::TOKEN,
    network: Network::None,
    models: "Code running on a VM, cluster, automation account or app asks the instance \
             metadata service (or the runbook's identity endpoint) for an access token of the \
             managed identity attached to it, and acts as that service principal \
             (AZManagedIdentity).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::HasManagedIdentity]),
    phase: PHASE,
    derive: Derive::Relation(managed_identity),
    example: Example {
        scenario: "name: x\nassets:\n- {id: vm, kind: server}\n- {id: vm-id, kind: service_account}\n- {id: runbooks, kind: api}\n- {id: rb-id, kind: service_account}\nrelations:\n- {type: has_managed_identity, from: vm, to: vm-id}\n- {type: has_managed_identity, from: runbooks, to: rb-id}\n",
        edges: &["vm>vm-id", "runbooks>rb-id"],
    },
};

fn managed_identity(_: &Ctx, r: &RelRef, out: &mut Out) {
    out.step(
        Step::new(
            r.from.node,
            r.to.node,
            "T1552.005",
            bits::ACCESS | bits::ADMIN,
            bits::TOKEN,
        )
        .rel(RelationKind::HasManagedIdentity),
    );
}
