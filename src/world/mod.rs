//! The estate as a bevy_ecs [`World`]: the model every other part of ztsim reads.
//!
//! One entity per network segment and per asset (identities, groups, devices, applications,
//! data, infrastructure), with its attributes in components, one per pillar; one entity per
//! relation ([`Relation`]), indexed both ways on its endpoints ([`Links`]). Attribute
//! defaults are resolved here, once, so that the attack rules ([`crate::rules`]) read plain
//! values. The serde [`Scenario`] is only the file format: [`EstateWorld::from_scenario`]
//! builds the World from it, and edits ([`crate::world::edit`]) change the World in place.
//!
//! Entity order is part of the model: segments, then assets and relations in the order the
//! scenario lists them, so that a compiled estate numbers its nodes alike on every load.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::attacker::Profile;
use crate::model::{
    AppRole, AssetKind, CredentialForm, MfaStrength, Os, Privilege, Protocol, RelationKind,
    Sensitivity, Service,
};
use crate::scenario::{
    AssetDef, AttackerDef, CredentialDef, DefenderDef, FirewallDef, LinkParams, ReachDef, Scenario,
    SimulationDef,
};
use crate::techniques::{TechniqueCatalog, TimeDist};
use bevy_ecs::prelude::*;

pub mod edit;

/// Who an asset or segment is: its id (unique across the estate), display name, kind and
/// tags. Every segment and asset entity has one.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Asset {
    /// The id the scenario gives it.
    pub id: String,
    /// The display name (the id when none is given).
    pub name: String,
    /// What it is; segments are [`AssetKind::Segment`].
    pub kind: AssetKind,
    /// Free-form tags (control scopes and impact rules read them).
    pub tags: Vec<String>,
}

/// What losing an asset costs: its business value and whether it is a crown jewel.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Worth {
    /// Business value (the kind's default when the scenario gives none).
    pub value: f64,
    /// Marked as a crown jewel (an objective unless the attacker names others).
    pub crown_jewel: bool,
}

/// The network segment an asset sits in. Assets without one are on the internet (cloud).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InSegment(pub Entity);

/// The directory domain an identity or domain controller belongs to ("" for the default).
#[derive(Component, Clone, Debug, PartialEq, Eq)]
pub struct Domain(pub String);

/// Networks pillar: a segment and the protocols its members may use among themselves.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Segment {
    /// Protocol mask allowed east-west inside the segment.
    pub east_west: u8,
}

/// Identities pillar: a user, administrator, service account, guest or group.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Identity {
    /// Administrative tier (0 = domain/tenant control, 1 = servers, 2 = workstations).
    pub tier: u8,
    /// The MFA the identity has enrolled.
    pub mfa: MfaStrength,
    /// Its password falls to spraying or cracking.
    pub weak_password: bool,
    /// Its human has had phishing-awareness training.
    pub trained: bool,
}

/// Devices pillar: workstations, laptops, servers, mobiles, IoT and BYOD.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Device {
    /// Operating system (the kind's default when not given).
    pub os: Os,
    /// Managed by the organisation.
    pub managed: bool,
    /// Managed and compliant: a policy signal when the attacker signs in from it.
    pub compliant: bool,
    /// Days a local privilege-escalation fix takes to land (30 by default).
    pub patch_lag_days: f64,
    /// Has a unique local administrator password (LAPS).
    pub unique_local_admin: bool,
    /// Credential Guard protects LSASS.
    pub credential_guard: bool,
}

/// Trusted for unconstrained delegation (a host, or an account with a service principal
/// name): it keeps the ticket-granting ticket of whoever authenticates to it.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct UnconstrainedDelegation;

/// A certificate template's settings (kind `certificate_template`; the defaults when the
/// scenario gives none).
#[derive(Component, Clone, Debug, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct CertTemplate(pub crate::scenario::TemplateDef);

