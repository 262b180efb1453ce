//! SharpHound (BloodHound CE collector) v6 output → a ztsim estate.
//!
//! Two stages:
//! 1. **Read** ([`read_collection`]): the JSON files (a directory, the zip SharpHound writes,
//!    or one file) become a [`BhGraph`]: BloodHound's own graph, with its node kinds
//!    (User, Computer, Group, Domain, GPO, OU, Container) and edge kinds (MemberOf,
//!    AdminTo, HasSession, ..., one edge per ACE right), as BloodHound's ingest builds it.
//!    Objects that are referenced but not collected become placeholder nodes of the
//!    referenced type, as in BloodHound. DCSync is derived (GetChanges + GetChangesAll).
//! 2. **Map** ([`map_graph`]): the graph becomes ztsim assets and relations, with every
//!    edge counted as mapped, skipped (with the reason) or not understood. Domains, OUs,
//!    GPOs and containers have no ztsim kind: control over them is pushed down to what they
//!    contain or what their GPO links apply to (BloodHound's Contains/GPLink path
//!    semantics), and control over a domain becomes `admin_to` on its domain controllers.
//!
//! The mapping table, with every approximation, is in docs/bloodhound.md.
//!
//! Zip input is read entry by entry in memory, never extracted: entries with unsafe names
//! (absolute, `..`) are ignored and reported, the number of entries and the total
//! decompressed size are bounded (the size counted while inflating, not taken from the
//! headers).

use super::{Draft, Report, safe_text};
use crate::error::{Error, Result};
use crate::model::{AssetKind, Os, RelationKind};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

mod adcs;

/// Default bound on the bytes of JSON read (after decompression): 4 GiB.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 4 << 30;
/// Default bound on the number of entries in a zip.
pub const DEFAULT_MAX_ZIP_ENTRIES: usize = 10_000;

/// Bounds and choices for reading a SharpHound collection.
#[derive(Clone, Debug)]
pub struct Options {
    /// Total bytes of JSON read, after decompression.
    pub max_decompressed_bytes: u64,
    /// Entries a zip may have.
    pub max_zip_entries: usize,
    /// Largest input file on disk (the zip, or one JSON file).
    pub max_file_bytes: u64,
    /// Import disabled accounts and computers (skipped by default).
    pub include_disabled: bool,
    /// Longest ObjectIdentifier (and object name) accepted.
    pub max_id_len: usize,
    /// Read files that a collection directory reaches through a symbolic link pointing out
    /// of the directory (skipped with a warning by default).
    pub follow_symlinks: bool,
}

impl Default for Options {
    fn default() -> Self {
        let l = crate::limits::Limits::default();
        Options {
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_zip_entries: DEFAULT_MAX_ZIP_ENTRIES,
            max_file_bytes: l.max_file_bytes,
            include_disabled: false,
            max_id_len: l.max_string_len.saturating_sub(1),
            follow_symlinks: false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// BloodHound's graph

/// Node kinds of BloodHound's Active Directory graph that SharpHound's files define.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BhKind {
    /// A user account.
    User,
    /// A computer account (workstation, server or domain controller).
    Computer,
    /// A security group.
    Group,
    /// An Active Directory domain.
    Domain,
    /// A Group Policy Object.
    Gpo,
    /// An organizational unit.
    Ou,
    /// A container (`CN=Users`, `CN=Computers`, ...).
    Container,
    /// BloodHound's generic kind for an object of another type (e.g. the Builtin container
    /// `S-1-5-32`): a node that only structures the graph.
    Base,
    /// A certificate template (AD CS).
    CertTemplate,
    /// An enterprise certificate authority (AD CS enrollment service).
    EnterpriseCa,
    /// A root certificate authority entry.
    RootCa,
    /// An AIA certificate authority entry.
    AiaCa,
    /// The NTAuth store.
    NtAuthStore,
    /// An issuance policy (an OID object).
    IssuancePolicy,
}

impl BhKind {
    pub(crate) fn parse(s: &str) -> Option<BhKind> {
        Some(match s.to_ascii_lowercase().as_str() {
            "user" => BhKind::User,
            "computer" => BhKind::Computer,
            "group" => BhKind::Group,
            "domain" => BhKind::Domain,
            "gpo" => BhKind::Gpo,
            "ou" => BhKind::Ou,
            "container" => BhKind::Container,
            "base" => BhKind::Base,
            "certtemplate" => BhKind::CertTemplate,
            "enterpriseca" => BhKind::EnterpriseCa,
            "rootca" => BhKind::RootCa,
            "aiaca" => BhKind::AiaCa,
            "ntauthstore" => BhKind::NtAuthStore,
            "issuancepolicy" => BhKind::IssuancePolicy,
            _ => return None,
        })
    }
    /// BloodHound's label for the kind (`User`, `GPO`, `OU`...).
    pub(crate) fn name(self) -> &'static str {
        match self {
            BhKind::User => "User",
            BhKind::Computer => "Computer",
            BhKind::Group => "Group",
            BhKind::Domain => "Domain",
            BhKind::Gpo => "GPO",
            BhKind::Ou => "OU",
            BhKind::Container => "Container",
            BhKind::Base => "Base",
            BhKind::CertTemplate => "CertTemplate",
            BhKind::EnterpriseCa => "EnterpriseCA",
            BhKind::RootCa => "RootCA",
            BhKind::AiaCa => "AIACA",
            BhKind::NtAuthStore => "NTAuthStore",
            BhKind::IssuancePolicy => "IssuancePolicy",
        }
    }
}

/// A node of BloodHound's graph: a collected object, or a placeholder for one only referenced.
#[derive(Clone, Debug)]
pub struct BhNode {
    /// ObjectIdentifier, upper-cased as BloodHound stores it.
    pub id: String,
    /// Object type.
    pub kind: BhKind,
    /// BloodHound's display name (`ALICE@TESTLAB.LOCAL`), if collected.
    pub name: Option<String>,
    /// Domain name (`TESTLAB.LOCAL`).
    pub domain: Option<String>,
    /// Domain SID (upper-case).
    pub domain_sid: Option<String>,
    /// Distinguished name (`CN=...,DC=...`), if collected.
    pub dn: Option<String>,
    /// Operating system string of a computer, if collected.
    pub os: Option<String>,
    /// sAMAccountName, if collected.
    pub sam: Option<String>,
    /// Whether the account is enabled; `None` when not collected.
    pub enabled: Option<bool>,
    /// The `adminCount` flag: the object is or was protected by AdminSDHolder.
    pub admincount: Option<bool>,
    /// The account has service principal names (Kerberoastable).
    pub hasspn: Option<bool>,
    /// LAPS manages the computer's local administrator password.
    pub haslaps: Option<bool>,
    /// The OU blocks inheritance of GPOs linked above it.
    pub blocks_inheritance: Option<bool>,
    /// Unconstrained Kerberos delegation is enabled.
    pub unconstrained: Option<bool>,
    /// Kerberos pre-authentication is not required (AS-REP roastable).
    pub dontreqpreauth: Option<bool>,
    /// The computer is a domain controller (`IsDC`, or primary group Domain Controllers).
    pub is_dc: bool,
    /// False for placeholders: objects referenced but not in the collection.
    pub collected: bool,
    /// Certificate services data (templates, authorities, stores, policies).
    pub pki: Option<Box<adcs::PkiNode>>,
    /// BloodHound marks it Tier Zero: `highvalue: true`, or the `admin_tier_0` system tag.
    pub tier_zero_tag: bool,
}

impl BhNode {
    fn new(id: String, kind: BhKind, collected: bool) -> BhNode {
        BhNode {
            id,
            kind,
            name: None,
            domain: None,
            domain_sid: None,
            dn: None,
            os: None,
            sam: None,
            enabled: None,
            admincount: None,
            hasspn: None,
            haslaps: None,
            blocks_inheritance: None,
            unconstrained: None,
            dontreqpreauth: None,
            is_dc: false,
            collected,
            pki: None,
            tier_zero_tag: false,
        }
    }
    /// Display name: the collected name, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// An edge of BloodHound's graph, between node indices of [`BhGraph::nodes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BhEdge {
    /// BloodHound edge kind: `MemberOf`, `AdminTo`, `GenericAll`, `WriteDACL`, ...
    pub kind: String,
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// GPLink: the link is enforced.
    pub enforced: bool,
    /// TrustedBy: SID filtering is enabled on the trust.
    pub sid_filtering: bool,
}

/// BloodHound's graph of one collection.
#[derive(Clone, Debug, Default)]
pub struct BhGraph {
    /// Every node, collected or placeholder.
    pub nodes: Vec<BhNode>,
    /// Node index by upper-cased ObjectIdentifier.
    pub index: HashMap<String, usize>,
    /// Every edge, one per relation or ACE right.
    pub edges: Vec<BhEdge>,
}

impl BhGraph {
    /// The node with object id `id` (any case), if the graph has it.
    pub fn node(&self, id: &str) -> Option<&BhNode> {
        self.index.get(&id.to_uppercase()).map(|&i| &self.nodes[i])
    }
    /// Whether an edge of `kind` runs from `from` to `to` (object ids, any case).
    pub fn has_edge(&self, kind: &str, from: &str, to: &str) -> bool {
        let (Some(&f), Some(&t)) = (
            self.index.get(&from.to_uppercase()),
            self.index.get(&to.to_uppercase()),
        ) else {
            return false;
        };
        self.edges
            .iter()
            .any(|e| e.kind == kind && e.from == f && e.to == t)
    }
    /// Edges of `kind` into node `to`.
    pub fn edges_into<'a>(&'a self, to: usize, kind: &'a str) -> impl Iterator<Item = &'a BhEdge> {
        self.edges
            .iter()
            .filter(move |e| e.to == to && e.kind == kind)
    }
}

/// ACE rights that mean full or write control of the object.
const CONTROL_RIGHTS: [&str; 5] = [
    "GenericAll",
    "GenericWrite",
    "WriteDACL",
    "WriteOwner",
    "Owns",
];

/// Every ACE right name ztsim recognises (each has a documented mapping or skip reason).
const KNOWN_RIGHTS: [&str; 22] = [
    "WritePKINameFlag",
    "WritePKIEnrollmentFlag",
    "GenericAll",
    "GenericWrite",
    "WriteDACL",
    "WriteOwner",
    "Owns",
    "AllExtendedRights",
    "ForceChangePassword",
    "AddMember",
    "AddSelf",
    "AddKeyCredentialLink",
    "AddAllowedToAct",
    "WriteAccountRestrictions",
    "ReadLAPSPassword",
    "SyncLAPSPassword",
    "ReadGMSAPassword",
    "WriteSPN",
    "WriteGPLink",
    "GetChanges",
    "GetChangesAll",
    "GetChangesInFilteredSet",
];

// ---------------------------------------------------------------------------------------
// SharpHound's files

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// `None` when absent; `Some(Value::Null)` for an explicit `null`.
    #[serde(default, deserialize_with = "present")]
    version: Option<Value>,
}

/// Deserializes a field that is present (even as `null`) as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// SharpHound format versions ztsim reads; files of versions 1 to 4 are listed as not read.
const READ_VERSIONS: [u64; 2] = [5, 6];

/// The version a file declares: `Ok(None)` when `meta.version` is absent, `Ok(Some(v))` for
/// a version from 1 to 6, an error naming the file for anything else (7, -1, 6.5, `null`,
/// `[6]`): a format ztsim does not know is refused, not read as if it were v6.
fn file_version(name: &str, v: Option<&Value>) -> Result<Option<u64>> {
    let Some(v) = v else { return Ok(None) };
    match v.as_u64() {
        Some(n @ 1..=6) => Ok(Some(n)),
        _ => Err(Error::Usage(format!(
            "{}: meta.version {} is not a SharpHound format ztsim reads (it reads versions {} and {}); collect with SharpHound for BloodHound CE",
            safe_text(name),
            safe_text(&v.to_string()),
            READ_VERSIONS[0],
            READ_VERSIONS[1]
        ))),
    }
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    data: Vec<RawObject>,
}

