//! Building the estate: counts first (a pure function of the parameters and the number of
//! users, so the number of users can be solved for a target asset count), then segments,
//! identities, devices, infrastructure, applications, data and relations, every random draw
//! from one ChaCha8 stream in a fixed order.

use super::params::GeneratorParams;
use crate::controls::ControlSetDef;
use crate::model::{AppRole, AssetKind, MfaStrength, Os, Protocol, RelationKind, Sensitivity};
use crate::scenario::{AssetDef, EntryVector, ReachDef, RelationDef, Scenario, SegmentDef};
use AssetKind as K;
use RelationKind as R;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DOMAIN: &str = "corp.local";
const DEPARTMENTS: [&str; 12] = [
    "finance",
    "hr",
    "sales",
    "engineering",
    "operations",
    "legal",
    "marketing",
    "it",
    "support",
    "procurement",
    "research",
    "facilities",
];
/// Relative sizes of the departments above [assumption].
const DEPT_WEIGHTS: [f64; 12] = [
    0.08, 0.04, 0.18, 0.16, 0.16, 0.02, 0.06, 0.05, 0.14, 0.03, 0.05, 0.03,
];
const SAAS_NAMES: [&str; 10] = [
    "mail",
    "collab",
    "crm",
    "hr",
    "itsm",
    "finance",
    "devops",
    "analytics",
    "esign",
    "marketing",
];
/// Users per remote desktop session host.
const USERS_PER_RDS: f64 = 30.0;
/// Share of all servers in the DMZ [assumption].
const DMZ_SERVER_SHARE: f64 = 0.03;
/// Databases per SQL server [assumption].
const DBS_PER_SQL_SERVER: usize = 5;

/// How many of everything; a pure function of the parameters and the number of users.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub users: usize,
    pub guests: usize,
    pub sites: usize,
    pub depts: usize,
    pub dcenters: usize,
    pub tier0: usize,
    pub tier1: usize,
    pub helpdesk: usize,
    pub svc: usize,
    pub laptops: usize,
    pub workstations: usize,
    pub mobiles: usize,
    pub rds: usize,
    pub dmz_servers: usize,
    pub cloud_servers: usize,
    pub onprem_servers: usize,
    pub vms: usize,
    pub hypervisors: usize,
    pub subs: usize,
    pub clusters: usize,
    pub dcs: usize,
    pub saas: usize,
    pub onprem_apps: usize,
    pub apis: usize,
    pub dbs: usize,
    pub shares: usize,
    pub buckets: usize,
    pub mailboxes: usize,
    pub groups: usize,
}

fn round(x: f64) -> usize {
    x.round().max(0.0) as usize
}

impl Counts {
    pub fn plan(p: &GeneratorParams, users: usize) -> Counts {
        let u = users as f64;
        let sites = if p.sites > 0 {
            p.sites
        } else {
            round(u.sqrt() / 4.0).max(1)
        };
        let depts = if p.departments > 0 {
            p.departments.min(DEPARTMENTS.len())
        } else {
            round(u.sqrt() / 2.0).clamp(2, DEPARTMENTS.len())
        };
        let dcenters = if p.datacenters > 0 {
            p.datacenters
        } else {
            1 + sites / 20
        };
        let laptops = round(u * p.laptop_share).min(users);
        let servers = round(u * p.servers_per_user).max(3);
        let dmz_servers = round(servers as f64 * DMZ_SERVER_SHARE).max(1);
        let cloud_servers = round(servers as f64 * p.cloud_share);
        let onprem_servers = servers.saturating_sub(dmz_servers + cloud_servers).max(1);
        let vms = round(onprem_servers as f64 * p.virtualised_share);
        let hypervisors = if vms > 0 {
            vms.div_ceil(p.vms_per_hypervisor.max(1))
        } else {
            0
        };
        let subs = cloud_servers
            .div_ceil(p.servers_per_subscription.max(1))
            .max(1);
        let rds = round(u * p.rds_share / USERS_PER_RDS);
        let saas = if p.saas_apps > 0 {
            p.saas_apps
        } else {
            (users / 40).clamp(2, 93)
        };
        let onprem_apps = if p.onprem_apps > 0 {
            p.onprem_apps
        } else {
            (users / 100).clamp(1, 300)
        };
        let apis = onprem_apps / 2;
        let core_groups = 7 + usize::from(rds > 0);
        let groups = core_groups + depts + if sites > 1 { depts * sites + sites } else { 0 };
        Counts {
            users,
            guests: round(u * p.guests_per_user),
            sites,
            depts,
            dcenters,
            tier0: round(u * p.tier0_per_user).max(2),
            tier1: round(u * p.tier1_per_user).max(1),
            helpdesk: round(u * p.helpdesk_per_user).max(1),
            svc: round(servers as f64 * p.service_accounts_per_server).max(3),
            laptops,
            workstations: users - laptops,
            mobiles: round(u * p.mobile_share).min(users),
            rds,
            dmz_servers,
            cloud_servers,
            onprem_servers,
            vms,
            hypervisors,
            subs,
            clusters: subs / 2,
            dcs: 2 * dcenters,
            saas,
            onprem_apps,
            apis,
            dbs: onprem_apps + apis,
            shares: depts + 1,
            buckets: 2 * subs,
            mailboxes: depts,
            groups,
        }
    }

    pub fn total(&self) -> usize {
        self.users
            + self.guests
            + self.tier0
            + self.tier1
            + self.helpdesk
            + self.svc
            + self.groups
            + self.laptops
            + self.workstations
            + self.mobiles
            + self.rds
            + self.dmz_servers
            + self.cloud_servers
            + self.onprem_servers
            + self.hypervisors
            + self.subs
            + self.clusters
            + self.dcs
            // identity provider, VPN gateway, DMZ portal
            + 3
            + self.saas
            + self.onprem_apps
            + self.apis
            + self.dbs
            + self.shares
            + self.buckets
            + self.mailboxes
    }

    /// The counts whose total is closest to the target (the total grows with the number of
    /// users, so a binary search finds it).
    pub fn for_target(p: &GeneratorParams) -> Counts {
        const MIN_USERS: usize = 4;
        let (mut lo, mut hi) = (MIN_USERS, MIN_USERS.max(p.assets));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if Counts::plan(p, mid).total() >= p.assets {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let above = Counts::plan(p, lo);
        if lo > MIN_USERS {
            let below = Counts::plan(p, lo - 1);
            if p.assets.abs_diff(below.total()) < above.total().abs_diff(p.assets) {
                return below;
            }
        }
        above
    }
}

/// An asset with every optional field unset. Built through serde from `{id, kind}` once, so
/// fields added to [`AssetDef`] later take their serde defaults here too.
fn blank_template() -> AssetDef {
    serde_json::from_value(serde_json::json!({"id": "", "kind": "group"}))
        .expect("an id and a kind make an asset")
}

thread_local! {
    static BLANK: AssetDef = blank_template();
}

fn blank(id: String, kind: AssetKind) -> AssetDef {
    let mut a = BLANK.with(AssetDef::clone);
    a.id = id;
    a.kind = kind;
    a
}

/// A roaming account: its sessions spread over a pool of devices, how many drawn from a
/// Pareto distribution.
struct Roamer {
    account: usize,
    pool: Pool,
}

#[derive(Clone, Copy)]
enum Pool {
    /// End-user devices of one site.
    Site(usize),
    /// Every end-user device.
    EndUser,
    /// Every on-prem server (including DMZ and RDS hosts).
    Servers,
    /// Servers and end-user devices alike.
    Anywhere,
}

/// The estate under construction: the one random stream, the assets and relations pushed so
/// far, and the counts every phase builds to.
struct Builder<'a> {
    p: &'a GeneratorParams,
    c: Counts,
    rng: ChaCha8Rng,
    assets: Vec<AssetDef>,
    relations: Vec<RelationDef>,
    /// A relation with every optional field unset (see [`blank_template`]).
    relation_template: RelationDef,
}

