//! The reviewer's reports: what third-party code a tree carries, each
//! module's license and Go verdict (`license`), the license and vulnerability
//! gate (`policy`, `vulns`), the SBOM (`sbom`), and what changed between two
//! releases (`diff`).

pub mod diff;
pub mod license;
pub mod policy;
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
        }
    }

    /// Matches the audited modules against a vulnerability database snapshot.
    pub fn check_vulns(&mut self, snapshot: &vulns::Snapshot) {
        let modules: Vec<(String, String)> = self
            .check
            .modules_status
            .iter()
            .filter_map(ModuleStatus::built)
            .collect();
        self.vulns = Some(VulnReport {
            snapshot: snapshot.modified.clone(),
            advisories: snapshot.advisories.len(),
            modules_checked: modules.len(),
            hits: vulns::matches(snapshot, &modules),
        });
    }

    /// Whether the audit passes: no Go finding, no policy violation.
    pub fn ok(&self) -> bool {
        let vulnerable = self.vulns.as_ref().is_some_and(|v| !v.hits.is_empty());
        self.check.findings.is_empty() && self.policy.is_empty() && !vulnerable
    }
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
