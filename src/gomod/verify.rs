//! The Go verification of a module tree with a vendor/ folder: module cache
//! against go.sum, modules.txt against go.mod, the vendor tree against
//! modules.txt, and every vendored file against its module's verified zip
//! (or local replacement folder). Each zip is read once, all of them on
//! every core: its `h1:` and the per-file digests used for binding come from
//! the same pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::diags::Finding;
use super::dirhash::DirhashError;
use super::escape::escape;
use super::gosum::{self, GoSum};
use super::inputs::{Disk, Inputs};
use super::modfile;
use super::modules_txt::{self, ModulesTxt, VendoredModule};
use super::modzip::ModuleZip;
use super::vendor_rules::{self, ModuleFile};
use super::{ParseError, consistency};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Dirhash(#[from] DirhashError),
}

/// A module whose files could not be bound, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    pub module: String,
    pub version: String,
    pub reason: String,
}

/// One vendored module and what the check concluded about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleStatus {
    pub path: String,
    pub version: String,
    pub replace: Option<String>,
    /// `version` or `local path`, when replaced.
    pub replace_kind: Option<&'static str>,
    pub explicit: bool,
    pub go: Option<String>,
    pub packages: usize,
    pub vendored_files: usize,
    pub vendored_bytes: u64,
    /// Findings that name this module (drift, hash mismatches).
    pub findings: usize,
    /// `verified`, `mismatch`, `not checked: …`, or `no packages vendored`.
    pub status: String,
}

/// The outcome: findings fail the check; `not_checked` is never a pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoCheck {
    pub module: String,
    pub modules_status: Vec<ModuleStatus>,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    pub modules: usize,
    pub vendored_files: usize,
    pub hashes_checked: usize,
}

/// What is in vendor/ (but modules.txt): each file's sha256 and size, by
/// path relative to vendor/.
#[derive(Debug, Clone, Default)]
pub struct VendorListing {
    pub files: BTreeMap<String, [u8; 32]>,
    pub sizes: BTreeMap<String, u64>,
}

impl VendorListing {
    /// From a signed manifest whose entries were all verified: the entries
    /// under `prefix` (`src/vendor/`), so nothing needs extracting to be hashed.
    pub fn from_entries(entries: &[crate::bundle::manifest::Entry], prefix: &str) -> VendorListing {
        let mut out = VendorListing::default();
        for e in entries {
            let Some(rel) = e.path.strip_prefix(prefix) else {
                continue;
            };
            if rel == "modules.txt" {
                continue;
            }
            let mut digest = [0u8; 32];
            if hex::decode_to_slice(&e.sha256, &mut digest).is_ok() {
                out.files.insert(rel.to_string(), digest);
                out.sizes.insert(rel.to_string(), e.size);
            }
        }
        out
    }
}

/// Runs every check on `tree` (a module root); `cache` is a module download
/// cache in GOPROXY layout (`$GOMODCACHE/cache/download`, or a bundle's modcache/).
pub fn check_tree(tree: &Path, cache: Option<&Path>) -> Result<GoCheck, VerifyError> {
    check(&Disk { tree, cache })
}

