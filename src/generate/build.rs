//! Building the estate: counts first (a pure function of the parameters and the number of
//! users, so the number of users can be solved for a target asset count), then segments,
//! identities, devices, infrastructure, applications, data and relations, every random draw
//! from one ChaCha8 stream in a fixed order.

use super::params::GeneratorParams;
use crate::controls::ControlSetDef;
use crate::model::{AppRole, AssetKind, MfaStrength, Os, Protocol, RelationKind, Sensitivity};
use crate::scenario::{AssetDef, EntryVector, ReachDef, RelationDef, Scenario, SegmentDef};
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
#[derive(Clone, Debug, Default)]
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

struct Builder<'a> {
    p: &'a GeneratorParams,
    rng: ChaCha8Rng,
    assets: Vec<AssetDef>,
    relations: Vec<RelationDef>,
    /// A relation with every optional field unset (see [`blank_template`]).
    relation_template: RelationDef,
}

impl Builder<'_> {
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
                Pool::EndUser => &pools.end_user,
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

struct Pools {
    site_devices: Vec<Vec<usize>>,
    end_user: Vec<usize>,
    servers: Vec<usize>,
    anywhere: Vec<usize>,
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

pub(crate) fn build(p: &GeneratorParams) -> Scenario {
    use AssetKind as K;
    use Protocol::*;
    use RelationKind as R;
    let c = Counts::for_target(p);
    let mut b = Builder {
        p,
        rng: ChaCha8Rng::seed_from_u64(p.seed),
        assets: Vec::with_capacity(c.total()),
        relations: Vec::with_capacity(c.total() * 3),
        relation_template: serde_json::from_value(
            serde_json::json!({"type": "member_of", "from": "", "to": ""}),
        )
        .expect("a type, from and to make a relation"),
    };

    // ------------------------------------------------------------------ segments
    let vlan = |j: usize| format!("vlan-srv-{}", j + 1);
    let lan = |k: usize| format!("lan-{}", k + 1);
    let vnet = |i: usize| format!("vnet-{}", i + 1);
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

    // ------------------------------------------------------------------ groups
    let g_all = b.group("g-all-staff", "All staff (Domain Users)".into());
    let g_da = b.group("g-domain-admins", "Domain Admins".into());
    let g_ga = b.group(
        "g-global-admins",
        "Global Administrators (cloud directory role)".into(),
    );
    let g_srv = b.group(
        "g-server-admins",
        "Server Admins (local admin on every on-prem server)".into(),
    );
    let g_hd = b.group(
        "g-helpdesk",
        "Workstation Admins (helpdesk, all sites)".into(),
    );
    let g_cloud = b.group(
        "g-cloud-ops",
        "Cloud Ops (Owner on the subscriptions)".into(),
    );
    let g_vpn = b.group("g-vpn-users", "VPN users".into());
    let g_rds =
        (c.rds > 0).then(|| b.group("g-rds-users", "Remote Desktop Users (RDS farm)".into()));
    let mut g_dept = Vec::with_capacity(c.depts);
    for d in DEPARTMENTS.iter().take(c.depts) {
        g_dept.push(b.group(&format!("g-{d}"), format!("Department: {d}")));
    }
    // Org units per site and department (nested in the department), and per-site helpdesk.
    let mut g_ou: Vec<Vec<usize>> = Vec::new();
    let mut g_hd_site: Vec<usize> = Vec::new();
    if c.sites > 1 {
        for k in 0..c.sites {
            let mut row = Vec::with_capacity(c.depts);
            for d in DEPARTMENTS.iter().take(c.depts) {
                row.push(b.group(
                    &format!("g-{d}-s{}", k + 1),
                    format!("OU {d}, site {}", k + 1),
                ));
            }
            g_ou.push(row);
            g_hd_site.push(b.group(
                &format!("g-helpdesk-s{}", k + 1),
                format!("Workstation Admins, site {}", k + 1),
            ));
        }
    } else {
        g_ou.push(g_dept.clone());
        g_hd_site.push(g_hd);
    }

    // ------------------------------------------------------------------ identities
    let mut tier0 = Vec::with_capacity(c.tier0);
    for i in 0..c.tier0 {
        let mfa = if b.chance(p.admin_phishing_resistant_share) {
            MfaStrength::PhishingResistant
        } else {
            MfaStrength::Push
        };
        let a = b.human(format!("adm-t0-{}", i + 1), K::Admin, 0, mfa);
        if i == 0 {
            // The break-glass account: cloud-only, FIDO2.
            let x = &mut b.assets[a];
            x.domain = None;
            x.mfa = Some(MfaStrength::PhishingResistant);
            x.name = Some("Break-glass Global Admin (cloud-only)".into());
        }
        tier0.push(a);
    }
    let mut tier1 = Vec::with_capacity(c.tier1);
    for i in 0..c.tier1 {
        let mfa = if b.chance(0.3) {
            MfaStrength::Sms
        } else {
            MfaStrength::Push
        };
        tier1.push(b.human(format!("adm-t1-{}", i + 1), K::Admin, 1, mfa));
    }
    let site_cum = cumulate((0..c.sites).map(|k| 1.0 / (k as f64 + 1.0)));
    let dept_cum = cumulate(DEPT_WEIGHTS.iter().take(c.depts).copied());
    let mut helpdesk = Vec::with_capacity(c.helpdesk);
    let mut helpdesk_site = Vec::with_capacity(c.helpdesk);
    for i in 0..c.helpdesk {
        let mfa = if b.chance(p.mfa_share) {
            MfaStrength::Push
        } else {
            MfaStrength::None
        };
        let a = b.human(format!("hd-{}", i + 1), K::Admin, 2, mfa);
        b.assets[a].tags = vec!["helpdesk".into()];
        // The first helpdesk account of each five works for every site.
        let site = if i % 5 == 0 || c.sites == 1 {
            None
        } else {
            Some(weighted(&mut b.rng, &site_cum))
        };
        helpdesk.push(a);
        helpdesk_site.push(site);
    }
    let mut users = Vec::with_capacity(c.users);
    let mut user_site = Vec::with_capacity(c.users);
    let mut user_dept = Vec::with_capacity(c.users);
    for i in 0..c.users {
        let mfa = b.user_mfa();
        let a = b.human(format!("u-{}", i + 1), K::User, 2, mfa);
        if b.chance(p.weak_user_password_rate) {
            b.assets[a].weak_password = Some(true);
        }
        users.push(a);
        user_site.push(weighted(&mut b.rng, &site_cum));
        user_dept.push(weighted(&mut b.rng, &dept_cum));
    }
    let mut guests = Vec::with_capacity(c.guests);
    for i in 0..c.guests {
        let mut a = blank(format!("guest-{}", i + 1), K::Guest);
        a.tier = Some(2);
        a.mfa = Some(MfaStrength::None);
        a.trained = Some(false);
        guests.push(b.push(a));
    }
    let mut svc = Vec::with_capacity(c.svc);
    for i in 0..c.svc {
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
        let weak = i >= 3 && b.chance(p.weak_service_password_rate)
            || i < 3 && b.chance(p.weak_service_password_rate / 3.0);
        a.weak_password = Some(weak);
        svc.push(b.push(a));
    }

    // ------------------------------------------------------------------ end-user devices
    let mut site_devices: Vec<Vec<usize>> = vec![Vec::new(); c.sites];
    let mut primary = Vec::with_capacity(c.users);
    // Which users get a laptop (and which laptops are remote): a shuffled assignment with
    // exact counts, so the asset count is what Counts promised.
    let mut is_laptop = vec![false; c.users];
    is_laptop[..c.laptops].iter_mut().for_each(|x| *x = true);
    is_laptop.shuffle(&mut b.rng);
    let (mut n_ws, mut n_lt) = (0, 0);
    for (i, &laptop) in is_laptop.iter().enumerate() {
        let site = user_site[i];
        let d = if laptop {
            n_lt += 1;
            let remote = b.chance(p.remote_share);
            let segment = if remote {
                "vpn-pool".to_string()
            } else {
                lan(site)
            };
            let os = if b.chance(0.15) {
                Os::Macos
            } else {
                Os::Windows
            };
            b.device(format!("lt-{n_lt}"), K::Laptop, &segment, os)
        } else {
            n_ws += 1;
            b.device(
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
    has_mobile.shuffle(&mut b.rng);
    let mut mobiles = Vec::with_capacity(c.mobiles);
    for (i, _) in has_mobile.iter().enumerate().filter(|(_, m)| **m) {
        let mut a = blank(format!("mob-{}", mobiles.len() + 1), K::Mobile);
        a.os = Some(if b.chance(0.55) { Os::Ios } else { Os::Android });
        let managed = b.chance(p.managed_share);
        a.managed = Some(managed);
        a.compliant = Some(managed && b.chance(p.compliant_share));
        a.patch_lag_days = Some(b.lag(p.patch_lag_workstation_days));
        mobiles.push((b.push(a), i));
    }

    // ------------------------------------------------------------------ servers
    let mut onprem = Vec::with_capacity(c.onprem_servers);
    let mut onprem_dc = Vec::with_capacity(c.onprem_servers);
    for i in 0..c.onprem_servers {
        let j = i % c.dcenters;
        let os = b.server_os();
        onprem.push(b.device(format!("srv-{}", i + 1), K::Server, &vlan(j), os));
        onprem_dc.push(j);
    }
    let mut rds = Vec::with_capacity(c.rds);
    for i in 0..c.rds {
        let d = b.device(
            format!("rds-{}", i + 1),
            K::Server,
            &vlan(i % c.dcenters),
            Os::Windows,
        );
        b.assets[d].tags = vec!["rds".into()];
        rds.push(d);
    }
    let mut dmz = Vec::with_capacity(c.dmz_servers);
    for i in 0..c.dmz_servers {
        let os = b.server_os();
        let d = b.device(format!("web-{}", i + 1), K::Server, "dmz", os);
        let lag = b.lag(2.0 * p.patch_lag_server_days);
        b.assets[d].patch_lag_days = Some(lag);
        dmz.push(d);
    }
    let mut cloud = Vec::with_capacity(c.cloud_servers);
    for i in 0..c.cloud_servers {
        let os = if b.chance(0.6) {
            Os::Linux
        } else {
            Os::Windows
        };
        cloud.push(b.device(format!("vm-{}", i + 1), K::Server, &vnet(i % c.subs), os));
    }
    // Server-side misconfigurations.
    for &d in onprem.iter().chain(&rds).chain(&dmz).chain(&cloud) {
        if b.chance(p.exposed_rdp_rate) {
            b.assets[d].exposed = vec![Rdp];
        }
        if b.chance(p.vulnerable_server_rate) {
            b.assets[d].exploitable = Some(0.1);
        }
    }

    // ------------------------------------------------------------------ infrastructure
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
        dcs.push(b.push(a));
    }
    let mut hvs = Vec::with_capacity(c.hypervisors);
    for i in 0..c.hypervisors {
        let mut a = blank(format!("hv-{}", i + 1), K::Hypervisor);
        a.segment = Some("mgmt".into());
        hvs.push(b.push(a));
    }
    let mut subs = Vec::with_capacity(c.subs);
    for i in 0..c.subs {
        let mut a = blank(format!("sub-{}", i + 1), K::CloudSubscription);
        a.name = Some(format!("Cloud subscription {}", i + 1));
        subs.push(b.push(a));
    }
    let mut clusters = Vec::with_capacity(c.clusters);
    for i in 0..c.clusters {
        let mut a = blank(format!("k8s-{}", i + 1), K::Cluster);
        a.name = Some(format!("Kubernetes cluster {}", i + 1));
        a.segment = Some(vnet(i * 2));
        clusters.push(b.push(a));
    }

    // ------------------------------------------------------------------ applications
    let mut idp = blank("idp".into(), K::IdentityProvider);
    idp.name = Some("Cloud identity provider (synchronised from AD)".into());
    idp.value = Some(80.0);
    let idp = b.push(idp);
    let mut vpn = blank("vpn".into(), K::RemoteAccess);
    vpn.name = Some("SSL-VPN gateway (RADIUS to AD)".into());
    vpn.segment = Some("vpn-pool".into());
    vpn.internet_facing = Some(true);
    vpn.sso = Some(false);
    vpn.exploitable = Some(p.vpn_exploitable);
    let vpn = b.push(vpn);
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
        let sso = i < 2 || b.chance(0.9);
        a.sso = Some(sso);
        saas.push(b.push(a));
        saas_sso.push(sso);
    }
    let mut portal = blank("app-portal".into(), K::OnpremApp);
    portal.name = Some("Customer portal (internet-facing, known CVE)".into());
    portal.internet_facing = Some(true);
    portal.sso = Some(false);
    portal.exploitable = Some(p.portal_exploitable);
    portal.value = Some(20.0);
    let portal = b.push(portal);
    let mut apps = Vec::with_capacity(c.onprem_apps);
    for i in 0..c.onprem_apps {
        let mut a = blank(format!("app-{}", i + 1), K::OnpremApp);
        if i == 0 {
            a.name = Some("Customer core system".into());
            a.value = Some(30.0);
        }
        a.internet_facing = Some(false);
        a.sso = Some(b.chance(0.5));
        apps.push(b.push(a));
    }
    let mut apis = Vec::with_capacity(c.apis);
    for i in 0..c.apis {
        let mut a = blank(format!("api-{}", i + 1), K::Api);
        a.internet_facing = Some(false);
        a.sso = Some(false);
        apis.push(b.push(a));
    }

    // ------------------------------------------------------------------ data
    let mut dbs = Vec::with_capacity(c.dbs);
    for i in 0..c.dbs {
        let mut a = blank(format!("db-{}", i + 1), K::Database);
        let (sens, lo, hi) = if i == 0 {
            (Sensitivity::Restricted, 5e5, 5e6)
        } else {
            let x: f64 = b.rng.random::<f64>();
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
        a.records = Some(b.records(lo, hi));
        a.encrypted = Some(b.chance(0.4));
        if i == 0 {
            a.name = Some("Customer database (PII)".into());
            a.encrypted = Some(false);
        }
        dbs.push(b.push(a));
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
        a.records = Some(b.records(1e4, 1e6));
        a.encrypted = Some(false);
        fs_dept.push(b.push(a));
    }
    let mut fs_common = blank("fs-common".into(), K::FileShare);
    fs_common.name = Some("Common share (everyone read/write)".into());
    fs_common.sensitivity = Some(Sensitivity::Internal);
    fs_common.records = Some(b.records(1e5, 2e6));
    fs_common.encrypted = Some(false);
    let fs_common = b.push(fs_common);
    let mut buckets = Vec::with_capacity(c.buckets);
    for i in 0..c.subs {
        for (what, sens) in [
            ("data", Sensitivity::Confidential),
            ("backup", Sensitivity::Restricted),
        ] {
            let mut a = blank(format!("bkt-{}-{what}", i + 1), K::Bucket);
            a.sensitivity = Some(sens);
            a.records = Some(b.records(1e4, 5e6));
            a.encrypted = Some(b.chance(0.5));
            if i == 0 && what == "backup" {
                a.name = Some("Nightly export of the customer database".into());
                a.encrypted = Some(false);
            }
            buckets.push(b.push(a));
        }
    }
    let mut mbx = Vec::with_capacity(c.depts);
    for d in DEPARTMENTS.iter().take(c.depts) {
        let mut a = blank(format!("mbx-{d}"), K::Mailbox);
        a.name = Some(format!("{d} mailboxes"));
        a.sensitivity = Some(Sensitivity::Confidential);
        a.records = Some(b.records(1e4, 1e6));
        a.encrypted = Some(false);
        mbx.push(b.push(a));
    }
    // Crown jewels: the customer database, its cloud export, the finance share.
    let jewels = [dbs[0], buckets[1], fs_dept[0]];
    for (n, &j) in jewels.iter().enumerate().take(p.crown_jewels.min(3)) {
        let a = &mut b.assets[j];
        a.crown_jewel = true;
        a.value = Some([800.0, 600.0, 300.0][n]);
    }
    debug_assert_eq!(b.assets.len(), c.total(), "counts promised {}", c.total());

    // ------------------------------------------------------------------ relations
    // Group nesting.
    for k in 0..c.sites {
        if c.sites > 1 {
            for d in 0..c.depts {
                b.rel(R::MemberOf, g_ou[k][d], g_dept[d]);
            }
            b.rel(R::MemberOf, g_hd, g_hd_site[k]);
        }
    }
    for &g in &g_dept {
        b.rel(R::MemberOf, g, g_all);
    }
    // Admins.
    for (i, &a) in tier0.iter().enumerate() {
        if i > 0 {
            b.rel(R::MemberOf, a, g_da);
        }
        // The break-glass account and every other synchronised DA are Global Admins too.
        if i % 2 == 0 {
            b.rel(R::MemberOf, a, g_ga);
        }
    }
    for (i, &a) in tier1.iter().enumerate() {
        b.rel(R::MemberOf, a, g_srv);
        if i % 3 == 0 {
            b.rel(R::MemberOf, a, g_cloud);
        }
        b.rel(R::MemberOf, a, g_vpn);
    }
    for (i, &a) in helpdesk.iter().enumerate() {
        let g = match helpdesk_site[i] {
            Some(s) => g_hd_site[s],
            None => g_hd,
        };
        b.rel(R::MemberOf, a, g);
        b.rel(R::MemberOf, a, g_vpn);
    }
    for (i, &u) in users.iter().enumerate() {
        b.rel(R::MemberOf, u, g_ou[user_site[i]][user_dept[i]]);
    }
    b.rel(R::MemberOf, svc[0], g_srv);
    b.rel(R::MemberOf, svc[1], g_hd);

    // Sessions: every user on their own devices.
    for (i, &u) in users.iter().enumerate() {
        b.rel(R::HasSession, primary[i], u);
        if b.assets[primary[i]].kind == K::Laptop {
            b.rel(R::MemberOf, u, g_vpn);
        }
    }
    for &(m, i) in &mobiles {
        b.rel(R::HasSession, m, users[i]);
    }
    if let Some(g) = g_rds {
        for &h in &rds {
            b.rel(R::CanRdp, g, h);
        }
        for &u in &users {
            if b.chance(p.rds_share) {
                b.rel(R::MemberOf, u, g);
                let h = b.pick(&rds);
                b.rel(R::HasSession, h, u);
            }
        }
    }
    // Roaming sessions, heavy-tailed: helpdesk and admins, then service accounts.
    let servers_all: Vec<usize> = onprem.iter().chain(&rds).chain(&dmz).copied().collect();
    let end_user: Vec<usize> = primary.clone();
    let pools = Pools {
        anywhere: servers_all.iter().chain(&end_user).copied().collect(),
        site_devices,
        end_user,
        servers: servers_all.clone(),
    };
    let mut people = Vec::new();
    for (i, &a) in helpdesk.iter().enumerate() {
        let pool = match helpdesk_site[i] {
            Some(s) => Pool::Site(s),
            None => Pool::EndUser,
        };
        people.push(Roamer { account: a, pool });
    }
    for &a in &tier1 {
        people.push(Roamer {
            account: a,
            pool: Pool::Servers,
        });
    }
    for &a in tier0.iter().skip(1) {
        if b.chance(p.tier0_leak_rate) {
            people.push(Roamer {
                account: a,
                pool: Pool::Anywhere,
            });
        }
    }
    b.roam(&people, &pools);
    let machines = [
        Roamer {
            account: svc[0],
            pool: Pool::Servers,
        },
        Roamer {
            account: svc[1],
            pool: Pool::EndUser,
        },
    ];
    b.roam(&machines, &pools);
    // Domain admins sign in on the domain controllers (as they should).
    for (i, &a) in tier0.iter().enumerate().skip(1) {
        let dc = dcs[i % dcs.len()];
        b.rel(R::HasSession, dc, a);
    }

    // Server roles: the directory sync server, SQL servers, file servers, app servers.
    let role = |i: usize| onprem[i % onprem.len()];
    let sync_server = role(0);
    b.rel(R::HasSession, sync_server, svc[2]);
    b.rel(R::AdminTo, svc[2], dcs[0]);
    b.rel(R::AdminTo, g_da, sync_server);
    let n_sql = c.dbs.div_ceil(DBS_PER_SQL_SERVER).max(1);
    let sql_servers: Vec<usize> = (0..n_sql).map(|i| role(1 + i)).collect();
    let file_servers: Vec<usize> = (0..c.dcenters).map(|j| role(1 + n_sql + j)).collect();
    let app_base = 1 + n_sql + c.dcenters;
    for (i, &db) in dbs.iter().enumerate() {
        b.rel(R::HostedOn, db, sql_servers[i / DBS_PER_SQL_SERVER]);
    }
    for (d, &f) in fs_dept.iter().enumerate() {
        b.rel(R::HostedOn, f, file_servers[d % file_servers.len()]);
    }
    b.rel(R::HostedOn, fs_common, file_servers[0]);
    for (i, &bk) in buckets.iter().enumerate() {
        b.rel(R::HostedOn, bk, subs[i / 2]);
    }
    for &m in &mbx {
        b.rel(R::HostedOn, m, saas[0]);
        b.rel(R::Reads, saas[0], m);
    }

    // Privileged rights.
    for &dc in &dcs {
        b.rel(R::AdminTo, g_da, dc);
    }
    for &h in &hvs {
        b.rel(R::AdminTo, g_da, h);
        b.rel(R::AdminTo, g_srv, h);
    }
    for &s in onprem.iter().chain(&rds).chain(&dmz) {
        b.rel(R::AdminTo, g_srv, s);
    }
    for &s in subs.iter().chain(&clusters) {
        b.rel(R::AdminTo, g_cloud, s);
    }
    for (k, devs) in pools.site_devices.iter().enumerate() {
        for &d in devs {
            b.rel(R::AdminTo, g_hd_site[k], d);
        }
    }
    for (i, &u) in users.iter().enumerate() {
        if b.chance(p.local_admin_user_rate) {
            b.rel(R::AdminTo, u, primary[i]);
        }
    }
    // Stale admin rights: an admin_to from a random user to a random device.
    let stale = round(c.users as f64 * p.stale_admin_rate);
    for _ in 0..stale {
        let u = b.pick(&users);
        let d = b.pick(&pools.anywhere);
        b.rel(R::AdminTo, u, d);
    }

    // Hosting: VMs on hypervisors and in subscriptions; DCs virtualised too.
    if !hvs.is_empty() {
        for (i, &s) in onprem.iter().take(c.vms).enumerate() {
            b.rel(R::HostedOn, s, hvs[i % hvs.len()]);
        }
        for (i, &dc) in dcs.iter().enumerate() {
            b.rel(R::HostedOn, dc, hvs[i % hvs.len()]);
        }
    }
    for (i, &v) in cloud.iter().enumerate() {
        b.rel(R::HostedOn, v, subs[i % subs.len()]);
    }
    for (i, &k) in clusters.iter().enumerate() {
        b.rel(R::HostedOn, k, subs[i * 2]);
        b.rel(R::Trusts, k, idp);
    }

    // Trust: the identity provider is synchronised from AD; the cloud trusts the IdP.
    b.rel(R::Trusts, idp, dcs[0]);
    b.rel(R::Trusts, vpn, dcs[0]);
    for &s in &subs {
        b.rel(R::Trusts, s, idp);
    }
    b.role(g_ga, idp, AppRole::Admin);
    b.role(g_vpn, vpn, AppRole::User);

    // SaaS: mail and collaboration for everyone; the rest for one or two departments, an
    // ordinary user as the application's admin; guests on a few.
    for (i, &s) in saas.iter().enumerate() {
        if saas_sso[i] {
            b.rel(R::Trusts, s, idp);
        }
        if i < 2 {
            b.role(g_all, s, AppRole::User);
        } else {
            let d = b.rng.random_range(0..c.depts);
            b.role(g_dept[d], s, AppRole::User);
            if b.chance(0.5) {
                let d2 = b.rng.random_range(0..c.depts);
                if d2 != d {
                    b.role(g_dept[d2], s, AppRole::User);
                }
            }
        }
        let owner = b.pick(&users);
        b.role(owner, s, AppRole::Admin);
    }
    for &g in &guests {
        let s = b.pick(&saas);
        b.role(g, s, AppRole::User);
    }

    // On-prem applications, each with its database, host and service account.
    let generic_svc: Vec<usize> = svc.iter().skip(3).copied().collect();
    for (i, &a) in apps.iter().enumerate() {
        let host = role(app_base + i);
        b.rel(R::HostedOn, a, host);
        let d = if i == 0 {
            0
        } else {
            b.rng.random_range(0..c.depts)
        };
        b.role(g_dept[d], a, AppRole::User);
        let admin = b.pick(&tier1);
        b.role(admin, a, AppRole::Admin);
        b.rel(R::Reads, a, dbs[i]);
        b.rel(R::Writes, a, dbs[i]);
        if !generic_svc.is_empty() {
            let s = generic_svc[i % generic_svc.len()];
            b.rel(R::HasSession, host, s);
            b.rel(R::AdminTo, s, host);
            b.rel(R::Reads, s, dbs[i]);
        }
    }
    b.rel(R::HostedOn, portal, dmz[0]);
    b.rel(R::Reads, portal, dbs[0]);
    b.rel(R::Writes, portal, dbs[0]);
    for (i, &a) in apis.iter().enumerate() {
        let host = if clusters.is_empty() {
            role(app_base + c.onprem_apps + i)
        } else {
            clusters[i % clusters.len()]
        };
        b.rel(R::HostedOn, a, host);
        let db = dbs[c.onprem_apps + i];
        b.rel(R::Reads, a, db);
        b.rel(R::Writes, a, db);
        if !generic_svc.is_empty() {
            let s = generic_svc[(c.onprem_apps + i) % generic_svc.len()];
            b.role(s, a, AppRole::User);
        }
    }
    // Remaining service accounts run on a random server each.
    for &s in generic_svc.iter().skip(c.onprem_apps + c.apis) {
        let host = b.pick(&servers_all);
        b.rel(R::HasSession, host, s);
        b.rel(R::AdminTo, s, host);
    }
    // Data access.
    for (d, &g) in g_dept.iter().enumerate() {
        b.rel(R::Reads, g, fs_dept[d]);
        b.rel(R::Writes, g, fs_dept[d]);
        b.rel(R::Reads, g, mbx[d]);
    }
    b.rel(R::Reads, g_all, fs_common);
    b.rel(R::Writes, g_all, fs_common);
    for &d in dbs
        .iter()
        .chain(&fs_dept)
        .chain(std::iter::once(&fs_common))
    {
        b.rel(R::Reads, svc[0], d);
    }
    for (i, &bk) in buckets.iter().enumerate() {
        if i % 2 == 1 {
            b.rel(R::Writes, svc[0], bk);
        }
        b.rel(R::Reads, g_cloud, bk);
    }

    let Builder {
        assets, relations, ..
    } = b;
    // Control sets through serde, like a scenario file would write them.
    let edr = serde_json::json!({"id": "C14", "coverage": 0.8,
        "scope": {"kinds": ["workstation", "laptop", "server"]}});
    let control_sets: Vec<ControlSetDef> = serde_json::from_value(serde_json::json!([
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
    .expect("the generator's control sets are well-formed");

    let mut scenario = Scenario {
        name: format!("generated-{}", p.seed),
        description: format!(
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
        ),
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
