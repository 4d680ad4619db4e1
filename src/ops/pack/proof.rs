//! The build proof: the planned build run once before signing, offline, with
//! an empty module cache, so that a bundle that would not build at the site
//! is never written. It runs on its own thread beside the image pulls and
//! the payload, on the scratch copy itself (not copied again), and must
//! leave that copy as it found it; nothing is signed before it passed.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::snapshot::Snapshot;
use crate::build;
use crate::dockerfile::Spec;
use crate::error::Error;

/// Builds every binary of `spec` from the scratch tree; returns how it
/// was proven (each result a program). Stops, with nothing proven, as soon
/// as `stop` is set.
pub fn prove(
    snap: &Snapshot,
    spec: &Spec,
    temp: &Path,
    stop: &AtomicBool,
) -> Result<String, Error> {
    let out = snap.scratch.path().join("out");
    let outs: Vec<_> = spec.mains.iter().map(|m| out.join(&m.binary)).collect();
    std::fs::create_dir_all(&out).map_err(Error::io(&out))?;
    let before = fingerprint(&snap.tree)?;
    let built = build::offline_until(&snap.go, &snap.tree, spec, &outs, temp, stop)?;
    if let Some((rel, how)) = changed(&before, &fingerprint(&snap.tree)?) {
        let path = std::path::PathBuf::from(rel);
        return Err(build::BuildError::ChangedSource { path, how }.into());
    }
    let names: Vec<&str> = spec.mains.iter().map(|m| m.binary.as_str()).collect();
    let Some(first) = built.first() else {
        return Err(Error::Usage("no main package to build".into()));
    };
    Ok(format!(
        "{} mode, {}, empty module cache, {}, built {}",
        build::mode_name(spec.mode),
        first.go_version,
        first.isolation,
        names.join(", ")
    ))
}

/// What identifies a file's content without reading it: its inode, size,
/// and modification and change times. A rewrite can keep the size and set
/// the mtime back, but not the ctime (the kernel sets it on every change,
/// user space cannot), and a replacement (`sed -i`, rename) is a new inode.
#[derive(PartialEq, Eq)]
struct Stamp {
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

type Fingerprint = std::collections::BTreeMap<String, Stamp>;

/// Every file of `tree` with its stamp: go build only reads the tree, and
/// a write would show here.
fn fingerprint(tree: &Path) -> Result<Fingerprint, Error> {
    use std::os::unix::fs::MetadataExt;
    let files = crate::source::walk(tree, false, &[])?;
    files
        .into_iter()
        .map(|f| {
            let m = std::fs::symlink_metadata(&f.path).map_err(Error::io(&f.path))?;
            let stamp = Stamp {
                ino: m.ino(),
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            };
            Ok((f.rel, stamp))
        })
        .collect()
}

/// The first file (by name) that differs between two fingerprints, and how.
fn changed(before: &Fingerprint, after: &Fingerprint) -> Option<(String, &'static str)> {
    let gone = before.keys().find(|rel| !after.contains_key(*rel));
    let changed_or_new = after.iter().find_map(|(rel, stamp)| match before.get(rel) {
        None => Some((rel.clone(), "created by the build")),
        Some(was) if was != stamp => Some((rel.clone(), "rewritten by the build")),
        Some(_) => None,
    });
    let gone = gone.map(|rel| (rel.clone(), "removed by the build"));
    match (gone, changed_or_new) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}