/// Runs every check on what `inputs` give.
pub fn check(inputs: &dyn Inputs) -> Result<GoCheck, VerifyError> {
    let modfile = modfile::parse(&inputs.text("go.mod")?.unwrap_or_default())?;
    let sum = inputs
        .text("go.sum")?
        .map(|t| gosum::parse(&t))
        .transpose()?
        .unwrap_or_default();
    let mut out = GoCheck::default();
    let Some(txt) = inputs.text("vendor/modules.txt")? else {
        if !modfile.requires.is_empty() {
            out.findings.push(finding(
                &modfile.module,
                "",
                "vendor/modules.txt",
                "go.mod requires modules but there is no vendor/modules.txt".into(),
                None,
                None,
            ));
        }
        out.module = modfile.module;
        return Ok(out);
    };
    let txt = modules_txt::parse(&txt)?;
    out.findings.extend(consistency::check(&modfile, &txt));
    let listing = inputs.vendor()?;
    let vendored = &listing.files;
    out.vendored_files = vendored.len();
    check_package_folders(&txt, vendored, &mut out);
    let bound = bound_zips(&txt);
    let zips = read_zips(inputs, &sum, &bound)?;
    check_cache(inputs, &zips, &sum, &bound, &mut out)?;
    let owners = owners(&txt, vendored, &mut out);
    for (i, m) in txt.modules.iter().enumerate() {
        if m.packages.is_empty() {
            continue;
        }
        out.modules += 1;
        let mine: Vec<&String> = owners
            .iter()
            .filter(|(_, o)| **o == i)
            .map(|(f, _)| *f)
            .collect();
        if let Some(files) = module_files(inputs, &zips, m, &sum, &mut out)? {
            bind(
                m,
                &files,
                &mine,
                vendored,
                modfile.go.as_deref().unwrap_or("1.16"),
                &mut out,
            );
        }
    }
    out.module = modfile.module;
    out.modules_status = statuses(&listing.sizes, &txt, &owners, &out);
    Ok(out)
}

/// Each module's verdict, from the findings that name it.
fn statuses(
    sizes: &BTreeMap<String, u64>,
    txt: &ModulesTxt,
    owners: &BTreeMap<&String, usize>,
    out: &GoCheck,
) -> Vec<ModuleStatus> {
    txt.modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let code = m
                .replace
                .as_ref()
                .filter(|r| !r.is_local())
                .map_or(m.path.as_str(), |r| r.path.as_str());
            let skipped = out
                .not_checked
                .iter()
                .find(|n| n.module == m.path && n.version == m.version);
            let findings = out
                .findings
                .iter()
                .filter(|f| f.module == m.path || f.module == code)
                .count();
            let mine = owners.iter().filter(|(_, o)| **o == i).map(|(f, _)| *f);
            let bytes = mine.clone().filter_map(|f| sizes.get(f.as_str())).sum();
            let status = if findings > 0 {
                "mismatch".to_string()
            } else if let Some(n) = skipped {
                n.reason.clone()
            } else if m.packages.is_empty() {
                "no packages vendored".to_string()
            } else {
                "verified".to_string()
            };
            ModuleStatus {
                path: m.path.clone(),
                version: m.version.clone(),
                replace: m.replace.as_ref().map(|r| match &r.version {
                    Some(v) => format!("{} {v}", r.path),
                    None => r.path.clone(),
                }),
                replace_kind: m.replace.as_ref().map(|r| {
                    if r.is_local() {
                        "local path"
                    } else {
                        "version"
                    }
                }),
                explicit: m.explicit,
                go: m.go_version.clone(),
                packages: m.packages.len(),
                vendored_files: mine.count(),
                vendored_bytes: bytes,
                findings,
                status,
            }
        })
        .collect()
}

fn finding(
    module: &str,
    version: &str,
    file: &str,
    problem: String,
    expected: Option<String>,
    actual: Option<String>,
) -> Finding {
    Finding {
        module: module.into(),
        version: version.into(),
        file: file.into(),
        problem,
        expected,
        actual,
    }
}

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Each listed package has a folder with files; no folder of Go files is unlisted.
fn check_package_folders(
    txt: &ModulesTxt,
    vendored: &BTreeMap<String, [u8; 32]>,
    out: &mut GoCheck,
) {
    let dirs_with_files: BTreeSet<&str> = vendored.keys().map(|f| dir_of(f)).collect();
    let listed: BTreeSet<&str> = txt
        .modules
        .iter()
        .flat_map(|m| m.packages.iter().map(String::as_str))
        .collect();
    for m in &txt.modules {
        for p in m
            .packages
            .iter()
            .filter(|p| !dirs_with_files.contains(p.as_str()))
        {
            out.findings.push(finding(
                &m.path,
                &m.version,
                &format!("vendor/{p}"),
                format!("package {p} is listed in vendor/modules.txt but has no folder in vendor/"),
                None,
                None,
            ));
        }
    }
    let go_dirs: BTreeSet<&str> = vendored
        .keys()
        .filter(|f| f.ends_with(".go"))
        .map(|f| dir_of(f))
        .collect();
    for d in go_dirs.difference(&listed) {
        out.findings.push(finding(
            "",
            "",
            &format!("vendor/{d}"),
            format!("folder holds Go files but vendor/modules.txt lists no package {d}"),
            None,
            None,
        ));
    }
}