impl<'a> Builder<'a> {
    /// An empty estate for these parameters and counts, its stream seeded from the seed.
    fn new(p: &'a GeneratorParams, c: Counts) -> Self {
        Builder {
            p,
            rng: ChaCha8Rng::seed_from_u64(p.seed),
            assets: Vec::with_capacity(c.total()),
            relations: Vec::with_capacity(c.total() * 3),
            relation_template: serde_json::from_value(
                serde_json::json!({"type": "member_of", "from": "", "to": ""}),
            )
            .expect("a type, from and to make a relation"),
            c,
        }
    }

    fn push(&mut self, a: AssetDef) -> usize {
        self.assets.push(a);
        self.assets.len() - 1
    }

    fn rel(&mut self, kind: RelationKind, from: usize, to: usize) {
        let mut r = self.relation_template.clone();
        r.kind = kind;
        r.from = self.assets[from].id.clone();
        r.to = self.assets[to].id.clone();
        self.relations.push(r);
    }

    fn role(&mut self, from: usize, to: usize, role: AppRole) {
        self.rel(RelationKind::RoleOn, from, to);
        self.relations.last_mut().expect("just pushed").role = Some(role);
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn pick(&mut self, list: &[usize]) -> usize {
        list[self.rng.random_range(0..list.len())]
    }

    /// Exponential draw with the given mean, in whole days.
    fn lag(&mut self, mean: f64) -> f64 {
        let u: f64 = self.rng.random::<f64>();
        (-mean * (1.0 - u).ln()).round()
    }

    /// Log-uniform record count in [lo, hi).
    fn records(&mut self, lo: f64, hi: f64) -> u64 {
        let x: f64 = self.rng.random_range(lo.ln()..hi.ln());
        x.exp().round() as u64
    }

    fn group(&mut self, id: &str, name: String) -> usize {
        let mut a = blank(id.to_string(), AssetKind::Group);
        a.name = Some(name);
        self.push(a)
    }

    fn user_mfa(&mut self) -> MfaStrength {
        if !self.chance(self.p.mfa_share) {
            return MfaStrength::None;
        }
        let x: f64 = self.rng.random::<f64>();
        if x < 0.6 {
            MfaStrength::Push
        } else if x < 0.85 {
            MfaStrength::Sms
        } else {
            MfaStrength::Otp
        }
    }

    fn human(&mut self, id: String, kind: AssetKind, tier: u8, mfa: MfaStrength) -> usize {
        let mut a = blank(id, kind);
        a.tier = Some(tier);
        a.mfa = Some(mfa);
        a.trained = Some(self.chance(self.p.trained_share));
        a.domain = Some(DOMAIN.into());
        self.push(a)
    }

    /// An end-user device (workstation, laptop) or a server.
    fn device(&mut self, id: String, kind: AssetKind, segment: &str, os: Os) -> usize {
        let p = self.p;
        let server = kind == AssetKind::Server;
        let mut a = blank(id, kind);
        a.segment = Some(segment.to_string());
        a.os = Some(os);
        let managed = server || self.chance(p.managed_share);
        a.managed = Some(managed);
        if !server {
            a.compliant = Some(managed && self.chance(p.compliant_share));
        }
        a.edr = Some(self.chance(p.edr_share));
        let mean = if server {
            p.patch_lag_server_days
        } else {
            p.patch_lag_workstation_days
        };
        a.patch_lag_days = Some(self.lag(mean));
        if os == Os::Windows {
            a.unique_local_admin = Some(!self.chance(p.shared_local_admin_rate));
            a.credential_guard = Some(!server && self.chance(p.credential_guard_share));
        }
        self.push(a)
    }

    fn server_os(&mut self) -> Os {
        if self.chance(0.7) {
            Os::Windows
        } else {
            Os::Linux
        }
    }

    /// Pareto draw: ceil(xm · (1 − u)^(−1/α)).
    fn pareto(&self, u: f64) -> usize {
        let k = self.p.session_min.max(1.0) * (1.0 - u).powf(-1.0 / self.p.session_alpha.max(0.05));
        if k.is_finite() {
            k.ceil().min(1e12) as usize
        } else {
            usize::MAX
        }
    }

    /// Sessions of roaming accounts. The Pareto quantiles are stratified (one per
    /// 1/n-wide slice of [0, 1), shuffled over the accounts), so even a handful of accounts
    /// shows the tail; the devices are a uniform sample of the pool.
    fn roam(&mut self, roamers: &[Roamer], pools: &Pools) {
        let n = roamers.len();
        if n == 0 {
            return;
        }
        let mut quantiles: Vec<f64> = (0..n)
            .map(|i| (i as f64 + self.rng.random::<f64>()) / n as f64)
            .collect();
        quantiles.shuffle(&mut self.rng);
        for (r, u) in roamers.iter().zip(quantiles) {
            let pool: &[usize] = match r.pool {
                Pool::Site(s) => &pools.site_devices[s],
                Pool::EndUser => pools.end_user,
                Pool::Servers => &pools.servers,
                Pool::Anywhere => &pools.anywhere,
            };
            if pool.is_empty() {
                continue;
            }
            let k = self.pareto(u).min(pool.len());
            let picks = rand::seq::index::sample(&mut self.rng, pool.len(), k);
            let mut devs: Vec<usize> = picks.into_iter().map(|i| pool[i]).collect();
            devs.sort_unstable();
            for d in devs {
                self.rel(RelationKind::HasSession, d, r.account);
            }
        }
    }
}

/// The device pools that roaming sessions, stale admin rights and spare service accounts
/// draw from.
struct Pools<'e> {
    /// End-user devices per site.
    site_devices: &'e [Vec<usize>],
    /// Every user's primary device, in user order.
    end_user: &'e [usize],
    /// On-prem, RDS and DMZ servers.
    servers: Vec<usize>,
    /// The servers, then the end-user devices.
    anywhere: Vec<usize>,
}

impl<'e> Pools<'e> {
    /// The pools of this estate's devices.
    fn new(e: &'e Estate) -> Self {
        let s = &e.servers;
        let servers: Vec<usize> = s
            .onprem
            .iter()
            .chain(&s.rds)
            .chain(&s.dmz)
            .copied()
            .collect();
        Pools {
            anywhere: servers.iter().chain(&e.devices.primary).copied().collect(),
            site_devices: &e.devices.site_devices,
            end_user: &e.devices.primary,
            servers,
        }
    }
}

