//! `pack`, the connected-side pipeline, as a list of stages: take a snapshot
//! of the module in a scratch folder (the user's tree is never written), let
//! Go download and vendor, check everything against go.sum, pull the images,
//! plan and prove the offline build, then write and sign one bundle. Any
//! failure leaves no bundle behind.

mod cgo;
mod check;
mod go;
mod mains;
mod plan;
mod proof;
pub mod refusal;
mod shape;
mod snapshot;
mod stops;
mod vulns;
mod write;
mod zip_proofs;

use std::path::PathBuf;

use super::Context;
use crate::bundle::manifest::{self, BuildMode};
use crate::error::Error;
use crate::image::pull;
use crate::image::registry::Connection;

/// What `ferry pack` was asked to do.
#[derive(Debug, Clone)]
pub struct PackOptions {
    pub dir: PathBuf,
    pub output: PathBuf,
    pub key: PathBuf,
    pub mode: BuildMode,
    /// `--main` as given, in order; empty: pack finds the main package.
    pub mains: Vec<String>,
    pub tags: Vec<String>,
    /// `--cgo`: build with CGO_ENABLED=1.
    pub cgo: bool,
    pub ldflags: String,
    /// Regenerate a committed vendor/ instead of checking it.
    pub revendor: bool,
    /// Base images to pull and bundle.
    pub images: Vec<pull::Request>,
    /// `docker save` or OCI archives to take images from instead of pulling.
    pub image_archives: Vec<PathBuf>,
    /// The platform image indexes resolve to (`linux/amd64`).
    pub platform: String,
    pub connection: Connection,
    /// A Go vulnerability database snapshot (OSV JSON, a folder or a zip) to bundle.
    pub vulndb: Option<PathBuf>,
    /// Ports the Dockerfile EXPOSEs.
    pub expose: Vec<u16>,
    /// Prove the offline build before signing (`--no-build-check` turns it off).
    pub build_check: bool,
    /// Carry the build list's module cache (GOPROXY layout) as well as the
    /// proofs, for sites that fill a module proxy or run `go mod verify`.
    pub with_modcache: bool,
    /// Cut the bundle into parts of this many bytes (`--split`).
    pub split: Option<u64>,
    /// Write a delta over this bundle (`--base`).
    pub base: Option<PathBuf>,
    /// The keys `--base` may be signed by (`--pub`); none: `--key`'s public half.
    pub base_keys: Vec<PathBuf>,
}

/// What a successful pack wrote.
#[derive(Debug, Clone)]
pub struct Packed {
    pub output: PathBuf,
    pub module: String,
    pub version: String,
    pub manifest_sha256: String,
    pub entries: usize,
    pub modules: usize,
    pub vendored_by_go: bool,
    pub key_id: String,
    /// Modules whose vendored files were bound to their verified source.
    pub modules_bound: usize,
    pub vendored_files: usize,
    pub images: Vec<manifest::Image>,
    /// Each main package and its binary, the first the image's entry point.
    pub binaries: Vec<manifest::MainPackage>,
    /// Where the offline build may differ from module mode, or could not be judged.
    pub warnings: Vec<crate::build::warnings::Warning>,
    /// How the offline build was proven, when it was.
    pub build_proof: Option<String>,
    pub timings: Timings,
    /// The parts that replaced the bundle (`--split`).
    pub parts: Option<crate::bundle::parts::cut::Cut>,
    /// The base the bundle is a delta over (`--base`).
    pub delta: Option<Delta>,
}

/// A delta pack wrote: its base, what it takes from it, and its size
/// against the full bundle's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delta {
    /// The base as given.
    pub base: String,
    pub module: String,
    pub version: String,
    pub base_manifest_sha256: String,
    /// Entries the delta takes from the base instead of carrying.
    pub from_base: usize,
    /// Image tars carried as their new blobs only.
    pub rebuilt: usize,
    /// The delta's size, and the full bundle's it replaced.
    pub bytes: u64,
    pub full_bytes: u64,
}

/// Where a pack's time went, in seconds: the go commands (download, vendor,
/// verify, list), ferry's own Go verification, image pulls, the build proof,
/// and hashing, compressing and writing the bundle.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timings {
    pub go: f64,
    pub verify: f64,
    pub images: f64,
    pub build_check: f64,
    pub bundle: f64,
    #[serde(skip)]
    since: std::time::Instant,
}

impl Timings {
    fn start() -> Timings {
        Timings {
            go: 0.0,
            verify: 0.0,
            images: 0.0,
            build_check: 0.0,
            bundle: 0.0,
            since: std::time::Instant::now(),
        }
    }

    /// Seconds since the last lap.
    fn lap(&mut self) -> f64 {
        let now = std::time::Instant::now();
        let secs = now.duration_since(self.since).as_secs_f64();
        self.since = now;
        secs
    }
}

