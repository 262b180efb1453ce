//! Incremental recompile: after an edit to the World ([`crate::world::edit`]), re-derive
//! only the edges of the entities it touched.
//!
//! Every edge records its anchor (the asset or relation it was derived from), and
//! [`AnchorIndex`] finds each anchor's edges. An edit marks anchors dirty: the assets and
//! relations it added, removed or changed, the relations of a changed asset, and the
//! neighbours an asset rule reads through [`crate::rules::LINKED_READS`]. Their old edges
//! die; their rules run again. A re-derived edge that sorts where a dead one was (the same
//! rule, anchor and place: an attribute changed, not the shape) is written over it. Any
//! other new edge goes to its source's *extension*, after the arrays' end, with streams of
//! its own; dead edges left in a block have probability 0 and are never tried. So a hub's
//! block (the internet's phishing fan-out, a domain's members) is never copied, node ids
//! and the indices of live edges never change, and a trial under way (the tabletop) goes on.
//!
//! Invariant (tested): the estate after any edit has the same live edges as a fresh compile
//! of the edited World. Their order within a node may differ, so a trial on an edited estate
//! is equal in distribution, not draw for draw, to one on a fresh compile.

use super::compile::{add_virtual, asset_node, index_network, internet_in, set_attacker};
use super::{AttackEdge, Estate, NO_SOURCE, NodeId, VirtualKind, block_of, flags};
use crate::model::RelationKind;
use crate::rules::{Ctx, Origin};
use crate::world::edit::Touched;
use crate::world::{Asset, Domain, EstateWorld, Links, Relation, Techniques};
use bevy_ecs::prelude::*;

/// Finds the edges each anchor entity produced: a compact table from the full compile,
/// the edges incremental recompiles added since, and where moved edges went.
#[derive(Clone, Debug, Default)]
pub struct AnchorIndex {
    start: Vec<u32>,
    list: Vec<u32>,
    added: foldhash::HashMap<u32, Vec<u32>>,
    /// Per edge, where it moved to (`u32::MAX`: it did not).
    forward: Vec<u32>,
}

impl AnchorIndex {
    /// The index of a freshly compiled estate.
    pub fn new(origins: &[Origin]) -> AnchorIndex {
        let m = origins
            .iter()
            .map(|o| o.anchor.index_u32() as usize + 1)
            .max()
            .unwrap_or(0);
        let mut start = vec![0u32; m + 1];
        for o in origins {
            start[o.anchor.index_u32() as usize + 1] += 1;
        }
        for i in 0..m {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; origins.len()];
        for (e, o) in origins.iter().enumerate() {
            let a = o.anchor.index_u32() as usize;
            list[fill[a] as usize] = e as u32;
            fill[a] += 1;
        }
        AnchorIndex {
            start,
            list,
            added: Default::default(),
            forward: Vec::new(),
        }
    }

