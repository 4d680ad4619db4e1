//! Each vendored module's verdict as the reviewer reads it in `audit`: how
//! it is replaced, how much of it is vendored, and whether it is bound.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::GoCheck;
use crate::gomod::modules_txt::ModulesTxt;

/// How a module is replaced (`version` or `local path` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceKind {
    Version,
    LocalPath,
}

impl ReplaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplaceKind::Version => "version",
            ReplaceKind::LocalPath => "local path",
        }
    }
}

impl std::fmt::Display for ReplaceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReplaceKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A module's verdict; JSON spells it `verified`, `mismatch`, `no packages
/// vendored`, or the reason it was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Verified,
    Mismatch,
    NoPackages,
    NotChecked(String),
}

impl Status {
    pub fn as_str(&self) -> &str {
        match self {
            Status::Verified => "verified",
            Status::Mismatch => "mismatch",
            Status::NoPackages => "no packages vendored",
            Status::NotChecked(reason) => reason,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One vendored module and what the check concluded about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleStatus {
    pub path: String,
    pub version: String,
    pub replace: Option<String>,
    pub replace_kind: Option<ReplaceKind>,
    pub explicit: bool,
    pub go: Option<String>,
    pub packages: usize,
    pub vendored_files: usize,
    pub vendored_bytes: u64,
    /// Findings that name this module (drift, hash mismatches).
    pub findings: usize,
    pub status: Status,
}

impl ModuleStatus {
    /// The module and version whose code is built: the replacement's when
    /// replaced by a version; `None` for a local path, which has no version.
    pub fn built(&self) -> Option<(String, String)> {
        match (self.replace_kind, &self.replace) {
            (Some(ReplaceKind::LocalPath), _) => None,
            (Some(ReplaceKind::Version), Some(r)) => r
                .split_once(' ')
                .map(|(p, v)| (p.to_string(), v.to_string())),
            _ => Some((self.path.clone(), self.version.clone())),
        }
    }
}

/// Each module's verdict, from the findings that name it; `by_module[i]`
/// are the vendored files of module `i` of modules.txt.
pub(super) fn statuses(
    sizes: &BTreeMap<String, u64>,
    txt: &ModulesTxt,
    by_module: &[Vec<&String>],
    out: &GoCheck,
) -> Vec<ModuleStatus> {
    txt.modules
        .iter()
        .zip(by_module)
        .map(|(m, mine)| {
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
            let bytes = mine.iter().filter_map(|f| sizes.get(f.as_str())).sum();
            let status = match skipped {
                _ if findings > 0 => Status::Mismatch,
                Some(n) => Status::NotChecked(n.reason.clone()),
                None if m.packages.is_empty() => Status::NoPackages,
                None => Status::Verified,
            };
            ModuleStatus {
                path: m.path.clone(),
                version: m.version.clone(),
                replace: m.replace.as_ref().map(|r| match &r.version {
                    Some(v) => format!("{} {v}", r.path),
                    None => r.path.clone(),
                }),
                replace_kind: m.replace.as_ref().map(|r| match r.is_local() {
                    true => ReplaceKind::LocalPath,
                    false => ReplaceKind::Version,
                }),
                explicit: m.explicit,
                go: m.go_version.clone(),
                packages: m.packages.len(),
                vendored_files: mine.len(),
                vendored_bytes: bytes,
                findings,
                status,
            }
        })
        .collect()
}
