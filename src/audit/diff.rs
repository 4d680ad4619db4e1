//! What third-party code changed between two releases: modules added,
//! removed, upgraded, downgraded, re-replaced or re-licensed; vendored files
//! changed per module; images and the Dockerfile changed. Computed from the
//! signed manifests and SBOMs alone.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::bundle::DOCKERFILE;
use crate::bundle::manifest::{Manifest, Module};
use crate::gomod::semver;

/// One side of a diff: its manifest and each module's license.
pub struct Side {
    pub manifest: Manifest,
    /// Module path → license, from the side's sbom.cdx.json.
    pub licenses: BTreeMap<String, String>,
}

/// Module path → license from a ferry SBOM (a replaced module's component
/// names the replacement; `ferry:replaces` names the module).
pub fn licenses(sbom: &[u8]) -> BTreeMap<String, String> {
    let Ok(bom) = serde_json::from_slice::<serde_json::Value>(sbom) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for c in bom["components"].as_array().into_iter().flatten() {
        let replaces = c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "ferry:replaces");
        let path = match replaces.and_then(|p| p["value"].as_str()) {
            Some(v) => v.rsplit_once('@').map_or(v, |(p, _)| p).to_string(),
            None => c["name"].as_str().unwrap_or_default().to_string(),
        };
        // An expression (ferry since SPDX expressions), else ids or names
        // (older bundles), with the SBOM's unknown reference read back.
        let ids: Vec<String> = c["licenses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| {
                l["expression"]
                    .as_str()
                    .or(l["license"]["id"].as_str())
                    .or(l["license"]["name"].as_str())
            })
            .map(|e| e.replace(super::license::expr::UNKNOWN_REF, super::license::UNKNOWN))
            .collect();
        out.insert(path, ids.join(" AND "));
    }
    out
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Upgraded,
    Downgraded,
    ReplacementChanged,
    LicenseChanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleChange {
    pub path: String,
    pub change: Change,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileChanges {
    pub module: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageChange {
    pub tag: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: String,
    pub new: String,
    pub modules: Vec<ModuleChange>,
    pub vendored_files: Vec<FileChanges>,
    pub images: Vec<ImageChange>,
    pub dockerfile_changed: bool,
}

/// The differences between two sides.
pub fn diff(old: &Side, new: &Side) -> Diff {
    let label = |s: &Side| format!("{} {}", s.manifest.module.path, s.manifest.module.version);
    Diff {
        old: label(old),
        new: label(new),
        modules: modules(old, new),
        vendored_files: vendored_files(&old.manifest, &new.manifest),
        images: images(&old.manifest, &new.manifest),
        dockerfile_changed: entry_sha(&old.manifest, DOCKERFILE)
            != entry_sha(&new.manifest, DOCKERFILE),
    }
}

fn replacement(m: &Module) -> Option<String> {
    m.replace.as_ref().map(|r| match &r.version {
        Some(v) => format!("{} {v}", r.path),
        None => r.path.clone(),
    })
}

fn modules(old: &Side, new: &Side) -> Vec<ModuleChange> {
    let by_path = |m: &Manifest| {
        m.modules
            .iter()
            .map(|x| (x.path.clone(), x.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (by_path(&old.manifest), by_path(&new.manifest));
    let mut out = Vec::new();
    let change = |path: &str, change, old: Option<String>, new: Option<String>| ModuleChange {
        path: path.to_string(),
        change,
        old,
        new,
    };
    for path in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        match (a.get(path), b.get(path)) {
            (None, Some(n)) => out.push(change(path, Change::Added, None, Some(n.version.clone()))),
            (Some(o), None) => {
                out.push(change(path, Change::Removed, Some(o.version.clone()), None))
            }
            (Some(o), Some(n)) => {
                let kind = match semver::compare(&o.version, &n.version) {
                    Ordering::Less => Some(Change::Upgraded),
                    Ordering::Greater => Some(Change::Downgraded),
                    Ordering::Equal => None,
                };
                if let Some(kind) = kind {
                    out.push(change(
                        path,
                        kind,
                        Some(o.version.clone()),
                        Some(n.version.clone()),
                    ));
                }
                if replacement(o) != replacement(n) {
                    out.push(change(
                        path,
                        Change::ReplacementChanged,
                        replacement(o),
                        replacement(n),
                    ));
                }
                let (lo, ln) = (old.licenses.get(path), new.licenses.get(path));
                if lo.is_some() && ln.is_some() && lo != ln {
                    out.push(change(
                        path,
                        Change::LicenseChanged,
                        lo.cloned(),
                        ln.cloned(),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// vendor/ entries by module: each file goes to the longest module path that
/// holds it.
fn vendored(m: &Manifest) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut paths: Vec<&str> = m.modules.iter().map(|x| x.path.as_str()).collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // vendor/ beside the module, or beside go.work in a workspace.
    let root = crate::source::Layout::join(m.module.layout.vendor_root(), "vendor");
    let prefix = format!("src/{root}/");
    for e in &m.entries {
        let Some(rel) = e.path.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let owner = paths
            .iter()
            .find(|p| rel.starts_with(&format!("{p}/")))
            .map_or("(vendor)", |p| *p);
        out.entry(owner.to_string())
            .or_default()
            .insert(format!("vendor/{rel}"), e.sha256.clone());
    }
    out
}

fn vendored_files(old: &Manifest, new: &Manifest) -> Vec<FileChanges> {
    let (a, b) = (vendored(old), vendored(new));
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    for module in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        let (fa, fb) = (
            a.get(module).unwrap_or(&empty),
            b.get(module).unwrap_or(&empty),
        );
        let mut c = FileChanges {
            module: module.clone(),
            ..FileChanges::default()
        };
        for f in fa.keys().chain(fb.keys()).collect::<BTreeSet<_>>() {
            match (fa.get(f), fb.get(f)) {
                (None, Some(_)) => c.added.push(f.clone()),
                (Some(_), None) => c.removed.push(f.clone()),
                (Some(x), Some(y)) if x != y => c.changed.push(f.clone()),
                _ => {}
            }
        }
        if !(c.added.is_empty() && c.removed.is_empty() && c.changed.is_empty()) {
            out.push(c);
        }
    }
    out
}

fn images(old: &Manifest, new: &Manifest) -> Vec<ImageChange> {
    let by_tag = |m: &Manifest| {
        m.images
            .iter()
            .map(|i| (i.tag.clone(), i.digest.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (by_tag(old), by_tag(new));
    a.keys()
        .chain(b.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|t| a.get(*t) != b.get(*t))
        .map(|t| ImageChange {
            tag: t.clone(),
            old: a.get(t).cloned(),
            new: b.get(t).cloned(),
        })
        .collect()
}

fn entry_sha<'a>(m: &'a Manifest, path: &str) -> Option<&'a str> {
    m.entries
        .iter()
        .find(|e| e.path == path)
        .map(|e| e.sha256.as_str())
}