/// Which vendored module each vendored file belongs to: the module of its
/// package folder, else the longest module path above it.
fn owners<'a>(
    txt: &ModulesTxt,
    vendored: &'a BTreeMap<String, [u8; 32]>,
    out: &mut GoCheck,
) -> BTreeMap<&'a String, usize> {
    let mut map = BTreeMap::new();
    for f in vendored.keys() {
        let dir = dir_of(f);
        let by_pkg = txt
            .modules
            .iter()
            .position(|m| m.packages.iter().any(|p| p == dir));
        let by_prefix = || {
            txt.modules
                .iter()
                .enumerate()
                .filter(|(_, m)| vendor_rules::package_dir(&m.path, dir).is_some())
                .max_by_key(|(_, m)| m.path.len())
                .map(|(i, _)| i)
        };
        match by_pkg.or_else(by_prefix) {
            Some(i) => {
                map.insert(f, i);
            }
            None => out.findings.push(finding(
                "",
                "",
                &format!("vendor/{f}"),
                "belongs to no module in vendor/modules.txt".into(),
                None,
                None,
            )),
        }
    }
    map
}

/// The cache path of a module's zip or go.mod.
fn cache_rel(path: &str, version: &str, ext: &str) -> String {
    format!("{}/@v/{}.{ext}", escape(path), escape(version))
}

/// Every module zip that go.sum names or binding needs, read on every core.
fn read_zips(
    inputs: &dyn Inputs,
    sum: &GoSum,
    bound: &BTreeSet<(String, String)>,
) -> Result<BTreeMap<String, Arc<ModuleZip>>, VerifyError> {
    let wanted: BTreeSet<String> = sum
        .lines
        .iter()
        .filter(|l| !l.go_mod)
        .map(|l| (&l.path, &l.version))
        .chain(bound.iter().map(|(p, v)| (p, v)))
        .map(|(p, v)| cache_rel(p, v, "zip"))
        .collect();
    let read: Vec<_> = wanted
        .into_par_iter()
        .map(|rel| Ok(inputs.zip(&rel)?.map(|z| (rel, z))))
        .collect::<Result<_, VerifyError>>()?;
    Ok(read.into_iter().flatten().collect())
}

/// Every module zip and go.mod of the cache that go.sum names matches it.
fn check_cache(
    inputs: &dyn Inputs,
    zips: &BTreeMap<String, Arc<ModuleZip>>,
    sum: &GoSum,
    skip: &BTreeSet<(String, String)>,
    out: &mut GoCheck,
) -> Result<(), VerifyError> {
    for line in &sum.lines {
        let ext = if line.go_mod { "mod" } else { "zip" };
        let rel = cache_rel(&line.path, &line.version, ext);
        let actual = if line.go_mod {
            inputs.go_mod_hash(&rel)?
        } else if skip.contains(&(line.path.clone(), line.version.clone())) {
            continue; // counted where binding reads its files
        } else {
            zips.get(&rel).map(|z| z.h1.clone())
        };
        let Some(actual) = actual else {
            continue;
        };
        out.hashes_checked += 1;
        if actual != line.hash {
            out.findings.push(finding(
                &line.path,
                &line.version,
                &format!("modcache/{rel}"),
                format!("does not match go.sum line {}", line.line),
                Some(line.hash.clone()),
                Some(actual),
            ));
        }
    }
    Ok(())
}

/// The zips that binding reads (and hashes) itself: the code of each
/// vendored module with packages, the replacement's when replaced by a version.
fn bound_zips(txt: &ModulesTxt) -> BTreeSet<(String, String)> {
    txt.modules
        .iter()
        .filter(|m| !m.packages.is_empty())
        .filter_map(|m| match &m.replace {
            Some(r) => r.version.clone().map(|v| (r.path.clone(), v)),
            None => Some((m.path.clone(), m.version.clone())),
        })
        .collect()
}

