//! AzureHound output (Microsoft Entra ID and Azure) → a ztsim estate, alone or joined to a
//! SharpHound import (hybrid identities).
//!
//! Two stages, as for SharpHound:
//! 1. **Read** ([`read_items`]): the file's envelope (`{"data": [{"kind", "data"}], "meta":
//!    {"type": "azure"}}`) is checked and every item decoded into its kind's type
//!    ([`Item`]). A file that is not AzureHound output is an error naming the file and what
//!    is wrong; an unknown kind is counted as not understood, with a warning; a repeated
//!    object id is counted, with a warning, and the first item kept.
//! 2. **Map** (`map`): tenants become `identity_provider` assets, users, groups, service
//!    principals and devices identities and devices, subscriptions, VMs, key vaults,
//!    automation accounts, managed clusters and web, function and logic apps their ztsim
//!    kinds; a directory role becomes a group standing for the role (`has_role`), and what
//!    BloodHound's post-processing draws from the role (AZAddSecret, AZResetPassword,
//!    AZGlobalAdmin, ...) becomes relations from that group. Azure RBAC on management groups and resource groups is pushed down to
//!    the subscriptions and resources below them. Every item and edge is counted as mapped,
//!    skipped (with the reason) or not understood.
//!
//! Joined to a SharpHound draft ([`import_into`]), an Entra user or group whose
//! `onPremisesSecurityIdentifier` is the SID of an imported AD object becomes that asset
//! (one identity with both halves' rights: Entra Connect synchronises the password), and a
//! hybrid-joined device whose name is the first label of exactly one imported computer's
//! name becomes that computer. The mapping table is in docs/azurehound.md.

mod map;
mod types;

pub use types::Item;

use super::{Draft, Report, safe_text};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Choices for reading AzureHound output.
#[derive(Clone, Debug)]
pub struct Options {
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Import disabled users, service principals and devices (skipped by default).
    pub include_disabled: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_bytes: crate::limits::Limits::default().max_file_bytes,
            include_disabled: false,
        }
    }
}

/// The items of one AzureHound file, decoded, with what reading them found.
#[derive(Debug, Default)]
pub struct Collection {
    /// Every item understood, in file order, first occurrence of each object id only.
    pub items: Vec<Item>,
}

/// Reads an AzureHound file and maps it: the draft estate and the report.
pub fn import(path: &Path, opts: &Options) -> Result<(Draft, Report)> {
    let mut draft = Draft {
        name: "azurehound-import".into(),
        description: "Microsoft Entra ID and Azure estate imported from AzureHound output by `ztsim import azurehound`; the header comment lists what was mapped, skipped and not understood.".into(),
        ..Draft::default()
    };
    let mut report = Report::default();
    import_into(&mut draft, &mut report, path, opts)?;
    Ok((draft, report))
}

/// Reads an AzureHound file and adds what it holds to `draft` (a SharpHound import, or an
/// empty draft), joining synchronised users and groups and hybrid-joined devices to the
/// imported AD objects; everything is counted in `report`.
pub fn import_into(
    draft: &mut Draft,
    report: &mut Report,
    path: &Path,
    opts: &Options,
) -> Result<()> {
    let name = path.display().to_string();
    let bytes = read_bounded(path, opts.max_file_bytes)?;
    let c = read_items(&name, &bytes, report)?;
    map::map(&c, draft, report, opts);
    Ok(())
}

fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let read_err = |cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > cap {
        return Err(Error::Usage(format!(
            "{}: {len} bytes is more than the limit of {cap} (raise --max-file-bytes)",
            safe_text(&path.display().to_string())
        )));
    }
    std::fs::read(path).map_err(read_err)
}

/// What is wrong with a file that is not AzureHound output.
fn not_azurehound(name: &str, what: impl std::fmt::Display) -> Error {
    Error::Usage(format!(
        "{}: not an AzureHound file: {what} (expected {{\"data\": [{{\"kind\": ..., \"data\": {{...}}}}], \"meta\": {{\"type\": \"azure\", ...}}}}, as `azurehound list -o FILE` writes)",
        safe_text(name)
    ))
}

