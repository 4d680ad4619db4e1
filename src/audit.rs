//! `audit`: what third-party code a module folder or a bundle carries, and
//! whether each module's vendored files are bound to code whose hash go.sum
//! pins. A bundle is verified (signature first) before it is audited.

use std::path::{Path, PathBuf};

use crate::bundle::diags::Report;
use crate::error::Error;
use crate::gomod::verify::{self as go_verify, GoCheck};

/// The module download cache a folder audit reads by default, as Go finds
/// it: `$GOMODCACHE`, else the first `$GOPATH` entry's pkg/mod, else
/// `~/go/pkg/mod`. `None` when that folder does not exist.
pub fn default_cache() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let modcache = env("GOMODCACHE").or_else(|| {
        let gopath = env("GOPATH").and_then(|p| std::env::split_paths(&p).next());
        gopath
            .or_else(|| env("HOME").map(|h| h.join("go")))
            .map(|g| g.join("pkg/mod"))
    })?;
    Some(modcache.join("cache/download")).filter(|p| p.is_dir())
}

/// Audits a Go module folder with a vendor/; `cache` is a GOPROXY-layout folder.
pub fn dir(dir: &Path, cache: Option<&Path>) -> Result<GoCheck, Error> {
    if !dir.join("go.mod").is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod: audit takes a Go module folder or a bundle",
            dir.display()
        )));
    }
    Ok(go_verify::check_tree(dir, cache)?)
}

/// Audits a bundle: everything `verify` checks, then the Go check inside it.
pub fn bundle(
    bundle: &Path,
    pub_key: Option<&Path>,
    quiet: bool,
) -> Result<(Report, Option<GoCheck>), Error> {
    let Some(pub_key) = pub_key else {
        return Err(Error::Usage(format!(
            "{}: auditing a bundle starts with its signature: pass --pub PUB",
            bundle.display()
        )));
    };
    crate::verify::run(bundle, pub_key, quiet)
}
