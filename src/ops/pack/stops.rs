//! What the offline build could not honour, refused before anything is
//! copied or written (exit 2, with what to do): a `go` or `toolchain` line
//! newer than the Go that packs, and a required module that go.sum (or, in a
//! workspace, go.work.sum and every module's go.sum) has no line for.

use std::path::Path;

use super::refusal::Refusal;
use super::shape::Shape;
use crate::error::Error;
use crate::gomod::gosum::{self, GoSum};
use crate::gomod::goversion::{GoVersion, Stage};
use crate::gomod::modfile::lookup;
use crate::gomod::modules_txt::Replacement;

/// Both stops, on the shape as found.
pub fn check(shape: &Shape, go_version: &str) -> Result<(), Error> {
    toolchain(shape, go_version)?;
    sums(shape)
}

/// Every go.mod (and go.work) `go`/`toolchain` line against the Go that packs.
fn toolchain(shape: &Shape, go_version: &str) -> Result<(), Error> {
    let have = match GoVersion::parse(go_version) {
        Some(have) => have,
        // Go takes a devel toolchain for newer than any release; so does ferry.
        None if go_version.trim().starts_with("devel") => return Ok(()),
        None => {
            return Err(Refusal::GoVersionUnreadable {
                version: go_version.into(),
            }
            .into());
        }
    };
    let mut lines = Vec::new();
    for m in &shape.mains {
        let file = m.dir.join("go.mod");
        lines.push((file.clone(), "go", m.modfile.go.clone()));
        lines.push((file, "toolchain", m.modfile.toolchain.clone()));
    }
    if let Some((ws, wf)) = &shape.work {
        lines.push((ws.join("go.work"), "go", wf.go.clone()));
        lines.push((ws.join("go.work"), "toolchain", wf.toolchain.clone()));
    }
    let too_new = lines.iter().find_map(|(file, verb, value)| {
        let v = value.as_deref()?;
        let need = GoVersion::parse(v)?;
        // `go 1.30` is met first by the release go1.30.0 (or its rcs).
        let install = match need.2 {
            Stage::Language => GoVersion::release(need.0, need.1, 0),
            _ => need,
        };
        (need > have).then_some((file, verb, v, install))
    });
    match too_new {
        Some((file, verb, value, need)) => Err(Refusal::GoTooNew {
            file: file.clone(),
            verb,
            value: value.into(),
            need: need.to_string(),
            have: go_version.into(),
        }
        .into()),
        None => Ok(()),
    }
}

/// Every requirement of every main module has a go.sum line, for its
/// replacement when a version replaces it; local folders and the workspace's
/// own modules need none.
fn sums(shape: &Shape) -> Result<(), Error> {
    let sum = merged_sums(shape)?;
    let mains: Vec<&str> = shape
        .mains
        .iter()
        .map(|m| m.modfile.module.as_str())
        .collect();
    let mut missing = Vec::new();
    for m in &shape.mains {
        for r in &m.modfile.requires {
            // A workspace module needs no line; nor does an excluded
            // version, which Go never loads.
            let excluded = shape.mains.iter().any(|e| {
                e.modfile
                    .excludes
                    .iter()
                    .any(|(p, v)| *p == r.path && *v == r.version)
            });
            if mains.contains(&r.path.as_str()) || excluded {
                continue;
            }
            let replaced = shape
                .work
                .as_ref()
                .and_then(|(_, wf)| lookup(&wf.replaces, &r.path, Some(&r.version)))
                .or_else(|| m.modfile.replacement(&r.path, &r.version));
            let (path, version) = match replaced {
                Some(Replacement { version: None, .. }) => continue,
                Some(Replacement {
                    path,
                    version: Some(v),
                }) => (path.as_str(), v.as_str()),
                None => (r.path.as_str(), r.version.as_str()),
            };
            if sum.hash(path, version, false).is_none() && sum.hash(path, version, true).is_none() {
                missing.push(format!(
                    "  {}:{}: require {} {}: go.sum has no line for {path}@{version}: run `go mod tidy` (or `go mod download {path}`) in {}",
                    m.dir.join("go.mod").display(),
                    r.line,
                    r.path,
                    r.version,
                    m.dir.display()
                ));
            }
        }
    }
    match missing.is_empty() {
        true => Ok(()),
        false => Err(Refusal::MissingSums { missing }.into()),
    }
}

/// Each main module's go.sum, and go.work.sum, as one.
fn merged_sums(shape: &Shape) -> Result<GoSum, Error> {
    let mut files: Vec<_> = shape.mains.iter().map(|m| m.dir.join("go.sum")).collect();
    if let Some((ws, _)) = &shape.work {
        files.push(ws.join("go.work.sum"));
    }
    let mut out = GoSum::default();
    for f in files {
        out.lines.extend(read_sum(&f)?.lines);
    }
    Ok(out)
}

fn read_sum(path: &Path) -> Result<GoSum, Error> {
    let text = crate::fsutil::read_text_if_exists(path).map_err(Error::io(path))?;
    Ok(gosum::parse(&text.unwrap_or_default())?)
}
