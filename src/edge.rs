//! The attack graph's vocabulary: node ids, the state bits an attacker holds on a node, edge
//! flags, nodes and attack edges. The rules ([`crate::rules`]) produce these and the compiled
//! estate ([`crate::estate`], which re-exports them) freezes them; neither depends on the
//! other for them.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::controls::Credential;
use crate::model::{AssetKind, MfaStrength, RelationKind};
use crate::techniques::{TechId, TimeDist};

/// Index of a node in `Estate::nodes`: segments first (the internet is 0), then assets,
/// then virtual nodes.
pub type NodeId = u32;
/// Marks a network edge: it has no source node, only a reachability condition.
pub const NO_SOURCE: NodeId = u32::MAX;
/// The internet segment, where the attacker starts.
pub const INTERNET: NodeId = 0;

/// State bits an attacker holds on a node.
pub mod bits {
    /// Code execution or use (user level on a device, a role on an app, read on data).
    pub const ACCESS: u8 = 1;
    /// Administrator or SYSTEM.
    pub const ADMIN: u8 = 2;
    /// The identity's cleartext password (phished, sprayed or cracked).
    pub const PASSWORD: u8 = 4;
    /// The identity's password hash (for pass-the-hash).
    pub const HASH: u8 = 8;
    /// A session token or Kerberos ticket of the identity.
    pub const TOKEN: u8 = 16;
    /// Signed in at the identity provider (passed its policy).
    pub const SIGNED_IN: u8 = 32;
    /// Data copied out.
    pub const EXFIL: u8 = 64;
    /// Encrypted (devices, T1486) or destroyed (backups, T1490).
    pub const IMPACT: u8 = 128;
    /// Any credential bit: what a step that signs in as the identity can use.
    pub const CRED: u8 = PASSWORD | HASH | TOKEN | SIGNED_IN;
    /// The names of the bits in `mask`, lowest bit first (as `paths`, `explain` and
    /// `rules` print them).
    pub fn names(mask: u8) -> Vec<&'static str> {
        const NAMES: [&str; 8] = [
            "access",
            "admin",
            "password",
            "hash",
            "token",
            "signed_in",
            "exfil",
            "impact",
        ];
        (0..8)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| NAMES[i])
            .collect()
    }
}

/// Flag bits of an attack edge ([`AttackEdge::flags`]).
pub mod flags {
    /// Zero-time, certain, silent step (group membership, code running on its host).
    pub const FREE: u8 = 1;
    /// Grants the bits its source holds (group membership) instead of fixed bits.
    pub const COPY: u8 = 2;
    /// Uses a privileged right (admin_to, tier 0/1 identity).
    pub const PRIVILEGED: u8 = 4;
    /// The right is eligible (just in time), not standing.
    pub const ELIGIBLE: u8 = 8;
    /// Pass-the-hash with the shared local administrator password.
    pub const SHARED_LOCAL_ADMIN: u8 = 16;
    /// Passes a policy enforcement point.
    pub const PEP: u8 = 32;
    /// Left behind by an incremental recompile: in no block, never tried.
    pub const DEAD: u8 = 64;
    /// A discovery step: instead of bits, it reveals what its target stands for (a
    /// segment's assets, a directory's computers) to the attacker.
    pub const SCAN: u8 = 128;
}

/// What a virtual node (one with no scenario asset behind it) stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VirtualKind {
    /// An Active Directory domain: DCSync on its DC yields every member's hash.
    Domain,
    /// An asset an edit removed: kept as a tombstone so that node ids stay stable.
    Removed,
    /// "Any authenticated domain user": the foothold for Kerberoasting.
    DomainUser,
    /// The local administrator password shared by devices without LAPS.
    SharedLocalAdmin,
}