#[derive(Deserialize)]
struct CountBody {
    #[serde(default)]
    data: Vec<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TypedRef {
    #[serde(rename = "ObjectIdentifier", alias = "MemberId")]
    id: Option<String>,
    #[serde(rename = "ObjectType", alias = "MemberType")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAce {
    #[serde(rename = "PrincipalSID")]
    principal: Option<String>,
    #[serde(rename = "PrincipalType")]
    principal_type: Option<String>,
    #[serde(rename = "RightName")]
    right: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionResult {
    #[serde(rename = "UserSID")]
    user: Option<String>,
    #[serde(rename = "ComputerSID")]
    computer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionList {
    #[serde(rename = "Results")]
    results: Option<Vec<SessionResult>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LocalGroup {
    #[serde(rename = "ObjectIdentifier")]
    id: Option<String>,
    #[serde(rename = "Results")]
    results: Option<Vec<TypedRef>>,
    #[serde(rename = "LocalNames", alias = "LocalName")]
    local_names: Option<Vec<IgnoredAny>>,
}

/// Pre-LocalGroups format: `{Results: [...]}` or a bare list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OldLocal {
    Wrapped {
        #[serde(rename = "Results", default)]
        results: Option<Vec<TypedRef>>,
    },
    List(Vec<TypedRef>),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserRight {
    #[serde(rename = "Privilege")]
    privilege: Option<String>,
    #[serde(rename = "Results")]
    results: Option<Vec<TypedRef>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpnTarget {
    #[serde(rename = "ComputerSID")]
    computer: Option<String>,
    #[serde(rename = "Service")]
    service: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTrust {
    #[serde(rename = "TargetDomainSid")]
    sid: Option<String>,
    #[serde(rename = "TargetDomainName")]
    name: Option<String>,
    #[serde(rename = "SidFilteringEnabled")]
    sid_filtering: Option<bool>,
    #[serde(rename = "TrustDirection")]
    direction: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawLink {
    #[serde(rename = "GUID")]
    guid: Option<String>,
    #[serde(rename = "IsEnforced")]
    enforced: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GpoChanges {
    #[serde(rename = "LocalAdmins")]
    local_admins: Option<Vec<TypedRef>>,
    #[serde(rename = "RemoteDesktopUsers")]
    rdp: Option<Vec<TypedRef>>,
    #[serde(rename = "DcomUsers")]
    dcom: Option<Vec<TypedRef>>,
    #[serde(rename = "PSRemoteUsers")]
    psremote: Option<Vec<TypedRef>>,
    #[serde(rename = "AffectedComputers")]
    affected: Option<Vec<TypedRef>>,
}

/// Properties, read leniently: a value of an unexpected type counts as absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Props {
    name: Lenient,
    domain: Lenient,
    domainsid: Lenient,
    distinguishedname: Lenient,
    operatingsystem: Lenient,
    samaccountname: Lenient,
    enabled: Lenient,
    admincount: Lenient,
    hasspn: Lenient,
    haslaps: Lenient,
    blocksinheritance: Lenient,
    unconstraineddelegation: Lenient,
    dontreqpreauth: Lenient,
    serviceprincipalnames: Lenient,
    // certificate services (adcs.rs)
    authenticationenabled: Lenient,
    enrolleesuppliessubject: Lenient,
    requiresmanagerapproval: Lenient,
    authorizedsignatures: Lenient,
    schemaversion: Lenient,
    effectiveekus: Lenient,
    applicationpolicies: Lenient,
    certificateapplicationpolicy: Lenient,
    certthumbprint: Lenient,
    certthumbprints: Lenient,
    issuancepolicies: Lenient,
    oid: Lenient,
    highvalue: Lenient,
    system_tags: Lenient,
    systemtags: Lenient,
}

#[derive(Default)]
struct Lenient(Option<Value>);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Lenient(Some(Value::deserialize(d)?)))
    }
}

impl Lenient {
    fn string(&self) -> Option<String> {
        match &self.0 {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
    fn bool(&self) -> Option<bool> {
        match &self.0 {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            Some(Value::Number(n)) => n.as_i64().map(|x| x != 0),
            _ => None,
        }
    }
    fn non_empty_list(&self) -> Option<bool> {
        match &self.0 {
            Some(Value::Array(a)) => Some(!a.is_empty()),
            _ => None,
        }
    }
}

/// One item of any SharpHound file (the union of every type's fields).
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawObject {
    #[serde(rename = "ObjectIdentifier")]
    oid: Option<String>,
    #[serde(rename = "Properties")]
    props: Option<Props>,
    #[serde(rename = "Aces")]
    aces: Option<Vec<RawAce>>,
    #[serde(rename = "IsDeleted")]
    is_deleted: Option<bool>,
    #[serde(rename = "IsACLProtected")]
    _acl_protected: Option<IgnoredAny>,
    #[serde(rename = "ContainedBy")]
    contained_by: Option<TypedRef>,
    #[serde(rename = "Members")]
    members: Option<Vec<TypedRef>>,
    #[serde(rename = "PrimaryGroupSID")]
    primary_group: Option<String>,
    #[serde(rename = "AllowedToDelegate")]
    allowed_to_delegate: Option<Vec<TypedRef>>,
    #[serde(rename = "AllowedToAct")]
    allowed_to_act: Option<Vec<TypedRef>>,
    #[serde(rename = "HasSIDHistory")]
    sid_history: Option<Vec<TypedRef>>,
    #[serde(rename = "SPNTargets", alias = "SpnTargets")]
    spn_targets: Option<Vec<SpnTarget>>,
    #[serde(rename = "DumpSMSAPassword")]
    dump_smsa: Option<Vec<TypedRef>>,
    #[serde(rename = "Sessions")]
    sessions: Option<SessionList>,
    #[serde(rename = "PrivilegedSessions")]
    privileged_sessions: Option<SessionList>,
    #[serde(rename = "RegistrySessions")]
    registry_sessions: Option<SessionList>,
    #[serde(rename = "LocalGroups")]
    local_groups: Option<Vec<LocalGroup>>,
    #[serde(rename = "LocalAdmins")]
    local_admins: Option<OldLocal>,
    #[serde(rename = "RemoteDesktopUsers")]
    rdp_users: Option<OldLocal>,
    #[serde(rename = "DcomUsers")]
    dcom_users: Option<OldLocal>,
    #[serde(rename = "PSRemoteUsers")]
    psremote_users: Option<OldLocal>,
    #[serde(rename = "UserRights")]
    user_rights: Option<Vec<UserRight>>,
    #[serde(rename = "IsDC")]
    is_dc: Option<bool>,
    #[serde(rename = "DomainSID")]
    domain_sid: Option<String>,
    #[serde(rename = "UnconstrainedDelegation")]
    unconstrained: Option<bool>,
    #[serde(rename = "Trusts")]
    trusts: Option<Vec<RawTrust>>,
    #[serde(rename = "Links")]
    links: Option<Vec<RawLink>>,
    #[serde(rename = "ChildObjects")]
    children: Option<Vec<TypedRef>>,
    #[serde(rename = "GPOChanges")]
    gpo_changes: Option<GpoChanges>,
    // sessions.json items
    #[serde(rename = "ComputerSID")]
    computer_sid: Option<String>,
    #[serde(rename = "UserSID")]
    user_sid: Option<String>,
    #[serde(rename = "LogonType")]
    _logon_type: Option<IgnoredAny>,
    // known, carry nothing the attack model uses
    #[serde(rename = "Status")]
    _status: Option<IgnoredAny>,
    #[serde(rename = "DCRegistryData")]
    _dc_registry: Option<IgnoredAny>,
    // certificate services (adcs.rs)
    #[serde(rename = "HostingComputer")]
    hosting_computer: Option<String>,
    #[serde(rename = "CARegistryData")]
    ca_registry: Option<adcs::CaRegistry>,
    #[serde(rename = "EnabledCertTemplates")]
    enabled_templates: Option<Vec<TypedRef>>,
    #[serde(rename = "HttpEnrollmentEndpoints")]
    http_endpoints: Option<Value>,
    #[serde(rename = "GroupLink")]
    group_link: Option<TypedRef>,
    #[serde(rename = "IssuedBy")]
    _issued_by: Option<IgnoredAny>,
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FileType {
    Users,
    Computers,
    Groups,
    Domains,
    Gpos,
    Ous,
    Containers,
    Sessions,
    CertTemplates,
    EnterpriseCas,
    RootCas,
    AiaCas,
    NtAuthStores,
    IssuancePolicies,
}

impl FileType {
    fn parse(s: &str) -> Option<FileType> {
        Some(match s {
            "users" => FileType::Users,
            "computers" => FileType::Computers,
            "groups" => FileType::Groups,
            "domains" => FileType::Domains,
            "gpos" => FileType::Gpos,
            "ous" => FileType::Ous,
            "containers" => FileType::Containers,
            "sessions" => FileType::Sessions,
            "certtemplates" => FileType::CertTemplates,
            "enterprisecas" => FileType::EnterpriseCas,
            "rootcas" => FileType::RootCas,
            "aiacas" => FileType::AiaCas,
            "ntauthstores" => FileType::NtAuthStores,
            "issuancepolicies" => FileType::IssuancePolicies,
            _ => return None,
        })
    }
    fn kind(self) -> Option<BhKind> {
        Some(match self {
            FileType::Users => BhKind::User,
            FileType::Computers => BhKind::Computer,
            FileType::Groups => BhKind::Group,
            FileType::Domains => BhKind::Domain,
            FileType::Gpos => BhKind::Gpo,
            FileType::Ous => BhKind::Ou,
            FileType::Containers => BhKind::Container,
            FileType::CertTemplates => BhKind::CertTemplate,
            FileType::EnterpriseCas => BhKind::EnterpriseCa,
            FileType::RootCas => BhKind::RootCa,
            FileType::AiaCas => BhKind::AiaCa,
            FileType::NtAuthStores => BhKind::NtAuthStore,
            FileType::IssuancePolicies => BhKind::IssuancePolicy,
            FileType::Sessions => return None,
        })
    }
}

/// A reference to an object, with the type the referrer gives it.
#[derive(Clone, Debug)]
struct Ref {
    id: String,
    hint: Option<BhKind>,
    raw_type: Option<String>,
    name: Option<String>,
}

struct Pending {
    kind: String,
    from: Ref,
    to: Ref,
    enforced: bool,
    sid_filtering: bool,
}

/// A collection read from disk: BloodHound's graph and what reading it found.
pub struct Collection {
    /// BloodHound's graph of the collection.
    pub graph: BhGraph,
    /// What reading found: files, entries ignored, problems.
    pub report: Report,
    /// Domains the collection is about (domain objects collected), for the scenario name.
    pub domains: Vec<String>,
}

struct Reader<'o> {
    opts: &'o Options,
    g: BhGraph,
    pending: Vec<Pending>,
    rep: Report,
    /// The ObjectIdentifier of each collected node as first written (before upper-casing).
    first_raw: HashMap<usize, String>,
    /// Ids collected more than once with the same spelling, merged (as BloodHound does).
    repeated: Vec<String>,
}

fn read_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    }
}

fn limit_err(what: &str, limit: u64, flag: &str) -> Error {
    Error::Usage(format!(
        "{what} is over the limit of {limit} bytes; raise it with {flag} if the input is trusted"
    ))
}

/// Whether a zip entry name is a plain relative path (no absolute path, drive or `..`).
fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['/', '\\'])
        && !name.contains(['\0', ':'])
        && name.split(['/', '\\']).all(|c| c != "..")
}

/// Reads a SharpHound collection: a directory of JSON files, the zip, or one JSON file.
pub fn read_collection(path: &Path, opts: &Options) -> Result<Collection> {
    let mut r = Reader {
        opts,
        g: BhGraph::default(),
        pending: Vec::new(),
        rep: Report::default(),
        first_raw: HashMap::new(),
        repeated: Vec::new(),
    };
    let meta = std::fs::metadata(path).map_err(read_err(path))?;
    let budget = opts.max_decompressed_bytes;
    if meta.is_dir() {
        read_dir_collection(&mut r, path, opts)?;
    } else {
        if meta.len() > opts.max_file_bytes {
            return Err(limit_err(
                &format!("{} ({} bytes)", path.display(), meta.len()),
                opts.max_file_bytes,
                "--max-file-bytes",
            ));
        }
        let mut file = std::fs::File::open(path).map_err(read_err(path))?;
        let mut magic = [0u8; 2];
        let n = file.read(&mut magic).map_err(read_err(path))?;
        drop(file);
        if n == 2 && &magic == b"PK" {
            read_zip(&mut r, path, opts, budget)?;
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if meta.len() > budget {
                return Err(limit_err(
                    "the JSON read",
                    opts.max_decompressed_bytes,
                    "--max-decompressed-bytes",
                ));
            }
            // Bounded read: the metadata says 0 bytes for a device or a pipe.
            let cap = opts.max_file_bytes.min(budget);
            let bytes = read_bounded(path, cap).map_err(read_err(path))?;
            if bytes.len() as u64 > cap {
                return Err(limit_err(
                    &path.display().to_string(),
                    cap,
                    "--max-file-bytes",
                ));
            }
            r.file(&name, &bytes)?;
        }
    }
    r.report_repeats();
    if !r.g.nodes.iter().any(|n| n.collected) && r.pending.is_empty() {
        // An estate with nothing in it would "succeed" silently: refuse it, saying why.
        let why = if r.rep.warnings.is_empty() {
            "no file held a SharpHound object".to_string()
        } else {
            r.rep.warnings.join("; ")
        };
        return Err(Error::Usage(format!(
            "{}: no SharpHound data found ({why}); give the zip SharpHound writes, a directory of its JSON files, or one of them",
            safe_text(&path.display().to_string())
        )));
    }
    r.finish()
}

/// Reads `path` until its end or until more than `cap` bytes have been read, whatever size
/// its metadata reports (0 for devices, pipes and `/proc` files). It reads in 64 KiB
/// chunks, a multiple of 8 as `/proc/self/pagemap` requires, so it stops at most one chunk
/// past `cap`; the caller refuses a result longer than `cap`.
fn read_bounded(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    const CHUNK: usize = 64 << 10;
    let mut f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    while bytes.len() as u64 <= cap {
        let n = match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes.extend_from_slice(&chunk[..n]);
    }
    Ok(bytes)
}

/// The JSON files of a collection directory, in name order. A symbolic link is read only
/// when it resolves to a regular file inside the directory, or with
/// [`Options::follow_symlinks`]; others (to `/proc/self/pagemap`, `/dev/zero`, a file
/// elsewhere) are skipped with a warning. Every read is bounded by what is left of
/// `--max-decompressed-bytes`, whatever size the metadata reports (0 for `/proc` files).
fn read_dir_collection(r: &mut Reader, path: &Path, opts: &Options) -> Result<()> {
    let root = std::fs::canonicalize(path).map_err(read_err(path))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(path).map_err(read_err(path))?.flatten() {
        let p = e.path();
        let Ok(lmeta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if lmeta.file_type().is_symlink() {
            let inside = std::fs::canonicalize(&p).is_ok_and(|t| t.starts_with(&root));
            if !inside && !opts.follow_symlinks {
                r.rep.skip("symbolic link out of the collection directory");
                r.rep.warnings.push(format!(
                    "{}: a symbolic link out of the collection directory; not followed (pass --follow-symlinks to read it)",
                    safe_text(&p.display().to_string())
                ));
                continue;
            }
        }
        // Regular files only, after following an allowed link: no devices, pipes or dirs.
        if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            files.push(p);
        }
    }
    files.sort();
    let mut budget = opts.max_decompressed_bytes;
    for p in files {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.to_ascii_lowercase().ends_with(".json") {
            r.rep.skip("input file not ending in .json");
            continue;
        }
        let too_big = || {
            limit_err(
                "the JSON read",
                opts.max_decompressed_bytes,
                "--max-decompressed-bytes",
            )
        };
        let len = std::fs::metadata(&p).map_err(read_err(&p))?.len();
        if len > budget {
            return Err(too_big());
        }
        if len > opts.max_file_bytes {
            return Err(limit_err(
                &safe_text(&p.display().to_string()),
                opts.max_file_bytes,
                "--max-file-bytes",
            ));
        }
        let cap = budget.min(opts.max_file_bytes);
        let bytes = read_bounded(&p, cap).map_err(read_err(&p))?;
        if bytes.len() as u64 > budget {
            return Err(too_big());
        }
        if bytes.len() as u64 > cap {
            return Err(limit_err(
                &safe_text(&p.display().to_string()),
                opts.max_file_bytes,
                "--max-file-bytes",
            ));
        }
        budget -= bytes.len() as u64;
        r.file(&name, &bytes)?;
    }
    Ok(())
}

fn read_zip(r: &mut Reader, path: &Path, opts: &Options, mut budget: u64) -> Result<()> {
    let file = std::fs::File::open(path).map_err(read_err(path))?;
    let zerr = |e: zip::result::ZipError| {
        Error::Usage(format!("{}: cannot read the zip: {e}", path.display()))
    };
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zerr)?;
    if zip.len() > opts.max_zip_entries {
        return Err(Error::Usage(format!(
            "{}: the zip has {} entries, over the limit of {}; raise it with --max-zip-entries if the input is trusted",
            path.display(),
            zip.len(),
            opts.max_zip_entries
        )));
    }
    if zip.has_duplicate_names() {
        return Err(Error::Usage(format!(
            "{}: the zip holds two entries of the same name (only one of them could be read); refusing to import part of the collection: unzip it, check the duplicates and import the directory",
            path.display()
        )));
    }
    let mut entries: Vec<(String, usize)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(zerr)?;
        let name = e.name().map_err(zerr)?.into_owned();
        if e.is_dir() {
            continue;
        }
        entries.push((name, i));
    }
    entries.sort();
    for (name, i) in entries {
        if !safe_entry_name(&name) {
            r.rep
                .unknown("zip entry with an unsafe name (absolute or `..`), ignored");
            r.rep.warnings.push(format!(
                "ignored zip entry with an unsafe name: {}",
                safe_text(&name)
            ));
            continue;
        }
        if !name.to_ascii_lowercase().ends_with(".json") {
            r.rep.skip("zip entry not ending in .json");
            continue;
        }
        let mut entry = zip.by_index(i).map_err(|e| {
            Error::Usage(format!(
                "{}: cannot read zip entry {}: {e} (an encrypted SharpHound zip, --zippassword, must be decrypted first)",
                path.display(),
                safe_text(&name)
            ))
        })?;
        let mut buf = Vec::with_capacity(entry.size().min(budget).min(64 << 20) as usize);
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                Error::Usage(format!(
                    "{}: cannot decompress zip entry {}: {e}",
                    path.display(),
                    safe_text(&name)
                ))
            })?;
        if buf.len() as u64 > budget {
            return Err(limit_err(
                "the decompressed size of the zip",
                opts.max_decompressed_bytes,
                "--max-decompressed-bytes",
            ));
        }
        budget -= buf.len() as u64;
        drop(entry);
        r.file(&name, &buf)?;
    }
    Ok(())
}