/// Checks the envelope and decodes every item (see the module doc). `name` names the file
/// in errors and in the report.
pub fn read_items(name: &str, bytes: &[u8], report: &mut Report) -> Result<Collection> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| not_azurehound(name, format!("{e}")))?;
    let Value::Object(mut top) = doc else {
        return Err(not_azurehound(name, "the document is not a JSON object"));
    };
    let meta_type = top
        .get("meta")
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match meta_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("azure") => {}
        Some(t) => {
            return Err(not_azurehound(
                name,
                format!("meta.type is `{}`, not `azure`", safe_text(t)),
            ));
        }
        None => return Err(not_azurehound(name, "no meta.type")),
    }
    let Some(Value::Array(raw)) = top.remove("data") else {
        return Err(not_azurehound(name, "no `data` array"));
    };
    let mut c = Collection::default();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: HashSet<(&'static str, String)> = HashSet::new();
    let (mut unknown, mut repeats) = (0usize, 0usize);
    let count = raw.len();
    for (i, v) in raw.into_iter().enumerate() {
        let Value::Object(mut o) = v else {
            return Err(not_azurehound(name, format!("data[{i}] is not an object")));
        };
        let (Some(Value::String(kind)), Some(data @ Value::Object(_))) =
            (o.remove("kind"), o.remove("data"))
        else {
            return Err(not_azurehound(
                name,
                format!("data[{i}] is not a {{\"kind\": string, \"data\": object}} item"),
            ));
        };
        *kinds.entry(kind.clone()).or_default() += 1;
        match Item::decode(&kind, data) {
            types::Decoded::Item(item) => {
                if let Some(key) = item.key()
                    && !seen.insert(key)
                {
                    repeats += 1;
                    report.skip(format!(
                        "{kind}: repeated object id (the first item is kept)"
                    ));
                    continue;
                }
                c.items.push(*item);
            }
            types::Decoded::Skipped(reason) => report.skip(format!("{kind}: {reason}")),
            types::Decoded::Unknown => {
                unknown += 1;
                report.unknown(format!(
                    "kind `{}` (not an AzureHound kind ztsim knows)",
                    safe_text(&kind)
                ));
            }
            types::Decoded::Bad(e) => report.unknown(format!(
                "{kind} item whose data does not decode: {}",
                safe_text(&e)
            )),
        }
    }
    if unknown > 0 {
        report.warnings.push(format!(
            "{}: {unknown} item(s) of unknown kind(s) not imported (counted as not understood)",
            name
        ));
    }
    if repeats > 0 {
        report.warnings.push(format!(
            "{}: {repeats} item(s) repeat an object id already read; the first of each was kept",
            name
        ));
    }
    report
        .files
        .push((name.to_string(), "azure".to_string(), count));
    for (k, n) in kinds {
        *report.objects.entry(k).or_default() += n;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(Collection, Report)> {
        let mut r = Report::default();
        read_items("az.json", text.as_bytes(), &mut r).map(|c| (c, r))
    }

    #[test]
    fn envelope_errors_name_the_file_and_the_problem() {
        for (text, what) in [
            ("[1, 2]", "not a JSON object"),
            (r#"{"data": []}"#, "no meta.type"),
            (
                r#"{"data": [], "meta": {"type": "users"}}"#,
                "meta.type is `users`",
            ),
            (r#"{"meta": {"type": "azure"}}"#, "no `data` array"),
            (
                r#"{"data": [3], "meta": {"type": "azure"}}"#,
                "data[0] is not an object",
            ),
            (
                r#"{"data": [{"kind": "AZUser"}], "meta": {"type": "azure"}}"#,
                "data[0] is not a",
            ),
            ("{", "EOF"),
        ] {
            let e = read(text).unwrap_err().to_string();
            assert!(e.starts_with("az.json: not an AzureHound file"), "{e}");
            assert!(e.contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_kinds_and_repeats_are_counted_with_warnings() {
        let text = r#"{"data": [
            {"kind": "AZUser", "data": {"id": "u1", "displayName": "A"}},
            {"kind": "AZUser", "data": {"id": "U1", "displayName": "A again"}},
            {"kind": "AZQuantumThing", "data": {}},
            {"kind": "AZStorageAccount", "data": {"id": "/x"}}
        ], "meta": {"type": "azure", "version": 5, "count": 4}}"#;
        let (c, r) = read(text).unwrap();
        assert_eq!(c.items.len(), 1);
        assert_eq!(r.not_understood_total(), 1);
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert_eq!(
            r.skipped
                .get("AZUser: repeated object id (the first item is kept)"),
            Some(&1)
        );
        assert_eq!(r.objects.get("AZUser"), Some(&2));
        assert_eq!(
            r.files,
            vec![("az.json".to_string(), "azure".to_string(), 4)]
        );
    }
}
