//! The compiled estate: a validated scenario turned into
//! - a node table (assets, segments and a few virtual nodes) indexed by [`NodeId`],
//! - a petgraph graph of the scenario's relations (for paths, export and display),
//! - the attack graph, frozen into offset arrays (CSR) for the engine's hot loop, and
//! - the segment reachability matrix per protocol.
//!
//! Attack edges are derived here, once per scenario, from relations and asset attributes:
//! which ATT&CK technique makes each move, what it needs on its source (state bits, a
//! network path on a protocol), what it grants on its target, and its base probability.
//! Controls never change this structure; [`crate::plan`] only weights and masks it.

use crate::attacker::Profile;
use crate::controls::Credential;
use crate::model::{AssetKind, MfaStrength, Os, Protocol, RelationKind};
use crate::scenario::{AssetDef, EntryVector, Scenario};
use crate::techniques::{TechId, TechniqueCatalog, TimeDist};
use petgraph::stable_graph::StableGraph;
use std::collections::HashMap;

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
    pub const PASSWORD: u8 = 4;
    pub const HASH: u8 = 8;
    pub const TOKEN: u8 = 16;
    /// Signed in at the identity provider (passed its policy).
    pub const SIGNED_IN: u8 = 32;
    /// Data copied out.
    pub const EXFIL: u8 = 64;
    /// Encrypted (devices, T1486) or destroyed (backups, T1490).
    pub const IMPACT: u8 = 128;
    pub const CRED: u8 = PASSWORD | HASH | TOKEN | SIGNED_IN;
}

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VirtualKind {
    /// An Active Directory domain: DCSync on its DC yields every member's hash.
    Domain,
    /// "Any authenticated domain user": the foothold for Kerberoasting.
    DomainUser,
    /// The local administrator password shared by devices without LAPS.
    SharedLocalAdmin,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
    pub virtual_kind: Option<VirtualKind>,
    /// Segment index (== the segment's NodeId); 0 is the internet.
    pub segment: u32,
    pub value: f64,
    pub records: u64,
    pub crown_jewel: bool,
    pub tier: u8,
    pub tags: Vec<String>,
    pub mfa: MfaStrength,
    /// Protocols reachable from the internet on this node alone.
    pub exposed: u8,
    pub edr: bool,
    /// A managed, compliant device (a policy signal when the attacker signs in from it).
    pub compliant: bool,
    /// Index into the scenario's assets, for real assets.
    pub asset: Option<usize>,
}

impl Node {
    pub fn counts(&self) -> bool {
        self.virtual_kind.is_none() && self.kind.counts_in_blast_radius() && self.id != "internet"
    }
}

#[derive(Clone, Copy, Debug)]
pub struct AttackEdge {
    pub src: NodeId,
    pub dst: NodeId,
    pub tech: TechId,
    /// Any of these bits on the source enables the edge.
    pub requires: u8,
    pub grants: u8,
    /// The target must be reachable on one of these protocols; 0 means no network check.
    pub proto: u8,
    pub cred: Option<Credential>,
    pub relation: Option<RelationKind>,
    pub flags: u8,
    /// Base success probability, before controls.
    pub p: f32,
    pub mean_hours: f32,
    pub noise: f32,
    pub dist: TimeDist,
    pub sigma: f32,
}

