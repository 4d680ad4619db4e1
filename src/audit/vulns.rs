//! The offline vulnerability check: a snapshot of the Go vulnerability
//! database in OSV JSON (a folder or the published zip, `ID/GO-….json` and
//! `index/db.json`), and every module version matched against the SEMVER
//! ranges of its advisories (introduced / fixed / last_affected events,
//! pseudo-versions and `+incompatible` ordered as Go orders them).

use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::gomod::semver;

/// One OSV advisory, the fields ferry reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub affected: Vec<Affected>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    pub package: Package,
    #[serde(default)]
    pub ranges: Vec<Range>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub name: String,
    #[serde(default)]
    pub ecosystem: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
}

/// A snapshot: its advisories (each with its original bytes, for bundling)
/// and the date it was taken.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub modified: Option<String>,
    pub advisories: Vec<(Advisory, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct VulnDbError {
    pub path: PathBuf,
    pub reason: String,
}

impl crate::exit::Classify for VulnDbError {
    fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::Usage
    }
}

/// A snapshot larger than this is not the Go vulnerability database.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Reads a snapshot from a folder (recursively: `ID/*.json`, or flat) or a zip.
pub fn load(path: &Path) -> Result<Snapshot, VulnDbError> {
    let bad = |reason: String| VulnDbError {
        path: path.to_path_buf(),
        reason,
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if path.is_dir() {
        for e in walkdir::WalkDir::new(path).sort_by_file_name() {
            // A folder that cannot be read is an error, not a smaller database.
            let e = e.map_err(|err| bad(err.to_string()))?;
            if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json") {
                let rel = e
                    .path()
                    .strip_prefix(path)
                    .unwrap_or(e.path())
                    .to_string_lossy()
                    .into_owned();
                let bytes = std::fs::read(e.path()).map_err(|err| bad(format!("{rel}: {err}")))?;
                files.push((rel, bytes));
            }
        }
    } else {
        let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|e| bad(format!("not a folder or a zip: {e}")))?;
        for i in 0..zip.len() {
            let f = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
            let name = f.name().unwrap_or_default().to_string();
            if !f.is_file() || !name.ends_with(".json") {
                continue;
            }
            let mut bytes = Vec::new();
            f.take(MAX_FILE)
                .read_to_end(&mut bytes)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            files.push((name, bytes));
        }
    }
    parse_files(files).map_err(bad)
}

/// Advisories from `(name, bytes)` pairs: `db.json` gives the date; index
/// files are skipped; every other file must be an OSV advisory.
pub fn parse_files(files: Vec<(String, Vec<u8>)>) -> Result<Snapshot, String> {
    let mut snap = Snapshot::default();
    for (name, bytes) in files {
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base == "db.json" {
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))?;
            snap.modified = v["modified"].as_str().map(str::to_string);
            continue;
        }
        if name.starts_with("index/")
            || name.contains("/index/")
            || base == "modules.json"
            || base == "vulns.json"
        {
            continue;
        }
        let adv: Advisory = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{name}: not an OSV advisory: {e}"))?;
        snap.advisories.push((adv, bytes));
    }
    if snap.advisories.is_empty() {
        return Err("no OSV advisories found".into());
    }
    snap.advisories.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(snap)
}