/// A certificate authority's settings, defaults resolved (kind `certificate_authority`).
#[derive(Component, Clone, Debug, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct CertAuthority {
    /// Its certificates authenticate to domain controllers (in the NTAuth store).
    pub ntauth: bool,
    /// Requesters may name the subject on any template (ESC6).
    pub user_specified_san: bool,
    /// Enrollment agents are restricted to the templates `can_enroll_on_behalf` names.
    pub agent_restrictions: bool,
    /// Its web enrollment endpoint accepts relayed NTLM (HTTP, or HTTPS without EPA).
    pub relayable: bool,
}

/// What a `pki_object` is.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct Pki(pub crate::scenario::PkiRole);

/// Where an asset meets the network from outside: the protocols it exposes to the internet
/// and how exploitable its software is.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Exposure {
    /// Protocols exposed to the internet on this asset alone (declared).
    pub exposed: u8,
    /// Serves the internet over HTTPS (the kind's default when not given).
    pub internet_facing: bool,
    /// Probability that a remote exploit against it works (0: none known).
    pub exploitable: f64,
}

/// Applications pillar: whether it signs users in through the identity provider.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Application {
    /// Single sign-on through the identity provider (cloud apps by default).
    pub sso: bool,
}

/// Data pillar: a database, share, bucket or mailbox.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct DataStore {
    /// How sensitive its content is, if stated.
    pub sensitivity: Option<Sensitivity>,
    /// Records it holds (breach size).
    pub records: u64,
    /// Encrypted at rest.
    pub encrypted: bool,
}

/// Runs an EDR agent (devices and servers; any asset may declare one).
#[derive(Component, Clone, Debug, PartialEq, Eq)]
pub struct Edr;

/// Infrastructure pillar marker: domain controllers, hypervisors, clusters, subscriptions.
#[derive(Component, Clone, Debug, PartialEq, Eq)]
pub struct Infrastructure;

/// Lives on the internet: a cloud-hosted kind (or a mailbox) with no segment. Derived from
/// kind and segment when the World is built or edited.
#[derive(Component, Clone, Debug, PartialEq, Eq)]
pub struct CloudHosted;

/// A relation between two assets, as its own entity (relations are many-to-many and carry
/// attributes, so neither endpoint owns them).
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Relation {
    /// What the relation says.
    pub kind: RelationKind,
    /// Its source asset.
    pub from: Entity,
    /// Its target asset.
    pub to: Entity,
    /// The role, for `role_on`.
    pub role: Option<AppRole>,
    /// Eligible (just in time) rather than standing.
    pub eligible: bool,
    /// The link's own odds, time and noise, replacing the technique's.
    pub link: LinkParams,
}

/// The network services an asset offers, when the scenario lists them: network steps
/// reach it only over these.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Services {
    /// Each service, with the privilege an exploit of it yields.
    pub list: Vec<(Service, Privilege)>,
    /// The protocols they speak, as a mask.
    pub mask: u8,
}

impl Services {
    /// The privilege of the service(s) speaking any of these protocols: administrator if
    /// any runs as one.
    pub fn privilege(&self, proto: u8) -> Privilege {
        let admin = self
            .list
            .iter()
            .any(|(s, p)| s.protocol.mask() & proto != 0 && *p == Privilege::Admin);
        if admin {
            Privilege::Admin
        } else {
            Privilege::User
        }
    }
}

/// One known vulnerability of an asset's service.
#[derive(Clone, Debug, PartialEq)]
pub struct Exploit {
    /// The protocols it is reached over.
    pub proto: u8,
    /// Success probability of one try.
    pub p: f64,
    /// Mean hours of one try, if it sets its own.
    pub mean_hours: Option<f64>,
    /// Detection noise of one try, if it sets its own.
    pub noise: Option<f64>,
    /// ATT&CK technique, if not the default.
    pub technique: Option<String>,
    /// What it yields.
    pub privilege: Privilege,
}

/// The asset's known vulnerabilities (`exploits:`).
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Exploits(pub Vec<Exploit>);