fn upper(s: &str) -> String {
    s.trim().to_uppercase()
}

/// SharpHound names its files `<timestamp>_<type>.json`.
fn type_from_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next()?.to_ascii_lowercase();
    let stem = base.strip_suffix(".json")?;
    let t = stem.rsplit('_').next()?;
    FileType::parse(t).map(|_| t.to_string())
}

fn trust_direction(v: &Value) -> Option<u8> {
    match v {
        Value::Number(n) => n.as_u64().map(|x| x as u8),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "disabled" => Some(0),
            "inbound" => Some(1),
            "outbound" => Some(2),
            "bidirectional" => Some(3),
            _ => None,
        },
        _ => None,
    }
}

impl Reader<'_> {
    fn file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let jerr = |e: serde_json::Error| {
            Error::Usage(format!(
                "{}: not a SharpHound JSON file: {e}",
                safe_text(name)
            ))
        };
        let head: Head = serde_json::from_slice(bytes).map_err(jerr)?;
        let (kind, version) = match head.meta {
            Some(m) => (
                m.kind
                    .map(|k| k.to_ascii_lowercase())
                    .or_else(|| type_from_filename(name)),
                file_version(name, m.version.as_ref())?,
            ),
            None => (type_from_filename(name), None),
        };
        let Some(kind) = kind else {
            self.rep
                .unknown("JSON file without meta.type (not SharpHound output?)");
            self.rep
                .warnings
                .push(format!("{}: no meta.type; file not read", safe_text(name)));
            return Ok(());
        };
        if let Some(v) = version
            && v < READ_VERSIONS[0]
        {
            let body: CountBody = serde_json::from_slice(bytes).map_err(jerr)?;
            self.rep.unknown_n(
                format!("objects in a SharpHound v{v} file (ztsim reads v5 and v6)"),
                body.data.len(),
            );
            self.rep.files.push((
                name.to_string(),
                format!("{kind} v{v}, not read"),
                body.data.len(),
            ));
            return Ok(());
        }
        let Some(ft) = FileType::parse(&kind) else {
            let body: CountBody = serde_json::from_slice(bytes).map_err(jerr)?;
            self.rep.unknown_n(
                format!("object type `{}` (no ztsim equivalent)", safe_text(&kind)),
                body.data.len(),
            );
            self.rep
                .files
                .push((name.to_string(), kind.clone(), body.data.len()));
            *self.rep.objects.entry(kind).or_default() += body.data.len();
            return Ok(());
        };
        let body: Body = serde_json::from_slice(bytes).map_err(jerr)?;
        self.rep
            .files
            .push((name.to_string(), kind.clone(), body.data.len()));
        *self.rep.objects.entry(kind.clone()).or_default() += body.data.len();
        for o in body.data {
            for k in o.other.keys() {
                self.rep
                    .unknown(format!("field `{}` on {kind} objects", safe_text(k)));
            }
            self.object(ft, o);
        }
        Ok(())
    }

    fn valid_id(&self, id: Option<&str>) -> Option<String> {
        let id = upper(id?);
        if id.is_empty()
            || id.len() > self.opts.max_id_len
            || id.chars().any(char::is_control)
            || id == "INTERNET"
        {
            return None;
        }
        Some(id)
    }

    fn reference(&self, id: Option<&str>, kind: Option<&str>) -> Option<Ref> {
        let id = self.valid_id(id)?;
        Some(Ref {
            id,
            hint: kind.and_then(BhKind::parse),
            raw_type: kind.map(str::to_string),
            name: None,
        })
    }

    fn typed(&self, r: &TypedRef) -> Option<Ref> {
        self.reference(r.id.as_deref(), r.kind.as_deref())
    }

    fn me(&self, i: usize) -> Ref {
        let n = &self.g.nodes[i];
        Ref {
            id: n.id.clone(),
            hint: Some(n.kind),
            raw_type: None,
            name: None,
        }
    }

    fn edge(&mut self, kind: &str, from: Option<Ref>, to: Option<Ref>) {
        self.edge_with(kind, from, to, false, false)
    }

    fn edge_with(
        &mut self,
        kind: &str,
        from: Option<Ref>,
        to: Option<Ref>,
        enforced: bool,
        sid_filtering: bool,
    ) {
        match (from, to) {
            (Some(from), Some(to)) => self.pending.push(Pending {
                kind: kind.to_string(),
                from,
                to,
                enforced,
                sid_filtering,
            }),
            _ => self.rep.unknown(format!(
                "{kind} with a missing or unusable object identifier"
            )),
        }
    }

    /// The node for a collected object, merged with a node an earlier reference created.
    /// An id collected twice with the same spelling is merged, as BloodHound merges it (real
    /// collections list built-in groups once per domain controller), and reported. An id
    /// that differs from an earlier one only in letter case, or that was collected as
    /// another kind, keeps the first object: the later one is counted as not understood and
    /// named in a warning, never merged into the first silently.
    fn collected_node(&mut self, id: String, raw: &str, kind: BhKind) -> Option<usize> {
        if let Some(&i) = self.g.index.get(&id) {
            let n = &mut self.g.nodes[i];
            if n.collected {
                let (was, now) = (n.kind.name(), kind.name());
                let first = self.first_raw.get(&i).map_or("", String::as_str);
                let problem = if n.kind != kind {
                    self.rep
                        .unknown(format!("object id collected as both {was} and {now}"));
                    format!("collected as {was}, then as {now}")
                } else if first != raw {
                    self.rep.unknown(format!(
                        "{now} object whose ObjectIdentifier differs from an earlier one only in letter case"
                    ));
                    format!(
                        "`{}` collected after `{}`",
                        safe_text(raw),
                        safe_text(first)
                    )
                } else {
                    self.repeated.push(id);
                    return Some(i);
                };
                self.rep.warnings.push(format!(
                    "ObjectIdentifier {} collected twice ({problem}; letter case ignored): the first object kept, the later one not read",
                    safe_text(&id)
                ));
                return None;
            }
            self.first_raw.insert(i, raw.to_string());
            n.kind = kind;
            n.collected = true;
            return Some(i);
        }
        let i = self.g.nodes.len();
        self.g.index.insert(id.clone(), i);
        self.g.nodes.push(BhNode::new(id, kind, true));
        self.first_raw.insert(i, raw.to_string());
        Some(i)
    }

    /// One warning for the objects collected more than once and merged, with the first ids.
    fn report_repeats(&mut self) {
        if self.repeated.is_empty() {
            return;
        }
        let shown: Vec<String> = self.repeated.iter().take(5).map(|i| safe_text(i)).collect();
        self.rep.warnings.push(format!(
            "{} object(s) collected more than once with the same ObjectIdentifier, merged as BloodHound merges them (later properties win): {}{}",
            self.repeated.len(),
            shown.join(", "),
            if self.repeated.len() > 5 { ", ..." } else { "" }
        ));
    }

    /// One item of a collection file: a collected object becomes (or merges into) a node
    /// with its properties, and every edge it declares is queued; a sessions.json item is
    /// one session edge.
    fn object(&mut self, ft: FileType, mut o: RawObject) {
        let Some(kind) = ft.kind() else {
            // sessions.json: flat {ComputerSID, UserSID, LogonType}.
            let c = self.reference(o.computer_sid.as_deref(), Some("Computer"));
            let u = self.reference(o.user_sid.as_deref(), Some("User"));
            self.edge("HasSession", c, u);
            return;
        };
        let Some(id) = self.valid_id(o.oid.as_deref()) else {
            self.rep.unknown(format!(
                "{} object without a usable ObjectIdentifier",
                kind.name()
            ));
            return;
        };
        if let Some(name) = o.props.as_ref().and_then(|p| p.name.string())
            && name.len() > self.opts.max_id_len
        {
            self.rep.unknown(format!(
                "{} object with a name over {} bytes",
                kind.name(),
                self.opts.max_id_len
            ));
            self.rep.warnings.push(format!(
                "{} {}: its name is {} bytes long, over the limit of {} (--max-string-len); object not read",
                kind.name(),
                safe_text(&id),
                name.len(),
                self.opts.max_id_len
            ));
            return;
        }
        if o.is_deleted == Some(true) {
            self.rep
                .skip(format!("deleted {} object (IsDeleted)", kind.name()));
            return;
        }
        let raw = o.oid.as_deref().unwrap_or("").trim().to_string();
        let Some(i) = self.collected_node(id, &raw, kind) else {
            return;
        };
        let me = self.me(i);
        self.pki_object(i, kind, &me, &mut o);
        self.record_properties(i, kind, &mut o);
        self.object_edges(&me, &mut o);
        if kind == BhKind::Computer {
            self.computer_edges(i, &me, &mut o);
        }
        self.trust_edges(&me, o.trusts.take().unwrap_or_default());
        self.container_edges(&me, &mut o);
    }

    /// Copies the properties the model uses onto node `i` (a value given replaces an
    /// earlier one; an absent one keeps it); a computer in Domain Controllers or flagged
    /// IsDC is a DC; a domain is its own domain SID.
    fn record_properties(&mut self, i: usize, kind: BhKind, o: &mut RawObject) {
        let p = o.props.take().unwrap_or_default();
        let n = &mut self.g.nodes[i];
        let set_s = |slot: &mut Option<String>, v: Option<String>| {
            if v.is_some() {
                *slot = v;
            }
        };
        set_s(&mut n.name, p.name.string());
        set_s(&mut n.domain, p.domain.string().map(|d| d.to_uppercase()));
        set_s(
            &mut n.domain_sid,
            p.domainsid
                .string()
                .or(o.domain_sid.clone())
                .map(|s| upper(&s)),
        );
        set_s(&mut n.dn, p.distinguishedname.string());
        set_s(&mut n.os, p.operatingsystem.string());
        set_s(&mut n.sam, p.samaccountname.string());
        let set_b = |slot: &mut Option<bool>, v: Option<bool>| {
            if v.is_some() {
                *slot = v;
            }
        };
        set_b(&mut n.enabled, p.enabled.bool());
        set_b(&mut n.admincount, p.admincount.bool());
        set_b(
            &mut n.hasspn,
            p.hasspn.bool().or(p.serviceprincipalnames.non_empty_list()),
        );
        set_b(&mut n.haslaps, p.haslaps.bool());
        set_b(&mut n.blocks_inheritance, p.blocksinheritance.bool());
        set_b(
            &mut n.unconstrained,
            o.unconstrained.or(p.unconstraineddelegation.bool()),
        );
        set_b(&mut n.dontreqpreauth, p.dontreqpreauth.bool());
        n.tier_zero_tag |= tier_zero_marked(&p);
        if kind == BhKind::Computer {
            let dc_group = o
                .primary_group
                .as_deref()
                .is_some_and(|g| g.trim().ends_with("-516"));
            n.is_dc |= o.is_dc.unwrap_or(false) || dc_group;
        }
        if kind == BhKind::Domain && n.domain_sid.is_none() {
            n.domain_sid = Some(n.id.clone());
        }
    }

    /// The edges any object may declare: its container, its ACEs, group membership (primary
    /// group and members), delegation, SID history, sMSA password dumps and SQLAdmin SPN
    /// targets (other SPN targets are skipped).
    fn object_edges(&mut self, me: &Ref, o: &mut RawObject) {
        if let Some(c) = &o.contained_by {
            let parent = self.typed(c);
            self.edge("Contains", parent, Some(me.clone()));
        }
        for ace in o.aces.take().unwrap_or_default() {
            let Some(right) = ace.right.as_deref() else {
                self.rep.unknown("ACE without RightName");
                continue;
            };
            let right = if right == "WriteDacl" {
                "WriteDACL"
            } else {
                right
            };
            let principal = self.reference(ace.principal.as_deref(), ace.principal_type.as_deref());
            self.edge(right, principal, Some(me.clone()));
        }
        if let Some(g) = &o.primary_group {
            let group = self.reference(Some(g), Some("Group"));
            self.edge("MemberOf", Some(me.clone()), group);
        }
        for m in o.members.take().unwrap_or_default() {
            let m = self.typed(&m);
            self.edge("MemberOf", m, Some(me.clone()));
        }
        for t in o.allowed_to_delegate.take().unwrap_or_default() {
            let t = self.typed(&t);
            self.edge("AllowedToDelegate", Some(me.clone()), t);
        }
        for p in o.allowed_to_act.take().unwrap_or_default() {
            let p = self.typed(&p);
            self.edge("AllowedToAct", p, Some(me.clone()));
        }
        for t in o.sid_history.take().unwrap_or_default() {
            let t = self.typed(&t);
            self.edge("HasSIDHistory", Some(me.clone()), t);
        }
        for t in o.dump_smsa.take().unwrap_or_default() {
            let t = self.typed(&t);
            self.edge("DumpSMSAPassword", Some(me.clone()), t);
        }
        for s in o.spn_targets.take().unwrap_or_default() {
            match s.service.as_deref() {
                Some("SQLAdmin") => {
                    let c = self.reference(s.computer.as_deref(), Some("Computer"));
                    self.edge("SQLAdmin", Some(me.clone()), c);
                }
                other => self.rep.skip(format!(
                    "SPN target with service `{}` (only SQLAdmin is an attack edge)",
                    safe_text(other.unwrap_or("?"))
                )),
            }
        }
    }

    /// The edges a computer (node `i`) declares: sessions, local group members (LocalGroups
    /// and the older per-group lists), remote interactive logon rights, and DCFor when it
    /// is a domain controller.
    fn computer_edges(&mut self, i: usize, me: &Ref, o: &mut RawObject) {
        for list in [
            o.sessions.take(),
            o.privileged_sessions.take(),
            o.registry_sessions.take(),
        ]
        .into_iter()
        .flatten()
        {
            for s in list.results.unwrap_or_default() {
                let c = match &s.computer {
                    Some(c) => self.reference(Some(c), Some("Computer")),
                    None => Some(me.clone()),
                };
                let u = self.reference(s.user.as_deref(), Some("User"));
                self.edge("HasSession", c, u);
            }
        }
        for lg in o.local_groups.take().unwrap_or_default() {
            let rid = lg
                .id
                .as_deref()
                .and_then(|s| s.rsplit('-').next())
                .unwrap_or("")
                .to_string();
            let members = lg.results.unwrap_or_default();
            let locals = lg.local_names.map(|l| l.len()).unwrap_or(0);
            self.rep.skip_n(
                "local (non-domain) account in a local group (not an AD object)",
                locals,
            );
            match local_group_edge(&rid) {
                Some(kind) => {
                    for m in &members {
                        let m = self.typed(m);
                        self.edge(kind, m, Some(me.clone()));
                    }
                }
                None => self.rep.skip_n(
                    format!(
                        "member of local group RID {} (gives no attack step)",
                        safe_text(&rid)
                    ),
                    members.len(),
                ),
            }
        }
        for (list, kind) in [
            (o.local_admins.take(), "AdminTo"),
            (o.rdp_users.take(), "CanRDP"),
            (o.dcom_users.take(), "ExecuteDCOM"),
            (o.psremote_users.take(), "CanPSRemote"),
        ] {
            let members = match list {
                Some(OldLocal::Wrapped { results }) => results.unwrap_or_default(),
                Some(OldLocal::List(l)) => l,
                None => Vec::new(),
            };
            for m in &members {
                let m = self.typed(m);
                self.edge(kind, m, Some(me.clone()));
            }
        }
        for ur in o.user_rights.take().unwrap_or_default() {
            let members = ur.results.unwrap_or_default();
            match ur.privilege.as_deref() {
                Some("SeRemoteInteractiveLogonRight") => {
                    for m in &members {
                        let m = self.typed(m);
                        self.edge("RemoteInteractiveLogonRight", m, Some(me.clone()));
                    }
                }
                other => self.rep.unknown_n(
                    format!("user right `{}`", safe_text(other.unwrap_or("?"))),
                    members.len(),
                ),
            }
        }
        if self.g.nodes[i].is_dc {
            let dom = self.g.nodes[i].domain_sid.clone();
            let d = self.reference(dom.as_deref(), Some("Domain"));
            self.edge("DCFor", Some(me.clone()), d);
        }
    }

    /// A domain's trusts as TrustedBy edges in the direction of each trust (both ways for a
    /// bidirectional one), with its SID filtering; disabled trusts are skipped.
    fn trust_edges(&mut self, me: &Ref, trusts: Vec<RawTrust>) {
        for t in trusts {
            let Some(mut target) = self.reference(t.sid.as_deref(), Some("Domain")) else {
                self.rep.unknown("trust without a usable TargetDomainSid");
                continue;
            };
            target.name = t.name.clone().map(|n| n.to_uppercase());
            let filtering = t.sid_filtering.unwrap_or(false);
            let dir = t.direction.as_ref().and_then(trust_direction);
            match dir {
                Some(1) => self.edge_with(
                    "TrustedBy",
                    Some(me.clone()),
                    Some(target),
                    false,
                    filtering,
                ),
                Some(2) => self.edge_with(
                    "TrustedBy",
                    Some(target),
                    Some(me.clone()),
                    false,
                    filtering,
                ),
                Some(3) => {
                    self.edge_with(
                        "TrustedBy",
                        Some(me.clone()),
                        Some(target.clone()),
                        false,
                        filtering,
                    );
                    self.edge_with(
                        "TrustedBy",
                        Some(target),
                        Some(me.clone()),
                        false,
                        filtering,
                    );
                }
                Some(0) => self.rep.skip("disabled trust"),
                _ => self.rep.unknown("trust with an unknown TrustDirection"),
            }
        }
    }

    /// The edges of a domain, OU or container: the GPOs linked to it, its child objects,
    /// and the local group changes its GPOs make on the computers they affect.
    fn container_edges(&mut self, me: &Ref, o: &mut RawObject) {
        for l in o.links.take().unwrap_or_default() {
            let gpo = self.reference(l.guid.as_deref(), Some("GPO"));
            self.edge_with(
                "GPLink",
                gpo,
                Some(me.clone()),
                l.enforced.unwrap_or(false),
                false,
            );
        }
        for c in o.children.take().unwrap_or_default() {
            let c = self.typed(&c);
            self.edge("Contains", Some(me.clone()), c);
        }
        if let Some(ch) = o.gpo_changes.take() {
            let affected: Vec<Ref> = ch
                .affected
                .unwrap_or_default()
                .iter()
                .filter_map(|r| self.typed(r))
                .collect();
            for (list, kind) in [
                (ch.local_admins, "AdminTo"),
                (ch.rdp, "CanRDP"),
                (ch.dcom, "ExecuteDCOM"),
                (ch.psremote, "CanPSRemote"),
            ] {
                for p in list.unwrap_or_default() {
                    let p = self.typed(&p);
                    for c in &affected {
                        self.edge(kind, p.clone(), Some(c.clone()));
                    }
                }
            }
        }
    }

    fn resolve(&mut self, r: &Ref) -> Option<usize> {
        if let Some(&i) = self.g.index.get(&r.id) {
            if self.g.nodes[i].name.is_none() {
                self.g.nodes[i].name = r.name.clone();
            }
            return Some(i);
        }
        let kind = r.hint?;
        let i = self.g.nodes.len();
        let mut n = BhNode::new(r.id.clone(), kind, false);
        n.name = r.name.clone();
        if kind == BhKind::Domain {
            n.domain_sid = Some(r.id.clone());
            n.domain = r.name.clone();
        }
        self.g.index.insert(r.id.clone(), i);
        self.g.nodes.push(n);
        Some(i)
    }

    fn finish(mut self) -> Result<Collection> {
        let pending = std::mem::take(&mut self.pending);
        let mut seen: HashSet<(String, usize, usize)> = HashSet::new();
        for p in pending {
            let (Some(f), Some(t)) = (self.resolve(&p.from), self.resolve(&p.to)) else {
                let bad = if p.from.hint.is_none() {
                    &p.from
                } else {
                    &p.to
                };
                self.rep.unknown(format!(
                    "{} edge to an uncollected object of unknown type `{}`",
                    p.kind,
                    safe_text(bad.raw_type.as_deref().unwrap_or("(none)"))
                ));
                continue;
            };
            if seen.insert((p.kind.clone(), f, t)) {
                self.g.edges.push(BhEdge {
                    kind: p.kind,
                    from: f,
                    to: t,
                    enforced: p.enforced,
                    sid_filtering: p.sid_filtering,
                });
            }
        }
        // Names and domains of placeholders: the domain from the id's prefix.
        let mut sid_to_domain: HashMap<String, String> = HashMap::new();
        for n in &self.g.nodes {
            if let (Some(s), Some(d)) = (&n.domain_sid, &n.domain) {
                sid_to_domain.entry(s.clone()).or_insert(d.clone());
            }
            if n.kind == BhKind::Domain
                && let Some(name) = &n.name
            {
                sid_to_domain
                    .entry(n.id.clone())
                    .or_insert(name.to_uppercase());
            }
        }
        for n in &mut self.g.nodes {
            if n.domain.is_none() {
                n.domain = infer_domain(&n.id, &sid_to_domain);
            }
            if n.domain_sid.is_none()
                && let Some(cut) = n.id.rfind('-')
                && n.id.starts_with("S-1-5-21-")
            {
                n.domain_sid = Some(n.id[..cut].to_string());
            }
        }
        // Containment from distinguished names where SharpHound gave no parent.
        let has_parent: HashSet<usize> = self
            .g
            .edges
            .iter()
            .filter(|e| e.kind == "Contains")
            .map(|e| e.to)
            .collect();
        let by_dn: HashMap<String, usize> = self
            .g
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.dn.as_ref().map(|d| (d.to_uppercase(), i)))
            .collect();
        let mut derived = Vec::new();
        for (i, n) in self.g.nodes.iter().enumerate() {
            if has_parent.contains(&i) || n.kind == BhKind::Domain {
                continue;
            }
            if let Some(dn) = &n.dn
                && let Some(parent) = parent_dn(dn)
                && let Some(&p) = by_dn.get(&parent.to_uppercase())
                && p != i
            {
                derived.push(BhEdge {
                    kind: "Contains".into(),
                    from: p,
                    to: i,
                    enforced: false,
                    sid_filtering: false,
                });
            }
        }
        self.g.edges.extend(derived);
        // DCSync: GetChanges and GetChangesAll held by the same principal on a domain.
        let mut changes: HashMap<(usize, usize), u8> = HashMap::new();
        for e in &self.g.edges {
            let bit = match e.kind.as_str() {
                "GetChanges" => 1,
                "GetChangesAll" => 2,
                _ => continue,
            };
            if self.g.nodes[e.to].kind == BhKind::Domain {
                *changes.entry((e.from, e.to)).or_default() |= bit;
            }
        }
        let mut dcsync: Vec<(usize, usize)> = changes
            .into_iter()
            .filter(|(_, b)| *b == 3)
            .map(|(k, _)| k)
            .collect();
        dcsync.sort_unstable();
        for (f, t) in dcsync {
            self.g.edges.push(BhEdge {
                kind: "DCSync".into(),
                from: f,
                to: t,
                enforced: false,
                sid_filtering: false,
            });
        }
        let mut domains: Vec<String> = self
            .g
            .nodes
            .iter()
            .filter(|n| n.kind == BhKind::Domain && n.collected)
            .map(|n| n.label().to_string())
            .collect();
        domains.sort();
        domains.dedup();
        Ok(Collection {
            graph: self.g,
            report: self.rep,
            domains,
        })
    }
}

