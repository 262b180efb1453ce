//! Account takeover in Active Directory (BloodHound's ACL edges): a principal with rights on
//! an account's directory object takes the account over without ever stealing a secret from
//! a host. Each right is a relation (`can_reset_password`, `can_add_key_credential`,
//! `can_write_spn`, `can_read_password`, `can_rewrite_acl`); the importer maps SharpHound's
//! ACEs onto them (docs/import.md), and a scenario may write them by hand.
//!
//! The principal acts over LDAP with any credential of its own that the directory accepts
//! (its password, or its hash or ticket): the rules need `PASSWORD | HASH` on the source.
//! Groups get the bits of their held members through membership, so a right held by a group
//! is a right of every member.

use super::{Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::edge::bits;
use crate::model::RelationKind;
use crate::world::Identity;

/// Phase of the takeover rules: after every older rule.
const PHASE: u8 = 12;

/// What the principal must hold to act over LDAP.
const NEEDS: u8 = bits::PASSWORD | bits::HASH;

/// The tiny estate every takeover example uses: `helpdesk` holds one right on `alice`
/// (weak password) and on `bob` (strong), and `g` holds it through membership on `carol`.
macro_rules! example {
    ($kind:literal) => {
        concat!(
            "name: x\nassets:\n- {id: helpdesk, kind: user}\n- {id: g, kind: group}\n",
            "- {id: alice, kind: user, weak_password: true}\n- {id: bob, kind: service_account}\n",
            "- {id: carol, kind: admin}\nrelations:\n",
            "- {type: ",
            $kind,
            ", from: helpdesk, to: alice}\n- {type: ",
            $kind,
            ", from: helpdesk, to: bob}\n- {type: ",
            $kind,
            ", from: g, to: carol}\n- {type: member_of, from: helpdesk, to: g}\n"
        )
    };
}

/// One takeover step per relation: from the principal to the account, granting `grants`.
fn takeover(r: &RelRef, out: &mut Out, tech: &'static str, grants: u8) {
    out.step(Step::new(r.from.node, r.to.node, tech, NEEDS, grants).rel(r.rel.kind));
}

/// Resetting an account's password.
pub static RESET_PASSWORD: Rule = Rule {
    id: "takeover.reset-password",
    name: "force a password reset",
    techniques: &["T1098"],
    needs: NEEDS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal with the reset-password right on an account (ForceChangePassword, \
             GenericAll, AllExtendedRights) sets a new password without knowing the old one, \
             and signs in as the account; the owner finds out at the next logon.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanResetPassword]),
    phase: PHASE,
    derive: Derive::Relation(reset_password),
    example: Example {
        scenario: example!("can_reset_password"),
        edges: &["helpdesk>alice", "helpdesk>bob", "g>carol"],
    },
};

fn reset_password(_: &Ctx, r: &RelRef, out: &mut Out) {
    takeover(r, out, "T1098", bits::PASSWORD);
}

/// Shadow credentials.
pub static SHADOW_CREDENTIALS: Rule = Rule {
    id: "takeover.shadow-credentials",
    name: "shadow credentials",
    techniques: &["T1556"],
    needs: NEEDS,
    grants: bits::HASH,
    network: Network::None,
    models: "A principal that may write an account's msDS-KeyCredentialLink adds a key of its \
             own, authenticates as the account with PKINIT and recovers its NT hash \
             (Whisker, Certipy shadow): the password is never changed, so nobody notices.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanAddKeyCredential]),
    phase: PHASE,
    derive: Derive::Relation(shadow_credentials),
    example: Example {
        scenario: example!("can_add_key_credential"),
        edges: &["helpdesk>alice", "helpdesk>bob", "g>carol"],
    },
};

fn shadow_credentials(_: &Ctx, r: &RelRef, out: &mut Out) {
    takeover(r, out, "T1556", bits::HASH);
}

/// Targeted Kerberoasting.
pub static TARGETED_KERBEROAST: Rule = Rule {
    id: "takeover.targeted-kerberoast",
    name: "targeted Kerberoasting",
    techniques: &["T1558.003"],
    needs: NEEDS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal that may write an account's servicePrincipalName sets one, requests a \
             service ticket for it and cracks the account's password offline: only a weak \
             password falls (an account without one gets no step).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanWriteSpn]),
    phase: PHASE,
    derive: Derive::Relation(targeted_kerberoast),
    example: Example {
        scenario: example!("can_write_spn"),
        edges: &["helpdesk>alice"],
    },
};

fn targeted_kerberoast(_: &Ctx, r: &RelRef, out: &mut Out) {
    if r.to.get::<Identity>().is_some_and(|i| i.weak_password) {
        takeover(r, out, "T1558.003", bits::PASSWORD);
    }
}

/// Reading a managed account's password.
pub static READ_PASSWORD: Rule = Rule {
    id: "takeover.read-password",
    name: "read a managed password",
    techniques: &["T1555"],
    needs: NEEDS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal allowed to retrieve a group managed service account's password \
             (ReadGMSAPassword) reads msDS-ManagedPassword over LDAP and holds the account's \
             current password (gMSADumper).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanReadPassword]),
    phase: PHASE,
    derive: Derive::Relation(read_password),
    example: Example {
        scenario: example!("can_read_password"),
        edges: &["helpdesk>alice", "helpdesk>bob", "g>carol"],
    },
};

fn read_password(_: &Ctx, r: &RelRef, out: &mut Out) {
    takeover(r, out, "T1555", bits::PASSWORD);
}

/// Rewriting an account's access control list.
pub static REWRITE_ACL: Rule = Rule {
    id: "takeover.rewrite-acl",
    name: "rewrite the account's ACL",
    techniques: &["T1222.001"],
    needs: NEEDS,
    grants: bits::PASSWORD,
    network: Network::None,
    models: "A principal that owns an account's object or may write its DACL or owner \
             (Owns, WriteDacl, WriteOwner) grants itself full control, then resets the \
             password: one step, timed and detected as the permission change.",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::CanRewriteAcl]),
    phase: PHASE,
    derive: Derive::Relation(rewrite_acl),
    example: Example {
        scenario: example!("can_rewrite_acl"),
        edges: &["helpdesk>alice", "helpdesk>bob", "g>carol"],
    },
};

fn rewrite_acl(_: &Ctx, r: &RelRef, out: &mut Out) {
    takeover(r, out, "T1222.001", bits::PASSWORD);
}
