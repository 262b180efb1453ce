//! World → [`Estate`]: the node table, segment reachability, the attack rules run over
//! every asset and relation, and the frozen attack graph.

use super::{
    EdgeTarget, Estate, INTERNET, NO_SOURCE, Node, NodeId, VirtualKind, bits, block_of, flags,
};
use crate::attacker::Profile;
use crate::model::{AssetKind, MfaStrength, Protocol, RelationKind};
use crate::rules::{
    self, AssetRef, Ctx, Derive, Derived, Origin, Out, REGISTRY, RelRef, Scope, Virtuals,
};
use crate::scenario::{EntryVector, Scenario};
use crate::techniques::TechniqueCatalog;
use crate::world::{
    Asset, Domain, Edr, EstateInfo, EstateWorld, Exposure, Identity, InSegment, Reachability,
    Relation, Segment, Seq, Settings, Techniques, Worth,
};
use bevy_ecs::prelude::*;
use petgraph::stable_graph::StableGraph;
use std::collections::HashMap;

const HTTPS: u8 = rules::proto::HTTPS;

/// Compiles a scenario with its own attacker profile.
pub fn compile(s: &Scenario) -> Estate {
    compile_with(s, None)
}

/// Compiles a scenario; `profile` replaces the scenario's attacker profile (its explicit
/// attacker fields still apply). The profile shapes the graph: entry vectors, impact steps,
/// avoided techniques.
pub fn compile_with(s: &Scenario, profile: Option<&str>) -> Estate {
    compile_world(&EstateWorld::from_scenario(s), profile)
}

/// Compiles the estate's World for an attacker profile (`None`: the World's own).
pub fn compile_world(w: &EstateWorld, profile: Option<&str>) -> Estate {
    let profile = w.profile(profile);
    let (mut nodes, node_of, entities, virtuals) = node_table(w, &profile);
    let position_segment = super::network::assign_positions(w, &mut nodes, &entities);
    let idps: Vec<NodeId> = (0..nodes.len() as NodeId)
        .filter(|&n| {
            nodes[n as usize].kind == AssetKind::IdentityProvider
                && nodes[n as usize].virtual_kind.is_none()
        })
        .collect();
    let cx = Ctx {
        world: &w.world,
        nodes: &nodes,
        node_of: &node_of,
        profile: &profile,
        tech: w.world.resource::<Techniques>(),
        virtuals: &virtuals,
        idps: &idps,
        entities: &entities,
    };
    let index = w.index();
    let mut derived = Derived::default();
    for &e in &index.assets {
        derive_asset(&cx, e, &mut derived);
    }
    for &e in &index.relations {
        derive_relation(&cx, e, &mut derived);
    }
    for (i, &e) in index.segments.iter().enumerate().skip(1) {
        derive_segment(&cx, e, i as u32, &mut derived);
    }
    let reach = super::network::position_reach(
        w,
        &nodes,
        &entities,
        &position_segment,
        &reach_matrix(w, &profile),
    );
    let mut est = finish(
        w,
        profile,
        (nodes, entities),
        reach,
        position_segment,
        derived,
    );
    est.node_of = node_of;
    est.virtuals = virtuals;
    est.idps = idps;
    est.knowledge = super::knowledge::build_all(&est, w);
    est
}

/// Runs every asset rule on asset `e`.
pub(crate) fn derive_asset(cx: &Ctx, e: Entity, out: &mut Derived) {
    let a = cx.asset(e);
    let seq = a.get::<Seq>().map_or(0, |s| s.0);
    for (i, rule) in REGISTRY.iter().enumerate() {
        if let (Derive::Asset(f), Scope::Asset) = (rule.derive, rule.scope) {
            let mut o = out_for(cx, out, i, rule.phase, e, seq);
            f(cx, &a, &mut o);
        }
    }
}