fn local_group_edge(rid: &str) -> Option<&'static str> {
    match rid {
        "544" => Some("AdminTo"),
        "555" => Some("CanRDP"),
        "562" => Some("ExecuteDCOM"),
        "580" => Some("CanPSRemote"),
        _ => None,
    }
}

fn infer_domain(id: &str, sid_to_domain: &HashMap<String, String>) -> Option<String> {
    if let Some(pos) = id.find("-S-1-") {
        return Some(id[..pos].to_string());
    }
    let cut = id.rfind('-')?;
    sid_to_domain.get(&id[..cut]).cloned()
}

/// The parent of a distinguished name (`CN=A,OU=B,DC=X` → `OU=B,DC=X`); escaped commas
/// (`\,`) do not split.
fn parent_dn(dn: &str) -> Option<&str> {
    let b = dn.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b',' => return Some(dn[i + 1..].trim_start()).filter(|s| !s.is_empty()),
            _ => i += 1,
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// BloodHound graph → ztsim estate

/// The id of the ztsim identity standing for a computer's machine account.
pub fn machine_account_id(computer_id: &str) -> String {
    format!("{computer_id}$")
}

/// Tier-0 groups: Domain Admins, Enterprise Admins, Schema Admins, and the domain's
/// built-in Administrators.
fn is_tier0_group(id: &str) -> bool {
    (id.starts_with("S-1-5-21-")
        && (id.ends_with("-512") || id.ends_with("-519") || id.ends_with("-518")))
        || id.ends_with("-S-1-5-32-544")
        || id == "S-1-5-32-544"
}

/// Whether BloodHound's properties mark an object Tier Zero: `highvalue: true` (legacy), or
/// `admin_tier_0` among its system tags (BloodHound CE: a space-separated string or a list).
fn tier_zero_marked(p: &Props) -> bool {
    let tagged = |l: &Lenient| match &l.0 {
        Some(Value::String(s)) => s.split_whitespace().any(|t| t == "admin_tier_0"),
        Some(Value::Array(a)) => a.iter().any(|t| t.as_str() == Some("admin_tier_0")),
        _ => false,
    };
    p.highvalue.bool() == Some(true) || tagged(&p.system_tags) || tagged(&p.systemtags)
}

impl Mapper<'_> {
    /// Sets `tier_zero: true` on the imported objects BloodHound marks Tier Zero, on domain
    /// controllers and on the well-known Tier Zero SIDs (see `ztsim whatif`, docs/whatif.md).
    fn mark_tier_zero(&mut self) {
        for (i, n) in self.g.nodes.iter().enumerate() {
            if let Some(a) = self.node_asset[i]
                && (n.tier_zero_tag || n.is_dc || crate::whatif::reach::is_tier_zero_sid(&n.id))
            {
                self.assets[a]
                    .json
                    .insert("tier_zero".into(), Value::Bool(true));
            }
        }
    }
}

