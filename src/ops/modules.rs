//! `ferry modules export`: a bundle's module download cache (`modcache/`,
//! verified first) merged into an intranet module proxy's folder, in the
//! layout `GOPROXY=file://` and static web servers serve, or in Athens' disk
//! storage. Every write is planned and every conflict found before the first
//! byte is written; each file goes in beside its final name and is renamed
//! into place, so a refused export leaves the folder as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use super::Context;
use super::target::Opened;
use crate::error::Error;
use crate::gomod::modcache;
use crate::gomod::proxy::{Conflict, ExportError, layout_path, list_path, merge_list};
use crate::gomod::semver;
use crate::sign::TrustedKeys;

pub use crate::gomod::proxy::Layout;

/// Where the bundle keeps the module cache.
const MODCACHE: &str = "modcache/";

/// Opens a bundle file or an unpacked folder with its `modcache/` checked;
/// one without a module cache (the default since the v2 format) is refused.
pub fn open(target: &Path, keys: &TrustedKeys, ctx: &Context) -> Result<Opened, Error> {
    let opened = super::target::open_proven(target, keys, &[MODCACHE], ctx)
        .map_err(super::target::no_base_here("modules export", "export"))?;
    let entries = &opened.manifest.entries;
    if !entries.iter().any(|e| e.path.starts_with(MODCACHE)) {
        return Err(Error::Usage(format!(
            "{}: the bundle carries no modcache/ (its module zips are proved, not carried); pack it with --with-modcache",
            target.display()
        )));
    }
    Ok(opened)
}

/// What an export did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub layout: Layout,
    pub to: PathBuf,
    pub modules: Vec<ExportedModule>,
    /// Files written, version lists included.
    pub files_written: usize,
    /// Files already there with the same bytes (and version lists that
    /// already named every version).
    pub files_present: usize,
}

/// One module version of the bundle's cache, exported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedModule {
    pub path: String,
    pub version: String,
    pub files_written: usize,
    pub files_present: usize,
}

/// One file the export puts in place.
struct Planned {
    /// Path and version of the module it belongs to.
    module: (String, String),
    /// The bundle's file.
    source: PathBuf,
    /// Where it goes, below the folder.
    rel: String,
    sha256: String,
}

/// What is where in the folder now.
enum State {
    Absent,
    Same,
}

/// Exports the opened bundle's `modcache/` into `to` in `layout`.
pub fn export(opened: &Opened, to: &Path, layout: Layout) -> Result<Exported, Error> {
    if to.exists() && !to.is_dir() {
        return Err(Error::Usage(format!("{}: not a folder", to.display())));
    }
    if !to.exists() {
        super::existing_parent(to, "to hold --to")?;
    }
    let planned = plan(opened, layout)?;
    let mut conflicts = Vec::new();
    let mut modules: BTreeMap<(String, String), ExportedModule> = BTreeMap::new();
    let mut writes = Vec::new();
    for p in &planned {
        let module = modules
            .entry(p.module.clone())
            .or_insert_with(|| ExportedModule {
                path: p.module.0.clone(),
                version: p.module.1.clone(),
                files_written: 0,
                files_present: 0,
            });
        match check_file(to, &p.rel, &p.sha256, &mut conflicts)? {
            Some(State::Absent) => {
                module.files_written += 1;
                writes.push((p.rel.clone(), Content::File(&p.source)));
            }
            Some(State::Same) => module.files_present += 1,
            None => {}
        }
    }
    let mut lists_written = 0;
    let mut lists_present = 0;
    if layout == Layout::Goproxy {
        for (rel, text) in lists(to, &planned, &mut conflicts)? {
            match text {
                Some(text) => {
                    lists_written += 1;
                    writes.push((rel, Content::Text(text)));
                }
                None => lists_present += 1,
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(ExportError::Conflicts {
            to: to.to_path_buf(),
            conflicts,
        }
        .into());
    }
    if !to.exists() {
        std::fs::create_dir(to).map_err(Error::io(to))?;
    }
    for (rel, content) in &writes {
        put(to, rel, content)?;
    }
    let mut modules: Vec<ExportedModule> = modules.into_values().collect();
    modules.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| semver::compare(&a.version, &b.version))
    });
    Ok(Exported {
        layout,
        to: to.to_path_buf(),
        files_written: modules.iter().map(|m| m.files_written).sum::<usize>() + lists_written,
        files_present: modules.iter().map(|m| m.files_present).sum::<usize>() + lists_present,
        modules,
    })
}