    /// Anchor `a`'s live edges in `est`.
    pub fn edges(&self, est: &Estate, a: Entity) -> Vec<u32> {
        let i = a.index_u32() as usize;
        let base = if i + 1 < self.start.len() {
            &self.list[self.start[i] as usize..self.start[i + 1] as usize]
        } else {
            &[]
        };
        let added = self.added.get(&a.index_u32()).map_or(&[][..], |v| v);
        let mut out: Vec<u32> = base
            .iter()
            .chain(added)
            .map(|&e| self.follow(e))
            .filter(|&e| !est.dead.contains(e as usize) && est.origins[e as usize].anchor == a)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn follow(&self, mut e: u32) -> u32 {
        while let Some(&f) = self.forward.get(e as usize).filter(|&&f| f != u32::MAX) {
            e = f;
        }
        e
    }

    fn moved(&mut self, from: u32, to: u32) {
        if self.forward.len() <= from as usize {
            self.forward.resize(from as usize + 1, u32::MAX);
        }
        self.forward[from as usize] = to;
    }
}

/// Re-derives the edges of what `t` touched in `w`, in place. An edit that changes what
/// every identity depends on (an identity provider) recompiles everything.
pub fn recompile(est: &mut Estate, w: &EstateWorld, t: &Touched) {
    if t.everything {
        *est = super::compile_world(w, Some(&est.profile.name));
        return;
    }
    remove_relations(est, t);
    let exposure_changed = update_nodes(est, w, t);
    let (assets, relations) = dirty_anchors(w, t);
    // Kill the old edges of every dirty or removed anchor, remembering their slots.
    let mut killed: foldhash::HashMap<NodeId, Vec<u32>> = Default::default();
    let mut network_changed = exposure_changed;
    for &a in assets.iter().chain(&relations).chain(&t.removed) {
        for e in est.anchors.edges(est, a) {
            let src = est.edges[e as usize].src;
            kill(est, e);
            network_changed |= src == NO_SOURCE;
            killed.entry(src).or_default().push(e);
        }
    }
    let derived = derive(est, w, &assets, &relations);
    let mut by_src: foldhash::HashMap<NodeId, Vec<(AttackEdge, Origin)>> = Default::default();
    for (e, o) in derived {
        network_changed |= e.src == NO_SOURCE;
        by_src.entry(e.src).or_default().push((e, o));
    }
    let mut sources: Vec<NodeId> = by_src.keys().copied().collect();
    sources.sort_unstable();
    let touched_sources: Vec<NodeId> = sources.iter().chain(killed.keys()).copied().collect();
    let mut new_network = Vec::new();
    for u in sources {
        let new = by_src.remove(&u).unwrap_or_default();
        let slots = killed.remove(&u).unwrap_or_default();
        let rest = overwrite_matching(est, slots, new);
        if u == NO_SOURCE {
            let first = est.edges.len() as u32;
            push_edges(est, rest);
            new_network.extend(first..est.edges.len() as u32);
        } else if !rest.is_empty() {
            extend(est, u, rest);
        }
    }
    est.dead.grow(est.edges.len());
    if network_changed {
        let network: Vec<u32> = est
            .net_edges
            .iter()
            .copied()
            .chain(new_network)
            .filter(|&e| !est.dead.contains(e as usize))
            .collect();
        index_network(est, network);
    }
    add_relations(est, w, t);
    let relations: Vec<(NodeId, NodeId, RelationKind)> = if est.profile.insider {
        est.relations
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = est.relations.edge_endpoints(e)?;
                Some((est.relations[a], est.relations[b], est.relations[e]))
            })
            .collect()
    } else {
        Vec::new()
    };
    let settings = w.world.resource::<crate::world::Settings>();
    set_attacker(est, &settings.attacker, &relations);
    let nodes_changed = !t.assets.is_empty() || !t.removed.is_empty() || !t.changed.is_empty();
    super::knowledge::refresh(est, w, nodes_changed, &touched_sources);
}

/// The sort key that places an edge among its source's (see [`crate::rules`]).
fn place(e: &AttackEdge, o: &Origin) -> (bool, u8, u64) {
    (e.has(flags::FREE), e.requires, o.order)
}

/// Writes each new edge over the dead slot that held the same edge before (same rule,
/// anchor and place), and returns the new edges that have no such slot.
fn overwrite_matching(
    est: &mut Estate,
    slots: Vec<u32>,
    new: Vec<(AttackEdge, Origin)>,
) -> Vec<(AttackEdge, Origin)> {
    let at: foldhash::HashMap<_, u32> = slots
        .into_iter()
        .map(|i| (place(&est.edges[i as usize], &est.origins[i as usize]), i))
        .collect();
    let mut rest = Vec::new();
    for (e, o) in new {
        match at.get(&place(&e, &o)) {
            Some(&i) => write_edge(est, i, e, o),
            None => rest.push((e, o)),
        }
    }
    rest
}

