//! `diff OLD NEW`: each side opened as a bundle file (verified whole) or an
//! unpacked folder (its SBOM checked against ferry.json), then compared by
//! `audit::diff`.

use std::path::Path;

use super::Context;
use crate::audit::diff::{self, Diff, Side};
use crate::bundle::SBOM;
use crate::error::Error;

/// Compares two releases, each a bundle file or an unpacked folder.
pub fn run(old: &Path, new: &Path, pub_key: Option<&Path>, ctx: &Context) -> Result<Diff, Error> {
    let old = side(old, pub_key, ctx)?;
    let new = side(new, pub_key, ctx)?;
    Ok(diff::diff(&old, &new))
}

/// One side: its signed manifest, and each module's license from its SBOM
/// (none when the bundle carries no SBOM).
pub fn side(target: &Path, pub_key: Option<&Path>, ctx: &Context) -> Result<Side, Error> {
    let opened = super::target::open(target, pub_key, &[SBOM], ctx)?;
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
