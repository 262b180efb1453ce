//! The attack model: one named rule per way an attacker moves through an estate.
//!
//! A [`Rule`] reads the estate's World (an asset, or a relation and its two ends) and emits
//! attack edges: "an attacker holding `needs` on this source may, by this ATT&CK technique,
//! gain `grants` on that target, if the network lets it". Each rule carries a stable id, its
//! technique, a sentence on the real attack it models, and a tiny example estate with the
//! exact edges it must produce (checked by `every_rule_produces_exactly_its_example`).
//!
//! Rules live one file per tactic or subject: [`initial_access`], [`identity`],
//! [`directory`], [`takeover`], [`certificates`], [`credential_access`], [`credentials`],
//! [`privilege`], [`lateral`], [`applications`], [`discovery`], [`impact`] and [`entra`]
//! (Microsoft Entra ID and Azure, from AzureHound's edges). A
//! new rule is one `Rule` item in one of them plus a line in [`REGISTRY`].
//!
//! Edge order is part of the model (the engine's draws follow it), so every edge records
//! where it was derived: its rule's `phase`, its anchor's sequence number and its place
//! among the anchor's edges. Sorting on that key gives the same graph however the rules
//! were run, in one full compile or entity by entity after an edit.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

pub mod applications;
pub mod certificates;
pub mod credential_access;
pub mod credentials;
pub mod directory;
pub mod discovery;
pub mod entra;
pub mod identity;
pub mod impact;
pub mod initial_access;
pub mod lateral;
pub mod privilege;
pub mod takeover;

use crate::attacker::Profile;
use crate::controls::Credential;
use crate::edge::{AttackEdge, Node, NodeId, flags};
use crate::model::{AssetKind, Protocol, RelationKind};
use crate::techniques::{TechId, TechniqueCatalog, TimeDist};
use crate::world::{Asset, Relation, Techniques};
use bevy_ecs::prelude::*;
use bevy_ecs::world::EntityRef;

/// Protocol masks the rules use (see [`Protocol`]).
pub mod proto {
    /// SMB.
    pub const SMB: u8 = 1;
    /// RDP.
    pub const RDP: u8 = 2;
    /// WinRM (PowerShell remoting).
    pub const WINRM: u8 = 4;
    /// SSH.
    pub const SSH: u8 = 8;
    /// HTTPS.
    pub const HTTPS: u8 = 16;
    /// A database's own protocol.
    pub const SQL: u8 = 32;
    /// The management protocols: SMB, RDP, WinRM and SSH.
    pub const MGMT: u8 = SMB | RDP | WINRM | SSH;
}

/// What a rule is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One asset and its attributes (and, through its links, its direct neighbours).
    Asset,
    /// One relation of one of these kinds, with both its ends.
    Relations(&'static [RelationKind]),
    /// One network segment (not the internet).
    Segment,
}

/// The network condition of a rule's edges, for the rule listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// No network check: the step happens on a host or at a cloud service already held.
    None,
    /// The target must be reachable from a foothold on one of these protocols.
    Protocols(u8),
    /// The protocol depends on the target (e.g. a data store's own service).
    ByTarget,
}

impl Network {
    /// How the rule listing shows it.
    pub fn describe(self) -> String {
        match self {
            Network::None => "-".into(),
            Network::Protocols(m) => Protocol::names_of(m).join("|"),
            Network::ByTarget => "by target".into(),
        }
    }
}

/// How a rule derives edges.
#[derive(Clone, Copy)]
pub enum Derive {
    /// From one asset.
    Asset(fn(&Ctx, &AssetRef, &mut Out)),
    /// From one relation.
    Relation(fn(&Ctx, &RelRef, &mut Out)),
}

/// A tiny estate and the exact edges a rule derives on it, as `from>to` pairs of ids.
pub struct Example {
    /// A scenario in YAML with three to five entities.
    pub scenario: &'static str,
    /// Every edge the rule emits there, in any order.
    pub edges: &'static [&'static str],
}