/// Adds `new` edges to node `u`'s extension: its old extension and the new edges are
/// written after the arrays' end (attack steps by what they require, then FREE edges), with
/// new streams; the old extension's slots die and their edges are forwarded.
fn extend(est: &mut Estate, u: NodeId, new: Vec<(AttackEdge, Origin)>) {
    let b = est.blocks[u as usize];
    let mut list: Vec<(AttackEdge, Origin)> = Vec::new();
    let mut old_slots = Vec::new();
    for i in b.ext_start..b.ext_end {
        if !est.dead.contains(i as usize) {
            list.push((est.edges[i as usize], est.origins[i as usize]));
            old_slots.push(Some(i));
        }
        kill(est, i);
    }
    old_slots.resize(list.len() + new.len(), None);
    list.extend(new);
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.sort_by_key(|&k| place(&list[k].0, &list[k].1));
    let start = est.edges.len() as u32;
    for &k in &order {
        let j = est.edges.len() as u32;
        if let Some(old) = old_slots[k] {
            est.anchors.moved(old, j);
        }
        let (e, o) = list[k];
        push_edges(est, vec![(e, o)]);
    }
    let end = est.edges.len() as u32;
    let streams_start = est.streams.len() as u32;
    let x = block_of(&est.edges, u, start, end, &mut est.streams);
    let blk = &mut est.blocks[u as usize];
    blk.ext_start = start;
    blk.ext_free = x.free;
    blk.ext_end = end;
    blk.ext_streams = streams_start;
    blk.ext_streams_end = x.streams_end;
    blk.requires |= x.requires;
}

fn write_edge(est: &mut Estate, i: u32, e: AttackEdge, o: Origin) {
    let i = i as usize;
    est.targets[i] = super::EdgeTarget {
        dst: e.dst,
        grants: e.grants,
    };
    est.edges[i] = e;
    est.origins[i] = o;
    est.dead.set(i, false);
}

fn push_edges(est: &mut Estate, list: Vec<(AttackEdge, Origin)>) {
    for (e, o) in list {
        let i = est.edges.len() as u32;
        est.anchors
            .added
            .entry(o.anchor.index_u32())
            .or_default()
            .push(i);
        est.targets.push(super::EdgeTarget {
            dst: e.dst,
            grants: e.grants,
        });
        est.edges.push(e);
        est.origins.push(o);
    }
}

/// Marks edge `e` dead: in no block, never tried.
fn kill(est: &mut Estate, e: u32) {
    est.dead.grow(est.edges.len());
    est.dead.insert(e as usize);
    let edge = &mut est.edges[e as usize];
    edge.p = 0.0;
    edge.flags |= flags::DEAD;
}

/// Nodes for added assets (appended), changed assets (rewritten in place) and removed ones
/// (tombstones), and any virtual node the edit makes necessary.
fn update_nodes(est: &mut Estate, w: &EstateWorld, t: &Touched) -> bool {
    let mut exposure_changed = false;
    for &e in &t.removed {
        let i = e.index_u32() as usize;
        if let Some(&n) = est.node_of.get(i).filter(|&&n| n != u32::MAX) {
            let node = &mut est.nodes[n as usize];
            est.index.remove(&node.id);
            node.virtual_kind = Some(VirtualKind::Removed);
            node.crown_jewel = false;
            est.entities[n as usize] = None;
            est.node_of[i] = u32::MAX;
        }
    }
    let internet_in = internet_in(&est.profile);
    for &e in &t.changed {
        let Some(a) = w.world.get::<Asset>(e) else {
            continue;
        };
        let i = e.index_u32() as usize;
        if est.node_of.len() <= i {
            est.node_of.resize(i + 1, u32::MAX);
        }
        let seg = w
            .world
            .get::<crate::world::InSegment>(e)
            .map_or(super::INTERNET, |s| est.node_of[s.0.index_u32() as usize]);
        let n = match est.node_of[i] {
            u32::MAX => {
                let n = est.nodes.len() as NodeId;
                let pos = w.index().assets.iter().position(|&x| x == e).unwrap_or(0);
                est.nodes
                    .push(asset_node(&w.world, e, seg, pos, internet_in));
                est.entities.push(Some(e));
                est.blocks.push(Default::default());
                est.node_of[i] = n;
                est.relations.add_node(n);
                n
            }
            n => {
                let pos = est.nodes[n as usize].asset.unwrap_or(0);
                let node = asset_node(&w.world, e, seg, pos, internet_in);
                exposure_changed |= node.exposed != est.nodes[n as usize].exposed
                    || node.segment != est.nodes[n as usize].segment;
                est.nodes[n as usize] = node;
                n
            }
        };
        est.index.insert(a.id.clone(), n);
        add_needed_virtuals(est, w, e);
    }
    exposure_changed
}