/// A decoy: steps into it are detected with this probability; it counts in no blast
/// radius and its own steps never succeed.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Decoy(pub f64);

/// Known to the attacker from the start (internet-facing, exposed, cloud-hosted, people,
/// or declared `public`).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Public;

/// Host firewall rules, as written (compiled into network positions).
#[derive(Component, Clone, Debug)]
pub struct Firewall(pub FirewallDef);

/// A credential entity: whose it is, its form, what it takes to read it, what it opens.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Secret {
    /// The identity it belongs to.
    pub of: Entity,
    /// Its form.
    pub form: CredentialForm,
    /// Reading it on a host takes administrator rights.
    pub needs_admin: bool,
    /// The assets it opens; empty: its identity's sign-ins that its form fits.
    pub opens: Vec<Entity>,
}

/// Both directions of an asset's relations: the relation entities it is the source of and
/// the target of, in scenario order.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Links {
    /// Relations from this asset.
    pub out: Vec<Entity>,
    /// Relations into this asset.
    pub incoming: Vec<Entity>,
}

/// An asset's or relation's place in the order entities were added (scenario order, then
/// edits): it fixes the order of the attack edges derived from it.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seq(pub u32);

/// The estate's name and description.
#[derive(Resource, Clone, Debug, Default)]
pub struct EstateInfo {
    /// The scenario's name.
    pub name: String,
    /// The scenario's description.
    pub description: String,
}

/// Declared reachability between segments (the scenario's `reachability:` list).
#[derive(Resource, Clone, Debug, Default)]
pub struct Reachability(pub Vec<ReachDef>);

/// The attacker as written (profile name and overrides) and the defender and simulation
/// settings: not part of the estate's structure, but read by compile and the engine.
#[derive(Resource, Clone, Debug, Default)]
pub struct Settings {
    /// The scenario's `attacker:` block.
    pub attacker: AttackerDef,
    /// The scenario's `defender:` block.
    pub defender: DefenderDef,
    /// The scenario's `simulation:` block.
    pub simulation: SimulationDef,
}

/// One technique's numbers after the scenario's overrides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TechParams {
    /// Base success probability of one try.
    pub p: f64,
    /// Mean hours one try takes.
    pub mean_hours: f64,
    /// Detection noise of one try.
    pub noise: f64,
    /// Distribution of the time a try takes.
    pub dist: TimeDist,
    /// Log-normal shape.
    pub sigma: f64,
    /// What one try costs the attacker, if the scenario sets it (else the profile's
    /// `step_cost`).
    pub cost: Option<f64>,
}

/// The technique catalog's numbers with the scenario's overrides applied, by [`crate::techniques::TechId`].
#[derive(Resource, Clone, Debug)]
pub struct Techniques {
    /// Parameters per technique id.
    pub params: Vec<TechParams>,
    /// Whether the scenario sets T1068's probability outright (else the patch lag does).
    pub privesc_overridden: bool,
}

/// Looks entities up by id and keeps the scenario's order: the index every edit maintains.
#[derive(Resource, Clone, Debug, Default)]
pub struct Index {
    /// Segment entities in order; the internet is first.
    pub segments: Vec<Entity>,
    /// Asset entities in scenario order (removed assets are taken out).
    pub assets: Vec<Entity>,
    /// Relation entities in scenario order.
    pub relations: Vec<Entity>,
    /// Segment and asset ids to entities.
    pub by_id: foldhash::HashMap<String, Entity>,
    /// The next [`Seq`] to give an asset or relation.
    pub next_seq: u32,
}

impl Index {
    /// A fresh sequence number.
    pub fn seq(&mut self) -> Seq {
        self.next_seq += 1;
        Seq(self.next_seq - 1)
    }
}

/// The estate's World and the entity index that goes with it.
pub struct EstateWorld {
    /// The bevy_ecs world holding the estate.
    pub world: World,
}