impl AttackEdge {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

pub struct Estate {
    pub name: String,
    pub nodes: Vec<Node>,
    /// Asset and segment ids to nodes (foldhash: seeded per process, several times faster
    /// than SipHash on a million ids).
    pub index: foldhash::HashMap<String, NodeId>,
    pub segment_count: u32,
    /// reach[from * S + to]: protocol mask allowed from segment `from` into `to`.
    pub reach: Vec<u8>,
    pub edges: Vec<AttackEdge>,
    /// CSR: out-edges of node n are edges[out_start[n]..out_start[n+1]] (source edges only).
    pub out_start: Vec<u32>,
    /// Network edges (no source) grouped by their target's segment.
    pub net_start: Vec<u32>,
    pub net_edges: Vec<u32>,
    /// Nodes the attacker holds at time zero, with the bits held.
    pub start: Vec<(NodeId, u8)>,
    pub objectives: Vec<NodeId>,
    pub profile: Profile,
    /// The scenario's relations as a graph (authoring view).
    pub relations: StableGraph<NodeId, RelationKind>,
    pub horizon_hours: f64,
    pub manual_response_hours: Option<f64>,
    /// Mean hours an alert waits for triage before any response starts.
    pub triage_hours: Option<f64>,
    pub tech_count: usize,
    /// For an insider without explicit start assets: (identity, its devices) to start from,
    /// one chosen per trial.
    pub insider_pool: Vec<(NodeId, Vec<NodeId>)>,
    /// Objectives as a bitset, for the hot loop.
    pub objective_mask: fixedbitset::FixedBitSet,
    /// Network edges whose target is exposed to the internet: tried from the start (empty
    /// unless the attacker exploits from outside).
    pub exposed_net_edges: Vec<u32>,
    /// Whether the attacker exploits internet-facing assets from outside (entry vector
    /// `exploit_public`): only then does a network step (no source) count a target's
    /// internet exposure as a path to it.
    pub exploit_from_internet: bool,
    /// Where each node's FREE out-edges begin: they are `edges[free_from[n]..out_start[n +
    /// 1]]`, after its attack steps, so that a node gaining bits looks at those alone and not
    /// at all its out-edges (a domain-wide group has thousands).
    pub free_from: Vec<u32>,
    /// Each node's attack steps (its out-edges that are not FREE), one [`Stream`] per
    /// distinct `requires`: node n's are `streams[stream_start[n]..stream_start[n + 1]]`.
    pub stream_start: Vec<u32>,
    pub streams: Vec<Stream>,
    /// Per node, the union of `requires` over its streams: whether new bits can enable an
    /// attack step from it.
    pub step_requires: Vec<u8>,
    /// Per edge, its target and the bits it grants, packed: the stream's skip loop reads
    /// these alone, and an 8-byte record misses the cache far less than an [`AttackEdge`].
    pub targets: Vec<EdgeTarget>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeTarget {
    pub dst: NodeId,
    pub grants: u8,
}

/// A contiguous run of one node's attack steps that all require the same bits. A step is
/// usable once its source holds any of them, and holding more changes nothing (only FREE
/// edges copy what the source holds), so a stream is offered once, when its source first
/// holds one of its bits, and never needs restarting when the source gains more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    pub src: NodeId,
    pub requires: u8,
    /// Edges `start..end` of [`Estate::edges`].
    pub start: u32,
    pub end: u32,
}

impl Stream {
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

impl Estate {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
    pub fn out_edges(&self, n: NodeId) -> std::ops::Range<usize> {
        self.out_start[n as usize] as usize..self.out_start[n as usize + 1] as usize
    }
    pub fn free_out_edges(&self, n: NodeId) -> std::ops::Range<usize> {
        self.free_from[n as usize] as usize..self.out_start[n as usize + 1] as usize
    }
    /// Indices into [`Estate::streams`] of node n's attack-step streams.
    pub fn node_streams(&self, n: NodeId) -> std::ops::Range<usize> {
        self.stream_start[n as usize] as usize..self.stream_start[n as usize + 1] as usize
    }
    pub fn net_edges_into(&self, seg: u32) -> &[u32] {
        &self.net_edges
            [self.net_start[seg as usize] as usize..self.net_start[seg as usize + 1] as usize]
    }
    pub fn reach(&self, from: u32, to: u32) -> u8 {
        self.reach[(from * self.segment_count + to) as usize]
    }
    pub fn counted_assets(&self) -> usize {
        self.nodes.iter().filter(|n| n.counts()).count()
    }
}

/// Probability that a local privilege-escalation n-day is still unpatched after `lag` days.
/// Interpolates Mandiant's 2023 time-to-exploit figures (12% within 1 day, 29% within a
/// week, 56% within a month); past 90 days 80% [assumption]; a 5% zero-day floor
/// [assumption].
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

/// Phishing click rate after awareness training relative to untrained (KnowBe4 2023:
/// 5.4% after 12 months vs 33.1% untrained).
const TRAINED_CLICK_FACTOR: f64 = 0.054 / 0.331;

struct Builder<'a> {
    tc: &'a TechniqueCatalog,
    /// Technique parameters after scenario overrides: (p, mean_hours, noise).
    tech: Vec<TechParams>,
    avoid: Vec<String>,
    nodes: Vec<Node>,
    index: foldhash::HashMap<String, NodeId>,
    edges: Vec<AttackEdge>,
}

impl Builder<'_> {
    fn t(&self, id: &str) -> TechId {
        self.tc.must(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn edge(
        &mut self,
        src: NodeId,
        dst: NodeId,
        tech: &str,
        requires: u8,
        grants: u8,
        proto: u8,
        cred: Option<Credential>,
        relation: Option<RelationKind>,
        flags: u8,
        p_factor: f64,
    ) {
        let t = self.t(tech);
        if self.avoid.iter().any(|a| self.tc.matches(a, t)) {
            return;
        }
        let tp = self.tech[t as usize];
        let p = (tp.p * p_factor).clamp(0.0, 1.0);
        self.edges.push(AttackEdge {
            src,
            dst,
            tech: t,
            requires,
            grants,
            proto,
            cred,
            relation,
            flags,
            p: p as f32,
            mean_hours: tp.mean_hours as f32,
            noise: tp.noise as f32,
            dist: tp.dist,
            sigma: tp.sigma as f32,
        });
    }

    fn free(
        &mut self,
        src: NodeId,
        dst: NodeId,
        requires: u8,
        grants: u8,
        flags: u8,
        rel: Option<RelationKind>,
    ) {
        // FREE edges carry the technique of the move they stand for only nominally.
        let t = self.t("T1078");
        self.edges.push(AttackEdge {
            src,
            dst,
            tech: t,
            requires,
            grants,
            proto: 0,
            cred: None,
            relation: rel,
            flags: flags | flags::FREE,
            p: 1.0,
            mean_hours: 0.0,
            noise: 0.0,
            dist: TimeDist::Exponential,
            sigma: 0.0,
        });
    }

    fn add_virtual(&mut self, id: String, name: String, vk: VirtualKind) -> NodeId {
        let n = self.nodes.len() as NodeId;
        self.index.insert(id.clone(), n);
        self.nodes.push(Node {
            id,
            name,
            kind: AssetKind::Group,
            virtual_kind: Some(vk),
            segment: 0,
            value: 0.0,
            records: 0,
            crown_jewel: false,
            tier: 2,
            tags: Vec::new(),
            mfa: MfaStrength::None,
            exposed: 0,
            edr: false,
            compliant: false,
            asset: None,
        });
        n
    }
}

const MGMT: u8 = 1 | 2 | 4 | 8; // smb, rdp, winrm, ssh
const HTTPS: u8 = 16;

/// A technique's numbers after the scenario's overrides.
#[derive(Clone, Copy, Debug)]
struct TechParams {
    p: f64,
    mean_hours: f64,
    noise: f64,
    dist: TimeDist,
    sigma: f64,
}

/// Compiles a scenario with its own attacker profile.
pub fn compile(s: &Scenario) -> Estate {
    compile_with(s, None)
}

/// Compiles a scenario; `profile` replaces the scenario's attacker profile (its explicit
/// attacker fields still apply). The profile shapes the graph: entry vectors, impact steps,
/// avoided techniques.
pub fn compile_with(s: &Scenario, profile_override: Option<&str>) -> Estate {
    let tc = TechniqueCatalog::builtin();
    let mut tech: Vec<TechParams> = tc
        .list
        .iter()
        .map(|t| TechParams {
            p: t.p,
            mean_hours: t.mean_hours,
            noise: t.noise,
            dist: t.dist,
            sigma: t.sigma.unwrap_or(1.0),
        })
        .collect();
    for o in &s.techniques {
        if let Some(i) = tc.id(&o.id) {
            let e = &mut tech[i as usize];
            if let Some(p) = o.p {
                e.p = p;
            }
            if let Some(m) = o.mean_hours {
                e.mean_hours = m;
            }
            if let Some(n) = o.noise {
                e.noise = n;
            }
            if let Some(d) = o.dist {
                e.dist = d;
            }
            if let Some(x) = o.sigma {
                e.sigma = x;
            }
        }
    }
    let profile = Profile::from_def(&s.attacker, profile_override);
    let mut b = Builder {
        avoid: profile.avoid.clone(),
        tc,
        tech,
        nodes: Vec::new(),
        index: foldhash::HashMap::default(),
        edges: Vec::new(),
    };

    // Segments first, so that a segment's index is its NodeId; the internet is 0.
    let mut seg_defs: Vec<(String, Option<&crate::scenario::SegmentDef>)> =
        vec![("internet".into(), None)];
    for seg in &s.segments {
        if seg.id == "internet" {
            seg_defs[0].1 = Some(seg);
        } else {
            seg_defs.push((seg.id.clone(), Some(seg)));
        }
    }
    for (id, def) in &seg_defs {
        let n = b.nodes.len() as NodeId;
        b.index.insert(id.clone(), n);
        b.nodes.push(Node {
            id: id.clone(),
            name: def
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| id.clone()),
            kind: AssetKind::Segment,
            virtual_kind: None,
            segment: n,
            value: def.and_then(|d| d.value).unwrap_or(0.0),
            records: 0,
            crown_jewel: false,
            tier: 2,
            tags: def.map(|d| d.tags.clone()).unwrap_or_default(),
            mfa: MfaStrength::None,
            exposed: 0,
            edr: false,
            compliant: false,
            asset: None,
        });
    }
    let seg_count = seg_defs.len() as u32;

    for (i, a) in s.assets.iter().enumerate() {
        let n = b.nodes.len() as NodeId;
        b.index.insert(a.id.clone(), n);
        let segment = match &a.segment {
            Some(seg) => b.index.get(seg).copied().unwrap_or(0),
            None => 0,
        };
        let mut exposed = Protocol::mask_of(&a.exposed);
        if a.internet_facing.unwrap_or(default_internet_facing(a.kind)) {
            exposed |= HTTPS;
        }
        b.nodes.push(Node {
            id: a.id.clone(),
            name: a.name.clone().unwrap_or_else(|| a.id.clone()),
            kind: a.kind,
            virtual_kind: None,
            segment,
            value: a.value.unwrap_or_else(|| default_value(a)),
            records: a.records.unwrap_or(0),
            crown_jewel: a.crown_jewel,
            tier: a
                .tier
                .unwrap_or(if a.kind == AssetKind::Admin { 1 } else { 2 }),
            tags: a.tags.clone(),
            mfa: a.mfa.unwrap_or_default(),
            exposed,
            edr: a.edr.unwrap_or(false),
            compliant: a.kind.is_device()
                && a.managed.unwrap_or(a.kind != AssetKind::Byod)
                && a.compliant
                    .unwrap_or(a.managed.unwrap_or(a.kind != AssetKind::Byod)),
            asset: Some(i),
        });
    }

    // Reachability: segments reach the internet on HTTPS (egress), themselves on their
    // east-west protocols (all by default), others as declared.
    let s_us = seg_count as usize;
    let mut reach = vec![0u8; s_us * s_us];
    for (i, (_, def)) in seg_defs.iter().enumerate() {
        reach[i * s_us] |= HTTPS;
        reach[i * s_us + i] = match def.and_then(|d| d.east_west.as_ref()) {
            Some(list) => Protocol::mask_of(list),
            None => 63,
        };
    }
    for r in &s.reachability {
        let (Some(&f), Some(&t)) = (b.index.get(&r.from), b.index.get(&r.to)) else {
            continue;
        };
        let m = Protocol::mask_of(&r.protocols);
        reach[f as usize * s_us + t as usize] |= m;
        if r.bidirectional {
            reach[t as usize * s_us + f as usize] |= m;
        }
    }
    let entry = |v: EntryVector| profile.entry.contains(&v);
    // What the internet itself reaches: HTTPS always; management protocols only when the
    // attacker uses external remote services or exploits from outside.
    let internet_in = if entry(EntryVector::ExternalRemote) || entry(EntryVector::ExploitPublic) {
        63
    } else {
        HTTPS
    };
    for r in &mut reach[..s_us] {
        *r &= internet_in;
    }
    // An asset's exposure is what the internet reaches of it, by the same rule.
    for n in &mut b.nodes {
        n.exposed &= internet_in;
    }

    let asset_node = |b: &Builder, i: usize| b.index[&s.assets[i].id];
    // The scenario asset behind a node, by index (no search per relation).
    let asset_of = |b: &Builder, n: NodeId| b.nodes[n as usize].asset.map(|i| &s.assets[i]);
    let kind_of = |b: &Builder, n: NodeId| b.nodes[n as usize].kind;

    // Sessions, for phishing attachments and credential theft.
    let mut sessions: Vec<(NodeId, NodeId)> = Vec::new();
    for r in &s.relations {
        if r.kind == RelationKind::HasSession {
            sessions.push((b.index[&r.from], b.index[&r.to]));
        }
    }

    // Initial access.
    for (i, a) in s.assets.iter().enumerate() {
        let n = asset_node(&b, i);
        let trained = if a.trained.unwrap_or(false) {
            TRAINED_CLICK_FACTOR
        } else {
            1.0
        };
        if entry(EntryVector::Phishing) && a.kind.is_human() {
            b.edge(
                INTERNET,
                n,
                "T1566.002",
                bits::ACCESS,
                bits::PASSWORD,
                0,
                None,
                None,
                0,
                trained,
            );
        }
        if entry(EntryVector::ValidAccounts)
            && a.kind.is_identity()
            && a.kind != AssetKind::Group
            && a.weak_password.unwrap_or(false)
        {
            b.edge(
                INTERNET,
                n,
                "T1110.003",
                bits::ACCESS,
                bits::PASSWORD,
                0,
                Some(Credential::Password),
                None,
                flags::PEP,
                1.0,
            );
        }
        let exploitable = a.exploitable.unwrap_or(0.0);
        if exploitable > 0.0 {
            if a.kind.is_app()
                && entry(EntryVector::ExploitPublic)
                && a.internet_facing.unwrap_or(default_internet_facing(a.kind))
            {
                b.edge(
                    NO_SOURCE,
                    n,
                    "T1190",
                    0,
                    bits::ACCESS | bits::ADMIN,
                    HTTPS,
                    None,
                    None,
                    0,
                    exploitable,
                );
            } else if a.kind.is_device() || a.kind.is_infra() || a.kind.is_app() {
                let proto = if a.kind.is_app() { HTTPS } else { MGMT | HTTPS };
                b.edge(
                    NO_SOURCE,
                    n,
                    "T1210",
                    0,
                    bits::ACCESS | bits::ADMIN,
                    proto,
                    None,
                    None,
                    0,
                    exploitable,
                );
            }
        }
    }
    if entry(EntryVector::Phishing) {
        for &(dev, ident) in &sessions {
            let hk = kind_of(&b, ident);
            let dk = kind_of(&b, dev);
            if hk.is_human()
                && matches!(
                    dk,
                    AssetKind::Workstation | AssetKind::Laptop | AssetKind::Byod
                )
            {
                let trained = s.assets[b.nodes[ident as usize].asset.unwrap_or(0)]
                    .trained
                    .unwrap_or(false);
                let f = if trained { TRAINED_CLICK_FACTOR } else { 1.0 };
                b.edge(
                    INTERNET,
                    dev,
                    "T1566.001",
                    bits::ACCESS,
                    bits::ACCESS,
                    0,
                    None,
                    None,
                    0,
                    f,
                );
            }
        }
    }

    // Per-identity: sign-in at the identity provider (where MFA and the policy engine act),
    // and token replay.
    let mut domains: HashMap<String, (NodeId, NodeId)> = HashMap::new();
    for (i, a) in s.assets.iter().enumerate() {
        let n = asset_node(&b, i);
        if a.kind.is_identity() && a.kind != AssetKind::Group {
            b.edge(
                n,
                n,
                "T1078.004",
                bits::PASSWORD,
                bits::SIGNED_IN,
                0,
                Some(Credential::Password),
                None,
                flags::PEP,
                1.0,
            );
            b.edge(
                n,
                n,
                "T1550.004",
                bits::TOKEN,
                bits::SIGNED_IN,
                0,
                Some(Credential::Token),
                None,
                flags::PEP,
                1.0,
            );
        }
        if a.kind.is_identity() && a.kind != AssetKind::Group
            || a.kind == AssetKind::DomainController
        {
            let key = a.domain.clone().unwrap_or_default();
            if !domains.contains_key(&key) {
                let label = if key.is_empty() {
                    "domain".to_string()
                } else {
                    key.clone()
                };
                let d = b.add_virtual(
                    format!("@domain:{key}"),
                    format!("{label} (directory)"),
                    VirtualKind::Domain,
                );
                let du = b.add_virtual(
                    format!("@domain-users:{key}"),
                    format!("{label} (any domain user)"),
                    VirtualKind::DomainUser,
                );
                domains.insert(key.clone(), (d, du));
            }
        }
    }
    for (i, a) in s.assets.iter().enumerate() {
        let n = asset_node(&b, i);
        let key = a.domain.clone().unwrap_or_default();
        let Some(&(dom, du)) = domains.get(&key) else {
            continue;
        };
        if a.kind == AssetKind::DomainController {
            b.edge(
                n,
                dom,
                "T1003.006",
                bits::ADMIN,
                bits::HASH,
                0,
                None,
                None,
                flags::PRIVILEGED,
                1.0,
            );
        } else if a.kind.is_identity() && a.kind != AssetKind::Group {
            b.free(dom, n, bits::HASH, bits::HASH, 0, None);
            b.free(n, du, bits::PASSWORD | bits::HASH, bits::ACCESS, 0, None);
            if a.kind == AssetKind::ServiceAccount && a.weak_password.unwrap_or(false) {
                b.edge(
                    du,
                    n,
                    "T1558.003",
                    bits::ACCESS,
                    bits::PASSWORD,
                    0,
                    None,
                    None,
                    0,
                    1.0,
                );
            }
        }
    }

    // Devices: privilege escalation, and the shared local administrator password.
    let mut shared_la: Option<NodeId> = None;
    let privesc_overridden = s
        .techniques
        .iter()
        .any(|t| t.id == "T1068" && t.p.is_some());
    for (i, a) in s.assets.iter().enumerate() {
        let n = asset_node(&b, i);
        if a.kind.is_device() || a.kind == AssetKind::DomainController {
            // A scenario that sets T1068's p sets it outright; otherwise the patch lag does.
            let p = if privesc_overridden {
                1.0
            } else {
                privesc_probability(a.patch_lag_days.unwrap_or(30.0))
            };
            b.edge(
                n,
                n,
                "T1068",
                bits::ACCESS,
                bits::ADMIN,
                0,
                None,
                None,
                0,
                p,
            );
            let windows = a.os.unwrap_or(default_os(a.kind)) == Os::Windows;
            if a.kind.is_device() && windows && !a.unique_local_admin.unwrap_or(false) {
                let la = *shared_la.get_or_insert_with(|| {
                    b.add_virtual(
                        "@shared-local-admin".into(),
                        "shared local administrator password".into(),
                        VirtualKind::SharedLocalAdmin,
                    )
                });
                // The local SAM (T1003.002): Credential Guard does not protect it; LAPS
                // (a unique password) makes what it yields useless elsewhere.
                b.edge(
                    n,
                    la,
                    "T1003.002",
                    bits::ADMIN,
                    bits::HASH,
                    0,
                    Some(Credential::Hash),
                    None,
                    flags::SHARED_LOCAL_ADMIN,
                    1.0,
                );
                b.edge(
                    la,
                    n,
                    "T1550.002",
                    bits::HASH,
                    bits::ADMIN,
                    1,
                    Some(Credential::Hash),
                    Some(RelationKind::AdminTo),
                    flags::SHARED_LOCAL_ADMIN | flags::PRIVILEGED,
                    1.0,
                );
            }
        }
    }

    // Relations.
    let mut graph: StableGraph<NodeId, RelationKind> = StableGraph::new();
    let gidx: Vec<_> = (0..b.nodes.len())
        .map(|n| graph.add_node(n as NodeId))
        .collect();
    for r in &s.relations {
        let (f, t) = (b.index[&r.from], b.index[&r.to]);
        graph.add_edge(gidx[f as usize], gidx[t as usize], r.kind);
        let fk = kind_of(&b, f);
        let tk = kind_of(&b, t);
        let priv_src = fk.is_identity() && b.nodes[f as usize].tier <= 1;
        let elig = if r.eligible { flags::ELIGIBLE } else { 0 };
        let rel = Some(r.kind);
        let cloud_t = is_cloud(s, &b, t);
        match r.kind {
            RelationKind::MemberOf => b.free(f, t, bits::CRED, 0, flags::COPY, rel),
            RelationKind::HasSession => {
                let cg = asset_of(&b, f)
                    .and_then(|a| a.credential_guard)
                    .unwrap_or(false);
                b.edge(
                    f,
                    t,
                    "T1003.001",
                    bits::ADMIN,
                    bits::HASH,
                    0,
                    Some(Credential::Hash),
                    rel,
                    0,
                    if cg { 0.1 } else { 1.0 },
                );
                if tk.is_human()
                    && matches!(
                        fk,
                        AssetKind::Workstation
                            | AssetKind::Laptop
                            | AssetKind::Byod
                            | AssetKind::Mobile
                    )
                {
                    b.edge(
                        f,
                        t,
                        "T1539",
                        bits::ACCESS,
                        bits::TOKEN,
                        0,
                        Some(Credential::Token),
                        rel,
                        0,
                        1.0,
                    );
                }
            }
            RelationKind::CanRdp => b.edge(
                f,
                t,
                "T1021.001",
                bits::PASSWORD,
                bits::ACCESS,
                2,
                Some(Credential::Password),
                rel,
                elig,
                1.0,
            ),
            RelationKind::CanPsremote => b.edge(
                f,
                t,
                "T1021.006",
                bits::PASSWORD | bits::HASH,
                bits::ACCESS,
                4,
                Some(Credential::Password),
                rel,
                elig,
                1.0,
            ),
            RelationKind::CanSsh => b.edge(
                f,
                t,
                "T1021.004",
                bits::PASSWORD,
                bits::ACCESS,
                8,
                Some(Credential::Password),
                rel,
                elig,
                1.0,
            ),
            RelationKind::CanLogOn => b.edge(
                f,
                t,
                "T1078.002",
                bits::PASSWORD,
                bits::ACCESS,
                2 | 8,
                Some(Credential::Password),
                rel,
                elig,
                1.0,
            ),
            RelationKind::AdminTo => {
                let pf = flags::PRIVILEGED | elig;
                if tk.is_device() || tk == AssetKind::DomainController {
                    let windows =
                        asset_of(&b, t).and_then(|a| a.os).unwrap_or(default_os(tk)) == Os::Windows;
                    if windows {
                        b.edge(
                            f,
                            t,
                            "T1021.002",
                            bits::PASSWORD,
                            bits::ADMIN,
                            1,
                            Some(Credential::Password),
                            rel,
                            pf,
                            1.0,
                        );
                        b.edge(
                            f,
                            t,
                            "T1550.002",
                            bits::HASH,
                            bits::ADMIN,
                            1,
                            Some(Credential::Hash),
                            rel,
                            pf,
                            1.0,
                        );
                        b.edge(
                            f,
                            t,
                            "T1021.006",
                            bits::PASSWORD | bits::HASH,
                            bits::ADMIN,
                            4,
                            Some(Credential::Password),
                            rel,
                            pf,
                            1.0,
                        );
                        b.edge(
                            f,
                            t,
                            "T1021.001",
                            bits::PASSWORD,
                            bits::ADMIN,
                            2,
                            Some(Credential::Password),
                            rel,
                            pf,
                            1.0,
                        );
                    } else {
                        b.edge(
                            f,
                            t,
                            "T1021.004",
                            bits::PASSWORD,
                            bits::ADMIN,
                            8,
                            Some(Credential::Password),
                            rel,
                            pf,
                            1.0,
                        );
                    }
                } else if cloud_t {
                    b.edge(
                        f,
                        t,
                        "T1078.004",
                        bits::SIGNED_IN,
                        bits::ADMIN | bits::ACCESS,
                        HTTPS,
                        None,
                        rel,
                        pf | flags::PEP,
                        1.0,
                    );
                } else if tk.is_data() {
                    let tech = collection_technique(tk);
                    b.edge(
                        f,
                        t,
                        tech,
                        bits::PASSWORD | bits::HASH,
                        bits::ACCESS,
                        data_proto(tk),
                        Some(Credential::Password),
                        rel,
                        pf,
                        1.0,
                    );
                } else {
                    b.edge(
                        f,
                        t,
                        "T1078",
                        bits::PASSWORD | bits::HASH,
                        bits::ADMIN | bits::ACCESS,
                        HTTPS | 8,
                        Some(Credential::Password),
                        rel,
                        pf,
                        1.0,
                    );
                }
            }
            RelationKind::RoleOn => {
                let admin = r.role == Some(crate::model::AppRole::Admin);
                let grants = if admin {
                    bits::ADMIN | bits::ACCESS
                } else {
                    bits::ACCESS
                };
                let pf = if admin || priv_src {
                    flags::PRIVILEGED | elig
                } else {
                    elig
                };
                let sso = asset_of(&b, t).and_then(|a| a.sso).unwrap_or(cloud_t);
                if sso || cloud_t {
                    b.edge(
                        f,
                        t,
                        "T1078.004",
                        bits::SIGNED_IN,
                        grants,
                        HTTPS,
                        None,
                        rel,
                        pf | flags::PEP,
                        1.0,
                    );
                } else if tk == AssetKind::RemoteAccess {
                    if entry(EntryVector::ExternalRemote) {
                        // The gateway is a policy enforcement point: MFA applies there.
                        b.edge(
                            f,
                            t,
                            "T1133",
                            bits::PASSWORD,
                            grants,
                            HTTPS,
                            Some(Credential::Password),
                            rel,
                            pf | flags::PEP,
                            1.0,
                        );
                    }
                } else {
                    b.edge(
                        f,
                        t,
                        "T1078",
                        bits::PASSWORD | bits::HASH,
                        grants,
                        HTTPS,
                        Some(Credential::Password),
                        rel,
                        pf,
                        1.0,
                    );
                }
                if admin && (tk == AssetKind::Saas || tk == AssetKind::IdentityProvider) {
                    b.edge(
                        t,
                        f,
                        "T1528",
                        bits::ADMIN,
                        bits::TOKEN,
                        0,
                        Some(Credential::Token),
                        rel,
                        0,
                        1.0,
                    );
                }
            }
            RelationKind::Reads | RelationKind::Writes => {
                let tech = collection_technique(tk);
                if fk.is_app() {
                    b.edge(f, t, tech, bits::ADMIN, bits::ACCESS, 0, None, rel, 0, 1.0);
                } else if cloud_t {
                    b.edge(
                        f,
                        t,
                        tech,
                        bits::SIGNED_IN,
                        bits::ACCESS,
                        HTTPS,
                        None,
                        rel,
                        flags::PEP | if priv_src { flags::PRIVILEGED } else { 0 },
                        1.0,
                    );
                } else {
                    b.edge(
                        f,
                        t,
                        tech,
                        bits::PASSWORD | bits::HASH,
                        bits::ACCESS,
                        data_proto(tk),
                        Some(Credential::Password),
                        rel,
                        0,
                        1.0,
                    );
                }
            }
            RelationKind::HostedOn => {
                // Whoever administers the host owns what runs on it ...
                let (tech, grants) = if fk.is_data() {
                    ("T1005", bits::ACCESS)
                } else if matches!(tk, AssetKind::CloudSubscription | AssetKind::Cluster) {
                    ("T1021.007", bits::ADMIN | bits::ACCESS)
                } else {
                    ("T1078", bits::ADMIN | bits::ACCESS)
                };
                b.edge(
                    t,
                    f,
                    tech,
                    bits::ADMIN,
                    grants,
                    0,
                    None,
                    rel,
                    flags::PRIVILEGED,
                    1.0,
                );
                // ... and code running in a compromised app runs on its host.
                if fk.is_app() && tk.is_device() {
                    b.free(f, t, bits::ADMIN, bits::ACCESS, 0, rel);
                }
            }
            RelationKind::Trusts => {
                let tech = if matches!(fk, AssetKind::IdentityProvider | AssetKind::Saas) {
                    "T1606"
                } else {
                    "T1199"
                };
                b.edge(
                    t,
                    f,
                    tech,
                    bits::ADMIN,
                    bits::ADMIN | bits::ACCESS,
                    0,
                    None,
                    rel,
                    flags::PRIVILEGED,
                    1.0,
                );
            }
        }
    }
    // Adversary-in-the-middle (LLMNR/NBT-NS poisoning, NTLM relay): a foothold in a segment
    // catches the hashes of identities signing in on devices there.
    let mut aitm: Vec<(NodeId, NodeId)> = sessions
        .iter()
        .filter(|(dev, _)| b.nodes[*dev as usize].segment != INTERNET)
        .map(|&(dev, ident)| (b.nodes[dev as usize].segment, ident))
        .collect();
    aitm.sort_unstable();
    aitm.dedup();
    for (seg, ident) in aitm {
        b.edge(
            seg,
            ident,
            "T1557",
            bits::ACCESS,
            bits::HASH,
            0,
            Some(Credential::Hash),
            None,
            0,
            1.0,
        );
    }
    // An identity provider's administrators can mint tokens for every identity it serves.
    let idps: Vec<NodeId> = (0..b.nodes.len() as NodeId)
        .filter(|&n| kind_of(&b, n) == AssetKind::IdentityProvider)
        .collect();
    let idents: Vec<NodeId> = (0..b.nodes.len() as NodeId)
        .filter(|&n| {
            b.nodes[n as usize].virtual_kind.is_none()
                && kind_of(&b, n).is_identity()
                && kind_of(&b, n) != AssetKind::Group
        })
        .collect();
    for &idp in &idps {
        for &id in &idents {
            b.edge(
                idp,
                id,
                "T1098",
                bits::ADMIN,
                bits::TOKEN,
                0,
                None,
                None,
                flags::PRIVILEGED,
                1.0,
            );
        }
    }
    // Impact, for attackers that go for it: encrypt devices they administer, destroy
    // backups they can reach (data tagged `backup`).
    if profile.impact {
        for (i, a) in s.assets.iter().enumerate() {
            let n = asset_node(&b, i);
            if a.kind.is_device() || a.kind.is_infra() {
                b.edge(
                    n,
                    n,
                    "T1486",
                    bits::ADMIN,
                    bits::IMPACT,
                    0,
                    None,
                    None,
                    0,
                    1.0,
                );
            } else if a.kind.is_data() && a.tags.iter().any(|t| t == "backup") {
                b.edge(
                    n,
                    n,
                    "T1490",
                    bits::ACCESS,
                    bits::IMPACT,
                    0,
                    None,
                    None,
                    0,
                    1.0,
                );
            }
        }
    }
    // Exfiltration of data the attacker can read.
    for (i, a) in s.assets.iter().enumerate() {
        if a.kind.is_data() {
            let n = asset_node(&b, i);
            b.edge(
                n,
                n,
                "T1567",
                bits::ACCESS,
                bits::EXFIL,
                0,
                None,
                None,
                0,
                1.0,
            );
        }
    }

    // Start assets and objectives.
    let start = s
        .attacker
        .start
        .iter()
        .filter_map(|id| b.index.get(id).copied())
        .map(|n| {
            let k = kind_of(&b, n);
            let bits = if k.is_identity() {
                bits::PASSWORD | bits::SIGNED_IN
            } else {
                bits::ACCESS
            };
            (n, bits)
        })
        .collect();
    let mut objectives: Vec<NodeId> = s
        .attacker
        .objectives
        .iter()
        .filter_map(|id| b.index.get(id).copied())
        .collect();
    if objectives.is_empty() {
        objectives = (0..b.nodes.len() as NodeId)
            .filter(|&n| b.nodes[n as usize].crown_jewel)
            .collect();
    }
    let mut objective_mask = fixedbitset::FixedBitSet::with_capacity(b.nodes.len());
    for &o in &objectives {
        objective_mask.insert(o as usize);
    }
    // An insider with no named start: any ordinary user with a session on an endpoint.
    let mut insider_pool: Vec<(NodeId, Vec<NodeId>)> = Vec::new();
    if profile.insider && s.attacker.start.is_empty() {
        let mut slot: HashMap<NodeId, usize> = HashMap::new();
        for &(dev, ident) in &sessions {
            let k = kind_of(&b, ident);
            if k == AssetKind::User
                && matches!(kind_of(&b, dev), AssetKind::Workstation | AssetKind::Laptop)
            {
                match slot.get(&ident) {
                    Some(&k) => insider_pool[k].1.push(dev),
                    None => {
                        slot.insert(ident, insider_pool.len());
                        insider_pool.push((ident, vec![dev]));
                    }
                }
            }
        }
    }

    // Freeze: sort source edges by source, then attack steps grouped by what they require,
    // then FREE edges (stable, so the order within a group is the derivation order);
    // network edges apart.
    let mut edges = std::mem::take(&mut b.edges);
    edges.sort_by_key(|e| (e.src, e.has(flags::FREE), e.requires));
    let n_nodes = b.nodes.len();
    let mut out_start = vec![0u32; n_nodes + 1];
    for e in &edges {
        if e.src != NO_SOURCE {
            out_start[e.src as usize + 1] += 1;
        }
    }
    for i in 0..n_nodes {
        out_start[i + 1] += out_start[i];
    }
    let mut net_start = vec![0u32; s_us + 1];
    let mut net: Vec<(u32, u32)> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.src == NO_SOURCE)
        .map(|(i, e)| (b.nodes[e.dst as usize].segment, i as u32))
        .collect();
    net.sort();
    for (seg, _) in &net {
        net_start[*seg as usize + 1] += 1;
    }
    for i in 0..s_us {
        net_start[i + 1] += net_start[i];
    }
    let net_edges: Vec<u32> = net.into_iter().map(|(_, e)| e).collect();
    let exploit_from_internet = profile.entry.contains(&EntryVector::ExploitPublic);
    let exposed_net_edges: Vec<u32> = net_edges
        .iter()
        .copied()
        .filter(|&e| exploit_from_internet && b.nodes[edges[e as usize].dst as usize].exposed != 0)
        .collect();
    let (free_from, stream_start, streams, step_requires) = stream_index(&edges, &out_start);
    let targets = edges
        .iter()
        .map(|e| EdgeTarget {
            dst: e.dst,
            grants: e.grants,
        })
        .collect();
    Estate {
        name: s.name.clone(),
        nodes: b.nodes,
        index: b.index,
        segment_count: seg_count,
        reach,
        edges,
        out_start,
        net_start,
        net_edges,
        start,
        objectives,
        profile,
        relations: graph,
        horizon_hours: s.simulation.horizon_hours,
        manual_response_hours: s.defender.manual_response_hours,
        triage_hours: s.defender.triage_hours,
        tech_count: tc.list.len(),
        insider_pool,
        objective_mask,
        exposed_net_edges,
        exploit_from_internet,
        targets,
        free_from,
        stream_start,
        streams,
        step_requires,
    }
}