/// A new domain's directory and domain-users nodes, and the shared local administrator
/// password's node once a device shares it.
fn add_needed_virtuals(est: &mut Estate, w: &EstateWorld, e: Entity) {
    let er = w.world.entity(e);
    let k = er.get::<Asset>().expect("asset").kind;
    if crate::rules::directory::has_directory_node(k, er) {
        let key = er.get::<Domain>().map(|d| d.0.clone()).unwrap_or_default();
        if !est.virtuals.domains.contains_key(&key) {
            let label = if key.is_empty() {
                "domain".to_string()
            } else {
                key.clone()
            };
            let d = push_virtual(
                est,
                format!("@domain:{key}"),
                format!("{label} (directory)"),
                VirtualKind::Domain,
            );
            let du = push_virtual(
                est,
                format!("@domain-users:{key}"),
                format!("{label} (any domain user)"),
                VirtualKind::DomainUser,
            );
            est.virtuals.domains.insert(key, (d, du));
        }
    }
    let a = crate::rules::AssetRef {
        node: est.node_of[e.index_u32() as usize],
        asset: er.get::<Asset>().expect("asset"),
        er,
    };
    if est.virtuals.shared_local_admin.is_none() && crate::rules::privilege::shares_local_admin(&a)
    {
        est.virtuals.shared_local_admin = Some(push_virtual(
            est,
            "@shared-local-admin".into(),
            "shared local administrator password".into(),
            VirtualKind::SharedLocalAdmin,
        ));
    }
}

fn push_virtual(est: &mut Estate, id: String, name: String, vk: VirtualKind) -> NodeId {
    let n = add_virtual(&mut est.nodes, id.clone(), name, vk);
    est.index.insert(id, n);
    est.entities.push(None);
    est.blocks.push(Default::default());
    est.relations.add_node(n);
    n
}

/// The anchors whose rules run again: touched assets and the neighbours of changed ones;
/// added relations and the relations of changed assets.
fn dirty_anchors(w: &EstateWorld, t: &Touched) -> (Vec<Entity>, Vec<Entity>) {
    let exists = |e: &Entity| w.world.get::<Asset>(*e).is_some();
    let linked = t
        .linked
        .iter()
        .filter(|(k, _, _)| crate::rules::LINKED_READS.contains(k))
        .flat_map(|&(_, a, b)| [a, b]);
    let mut assets: Vec<Entity> = t
        .assets
        .iter()
        .copied()
        .chain(linked)
        .filter(exists)
        .collect();
    let mut relations: Vec<Entity> = t.relations.clone();
    for &c in &t.changed {
        let Some(l) = w.world.get::<Links>(c) else {
            continue;
        };
        for &r in l.out.iter().chain(&l.incoming) {
            relations.push(r);
            if let Some(rel) = w.world.get::<Relation>(r)
                && crate::rules::LINKED_READS.contains(&rel.kind)
            {
                assets.extend([rel.from, rel.to]);
            }
        }
    }
    assets.sort_unstable();
    assets.dedup();
    relations.retain(|r| w.world.get::<Relation>(*r).is_some());
    relations.sort_unstable();
    relations.dedup();
    (assets, relations)
}

/// Runs the rules of the dirty anchors.
fn derive(
    est: &Estate,
    w: &EstateWorld,
    assets: &[Entity],
    relations: &[Entity],
) -> Vec<(AttackEdge, Origin)> {
    let cx = Ctx {
        world: &w.world,
        nodes: &est.nodes,
        node_of: &est.node_of,
        profile: &est.profile,
        tech: w.world.resource::<Techniques>(),
        virtuals: &est.virtuals,
        idps: &est.idps,
        entities: &est.entities,
    };
    let mut out = crate::rules::Derived::default();
    for &a in assets {
        super::compile::derive_asset(&cx, a, &mut out);
    }
    for &r in relations {
        super::compile::derive_relation(&cx, r, &mut out);
    }
    out.edges.into_iter().zip(out.origins).collect()
}