/// Runs every segment rule on segment `e` (not the internet), the `place`-th segment.
pub(crate) fn derive_segment(cx: &Ctx, e: Entity, place: u32, out: &mut Derived) {
    let a = cx.asset(e);
    for (i, rule) in REGISTRY.iter().enumerate() {
        if let (Derive::Asset(f), Scope::Segment) = (rule.derive, rule.scope) {
            let mut o = out_for(cx, out, i, rule.phase, e, place);
            f(cx, &a, &mut o);
        }
    }
}

/// Runs every rule for its kind on relation `e`.
pub(crate) fn derive_relation(cx: &Ctx, e: Entity, out: &mut Derived) {
    let er = cx.world.entity(e);
    let Some(rel) = er.get::<Relation>() else {
        return;
    };
    let seq = er.get::<Seq>().map_or(0, |s| s.0);
    let r = RelRef {
        rel,
        from: cx.asset(rel.from),
        to: cx.asset(rel.to),
    };
    for (i, rule) in REGISTRY.iter().enumerate() {
        if let (Derive::Relation(f), Scope::Relations(kinds)) = (rule.derive, rule.scope)
            && kinds.contains(&rel.kind)
        {
            let mut o = out_for(cx, out, i, rule.phase, e, seq);
            f(cx, &r, &mut o);
        }
    }
}

fn out_for<'a>(
    cx: &'a Ctx,
    out: &'a mut Derived,
    rule: usize,
    phase: u8,
    anchor: Entity,
    seq: u32,
) -> Out<'a> {
    // Within one anchor, edges keep the order in which its rules ran (the rule's place in
    // the registry is part of the sort key), then the order in which each rule emitted them.
    Out {
        out,
        rule: rule as u16,
        phase,
        anchor,
        seq,
        emitted: 0,
        tech: cx.tech,
        avoid: &cx.profile.avoid,
        link: cx
            .world
            .get::<Relation>(anchor)
            .map(|r| r.link)
            .unwrap_or_default(),
        world: cx.world,
        entities: cx.entities,
    }
}

type NodeTable = (Vec<Node>, Vec<NodeId>, Vec<Option<Entity>>, Virtuals);

/// Segments (the internet first), then assets in order, then the virtual nodes the rules
/// point at; and the node of each entity.
pub(crate) fn node_table(w: &EstateWorld, profile: &Profile) -> NodeTable {
    let index = w.index();
    let world = &w.world;
    let mut nodes: Vec<Node> = Vec::with_capacity(index.segments.len() + index.assets.len());
    let mut entities = Vec::with_capacity(nodes.capacity());
    let max_entity = index
        .segments
        .iter()
        .chain(&index.assets)
        .map(|e| e.index_u32() as usize + 1)
        .max()
        .unwrap_or(0);
    let mut node_of = vec![u32::MAX; max_entity];
    for &e in &index.segments {
        node_of[e.index_u32() as usize] = nodes.len() as NodeId;
        nodes.push(segment_node(world, e, nodes.len() as NodeId));
        entities.push(Some(e));
    }
    let internet_in = internet_in(profile);
    for (i, &e) in index.assets.iter().enumerate() {
        node_of[e.index_u32() as usize] = nodes.len() as NodeId;
        let seg = world
            .get::<InSegment>(e)
            .map_or(INTERNET, |s| node_of[s.0.index_u32() as usize]);
        nodes.push(asset_node(world, e, seg, i, internet_in));
        entities.push(Some(e));
    }
    let virtuals = virtual_nodes(w, &mut nodes, &node_of);
    entities.resize(nodes.len(), None);
    (nodes, node_of, entities, virtuals)
}

fn segment_node(world: &World, e: Entity, n: NodeId) -> Node {
    let a = world.get::<Asset>(e).expect("segment");
    Node {
        id: a.id.clone(),
        name: a.name.clone(),
        kind: AssetKind::Segment,
        virtual_kind: None,
        segment: n,
        net: n,
        value: world.get::<Worth>(e).map_or(0.0, |w| w.value),
        records: 0,
        crown_jewel: false,
        tier: 2,
        tags: a.tags.clone(),
        mfa: MfaStrength::None,
        exposed: 0,
        edr: false,
        compliant: false,
        asset: None,
        foothold: 0,
        decoy: 0.0,
        public: true,
    }
}

