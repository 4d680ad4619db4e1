//! The Go toolchain's part of pack, in the scratch copy: `go mod download`,
//! `go mod vendor` (`go work vendor` in a workspace; unless a committed vendor/ is kept), `go mod verify`, and
//! Go's own "inconsistent vendoring" check, offline.

use std::path::Path;

use super::PackOptions;
use super::snapshot::Snapshot;
use crate::error::Error;
use crate::gomod::toolchain::Go;
use crate::gomod::toolchain::{Download, ToolchainError};
use crate::ops::Context;

/// What the go commands did.
pub struct Vendored {
    /// The modules `go mod download` reported.
    pub downloads: Vec<Download>,
    /// vendor/ was made by `go mod vendor` in this run.
    pub by_go: bool,
}

/// Downloads, vendors (or keeps a committed vendor/), and lets Go check both.
pub fn vendor(snap: &Snapshot, opts: &PackOptions, ctx: &Context) -> Result<Vendored, Error> {
    let (go, tree) = (&snap.go, snap.vendor_root.as_path());
    let by_go = !snap.committed_vendor || opts.revendor;
    let spin = ctx.progress.spinner("go mod download");
    let downloads = go.mod_download(tree)?;
    if by_go {
        spin.set_message("go mod vendor");
        if opts.revendor {
            let vendor = tree.join("vendor");
            std::fs::remove_dir_all(&vendor).map_err(Error::io(&vendor))?;
        }
        go.mod_vendor(tree).map_err(missing_sum)?;
    }
    if opts.with_modcache {
        spin.set_message("go list -m all");
        go.load_module_graph(tree)?;
    }
    spin.set_message("go mod verify");
    go.mod_verify(tree)?;
    check_vendor_consistency(go, tree, &snap.package_patterns())?;
    spin.finish_and_clear();
    Ok(Vendored { downloads, by_go })
}

/// Go's "missing go.sum entry" (a module whose zip hash go.sum lacks, which
/// only loading the packages reveals) is the user's to fix: exit 2, saying how.
fn missing_sum(e: ToolchainError) -> Error {
    match &e {
        ToolchainError::Failed { stderr, .. } if stderr.contains("missing go.sum entry") => {
            Error::Usage(format!(
                "go.sum lacks a hash the build needs, so nothing can prove that code; nothing was written: run `go mod tidy` (or `go mod download MODULE` for the module named below) in the module's folder, then pack again:\n{stderr}"
            ))
        }
        _ => e.into(),
    }
}

/// Go's own check that vendor/modules.txt agrees with go.mod ("inconsistent
/// vendoring"), run offline on the scratch tree.
fn check_vendor_consistency(go: &Go, tree: &Path, patterns: &[String]) -> Result<(), Error> {
    if !tree.join("vendor/modules.txt").is_file() {
        return Ok(());
    }
    let mut cmd = go.command(tree);
    cmd.env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .args(["list", "-deps"])
        .args(patterns);
    go.run(&mut cmd, tree, true)?;
    Ok(())
}