struct OutAsset {
    json: Map<String, Value>,
    kind: AssetKind,
}

#[derive(Default)]
struct Control {
    /// Relations the control amounts to (some may exist already).
    targets: usize,
    /// New relations.
    relations: usize,
    disabled: usize,
}

struct Mapper<'g> {
    g: &'g BhGraph,
    opts: &'g Options,
    rep: &'g mut Report,
    assets: Vec<OutAsset>,
    asset_ids: HashSet<String>,
    /// Asset index of each node (None: no asset, or skipped).
    node_asset: Vec<Option<usize>>,
    /// Nodes skipped as disabled.
    disabled: Vec<bool>,
    machine: HashMap<usize, usize>,
    rels: Vec<(RelationKind, String, String)>,
    rel_seen: HashSet<(RelationKind, String, String)>,
    children: Vec<Vec<usize>>,
    links: HashMap<usize, Vec<(usize, bool)>>,
    gpo_scope_cache: HashMap<usize, std::rc::Rc<Vec<usize>>>,
    dcs: HashMap<String, Vec<usize>>,
    stand_ins: HashMap<String, usize>,
    placeable: Vec<usize>,
    tier0: Vec<bool>,
    /// Computers whose machine account was requested (principals somewhere).
    computer_memberships: Vec<(usize, usize)>,
    collected_domains: HashSet<String>,
    /// Principal nodes with a right that lets them enroll, by template node.
    enroll_rights: HashMap<usize, Vec<usize>>,
}

/// The pseudo-right [`Mapper::control`] passes down from a Group Policy Object to what it
/// applies to.
const VIA_GPO: &str = "(policy)";

/// The account-takeover relations a right on a user object gives, after BloodHound's abuse
/// notes: GenericAll resets the password, adds a key credential or sets an SPN; GenericWrite
/// the last two; the ACL rights (WriteDACL, WriteOwner, Owns) grant any of them.
fn user_takeover(right: &str) -> &'static [RelationKind] {
    use RelationKind::*;
    match right {
        "GenericAll" => &[CanResetPassword, CanAddKeyCredential, CanWriteSpn],
        "GenericWrite" => &[CanAddKeyCredential, CanWriteSpn],
        "ForceChangePassword" | "AllExtendedRights" => &[CanResetPassword],
        "AddKeyCredentialLink" => &[CanAddKeyCredential],
        "WriteSPN" => &[CanWriteSpn],
        "ReadGMSAPassword" => &[CanReadPassword],
        "WriteDACL" | "WriteOwner" | "Owns" => &[CanRewriteAcl],
        _ => &[],
    }
}