/// The relation graph loses the relations the edit removed (before their ends' nodes can
/// become tombstones).
fn remove_relations(est: &mut Estate, t: &Touched) {
    for e in &t.removed {
        est.relation_ends.remove(e);
    }
    for r in &t.removed_relations {
        let node = |e: Entity| est.node_of.get(e.index_u32() as usize).copied();
        let (Some(a), Some(b)) = (node(r.from), node(r.to)) else {
            continue;
        };
        let found = est
            .relations
            .edges_connecting(a.into(), b.into())
            .find(|x| *x.weight() == r.kind)
            .map(|x| petgraph::visit::EdgeRef::id(&x));
        if let Some(id) = found {
            est.relations.remove_edge(id);
        }
    }
}

/// The relation graph gains the relations the edit added.
fn add_relations(est: &mut Estate, w: &EstateWorld, t: &Touched) {
    for &r in &t.relations {
        if let Some(rel) = w.world.get::<Relation>(r) {
            let node = |e: Entity| est.node_of[e.index_u32() as usize];
            let (a, b) = (node(rel.from), node(rel.to));
            est.relations.add_edge(a.into(), b.into(), rel.kind);
            est.relation_ends.insert(r, (a, b, rel.kind));
        }
    }
}

/// What edge `e` of `est` says, by asset ids rather than node numbers (ends, technique,
/// bits, protocols, flags, probability, rule): equal for the same edge in two compiles.
pub fn edge_key(est: &Estate, e: usize) -> String {
    let x = &est.edges[e];
    let id = |n: NodeId| {
        if n == NO_SOURCE {
            "*".to_string()
        } else {
            est.node(n).id.clone()
        }
    };
    format!(
        "{}>{} t{} r{} g{} p{} f{} {:.6} rule{}",
        id(x.src),
        id(x.dst),
        x.tech,
        x.requires,
        x.grants,
        x.proto,
        x.flags,
        x.p,
        est.origins[e].rule()
    )
}

