//! The reviewer's gate: licenses allowed or denied by SPDX id ("unknown"
//! included) and applied to each module's SPDX expression, and whether known
//! vulnerabilities fail the audit.

use std::path::PathBuf;

use super::AuditModule;
use super::license::expr;

/// Licenses a CI gate allows or denies, by SPDX id ("unknown" included),
/// and whether to check known vulnerabilities (against the bundle's own
/// snapshot, or `vulndb` when given).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub deny: Vec<String>,
    pub allow: Vec<String>,
    pub vulns: bool,
    pub vulndb: Option<PathBuf>,
    /// The build tags govulncheck scans a folder with.
    pub tags: Vec<String>,
    /// The platform (`linux/amd64`) and cgo setting it scans a folder for.
    pub platform: String,
    pub cgo: bool,
}

impl Policy {
    /// Whether one license id may be used.
    fn allows(&self, id: &str) -> bool {
        !self.deny.iter().any(|d| d == id)
            && (self.allow.is_empty() || self.allow.iter().any(|a| a == id))
    }

    /// One line per module whose license expression the policy refuses: an
    /// OR is allowed when one side is, an AND when every side is.
    pub fn violations(&self, modules: &[AuditModule]) -> Vec<String> {
        let mut out = Vec::new();
        for m in modules {
            let Err(failed) = expr::check(&m.license, &|id| self.allows(id)) else {
                continue;
            };
            let who = format!("{}@{}", m.status.path, m.status.version);
            let whole = match m.license.contains(' ') {
                true => format!(" (of {})", m.license),
                false => String::new(),
            };
            for id in failed {
                if self.deny.contains(&id) {
                    out.push(format!(
                        "{who}: license {id}{whole} is denied (--deny-license)"
                    ));
                } else {
                    out.push(format!(
                        "{who}: license {id}{whole} is not in --allow-license"
                    ));
                }
            }
        }
        out
    }
}