/// One attack rule.
pub struct Rule {
    /// Stable id, e.g. `lateral.rdp`.
    pub id: &'static str,
    /// A short name.
    pub name: &'static str,
    /// The ATT&CK techniques its edges use (the first is the usual one).
    pub techniques: &'static [&'static str],
    /// State bits the source must hold (any of them).
    pub needs: u8,
    /// State bits it grants on the target (the most it can grant).
    pub grants: u8,
    /// Its network condition.
    pub network: Network,
    /// The real-world attack it models, in one sentence.
    pub models: &'static str,
    /// The source file that defines it.
    pub file: &'static str,
    /// What it is derived from.
    pub scope: Scope,
    /// Derivation phase: edges sort by (source, phase, anchor, place), see the module doc.
    pub phase: u8,
    /// The derivation.
    pub derive: Derive,
    /// Its worked example.
    pub example: Example,
}

/// Relation kinds through which an asset rule reads its neighbours: `credential.aitm`
/// reads the segments of the devices an identity has sessions on. An incremental recompile
/// re-derives an asset's rules when a relation of these kinds is added or removed at it, or
/// when a neighbour across one changes. A new asset rule that reads neighbours through
/// another relation kind must be listed here (the incremental tests then check it).
pub const LINKED_READS: &[RelationKind] = &[RelationKind::HasSession];

/// Every rule, in derivation order within each phase.
pub static REGISTRY: &[&Rule] = &[
    &initial_access::PHISH_LINK,
    &initial_access::PASSWORD_SPRAY,
    &initial_access::EXPLOIT_PUBLIC,
    &initial_access::EXPLOIT_REMOTE,
    &initial_access::PHISH_ATTACHMENT,
    &identity::IDP_SIGN_IN,
    &identity::TOKEN_REPLAY,
    &directory::DCSYNC,
    &directory::DOMAIN_HASHES,
    &directory::DOMAIN_USER,
    &directory::KERBEROAST,
    &privilege::LOCAL_PRIVESC,
    &credential_access::SAM_SHARED_ADMIN,
    &privilege::SHARED_ADMIN_PTH,
    &identity::MEMBER_OF,
    &credential_access::LSASS,
    &credential_access::COOKIE_THEFT,
    &lateral::RDP,
    &lateral::PSREMOTE,
    &lateral::SSH,
    &lateral::LOGON,
    &lateral::ADMIN_SMB,
    &lateral::ADMIN_PTH,
    &lateral::ADMIN_WINRM,
    &lateral::ADMIN_RDP,
    &lateral::ADMIN_SSH,
    &lateral::ADMIN_CLOUD,
    &lateral::ADMIN_DATA,
    &lateral::ADMIN_APP,
    &applications::ROLE_SSO,
    &applications::ROLE_GATEWAY,
    &applications::ROLE_APP,
    &credential_access::APP_TOKEN,
    &applications::DATA_FROM_APP,
    &applications::DATA_CLOUD,
    &applications::DATA_ONPREM,
    &applications::HOST_OWNS_GUEST,
    &applications::APP_RUNS_ON_HOST,
    &applications::TRUST,
    &credential_access::AITM,
    &identity::IDP_MINT_TOKENS,
    &impact::ENCRYPT,
    &impact::INHIBIT_RECOVERY,
    &impact::EXFILTRATE,
    &initial_access::EXPLOIT_SERVICE,
    &credentials::STORED,
    &credentials::LEAKED,
    &credentials::USE,
    &lateral::SHARED_CONTENT,
    &discovery::NETWORK_SCAN,
    &discovery::DIRECTORY,
    &takeover::RESET_PASSWORD,
    &takeover::SHADOW_CREDENTIALS,
    &takeover::TARGETED_KERBEROAST,
    &takeover::READ_PASSWORD,
    &takeover::REWRITE_ACL,
    &directory::COERCE_UNCONSTRAINED,
    &directory::GPO_ABUSE,
    &certificates::ESC1,
    &certificates::ESC3,
    &certificates::ESC4,
    &certificates::ESC5,
    &certificates::ESC6,
    &certificates::ESC7_MANAGE_CA,
    &certificates::ESC7_OFFICER,
    &certificates::ESC8,
    &certificates::ESC13,
    &certificates::GOLDEN_CERTIFICATE,
    &entra::HAS_ROLE,
    &entra::ADD_SECRET,
    &entra::ADD_MEMBER,
    &entra::GRANT_ROLE,
    &entra::GRANT_APP_ROLES,
    &entra::RESET_PASSWORD,
    &entra::RUN_COMMAND,
    &entra::MANAGED_IDENTITY,
];

