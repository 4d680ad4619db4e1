//! `audit`: what third-party code a module folder or a bundle carries, and
//! whether each module's vendored files are bound to code whose hash go.sum
//! pins. A bundle is verified (signature first) before it is audited.

pub mod diff;
pub mod license;
pub mod sbom;
pub mod vulns;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bundle::VULNDB;
use crate::bundle::diags::Report;
use crate::bundle::extract::Extract;
use crate::error::Error;
use crate::gomod::verify::{self as go_verify, GoCheck, ModuleStatus};

/// The module download cache a folder audit reads by default, as Go finds
/// it: `$GOMODCACHE`, else the first `$GOPATH` entry's pkg/mod, else
/// `~/go/pkg/mod`. `None` when that folder does not exist.
pub fn default_cache() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let modcache = env("GOMODCACHE").or_else(|| {
        let gopath = env("GOPATH").and_then(|p| std::env::split_paths(&p).next());
        gopath
            .or_else(|| env("HOME").map(|h| h.join("go")))
            .map(|g| g.join("pkg/mod"))
    })?;
    Some(modcache.join("cache/download")).filter(|p| p.is_dir())
}

/// One vendored module as the reviewer sees it: the Go check's verdict and
/// its license.
#[derive(Debug, Clone, Serialize)]
pub struct AuditModule {
    #[serde(flatten)]
    pub status: ModuleStatus,
    /// SPDX ids joined with " AND ", or "unknown".
    pub license: String,
}

/// What an audit found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    #[serde(flatten)]
    pub check: GoCheck,
    pub licensed: Vec<AuditModule>,
    /// License policy violations (`--deny-license`, `--allow-license`).
    pub policy: Vec<String>,
    /// The bundle's own sbom.cdx.json (audits of a bundle).
    #[serde(skip)]
    pub sbom: Option<Vec<u8>>,
    /// Known vulnerabilities, when a database snapshot was given.
    pub vulns: Option<VulnReport>,
}

/// What the vulnerability check found, and how old its database is.
#[derive(Debug, Clone, Serialize)]
pub struct VulnReport {
    /// When the snapshot was taken (`index/db.json`), if it says.
    pub snapshot: Option<String>,
    pub advisories: usize,
    pub modules_checked: usize,
    pub hits: Vec<vulns::Hit>,
}

/// The module versions whose code is built: a replacement's when replaced
/// by a version; local-path replacements have no version to match.
fn built_versions(check: &GoCheck) -> Vec<(String, String)> {
    check
        .modules_status
        .iter()
        .filter_map(|m| match (m.replace_kind, &m.replace) {
            (Some("local path"), _) => None,
            (Some(_), Some(r)) => r
                .split_once(' ')
                .map(|(p, v)| (p.to_string(), v.to_string())),
            _ => Some((m.path.clone(), m.version.clone())),
        })
        .collect()
}

impl Audit {
    /// Matches the audited modules against a vulnerability database snapshot.
    pub fn check_vulns(&mut self, snapshot: &vulns::Snapshot) {
        let modules = built_versions(&self.check);
        self.vulns = Some(VulnReport {
            snapshot: snapshot.modified.clone(),
            advisories: snapshot.advisories.len(),
            modules_checked: modules.len(),
            hits: vulns::matches(snapshot, &modules),
        });
    }
}

impl Audit {
    /// Whether the audit passes: no Go finding, no policy violation.
    pub fn ok(&self) -> bool {
        let vulnerable = self.vulns.as_ref().is_some_and(|v| !v.hits.is_empty());
        self.check.findings.is_empty() && self.policy.is_empty() && !vulnerable
    }
}

/// Licenses a CI gate allows or denies, by SPDX id ("unknown" included),
/// and whether to check known vulnerabilities (against the bundle's own
/// snapshot, or `vulndb` when given).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub deny: Vec<String>,
    pub allow: Vec<String>,
    pub vulns: bool,
    pub vulndb: Option<PathBuf>,
}

impl Policy {
    /// One line per module whose license the policy refuses.
    pub fn violations(&self, modules: &[AuditModule]) -> Vec<String> {
        let mut out = Vec::new();
        for m in modules {
            for id in m.license.split(" AND ") {
                let who = format!("{}@{}", m.status.path, m.status.version);
                if self.deny.iter().any(|d| d == id) {
                    out.push(format!("{who}: license {id} is denied (--deny-license)"));
                } else if !self.allow.is_empty() && !self.allow.iter().any(|a| a == id) {
                    out.push(format!("{who}: license {id} is not in --allow-license"));
                }
            }
        }
        out
    }
}

