//! `diff OLD NEW`: each side opened as a bundle file (verified whole) or an
//! unpacked folder (ferry.json against its signature, its SBOM against
//! ferry.json), then compared by `audit::diff`.

use std::path::Path;

use super::Context;
use crate::audit::diff::{self, Diff, Side};
use crate::bundle::SBOM;
use crate::error::Error;
use crate::sign::TrustedKeys;

/// Compares two releases, each a bundle file or an unpacked folder.
pub fn run(old: &Path, new: &Path, keys: &TrustedKeys, ctx: &Context) -> Result<Diff, Error> {
    let old = side(old, keys, ctx)?;
    let new = side(new, keys, ctx)?;
    Ok(diff::diff(&old, &new))
}

/// One side: its signed manifest, and each module's license from its SBOM
/// (none when the bundle carries no SBOM).
pub fn side(target: &Path, keys: &TrustedKeys, ctx: &Context) -> Result<Side, Error> {
    let opened = super::target::open_proven(target, keys, &[SBOM], ctx)?;
    let path = opened.root.join(SBOM);
    let sbom = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&path)(e)),
    };
    Ok(Side {
        licenses: diff::licenses(&sbom),
        manifest: opened.manifest,
    })
}