fn weighted(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = *cumulative.last().expect("non-empty weights");
    let x: f64 = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

fn cumulate(w: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    w.map(|x| {
        acc += x;
        acc
    })
    .collect()
}

fn seg(id: String, name: String, east_west: Option<Vec<Protocol>>) -> SegmentDef {
    SegmentDef {
        id,
        name: Some(name),
        east_west,
        ..Default::default()
    }
}

fn reach(from: &str, to: &str, protocols: &[Protocol]) -> ReachDef {
    ReachDef {
        from: from.into(),
        to: to.into(),
        protocols: protocols.to_vec(),
        ..Default::default()
    }
}

/// The server VLAN of datacentre `j`.
fn vlan(j: usize) -> String {
    format!("vlan-srv-{}", j + 1)
}

/// The office LAN of site `k`.
fn lan(k: usize) -> String {
    format!("lan-{}", k + 1)
}

/// The VNet of cloud subscription `i`.
fn vnet(i: usize) -> String {
    format!("vnet-{}", i + 1)
}

/// The directory groups, as asset indices.
struct Groups {
    all: usize,
    domain_admins: usize,
    global_admins: usize,
    server_admins: usize,
    /// Workstation admins of every site.
    helpdesk: usize,
    cloud_ops: usize,
    vpn: usize,
    rds: Option<usize>,
    /// One per department.
    dept: Vec<usize>,
    /// Org units by site, then department (the department groups themselves at one site).
    ou: Vec<Vec<usize>>,
    /// Workstation admins by site (the all-sites group at one site).
    helpdesk_site: Vec<usize>,
}

/// The accounts, as asset indices, with the site and department of each.
struct Identities {
    tier0: Vec<usize>,
    tier1: Vec<usize>,
    helpdesk: Vec<usize>,
    /// The one site a helpdesk account works for, or `None` for every site.
    helpdesk_site: Vec<Option<usize>>,
    users: Vec<usize>,
    user_site: Vec<usize>,
    user_dept: Vec<usize>,
    guests: Vec<usize>,
    /// `svc-backup`, `svc-sccm`, `svc-adsync`, then the generic service accounts.
    svc: Vec<usize>,
}

/// The end-user devices.
struct EndUserDevices {
    /// Workstations and laptops by site (remote laptops included).
    site_devices: Vec<Vec<usize>>,
    /// Each user's workstation or laptop, in user order.
    primary: Vec<usize>,
    /// Each phone with its user's index in [`Identities::users`].
    mobiles: Vec<(usize, usize)>,
}

/// The servers, by where they run.
struct Servers {
    onprem: Vec<usize>,
    rds: Vec<usize>,
    dmz: Vec<usize>,
    cloud: Vec<usize>,
}

impl Servers {
    /// The on-prem server that plays role slot `i` (slots are dealt round-robin).
    fn role(&self, i: usize) -> usize {
        self.onprem[i % self.onprem.len()]
    }
}

/// Which role slots of the on-prem servers do what: slot 0 is the directory sync server,
/// then the SQL servers, one file server per datacentre, then the application hosts.
struct ServerRoles {
    sync: usize,
    sql: Vec<usize>,
    file: Vec<usize>,
    /// The first application host's slot.
    app_base: usize,
}

impl ServerRoles {
    /// Deals the roles for these counts over the on-prem servers.
    fn assign(c: &Counts, servers: &Servers) -> Self {
        let n_sql = c.dbs.div_ceil(DBS_PER_SQL_SERVER).max(1);
        ServerRoles {
            sync: servers.role(0),
            sql: (0..n_sql).map(|i| servers.role(1 + i)).collect(),
            file: (0..c.dcenters)
                .map(|j| servers.role(1 + n_sql + j))
                .collect(),
            app_base: 1 + n_sql + c.dcenters,
        }
    }
}

/// Domain controllers, hypervisors, cloud subscriptions and clusters.
struct Infrastructure {
    dcs: Vec<usize>,
    hypervisors: Vec<usize>,
    subs: Vec<usize>,
    clusters: Vec<usize>,
}

/// The identity provider, the VPN and the applications.
struct Applications {
    idp: usize,
    vpn: usize,
    saas: Vec<usize>,
    /// Whether each SaaS application signs in through the identity provider.
    saas_sso: Vec<bool>,
    portal: usize,
    onprem: Vec<usize>,
    apis: Vec<usize>,
}

/// The data stores.
struct DataStores {
    /// One per on-prem application, then one per API; the first is the customer database.
    dbs: Vec<usize>,
    /// One per department.
    fs_dept: Vec<usize>,
    fs_common: usize,
    /// A data and a backup bucket per subscription.
    buckets: Vec<usize>,
    /// One per department.
    mailboxes: Vec<usize>,
}

/// Every asset built, by part of the estate: what the relations are drawn between.
struct Estate {
    groups: Groups,
    ids: Identities,
    devices: EndUserDevices,
    servers: Servers,
    roles: ServerRoles,
    infra: Infrastructure,
    apps: Applications,
    data: DataStores,
}

/// The estate for these parameters: the network, then every part's assets, then the
/// relations between them, phase by phase in a fixed order (each phase's draws and pushes
/// in turn, so the same seed gives the same bytes).
pub(crate) fn build(p: &GeneratorParams) -> Scenario {
    let c = Counts::for_target(p);
    let mut b = Builder::new(p, c);
    let segments = segments(&c);
    let reachability = reachability(&c);
    let groups = b.groups();
    let ids = b.identities();
    let devices = b.end_user_devices(&ids);
    let servers = b.servers();
    b.server_misconfigurations(&servers);
    let infra = b.infrastructure();
    let apps = b.applications();
    let data = b.data_stores();
    b.crown_jewels(&data);
    debug_assert_eq!(b.assets.len(), c.total(), "counts promised {}", c.total());
    let e = Estate {
        roles: ServerRoles::assign(&c, &servers),
        groups,
        ids,
        devices,
        servers,
        infra,
        apps,
        data,
    };
    let pools = Pools::new(&e);
    b.group_memberships(&e);
    b.own_device_sessions(&e);
    b.roaming_sessions(&e, &pools);
    b.domain_admin_sessions(&e);
    b.server_roles(&e);
    b.privileged_rights(&e, &pools);
    b.virtual_hosting(&e);
    b.identity_trust(&e);
    b.saas_access(&e);
    b.onprem_app_relations(&e, &pools);
    b.data_access(&e);
    let Builder {
        assets, relations, ..
    } = b;
    scenario(p, &c, segments, reachability, assets, relations)
}

/// The network segments: a server VLAN per datacentre, management, DMZ, VPN pool, an office
/// LAN per site, a VNet per cloud subscription.
fn segments(c: &Counts) -> Vec<SegmentDef> {
    use Protocol::*;
    let mut segments = Vec::new();
    for j in 0..c.dcenters {
        segments.push(seg(
            vlan(j),
            format!("Server VLAN, datacentre {}", j + 1),
            None,
        ));
    }
    segments.push(seg(
        "mgmt".into(),
        "Management network (hypervisors, out-of-band)".into(),
        None,
    ));
    segments.push(seg(
        "dmz".into(),
        "DMZ (public web)".into(),
        Some(vec![Https]),
    ));
    segments.push(seg(
        "vpn-pool".into(),
        "VPN client pool (remote laptops)".into(),
        Some(vec![]),
    ));
    for k in 0..c.sites {
        segments.push(seg(
            lan(k),
            format!("Office LAN, site {} (flat)", k + 1),
            None,
        ));
    }
    for i in 0..c.subs {
        segments.push(seg(
            vnet(i),
            format!("Cloud VNet of subscription {}", i + 1),
            None,
        ));
    }
    segments
}

/// Which segment reaches which, over what: the typical, rather too open, enterprise network.
fn reachability(c: &Counts) -> Vec<ReachDef> {
    use Protocol::*;
    let mut reachability = vec![
        reach("internet", "dmz", &[Https]),
        reach("dmz", &vlan(0), &[Sql]),
        reach("mgmt", "dmz", &[Any]),
        reach("mgmt", "vpn-pool", &[Any]),
    ];
    for j in 0..c.dcenters {
        let v = vlan(j);
        reachability.push(reach("mgmt", &v, &[Any]));
        // Servers reach the hypervisors' web consoles: a common flat-network leak.
        reachability.push(reach(&v, "mgmt", &[Https]));
        reachability.push(reach(&v, "dmz", &[Any]));
        reachability.push(reach(&v, "vpn-pool", &[Smb, Rdp, Winrm, Https]));
        reachability.push(reach("vpn-pool", &v, &[Smb, Rdp, Https, Sql]));
        for j2 in 0..c.dcenters {
            if j2 != j {
                reachability.push(reach(&v, &vlan(j2), &[Any]));
            }
        }
        for k in 0..c.sites {
            reachability.push(reach(&lan(k), &v, &[Smb, Rdp, Https, Sql]));
            reachability.push(reach(&v, &lan(k), &[Any]));
        }
        for i in 0..c.subs {
            reachability.push(reach(&v, &vnet(i), &[Any]));
            reachability.push(reach(&vnet(i), &v, &[Smb, Https, Sql]));
        }
    }
    for k in 0..c.sites {
        reachability.push(reach("mgmt", &lan(k), &[Any]));
        reachability.push(reach("vpn-pool", &lan(k), &[Rdp]));
    }
    for i in 0..c.subs {
        reachability.push(reach("mgmt", &vnet(i), &[Any]));
    }
    reachability
}

impl Builder<'_> {
    /// The directory groups: the core ones, one per department, and at more than one site an
    /// org unit per site and department plus a helpdesk group per site. No random draws.
    fn groups(&mut self) -> Groups {
        let (sites, depts, rds) = (self.c.sites, self.c.depts, self.c.rds);
        let all = self.group("g-all-staff", "All staff (Domain Users)".into());
        let domain_admins = self.group("g-domain-admins", "Domain Admins".into());
        let global_admins = self.group(
            "g-global-admins",
            "Global Administrators (cloud directory role)".into(),
        );
        let server_admins = self.group(
            "g-server-admins",
            "Server Admins (local admin on every on-prem server)".into(),
        );
        let helpdesk = self.group(
            "g-helpdesk",
            "Workstation Admins (helpdesk, all sites)".into(),
        );
        let cloud_ops = self.group(
            "g-cloud-ops",
            "Cloud Ops (Owner on the subscriptions)".into(),
        );
        let vpn = self.group("g-vpn-users", "VPN users".into());
        let rds =
            (rds > 0).then(|| self.group("g-rds-users", "Remote Desktop Users (RDS farm)".into()));
        let mut dept = Vec::with_capacity(depts);
        for d in DEPARTMENTS.iter().take(depts) {
            dept.push(self.group(&format!("g-{d}"), format!("Department: {d}")));
        }
        // Org units per site and department (nested in the department), and per-site helpdesk.
        let mut ou: Vec<Vec<usize>> = Vec::new();
        let mut helpdesk_site: Vec<usize> = Vec::new();
        if sites > 1 {
            for k in 0..sites {
                let mut row = Vec::with_capacity(depts);
                for d in DEPARTMENTS.iter().take(depts) {
                    row.push(self.group(
                        &format!("g-{d}-s{}", k + 1),
                        format!("OU {d}, site {}", k + 1),
                    ));
                }
                ou.push(row);
                helpdesk_site.push(self.group(
                    &format!("g-helpdesk-s{}", k + 1),
                    format!("Workstation Admins, site {}", k + 1),
                ));
            }
        } else {
            ou.push(dept.clone());
            helpdesk_site.push(helpdesk);
        }
        Groups {
            all,
            domain_admins,
            global_admins,
            server_admins,
            helpdesk,
            cloud_ops,
            vpn,
            rds,
            dept,
            ou,
            helpdesk_site,
        }
    }

    /// The accounts: tier-0 admins (the first a cloud-only break-glass account), tier-1
    /// admins, helpdesk, users with their site and department, guests, service accounts.
    fn identities(&mut self) -> Identities {
        let p = self.p;
        let c = self.c;
        let mut tier0 = Vec::with_capacity(c.tier0);
        for i in 0..c.tier0 {
            let mfa = if self.chance(p.admin_phishing_resistant_share) {
                MfaStrength::PhishingResistant
            } else {
                MfaStrength::Push
            };
            let a = self.human(format!("adm-t0-{}", i + 1), K::Admin, 0, mfa);
            if i == 0 {
                // The break-glass account: cloud-only, FIDO2.
                let x = &mut self.assets[a];
                x.domain = None;
                x.mfa = Some(MfaStrength::PhishingResistant);
                x.name = Some("Break-glass Global Admin (cloud-only)".into());
            }
            tier0.push(a);
        }
        let mut tier1 = Vec::with_capacity(c.tier1);
        for i in 0..c.tier1 {
            let mfa = if self.chance(0.3) {
                MfaStrength::Sms
            } else {
                MfaStrength::Push
            };
            tier1.push(self.human(format!("adm-t1-{}", i + 1), K::Admin, 1, mfa));
        }
        let site_cum = cumulate((0..c.sites).map(|k| 1.0 / (k as f64 + 1.0)));
        let dept_cum = cumulate(DEPT_WEIGHTS.iter().take(c.depts).copied());
        let mut helpdesk = Vec::with_capacity(c.helpdesk);
        let mut helpdesk_site = Vec::with_capacity(c.helpdesk);
        for i in 0..c.helpdesk {
            let mfa = if self.chance(p.mfa_share) {
                MfaStrength::Push
            } else {
                MfaStrength::None
            };
            let a = self.human(format!("hd-{}", i + 1), K::Admin, 2, mfa);
            self.assets[a].tags = vec!["helpdesk".into()];
            // The first helpdesk account of each five works for every site.
            let site = if i % 5 == 0 || c.sites == 1 {
                None
            } else {
                Some(weighted(&mut self.rng, &site_cum))
            };
            helpdesk.push(a);
            helpdesk_site.push(site);
        }
        let mut users = Vec::with_capacity(c.users);
        let mut user_site = Vec::with_capacity(c.users);
        let mut user_dept = Vec::with_capacity(c.users);
        for i in 0..c.users {
            let mfa = self.user_mfa();
            let a = self.human(format!("u-{}", i + 1), K::User, 2, mfa);
            if self.chance(p.weak_user_password_rate) {
                self.assets[a].weak_password = Some(true);
            }
            users.push(a);
            user_site.push(weighted(&mut self.rng, &site_cum));
            user_dept.push(weighted(&mut self.rng, &dept_cum));
        }
        let mut guests = Vec::with_capacity(c.guests);
        for i in 0..c.guests {
            let mut a = blank(format!("guest-{}", i + 1), K::Guest);
            a.tier = Some(2);
            a.mfa = Some(MfaStrength::None);
            a.trained = Some(false);
            guests.push(self.push(a));
        }
        let svc = self.service_accounts();
        Identities {
            tier0,
            tier1,
            helpdesk,
            helpdesk_site,
            users,
            user_site,
            user_dept,
            guests,
            svc,
        }
    }

    /// The service accounts: backup, SCCM and directory sync (the three with broad rights),
    /// then generic ones; weak passwords at the configured rate (a third of it for the three).
    fn service_accounts(&mut self) -> Vec<usize> {
        let p = self.p;
        let mut svc = Vec::with_capacity(self.c.svc);
        for i in 0..self.c.svc {
            let (id, name, tier) = match i {
                0 => (
                    "svc-backup".to_string(),
                    Some("Backup service (server admin, reads every database and share)"),
                    1,
                ),
                1 => (
                    "svc-sccm".to_string(),
                    Some("SCCM client push (admin on every workstation)"),
                    1,
                ),
                2 => (
                    "svc-adsync".to_string(),
                    Some("Directory sync (replication rights on the domain)"),
                    0,
                ),
                _ => (format!("svc-{}", i - 2), None, 2),
            };
            let mut a = blank(id, K::ServiceAccount);
            a.name = name.map(String::from);
            a.tier = Some(tier);
            a.domain = Some(DOMAIN.into());
            let weak = i >= 3 && self.chance(p.weak_service_password_rate)
                || i < 3 && self.chance(p.weak_service_password_rate / 3.0);
            a.weak_password = Some(weak);
            svc.push(self.push(a));
        }
        svc
    }

    /// Each user's workstation or laptop (some laptops remote, on the VPN pool), then the
    /// phones.
    fn end_user_devices(&mut self, ids: &Identities) -> EndUserDevices {
        let p = self.p;
        let c = self.c;
        let mut site_devices: Vec<Vec<usize>> = vec![Vec::new(); c.sites];
        let mut primary = Vec::with_capacity(c.users);
        // Which users get a laptop (and which laptops are remote): a shuffled assignment with
        // exact counts, so the asset count is what Counts promised.
        let mut is_laptop = vec![false; c.users];
        is_laptop[..c.laptops].iter_mut().for_each(|x| *x = true);
        is_laptop.shuffle(&mut self.rng);
        let (mut n_ws, mut n_lt) = (0, 0);
        for (i, &laptop) in is_laptop.iter().enumerate() {
            let site = ids.user_site[i];
            let d = if laptop {
                n_lt += 1;
                let remote = self.chance(p.remote_share);
                let segment = if remote {
                    "vpn-pool".to_string()
                } else {
                    lan(site)
                };
                let os = if self.chance(0.15) {
                    Os::Macos
                } else {
                    Os::Windows
                };
                self.device(format!("lt-{n_lt}"), K::Laptop, &segment, os)
            } else {
                n_ws += 1;
                self.device(
                    format!("ws-{n_ws}"),
                    K::Workstation,
                    &lan(site),
                    Os::Windows,
                )
            };
            site_devices[site].push(d);
            primary.push(d);
        }
        let mut has_mobile = vec![false; c.users];
        has_mobile[..c.mobiles].iter_mut().for_each(|x| *x = true);
        has_mobile.shuffle(&mut self.rng);
        let mut mobiles = Vec::with_capacity(c.mobiles);
        for (i, _) in has_mobile.iter().enumerate().filter(|(_, m)| **m) {
            let mut a = blank(format!("mob-{}", mobiles.len() + 1), K::Mobile);
            a.os = Some(if self.chance(0.55) {
                Os::Ios
            } else {
                Os::Android
            });
            let managed = self.chance(p.managed_share);
            a.managed = Some(managed);
            a.compliant = Some(managed && self.chance(p.compliant_share));
            a.patch_lag_days = Some(self.lag(p.patch_lag_workstation_days));
            mobiles.push((self.push(a), i));
        }
        EndUserDevices {
            site_devices,
            primary,
            mobiles,
        }
    }

    /// The servers: on-prem and RDS hosts spread over the datacentres, DMZ web servers
    /// (patched half as often), cloud VMs spread over the subscriptions.
    fn servers(&mut self) -> Servers {
        let p = self.p;
        let c = self.c;
        let mut onprem = Vec::with_capacity(c.onprem_servers);
        for i in 0..c.onprem_servers {
            let j = i % c.dcenters;
            let os = self.server_os();
            onprem.push(self.device(format!("srv-{}", i + 1), K::Server, &vlan(j), os));
        }
        let mut rds = Vec::with_capacity(c.rds);
        for i in 0..c.rds {
            let d = self.device(
                format!("rds-{}", i + 1),
                K::Server,
                &vlan(i % c.dcenters),
                Os::Windows,
            );
            self.assets[d].tags = vec!["rds".into()];
            rds.push(d);
        }
        let mut dmz = Vec::with_capacity(c.dmz_servers);
        for i in 0..c.dmz_servers {
            let os = self.server_os();
            let d = self.device(format!("web-{}", i + 1), K::Server, "dmz", os);
            let lag = self.lag(2.0 * p.patch_lag_server_days);
            self.assets[d].patch_lag_days = Some(lag);
            dmz.push(d);
        }
        let mut cloud = Vec::with_capacity(c.cloud_servers);
        for i in 0..c.cloud_servers {
            let os = if self.chance(0.6) {
                Os::Linux
            } else {
                Os::Windows
            };
            cloud.push(self.device(format!("vm-{}", i + 1), K::Server, &vnet(i % c.subs), os));
        }
        Servers {
            onprem,
            rds,
            dmz,
            cloud,
        }
    }

    /// Server-side misconfigurations: RDP exposed to the internet, exploitable services.
    fn server_misconfigurations(&mut self, s: &Servers) {
        let p = self.p;
        for &d in s.onprem.iter().chain(&s.rds).chain(&s.dmz).chain(&s.cloud) {
            if self.chance(p.exposed_rdp_rate) {
                self.assets[d].exposed = vec![Protocol::Rdp];
            }
            if self.chance(p.vulnerable_server_rate) {
                self.assets[d].exploitable = Some(0.1);
            }
        }
    }

    /// Domain controllers (two per datacentre), hypervisors, cloud subscriptions, clusters.
    /// No random draws.
    fn infrastructure(&mut self) -> Infrastructure {
        let c = self.c;
        let mut dcs = Vec::with_capacity(c.dcs);
        for i in 0..c.dcs {
            let mut a = blank(format!("dc-{}", i + 1), K::DomainController);
            a.name = Some(format!(
                "Domain controller {} ({DOMAIN}, datacentre {})",
                i + 1,
                i / 2 + 1
            ));
            a.segment = Some(vlan(i / 2));
            a.domain = Some(DOMAIN.into());
            dcs.push(self.push(a));
        }
        let mut hypervisors = Vec::with_capacity(c.hypervisors);
        for i in 0..c.hypervisors {
            let mut a = blank(format!("hv-{}", i + 1), K::Hypervisor);
            a.segment = Some("mgmt".into());
            hypervisors.push(self.push(a));
        }
        let mut subs = Vec::with_capacity(c.subs);
        for i in 0..c.subs {
            let mut a = blank(format!("sub-{}", i + 1), K::CloudSubscription);
            a.name = Some(format!("Cloud subscription {}", i + 1));
            subs.push(self.push(a));
        }
        let mut clusters = Vec::with_capacity(c.clusters);
        for i in 0..c.clusters {
            let mut a = blank(format!("k8s-{}", i + 1), K::Cluster);
            a.name = Some(format!("Kubernetes cluster {}", i + 1));
            a.segment = Some(vnet(i * 2));
            clusters.push(self.push(a));
        }
        Infrastructure {
            dcs,
            hypervisors,
            subs,
            clusters,
        }
    }

    /// The identity provider, the VPN gateway, SaaS applications, the vulnerable customer
    /// portal, on-prem applications and internal APIs.
    fn applications(&mut self) -> Applications {
        let p = self.p;
        let c = self.c;
        let mut idp = blank("idp".into(), K::IdentityProvider);
        idp.name = Some("Cloud identity provider (synchronised from AD)".into());
        idp.value = Some(80.0);
        let idp = self.push(idp);
        let mut vpn = blank("vpn".into(), K::RemoteAccess);
        vpn.name = Some("SSL-VPN gateway (RADIUS to AD)".into());
        vpn.segment = Some("vpn-pool".into());
        vpn.internet_facing = Some(true);
        vpn.sso = Some(false);
        vpn.exploitable = Some(p.vpn_exploitable);
        let vpn = self.push(vpn);
        let mut saas = Vec::with_capacity(c.saas);
        let mut saas_sso = Vec::with_capacity(c.saas);
        for i in 0..c.saas {
            let label = SAAS_NAMES
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("app{}", i + 1));
            let mut a = blank(format!("saas-{label}"), K::Saas);
            a.name = Some(format!("SaaS: {label}"));
            a.internet_facing = Some(true);
            // Mail and collaboration always sit behind SSO; 90% of the rest [assumption].
            let sso = i < 2 || self.chance(0.9);
            a.sso = Some(sso);
            saas.push(self.push(a));
            saas_sso.push(sso);
        }
        let mut portal = blank("app-portal".into(), K::OnpremApp);
        portal.name = Some("Customer portal (internet-facing, known CVE)".into());
        portal.internet_facing = Some(true);
        portal.sso = Some(false);
        portal.exploitable = Some(p.portal_exploitable);
        portal.value = Some(20.0);
        let portal = self.push(portal);
        let mut onprem = Vec::with_capacity(c.onprem_apps);
        for i in 0..c.onprem_apps {
            let mut a = blank(format!("app-{}", i + 1), K::OnpremApp);
            if i == 0 {
                a.name = Some("Customer core system".into());
                a.value = Some(30.0);
            }
            a.internet_facing = Some(false);
            a.sso = Some(self.chance(0.5));
            onprem.push(self.push(a));
        }
        let mut apis = Vec::with_capacity(c.apis);
        for i in 0..c.apis {
            let mut a = blank(format!("api-{}", i + 1), K::Api);
            a.internet_facing = Some(false);
            a.sso = Some(false);
            apis.push(self.push(a));
        }
        Applications {
            idp,
            vpn,
            saas,
            saas_sso,
            portal,
            onprem,
            apis,
        }
    }

    /// The data stores: databases (the first the customer database), department and common
    /// file shares, a data and a backup bucket per subscription, department mailboxes.
    fn data_stores(&mut self) -> DataStores {
        let c = self.c;
        let mut dbs = Vec::with_capacity(c.dbs);
        for i in 0..c.dbs {
            let mut a = blank(format!("db-{}", i + 1), K::Database);
            let (sens, lo, hi) = if i == 0 {
                (Sensitivity::Restricted, 5e5, 5e6)
            } else {
                let x: f64 = self.rng.random::<f64>();
                let s = if x < 0.2 {
                    Sensitivity::Restricted
                } else if x < 0.7 {
                    Sensitivity::Confidential
                } else {
                    Sensitivity::Internal
                };
                (s, 1e3, 1e6)
            };
            a.sensitivity = Some(sens);
            a.records = Some(self.records(lo, hi));
            a.encrypted = Some(self.chance(0.4));
            if i == 0 {
                a.name = Some("Customer database (PII)".into());
                a.encrypted = Some(false);
            }
            dbs.push(self.push(a));
        }
        let mut fs_dept = Vec::with_capacity(c.depts);
        for d in DEPARTMENTS.iter().take(c.depts) {
            let mut a = blank(format!("fs-{d}"), K::FileShare);
            a.name = Some(format!("{d} share"));
            a.sensitivity = Some(if matches!(*d, "finance" | "hr" | "legal") {
                Sensitivity::Restricted
            } else {
                Sensitivity::Confidential
            });
            a.records = Some(self.records(1e4, 1e6));
            a.encrypted = Some(false);
            fs_dept.push(self.push(a));
        }
        let mut fs_common = blank("fs-common".into(), K::FileShare);
        fs_common.name = Some("Common share (everyone read/write)".into());
        fs_common.sensitivity = Some(Sensitivity::Internal);
        fs_common.records = Some(self.records(1e5, 2e6));
        fs_common.encrypted = Some(false);
        let fs_common = self.push(fs_common);
        let mut buckets = Vec::with_capacity(c.buckets);
        for i in 0..c.subs {
            for (what, sens) in [
                ("data", Sensitivity::Confidential),
                ("backup", Sensitivity::Restricted),
            ] {
                let mut a = blank(format!("bkt-{}-{what}", i + 1), K::Bucket);
                a.sensitivity = Some(sens);
                a.records = Some(self.records(1e4, 5e6));
                a.encrypted = Some(self.chance(0.5));
                if i == 0 && what == "backup" {
                    a.name = Some("Nightly export of the customer database".into());
                    a.encrypted = Some(false);
                }
                buckets.push(self.push(a));
            }
        }
        let mut mailboxes = Vec::with_capacity(c.depts);
        for d in DEPARTMENTS.iter().take(c.depts) {
            let mut a = blank(format!("mbx-{d}"), K::Mailbox);
            a.name = Some(format!("{d} mailboxes"));
            a.sensitivity = Some(Sensitivity::Confidential);
            a.records = Some(self.records(1e4, 1e6));
            a.encrypted = Some(false);
            mailboxes.push(self.push(a));
        }
        DataStores {
            dbs,
            fs_dept,
            fs_common,
            buckets,
            mailboxes,
        }
    }

    /// Crown jewels: the customer database, its cloud export, the finance share (as many as
    /// the parameters ask for, at most three).
    fn crown_jewels(&mut self, data: &DataStores) {
        let jewels = [data.dbs[0], data.buckets[1], data.fs_dept[0]];
        for (n, &j) in jewels.iter().enumerate().take(self.p.crown_jewels.min(3)) {
            let a = &mut self.assets[j];
            a.crown_jewel = true;
            a.value = Some([800.0, 600.0, 300.0][n]);
        }
    }

    /// Group nesting (org units in departments, departments in all staff), admins in their
    /// groups, users in their org unit, backup and SCCM accounts in the admin groups.
    fn group_memberships(&mut self, e: &Estate) {
        let (g, ids) = (&e.groups, &e.ids);
        for k in 0..self.c.sites {
            if self.c.sites > 1 {
                for d in 0..self.c.depts {
                    self.rel(R::MemberOf, g.ou[k][d], g.dept[d]);
                }
                self.rel(R::MemberOf, g.helpdesk, g.helpdesk_site[k]);
            }
        }
        for &d in &g.dept {
            self.rel(R::MemberOf, d, g.all);
        }
        for (i, &a) in ids.tier0.iter().enumerate() {
            if i > 0 {
                self.rel(R::MemberOf, a, g.domain_admins);
            }
            // The break-glass account and every other synchronised DA are Global Admins too.
            if i % 2 == 0 {
                self.rel(R::MemberOf, a, g.global_admins);
            }
        }
        for (i, &a) in ids.tier1.iter().enumerate() {
            self.rel(R::MemberOf, a, g.server_admins);
            if i % 3 == 0 {
                self.rel(R::MemberOf, a, g.cloud_ops);
            }
            self.rel(R::MemberOf, a, g.vpn);
        }
        for (i, &a) in ids.helpdesk.iter().enumerate() {
            let hd = match ids.helpdesk_site[i] {
                Some(s) => g.helpdesk_site[s],
                None => g.helpdesk,
            };
            self.rel(R::MemberOf, a, hd);
            self.rel(R::MemberOf, a, g.vpn);
        }
        for (i, &u) in ids.users.iter().enumerate() {
            self.rel(R::MemberOf, u, g.ou[ids.user_site[i]][ids.user_dept[i]]);
        }
        self.rel(R::MemberOf, ids.svc[0], g.server_admins);
        self.rel(R::MemberOf, ids.svc[1], g.helpdesk);
    }

    /// Every user's sessions on their own devices (laptop users join the VPN group), and
    /// some users on the RDS farm.
    fn own_device_sessions(&mut self, e: &Estate) {
        let p = self.p;
        let (ids, primary) = (&e.ids, &e.devices.primary);
        for (i, &u) in ids.users.iter().enumerate() {
            self.rel(R::HasSession, primary[i], u);
            if self.assets[primary[i]].kind == K::Laptop {
                self.rel(R::MemberOf, u, e.groups.vpn);
            }
        }
        for &(m, i) in &e.devices.mobiles {
            self.rel(R::HasSession, m, ids.users[i]);
        }
        if let Some(g) = e.groups.rds {
            for &h in &e.servers.rds {
                self.rel(R::CanRdp, g, h);
            }
            for &u in &ids.users {
                if self.chance(p.rds_share) {
                    self.rel(R::MemberOf, u, g);
                    let h = self.pick(&e.servers.rds);
                    self.rel(R::HasSession, h, u);
                }
            }
        }
    }

    /// Roaming sessions, heavy-tailed: helpdesk and admins (tier-0 only when they leak),
    /// then the backup and SCCM service accounts.
    fn roaming_sessions(&mut self, e: &Estate, pools: &Pools) {
        let ids = &e.ids;
        let mut people = Vec::new();
        for (i, &a) in ids.helpdesk.iter().enumerate() {
            let pool = match ids.helpdesk_site[i] {
                Some(s) => Pool::Site(s),
                None => Pool::EndUser,
            };
            people.push(Roamer { account: a, pool });
        }
        for &a in &ids.tier1 {
            people.push(Roamer {
                account: a,
                pool: Pool::Servers,
            });
        }
        for &a in ids.tier0.iter().skip(1) {
            if self.chance(self.p.tier0_leak_rate) {
                people.push(Roamer {
                    account: a,
                    pool: Pool::Anywhere,
                });
            }
        }
        self.roam(&people, pools);
        let machines = [
            Roamer {
                account: ids.svc[0],
                pool: Pool::Servers,
            },
            Roamer {
                account: ids.svc[1],
                pool: Pool::EndUser,
            },
        ];
        self.roam(&machines, pools);
    }

    /// Domain admins sign in on the domain controllers (as they should).
    fn domain_admin_sessions(&mut self, e: &Estate) {
        let dcs = &e.infra.dcs;
        for (i, &a) in e.ids.tier0.iter().enumerate().skip(1) {
            let dc = dcs[i % dcs.len()];
            self.rel(R::HasSession, dc, a);
        }
    }

    /// Server roles: the directory sync server and its rights, databases on the SQL servers,
    /// shares on the file servers, buckets in their subscriptions, mailboxes in the mail SaaS.
    fn server_roles(&mut self, e: &Estate) {
        let (roles, svc, data) = (&e.roles, &e.ids.svc, &e.data);
        self.rel(R::HasSession, roles.sync, svc[2]);
        self.rel(R::AdminTo, svc[2], e.infra.dcs[0]);
        self.rel(R::AdminTo, e.groups.domain_admins, roles.sync);
        for (i, &db) in data.dbs.iter().enumerate() {
            self.rel(R::HostedOn, db, roles.sql[i / DBS_PER_SQL_SERVER]);
        }
        for (d, &f) in data.fs_dept.iter().enumerate() {
            self.rel(R::HostedOn, f, roles.file[d % roles.file.len()]);
        }
        self.rel(R::HostedOn, data.fs_common, roles.file[0]);
        for (i, &bk) in data.buckets.iter().enumerate() {
            self.rel(R::HostedOn, bk, e.infra.subs[i / 2]);
        }
        let mail = e.apps.saas[0];
        for &m in &data.mailboxes {
            self.rel(R::HostedOn, m, mail);
            self.rel(R::Reads, mail, m);
        }
    }

    /// Privileged rights: the admin groups over what they administer, helpdesk over their
    /// sites' devices, some users local admin on their own device, stale admin rights.
    fn privileged_rights(&mut self, e: &Estate, pools: &Pools) {
        let p = self.p;
        let (g, s, infra) = (&e.groups, &e.servers, &e.infra);
        for &dc in &infra.dcs {
            self.rel(R::AdminTo, g.domain_admins, dc);
        }
        for &h in &infra.hypervisors {
            self.rel(R::AdminTo, g.domain_admins, h);
            self.rel(R::AdminTo, g.server_admins, h);
        }
        for &srv in s.onprem.iter().chain(&s.rds).chain(&s.dmz) {
            self.rel(R::AdminTo, g.server_admins, srv);
        }
        for &x in infra.subs.iter().chain(&infra.clusters) {
            self.rel(R::AdminTo, g.cloud_ops, x);
        }
        for (k, devs) in pools.site_devices.iter().enumerate() {
            for &d in devs {
                self.rel(R::AdminTo, g.helpdesk_site[k], d);
            }
        }
        for (i, &u) in e.ids.users.iter().enumerate() {
            if self.chance(p.local_admin_user_rate) {
                self.rel(R::AdminTo, u, e.devices.primary[i]);
            }
        }
        // Stale admin rights: an admin_to from a random user to a random device.
        let stale = round(self.c.users as f64 * p.stale_admin_rate);
        for _ in 0..stale {
            let u = self.pick(&e.ids.users);
            let d = self.pick(&pools.anywhere);
            self.rel(R::AdminTo, u, d);
        }
    }

    /// Hosting: on-prem VMs and DCs on the hypervisors, cloud VMs and clusters in the
    /// subscriptions (clusters trusting the identity provider).
    fn virtual_hosting(&mut self, e: &Estate) {
        let (s, infra) = (&e.servers, &e.infra);
        let hvs = &infra.hypervisors;
        if !hvs.is_empty() {
            for (i, &srv) in s.onprem.iter().take(self.c.vms).enumerate() {
                self.rel(R::HostedOn, srv, hvs[i % hvs.len()]);
            }
            for (i, &dc) in infra.dcs.iter().enumerate() {
                self.rel(R::HostedOn, dc, hvs[i % hvs.len()]);
            }
        }
        for (i, &v) in s.cloud.iter().enumerate() {
            self.rel(R::HostedOn, v, infra.subs[i % infra.subs.len()]);
        }
        for (i, &k) in infra.clusters.iter().enumerate() {
            self.rel(R::HostedOn, k, infra.subs[i * 2]);
            self.rel(R::Trusts, k, e.apps.idp);
        }
    }

    /// Trust: the identity provider and the VPN authenticate against AD; the subscriptions
    /// trust the IdP; Global Admins administer it, VPN users use the VPN.
    fn identity_trust(&mut self, e: &Estate) {
        let (apps, dc) = (&e.apps, e.infra.dcs[0]);
        self.rel(R::Trusts, apps.idp, dc);
        self.rel(R::Trusts, apps.vpn, dc);
        for &s in &e.infra.subs {
            self.rel(R::Trusts, s, apps.idp);
        }
        self.role(e.groups.global_admins, apps.idp, AppRole::Admin);
        self.role(e.groups.vpn, apps.vpn, AppRole::User);
    }

    /// SaaS: mail and collaboration for everyone; the rest for one or two departments, an
    /// ordinary user as the application's admin; guests on a few.
    fn saas_access(&mut self, e: &Estate) {
        let (apps, g) = (&e.apps, &e.groups);
        for (i, &s) in apps.saas.iter().enumerate() {
            if apps.saas_sso[i] {
                self.rel(R::Trusts, s, apps.idp);
            }
            if i < 2 {
                self.role(g.all, s, AppRole::User);
            } else {
                let d = self.rng.random_range(0..self.c.depts);
                self.role(g.dept[d], s, AppRole::User);
                if self.chance(0.5) {
                    let d2 = self.rng.random_range(0..self.c.depts);
                    if d2 != d {
                        self.role(g.dept[d2], s, AppRole::User);
                    }
                }
            }
            let owner = self.pick(&e.ids.users);
            self.role(owner, s, AppRole::Admin);
        }
        for &guest in &e.ids.guests {
            let s = self.pick(&apps.saas);
            self.role(guest, s, AppRole::User);
        }
    }

    /// On-prem applications, each with its database, host and service account; the portal
    /// on the first DMZ server over the customer database; the APIs on the clusters (or on
    /// servers); the service accounts left over each on a random server.
    fn onprem_app_relations(&mut self, e: &Estate, pools: &Pools) {
        let c = self.c;
        let (apps, dbs, s) = (&e.apps, &e.data.dbs, &e.servers);
        let clusters = &e.infra.clusters;
        let app_base = e.roles.app_base;
        let generic_svc: Vec<usize> = e.ids.svc.iter().skip(3).copied().collect();
        for (i, &a) in apps.onprem.iter().enumerate() {
            let host = s.role(app_base + i);
            self.rel(R::HostedOn, a, host);
            let d = if i == 0 {
                0
            } else {
                self.rng.random_range(0..c.depts)
            };
            self.role(e.groups.dept[d], a, AppRole::User);
            let admin = self.pick(&e.ids.tier1);
            self.role(admin, a, AppRole::Admin);
            self.rel(R::Reads, a, dbs[i]);
            self.rel(R::Writes, a, dbs[i]);
            if !generic_svc.is_empty() {
                let sa = generic_svc[i % generic_svc.len()];
                self.rel(R::HasSession, host, sa);
                self.rel(R::AdminTo, sa, host);
                self.rel(R::Reads, sa, dbs[i]);
            }
        }
        self.rel(R::HostedOn, apps.portal, s.dmz[0]);
        self.rel(R::Reads, apps.portal, dbs[0]);
        self.rel(R::Writes, apps.portal, dbs[0]);
        for (i, &a) in apps.apis.iter().enumerate() {
            let host = if clusters.is_empty() {
                s.role(app_base + c.onprem_apps + i)
            } else {
                clusters[i % clusters.len()]
            };
            self.rel(R::HostedOn, a, host);
            let db = dbs[c.onprem_apps + i];
            self.rel(R::Reads, a, db);
            self.rel(R::Writes, a, db);
            if !generic_svc.is_empty() {
                let sa = generic_svc[(c.onprem_apps + i) % generic_svc.len()];
                self.role(sa, a, AppRole::User);
            }
        }
        // Remaining service accounts run on a random server each.
        for &sa in generic_svc.iter().skip(c.onprem_apps + c.apis) {
            let host = self.pick(&pools.servers);
            self.rel(R::HasSession, host, sa);
            self.rel(R::AdminTo, sa, host);
        }
    }

    /// Data access: departments read and write their share and read their mailboxes,
    /// everyone the common share; the backup account reads every database and share and
    /// writes the backup buckets; Cloud Ops reads every bucket.
    fn data_access(&mut self, e: &Estate) {
        let (g, data, backup) = (&e.groups, &e.data, e.ids.svc[0]);
        for (d, &dept) in g.dept.iter().enumerate() {
            self.rel(R::Reads, dept, data.fs_dept[d]);
            self.rel(R::Writes, dept, data.fs_dept[d]);
            self.rel(R::Reads, dept, data.mailboxes[d]);
        }
        self.rel(R::Reads, g.all, data.fs_common);
        self.rel(R::Writes, g.all, data.fs_common);
        for &d in data
            .dbs
            .iter()
            .chain(&data.fs_dept)
            .chain(std::iter::once(&data.fs_common))
        {
            self.rel(R::Reads, backup, d);
        }
        for (i, &bk) in data.buckets.iter().enumerate() {
            if i % 2 == 1 {
                self.rel(R::Writes, backup, bk);
            }
            self.rel(R::Reads, g.cloud_ops, bk);
        }
    }
}

