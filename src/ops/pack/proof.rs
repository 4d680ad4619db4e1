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
    if fingerprint(&snap.tree)? != before {
        let path = snap.tree.clone();
        return Err(build::BuildError::ChangedSource { path }.into());
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

/// Every file of `tree` with its size and modification time: go build
/// only reads the tree, and a write would show here.
fn fingerprint(tree: &Path) -> Result<Vec<(String, u64, std::time::SystemTime)>, Error> {
    let files = crate::source::walk(tree, false, &[])?;
    files
        .into_iter()
        .map(|f| {
            let meta = std::fs::metadata(&f.path).map_err(Error::io(&f.path))?;
            let modified = meta.modified().map_err(Error::io(&f.path))?;
            Ok((f.rel, meta.len(), modified))
        })
        .collect()
}
