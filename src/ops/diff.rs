//! `diff OLD NEW`: each side opened as a bundle file (verified whole, a
//! delta against `--base`) or an unpacked folder (ferry.json against its
//! signature, its SBOM against ferry.json), then compared by `audit::diff`.

use std::path::Path;

use super::Context;
use crate::audit::diff::{self, Diff, Side};
use crate::bundle::{SBOM, reader};
use crate::error::Error;
use crate::sign::TrustedKeys;

/// Compares two releases, each a bundle file or an unpacked folder. The
/// context's base, if any, is read with each side that is a delta file;
/// it must serve at least one.
pub fn run(old: &Path, new: &Path, keys: &TrustedKeys, ctx: &mut Context) -> Result<Diff, Error> {
    let base = ctx.base.take();
    let deltas = [is_delta(old, keys)?, is_delta(new, keys)?];
    if let Some(b) = &base
        && deltas == [false, false]
    {
        return Err(Error::Usage(format!(
            "--base {}: neither {} nor {} is a delta bundle file (an unpacked folder is whole; a full bundle names no base)",
            b.display(),
            old.display(),
            new.display()
        )));
    }
    ctx.base = base.clone().filter(|_| deltas[0]);
    let old = side(old, keys, ctx)?;
    ctx.base = base.filter(|_| deltas[1]);
    let new = side(new, keys, ctx)?;
    Ok(diff::diff(&old, &new))
}

/// Whether `target` is a bundle file (or parts index) whose signed
/// manifest names a base.
fn is_delta(target: &Path, keys: &TrustedKeys) -> Result<bool, Error> {
    match target.is_file() {
        true => Ok(reader::open(target, keys)?.manifest.base.is_some()),
        false => Ok(false),
    }
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
