//! A scenario written as a SharpHound collection: the zip of v6 JSON files
//! (`users`, `groups`, `computers`, `domains`) that `ztsim import bloodhound` and
//! BloodHound read. With `ztsim generate` it makes large Active Directory collections for
//! scale tests, and importing what it writes gives back the estate's directory part (the
//! round trip is tested).
//!
//! What is written: identities (users, admins, service accounts, guests as users) and
//! groups with their domain; workstations, laptops, servers and domain controllers as
//! computers; `member_of` as group members; `admin_to`, `can_rdp` and `can_psremote` on a
//! computer as its local groups 544, 555 and 580; `has_session` as sessions; the account
//! takeover relations as ACEs on the target account (ForceChangePassword,
//! AddKeyCredentialLink, WriteSPN, ReadGMSAPassword, WriteDacl). Everything else
//! (applications, data, cloud, segments, other relations) has no SharpHound form and is
//! counted in [`Written::not_written`].

use crate::error::{Error, Result};
use crate::model::{AssetKind, Os, RelationKind};
use crate::scenario::{AssetDef, Scenario};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

/// The collection written, and what had no SharpHound form.
#[derive(Debug, Default)]
pub struct Written {
    /// The zip's bytes.
    pub zip: Vec<u8>,
    /// Objects written, by SharpHound file type.
    pub objects: BTreeMap<&'static str, usize>,
    /// What was not written, by reason, with counts.
    pub not_written: BTreeMap<String, usize>,
}

/// The SharpHound object type an asset kind is written as, if any.
fn object_type(k: AssetKind) -> Option<&'static str> {
    use AssetKind::*;
    match k {
        User | Admin | ServiceAccount | Guest => Some("users"),
        Group => Some("groups"),
        Workstation | Laptop | Server | DomainController => Some("computers"),
        _ => None,
    }
}

/// BloodHound's principal type of an asset written as `object_type`.
fn principal_type(t: &str) -> &'static str {
    match t {
        "users" => "User",
        "groups" => "Group",
        _ => "Computer",
    }
}

/// The ACE right a takeover relation is written as.
fn ace_right(r: RelationKind) -> Option<&'static str> {
    Some(match r {
        RelationKind::CanResetPassword => "ForceChangePassword",
        RelationKind::CanAddKeyCredential => "AddKeyCredentialLink",
        RelationKind::CanWriteSpn => "WriteSPN",
        RelationKind::CanReadPassword => "ReadGMSAPassword",
        RelationKind::CanRewriteAcl => "WriteDacl",
        _ => return None,
    })
}

/// A domain SID made from the domain's name (stable: FNV-1a of the name).
fn domain_sid(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!(
        "S-1-5-21-{}-{}-{}",
        h & 0x7fff_ffff,
        (h >> 31) & 0x7fff_ffff,
        h >> 62
    )
}

/// Everything written for one object, gathered from the relations before serialising.
#[derive(Default)]
struct Parts {
    members: Vec<Value>,
    aces: Vec<Value>,
    local: BTreeMap<&'static str, Vec<Value>>,
    sessions: Vec<Value>,
}

/// Writes the directory part of `s` as a SharpHound v6 zip.
pub fn write(s: &Scenario) -> Result<Written> {
    let mut out = Written::default();
    let kinds: HashMap<&str, &AssetDef> = s.assets.iter().map(|a| (a.id.as_str(), a)).collect();
    let typed = |id: &str| kinds.get(id).and_then(|a| object_type(a.kind));
    let mut parts: HashMap<&str, Parts> = HashMap::new();
    for r in &s.relations {
        let (Some(ft), Some(tt)) = (typed(&r.from), typed(&r.to)) else {
            *out.not_written
                .entry(format!(
                    "{} with an end SharpHound has no object for",
                    r.kind
                ))
                .or_default() += 1;
            continue;
        };
        let who = json!({"ObjectIdentifier": r.from, "ObjectType": principal_type(ft)});
        let ace = |right: &str| {
            json!({"PrincipalSID": r.from, "PrincipalType": principal_type(ft),
                   "RightName": right, "IsInherited": false})
        };
        if r.kind == RelationKind::HasSession && ft == "computers" && tt == "users" {
            // BloodHound's direction: the computer holds the user's session.
            let c = parts.entry(r.from.as_str()).or_default();
            c.sessions
                .push(json!({"ComputerSID": r.from, "UserSID": r.to}));
            continue;
        }
        let p = parts.entry(r.to.as_str()).or_default();
        match (r.kind, tt) {
            (RelationKind::MemberOf, "groups") => p.members.push(who),
            (RelationKind::AdminTo, "computers") => p.local.entry("544").or_default().push(who),
            (RelationKind::CanRdp, "computers") => p.local.entry("555").or_default().push(who),
            (RelationKind::CanPsremote, "computers") => p.local.entry("580").or_default().push(who),
            (k, "users") if ace_right(k).is_some() => {
                p.aces.push(ace(ace_right(k).unwrap_or_default()))
            }
            _ => {
                *out.not_written
                    .entry(format!("{} between these kinds", r.kind))
                    .or_default() += 1
            }
        }
    }
    let mut files: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut domains: BTreeMap<String, String> = BTreeMap::new();
    for a in &s.assets {
        let Some(t) = object_type(a.kind) else {
            *out.not_written
                .entry(format!("{} asset (no SharpHound object)", a.kind))
                .or_default() += 1;
            continue;
        };
        let dom = a
            .domain
            .clone()
            .unwrap_or_else(|| "CORP.LOCAL".into())
            .to_uppercase();
        let sid = domains
            .entry(dom.clone())
            .or_insert_with(|| domain_sid(&dom))
            .clone();
        let p = parts.remove(a.id.as_str()).unwrap_or_default();
        files
            .entry(t)
            .or_default()
            .push(object(a, t, &dom, &sid, p));
    }
    files.insert(
        "domains",
        domains
            .iter()
            .map(|(name, sid)| {
                json!({"ObjectIdentifier": sid, "Properties": {"name": name, "domain": name,
                    "domainsid": sid, "collected": true}, "Aces": [], "Trusts": [],
                    "Links": [], "ChildObjects": [], "IsDeleted": false})
            })
            .collect(),
    );
    out.zip = zip_files(&files)?;
    out.objects = files.iter().map(|(k, v)| (*k, v.len())).collect();
    Ok(out)
}