/// The Go check of `tree`, with each module's license and the policy applied.
fn audit_tree(tree: &Path, cache: Option<&Path>, policy: &Policy) -> Result<Audit, Error> {
    let check = go_verify::check_tree(tree, cache)?;
    let licensed = licenses(tree, &check);
    let violations = policy.violations(&licensed);
    let mut audit = Audit {
        check,
        licensed,
        policy: violations,
        sbom: None,
        vulns: None,
    };
    if policy.vulns {
        let db = policy.vulndb.as_deref().ok_or_else(|| {
            Error::Usage(format!(
                "{}: --vulns on a folder needs --vulndb DIR|ZIP (a Go vulnerability database snapshot)",
                tree.display()
            ))
        })?;
        audit.check_vulns(&vulns::load(db)?);
    }
    Ok(audit)
}

/// Each module's license, read where its code is: vendor/<path>, or the
/// folder a local-path replacement names.
pub fn licenses(tree: &Path, check: &GoCheck) -> Vec<AuditModule> {
    check
        .modules_status
        .iter()
        .map(|m| {
            let dir = match (m.replace_kind, &m.replace) {
                (Some("local path"), Some(local)) => tree.join(local),
                _ => tree.join("vendor").join(&m.path),
            };
            AuditModule {
                status: m.clone(),
                license: license::of_module(&dir),
            }
        })
        .collect()
}

/// Audits a Go module folder with a vendor/; `cache` is a GOPROXY-layout folder.
pub fn dir(dir: &Path, cache: Option<&Path>, policy: &Policy) -> Result<Audit, Error> {
    if !dir.join("go.mod").is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod: audit takes a Go module folder or a bundle",
            dir.display()
        )));
    }
    audit_tree(dir, cache, policy)
}

/// Audits a bundle: everything `verify` checks first, then the Go check and
/// licenses on its extracted src/ (the Go check reads modcache/ as it streams).
pub fn bundle(
    bundle: &Path,
    pub_key: Option<&Path>,
    policy: &Policy,
    quiet: bool,
) -> Result<(Report, Option<Audit>), Error> {
    let Some(pub_key) = pub_key else {
        return Err(Error::Usage(format!(
            "{}: auditing a bundle starts with its signature: pass --pub PUB",
            bundle.display()
        )));
    };
    let system_temp = std::env::temp_dir();
    let temp = crate::temp::dir_in("audit", &system_temp).map_err(Error::io(&system_temp))?;
    let sink = Extract::only(temp.path(), &["src/", "sbom.cdx.json", VULNDB]);
    let checked = crate::verify::check(bundle, pub_key, &sink, quiet)?;
    let report = checked.report;
    let Some(check) = checked.go else {
        return Ok((report, None));
    };
    let src = temp.path().join("src");
    let licensed = licenses(&src, &check);
    let sbom = std::fs::read(temp.path().join(crate::bundle::SBOM)).ok();
    let violations = policy.violations(&licensed);
    let mut audit = Audit {
        check,
        licensed,
        policy: violations,
        sbom,
        vulns: None,
    };
    if policy.vulns {
        let bundled = temp.path().join(VULNDB);
        let db = match &policy.vulndb {
            Some(db) => db.clone(),
            None if bundled.is_dir() => bundled,
            None => {
                return Err(Error::Usage(format!(
                    "{}: carries no vulnerability database: pack with --vulndb, or pass --vulndb DIR|ZIP",
                    bundle.display()
                )));
            }
        };
        audit.check_vulns(&vulns::load(&db)?);
    }
    Ok((report, Some(audit)))
}

/// The CycloneDX SBOM of a module folder, as pack would write it; the
/// dependency graph is `go mod graph` from the local module cache, and empty
/// when Go or the cache cannot give it offline.
pub fn sbom_of_dir(dir: &Path, audit: &Audit) -> Result<Vec<u8>, Error> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let modfile = crate::gomod::modfile::parse(&read("go.mod"))?;
    let sum = crate::gomod::gosum::parse(&read("go.sum"))?;
    let txt = crate::gomod::modules_txt::parse(&read("vendor/modules.txt"))?;
    let modules = crate::pack::modules(&txt, &sum);
    let graph = crate::gomod::toolchain::Go::locate()
        .and_then(|go| go.mod_graph(dir))
        .map(|text| sbom::parse_graph(&text))
        .unwrap_or_default();
    let licenses = audit
        .licensed
        .iter()
        .map(|m| (m.status.path.clone(), m.license.clone()))
        .collect();
    let main = crate::bundle::manifest::MainModule {
        path: modfile.module.clone(),
        version: crate::pack::describe_version(dir),
        go: modfile.go.clone(),
        toolchain: modfile.toolchain.clone(),
    };
    let epoch = crate::pack::source_date_epoch()?;
    Ok(sbom::cyclonedx(&sbom::SbomInput {
        main: &main,
        created: &crate::pack::created(epoch),
        modules: &modules,
        licenses: &licenses,
        graph: &graph,
    }))
}