/// The bits that make holding an asset a network foothold: code on a device, a remote
/// access gateway or infrastructure; control of an application server placed in a
/// segment (a pivot); nothing on a decoy.
pub(crate) fn foothold_bits(er: &bevy_ecs::world::EntityRef, kind: AssetKind) -> u8 {
    if er.contains::<crate::world::Decoy>() {
        0
    } else if kind.gives_foothold() {
        bits::ACCESS | bits::ADMIN
    } else if matches!(kind, AssetKind::OnpremApp | AssetKind::Api) && er.contains::<InSegment>() {
        bits::ADMIN
    } else {
        0
    }
}

pub(crate) fn asset_node(
    world: &World,
    e: Entity,
    segment: NodeId,
    i: usize,
    internet_in: u8,
) -> Node {
    let er = world.entity(e);
    let a = er.get::<Asset>().expect("asset");
    let worth = er.get::<Worth>();
    let ident = er.get::<Identity>();
    let exposed = er
        .get::<Exposure>()
        .map_or(0, |x| x.exposed | if x.internet_facing { HTTPS } else { 0 });
    Node {
        id: a.id.clone(),
        name: a.name.clone(),
        kind: a.kind,
        virtual_kind: None,
        segment,
        net: segment,
        value: worth.map_or(0.0, |w| w.value),
        records: er.get::<crate::world::DataStore>().map_or(0, |d| d.records),
        crown_jewel: worth.is_some_and(|w| w.crown_jewel),
        tier: ident.map_or(if a.kind == AssetKind::Admin { 1 } else { 2 }, |i| i.tier),
        tags: a.tags.clone(),
        mfa: ident.map_or(MfaStrength::None, |i| i.mfa),
        exposed: exposed & internet_in,
        edr: er.contains::<Edr>(),
        compliant: er
            .get::<crate::world::Device>()
            .is_some_and(|d| d.compliant),
        asset: Some(i),
        foothold: foothold_bits(&er, a.kind),
        decoy: er.get::<crate::world::Decoy>().map_or(0.0, |d| d.0 as f32),
        public: er.contains::<crate::world::Public>(),
    }
}

/// What the internet itself reaches: HTTPS always; management protocols only when the
/// attacker uses external remote services or exploits from outside. An asset's exposure is
/// what the internet reaches of it, by the same rule.
pub(crate) fn internet_in(profile: &Profile) -> u8 {
    let entry = |v| profile.entry.contains(&v);
    if entry(EntryVector::ExternalRemote) || entry(EntryVector::ExploitPublic) {
        Protocol::Any.mask()
    } else {
        HTTPS
    }
}

/// A directory and an "any domain user" node per domain (in order of first appearance
/// among identities and domain controllers), then the shared local administrator password
/// if a device shares it.
fn virtual_nodes(w: &EstateWorld, nodes: &mut Vec<Node>, node_of: &[NodeId]) -> Virtuals {
    let mut v = Virtuals::default();
    let world = &w.world;
    let index = w.index();
    for &e in &index.assets {
        let k = world.get::<Asset>(e).expect("asset").kind;
        if rules::directory::has_directory_node(k, world.entity(e)) {
            let key = world
                .get::<Domain>(e)
                .map(|d| d.0.clone())
                .unwrap_or_default();
            if let std::collections::hash_map::Entry::Vacant(slot) = v.domains.entry(key) {
                let key = slot.key();
                let label = if key.is_empty() {
                    "domain"
                } else {
                    key.as_str()
                };
                let d = add_virtual(
                    nodes,
                    format!("@domain:{key}"),
                    format!("{label} (directory)"),
                    VirtualKind::Domain,
                );
                let du = add_virtual(
                    nodes,
                    format!("@domain-users:{key}"),
                    format!("{label} (any domain user)"),
                    VirtualKind::DomainUser,
                );
                slot.insert((d, du));
            }
        }
    }
    let shares = index.assets.iter().any(|&e| {
        let er = world.entity(e);
        let node = node_of[e.index_u32() as usize];
        let a = AssetRef {
            node,
            asset: er.get::<Asset>().expect("asset"),
            er,
        };
        rules::privilege::shares_local_admin(&a)
    });
    if shares {
        v.shared_local_admin = Some(add_virtual(
            nodes,
            "@shared-local-admin".into(),
            "shared local administrator password".into(),
            VirtualKind::SharedLocalAdmin,
        ));
    }
    v
}