impl EstateWorld {
    /// Builds the World from a validated scenario: an entity per segment (the internet
    /// first), asset and relation, with attribute defaults resolved.
    pub fn from_scenario(s: &Scenario) -> EstateWorld {
        let mut world = World::new();
        world.insert_resource(EstateInfo {
            name: s.name.clone(),
            description: s.description.clone(),
        });
        world.insert_resource(Reachability(s.reachability.clone()));
        world.insert_resource(Settings {
            attacker: s.attacker.clone(),
            defender: s.defender.clone(),
            simulation: s.simulation.clone(),
        });
        world.insert_resource(techniques(s));
        let mut index = Index::default();
        spawn_segments(&mut world, s, &mut index);
        for a in &s.assets {
            let seq = index.seq();
            let e = spawn_asset(&mut world, &index, a);
            world.entity_mut(e).insert(seq);
            index.by_id.insert(a.id.clone(), e);
            index.assets.push(e);
        }
        for c in &s.credentials {
            let seq = index.seq();
            let e = spawn_credential(&mut world, &index, c);
            world.entity_mut(e).insert(seq);
            index.by_id.insert(c.id.clone(), e);
            index.assets.push(e);
        }
        world.insert_resource(index);
        let mut w = EstateWorld { world };
        for r in &s.relations {
            w.add_relation(r);
        }
        for r in credential_relations(&s.credentials) {
            w.add_relation(&r);
        }
        w
    }

    /// Whether the estate has credential entities (their rules read their identity's
    /// relations, so an edit recompiles everything).
    pub fn has_credentials(&mut self) -> bool {
        self.world
            .query::<&Secret>()
            .iter(&self.world)
            .next()
            .is_some()
    }

    /// Whether the estate has a certificate template or authority: the certificate rules
    /// read group memberships and enrollment rights across the estate, so any edit
    /// recompiles everything.
    pub fn has_certificate_services(&mut self) -> bool {
        self.world
            .query_filtered::<(), Or<(With<CertTemplate>, With<CertAuthority>)>>()
            .iter(&self.world)
            .next()
            .is_some()
    }

    /// Adds a relation between two existing assets (by id), indexed on both ends and
    /// numbered after everything before it; `None` if an end is unknown.
    pub fn add_relation(&mut self, r: &crate::scenario::RelationDef) -> Option<Entity> {
        let (from, to) = (self.entity(&r.from)?, self.entity(&r.to)?);
        let seq = self.world.resource_mut::<Index>().seq();
        let rel = Relation {
            kind: r.kind,
            from,
            to,
            role: r.role,
            eligible: r.eligible,
            link: r.link(),
        };
        let e = link(&mut self.world, rel);
        self.world.entity_mut(e).insert(seq);
        self.world.resource_mut::<Index>().relations.push(e);
        Some(e)
    }

    /// The entity index.
    pub fn index(&self) -> &Index {
        self.world.resource::<Index>()
    }

    /// The entity with this segment or asset id.
    pub fn entity(&self, id: &str) -> Option<Entity> {
        self.index().by_id.get(id).copied()
    }

    /// The attacker profile the World's settings describe (`profile` replaces the named one).
    pub fn profile(&self, profile: Option<&str>) -> Profile {
        Profile::from_def(&self.world.resource::<Settings>().attacker, profile)
    }

    /// Asset `e`'s identity card.
    pub fn asset(&self, e: Entity) -> &Asset {
        self.world
            .get::<Asset>(e)
            .expect("every indexed entity has an Asset")
    }
}

/// Spawns the relation entity and records it on both endpoints.
pub(crate) fn link(world: &mut World, r: Relation) -> Entity {
    let (from, to) = (r.from, r.to);
    let e = world.spawn(r).id();
    if let Some(mut l) = world.get_mut::<Links>(from) {
        l.out.push(e);
    }
    if let Some(mut l) = world.get_mut::<Links>(to) {
        l.incoming.push(e);
    }
    e
}

