//! Edits to the estate's World: a what-if patch (or a tabletop inject that changes the
//! estate) applied to the entities, and what it touched, so that
//! [`crate::estate::incremental::recompile`] re-derives only their edges.

use super::{EstateWorld, Index, Links, Relation, insert_asset_components, spawn_asset};
use crate::model::AssetKind;
use crate::scenario::{Patch, Scenario};
use bevy_ecs::prelude::*;

/// What an edit touched.
#[derive(Clone, Debug, Default)]
pub struct Touched {
    /// Assets added or modified: their asset rules run again.
    pub assets: Vec<Entity>,
    /// Relations added or removed, as (kind, from, to): asset rules that read their
    /// neighbours through such a relation run again at its ends.
    pub linked: Vec<(crate::model::RelationKind, Entity, Entity)>,
    /// Relations added: their rules run.
    pub relations: Vec<Entity>,
    /// Assets and relations removed (despawned): their edges go.
    pub removed: Vec<Entity>,
    /// The relations removed, as they were.
    pub removed_relations: Vec<Relation>,
    /// Assets whose attributes changed (their neighbours' rules may read them too).
    pub changed: Vec<Entity>,
    /// The edit changes something every identity's edges depend on (an identity provider
    /// added, removed or changed): recompile everything.
    pub everything: bool,
}

impl EstateWorld {
    /// Applies a patch that [`crate::scenario::apply_patch_str`] accepted; `patched` is the
    /// scenario it produced (modified assets take their definitions from it).
    pub fn apply_patch(&mut self, p: &Patch, patched: &Scenario) -> Touched {
        let mut t = Touched::default();
        for r in &p.remove_relations {
            let (Some(from), Some(to)) = (self.entity(&r.from), self.entity(&r.to)) else {
                continue;
            };
            let found: Vec<Entity> = self
                .links(from)
                .out
                .iter()
                .copied()
                .filter(|&e| {
                    self.world
                        .get::<Relation>(e)
                        .is_some_and(|x| x.kind == r.kind && x.to == to)
                })
                .collect();
            for e in found {
                self.unlink(e, &mut t);
            }
        }
        for id in &p.remove_assets {
            if let Some(e) = self.entity(id) {
                self.remove_asset(e, &mut t);
            }
        }
        for a in &p.add_assets {
            let e = self.world.resource_scope(|world, mut index: Mut<Index>| {
                let seq = index.seq();
                let e = spawn_asset(world, &index, a);
                world.entity_mut(e).insert(seq);
                index.by_id.insert(a.id.clone(), e);
                index.assets.push(e);
                e
            });
            // A host firewall gives a network position of its own: the positions change.
            t.everything |= a.kind == AssetKind::IdentityProvider || a.firewall.is_some();
            t.assets.push(e);
            t.changed.push(e);
        }
        for m in &p.modify_assets {
            let Some(id) = m.get("id").and_then(|v| v.as_str()) else {
                continue;
            };
            let (Some(e), Some(def)) =
                (self.entity(id), patched.assets.iter().find(|a| a.id == id))
            else {
                continue;
            };
            let was = self.asset(e).kind;
            t.everything |=
                self.world.get::<super::Firewall>(e).is_some() || def.firewall.is_some();
            self.world.resource_scope(|world, index: Mut<Index>| {
                insert_asset_components(world, &index, e, def);
            });
            t.everything |=
                was == AssetKind::IdentityProvider || def.kind == AssetKind::IdentityProvider;
            t.assets.push(e);
            t.changed.push(e);
        }
        for r in &p.add_relations {
            let Some(e) = self.add_relation(r) else {
                continue;
            };
            t.relations.push(e);
            let rel = self.world.get::<Relation>(e).expect("just added");
            t.linked.push((rel.kind, rel.from, rel.to));
        }
        // Credential rules read their identity's relations and attributes: recompile all.
        t.everything |= self.has_credentials();
        // So do the certificate rules (ESC1 and its like), which follow memberships.
        t.everything |= self.has_certificate_services();
        t
    }

    /// Asset `e`'s relations.
    pub fn links(&self, e: Entity) -> Links {
        self.world.get::<Links>(e).cloned().unwrap_or_default()
    }

    /// Removes relation entity `e` from both its ends and the index, and despawns it.
    fn unlink(&mut self, e: Entity, t: &mut Touched) {
        let Some(r) = self.world.get::<Relation>(e).cloned() else {
            return;
        };
        for end in [r.from, r.to] {
            if let Some(mut l) = self.world.get_mut::<Links>(end) {
                l.out.retain(|&x| x != e);
                l.incoming.retain(|&x| x != e);
            }
        }
        self.world
            .resource_mut::<Index>()
            .relations
            .retain(|&x| x != e);
        self.world.despawn(e);
        t.removed.push(e);
        t.linked.push((r.kind, r.from, r.to));
        t.removed_relations.push(r);
    }

    /// Removes asset `e` with every relation that touches it.
    fn remove_asset(&mut self, e: Entity, t: &mut Touched) {
        let links = self.links(e);
        for r in links.out.iter().chain(&links.incoming) {
            self.unlink(*r, t);
        }
        let id = self.asset(e).id.clone();
        t.everything |= self.asset(e).kind == AssetKind::IdentityProvider
            || self.world.get::<super::Firewall>(e).is_some();
        let mut index = self.world.resource_mut::<Index>();
        index.assets.retain(|&x| x != e);
        index.by_id.remove(&id);
        self.world.despawn(e);
        t.removed.push(e);
        t.assets.retain(|&x| x != e);
    }
}