/// [`Estate::free_from`], [`Estate::stream_start`], [`Estate::streams`] and
/// [`Estate::step_requires`], from edges sorted by (source, FREE, requires).
fn stream_index(
    edges: &[AttackEdge],
    out_start: &[u32],
) -> (Vec<u32>, Vec<u32>, Vec<Stream>, Vec<u8>) {
    let n = out_start.len() - 1;
    let mut free_from = Vec::with_capacity(n);
    let mut stream_start = Vec::with_capacity(n + 1);
    let mut streams: Vec<Stream> = Vec::new();
    let mut step_requires = vec![0u8; n];
    stream_start.push(0);
    for (u, req) in step_requires.iter_mut().enumerate() {
        let mut free = out_start[u + 1];
        for e in out_start[u]..out_start[u + 1] {
            let edge = &edges[e as usize];
            if edge.has(flags::FREE) {
                free = e;
                break;
            }
            debug_assert!(!edge.has(flags::COPY), "only FREE edges copy bits");
            *req |= edge.requires;
            match streams.last_mut() {
                Some(s) if s.src == u as NodeId && s.requires == edge.requires => s.end = e + 1,
                _ => streams.push(Stream {
                    src: u as NodeId,
                    requires: edge.requires,
                    start: e,
                    end: e + 1,
                }),
            }
        }
        free_from.push(free);
        stream_start.push(streams.len() as u32);
    }
    (free_from, stream_start, streams, step_requires)
}