fn techniques(s: &Scenario) -> Techniques {
    let tc = TechniqueCatalog::builtin();
    let mut params: Vec<TechParams> = tc
        .list
        .iter()
        .map(|t| TechParams {
            p: t.p,
            mean_hours: t.mean_hours,
            noise: t.noise,
            dist: t.dist,
            sigma: t.sigma.unwrap_or(1.0),
            cost: None,
        })
        .collect();
    for o in &s.techniques {
        if let Some(i) = tc.id(&o.id) {
            let e = &mut params[i as usize];
            e.p = o.p.unwrap_or(e.p);
            e.mean_hours = o.mean_hours.unwrap_or(e.mean_hours);
            e.cost = o.cost.or(e.cost);
            e.noise = o.noise.unwrap_or(e.noise);
            e.dist = o.dist.unwrap_or(e.dist);
            e.sigma = o.sigma.unwrap_or(e.sigma);
        }
    }
    Techniques {
        params,
        privesc_overridden: s
            .techniques
            .iter()
            .any(|t| t.id == "T1068" && t.p.is_some()),
    }
}

/// The internet first (a scenario may describe it), then the declared segments.
fn spawn_segments(world: &mut World, s: &Scenario, index: &mut Index) {
    let internet_def = s.segments.iter().find(|d| d.id == "internet");
    let defs = std::iter::once(("internet", internet_def)).chain(
        s.segments
            .iter()
            .filter(|d| d.id != "internet")
            .map(|d| (d.id.as_str(), Some(d))),
    );
    for (id, def) in defs {
        let e = world
            .spawn((
                Asset {
                    id: id.to_string(),
                    name: def
                        .and_then(|d| d.name.clone())
                        .unwrap_or_else(|| id.to_string()),
                    kind: AssetKind::Segment,
                    tags: def.map(|d| d.tags.clone()).unwrap_or_default(),
                },
                Worth {
                    value: def.and_then(|d| d.value).unwrap_or(0.0),
                    crown_jewel: false,
                },
                Segment {
                    east_west: match def.and_then(|d| d.east_west.as_ref()) {
                        Some(list) => Protocol::mask_of(list),
                        None => Protocol::Any.mask(),
                    },
                },
                Links::default(),
            ))
            .id();
        index.by_id.insert(id.to_string(), e);
        index.segments.push(e);
    }
}

/// Spawns one asset with the components of its pillar, defaults resolved.
pub(crate) fn spawn_asset(world: &mut World, index: &Index, a: &AssetDef) -> Entity {
    let e = world.spawn(Links::default()).id();
    insert_asset_components(world, index, e, a);
    e
}

