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
    /// The policy with every license id in SPDX's own spelling (matched
    /// case-insensitively, as SPDX ids are); an id SPDX does not know is
    /// refused, naming it, rather than silently matching nothing.
    pub fn checked(mut self) -> Result<Policy, String> {
        let canon = |ids: &[String]| {
            ids.iter()
                .map(|i| canonical(i))
                .collect::<Result<Vec<_>, _>>()
        };
        self.deny = canon(&self.deny)?;
        self.allow = canon(&self.allow)?;
        Ok(self)
    }

    /// Whether one license id may be used. The GNU licenses are compared by
    /// family: the detector reads the same text for GPL-2.0-only and
    /// GPL-2.0-or-later, so a rule about one is a rule about both.
    fn allows(&self, id: &str) -> bool {
        let same = |rule: &String| family(rule) == family(id);
        !self.deny.iter().any(same) && (self.allow.is_empty() || self.allow.iter().any(same))
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

/// A license id as SPDX spells it: `unknown` and `LicenseRef-…` as they
/// are, any SPDX id in any case (`gpl-2.0-only` → `GPL-2.0-only`), a
/// deprecated GNU id (`GPL-2.0`, `GPL-2.0+`) as itself.
pub fn canonical(id: &str) -> Result<String, String> {
    if id.eq_ignore_ascii_case(super::license::UNKNOWN) {
        return Ok(super::license::UNKNOWN.into());
    }
    if id.starts_with("LicenseRef-") {
        return Ok(id.to_string());
    }
    let bare = id.trim_end_matches('+');
    spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(bare))
        .map(|l| format!("{}{}", l.name, &id[bare.len()..]))
        .ok_or_else(|| format!("license {id:?} is not an SPDX license id (nor \"unknown\"): see https://spdx.org/licenses/"))
}

/// A GNU license's family (`GPL-2.0` for `GPL-2.0-only`, `-or-later`, `+`
/// and bare); any other id is its own.
fn family(id: &str) -> &str {
    let bare = id.trim_end_matches('+');
    let gnu = ["GPL-", "LGPL-", "AGPL-", "GFDL-"]
        .iter()
        .any(|p| bare.starts_with(p));
    match gnu {
        true => bare.trim_end_matches("-only").trim_end_matches("-or-later"),
        false => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::check::ModuleStatus;

    fn module(license: &str) -> AuditModule {
        let status = ModuleStatus {
            path: "example.com/m".into(),
            version: "v1.0.0".into(),
            replace: None,
            replace_kind: None,
            explicit: true,
            go: None,
            packages: 1,
            vendored_files: 1,
            vendored_bytes: 1,
            findings: 0,
            status: crate::gomod::check::Status::Verified,
        };
        AuditModule {
            status,
            license: license.into(),
            license_files: vec![],
        }
    }

    #[test]
    fn ids_in_any_case_and_any_gpl_spelling_match_and_unknown_ones_are_refused() {
        for deny in ["gpl-2.0-only", "GPL-2.0", "GPL-2.0-or-later", "GPL-2.0+"] {
            let p = Policy {
                deny: vec![deny.into()],
                ..Default::default()
            }
            .checked()
            .unwrap();
            assert_eq!(p.violations(&[module("GPL-2.0-only")]).len(), 1, "{deny}");
            assert!(p.violations(&[module("MIT")]).is_empty(), "{deny}");
        }
        let p = Policy {
            allow: vec!["mit".into()],
            ..Default::default()
        }
        .checked()
        .unwrap();
        assert!(p.violations(&[module("MIT")]).is_empty());
        assert!(p.violations(&[module("LGPL-2.1-only")]).len() == 1);
        let bad = Policy {
            deny: vec!["Nonsense-ID".into()],
            ..Default::default()
        }
        .checked();
        assert!(
            bad.unwrap_err()
                .contains("\"Nonsense-ID\" is not an SPDX license id")
        );
    }
}