fn kind_pair_ok(r: RelationKind, f: AssetKind, t: AssetKind) -> bool {
    let device = |k: AssetKind| k.is_device() || k == AssetKind::DomainController;
    let account = |k: AssetKind| {
        matches!(
            k,
            AssetKind::User | AssetKind::Admin | AssetKind::ServiceAccount
        )
    };
    match r {
        RelationKind::CanResetPassword
        | RelationKind::CanAddKeyCredential
        | RelationKind::CanWriteSpn
        | RelationKind::CanReadPassword => f.is_identity() && account(t),
        RelationKind::CanRewriteAcl => {
            f.is_identity()
                && (account(t) || t.is_pki_object() || t == AssetKind::CertificateAuthority)
        }
        RelationKind::CanEnroll => {
            f.is_identity()
                && matches!(
                    t,
                    AssetKind::CertificateTemplate | AssetKind::CertificateAuthority
                )
        }
        RelationKind::CanManageCa | RelationKind::CanIssueCertificates => {
            f.is_identity() && t == AssetKind::CertificateAuthority
        }
        RelationKind::CanEnrollOnBehalf => f.is_identity() && t == AssetKind::CertificateTemplate,
        RelationKind::PublishedTo => {
            f == AssetKind::CertificateTemplate && t == AssetKind::CertificateAuthority
        }
        RelationKind::HostedOn => f == AssetKind::CertificateAuthority && device(t),
        RelationKind::HasIssuancePolicy => {
            f == AssetKind::CertificateTemplate && t == AssetKind::PkiObject
        }
        RelationKind::OidGroupLink => f == AssetKind::PkiObject && t == AssetKind::Group,
        RelationKind::CanPushGpo => f.is_identity() && (account(t) || device(t)),
        RelationKind::MemberOf => f.is_identity() && t == AssetKind::Group,
        RelationKind::AdminTo => f.is_identity() && device(t),
        RelationKind::HasSession => device(f) && t.is_identity() && t != AssetKind::Group,
        RelationKind::CanRdp | RelationKind::CanPsremote => f.is_identity() && device(t),
        RelationKind::Trusts => {
            f == AssetKind::DomainController && t == AssetKind::DomainController
        }
        _ => false,
    }
}

/// Maps BloodHound's graph to a draft estate; every edge is counted in the report.
pub fn map_graph(c: &Collection, opts: &Options, rep: &mut Report) -> Draft {
    let g = &c.graph;
    let n = g.nodes.len();
    let mut children = vec![Vec::new(); n];
    let mut links: HashMap<usize, Vec<(usize, bool)>> = HashMap::new();
    let mut enroll_rights: HashMap<usize, Vec<usize>> = HashMap::new();
    for e in &g.edges {
        match e.kind.as_str() {
            "Contains" => children[e.from].push(e.to),
            "GPLink" => links.entry(e.from).or_default().push((e.to, e.enforced)),
            "Enroll" | "GenericAll" | "AllExtendedRights"
                if g.nodes[e.to].kind == BhKind::CertTemplate =>
            {
                enroll_rights.entry(e.to).or_default().push(e.from);
            }
            _ => {}
        }
    }
    for c in &mut children {
        c.sort_unstable();
        c.dedup();
    }
    let mut m = Mapper {
        g,
        opts,
        rep,
        assets: Vec::new(),
        asset_ids: HashSet::new(),
        node_asset: vec![None; n],
        disabled: vec![false; n],
        machine: HashMap::new(),
        rels: Vec::new(),
        rel_seen: HashSet::new(),
        children,
        links,
        gpo_scope_cache: HashMap::new(),
        dcs: HashMap::new(),
        stand_ins: HashMap::new(),
        placeable: Vec::new(),
        tier0: vec![false; n],
        computer_memberships: Vec::new(),
        collected_domains: HashSet::new(),
        enroll_rights,
    };
    m.compute_tier0();
    m.create_assets();
    m.pki_links();
    m.mark_tier_zero();
    for ei in 0..g.edges.len() {
        m.map_edge(ei);
    }
    m.finish_machine_accounts();
    m.sid_history();
    m.implied_memberships();

    let mut draft = Draft {
        name: if c.domains.is_empty() {
            "bloodhound-import".into()
        } else {
            format!("bloodhound: {}", c.domains.join(", "))
        },
        description: "Active Directory estate imported from a SharpHound collection by `ztsim import bloodhound`; the header comment lists what was mapped, skipped and not understood.".into(),
        ..Draft::default()
    };
    let mut objectives = Vec::new();
    for (i, a) in m.assets.iter().enumerate() {
        if a.kind == AssetKind::DomainController
            && a.json
                .get("domain")
                .and_then(Value::as_str)
                .is_some_and(|d| m.collected_domains.contains(d))
        {
            objectives.push(i);
        }
    }
    if objectives.is_empty() {
        objectives = (0..m.assets.len())
            .filter(|&i| {
                m.assets[i].kind == AssetKind::DomainController
                    && !m.stand_ins.values().any(|&s| s == i)
            })
            .collect();
    }
    if !m.machine.is_empty() {
        m.rep.assumptions.push(format!(
            "{} computer(s) act as principals (rights, delegation, SID history, rights-bearing groups): each has a machine-account identity `<computer id>$` (tag bh:machine-account) that the computer holds a session of",
            m.machine.len()
        ));
    }
    if !m.stand_ins.is_empty() {
        m.rep.assumptions.push(format!(
            "{} domain(s) with no domain controller in the collection (trusted domains, or rights on a domain whose DCs were not collected) are represented by a stand-in domain_controller whose id is the domain SID (tag bh:stand-in)",
            m.stand_ins.len()
        ));
    }
    draft.placeable = m.placeable.clone();
    draft.default_objectives = objectives;
    draft.relations = std::mem::take(&mut m.rels);
    draft.assets = m.assets.into_iter().map(|a| a.json).collect();
    draft
}