fn is_cloud(s: &Scenario, b: &Builder, n: NodeId) -> bool {
    let node = &b.nodes[n as usize];
    let Some(i) = node.asset else { return false };
    let a: &AssetDef = &s.assets[i];
    a.kind.cloud_hosted() && a.segment.is_none()
        || a.kind == AssetKind::Mailbox && a.segment.is_none()
}

fn collection_technique(k: AssetKind) -> &'static str {
    match k {
        AssetKind::Bucket => "T1530",
        AssetKind::Mailbox => "T1114",
        _ => "T1213",
    }
}

fn data_proto(k: AssetKind) -> u8 {
    match k {
        AssetKind::FileShare => 1,
        AssetKind::Database => 32,
        _ => HTTPS,
    }
}

pub fn default_internet_facing(k: AssetKind) -> bool {
    matches!(
        k,
        AssetKind::Saas | AssetKind::IdentityProvider | AssetKind::RemoteAccess
    )
}

pub fn default_os(k: AssetKind) -> Os {
    match k {
        AssetKind::Mobile => Os::Android,
        AssetKind::Iot => Os::Linux,
        AssetKind::Hypervisor => Os::Other,
        _ => Os::Windows,
    }
}

fn default_value(a: &AssetDef) -> f64 {
    let base = a.kind.default_value();
    if a.crown_jewel { base.max(100.0) } else { base }
}