pub(crate) fn add_virtual(
    nodes: &mut Vec<Node>,
    id: String,
    name: String,
    vk: VirtualKind,
) -> NodeId {
    let n = nodes.len() as NodeId;
    nodes.push(Node {
        id,
        name,
        kind: AssetKind::Group,
        virtual_kind: Some(vk),
        segment: 0,
        net: 0,
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
        foothold: 0,
        decoy: 0.0,
        public: true,
    });
    n
}

/// Reachability: segments reach the internet on HTTPS (egress), themselves on their
/// east-west protocols (all by default), others as declared; the internet reaches what
/// [`internet_in`] allows.
fn reach_matrix(w: &EstateWorld, profile: &Profile) -> Vec<u8> {
    let index = w.index();
    let s_us = index.segments.len();
    let mut reach = vec![0u8; s_us * s_us];
    for (i, &e) in index.segments.iter().enumerate() {
        reach[i * s_us] |= HTTPS;
        reach[i * s_us + i] = w
            .world
            .get::<Segment>(e)
            .map_or(Protocol::Any.mask(), |s| s.east_west);
    }
    let seg_no = |id: &str| index.segments.iter().position(|&e| w.asset(e).id == id);
    for r in &w.world.resource::<Reachability>().0 {
        let (Some(f), Some(t)) = (seg_no(&r.from), seg_no(&r.to)) else {
            continue;
        };
        let m = Protocol::mask_of(&r.protocols);
        reach[f * s_us + t] |= m;
        if r.bidirectional {
            reach[t * s_us + f] |= m;
        }
    }
    let internet_in = internet_in(profile);
    for r in &mut reach[..s_us] {
        *r &= internet_in;
    }
    reach
}

/// The canonical place of an edge (see [`crate::rules`]): by source, FREE last, then what
/// it requires, then where it was derived.
pub(crate) fn place_key(e: &super::AttackEdge, o: &Origin) -> (u32, bool, u8, u64) {
    (e.src, e.has(flags::FREE), e.requires, o.order)
}

/// Sorts the derived edges and their origins into their canonical order, in place: the
/// sort runs on packed 16-byte keys and the permutation is applied by following its cycles,
/// so a million-asset estate's edges are never held twice.
fn sort_derived(d: &mut Derived) {
    let n = d.edges.len();
    assert!(
        n < 1 << 29,
        "more attack edges than the packed sort key holds"
    );
    // (source 32 | FREE 1 | requires 8 | order 58) leaves the low 29 bits for the index.
    let mut keys: Vec<u128> = d
        .edges
        .iter()
        .zip(&d.origins)
        .enumerate()
        .map(|(i, (e, o))| {
            let (src, free, req, order) = place_key(e, o);
            (src as u128) << 96
                | (free as u128) << 95
                | (req as u128) << 87
                | (order as u128) << 29
                | i as u128
        })
        .collect();
    keys.sort_unstable();
    let perm: Vec<u32> = keys.iter().map(|k| (k & ((1 << 29) - 1)) as u32).collect();
    drop(keys);
    apply_permutation(&perm, &mut d.edges, &mut d.origins);
}