/// `--split`: the written bundle replaced by its parts and signed index.
fn split(
    opts: &PackOptions,
    m: &crate::bundle::manifest::Manifest,
    sha256: &str,
    signer: &crate::sign::Signer,
) -> Result<Option<crate::bundle::parts::cut::Cut>, Error> {
    let Some(size) = opts.split else {
        return Ok(None);
    };
    let whole = crate::bundle::parts::cut::Whole {
        path: &opts.output,
        module: &m.module.path,
        version: &m.module.version,
        manifest_sha256: sha256,
    };
    super::split::replace_with_parts(&whole, size, signer).map(Some)
}

/// What pack's last steps made of the full bundle.
struct Last {
    m: crate::bundle::manifest::Manifest,
    sha256: String,
    delta: Option<Delta>,
    parts: Option<crate::bundle::parts::cut::Cut>,
}

/// The full bundle just written, rewritten as a delta over `base` when one
/// was given, then cut into parts when asked.
fn finish(
    opts: &PackOptions,
    base: Option<(&std::path::Path, &crate::bundle::reader::Base)>,
    written: write::Written,
    signer: &crate::sign::Signer,
) -> Result<Last, Error> {
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).map_err(Error::io(p));
    let (m, sha256, delta) = match base {
        Some((given, old)) => {
            let full_bytes = size(&opts.output)?;
            let d = super::delta::rewrite(&opts.output, old, signer)?;
            let delta = Delta {
                base: given.display().to_string(),
                module: old.manifest().module.path.clone(),
                version: old.manifest().module.version.clone(),
                base_manifest_sha256: old.manifest_sha256(),
                from_base: d.from_base,
                rebuilt: d.rebuilt,
                bytes: size(&opts.output)?,
                full_bytes,
            };
            (d.manifest, d.sha256, Some(delta))
        }
        None => (written.manifest, written.sha256, None),
    };
    let parts = split(opts, &m, &sha256, signer)?;
    Ok(Last {
        m,
        sha256,
        delta,
        parts,
    })
}

/// `--base`, opened and checked before anything slow runs.
fn base(
    opts: &PackOptions,
    snap: &snapshot::Snapshot,
) -> Result<Option<crate::bundle::reader::Base>, Error> {
    use crate::sign::TrustedKeys;
    let Some(base) = &opts.base else {
        return Ok(None);
    };
    let keys = match opts.base_keys.is_empty() {
        true => TrustedKeys::of_signer(&snap.signer, &opts.key)?,
        false => TrustedKeys::load(&opts.base_keys)?,
    };
    let old = super::delta::open_base(base, &opts.output, &keys)?;
    super::delta::refuse_other_module(base, &old, &snap.modfile.module)?;
    Ok(Some(old))
}

/// Runs the stages in order; each lap of the clock is one reported stage.
pub fn run(opts: &PackOptions, ctx: &Context) -> Result<Packed, Error> {
    let snap = snapshot::take(opts, ctx)?;
    let base = base(opts, &snap)?;
    let mut clock = Timings::start();
    let vendored = go::vendor(&snap, opts, ctx)?;
    let cgo_warnings = cgo::check(&snap, opts)?;
    clock.go = clock.lap();
    let mut checked = check::run(&snap, &vendored, opts, ctx)?;
    let reached = vulns::run(opts, &snap, &checked.go, &checked.sbom, ctx)?;
    if let Some(r) = &reached {
        checked.sbom = r.sbom.clone();
    }
    clock.verify = clock.lap();
    let images_dir = snap.scratch.path().join("images");
    let pulled = pull::pull_all(
        &opts.images,
        &opts.image_archives,
        &opts.platform,
        &opts.connection,
        &images_dir,
        &*ctx.progress,
    )?;
    clock.images = clock.lap();
    let plan = plan::plan(opts, &snap, &pulled)?;
    let mut warnings = cgo_warnings;
    warnings.extend(plan.warnings.iter().cloned());
    let proof = match opts.build_check {
        true => Some(proof::prove(&snap, &plan, ctx)?),
        false => None,
    };
    clock.build_check = clock.lap();
    let parts = write::Parts {
        opts,
        snap: &snap,
        checked: &checked,
        pulled: &pulled,
        plan: &plan,
        proof,
        vulns: reached.map(|r| r.entry),
    };
    let written = write::write(parts, ctx)?;
    clock.bundle = clock.lap();
    // No partial bundle: a delta or parts that could not be made take the
    // full bundle with them (the error that stopped it is the one told).
    let base = opts.base.as_deref().zip(base.as_ref());
    let last = finish(opts, base, written, &snap.signer).inspect_err(|_| {
        let _ = std::fs::remove_file(&opts.output);
    });
    let Last {
        m,
        sha256,
        delta,
        parts,
    } = last?;
    Ok(Packed {
        parts,
        delta,
        timings: clock,
        output: opts.output.clone(),
        entries: m.entries.len() + 2,
        modules: m.modules.len(),
        module: m.module.path,
        version: m.module.version,
        manifest_sha256: sha256,
        vendored_by_go: vendored.by_go,
        key_id: snap.signer.key_id(),
        modules_bound: checked.go.modules,
        vendored_files: checked.go.vendored_files,
        images: m.images,
        binaries: m.build.mains,
        warnings,
        build_proof: m.build.checked_with,
    })
}