impl Mapper<'_> {
    fn compute_tier0(&mut self) {
        // Reverse MemberOf / HasSIDHistory: who inherits a tier-0 group's rights.
        let n = self.g.nodes.len();
        let mut rev: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.g.edges {
            if e.kind == "MemberOf" || e.kind == "HasSIDHistory" {
                rev[e.to].push(e.from);
            }
        }
        let mut stack: Vec<usize> = (0..n)
            .filter(|&i| {
                self.g.nodes[i].kind == BhKind::Group && is_tier0_group(&self.g.nodes[i].id)
            })
            .collect();
        for &i in &stack {
            self.tier0[i] = true;
        }
        while let Some(x) = stack.pop() {
            for &y in &rev[x] {
                if !self.tier0[y] {
                    self.tier0[y] = true;
                    stack.push(y);
                }
            }
        }
    }

    fn add_asset(&mut self, json: Map<String, Value>, kind: AssetKind) -> Option<usize> {
        let id = json.get("id").and_then(Value::as_str)?.to_string();
        if id == super::DEFAULT_SEGMENT || !self.asset_ids.insert(id) {
            self.rep
                .unknown("object whose id clashes with another asset or segment");
            return None;
        }
        self.assets.push(OutAsset { json, kind });
        Some(self.assets.len() - 1)
    }

    fn base(&self, i: usize, kind: AssetKind) -> Map<String, Value> {
        let n = &self.g.nodes[i];
        let mut j = Map::new();
        j.insert("id".into(), Value::String(n.id.clone()));
        j.insert("kind".into(), Value::String(kind.name().into()));
        if let Some(name) = &n.name {
            j.insert("name".into(), Value::String(name.clone()));
        }
        let mut tags = Vec::new();
        if !n.collected {
            tags.push(Value::String("bh:placeholder".into()));
        }
        if n.unconstrained == Some(true) {
            tags.push(Value::String("bh:unconstrained-delegation".into()));
        }
        if n.dontreqpreauth == Some(true) {
            tags.push(Value::String("bh:asrep-roastable".into()));
        }
        if !tags.is_empty() {
            j.insert("tags".into(), Value::Array(tags));
        }
        j
    }

    fn create_assets(&mut self) {
        for i in 0..self.g.nodes.len() {
            let n = &self.g.nodes[i];
            if n.kind == BhKind::Domain && n.collected {
                self.collected_domains.insert(n.label().to_uppercase());
            }
            if matches!(n.kind, BhKind::User | BhKind::Computer)
                && n.enabled == Some(false)
                && !self.opts.include_disabled
            {
                self.disabled[i] = true;
                self.rep.skip(format!(
                    "disabled {} (enabled: false; import with --include-disabled)",
                    n.kind.name().to_lowercase()
                ));
                continue;
            }
            if n.unconstrained == Some(true) && n.is_dc {
                self.rep.skip(
                    "unconstrained delegation on a domain controller (trusted by design: holding it is the domain already)",
                );
            }
            let asset = match n.kind {
                BhKind::User => {
                    let service = n.hasspn == Some(true)
                        || n.label()
                            .split('@')
                            .next()
                            .is_some_and(|s| s.ends_with('$'));
                    let tier0 = self.tier0[i];
                    let admin = tier0 || n.admincount == Some(true);
                    let kind = if service {
                        AssetKind::ServiceAccount
                    } else if admin {
                        AssetKind::Admin
                    } else {
                        AssetKind::User
                    };
                    let mut j = self.base(i, kind);
                    let tier = if tier0 {
                        0
                    } else if admin {
                        1
                    } else {
                        2
                    };
                    j.insert("tier".into(), Value::from(tier));
                    if let Some(d) = &n.domain {
                        j.insert("domain".into(), Value::String(d.clone()));
                    }
                    if n.unconstrained == Some(true) {
                        // Its holder coerces a controller to it (CoerceToTGT).
                        j.insert("unconstrained_delegation".into(), Value::Bool(true));
                    }
                    self.add_asset(j, kind)
                }
                BhKind::Group => {
                    let mut j = self.base(i, AssetKind::Group);
                    if let Some(d) = &n.domain {
                        j.insert("domain".into(), Value::String(d.clone()));
                    }
                    self.add_asset(j, AssetKind::Group)
                }
                BhKind::Computer => {
                    let os = n.os.as_deref().unwrap_or("");
                    let kind = if n.is_dc {
                        AssetKind::DomainController
                    } else if os.to_lowercase().contains("server") {
                        AssetKind::Server
                    } else {
                        AssetKind::Workstation
                    };
                    let mut j = self.base(i, kind);
                    if n.is_dc {
                        if let Some(d) = &n.domain {
                            j.insert("domain".into(), Value::String(d.clone()));
                        }
                    } else {
                        let l = os.to_lowercase();
                        let os = if l.is_empty() || l.contains("windows") {
                            Os::Windows
                        } else if l.contains("mac") {
                            Os::Macos
                        } else if ["linux", "ubuntu", "red hat", "centos", "debian", "suse"]
                            .iter()
                            .any(|x| l.contains(x))
                        {
                            Os::Linux
                        } else {
                            Os::Other
                        };
                        j.insert("os".into(), serde_json::to_value(os).unwrap_or(Value::Null));
                        if n.collected {
                            j.insert("managed".into(), Value::Bool(true));
                        }
                        if let Some(l) = n.haslaps {
                            j.insert("unique_local_admin".into(), Value::Bool(l));
                        }
                        if let Some(d) = &n.domain {
                            j.insert("domain".into(), Value::String(d.clone()));
                        }
                        if n.unconstrained == Some(true) {
                            // Coercion reaches the domain through it (CoerceToTGT).
                            j.insert("unconstrained_delegation".into(), Value::Bool(true));
                        }
                    }
                    let a = self.add_asset(j, kind);
                    if let Some(a) = a {
                        self.placeable.push(a);
                        if n.is_dc
                            && let Some(sid) = &n.domain_sid
                        {
                            self.dcs.entry(sid.clone()).or_default().push(a);
                        }
                    }
                    a
                }
                _ => self.pki_asset(i),
            };
            self.node_asset[i] = asset;
        }
    }

    fn asset_id(&self, a: usize) -> String {
        self.assets[a].json["id"].as_str().unwrap_or("").to_string()
    }

    fn rel(&mut self, kind: RelationKind, from: usize, to: usize) -> bool {
        if from == to || !kind_pair_ok(kind, self.assets[from].kind, self.assets[to].kind) {
            return false;
        }
        let key = (kind, self.asset_id(from), self.asset_id(to));
        if self.rel_seen.insert(key.clone()) {
            self.rels.push(key);
            true
        } else {
            false
        }
    }

    /// The identity acting for a node: a user or group asset, or a computer's machine
    /// account (created on first use).
    fn principal(&mut self, i: usize) -> std::result::Result<usize, String> {
        let n = &self.g.nodes[i];
        if self.disabled[i] {
            return Err("involves a disabled account (use --include-disabled)".into());
        }
        match n.kind {
            BhKind::User | BhKind::Group => self.node_asset[i]
                .ok_or_else(|| "involves an object that could not be imported".to_string()),
            BhKind::Computer => self.machine_account(i),
            k => Err(format!("a {} cannot act as a principal", k.name())),
        }
    }

    fn machine_account(&mut self, i: usize) -> std::result::Result<usize, String> {
        if let Some(&a) = self.machine.get(&i) {
            return Ok(a);
        }
        let Some(dev) = self.node_asset[i] else {
            return Err("involves a computer that could not be imported".into());
        };
        let n = &self.g.nodes[i];
        let mut j = Map::new();
        j.insert("id".into(), Value::String(machine_account_id(&n.id)));
        j.insert("kind".into(), Value::String("service_account".into()));
        let name = match (&n.sam, &n.domain) {
            (Some(s), Some(d)) => format!("{s}@{d}"),
            _ => format!("{} (machine account)", n.label()),
        };
        j.insert("name".into(), Value::String(name));
        j.insert("tags".into(), serde_json::json!(["bh:machine-account"]));
        j.insert(
            "tier".into(),
            Value::from(if self.tier0[i] { 0 } else { 2 }),
        );
        if let Some(d) = &n.domain {
            j.insert("domain".into(), Value::String(d.clone()));
        }
        let a = self
            .add_asset(j, AssetKind::ServiceAccount)
            .ok_or_else(|| "machine account id clashes with another asset".to_string())?;
        self.machine.insert(i, a);
        // Administrator (SYSTEM) on the computer holds its machine account's secret.
        self.rel(RelationKind::HasSession, dev, a);
        Ok(a)
    }

    /// Domain controllers of a domain node (a stand-in when none was collected).
    fn domain_dcs(&mut self, d: usize) -> Vec<usize> {
        let node = &self.g.nodes[d];
        let sid = node.domain_sid.clone().unwrap_or_else(|| node.id.clone());
        if let Some(v) = self.dcs.get(&sid)
            && !v.is_empty()
        {
            return v.clone();
        }
        if let Some(&a) = self.stand_ins.get(&sid) {
            return vec![a];
        }
        let label = node.label().to_string();
        let mut j = Map::new();
        j.insert("id".into(), Value::String(node.id.clone()));
        j.insert("kind".into(), Value::String("domain_controller".into()));
        j.insert(
            "name".into(),
            Value::String(format!("{label} (domain controllers, none collected)")),
        );
        j.insert("domain".into(), Value::String(label.to_uppercase()));
        j.insert("tags".into(), serde_json::json!(["bh:stand-in"]));
        match self.add_asset(j, AssetKind::DomainController) {
            Some(a) => {
                self.placeable.push(a);
                self.stand_ins.insert(sid, a);
                vec![a]
            }
            None => Vec::new(),
        }
    }

    fn gpo_scope(&mut self, gpo: usize) -> std::rc::Rc<Vec<usize>> {
        if let Some(s) = self.gpo_scope_cache.get(&gpo) {
            return s.clone();
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for &(target, enforced) in self.links.get(&gpo).map(Vec::as_slice).unwrap_or(&[]) {
            let mut stack = vec![target];
            while let Some(x) = stack.pop() {
                for &c in &self.children[x] {
                    if !seen.insert(c) {
                        continue;
                    }
                    let cn = &self.g.nodes[c];
                    match cn.kind {
                        BhKind::Ou if cn.blocks_inheritance == Some(true) && !enforced => {}
                        BhKind::Ou | BhKind::Container | BhKind::Domain | BhKind::Base => {
                            stack.push(c)
                        }
                        BhKind::User | BhKind::Computer => out.push(c),
                        _ => {}
                    }
                }
            }
        }
        out.sort_unstable();
        let rc = std::rc::Rc::new(out);
        self.gpo_scope_cache.insert(gpo, rc.clone());
        rc
    }

    /// Control (full or write) of node `t` by identity asset `p`.
    /// What principal `p` gets from `right` over object `t` and whatever it contains: admin
    /// on computers, membership of groups, takeover of accounts; through a Group Policy
    /// Object (or the right to link one), a policy pushed to the computers and accounts it
    /// applies to.
    fn control(
        &mut self,
        p: usize,
        t: usize,
        right: &str,
        seen: &mut HashSet<usize>,
        c: &mut Control,
    ) {
        if !seen.insert(t) {
            return;
        }
        if self.disabled[t] {
            c.disabled += 1;
            return;
        }
        let policy = right == VIA_GPO || right == "WriteGPLink";
        let add = |me: &mut Self, rk: RelationKind, a: usize, c: &mut Control| {
            c.targets += 1;
            c.relations += me.rel(rk, p, a) as usize;
        };
        match self.g.nodes[t].kind {
            BhKind::Computer => {
                if let Some(a) = self.node_asset[t] {
                    let rk = if policy {
                        RelationKind::CanPushGpo
                    } else {
                        RelationKind::AdminTo
                    };
                    add(self, rk, a, c);
                }
            }
            BhKind::Group => {
                if let Some(a) = self.node_asset[t] {
                    add(self, RelationKind::MemberOf, a, c);
                }
            }
            BhKind::User => {
                if let Some(a) = self.node_asset[t] {
                    if policy {
                        add(self, RelationKind::CanPushGpo, a, c);
                    }
                    for &rk in user_takeover(right) {
                        add(self, rk, a, c);
                    }
                }
            }
            BhKind::Gpo => {
                let scope = self.gpo_scope(t);
                for &x in scope.iter() {
                    self.control(p, x, VIA_GPO, seen, c);
                }
            }
            BhKind::Domain => {
                for dc in self.domain_dcs(t) {
                    let rk = if policy {
                        RelationKind::CanPushGpo
                    } else {
                        RelationKind::AdminTo
                    };
                    add(self, rk, dc, c);
                }
                for x in self.children[t].clone() {
                    self.control(p, x, right, seen, c);
                }
            }
            BhKind::Ou | BhKind::Container | BhKind::Base => {
                for x in self.children[t].clone() {
                    self.control(p, x, right, seen, c);
                }
            }
            // A policy applies to no certificate services object.
            // (A right that gives nothing here is reported where it was granted.)
            k if k.is_pki() && !policy => {
                let _ = self.pki_control(p, t, right, c);
            }
            _ => {}
        }
    }

    fn map_edge(&mut self, ei: usize) {
        let e = &self.g.edges[ei];
        let (f, t, kind) = (e.from, e.to, e.kind.clone());
        let tk = self.g.nodes[t].kind;
        let fk = self.g.nodes[f].kind;
        match kind.as_str() {
            "MemberOf" => {
                if tk != BhKind::Group {
                    self.rep
                        .unknown(format!("MemberOf into a {} (not a group)", tk.name()));
                    return;
                }
                if fk == BhKind::Computer {
                    // Decided once every right is known: see finish_machine_accounts.
                    self.computer_memberships.push((f, t));
                    return;
                }
                let r = self.principal(f).and_then(|p| {
                    self.node_asset[t]
                        .ok_or_else(|| "involves an object that could not be imported".into())
                        .map(|g| self.rel(RelationKind::MemberOf, p, g) as usize)
                });
                self.outcome(&kind, tk, r);
            }
            "AdminTo" | "ExecuteDCOM" | "AllowedToDelegate" | "AllowedToAct" | "SQLAdmin" => {
                self.onto_device(&kind, f, t, RelationKind::AdminTo)
            }
            "CanRDP" | "RemoteInteractiveLogonRight" => {
                self.onto_device(&kind, f, t, RelationKind::CanRdp)
            }
            "CanPSRemote" => self.onto_device(&kind, f, t, RelationKind::CanPsremote),
            "HasSession" | "DumpSMSAPassword" => {
                if fk != BhKind::Computer || tk != BhKind::User {
                    self.rep.unknown(format!(
                        "{kind} from a {} to a {} (expected Computer to User)",
                        fk.name(),
                        tk.name()
                    ));
                    return;
                }
                let r = match (self.node_asset[f], self.node_asset[t]) {
                    _ if self.disabled[f] || self.disabled[t] => {
                        Err("involves a disabled account (use --include-disabled)".to_string())
                    }
                    (Some(d), Some(u)) => Ok(self.rel(RelationKind::HasSession, d, u) as usize),
                    _ => Err("involves an object that could not be imported".into()),
                };
                self.outcome(&kind, tk, r);
            }
            "HasSIDHistory" => {} // after every other right: see sid_history
            "Contains" | "GPLink" => self.rep.skip(format!(
                "{kind} (structure: pushes control of its source down to what it contains or applies to)"
            )),
            "DCFor" => self.rep.skip(
                "DCFor (expressed by the computer's kind domain_controller and its `domain`)",
            ),
            "TrustedBy" => self.trusted_by(ei),
            "DCSync" => {
                let r = self.principal(f).map(|p| {
                    let mut n = 0;
                    for dc in self.domain_dcs(t) {
                        n += self.rel(RelationKind::AdminTo, p, dc) as usize;
                    }
                    n
                });
                self.outcome(&kind, tk, r);
            }
            "GetChanges" | "GetChangesAll" | "GetChangesInFilteredSet" => self.rep.skip(format!(
                "{kind} (half of DCSync; mapped through DCSync when GetChanges and GetChangesAll are held together)"
            )),
            "PublishedTo" | "HostsCAService" | "Enroll" | "ManageCA" | "ManageCertificates"
            | "DelegatedEnrollmentAgent" | "OIDGroupLink" | "RootCAFor" | "NTAuthStoreFor" => {
                self.pki_edge(ei)
            }
            right => self.ace(ei, right.to_string()),
        }
    }

    fn outcome(&mut self, kind: &str, tk: BhKind, r: std::result::Result<usize, String>) {
        match r {
            Ok(n) => self.rep.mapped(kind, n),
            Err(reason) => self.rep.skip(format!("{kind} to {}: {reason}", tk.name())),
        }
    }

    fn onto_device(&mut self, kind: &str, f: usize, t: usize, rk: RelationKind) {
        let tk = self.g.nodes[t].kind;
        if tk != BhKind::Computer {
            self.rep.unknown(format!(
                "{kind} to a {} (ztsim's {} needs a device)",
                tk.name(),
                rk.name()
            ));
            return;
        }
        if self.disabled[t] {
            self.outcome(
                kind,
                tk,
                Err("involves a disabled computer (use --include-disabled)".into()),
            );
            return;
        }
        let r = self.principal(f).and_then(|p| {
            self.node_asset[t]
                .ok_or_else(|| "involves an object that could not be imported".into())
                .map(|d| self.rel(rk, p, d) as usize)
        });
        self.outcome(kind, tk, r);
    }

    fn trusted_by(&mut self, ei: usize) {
        // A TrustedBy B: B trusts A. ztsim: `B trusts A` on their domain controllers.
        let e = self.g.edges[ei].clone();
        if e.sid_filtering {
            self.rep.skip(
                "TrustedBy with SID filtering enabled (forged cross-domain SIDs are filtered; explicit grants to foreign principals are imported as edges)",
            );
            return;
        }
        if self.g.nodes[e.from].kind != BhKind::Domain || self.g.nodes[e.to].kind != BhKind::Domain
        {
            self.rep
                .unknown("TrustedBy between objects that are not domains");
            return;
        }
        let trusted = self.domain_dcs(e.from);
        let trusting = self.domain_dcs(e.to);
        let mut n = 0;
        for &b in &trusting {
            for &a in &trusted {
                n += self.rel(RelationKind::Trusts, b, a) as usize;
            }
        }
        self.rep.mapped("TrustedBy", n);
    }

    fn ace(&mut self, ei: usize, right: String) {
        let e = self.g.edges[ei].clone();
        let tk = self.g.nodes[e.to].kind;
        if !KNOWN_RIGHTS.contains(&right.as_str()) {
            self.rep.unknown(format!(
                "ACE right `{}` on {}",
                safe_text(&right),
                tk.name()
            ));
            return;
        }
        let generic = CONTROL_RIGHTS.contains(&right.as_str());
        enum Effect {
            Control,
            Pki,
            Laps,
            Skip(&'static str),
            Inexpressible(&'static str),
        }
        let effect = match (tk, right.as_str()) {
            (BhKind::User, r) if !user_takeover(r).is_empty() => Effect::Control,
            (BhKind::User, "AddMember" | "AddSelf") => {
                Effect::Skip("membership rights give nothing on a user")
            }
            (BhKind::User, "ReadLAPSPassword" | "SyncLAPSPassword") => {
                Effect::Skip("LAPS passwords belong to computers, not users")
            }
            (BhKind::User, "AddAllowedToAct" | "WriteAccountRestrictions") => Effect::Skip(
                "resource-based delegation to a user account gives no session on a host",
            ),
            (BhKind::User, "WriteGPLink" | "GetChanges" | "GetChangesAll") => {
                Effect::Skip("this right means nothing on a user object")
            }
            (BhKind::Computer, "WriteSPN") => {
                Effect::Skip("machine account passwords cannot be cracked after Kerberoasting")
            }
            (
                BhKind::Computer,
                "AllExtendedRights"
                | "AddKeyCredentialLink"
                | "AddAllowedToAct"
                | "WriteAccountRestrictions"
                | "ReadLAPSPassword",
            ) => Effect::Control,
            (BhKind::Group, "AddMember" | "AddSelf") => Effect::Control,
            (BhKind::Group, "AllExtendedRights") => {
                Effect::Skip("extended rights give nothing on a group")
            }
            (BhKind::Domain, "AllExtendedRights") => Effect::Control,
            (BhKind::Domain | BhKind::Ou, "WriteGPLink") => Effect::Control,
            (BhKind::Domain, "SyncLAPSPassword") => Effect::Laps,
            (k, _) if k.is_pki() => Effect::Pki,
            (_, "WritePKINameFlag" | "WritePKIEnrollmentFlag") => {
                Effect::Skip("this right is about certificate templates")
            }
            _ if generic => Effect::Control,
            _ => Effect::Inexpressible("this right gives no attack step on this kind of object"),
        };
        let p = match self.principal(e.from) {
            Ok(p) => p,
            Err(reason) => {
                self.rep.skip(format!("{right} on {}: {reason}", tk.name()));
                return;
            }
        };
        match effect {
            Effect::Pki => {
                let mut c = Control::default();
                match self.pki_control(p, e.to, &right, &mut c) {
                    Err(why) => self.rep.skip(format!("{right} on {}: {why}", tk.name())),
                    Ok(()) => self.rep.mapped(&right, c.relations),
                }
            }
            Effect::Skip(why) => self.rep.skip(format!("{right} on {}: {why}", tk.name())),
            Effect::Inexpressible(why) => {
                self.rep.unknown(format!("{right} on {}: {why}", tk.name()))
            }
            Effect::Laps => {
                let sid = self.g.nodes[e.to].id.clone();
                let mut n = 0;
                for i in 0..self.g.nodes.len() {
                    let c = &self.g.nodes[i];
                    if c.kind == BhKind::Computer
                        && c.haslaps == Some(true)
                        && c.domain_sid.as_deref() == Some(sid.as_str())
                        && let Some(a) = self.node_asset[i]
                    {
                        n += self.rel(RelationKind::AdminTo, p, a) as usize;
                    }
                }
                self.rep.mapped(&right, n);
            }
            Effect::Control => {
                let mut c = Control::default();
                let mut seen = HashSet::new();
                if tk == BhKind::Domain && right == "AllExtendedRights" {
                    // Extended rights on a domain include replication: DCSync only.
                    for dc in self.domain_dcs(e.to) {
                        c.targets += 1;
                        c.relations += self.rel(RelationKind::AdminTo, p, dc) as usize;
                    }
                } else {
                    self.control(p, e.to, &right, &mut seen, &mut c);
                }
                if c.targets > 0 {
                    self.rep.mapped(&right, c.relations);
                } else if c.disabled > 0 {
                    self.rep.skip(format!(
                        "{right} on {}: involves a disabled account (use --include-disabled)",
                        tk.name()
                    ));
                } else if matches!(tk, BhKind::Computer | BhKind::Group) {
                    self.rep.skip(format!(
                        "{right} on {}: the principal is the object itself",
                        tk.name()
                    ));
                } else {
                    self.rep.skip(format!(
                        "{right} on {}: contains or applies to nothing imported",
                        tk.name()
                    ));
                }
            }
        }
    }

    fn finish_machine_accounts(&mut self) {
        // Groups that carry rights (directly or through groups they are members of).
        let group_ids: HashMap<String, usize> = (0..self.g.nodes.len())
            .filter(|&i| self.g.nodes[i].kind == BhKind::Group)
            .filter_map(|i| self.node_asset[i].map(|a| (self.asset_id(a), i)))
            .collect();
        let mut with_rights: HashSet<String> = self
            .rels
            .iter()
            .filter(|(k, f, _)| *k != RelationKind::MemberOf && group_ids.contains_key(f))
            .map(|(_, f, _)| f.clone())
            .collect();
        loop {
            let before = with_rights.len();
            for (k, f, t) in &self.rels {
                if *k == RelationKind::MemberOf
                    && with_rights.contains(t)
                    && group_ids.contains_key(f)
                {
                    with_rights.insert(f.clone());
                }
            }
            if with_rights.len() == before {
                break;
            }
        }
        for (c, g) in std::mem::take(&mut self.computer_memberships) {
            let Some(ga) = self.node_asset[g] else {
                self.rep
                    .skip("MemberOf to Group: involves an object that could not be imported");
                continue;
            };
            let needed = self.machine.contains_key(&c) || with_rights.contains(&self.asset_id(ga));
            if !needed {
                self.rep.skip(
                    "MemberOf from a computer into a group that carries no right (its machine account is not modelled)",
                );
                continue;
            }
            let r = self
                .principal(c)
                .map(|p| self.rel(RelationKind::MemberOf, p, ga) as usize);
            self.outcome("MemberOf", BhKind::Group, r);
        }
    }

    fn sid_history(&mut self) {
        const RIGHTS: [RelationKind; 4] = [
            RelationKind::MemberOf,
            RelationKind::AdminTo,
            RelationKind::CanRdp,
            RelationKind::CanPsremote,
        ];
        let edges: Vec<(usize, usize)> = self
            .g
            .edges
            .iter()
            .filter(|e| e.kind == "HasSIDHistory")
            .map(|e| (e.from, e.to))
            .collect();
        if edges.is_empty() {
            return;
        }
        // Rights as they stand before any copying (one level of SID history).
        let mut rights_of: HashMap<String, Vec<(RelationKind, String)>> = HashMap::new();
        for (k, from, to) in &self.rels {
            if RIGHTS.contains(k) {
                rights_of
                    .entry(from.clone())
                    .or_default()
                    .push((*k, to.clone()));
            }
        }
        let idx: HashMap<String, usize> = self
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.json["id"].as_str().unwrap_or("").to_string(), i))
            .collect();
        for (f, t) in edges {
            let tk = self.g.nodes[t].kind;
            let p = match self.principal(f) {
                Ok(p) => p,
                Err(reason) => {
                    self.rep
                        .skip(format!("HasSIDHistory to {}: {reason}", tk.name()));
                    continue;
                }
            };
            match tk {
                BhKind::Group => {
                    let r = self.node_asset[t]
                        .ok_or_else(|| "involves an object that could not be imported".into())
                        .map(|g| self.rel(RelationKind::MemberOf, p, g) as usize);
                    self.outcome("HasSIDHistory", tk, r);
                }
                BhKind::User | BhKind::Computer => {
                    let holder = if tk == BhKind::User {
                        self.node_asset[t]
                    } else {
                        self.machine.get(&t).copied()
                    };
                    let Some(holder) = holder else {
                        self.rep.skip(format!(
                            "HasSIDHistory to {}: the SID-history target holds no rights in the estate",
                            tk.name()
                        ));
                        continue;
                    };
                    let copy = rights_of
                        .get(&self.asset_id(holder))
                        .cloned()
                        .unwrap_or_default();
                    if copy.is_empty() {
                        self.rep.skip(format!(
                            "HasSIDHistory to {}: the SID-history target holds no rights in the estate",
                            tk.name()
                        ));
                        continue;
                    }
                    let mut n = 0;
                    for (k, to) in copy {
                        if let Some(&ta) = idx.get(&to) {
                            n += self.rel(k, p, ta) as usize;
                        }
                    }
                    self.rep.mapped("HasSIDHistory", n);
                }
                other => self.rep.unknown(format!(
                    "HasSIDHistory to a {} (expected a user, computer or group)",
                    other.name()
                )),
            }
        }
    }

    /// Every domain user is an Authenticated User, and every Authenticated User is in
    /// Everyone: rights granted to those well-known groups reach the domain's users.
    fn implied_memberships(&mut self) {
        let mut added = 0;
        let domains: Vec<(String, String)> = self
            .g
            .nodes
            .iter()
            .filter(|n| n.kind == BhKind::Domain)
            .filter_map(|n| Some((n.domain_sid.clone()?, n.name.clone()?.to_uppercase())))
            .collect();
        for (sid, name) in domains {
            let find = |id: String| -> Option<usize> {
                self.g
                    .index
                    .get(&id)
                    .and_then(|&i| self.node_asset[i])
                    .filter(|&a| self.assets[a].kind == AssetKind::Group)
            };
            let du = find(format!("{sid}-513"));
            let dc = find(format!("{sid}-515"));
            let au = find(format!("{name}-S-1-5-11"));
            let ev = find(format!("{name}-S-1-1-0"));
            let broad = au.or(ev);
            for g in [du, dc].into_iter().flatten() {
                if let Some(b) = broad {
                    added += self.rel(RelationKind::MemberOf, g, b) as usize;
                }
            }
            if let (Some(a), Some(e)) = (au, ev) {
                added += self.rel(RelationKind::MemberOf, a, e) as usize;
            }
        }
        if added > 0 {
            *self
                .rep
                .mapped
                .entry("(implied) Domain Users/Computers in Authenticated Users in Everyone".into())
                .or_default() = (0, added);
        }
    }
}