/// The control sets offered with a generated estate, through serde like a scenario file
/// would write them.
fn control_sets() -> Vec<ControlSetDef> {
    let edr = serde_json::json!({"id": "C14", "coverage": 0.8,
        "scope": {"kinds": ["workstation", "laptop", "server"]}});
    serde_json::from_value(serde_json::json!([
        {"name": "mfa", "description": "MFA (push, OTP, SMS) on every identity",
         "controls": ["C01"]},
        {"name": "edr",
         "description": "EDR with automated isolation on 80% of workstations, laptops and servers",
         "controls": [edr]},
        {"name": "hygiene", "description": "LAPS and Credential Guard everywhere",
         "controls": ["C15", "C16"]},
        {"name": "zt-initial", "description": "MFA, EDR and hygiene together",
         "extends": "hygiene", "controls": ["C01", edr]},
    ]))
    .expect("the generator's control sets are well-formed")
}

/// The scenario's description: the seed, the counts, and the knobs changed.
fn description(p: &GeneratorParams, c: &Counts) -> String {
    format!(
        "Generated by `ztsim generate` (seed {}, target {} assets): {} users at {} site(s) in {} \
         departments, {} tier-0 / {} tier-1 admins, {} helpdesk, {} service accounts, {} servers \
         ({} on-prem, {} DMZ, {} cloud), {} SaaS and {} on-prem apps. One AD domain ({DOMAIN}) \
         synchronised to a cloud identity provider, a VPN, a vulnerable DMZ portal, and the \
         usual misconfigurations (stale admin rights, shared local admin passwords, exposed \
         RDP, weak service account passwords).{}",
        p.seed,
        p.assets,
        c.users,
        c.sites,
        c.depts,
        c.tier0,
        c.tier1,
        c.helpdesk,
        c.svc,
        c.onprem_servers + c.rds + c.dmz_servers + c.cloud_servers,
        c.onprem_servers + c.rds,
        c.dmz_servers,
        c.cloud_servers,
        c.saas,
        c.onprem_apps,
        match p.changed() {
            v if v.is_empty() => String::new(),
            v => format!(" Knobs changed from their defaults: {}.", v.join(", ")),
        },
    )
}

/// The scenario around the estate: name, description, attacker, control sets, simulation.
fn scenario(
    p: &GeneratorParams,
    c: &Counts,
    segments: Vec<SegmentDef>,
    reachability: Vec<ReachDef>,
    assets: Vec<AssetDef>,
    relations: Vec<RelationDef>,
) -> Scenario {
    let control_sets = control_sets();
    let mut scenario = Scenario {
        name: format!("generated-{}", p.seed),
        description: description(p, c),
        ..Default::default()
    };
    // Field by field, so that fields added to the scenario format later keep their defaults.
    scenario.segments = segments;
    scenario.reachability = reachability;
    scenario.assets = assets;
    scenario.relations = relations;
    scenario.attacker.profile = Some("opportunistic".into());
    scenario.attacker.entry = Some(EntryVector::ALL.to_vec());
    scenario.control_sets = control_sets;
    scenario.defender.manual_response_hours = Some(p.manual_response_hours);
    scenario.simulation.trials = 1000;
    scenario.simulation.horizon_hours = 720.0;
    scenario.simulation.seed = p.seed;
    scenario
}
