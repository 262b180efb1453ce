//! Incremental recompile: after an edit to the World ([`crate::world::edit`]), re-derive
//! only the edges of the entities it touched.
//!
//! Every edge records its anchor (the asset or relation it was derived from), and
//! [`AnchorIndex`] lists each anchor's edges. An edit marks anchors dirty: the assets and
//! relations it added, removed or changed, the neighbours of a changed asset (their rules
//! may read it, e.g. adversary-in-the-middle reads the segment of the devices an identity
//! signs in on) and the relations of a changed asset. Their old edges die; their rules run
//! again; and each source node whose out-edges changed gets a new block, sorted as a full
//! compile sorts it, appended at the end of the edge arrays. Dead edges stay where they
//! were (node ids and the indices of untouched edges are stable, so a trial under way can
//! go on), are in no block and no network list, and have probability 0.
//!
//! Invariant (tested): the estate after any edit has, node by node, the same edges as a
//! fresh compile of the edited World.

use super::compile::{add_virtual, asset_node, index_network, internet_in, set_attacker};
use super::{AttackEdge, Estate, NO_SOURCE, NodeId, VirtualKind, block_of, flags};
use crate::model::{AssetKind, RelationKind};
use crate::rules::{Ctx, Origin};
use crate::world::edit::Touched;
use crate::world::{Asset, Domain, EstateWorld, Links, Relation, Techniques};
use bevy_ecs::prelude::*;

/// The edges each anchor entity produced: a compact table from the full compile, and the
/// anchors whose edges moved since.
#[derive(Clone, Debug, Default)]
pub struct AnchorIndex {
    start: Vec<u32>,
    list: Vec<u32>,
    moved: foldhash::HashMap<u32, Vec<u32>>,
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
            moved: Default::default(),
        }
    }

    /// Anchor `a`'s edges.
    pub fn edges(&self, a: Entity) -> &[u32] {
        let i = a.index_u32();
        if let Some(v) = self.moved.get(&i) {
            return v;
        }
        let i = i as usize;
        if i + 1 < self.start.len() {
            &self.list[self.start[i] as usize..self.start[i + 1] as usize]
        } else {
            &[]
        }
    }
}

/// Where a recompile puts a source's new block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Always at the end: no live edge ever changes index, so a trial under way (the
    /// tabletop) can go on. Dead edges accumulate.
    Stable,
    /// Over the old block when the new one fits (edges of the changed sources may change
    /// index), at the end otherwise: for what-if edits between runs.
    Compact,
}

/// Re-derives the edges of what `t` touched in `w`, in place, with stable edge indices
/// ([`Layout::Stable`]).
pub fn recompile(est: &mut Estate, w: &EstateWorld, t: &Touched) {
    recompile_with(est, w, t, Layout::Stable)
}

/// Re-derives the edges of what `t` touched in `w`, in place. An edit that changes what
/// every identity depends on (an identity provider) recompiles everything.
pub fn recompile_with(est: &mut Estate, w: &EstateWorld, t: &Touched, layout: Layout) {
    if t.everything {
        *est = super::compile_world(w, Some(&est.profile.name));
        return;
    }
    remove_relations(est, t);
    update_nodes(est, w, t);
    let (assets, relations) = dirty_anchors(w, t);
    // Kill the old edges of every dirty or removed anchor.
    let mut sources: Vec<NodeId> = Vec::new();
    let mut touched_anchors: Vec<Entity> = Vec::new();
    // Every slot emptied by this recompile (reused or not): anchors forget them.
    let mut killed = fixedbitset::FixedBitSet::with_capacity(est.edges.len());
    for &a in assets.iter().chain(&relations).chain(&t.removed) {
        touched_anchors.push(a);
        for e in est.anchors.edges(a).to_vec() {
            let src = est.edges[e as usize].src;
            kill(est, e);
            killed.insert(e as usize);
            if src != NO_SOURCE {
                sources.push(src);
            }
        }
    }
    let derived = derive(est, w, &assets, &relations);
    sources.extend(
        derived
            .iter()
            .map(|(e, _)| e.src)
            .filter(|&s| s != NO_SOURCE),
    );
    sources.sort_unstable();
    sources.dedup();
    // New edges of each anchor, by anchor entity index.
    let mut fresh: foldhash::HashMap<u32, Vec<u32>> = Default::default();
    let new_network = rebuild_blocks(est, &sources, derived, &mut fresh, layout, &mut killed);
    for a in touched_anchors {
        fresh.entry(a.index_u32()).or_default();
    }
    for (a, new) in fresh {
        let entity_edges: Vec<u32> = est
            .anchors
            .edges_by_index(a)
            .iter()
            .copied()
            .filter(|&e| !killed.contains(e as usize) && !est.dead.contains(e as usize))
            .chain(new)
            .collect();
        est.anchors.moved.insert(a, entity_edges);
    }
    // The network index: live network edges, old and new (exposure may have changed too).
    let network: Vec<u32> = est
        .net_edges
        .iter()
        .copied()
        .filter(|&e| !killed.contains(e as usize) && !est.dead.contains(e as usize))
        .chain(new_network)
        .collect();
    index_network(est, network);
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
}

impl AnchorIndex {
    fn edges_by_index(&self, i: u32) -> &[u32] {
        if let Some(v) = self.moved.get(&i) {
            return v;
        }
        let i = i as usize;
        if i + 1 < self.start.len() {
            &self.list[self.start[i] as usize..self.start[i + 1] as usize]
        } else {
            &[]
        }
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
fn update_nodes(est: &mut Estate, w: &EstateWorld, t: &Touched) {
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
                est.nodes[n as usize] = asset_node(&w.world, e, seg, pos, internet_in);
                n
            }
        };
        est.index.insert(a.id.clone(), n);
        add_needed_virtuals(est, w, e);
    }
}