/// Reads a collection and maps it: the draft estate and the report.
pub fn import(path: &Path, opts: &Options) -> Result<(Draft, Report, BhGraph)> {
    let c = read_collection(path, opts)?;
    let mut rep = c.report.clone();
    let draft = map_graph(&c, opts, &mut rep);
    Ok((draft, rep, c.graph))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_parent() {
        assert_eq!(parent_dn("CN=A,OU=B,DC=X"), Some("OU=B,DC=X"));
        assert_eq!(parent_dn("CN=A\\,B,DC=X"), Some("DC=X"));
        assert_eq!(parent_dn("DC=X"), None);
    }

    #[test]
    fn entry_names() {
        assert!(safe_entry_name("20240101_users.json"));
        assert!(safe_entry_name("dir/users.json"));
        assert!(!safe_entry_name("../users.json"));
        assert!(!safe_entry_name("a/../../users.json"));
        assert!(!safe_entry_name("/etc/users.json"));
        assert!(!safe_entry_name("..\\users.json"));
        assert!(!safe_entry_name("C:users.json"));
    }

    #[test]
    fn tier0_groups() {
        assert!(is_tier0_group("S-1-5-21-1-2-3-512"));
        assert!(is_tier0_group("CORP.LOCAL-S-1-5-32-544"));
        assert!(!is_tier0_group("S-1-5-21-1-2-3-513"));
        assert!(!is_tier0_group("S-1-5-21-1-2-3-1512"));
    }

    #[test]
    fn tier_zero_marks() {
        let props = |v: serde_json::Value| -> Props { serde_json::from_value(v).expect("props") };
        assert!(tier_zero_marked(&props(
            serde_json::json!({"highvalue": true})
        )));
        assert!(tier_zero_marked(&props(
            serde_json::json!({"system_tags": "admin_tier_0 owned"})
        )));
        assert!(tier_zero_marked(&props(
            serde_json::json!({"systemtags": ["admin_tier_0"]})
        )));
        assert!(!tier_zero_marked(&props(
            serde_json::json!({"highvalue": false, "system_tags": "owned"})
        )));
    }

    #[test]
    fn filenames() {
        assert_eq!(
            type_from_filename("20240101120000_computers.json").as_deref(),
            Some("computers")
        );
        assert_eq!(type_from_filename("readme.txt"), None);
    }
}