/// Whether two estates have, node by node, the same live edges (compared by what they
/// say, not where they are): the invariant of incremental recompiles.
pub fn same_edges(a: &Estate, b: &Estate) -> Result<(), String> {
    let key = edge_key;
    let all = |est: &Estate| {
        let mut v: Vec<String> = (0..est.edges.len())
            .filter(|&e| !est.dead.contains(e))
            .map(|e| key(est, e))
            .collect();
        v.sort();
        v
    };
    let (x, y) = (all(a), all(b));
    if x == y {
        Ok(())
    } else {
        let only_a: Vec<_> = x.iter().filter(|k| !y.contains(k)).take(5).collect();
        let only_b: Vec<_> = y.iter().filter(|k| !x.contains(k)).take(5).collect();
        Err(format!(
            "only incremental: {only_a:?}\nonly full: {only_b:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::scenario::{Scenario, apply_patch_str, load_scenario_str};

    #[allow(clippy::disallowed_methods)] // a test reads its fixture
    fn load(path: &str) -> Scenario {
        let text = std::fs::read_to_string(path).expect("reads");
        load_scenario_str(&text, path, &Limits::default())
            .expect("loads")
            .scenario
    }

    /// Applies `patch` incrementally to a compiled `s` and compares with a fresh compile.
    fn check(s: &Scenario, patch: &str, profile: Option<&str>) -> Estate {
        let mut w = EstateWorld::from_scenario(s);
        let mut est = crate::estate::compile_world(&w, profile);
        let patched = apply_patch_str(s, patch, "p.yaml", &Limits::default()).expect("applies");
        let p: crate::scenario::Patch = serde_saphyr::from_str(patch).expect("parses");
        let t = w.apply_patch(&p, &patched);
        recompile(&mut est, &w, &t);
        let full = crate::estate::compile_world(&EstateWorld::from_scenario(&patched), profile);
        same_edges(&est, &full).unwrap_or_else(|e| panic!("{patch}\n{e}"));
        let live = |e: &Estate| {
            let mut v: Vec<String> = e
                .nodes
                .iter()
                .filter(|n| n.virtual_kind != Some(VirtualKind::Removed))
                .map(|n| format!("{} {} {}", n.id, e.node(n.segment).id, n.exposed))
                .collect();
            v.sort();
            v
        };
        assert_eq!(live(&est), live(&full), "{patch}");
        let objectives = |e: &Estate| {
            let mut v: Vec<String> = e.objectives.iter().map(|&o| e.node(o).id.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(objectives(&est), objectives(&full));
        est
    }

    const PATCHES: &[&str] = &[
        "remove_relations:\n- {type: admin_to, from: grp-helpdesk, to: ws-it-01}\n",
        "remove_assets: [ws-it-01]\n",
        "modify_assets:\n- {id: ws-it-01, segment: servers, os: linux, credential_guard: true}\n",
        "modify_assets:\n- {id: hd-priya, weak_password: true, tier: 0}\n",
        "add_assets:\n- {id: ws-new, kind: workstation, segment: office, exploitable: 0.4}\n- {id: u-new, kind: user, domain: other.local}\nadd_relations:\n- {type: has_session, from: ws-new, to: u-new}\n- {type: admin_to, from: u-new, to: ws-it-01}\n",
        "add_assets:\n- {id: app-x, kind: onprem_app, internet_facing: true, exploitable: 0.5, segment: dmz}\n",
        "remove_assets: [u-cfo, srv-sql-01]\nadd_relations:\n- {type: member_of, from: u-ceo, to: grp-helpdesk}\n",
    ];

    #[test]
    fn every_edit_gives_the_edges_of_a_fresh_compile() {
        let s = load("scenarios/hybrid-cloud.yaml");
        for p in PATCHES {
            check(&s, p, None);
            check(&s, p, Some("ransomware"));
        }
    }

    #[test]
    fn edits_pile_up_and_untouched_edges_keep_their_index() {
        let s = load("scenarios/hybrid-cloud.yaml");
        let mut w = EstateWorld::from_scenario(&s);
        let mut est = crate::estate::compile_world(&w, None);
        let before = est.edges.clone();
        let mut cur = s.clone();
        // Removing ws-it-01 comes last: the other edits name it.
        for p in [0, 2, 3, 4, 5, 6, 1].map(|i| PATCHES[i]) {
            cur = apply_patch_str(&cur, p, "p.yaml", &Limits::default()).expect("applies");
            let patch: crate::scenario::Patch = serde_saphyr::from_str(p).expect("parses");
            let t = w.apply_patch(&patch, &cur);
            recompile(&mut est, &w, &t);
        }
        let full = crate::estate::compile_world(&EstateWorld::from_scenario(&cur), None);
        same_edges(&est, &full).expect("same edges after seven edits");
        // An edge never moves: every old index still live holds the edge it held.
        for (e, old) in before.iter().enumerate() {
            if !est.dead.contains(e) {
                let new = &est.edges[e];
                assert_eq!(
                    (new.src, new.dst, new.tech, new.requires),
                    (old.src, old.dst, old.tech, old.requires)
                );
            }
        }
        assert!(est.dead.count_ones(..) > 0 && est.live_edge_count() == full.edges.len());
    }

    #[test]
    fn an_attribute_change_rewrites_its_edges_where_they_were() {
        let s = load("scenarios/hybrid-cloud.yaml");
        let mut w = EstateWorld::from_scenario(&s);
        let mut est = crate::estate::compile_world(&w, None);
        let n = est.edges.len();
        let mut cur = s.clone();
        for p in [
            "modify_assets:\n- {id: ws-it-01, edr: true, patch_lag_days: 90}\n",
            "modify_assets:\n- {id: hd-priya, mfa: phishing_resistant}\n",
        ] {
            cur = apply_patch_str(&cur, p, "p.yaml", &Limits::default()).expect("applies");
            let patch: crate::scenario::Patch = serde_saphyr::from_str(p).expect("parses");
            let t = w.apply_patch(&patch, &cur);
            recompile(&mut est, &w, &t);
            let full = crate::estate::compile_world(&EstateWorld::from_scenario(&cur), None);
            same_edges(&est, &full).expect("same edges");
        }
        assert_eq!((est.edges.len(), est.dead.count_ones(..)), (n, 0));
    }

    #[test]
    fn a_new_identity_provider_recompiles_everything() {
        let s = load("scenarios/hybrid-cloud.yaml");
        check(
            &s,
            "add_assets:\n- {id: idp-2, kind: identity_provider}\n",
            None,
        );
    }
}