/// One object of file type `t`.
fn object(a: &AssetDef, t: &str, dom: &str, sid: &str, p: Parts) -> Value {
    let mut props = json!({"name": format!("{}@{dom}", a.id.to_uppercase()), "domain": dom,
        "domainsid": sid, "enabled": true});
    let mut o = json!({"ObjectIdentifier": a.id, "Aces": p.aces, "IsDeleted": false});
    match t {
        "users" => {
            props["hasspn"] = Value::Bool(a.kind == AssetKind::ServiceAccount);
            props["admincount"] = Value::Bool(a.kind == AssetKind::Admin);
            if a.unconstrained_delegation == Some(true) {
                props["unconstraineddelegation"] = Value::Bool(true);
            }
        }
        "groups" => o["Members"] = Value::Array(p.members),
        _ => {
            props["name"] = Value::String(format!("{}.{dom}", a.id.to_uppercase()));
            props["operatingsystem"] = Value::String(os_name(a).into());
            if let Some(l) = a.unique_local_admin {
                props["haslaps"] = Value::Bool(l);
            }
            if a.unconstrained_delegation == Some(true) {
                props["unconstraineddelegation"] = Value::Bool(true);
            }
            o["IsDC"] = Value::Bool(a.kind == AssetKind::DomainController);
            o["LocalGroups"] = Value::Array(
                p.local
                    .into_iter()
                    .map(|(rid, results)| {
                        json!({"ObjectIdentifier": format!("{}-{rid}", a.id), "Results": results,
                            "Collected": true})
                    })
                    .collect(),
            );
            o["Sessions"] = json!({"Results": p.sessions, "Collected": true});
        }
    }
    o["Properties"] = props;
    o
}

/// The operating system string SharpHound would report for a computer: one the importer
/// reads back as the same kind (`server` in a server's) and operating system.
fn os_name(a: &AssetDef) -> &'static str {
    let server = matches!(a.kind, AssetKind::Server | AssetKind::DomainController);
    match (a.os, server) {
        (Some(Os::Linux), true) => "Ubuntu Server 22.04 LTS",
        (Some(Os::Linux), false) => "Ubuntu 22.04 LTS",
        (Some(Os::Macos), _) => "macOS 14",
        (Some(Os::Other | Os::Ios | Os::Android), true) => "Appliance server firmware",
        (Some(Os::Other | Os::Ios | Os::Android), false) => "Appliance firmware",
        (_, true) => "Windows Server 2022 Standard",
        (_, false) => "Windows 11 Enterprise",
    }
}

/// The files as a deflated zip, each `ztsim_<type>.json` with SharpHound's v6 `meta`.
fn zip_files(files: &BTreeMap<&'static str, Vec<Value>>) -> Result<Vec<u8>> {
    let zerr = |e: &dyn std::fmt::Display| Error::Usage(format!("writing the zip: {e}"));
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (t, data) in files {
        z.start_file(format!("ztsim_{t}.json"), opt)
            .map_err(|e| zerr(&e))?;
        let doc = json!({"data": data,
            "meta": {"methods": 0, "type": t, "count": data.len(), "version": 6}});
        serde_json::to_writer(&mut z, &doc).map_err(|e| zerr(&e))?;
        z.flush().map_err(|e| zerr(&e))?;
    }
    Ok(z.finish().map_err(|e| zerr(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_sids_are_stable_and_distinct() {
        assert_eq!(domain_sid("CORP.LOCAL"), domain_sid("CORP.LOCAL"));
        assert_ne!(domain_sid("CORP.LOCAL"), domain_sid("LAB.LOCAL"));
        assert!(domain_sid("X").starts_with("S-1-5-21-"));
    }
}
