//! Identity: signing in at the identity provider, group membership, and what the identity
//! provider's administrators can do to every identity it serves.

use super::{AssetRef, Ctx, Derive, Example, Network, Out, RelRef, Rule, Scope, Step};
use crate::controls::Credential;
use crate::edge::{bits, flags};
use crate::model::{AssetKind, RelationKind};

/// Identities that sign in (groups hold rights but never sign in).
pub(crate) fn signs_in(a: &AssetRef) -> bool {
    a.kind().is_identity() && a.kind() != AssetKind::Group
}

/// Signing in with a stolen password, where MFA and the policy engine decide.
pub static IDP_SIGN_IN: Rule = Rule {
    id: "identity.sign-in",
    name: "sign in with a password",
    techniques: &["T1078.004"],
    needs: bits::PASSWORD,
    grants: bits::SIGNED_IN,
    network: Network::None,
    models: "The attacker signs in to the identity provider as the identity with its \
             password; this is the policy enforcement point where MFA, phishing-resistant MFA \
             and device compliance are checked.",
    file: file!(),
    scope: Scope::Asset,
    phase: 3,
    derive: Derive::Asset(sign_in),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user}\n- {id: g, kind: group}\n- {id: pc, kind: laptop}\n",
        edges: &["alice>alice"],
    },
};

fn sign_in(_: &Ctx, a: &AssetRef, out: &mut Out) {
    if signs_in(a) {
        out.step(
            Step::new(a.node, a.node, "T1078.004", bits::PASSWORD, bits::SIGNED_IN)
                .cred(Credential::Password)
                .flags(flags::PEP),
        );
    }
}

/// Replaying a stolen session token or cookie.
pub static TOKEN_REPLAY: Rule = Rule {
    id: "identity.token-replay",
    name: "replay a session token",
    techniques: &["T1550.004"],
    needs: bits::TOKEN,
    grants: bits::SIGNED_IN,
    network: Network::None,
    models: "A stolen session cookie or access token is replayed to act as the identity \
             without its password or MFA (token binding and continuous evaluation stop it).",
    file: file!(),
    scope: Scope::Asset,
    phase: 3,
    derive: Derive::Asset(token_replay),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: admin}\n- {id: g, kind: group}\n- {id: db, kind: database}\n",
        edges: &["alice>alice"],
    },
};

fn token_replay(_: &Ctx, a: &AssetRef, out: &mut Out) {
    if signs_in(a) {
        out.step(
            Step::new(a.node, a.node, "T1550.004", bits::TOKEN, bits::SIGNED_IN)
                .cred(Credential::Token)
                .flags(flags::PEP),
        );
    }
}

/// Group membership: a member's credentials carry the group's rights.
pub static MEMBER_OF: Rule = Rule {
    id: "identity.member-of",
    name: "group membership",
    techniques: &[],
    needs: bits::CRED,
    grants: bits::CRED,
    network: Network::None,
    models: "Whoever holds a member's credentials holds the rights of every group it belongs \
             to, at once and silently (a structural edge: it copies what the member holds).",
    file: file!(),
    scope: Scope::Relations(&[RelationKind::MemberOf]),
    phase: 6,
    derive: Derive::Relation(member_of),
    example: Example {
        scenario: "name: x\nassets:\n- {id: alice, kind: user}\n- {id: admins, kind: group}\n- {id: all, kind: group}\nrelations:\n- {type: member_of, from: alice, to: admins}\n- {type: member_of, from: admins, to: all}\n",
        edges: &["alice>admins", "admins>all"],
    },
};

fn member_of(_: &Ctx, r: &RelRef, out: &mut Out) {
    out.free(
        r.from.node,
        r.to.node,
        bits::CRED,
        0,
        flags::COPY,
        Some(RelationKind::MemberOf),
    );
}

/// Identity provider administrators mint tokens for any identity.
pub static IDP_MINT_TOKENS: Rule = Rule {
    id: "identity.idp-mint-tokens",
    name: "identity provider admin takes over accounts",
    techniques: &["T1098"],
    needs: bits::ADMIN,
    grants: bits::TOKEN,
    network: Network::None,
    models: "An administrator of the identity provider resets credentials, adds \
             authentication methods or federates a domain, and so can act as any identity \
             it serves (account manipulation).",
    file: file!(),
    scope: Scope::Asset,
    phase: 8,
    derive: Derive::Asset(idp_mint),
    example: Example {
        scenario: "name: x\nassets:\n- {id: idp, kind: identity_provider}\n- {id: alice, kind: user}\n- {id: svc, kind: service_account}\n- {id: g, kind: group}\n",
        edges: &["idp>alice", "idp>svc"],
    },
};

fn idp_mint(cx: &Ctx, a: &AssetRef, out: &mut Out) {
    if signs_in(a) {
        for &idp in cx.idps {
            out.step(
                Step::new(idp, a.node, "T1098", bits::ADMIN, bits::TOKEN).flags(flags::PRIVILEGED),
            );
        }
    }
}