/// One node of the estate: a segment (the internet included), an asset, or a virtual node.
#[derive(Clone, Debug)]
pub struct Node {
    /// The scenario id of the asset or segment (`@domain:...` and the like for virtual
    /// nodes); the key of `Estate::index`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Asset kind (`Segment` for segments, `Group` for virtual nodes).
    pub kind: AssetKind,
    /// What the node stands for if it is virtual; `None` for assets and segments.
    pub virtual_kind: Option<VirtualKind>,
    /// Segment index (== the segment's NodeId); 0 is the internet.
    pub segment: u32,
    /// Network position: its segment, or a position of its own when it has host firewall
    /// rules (see [`crate::estate::Estate::positions`]).
    pub net: u32,
    /// Business value (the scenario's `value`, or the kind's default), summed into the
    /// value-weighted blast radius; 0 for virtual nodes.
    pub value: f64,
    /// Records held (data stores), counted as exposed or exfiltrated; 0 otherwise.
    pub records: u64,
    /// A crown jewel: a default objective, and what P(crown jewel) is about.
    pub crown_jewel: bool,
    /// Privilege tier: 0 domain or cloud admin, 1 server admin, 2 user (2 for assets that
    /// are not identities).
    pub tier: u8,
    /// The scenario's tags (control scopes match them; `backup` marks a backup store).
    pub tags: Vec<String>,
    /// Second factor the identity is enrolled in (`None` for non-identities).
    pub mfa: MfaStrength,
    /// Protocols reachable from the internet on this node alone.
    pub exposed: u8,
    /// An EDR agent runs on it: steps from or to it are detected more often
    /// ([`crate::plan::AGENT_DETECTION`]).
    pub edr: bool,
    /// A managed, compliant device (a policy signal when the attacker signs in from it).
    pub compliant: bool,
    /// Index into the World's asset list ([`crate::world::Index::assets`]), for real
    /// assets.
    pub asset: Option<usize>,
    /// The bits ([`bits`]) that make holding it a network foothold in its segment: code
    /// execution on a host, control of an application server; 0 for what gives none.
    pub foothold: u8,
    /// A decoy: steps into it are detected with this probability (0: not a decoy).
    pub decoy: f32,
    /// Known to the attacker from the start (see [`crate::world::Public`]).
    pub public: bool,
}

impl Node {
    /// Whether the node counts in the blast radius: a real asset (not virtual, not the
    /// internet) of a kind that counts.
    pub fn counts(&self) -> bool {
        self.virtual_kind.is_none()
            && self.kind.counts_in_blast_radius()
            && self.id != "internet"
            && self.decoy == 0.0
    }
}

/// One edge of the attack graph: an attack step, or a FREE edge (zero time, certain,
/// silent), from a source holding some bits to a target it gives bits on.
#[derive(Clone, Copy, Debug)]
pub struct AttackEdge {
    /// Source node, or [`NO_SOURCE`] for a network edge (only a reachability condition).
    pub src: NodeId,
    /// Target node.
    pub dst: NodeId,
    /// The node whose network position the step must reach: the target, or the
    /// application that leaks the credential the step takes.
    pub at: NodeId,
    /// The technique, an index into [`crate::techniques::TechniqueCatalog::list`].
    pub tech: TechId,
    /// Any of these bits on the source enables the edge.
    pub requires: u8,
    /// Bits ([`bits`]) the target gains on success (a COPY edge grants what its source
    /// holds instead).
    pub grants: u8,
    /// The target must be reachable on one of these protocols; 0 means no network check.
    pub proto: u8,
    /// Credential material the step uses (matched by credential controls and the policy
    /// engine); `None` when it uses none.
    pub cred: Option<Credential>,
    /// The scenario relation it comes from; `None` when it comes from attributes (an
    /// exposure, a vulnerability, a missing control).
    pub relation: Option<RelationKind>,
    /// [`flags`] bits, or-ed together.
    pub flags: u8,
    /// Base success probability, before controls.
    pub p: f32,
    /// Mean hours one attempt takes, before the attacker's speed factor (0 for FREE edges).
    pub mean_hours: f32,
    /// Probability in [0, 1] that one attempt is detected with no control in place.
    pub noise: f32,
    /// Distribution of one attempt's duration, with mean `mean_hours`.
    pub dist: TimeDist,
    /// Standard deviation of the log of the duration when `dist` is log-normal; unused
    /// otherwise.
    pub sigma: f32,
}

impl AttackEdge {
    /// Whether flag bit `flag` ([`flags`]) is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}
