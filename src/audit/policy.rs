//! The reviewer's gate: licenses allowed or denied by SPDX id ("unknown"
//! included), and whether known vulnerabilities fail the audit.

use std::path::PathBuf;

use super::AuditModule;

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
