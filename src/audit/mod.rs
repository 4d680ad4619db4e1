//! The reviewer's reports: what third-party code a tree carries, each
//! module's license and Go verdict (`license`), the license and vulnerability
//! gate (`policy`, `vulns`), the SBOM (`sbom`), and what changed between two
//! releases (`diff`).

pub mod diff;
pub mod license;
pub mod openvex;
pub mod policy;
pub mod reach;
pub mod record;
pub mod sbom;
pub mod vulns;

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::gomod::check::{GoCheck, ModuleStatus, ReplaceKind};

pub use policy::Policy;

/// One vendored module as the reviewer sees it: the Go check's verdict and
/// its license.
#[derive(Debug, Clone, Serialize)]
pub struct AuditModule {
    #[serde(flatten)]
    pub status: ModuleStatus,
    /// An SPDX expression (`Apache-2.0 AND MIT`, `MIT OR Apache-2.0`), with
    /// "unknown" for a license file no SPDX text matches; "unknown" alone
    /// when the module has no license file.
    pub license: String,
    /// The license files it was read from, each with its own expression.
    pub license_files: Vec<license::LicenseFile>,
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
    /// The audited release's version (the bundle's, or `git describe`).
    #[serde(skip)]
    pub version: Option<String>,
}

/// What the vulnerability check found, and how old its database is.
#[derive(Debug, Clone, Serialize)]
pub struct VulnReport {
    /// When the snapshot was taken (`index/db.json`), if it says.
    pub snapshot: Option<String>,
    pub advisories: usize,
    pub modules_checked: usize,
    pub hits: Vec<vulns::Hit>,
    /// The govulncheck scan the levels come from (its findings are in
    /// `hits`), when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachability: Option<Scan>,
}

/// Which scan said how close the code comes to each vulnerability.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub scanner: String,
    pub go_version: String,
    pub db_modified: Option<String>,
    /// `pack` (the bundle's vulns.json) or `audit` (run on this folder).
    pub when: &'static str,
}

/// What the reachability levels come from: a scan, and for a bundle its own
/// database, the one the scan read (an advisory it lacks is new since the
/// pack; one it holds in another revision changed since).
pub struct Reachability<'a> {
    pub reach: &'a reach::Reach,
    pub when: &'static str,
    pub known: Option<&'a vulns::Snapshot>,
}

impl Audit {
    /// The Go check of `tree`, each module's license read there, and the
    /// policy's license verdicts.
    pub fn new(tree: &Path, check: GoCheck, policy: &Policy) -> Audit {
        let licensed = licenses(tree, &check);
        let violations = policy.violations(&licensed);
        Audit {
            check,
            licensed,
            policy: violations,
            sbom: None,
            vulns: None,
            version: None,
        }
    }

    /// Matches the audited modules against a vulnerability database
    /// snapshot, each match with the level a govulncheck scan gave it.
    pub fn check_vulns(&mut self, snapshot: &vulns::Snapshot, scan: Option<Reachability>) {
        let modules: Vec<(String, String)> = self
            .check
            .modules_status
            .iter()
            .filter_map(ModuleStatus::built)
            .collect();
        let mut hits = vulns::matches(snapshot, &modules);
        if let Some(scan) = &scan {
            with_levels(&mut hits, snapshot, scan);
        }
        self.vulns = Some(VulnReport {
            snapshot: snapshot.modified.clone(),
            advisories: snapshot.advisories.len(),
            modules_checked: modules.len(),
            hits,
            reachability: scan.map(|s| Scan {
                scanner: s.reach.scanner.clone(),
                go_version: s.reach.go_version.clone(),
                db_modified: s.reach.db_modified.clone(),
                when: s.when,
            }),
        });
    }

    /// The OpenVEX document of the vulnerability matches, for the audited
    /// release (`created`: RFC 3339).
    pub fn openvex(&self, created: &str) -> Vec<u8> {
        let product = sbom::purl(&self.check.module, self.version.as_deref());
        let hits = self.vulns.as_ref().map_or(&[][..], |v| &v.hits[..]);
        openvex::document(&product, created, hits)
    }

    /// Whether the audit passes: no Go finding, no policy violation.
    pub fn ok(&self) -> bool {
        let vulnerable = self.vulns.as_ref().is_some_and(|v| !v.hits.is_empty());
        self.check.findings.is_empty() && self.policy.is_empty() && !vulnerable
    }
}

/// Each version match gets the scan's level, unless the advisory is not the
/// revision the scan read: one the bundle's own database did not hold is
/// marked new since the pack, one it held in another revision (`modified`)
/// changed since, and neither gets a level; a scan finding no
/// version match gave is added as it is, except the standard library's:
/// the Go that builds on the isolated side is not the one that scanned.
pub fn with_levels(hits: &mut Vec<vulns::Hit>, snapshot: &vulns::Snapshot, scan: &Reachability) {
    for h in hits.iter_mut() {
        if let Some(own) = scan.known {
            let now = snapshot.get(&h.id).map(|a| &a.modified);
            match own.get(&h.id) {
                None => h.since_pack = true,
                Some(then) => h.changed_since_pack = now != Some(&then.modified),
            }
        }
        if h.since_pack || h.changed_since_pack {
            continue;
        }
        if let Some(f) = scan.reach.find(&h.id, &h.module) {
            h.level = Some(f.level);
            h.symbol = f.symbol.clone();
            h.call_path = f.call_path.clone();
        }
    }
    for f in &scan.reach.findings {
        let stdlib = f.module == "stdlib" || f.module == "toolchain";
        if stdlib || hits.iter().any(|h| h.id == f.id && h.module == f.module) {
            continue;
        }
        let adv = snapshot.advisories.iter().find(|(a, _)| a.id == f.id);
        hits.push(vulns::Hit {
            id: f.id.clone(),
            aliases: adv.map(|(a, _)| a.aliases.clone()).unwrap_or_default(),
            summary: adv.map(|(a, _)| a.summary.clone()).unwrap_or_default(),
            module: f.module.clone(),
            version: f.version.clone(),
            fixed: f.fixed.clone(),
            level: Some(f.level),
            symbol: f.symbol.clone(),
            call_path: f.call_path.clone(),
            since_pack: false,
            changed_since_pack: false,
        });
    }
    hits.sort_by(|a, b| (&a.module, &a.id).cmp(&(&b.module, &b.id)));
}

/// Each module's license, read where its code is: vendor/<path>, or the
/// folder a local-path replacement names; a folder of vendor/ that is
/// another module's (`a/b` beside `a`) is that module's, not this one's.
pub fn licenses(tree: &Path, check: &GoCheck) -> Vec<AuditModule> {
    let vendor = tree.join("vendor");
    let roots: std::collections::BTreeSet<std::path::PathBuf> = check
        .modules_status
        .iter()
        .map(|m| vendor.join(&m.path))
        .collect();
    let other_module = |dir: &Path| roots.contains(dir) || dir.join("go.mod").is_file();
    check
        .modules_status
        .par_iter()
        .map(|m| {
            let dir = match (m.replace_kind, &m.replace) {
                (Some(ReplaceKind::LocalPath), Some(local)) => tree.join(local),
                _ => vendor.join(&m.path),
            };
            let found = license::of_module(&dir, &other_module);
            AuditModule {
                status: m.clone(),
                license: found.expression,
                license_files: found.files,
            }
        })
        .collect()
}