/// The rule with this id.
pub fn by_id(id: &str) -> Option<(u16, &'static Rule)> {
    REGISTRY
        .iter()
        .position(|r| r.id == id)
        .map(|i| (i as u16, REGISTRY[i]))
}

/// Virtual nodes the rules point at: a directory per domain, "any domain user" per domain,
/// and the local administrator password shared by devices without LAPS.
#[derive(Clone, Debug, Default)]
pub struct Virtuals {
    /// Domain name → (directory node, any-domain-user node).
    pub domains: foldhash::HashMap<String, (NodeId, NodeId)>,
    /// The shared local administrator password's node, if any device shares it.
    pub shared_local_admin: Option<NodeId>,
}

/// What every rule may read: the World, the compiled node table, the attacker profile and
/// the technique numbers.
pub struct Ctx<'w> {
    /// The estate.
    pub world: &'w World,
    /// The compiled node table (segments, assets, virtual nodes).
    pub nodes: &'w [Node],
    /// Node of each entity, by entity index (`u32::MAX` for relations).
    pub node_of: &'w [NodeId],
    /// The attacker profile the graph is compiled for.
    pub profile: &'w Profile,
    /// Technique numbers after the scenario's overrides.
    pub tech: &'w Techniques,
    /// The virtual nodes.
    pub virtuals: &'w Virtuals,
    /// Identity provider nodes, in node order.
    pub idps: &'w [NodeId],
    /// Each node's entity (`None` for virtual nodes).
    pub entities: &'w [Option<Entity>],
}

impl<'w> Ctx<'w> {
    /// The node of entity `e`.
    pub fn node(&self, e: Entity) -> NodeId {
        self.node_of[e.index_u32() as usize]
    }
    /// A view of asset entity `e`.
    pub fn asset(&self, e: Entity) -> AssetRef<'w> {
        let er = self.world.entity(e);
        AssetRef {
            node: self.node(e),
            asset: er.get::<Asset>().expect("asset entity"),
            er,
        }
    }
    /// Whether the attacker uses this entry vector.
    pub fn entry(&self, v: crate::attacker::EntryVector) -> bool {
        self.profile.entry.contains(&v)
    }
    /// The segment node an asset sits in (the internet for cloud assets).
    pub fn segment_of(&self, a: &AssetRef) -> NodeId {
        self.nodes[a.node as usize].segment
    }
}

/// One asset as a rule sees it.
pub struct AssetRef<'w> {
    /// Its compiled node.
    pub node: NodeId,
    /// Its identity card.
    pub asset: &'w Asset,
    /// The entity, for its other components.
    pub er: EntityRef<'w>,
}

impl<'w> AssetRef<'w> {
    /// Its kind.
    pub fn kind(&self) -> AssetKind {
        self.asset.kind
    }
    /// Its component `T`, if it has one.
    pub fn get<T: Component>(&self) -> Option<&'w T> {
        self.er.get::<T>()
    }
    /// Whether it has component `T`.
    pub fn has<T: Component>(&self) -> bool {
        self.er.contains::<T>()
    }
    /// The relation entities of this asset (both directions).
    pub fn links(&self) -> Option<&'w crate::world::Links> {
        self.er.get::<crate::world::Links>()
    }
}