/// Reorders `a` and `b` so that position i holds what was at `perm[i]`, in place.
fn apply_permutation<A: Copy, B: Copy>(perm: &[u32], a: &mut [A], b: &mut [B]) {
    let mut done = fixedbitset::FixedBitSet::with_capacity(perm.len());
    for start in 0..perm.len() {
        if done.contains(start) {
            continue;
        }
        let (ta, tb) = (a[start], b[start]);
        let mut j = start;
        loop {
            done.insert(j);
            let k = perm[j] as usize;
            if k == start {
                a[j] = ta;
                b[j] = tb;
                break;
            }
            a[j] = a[k];
            b[j] = b[k];
            j = k;
        }
    }
}

/// Freezes the derived edges and adds start, objectives and the relation graph.
fn finish(
    w: &EstateWorld,
    profile: Profile,
    (nodes, entities): (Vec<Node>, Vec<Option<Entity>>),
    reach: Vec<u8>,
    position_segment: Vec<u32>,
    mut derived: Derived,
) -> Estate {
    sort_derived(&mut derived);
    let Derived { edges, origins } = derived;
    let anchors = super::incremental::AnchorIndex::new(&origins);
    let dead = fixedbitset::FixedBitSet::with_capacity(edges.len());
    let index = w.index();
    let by_entity: HashMap<Entity, NodeId> = entities
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.map(|e| (e, i as NodeId)))
        .collect();
    let settings = w.world.resource::<Settings>();
    let id_node: foldhash::HashMap<String, NodeId> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i as NodeId))
        .collect();
    let relation_ends: foldhash::HashMap<Entity, (NodeId, NodeId, RelationKind)> = index
        .relations
        .iter()
        .filter_map(|&e| w.world.get::<Relation>(e).map(|r| (e, r)))
        .map(|(e, r)| (e, (by_entity[&r.from], by_entity[&r.to], r.kind)))
        .collect();
    let relations: Vec<(NodeId, NodeId, RelationKind)> = index
        .relations
        .iter()
        .filter_map(|e| relation_ends.get(e).copied())
        .collect();
    let mut est = Estate {
        name: w.world.resource::<EstateInfo>().name.clone(),
        segment_count: index.segments.len() as u32,
        positions: position_segment.len() as u32,
        position_segment,
        reach,
        start: Vec::new(),
        objectives: Vec::new(),
        relations: relation_graph(nodes.len(), &relations),
        horizon_hours: settings.simulation.horizon_hours,
        manual_response_hours: settings.defender.manual_response_hours,
        triage_hours: settings.defender.triage_hours,
        eviction: super::Eviction::of(&settings.defender),
        tech_count: TechniqueCatalog::builtin().list.len(),
        insider_pool: Vec::new(),
        objective_mask: fixedbitset::FixedBitSet::new(),
        nodes,
        index: id_node,
        profile,
        edges,
        anchors,
        dead,
        origins,
        entities,
        node_of: Vec::new(),
        virtuals: Virtuals::default(),
        idps: Vec::new(),
        blocks: Vec::new(),
        net_start: Vec::new(),
        net_edges: Vec::new(),
        exposed_net_edges: Vec::new(),
        exploit_from_internet: false,
        streams: Vec::new(),
        targets: Vec::new(),
        knowledge: Default::default(),
        tech_cost: Vec::new(),
        relation_ends,
    };
    set_attacker(&mut est, &settings.attacker, &relations);
    freeze(&mut est);
    est.tech_cost = w
        .world
        .resource::<Techniques>()
        .params
        .iter()
        .map(|t| t.cost.unwrap_or(est.profile.step_cost) as f32)
        .collect();
    est
}

fn relation_graph(
    n: usize,
    relations: &[(NodeId, NodeId, RelationKind)],
) -> StableGraph<NodeId, RelationKind> {
    let mut graph = StableGraph::new();
    let gidx: Vec<_> = (0..n).map(|i| graph.add_node(i as NodeId)).collect();
    for &(f, t, k) in relations {
        graph.add_edge(gidx[f as usize], gidx[t as usize], k);
    }
    graph
}