/// A plain, serializable picture of the estate for reports, plots and exports: its assets
/// (with segment and pillar) and the scenario's relations.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EstateView {
    pub name: String,
    pub assets: Vec<AssetView>,
    pub relations: Vec<RelationView>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AssetView {
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
    pub pillar: crate::model::Pillar,
    /// The segment's id (`internet` for cloud-hosted assets).
    pub segment: String,
    pub crown_jewel: bool,
    pub value: f64,
    pub tier: u8,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RelationView {
    pub from: String,
    pub to: String,
    #[serde(rename = "type")]
    pub kind: RelationKind,
}

impl Estate {
    pub fn view(&self) -> EstateView {
        let assets = self
            .nodes
            .iter()
            .filter(|n| n.virtual_kind.is_none())
            .map(|n| AssetView {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.kind,
                pillar: n.kind.pillar(),
                segment: self.nodes[n.segment as usize].id.clone(),
                crown_jewel: n.crown_jewel,
                value: n.value,
                tier: n.tier,
            })
            .collect();
        let relations = self
            .relations
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.relations.edge_endpoints(e)?;
                Some(RelationView {
                    from: self.nodes[self.relations[a] as usize].id.clone(),
                    to: self.nodes[self.relations[b] as usize].id.clone(),
                    kind: self.relations[e],
                })
            })
            .collect();
        EstateView {
            name: self.name.clone(),
            assets,
            relations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(src: NodeId, dst: NodeId, requires: u8, fl: u8) -> AttackEdge {
        AttackEdge {
            src,
            dst,
            tech: 0,
            requires,
            grants: bits::ACCESS,
            proto: 0,
            cred: None,
            relation: None,
            flags: fl,
            p: 1.0,
            mean_hours: 1.0,
            noise: 0.0,
            dist: TimeDist::Exponential,
            sigma: 0.0,
        }
    }

    #[test]
    fn streams_group_steps_by_what_they_require_and_leave_free_edges_out() {
        let mut edges = vec![
            edge(0, 1, bits::CRED, flags::FREE | flags::COPY),
            edge(0, 2, bits::ADMIN, 0),
            edge(0, 3, bits::ACCESS, 0),
            edge(0, 4, bits::ADMIN, 0),
            edge(2, 0, bits::PASSWORD, 0),
        ];
        edges.sort_by_key(|e| (e.src, e.has(flags::FREE), e.requires));
        let out_start = vec![0, 4, 4, 5, 5, 5];
        let (free_from, stream_start, streams, step_requires) = stream_index(&edges, &out_start);
        // Node 0: one ACCESS step, two ADMIN steps (derivation order kept), then its FREE edge.
        assert_eq!(&stream_start[..], &[0, 2, 2, 3, 3, 3]);
        assert_eq!(
            (streams[0].requires, streams[0].start, streams[0].end),
            (bits::ACCESS, 0, 1)
        );
        assert_eq!(
            (streams[1].requires, streams[1].start, streams[1].end),
            (bits::ADMIN, 1, 3)
        );
        assert_eq!((edges[1].dst, edges[2].dst), (2, 4));
        assert_eq!(free_from[0], 3);
        assert!(edges[3].has(flags::FREE));
        assert_eq!(step_requires[0], bits::ACCESS | bits::ADMIN);
        // Node 2 has one step and no FREE edge; nodes 1, 3 and 4 have nothing.
        assert_eq!((streams[2].src, streams[2].start, free_from[2]), (2, 4, 5));
        assert_eq!(step_requires[1], 0);
    }
}
