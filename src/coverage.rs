//! Controls as components: which controls of a control set cover each entity of the World.
//!
//! A control covers an entity when the entity is in the control's scope and a deterministic
//! draw per (seed, control, entity id) falls under the control's coverage fraction, so an
//! entity is covered alike in every set of a run. [`crate::plan`] makes that draw once per
//! plan; [`cover`] writes the result onto the World's entities as a [`Coverage`]
//! component, where `explain` and reports read it ("which assets does C05 cover?").

use crate::estate::Estate;
use crate::plan::ControlPlan;
use crate::world::EstateWorld;
use bevy_ecs::prelude::*;
use bevy_ecs::system::RunSystemOnce;

/// The controls that cover an entity, per control set a plan was made for.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Coverage {
    /// (control set name, ids of the set's controls that cover the entity).
    pub sets: Vec<(String, Vec<String>)>,
}

impl Coverage {
    /// The controls of set `name` that cover the entity (empty if none or not computed).
    pub fn under(&self, name: &str) -> &[String] {
        self.sets
            .iter()
            .find(|(s, _)| s == name)
            .map_or(&[], |(_, c)| c.as_slice())
    }
}

/// What the coverage system writes: for one set, each covered entity and its controls.
struct Covered {
    set: String,
    entities: Vec<(Entity, Vec<String>)>,
}

/// Writes the coverage of `plan` (made on `est`, compiled from `w`) onto the entities.
pub fn cover(w: &mut EstateWorld, est: &Estate, plan: &ControlPlan) {
    let mut per: foldhash::HashMap<Entity, Vec<String>> = Default::default();
    for (ci, c) in plan.set.controls.iter().enumerate() {
        for n in plan.covered[ci].ones() {
            if let Some(Some(e)) = est.entities.get(n) {
                per.entry(*e).or_default().push(c.id.clone());
            }
        }
    }
    let mut entities: Vec<(Entity, Vec<String>)> = per.into_iter().collect();
    entities.sort_by_key(|(e, _)| *e);
    let input = Covered {
        set: plan.name.clone(),
        entities,
    };
    // The system that records coverage: one write per covered entity, and the set's entry
    // cleared on every other entity that had one.
    let _ = w.world.run_system_once_with(
        |In(c): In<Covered>, mut q: Query<(Entity, Option<&mut Coverage>)>, mut cmd: Commands| {
            let mut covered: foldhash::HashMap<Entity, Vec<String>> =
                c.entities.into_iter().collect();
            for (e, cov) in &mut q {
                let ids = covered.remove(&e);
                match (cov, ids) {
                    (Some(mut cov), ids) => {
                        cov.sets.retain(|(s, _)| *s != c.set);
                        if let Some(ids) = ids {
                            cov.sets.push((c.set.clone(), ids));
                        }
                    }
                    (None, Some(ids)) => {
                        cmd.entity(e).insert(Coverage {
                            sets: vec![(c.set.clone(), ids)],
                        });
                    }
                    (None, None) => {}
                }
            }
        },
        input,
    );
}