/// Start assets, objectives (the crown jewels unless named) and the insider pool.
pub(crate) fn set_attacker(
    est: &mut Estate,
    def: &crate::scenario::AttackerDef,
    relations: &[(NodeId, NodeId, RelationKind)],
) {
    est.start = def
        .start
        .iter()
        .filter_map(|id| est.index.get(id).copied())
        .map(|n| {
            let b = if est.nodes[n as usize].kind.is_identity() {
                bits::PASSWORD | bits::SIGNED_IN
            } else {
                bits::ACCESS
            };
            (n, b)
        })
        .collect();
    est.objectives = def
        .objectives
        .iter()
        .filter_map(|id| est.index.get(id).copied())
        .collect();
    if est.objectives.is_empty() {
        est.objectives = (0..est.nodes.len() as NodeId)
            .filter(|&n| est.nodes[n as usize].crown_jewel)
            .collect();
    }
    est.objective_mask = fixedbitset::FixedBitSet::with_capacity(est.nodes.len());
    for &o in &est.objectives {
        est.objective_mask.insert(o as usize);
    }
    // An insider with no named start: any ordinary user with a session on an endpoint.
    est.insider_pool.clear();
    if est.profile.insider && def.start.is_empty() {
        let mut slot: HashMap<NodeId, usize> = HashMap::new();
        for &(dev, ident, k) in relations {
            let kind = |n: NodeId| est.nodes[n as usize].kind;
            if k == RelationKind::HasSession
                && kind(ident) == AssetKind::User
                && matches!(kind(dev), AssetKind::Workstation | AssetKind::Laptop)
            {
                match slot.get(&ident) {
                    Some(&k) => est.insider_pool[k].1.push(dev),
                    None => {
                        slot.insert(ident, est.insider_pool.len());
                        est.insider_pool.push((ident, vec![dev]));
                    }
                }
            }
        }
    }
}

/// Freeze: source edges by source (attack steps grouped by what they require, then FREE
/// edges), network edges apart and indexed by their target's segment.
pub(crate) fn freeze(est: &mut Estate) {
    let n_nodes = est.nodes.len();
    let mut count = vec![0u32; n_nodes + 1];
    for e in &est.edges {
        if e.src != NO_SOURCE {
            count[e.src as usize + 1] += 1;
        }
    }
    for i in 0..n_nodes {
        count[i + 1] += count[i];
    }
    est.streams = Vec::new();
    est.blocks = (0..n_nodes)
        .map(|u| {
            block_of(
                &est.edges,
                u as NodeId,
                count[u],
                count[u + 1],
                &mut est.streams,
            )
        })
        .collect();
    let network: Vec<u32> = (0..est.edges.len() as u32)
        .filter(|&e| est.edges[e as usize].src == NO_SOURCE)
        .collect();
    index_network(est, network);
    est.targets = est
        .edges
        .iter()
        .map(|e| EdgeTarget {
            dst: e.dst,
            grants: e.grants,
        })
        .collect();
}

/// Groups the network edges (no source) by the segment of the node they must reach
/// ([`super::AttackEdge::at`]), and lists those whose such node the internet reaches when the attacker exploits from outside.
pub(crate) fn index_network(est: &mut Estate, network: Vec<u32>) {
    let s_us = est.positions as usize;
    let mut net: Vec<(u32, u32)> = network
        .into_iter()
        .map(|e| (est.nodes[est.edges[e as usize].at as usize].net, e))
        .collect();
    net.sort_unstable();
    let mut net_start = vec![0u32; s_us + 1];
    for (seg, _) in &net {
        net_start[*seg as usize + 1] += 1;
    }
    for i in 0..s_us {
        net_start[i + 1] += net_start[i];
    }
    est.net_start = net_start;
    est.net_edges = net.into_iter().map(|(_, e)| e).collect();
    est.exploit_from_internet = est.profile.entry.contains(&EntryVector::ExploitPublic);
    est.exposed_net_edges = if est.exploit_from_internet {
        est.net_edges
            .iter()
            .copied()
            .filter(|&e| est.nodes[est.edges[e as usize].at as usize].exposed != 0)
            .collect()
    } else {
        Vec::new()
    };
}