/// The files of a vendored module: from its verified zip, or its local
/// replacement folder. `None` (with a not-checked note) when neither is here.
fn module_files(
    inputs: &dyn Inputs,
    zips: &BTreeMap<String, Arc<ModuleZip>>,
    m: &VendoredModule,
    sum: &GoSum,
    out: &mut GoCheck,
) -> Result<Option<BTreeMap<String, ModuleFile>>, VerifyError> {
    let not_checked = |out: &mut GoCheck, reason: String| {
        out.not_checked.push(NotChecked {
            module: m.path.clone(),
            version: m.version.clone(),
            reason,
        });
        Ok(None)
    };
    if let Some(r) = m.replace.as_ref().filter(|r| r.is_local()) {
        return match inputs.folder(&r.path)? {
            Some(files) => Ok(Some(files)),
            None => not_checked(
                out,
                format!("local replacement {} is not in the tree", r.path),
            ),
        };
    }
    let (path, version) = match &m.replace {
        Some(r) => (r.path.as_str(), r.version.as_deref().unwrap_or_default()),
        None => (m.path.as_str(), m.version.as_str()),
    };
    if !inputs.has_cache() {
        return not_checked(out, "not checked: module cache absent".into());
    }
    let rel = cache_rel(path, version, "zip");
    let Some(zip) = zips.get(&rel) else {
        return not_checked(
            out,
            format!("not checked: {rel} is not in the module cache"),
        );
    };
    out.hashes_checked += 1;
    let h1 = zip.h1.clone();
    match sum.hash(path, version, false) {
        None => out.findings.push(finding(
            path,
            version,
            "go.sum",
            "go.sum has no line for this module zip".into(),
            None,
            Some(h1),
        )),
        Some(want) if want != h1 => out.findings.push(finding(
            path,
            version,
            &format!("modcache/{rel}"),
            "module zip does not match go.sum".into(),
            Some(want.into()),
            Some(h1),
        )),
        Some(_) => {}
    }
    Ok(Some(zip.files_below(&format!("{path}@{version}/"))))
}

/// Every vendored file of `m` is in its module, byte for byte, and is one that
/// `go mod vendor` copies; every file it copies is there.
fn bind(
    m: &VendoredModule,
    files: &BTreeMap<String, ModuleFile>,
    mine: &[&String],
    vendored: &BTreeMap<String, [u8; 32]>,
    main_go: &str,
    out: &mut GoCheck,
) {
    let source = if m.replace.as_ref().is_some_and(|r| r.is_local()) {
        "the local replacement folder"
    } else {
        "the module zip"
    };
    let expected = vendor_rules::expected(&m.path, &m.packages, files, main_go);
    let prefix = format!("{}/", m.path);
    for f in mine {
        let rel = f.strip_prefix(prefix.as_str()).unwrap_or(f);
        let actual = hex::encode(vendored[*f]);
        let shown = format!("vendor/{f}");
        match files.get(rel) {
            None => out.findings.push(finding(
                &m.path,
                &m.version,
                &shown,
                format!("is not in {source}"),
                None,
                Some(format!("sha256:{actual}")),
            )),
            Some(mf) if hex::encode(mf.sha256) != actual => out.findings.push(finding(
                &m.path,
                &m.version,
                &shown,
                format!("differs from {source}"),
                Some(format!("sha256:{}", hex::encode(mf.sha256))),
                Some(format!("sha256:{actual}")),
            )),
            Some(_) if !expected.contains(rel) => out.findings.push(finding(
                &m.path,
                &m.version,
                &shown,
                format!("is in {source}, but go mod vendor does not copy it"),
                None,
                None,
            )),
            Some(_) => {}
        }
    }
    for rel in &expected {
        let f = format!("{prefix}{rel}");
        if !vendored.contains_key(&f) {
            out.findings.push(finding(
                &m.path,
                &m.version,
                &format!("vendor/{f}"),
                format!("is missing from vendor/ (go mod vendor copies it from {source})"),
                Some(format!("sha256:{}", hex::encode(files[rel].sha256))),
                None,
            ));
        }
    }
}