/// A new domain's directory and domain-users nodes, and the shared local administrator
/// password's node once a device shares it.
fn add_needed_virtuals(est: &mut Estate, w: &EstateWorld, e: Entity) {
    let er = w.world.entity(e);
    let k = er.get::<Asset>().expect("asset").kind;
    if k.is_identity() && k != AssetKind::Group || k == AssetKind::DomainController {
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
    let mut assets: Vec<Entity> = t.assets.iter().copied().filter(exists).collect();
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
    };
    let mut out = Vec::new();
    for &a in assets {
        super::compile::derive_asset(&cx, a, &mut out);
    }
    for &r in relations {
        super::compile::derive_relation(&cx, r, &mut out);
    }
    out
}

/// Gives each source in `sources` a new block at the end of the edge arrays: its live old
/// edges and its new ones, in canonical order. Records each new edge under its anchor.
fn rebuild_blocks(
    est: &mut Estate,
    sources: &[NodeId],
    derived: Vec<(AttackEdge, Origin)>,
    fresh: &mut foldhash::HashMap<u32, Vec<u32>>,
    layout: Layout,
    killed: &mut fixedbitset::FixedBitSet,
) -> Vec<u32> {
    let mut by_src: foldhash::HashMap<NodeId, Vec<(AttackEdge, Origin)>> = Default::default();
    let mut network = Vec::new();
    for (e, o) in derived {
        if e.src == NO_SOURCE {
            network.push((e, o));
        } else {
            by_src.entry(e.src).or_default().push((e, o));
        }
    }
    for &u in sources {
        let old = est.out_edges(u);
        let mut new = by_src.remove(&u).unwrap_or_default();
        new.sort_by_key(|(e, o)| (e.has(flags::FREE), e.requires, o.order));
        // The usual edit re-derives edges that sort where the old ones were (an attribute
        // changed, not the shape): write them over their old slots and keep the block.
        let slots: Vec<usize> = old.clone().filter(|&e| killed.contains(e)).collect();
        let same_shape = slots.len() == new.len()
            && slots.iter().zip(&new).all(|(&i, (e, o))| {
                let x = &est.edges[i];
                (x.has(flags::FREE), x.requires, est.origins[i].order)
                    == (e.has(flags::FREE), e.requires, o.order)
            });
        if same_shape {
            for (i, (e, o)) in slots.into_iter().zip(new) {
                write_edges(est, i as u32, vec![(e, o)], fresh);
            }
            continue;
        }
        let mut list: Vec<(AttackEdge, Origin)> = old
            .clone()
            .filter(|&e| !est.dead.contains(e))
            .map(|e| (est.edges[e], est.origins[e]))
            .collect();
        for e in old.clone() {
            kill(est, e as u32);
            killed.insert(e);
        }
        list.extend(new);
        // Two sorted runs (the old live edges, the new ones): a stable sort merges them.
        list.sort_by_key(|(e, o)| (e.src, e.has(flags::FREE), e.requires, o.order));
        let (start, end) = if layout == Layout::Compact && list.len() <= old.len() {
            let start = old.start as u32;
            let n = list.len() as u32;
            write_edges(est, start, list, fresh);
            (start, start + n)
        } else {
            let start = est.edges.len() as u32;
            push_edges(est, list, fresh);
            (start, est.edges.len() as u32)
        };
        est.blocks[u as usize] = block_of(&est.edges, u, start, end, &mut est.streams);
    }
    let first = est.edges.len() as u32;
    push_edges(est, network, fresh);
    est.dead.grow(est.edges.len());
    (first..est.edges.len() as u32).collect()
}

/// Writes `list` over slots `start..` (dead since the old block was killed).
fn write_edges(
    est: &mut Estate,
    start: u32,
    list: Vec<(AttackEdge, Origin)>,
    fresh: &mut foldhash::HashMap<u32, Vec<u32>>,
) {
    for (k, (e, o)) in list.into_iter().enumerate() {
        let i = start as usize + k;
        fresh
            .entry(o.anchor.index_u32())
            .or_default()
            .push(i as u32);
        est.targets[i] = super::EdgeTarget {
            dst: e.dst,
            grants: e.grants,
        };
        est.edges[i] = e;
        est.origins[i] = o;
        est.dead.set(i, false);
    }
}

fn push_edges(
    est: &mut Estate,
    list: Vec<(AttackEdge, Origin)>,
    fresh: &mut foldhash::HashMap<u32, Vec<u32>>,
) {
    for (e, o) in list {
        let i = est.edges.len() as u32;
        fresh.entry(o.anchor.index_u32()).or_default().push(i);
        est.targets.push(super::EdgeTarget {
            dst: e.dst,
            grants: e.grants,
        });
        est.edges.push(e);
        est.origins.push(o);
    }
}

/// The relation graph loses the relations the edit removed (before their ends' nodes can
/// become tombstones).
fn remove_relations(est: &mut Estate, t: &Touched) {
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
        }
    }
}

/// Whether two estates have, node by node, the same live edges (compared by what they
/// say, not where they are): the invariant of incremental recompiles.
pub fn same_edges(a: &Estate, b: &Estate) -> Result<(), String> {
    let key = |est: &Estate, e: usize| {
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
            est.origins[e].rule
        )
    };
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