/// The components an asset definition gives (all but [`Links`] and [`Seq`]), replacing
/// whatever the entity had: an edit that modifies an asset calls this again.
pub(crate) fn insert_asset_components(world: &mut World, index: &Index, e: Entity, a: &AssetDef) {
    let segment = a.segment.as_ref().and_then(|s| index.by_id.get(s).copied());
    let mut ent = world.entity_mut(e);
    ent.remove::<(
        Asset,
        Worth,
        InSegment,
        Domain,
        CloudHosted,
        Identity,
        Device,
        Edr,
    )>();
    ent.remove::<(Exposure, Application, DataStore, Infrastructure)>();
    ent.remove::<(Services, Exploits, Decoy, Public, Firewall)>();
    ent.remove::<(CertTemplate, CertAuthority, Pki)>();
    ent.insert((
        Asset {
            id: a.id.clone(),
            name: a.name.clone().unwrap_or_else(|| a.id.clone()),
            kind: a.kind,
            tags: a.tags.clone(),
        },
        Worth {
            value: a.value.unwrap_or_else(|| default_value(a)),
            crown_jewel: a.crown_jewel,
        },
    ));
    if let Some(seg) = segment {
        ent.insert(InSegment(seg));
    }
    if let Some(d) = &a.domain {
        ent.insert(Domain(d.clone()));
    }
    if a.unconstrained_delegation == Some(true) {
        ent.insert(UnconstrainedDelegation);
    }
    let k = a.kind;
    let cloud = (k.cloud_hosted() || k == AssetKind::Mailbox) && a.segment.is_none();
    if cloud {
        ent.insert(CloudHosted);
    }
    if k.is_identity() {
        ent.insert(Identity {
            tier: a.tier.unwrap_or(if k == AssetKind::Admin { 1 } else { 2 }),
            mfa: a.mfa.unwrap_or_default(),
            weak_password: a.weak_password.unwrap_or(false),
            trained: a.trained.unwrap_or(false),
        });
    }
    if k.is_device() || k == AssetKind::DomainController {
        // A domain controller is a host too: it escalates, and runs Windows by default.
        let managed = k.is_device() && a.managed.unwrap_or(k != AssetKind::Byod);
        ent.insert(Device {
            os: a.os.unwrap_or(default_os(k)),
            managed,
            compliant: managed && a.compliant.unwrap_or(managed),
            patch_lag_days: a.patch_lag_days.unwrap_or(30.0),
            unique_local_admin: a.unique_local_admin.unwrap_or(false),
            credential_guard: a.credential_guard.unwrap_or(false),
        });
    }
    if a.edr.unwrap_or(false) {
        ent.insert(Edr);
    }
    insert_pki_components(&mut ent, a);
    if !k.is_identity() && !k.is_pki_object() {
        ent.insert(Exposure {
            exposed: Protocol::mask_of(&a.exposed),
            internet_facing: a.internet_facing.unwrap_or(default_internet_facing(k)),
            exploitable: a.exploitable.unwrap_or(0.0),
        });
    }
    if k.is_app() {
        ent.insert(Application {
            sso: a.sso.unwrap_or(cloud),
        });
    }
    if k.is_data() {
        ent.insert(DataStore {
            sensitivity: a.sensitivity,
            records: a.records.unwrap_or(0),
            encrypted: a.encrypted.unwrap_or(false),
        });
    }
    if k.is_infra() {
        ent.insert(Infrastructure);
    }
    insert_intrusion_components(&mut ent, a, cloud);
}

/// The certificate services components of an asset (docs/model.md §13).
fn insert_pki_components(ent: &mut EntityWorldMut, a: &AssetDef) {
    use crate::scenario::WebEnrollment;
    match a.kind {
        AssetKind::CertificateTemplate => {
            ent.insert(CertTemplate(a.template.clone().unwrap_or_default()));
        }
        AssetKind::CertificateAuthority => {
            let c = a.ca.clone().unwrap_or_default();
            ent.insert(CertAuthority {
                ntauth: c.ntauth.unwrap_or(true),
                user_specified_san: c.user_specified_san,
                agent_restrictions: c.agent_restrictions,
                relayable: matches!(c.web_enrollment, WebEnrollment::Http | WebEnrollment::Https),
            });
        }
        AssetKind::PkiObject => {
            if let Some(r) = a.pki {
                ent.insert(Pki(r));
            }
        }
        _ => {}
    }
}

/// The intrusion model's components of an asset: services, exploits, firewall, decoy and
/// whether it is public.
fn insert_intrusion_components(ent: &mut EntityWorldMut, a: &AssetDef, cloud: bool) {
    let k = a.kind;
    let services: Vec<(Service, Privilege)> = a
        .services
        .iter()
        .filter_map(|s| {
            let svc = Service::parse(&s.name).ok()?;
            Some((svc, runs_as_privilege(s.runs_as.as_deref())))
        })
        .collect();
    let svc = if services.is_empty() {
        None
    } else {
        let mask = services.iter().fold(0, |m, (s, _)| m | s.protocol.mask());
        Some(Services {
            list: services,
            mask,
        })
    };
    if !a.exploits.is_empty() {
        let list = a
            .exploits
            .iter()
            .map(|x| exploit(x, svc.as_ref(), k))
            .collect();
        ent.insert(Exploits(list));
    }
    if let Some(s) = svc {
        ent.insert(s);
    }
    if let Some(p) = a.decoy {
        ent.insert(Decoy(p));
    }
    if let Some(f) = &a.firewall {
        ent.insert(Firewall(f.clone()));
    }
    let facing = a.internet_facing.unwrap_or(default_internet_facing(k));
    let public = a
        .public
        .unwrap_or(k.is_human() || cloud || !a.exposed.is_empty() || (facing && !k.is_identity()));
    if public {
        ent.insert(Public);
    }
}

