//! The cross-checks a bundle's `vulns.json` and `vulndb/` get wherever a
//! bundle is read (`verify`, `audit`, `unpack`): the levels are the packer's
//! signed claim, so whatever ferry can hold them against, it does.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};
use std::sync::Mutex;

use super::reach::{Reach, SCANNER};
use super::vulns::{self, Snapshot};
use crate::bundle::diags::{Check, CheckName, Code, Problem, Report};
use crate::bundle::manifest::{Entry, Manifest};
use crate::bundle::reader::Sink;
use crate::bundle::{VULNDB, VULNS};

/// A sink that keeps the bytes of `vulns.json` and `vulndb/` as they stream
/// on to `inner`, for [`Capture::add_to`].
pub struct Capture<'a> {
    inner: &'a dyn Sink,
    kept: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl<'a> Capture<'a> {
    pub fn new(inner: &'a dyn Sink) -> Capture<'a> {
        Capture {
            inner,
            kept: Mutex::new(BTreeMap::new()),
        }
    }

    /// The checks of what was kept, as one more check of `report` (none
    /// when the bundle carries neither).
    pub fn add_to(self, report: &mut Report, manifest: &Manifest) {
        let kept = self.kept.into_inner().unwrap_or_else(|e| e.into_inner());
        let record = kept.get(VULNS).cloned();
        let db: Vec<(String, Vec<u8>)> = kept.into_iter().filter(|(n, _)| n != VULNS).collect();
        if record.is_none() && db.is_empty() {
            return;
        }
        let problems = check(manifest, record.as_deref(), db);
        report.checks.push(Check {
            check: CheckName::Vulns,
            ok: problems.is_empty(),
            detail: "vulns.json against vulndb/ and the manifest".into(),
        });
        report.problems.extend(problems);
    }
}

impl Sink for Capture<'_> {
    fn entry(&self, entry: &Entry, data: &mut dyn Read) -> io::Result<()> {
        if entry.path != VULNS && !entry.path.starts_with(VULNDB) {
            return self.inner.entry(entry, data);
        }
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes)?;
        self.inner.entry(entry, &mut Cursor::new(&bytes))?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.insert(entry.path.clone(), bytes);
        Ok(())
    }

    fn writes(&self) -> bool {
        self.inner.writes()
    }
}

/// Every disagreement between `vulns.json`, the database beside it and the
/// manifest's modules and build.
pub fn check(
    manifest: &Manifest,
    record: Option<&[u8]>,
    db: Vec<(String, Vec<u8>)>,
) -> Vec<Problem> {
    let snapshot = match vulns::parse_files(db).and_then(|s| s.check_text().map(|()| s)) {
        Ok(s) => s,
        Err(e) => return vec![Problem::new(Code::VulndbText, VULNDB, e)],
    };
    let Some(bytes) = record else {
        return Vec::new();
    };
    let reach: Reach = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => return vec![Problem::new(Code::VulnsRecord, VULNS, e.to_string())],
    };
    if let Err(e) = reach.check_text() {
        return vec![Problem::new(Code::VulnsRecord, VULNS, e)];
    }
    let mut out = header(manifest, &reach, &snapshot);
    out.extend(findings(manifest, &reach, &snapshot));
    out
}

/// The scanner, the database date and the build scanned.
fn header(manifest: &Manifest, reach: &Reach, db: &Snapshot) -> Vec<Problem> {
    let mut out = Vec::new();
    if reach.scanner != SCANNER {
        let p = "scanned by another govulncheck than ferry runs";
        out.push(Problem::mismatch(
            Code::VulnsScanner,
            VULNS,
            p,
            SCANNER,
            &reach.scanner,
        ));
    }
    if reach.db_modified != db.modified {
        let date = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        let p = "scanned another database than vulndb/ (its date)";
        out.push(Problem::mismatch(
            Code::VulnsDatabase,
            VULNS,
            p,
            date(&db.modified),
            date(&reach.db_modified),
        ));
    }
    let b = &manifest.build;
    let want = format!(
        "CGO_ENABLED={} -tags [{}]",
        u8::from(b.cgo),
        b.tags.join(",")
    );
    let got = reach.build.as_ref().map(|s| {
        format!(
            "CGO_ENABLED={} -tags [{}]",
            u8::from(s.cgo),
            s.tags.join(",")
        )
    });
    if got.as_deref() != Some(want.as_str()) {
        let p = "scanned another build than the manifest's";
        let got = got.unwrap_or_else(|| "no build recorded".into());
        out.push(Problem::mismatch(Code::VulnsBuild, VULNS, p, want, got));
    }
    out
}

/// Each finding against the manifest's modules and the database, and each
/// database match against the findings.
fn findings(manifest: &Manifest, reach: &Reach, db: &Snapshot) -> Vec<Problem> {
    let built: Vec<(String, String)> = manifest
        .modules
        .iter()
        .filter_map(|m| match &m.replace {
            Some(r) => r.version.clone().map(|v| (r.path.clone(), v)),
            None => Some((m.path.clone(), m.version.clone())),
        })
        .collect();
    let mut out = Vec::new();
    for f in &reach.findings {
        if db.get(&f.id).is_none() {
            let p = format!(
                "a finding for {} in {}, which vulndb/ does not hold",
                f.id, f.module
            );
            out.push(Problem::new(Code::VulnsUnknownAdvisory, VULNS, p));
        }
        let std = f.module == "stdlib" || f.module == "toolchain";
        let listed = manifest.modules.iter().any(|m| {
            let replaced = m.replace.as_ref().is_some_and(|r| {
                r.path == f.module && r.version.as_deref() == Some(f.version.as_str())
            });
            replaced || (m.path == f.module && m.version == f.version)
        });
        if !std && !listed {
            let p = format!(
                "{}: a finding for {}@{}, a module version the manifest does not list",
                f.id, f.module, f.version
            );
            out.push(Problem::new(Code::VulnsVersion, VULNS, p));
        }
    }
    // govulncheck may name a module replaced by a version by either path.
    let names = |path: &str| -> Vec<String> {
        let original = manifest
            .modules
            .iter()
            .filter(|m| m.replace.as_ref().is_some_and(|r| r.path == path));
        original
            .map(|m| m.path.clone())
            .chain([path.to_string()])
            .collect()
    };
    for hit in vulns::matches(db, &built) {
        let names = names(&hit.module);
        if !reach
            .findings
            .iter()
            .any(|f| f.id == hit.id && names.contains(&f.module))
        {
            let p = format!(
                "{} matches {}@{}, and the record has no finding for it",
                hit.id, hit.module, hit.version
            );
            out.push(Problem::new(Code::VulnsMissingFinding, VULNS, p));
        }
    }
    out
}