/// One relation as a rule sees it.
pub struct RelRef<'w> {
    /// The relation.
    pub rel: &'w Relation,
    /// Its source asset.
    pub from: AssetRef<'w>,
    /// Its target asset.
    pub to: AssetRef<'w>,
}

/// Where an edge came from: its rule, and the asset or relation entity it was derived from.
/// Sixteen bytes, one per edge of the compiled estate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The asset or relation entity.
    pub anchor: Entity,
    /// The sort key that fixes the edge's place (see the module doc), packed: the rule's
    /// phase (bits 54-57), the anchor's sequence number (24-53), the rule's index in
    /// [`REGISTRY`] (16-23) and the edge's place among the rule's edges for that anchor
    /// (0-15). The whole key stays within 58 bits (the compiled estate's sort packs it).
    pub order: u64,
}

impl Origin {
    /// An edge's origin: rule `rule` of `phase`, anchor `anchor` with sequence number `seq`,
    /// the `count`-th edge the rule emitted for it.
    pub fn new(rule: u16, anchor: Entity, phase: u8, seq: u32, count: u32) -> Origin {
        debug_assert!(phase < 16 && rule < 256 && seq < 1 << 30 && count < 1 << 16);
        Origin {
            anchor,
            order: (phase as u64) << 54 | (seq as u64) << 24 | (rule as u64) << 16 | count as u64,
        }
    }

    /// The index into [`REGISTRY`] of the rule that produced the edge.
    pub fn rule(&self) -> u16 {
        ((self.order >> 16) & 0xFF) as u16
    }
}

/// Edges and their origins as rules emit them, in two parallel lists.
#[derive(Default)]
pub struct Derived {
    /// The edges.
    pub edges: Vec<AttackEdge>,
    /// Their origins, index for index.
    pub origins: Vec<Origin>,
}

/// Collects the edges one anchor's rules emit.
pub struct Out<'a> {
    pub(crate) out: &'a mut Derived,
    pub(crate) rule: u16,
    pub(crate) phase: u8,
    pub(crate) anchor: Entity,
    pub(crate) seq: u32,
    pub(crate) emitted: u32,
    pub(crate) tech: &'a Techniques,
    pub(crate) avoid: &'a [String],
    /// The anchor relation's own numbers (a relation's `p`, `mean_hours`, `noise`).
    pub(crate) link: crate::scenario::LinkParams,
    /// The World and each node's entity, to read the services a target offers.
    pub(crate) world: &'a World,
    pub(crate) entities: &'a [Option<Entity>],
}

/// An attack step's description, before the technique's numbers are filled in.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Source node ([`crate::edge::NO_SOURCE`] for a network step).
    pub src: NodeId,
    /// Target node.
    pub dst: NodeId,
    /// ATT&CK technique id.
    pub tech: &'static str,
    /// Bits the source needs (any).
    pub needs: u8,
    /// Bits granted on the target.
    pub grants: u8,
    /// Protocols by which the target must be reachable (0: none).
    pub proto: u8,
    /// The credential it presents.
    pub cred: Option<Credential>,
    /// The relation it stands for.
    pub relation: Option<RelationKind>,
    /// Edge flags.
    pub flags: u8,
    /// Factor on the technique's probability.
    pub p_factor: f64,
    /// The node whose network position must be reachable, when not the target.
    pub at: Option<NodeId>,
    /// Numbers of its own (an explicit exploit's), replacing the technique's.
    pub exact: crate::scenario::LinkParams,
}