/// The privilege a service's `runs_as` gives: an administrator account's, or a user's.
pub fn runs_as_privilege(runs_as: Option<&str>) -> Privilege {
    match runs_as {
        None | Some("system" | "root" | "admin" | "administrator") => Privilege::Admin,
        Some(_) => Privilege::User,
    }
}

/// An exploit as the rules read it: the protocols of the service it names (or of every
/// service; HTTPS for an application with none listed), and the privilege it yields.
fn exploit(x: &crate::scenario::ExploitDef, svc: Option<&Services>, k: AssetKind) -> Exploit {
    let named = x.service.as_deref().and_then(|n| Service::parse(n).ok());
    let proto = match (named, svc) {
        (Some(s), _) => s.protocol.mask(),
        (None, Some(s)) => s.mask,
        (None, None) if k.is_app() => Protocol::Https.mask(),
        (None, None) => Protocol::Any.mask(),
    };
    let privilege = x
        .privilege
        .unwrap_or_else(|| svc.map_or(Privilege::Admin, |s| s.privilege(proto)));
    Exploit {
        proto,
        p: x.p,
        mean_hours: x.mean_hours,
        noise: x.noise,
        technique: x.technique.clone(),
        privilege,
    }
}

/// Spawns a credential entity: an asset of kind `credential` with its [`Secret`]; the
/// identity and the assets it opens must already be in the index.
pub(crate) fn spawn_credential(world: &mut World, index: &Index, c: &CredentialDef) -> Entity {
    let of = index.by_id.get(&c.of).copied();
    let opens = c
        .opens
        .iter()
        .filter_map(|id| index.by_id.get(id).copied())
        .collect();
    let mut ent = world.spawn((
        Links::default(),
        Asset {
            id: c.id.clone(),
            name: c.name.clone().unwrap_or_else(|| c.id.clone()),
            kind: AssetKind::Credential,
            tags: c.tags.clone(),
        },
        Worth {
            value: 0.0,
            crown_jewel: false,
        },
    ));
    if let Some(of) = of {
        ent.insert(Secret {
            of,
            form: c.form,
            needs_admin: c.needs == Some(Privilege::Admin),
            opens,
        });
    }
    ent.id()
}

/// The `stores` and `leaks` relations a credential list implies (`found_in`, `leaked_by`).
pub fn credential_relations(
    creds: &[CredentialDef],
) -> impl Iterator<Item = crate::scenario::RelationDef> + '_ {
    creds.iter().flat_map(|c| {
        let rel = move |kind, from: &String| crate::scenario::RelationDef {
            kind,
            from: from.clone(),
            to: c.id.clone(),
            role: None,
            eligible: false,
            p: None,
            mean_hours: None,
            noise: None,
        };
        c.found_in
            .iter()
            .map(move |h| rel(RelationKind::Stores, h))
            .chain(c.leaked_by.iter().map(move |a| rel(RelationKind::Leaks, a)))
    })
}

/// Kinds that face the internet unless the scenario says otherwise.
pub fn default_internet_facing(k: AssetKind) -> bool {
    matches!(
        k,
        AssetKind::Saas | AssetKind::IdentityProvider | AssetKind::RemoteAccess
    )
}

/// The operating system a device of this kind runs unless the scenario says otherwise.
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
