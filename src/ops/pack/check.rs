//! ferry's own Go verification before anything is signed: the module cache
//! files to carry against go.sum, then every vendored file against its
//! module's verified zip; then the manifest's module list and the SBOM.
//! Any finding, or any module left unbound, stops pack.

use std::path::PathBuf;

use super::PackOptions;
use super::go::Vendored;
use super::snapshot::Snapshot;
use crate::audit::{self, sbom};
use crate::bundle::manifest::{self, MainModule, Module};
use crate::bundle::writer;
use crate::error::Error;
use crate::gomod::check::{self, GoCheck};
use crate::gomod::diags::Findings;
use crate::gomod::modcache::{self, CacheFile};
use crate::gomod::modules_txt;
use crate::ops::{Context, read_go_text};

/// What the check proved, and what the bundle will say about it.
pub struct Checked {
    /// The module cache files the bundle carries (`--with-modcache`).
    pub cache_files: Vec<CacheFile>,
    /// The proofs of the module zips, as `(entry, bytes)`.
    pub proofs: Vec<(String, Vec<u8>)>,
    pub go: GoCheck,
    pub modules: Vec<Module>,
    pub main: MainModule,
    pub sbom: Vec<u8>,
}

/// A `--with-modcache` bundle carries every go.mod go.sum names, so that
/// what it carries is a function of go.sum, never of the cache's history.
fn complete(files: Vec<CacheFile>, missing: &[String]) -> Result<Vec<CacheFile>, Error> {
    match missing {
        [] => Ok(files),
        _ => Err(Error::Usage(format!(
            "--with-modcache: after `go list -m all` the module cache still lacks the go.mod of {}",
            missing.join(", ")
        ))),
    }
}

/// The Go version vendor/ follows: go.work's `go` line in a workspace.
fn mains_go(snap: &Snapshot) -> String {
    let line = match &snap.layout.workspace {
        Some(_) => snap.work.as_ref().and_then(|w| w.go.clone()),
        None => snap.modfile.go.clone(),
    };
    line.unwrap_or_else(|| "1.16".into())
}

/// Runs the Go check on the scratch tree and the user's module cache.
pub fn run(
    snap: &Snapshot,
    vendored: &Vendored,
    opts: &PackOptions,
    ctx: &Context,
) -> Result<Checked, Error> {
    let tree = &snap.vendor_root;
    let expected = check::Expected {
        module: &snap.modfile.module,
        layout: &snap.layout,
    };
    let mains = check::MainModules::read(&check::Disk { tree, cache: None }, Some(&expected))?;
    let sum = mains.sum;
    let txt = modules_txt::parse(&read_go_text(tree, "vendor/modules.txt")?)?;
    let cache_dir = PathBuf::from(snap.go.env(tree, "GOMODCACHE")?).join("cache/download");
    let selection = modcache::select(&cache_dir, &vendored.downloads, &sum);
    let go = check::run_on_disk(tree, Some(&cache_dir), Some(&expected))?;
    let mut findings = selection.findings;
    findings.extend(go.strict_findings());
    if !findings.is_empty() {
        return Err(Findings(findings).into());
    }
    let main_go = mains_go(snap);
    let proofs = super::zip_proofs::make(&txt, &main_go, &cache_dir)?;
    let modules = manifest::modules(&txt, &sum);
    let mut main = MainModule::new(&snap.modfile, snap.version.clone());
    main.layout = snap.layout.clone();
    let graph = sbom::parse_graph(&snap.go.mod_graph(tree)?);
    let licensed = audit::licenses(tree, &go);
    let created = writer::created(ctx.source_date_epoch);
    let sbom = sbom::of_module(&main, &created, &modules, &licensed, &graph);
    let cache_files = match opts.with_modcache {
        true => complete(selection.files, &selection.missing_go_mods)?,
        false => Vec::new(),
    };
    Ok(Checked {
        cache_files,
        proofs,
        go,
        modules,
        main,
        sbom,
    })
}