impl Step {
    /// A step with no protocol, credential, relation or flags, at the technique's odds.
    pub fn new(src: NodeId, dst: NodeId, tech: &'static str, needs: u8, grants: u8) -> Step {
        Step {
            src,
            dst,
            tech,
            needs,
            grants,
            proto: 0,
            cred: None,
            relation: None,
            flags: 0,
            p_factor: 1.0,
            at: None,
            exact: crate::scenario::LinkParams::default(),
        }
    }
    /// Reached where `n` is (a leaked credential is reached where the app that leaks it is).
    pub fn at(mut self, n: NodeId) -> Step {
        self.at = Some(n);
        self
    }
    /// With numbers of its own, replacing the technique's.
    pub fn exact(mut self, x: crate::scenario::LinkParams) -> Step {
        self.exact = x;
        self
    }
    /// Over these protocols.
    pub fn proto(mut self, p: u8) -> Step {
        self.proto = p;
        self
    }
    /// Presenting this credential.
    pub fn cred(mut self, c: Credential) -> Step {
        self.cred = Some(c);
        self
    }
    /// Standing for this relation.
    pub fn rel(mut self, r: RelationKind) -> Step {
        self.relation = Some(r);
        self
    }
    /// With these flags.
    pub fn flags(mut self, f: u8) -> Step {
        self.flags |= f;
        self
    }
    /// With the technique's probability scaled by `f`.
    pub fn p(mut self, f: f64) -> Step {
        self.p_factor = f;
        self
    }
}

impl Out<'_> {
    fn push(&mut self, edge: AttackEdge) {
        self.emitted += 1;
        let o = Origin::new(self.rule, self.anchor, self.phase, self.seq, self.emitted);
        self.out.edges.push(edge);
        self.out.origins.push(o);
    }

    /// Emits an attack step, unless the attacker avoids its technique or its target offers
    /// none of the protocols it needs. Its numbers are the technique's (its probability
    /// scaled by the step's factor), replaced by the step's own, replaced in turn by the
    /// anchor relation's.
    pub fn step(&mut self, mut s: Step) {
        let tc = TechniqueCatalog::builtin();
        let t: TechId = tc.must(s.tech);
        if self.avoid.iter().any(|a| tc.matches(a, t)) {
            return;
        }
        if s.proto != 0 {
            let at = s.at.unwrap_or(s.dst) as usize;
            let offered = self
                .entities
                .get(at)
                .copied()
                .flatten()
                .and_then(|e| self.world.get::<crate::world::Services>(e))
                .map_or(u8::MAX, |x| x.mask);
            s.proto &= offered;
            if s.proto == 0 {
                return;
            }
        }
        let tp = self.tech.params[t as usize];
        let (x, l) = (s.exact, self.link);
        let p = l.p.or(x.p).unwrap_or((tp.p * s.p_factor).clamp(0.0, 1.0));
        let mean_hours = l.mean_hours.or(x.mean_hours).unwrap_or(tp.mean_hours);
        let noise = l.noise.or(x.noise).unwrap_or(tp.noise);
        let edge = AttackEdge {
            src: s.src,
            dst: s.dst,
            at: s.at.unwrap_or(s.dst),
            tech: t,
            requires: s.needs,
            grants: s.grants,
            proto: s.proto,
            cred: s.cred,
            relation: s.relation,
            flags: s.flags,
            p: p as f32,
            mean_hours: mean_hours as f32,
            noise: noise as f32,
            dist: tp.dist,
            sigma: tp.sigma as f32,
        };
        self.push(edge);
    }

    /// Emits a FREE edge: instant, certain and silent (membership, code on its host).
    pub fn free(
        &mut self,
        src: NodeId,
        dst: NodeId,
        needs: u8,
        grants: u8,
        fl: u8,
        rel: Option<RelationKind>,
    ) {
        // FREE edges carry the technique of the move they stand for only nominally.
        let t = TechniqueCatalog::builtin().must("T1078");
        let edge = AttackEdge {
            src,
            dst,
            at: dst,
            tech: t,
            requires: needs,
            grants,
            proto: 0,
            cred: None,
            relation: rel,
            flags: fl | flags::FREE,
            p: 1.0,
            mean_hours: 0.0,
            noise: 0.0,
            dist: TimeDist::Exponential,
            sigma: 0.0,
        };
        self.push(edge);
    }
}

#[cfg(test)]
pub(crate) mod testing;