impl Snapshot {
    /// The words of every advisory a terminal shows (id, aliases, summary,
    /// date, module paths): the first that hides a control or invisible
    /// formatting character, named by its advisory.
    pub fn check_text(&self) -> Result<(), String> {
        for (a, _) in &self.advisories {
            let words = [&a.id, &a.summary]
                .into_iter()
                .chain(a.aliases.iter())
                .chain(a.modified.iter())
                .chain(a.affected.iter().map(|x| &x.package.name));
            for w in words {
                if w.chars().any(hidden) {
                    return Err(format!(
                        "advisory {:?}: {w:?} holds a control or invisible character",
                        a.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// The advisory with this id.
    pub fn get(&self, id: &str) -> Option<&Advisory> {
        self.advisories
            .iter()
            .find(|(a, _)| a.id == id)
            .map(|(a, _)| a)
    }

    /// This snapshot with a newer one's advisories: each id once, the most
    /// recently `modified` revision kept. A snapshot older than this one
    /// (its `db.json` date) is refused: it would bring back old revisions.
    pub fn merge(mut self, newer: Snapshot) -> Result<Snapshot, String> {
        if let (Some(own), Some(new)) = (&self.modified, &newer.modified)
            && new < own
        {
            return Err(format!(
                "its snapshot of {new} is older than the bundle's own ({own}): give a newer one, or none"
            ));
        }
        for (adv, bytes) in newer.advisories {
            match self.advisories.iter_mut().find(|(a, _)| a.id == adv.id) {
                Some(old) if old.0.modified >= adv.modified => {}
                Some(old) => *old = (adv, bytes),
                None => self.advisories.push((adv, bytes)),
            }
        }
        self.advisories.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        self.modified = newer.modified.or(self.modified);
        Ok(self)
    }
}

/// A character a terminal acts on or hides instead of showing.
pub fn hidden(c: char) -> bool {
    c.is_control() || crate::text::invisible_format(c)
}

/// Whether an advisory id can be a file name (`GO-2024-0001`).
pub fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Writes `snapshot` under `dir` as govulncheck's `-db file://` reads it
/// (the vuln.go.dev v1 layout): `ID/<id>.json` (each advisory's own bytes),
/// `index/db.json` and `index/modules.json` (module → its advisories; no
/// `fixed`, so govulncheck reads every advisory of a module it uses).
pub fn write_layout(snapshot: &Snapshot, dir: &Path) -> Result<(), VulnDbError> {
    let bad = |path: &Path, e: std::io::Error| VulnDbError {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let ids = dir.join("ID");
    let index = dir.join("index");
    for d in [&ids, &index] {
        std::fs::create_dir_all(d).map_err(|e| bad(d, e))?;
    }
    let mut modules: std::collections::BTreeMap<&str, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
    let mut newest = String::new();
    for (adv, bytes) in &snapshot.advisories {
        if !safe_id(&adv.id) {
            return Err(VulnDbError {
                path: dir.to_path_buf(),
                reason: format!("advisory id {:?} cannot be a file name", adv.id),
            });
        }
        let path = ids.join(format!("{}.json", adv.id));
        std::fs::write(&path, bytes).map_err(|e| bad(&path, e))?;
        let modified = adv.modified.clone().unwrap_or_default();
        newest = newest.max(modified.clone());
        for a in &adv.affected {
            let list = modules.entry(a.package.name.as_str()).or_default();
            list.push(serde_json::json!({"id": adv.id, "modified": modified}));
        }
    }
    let modified = snapshot.modified.clone().unwrap_or(newest);
    let index_files = [
        ("db.json", serde_json::json!({ "modified": modified })),
        (
            "modules.json",
            modules
                .into_iter()
                .map(|(path, vulns)| serde_json::json!({"path": path, "vulns": vulns}))
                .collect(),
        ),
    ];
    for (name, value) in index_files {
        let path = index.join(name);
        std::fs::write(&path, value.to_string()).map_err(|e| bad(&path, e))?;
    }
    Ok(())
}

/// Whether `version` falls in one SEMVER range.
pub fn in_range(version: &str, range: &Range) -> bool {
    if range.kind != "SEMVER" {
        return false;
    }
    let norm = |v: &str| {
        if v.starts_with('v') {
            v.to_string()
        } else {
            format!("v{v}")
        }
    };
    let v = norm(version);
    let mut events: Vec<(String, u8)> = range
        .events
        .iter()
        .filter_map(|e| {
            e.introduced
                .as_ref()
                .map(|x| (x.clone(), 0))
                .or_else(|| e.fixed.as_ref().map(|x| (x.clone(), 1)))
                .or_else(|| e.last_affected.as_ref().map(|x| (x.clone(), 2)))
        })
        .collect();
    let key = |s: &str| {
        if s == "0" {
            "v0.0.0-0".to_string()
        } else {
            norm(s)
        }
    };
    events.sort_by(|a, b| semver::compare(&key(&a.0), &key(&b.0)).then(a.1.cmp(&b.1)));
    let mut affected = false;
    for (at, kind) in events {
        let order = semver::compare(&v, &key(&at));
        match kind {
            0 if order != Ordering::Less => affected = true,
            1 if order != Ordering::Less => affected = false,
            2 if order == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

/// One vulnerable module version.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub module: String,
    pub version: String,
    /// The lowest fixed version above this one, if any.
    pub fixed: Option<String>,
    /// How close the code comes, when govulncheck looked (at pack time, or
    /// on a folder); `None` for a version match nobody analysed.
    pub level: Option<super::reach::Level>,
    /// The vulnerable symbol called, and one call path to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_path: Vec<String>,
    /// An advisory the bundle's own database did not hold: published (or
    /// first seen) after the pack, matched by module version only.
    pub since_pack: bool,
    /// An advisory revised after the pack (another `modified` than the
    /// bundle's copy): the scan's level read the old revision, so none is given.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub changed_since_pack: bool,
}

/// Matches `modules` (path, version as built) against every advisory.
pub fn matches(snapshot: &Snapshot, modules: &[(String, String)]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (adv, _) in &snapshot.advisories {
        for a in adv
            .affected
            .iter()
            .filter(|a| a.package.ecosystem.is_empty() || a.package.ecosystem == "Go")
        {
            for (path, version) in modules.iter().filter(|(p, _)| *p == a.package.name) {
                if !a.ranges.iter().any(|r| in_range(version, r)) {
                    continue;
                }
                hits.push(Hit {
                    id: adv.id.clone(),
                    aliases: adv.aliases.clone(),
                    summary: adv.summary.clone(),
                    module: path.clone(),
                    version: version.clone(),
                    fixed: fixed_above(version, &a.ranges),
                    level: None,
                    symbol: None,
                    call_path: Vec::new(),
                    since_pack: false,
                    changed_since_pack: false,
                });
            }
        }
    }
    hits.sort_by(|a, b| (&a.module, &a.id).cmp(&(&b.module, &b.id)));
    hits.dedup_by(|a, b| a.module == b.module && a.id == b.id);
    hits
}

fn fixed_above(version: &str, ranges: &[Range]) -> Option<String> {
    let v = if version.starts_with('v') {
        version.to_string()
    } else {
        format!("v{version}")
    };
    ranges
        .iter()
        .flat_map(|r| &r.events)
        .filter_map(|e| e.fixed.as_ref())
        .map(|f| {
            if f.starts_with('v') {
                f.clone()
            } else {
                format!("v{f}")
            }
        })
        .filter(|f| semver::compare(f, &v) == Ordering::Greater)
        .min_by(|a, b| semver::compare(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(events: &[(&str, &str)]) -> Range {
        let events = events
            .iter()
            .map(|(k, v)| Event {
                introduced: (*k == "introduced").then(|| v.to_string()),
                fixed: (*k == "fixed").then(|| v.to_string()),
                last_affected: (*k == "last_affected").then(|| v.to_string()),
            })
            .collect();
        Range {
            kind: "SEMVER".into(),
            events,
        }
    }

    #[test]
    fn below_at_and_after_fixed() {
        let r = range(&[("introduced", "0"), ("fixed", "1.2.3")]);
        assert!(in_range("v1.2.2", &r));
        assert!(!in_range("v1.2.3", &r), "at fixed");
        assert!(!in_range("v1.3.0", &r), "after fixed");
        assert!(in_range("v0.0.1", &r));
    }

    #[test]
    fn pseudo_versions_incompatible_and_several_ranges() {
        let r = range(&[("introduced", "1.2.0"), ("fixed", "1.2.4")]);
        assert!(
            in_range("v1.2.4-0.20240101120000-abcdef123456", &r),
            "a pseudo-version before the fix"
        );
        assert!(
            !in_range("v1.2.0-0.20230101120000-abcdef123456", &r),
            "a pseudo-version before introduced"
        );
        let inc = range(&[("introduced", "2.0.0"), ("fixed", "2.1.0")]);
        assert!(in_range("v2.0.5+incompatible", &inc));
        let many = range(&[
            ("introduced", "0"),
            ("fixed", "1.0.5"),
            ("introduced", "1.1.0"),
            ("fixed", "1.1.2"),
        ]);
        assert!(in_range("v1.0.4", &many) && !in_range("v1.0.6", &many));
        assert!(in_range("v1.1.1", &many) && !in_range("v1.1.2", &many));
        let last = range(&[("introduced", "1.0.0"), ("last_affected", "1.0.9")]);
        assert!(in_range("v1.0.9", &last) && !in_range("v1.0.10", &last));
    }

    #[test]
    fn fixed_versions_and_snapshot_files() {
        let adv = br#"{"id":"GO-2024-0001","aliases":["CVE-2024-1"],"summary":"bad","affected":[{"package":{"name":"example.com/m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.5"},{"introduced":"1.1.0"},{"fixed":"1.1.2"}]}]}]}"#;
        let snap = parse_files(vec![
            ("ID/GO-2024-0001.json".into(), adv.to_vec()),
            (
                "index/db.json".into(),
                br#"{"modified":"2026-11-01T00:00:00Z"}"#.to_vec(),
            ),
            ("index/modules.json".into(), b"[]".to_vec()),
        ])
        .unwrap();
        assert_eq!(snap.modified.as_deref(), Some("2026-11-01T00:00:00Z"));
        let hits = matches(
            &snap,
            &[
                ("example.com/m".into(), "v1.1.0".into()),
                ("example.com/m2".into(), "v1.0.0".into()),
            ],
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].fixed.as_deref(), Some("v1.1.2"));
        assert!(parse_files(vec![("x.json".into(), b"{}".to_vec())]).is_err());
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn snap(date: &str, advs: &[(&str, &str, &str)]) -> Snapshot {
        let files = advs
            .iter()
            .map(|(id, modified, summary)| {
                let json = serde_json::json!({"id": id, "modified": modified, "summary": summary});
                (format!("ID/{id}.json"), json.to_string().into_bytes())
            })
            .chain([(
                "index/db.json".to_string(),
                serde_json::json!({ "modified": date })
                    .to_string()
                    .into_bytes(),
            )])
            .collect();
        parse_files(files).unwrap()
    }

    #[test]
    fn a_newer_snapshot_adds_and_revises_and_an_older_one_is_refused() {
        let own = snap(
            "2099-01-02",
            &[("A", "2099-01-01", "a"), ("B", "2099-01-01", "b")],
        );
        let newer = snap(
            "2099-02-01",
            &[("B", "2099-02-01", "b2"), ("C", "2099-02-01", "c")],
        );
        let merged = own.clone().merge(newer).unwrap();
        let ids: Vec<(&str, &str)> = merged
            .advisories
            .iter()
            .map(|(a, _)| (a.id.as_str(), a.summary.as_str()))
            .collect();
        assert_eq!(ids, [("A", "a"), ("B", "b2"), ("C", "c")]);
        assert_eq!(merged.modified.as_deref(), Some("2099-02-01"));
        let older = snap("1999-01-01", &[("C", "1999-01-01", "c")]);
        assert!(
            own.merge(older)
                .unwrap_err()
                .contains("older than the bundle's own")
        );
    }

    #[test]
    fn terminal_escapes_in_an_advisory_are_found() {
        let ok = snap("2099-01-02", &[("A", "2099-01-01", "fine")]);
        assert!(ok.check_text().is_ok());
        let esc = snap(
            "2099-01-02",
            &[("A", "2099-01-01", "\u{1b}[2K\rOK: not affected")],
        );
        assert!(esc.check_text().is_err());
        let bidi = snap("2099-01-02", &[("A\u{202e}", "2099-01-01", "x")]);
        assert!(bidi.check_text().is_err());
    }
}