/// Every file to put in place, from the signed manifest's `modcache/`
/// entries, each name checked before it becomes a path.
fn plan(opened: &Opened, layout: Layout) -> Result<Vec<Planned>, Error> {
    let entries: Vec<_> = opened
        .manifest
        .entries
        .iter()
        .filter(|e| e.path.starts_with(MODCACHE))
        .collect();
    let mut planned = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in entries {
        let refuse = |why: String| ExportError::Entry {
            entry: entry.path.clone(),
            why,
        };
        let name = modcache::parse_rel(&entry.path[MODCACHE.len()..]).map_err(refuse)?;
        let Some(rel) = layout_path(layout, &name) else {
            continue;
        };
        if !inside(&rel) || !seen.insert(rel.clone()) {
            return Err(refuse(format!("{rel}: not a path of its own inside the folder")).into());
        }
        planned.push(Planned {
            module: (name.path, name.version),
            source: opened.root.join(&entry.path),
            rel,
            sha256: entry.sha256.clone(),
        });
    }
    Ok(planned)
}

/// A relative path of plain names only: it stays inside whatever it is joined to.
fn inside(rel: &str) -> bool {
    Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
}

/// The GOPROXY version lists, each with the versions whose go.mod the export
/// puts in place: `Some(text)` for a list to write, `None` for one that
/// already says it all.
fn lists(
    to: &Path,
    planned: &[Planned],
    conflicts: &mut Vec<Conflict>,
) -> Result<Vec<(String, Option<String>)>, Error> {
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in planned.iter().filter(|p| p.rel.ends_with(".mod")) {
        versions.entry(&p.module.0).or_default().push(&p.module.1);
    }
    let mut out = Vec::new();
    for (path, versions) in versions {
        let rel = list_path(path);
        if !folders_ok(to, &rel, conflicts)? {
            continue;
        }
        let file = to.join(&rel);
        let existing = match std::fs::symlink_metadata(&file) {
            Ok(m) if !m.is_file() => {
                conflicts.push(Conflict::NotAFile { path: file });
                continue;
            }
            Ok(_) => std::fs::read_to_string(&file).map_err(Error::io(&file))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&file)(e)),
        };
        let merged = merge_list(&existing, versions);
        out.push((rel, (merged != existing).then_some(merged)));
    }
    Ok(out)
}

/// What is at `rel` below `to` now: nothing, or the expected bytes; a
/// conflict (recorded, `None` returned) otherwise.
fn check_file(
    to: &Path,
    rel: &str,
    sha256: &str,
    conflicts: &mut Vec<Conflict>,
) -> Result<Option<State>, Error> {
    if !folders_ok(to, rel, conflicts)? {
        return Ok(None);
    }
    let file = to.join(rel);
    match std::fs::symlink_metadata(&file) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Some(State::Absent)),
        Err(e) => Err(Error::io(&file)(e)),
        Ok(m) if !m.is_file() => {
            conflicts.push(Conflict::NotAFile { path: file });
            Ok(None)
        }
        Ok(_) => {
            let mut f = std::fs::File::open(&file).map_err(Error::io(&file))?;
            let digest = crate::gomod::dirhash::sha256_reader(&mut f).map_err(Error::io(&file))?;
            let actual = hex::encode(digest);
            if actual == sha256 {
                return Ok(Some(State::Same));
            }
            conflicts.push(Conflict::Bytes {
                file,
                expected: sha256.to_string(),
                actual,
            });
            Ok(None)
        }
    }
}

/// Whether every folder on the way to `rel` is a plain folder or absent (a
/// symbolic link would lead the write out of `to`); a conflict otherwise.
fn folders_ok(to: &Path, rel: &str, conflicts: &mut Vec<Conflict>) -> Result<bool, Error> {
    let mut dir = to.to_path_buf();
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    for part in parent.components() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                if !conflicts
                    .iter()
                    .any(|c| matches!(c, Conflict::NotAFolder { path } if *path == dir))
                {
                    conflicts.push(Conflict::NotAFolder { path: dir });
                }
                return Ok(false);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(Error::io(&dir)(e)),
        }
    }
    Ok(true)
}

/// What a planned write puts in place.
enum Content<'a> {
    File(&'a Path),
    Text(String),
}

/// Writes `content` beside `to/rel` and renames it into place.
fn put(to: &Path, rel: &str, content: &Content) -> Result<(), Error> {
    let dest = to.join(rel);
    let dir = crate::fsutil::parent_dir(&dest);
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut temp = crate::temp::file_in("export", dir, "").map_err(Error::io(dir))?;
    match content {
        Content::File(source) => {
            let mut from = std::fs::File::open(source).map_err(Error::io(*source))?;
            io::copy(&mut from, temp.as_file_mut()).map_err(Error::io(&dest))?;
        }
        Content::Text(text) => temp
            .as_file_mut()
            .write_all(text.as_bytes())
            .map_err(Error::io(&dest))?,
    }
    set_readable(temp.path()).map_err(Error::io(&dest))?;
    temp.as_file().sync_all().map_err(Error::io(&dest))?;
    temp.persist(&dest).map_err(|e| Error::io(&dest)(e.error))?;
    Ok(())
}

/// Proxy files are read by whoever serves them: 0644, not a temporary's 0600.
fn set_readable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_inside() {
        assert!(inside("example.com/m/@v/v1.0.0.zip"));
        assert!(!inside("../x"));
        assert!(!inside("/etc/passwd"));
        assert!(!inside("a/../../x"));
    }
}
