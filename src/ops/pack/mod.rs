//! `pack`, the connected-side pipeline, as a list of stages: take a snapshot
//! of the module in a scratch folder (the user's tree is never written), let
//! Go download and vendor, check everything against go.sum, then prove the
//! offline build on a thread beside the pulls and the payload, and sign one
//! bundle once it passed. Any failure leaves no bundle behind.

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
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Where a pack's wall time went, in seconds: one field per stage, in the
/// order they run, which add up to `total` (every second is in a stage).
/// `build_check` is the build proof's own time: it runs on a thread beside
/// `verify`'s govulncheck, `images` and `bundle`, so it is no part of the
/// sum; `proof_wait` is how long pack then waited for it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Timings {
    /// Everything refused before anything is copied (go.mod, the shape,
    /// `go list` for the main packages, the key, the vulnerability database).
    pub checks: f64,
    /// The module copied into the scratch folder.
    pub copy: f64,
    /// `--base` opened and checked.
    pub base: f64,
    /// The go commands: download, vendor, verify, list.
    pub go: f64,
    /// ferry's own Go verification, and govulncheck with `--vulndb`.
    pub verify: f64,
    pub images: f64,
    /// Every entry hashed and compressed into the payload.
    pub bundle: f64,
    /// Waiting for the build proof after the payload was written.
    pub proof_wait: f64,
    /// The manifest, its signature, and the bundle file.
    pub sign: f64,
    /// The full bundle rewritten as a delta (`--base`).
    pub delta: f64,
    /// The bundle cut into parts (`--split`).
    pub split: f64,
    /// The scratch folder removed.
    pub cleanup: f64,
    pub total: f64,
    /// The build proof's own wall time, beside the stages above.
    pub build_check: f64,
}

/// The stopwatch behind [`Timings`]: each lap ends one stage where the
/// next begins, so the stages tile the run.
struct Clock {
    start: std::time::Instant,
    since: std::time::Instant,
    t: Timings,
}

impl Clock {
    fn start() -> Clock {
        let now = std::time::Instant::now();
        Clock {
            start: now,
            since: now,
            t: Timings::default(),
        }
    }

    /// Seconds since the last lap.
    fn lap(&mut self) -> f64 {
        let now = std::time::Instant::now();
        let secs = now.duration_since(self.since).as_secs_f64();
        self.since = now;
        secs
    }

    /// Seconds since the start.
    fn total(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

impl Timings {
    /// The stages that tile the run, by name, in order (`total` and the
    /// proof's own `build_check` left out).
    pub fn stages(&self) -> [(&'static str, f64); 12] {
        [
            ("checks", self.checks),
            ("copy", self.copy),
            ("base", self.base),
            ("go", self.go),
            ("verify", self.verify),
            ("images", self.images),
            ("bundle", self.bundle),
            ("proof_wait", self.proof_wait),
            ("sign", self.sign),
            ("delta", self.delta),
            ("split", self.split),
            ("cleanup", self.cleanup),
        ]
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
    clock: &mut Clock,
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
    clock.t.delta = clock.lap();
    let parts = split(opts, &m, &sha256, signer)?;
    clock.t.split = clock.lap();
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
    let mut clock = Clock::start();
    let prepared = snapshot::prepare(opts, ctx)?;
    clock.t.checks = clock.lap();
    let snap = prepared.copy(opts, ctx)?;
    clock.t.copy = clock.lap();
    let base = base(opts, &snap)?;
    clock.t.base = clock.lap();
    let vendored = go::vendor(&snap, opts, ctx)?;
    let cgo_warnings = cgo::check(&snap, opts)?;
    clock.t.go = clock.lap();
    let checked = check::run(&snap, &vendored, opts, ctx)?;
    let done = proven(opts, ctx, &snap, checked, &mut clock)?;
    let mut warnings = cgo_warnings;
    warnings.extend(done.plan.warnings.iter().cloned());
    let written = done.written;
    clock.t.sign = clock.lap();
    // No partial bundle: a delta or parts that could not be made take the
    // full bundle with them (the error that stopped it is the one told).
    let base = opts.base.as_deref().zip(base.as_ref());
    let last = finish(opts, base, written, &snap.signer, &mut clock).inspect_err(|_| {
        let _ = std::fs::remove_file(&opts.output);
    });
    let Last {
        m,
        sha256,
        delta,
        parts,
    } = last?;
    let key_id = snap.signer.key_id();
    // Removing the scratch folder (the copy, vendor/, the images) is part
    // of the run too, many files at once. One that cannot be removed is no
    // reason to fail a signed bundle: the temporary folder's drop tries again.
    let _ = crate::fsutil::remove_tree(snap.scratch.path());
    drop(snap);
    clock.t.cleanup = clock.lap();
    clock.t.total = clock.total();
    Ok(Packed {
        parts,
        delta,
        timings: clock.t,
        output: opts.output.clone(),
        entries: m.entries.len() + 2,
        modules: m.modules.len(),
        module: m.module.path,
        version: m.module.version,
        manifest_sha256: sha256,
        vendored_by_go: vendored.by_go,
        key_id,
        modules_bound: done.checked.go.modules,
        vendored_files: done.checked.go.vendored_files,
        images: m.images,
        binaries: m.build.mains,
        warnings,
        build_proof: m.build.checked_with,
    })
}

/// What the stages beside the proof made, and the signed bundle.
struct Proven {
    checked: check::Checked,
    plan: plan::BuildPlan,
    written: write::Written,
}

/// The build proof on its own thread, beside govulncheck, the image pulls
/// and the payload (the proof needs only the verified scratch tree); then,
/// once it passed, the manifest that records it, signed. Whatever fails
/// (or panics) first stops the other, its error is the one told, and
/// nothing is left behind.
fn proven(
    opts: &PackOptions,
    ctx: &Context,
    snap: &snapshot::Snapshot,
    checked: check::Checked,
    clock: &mut Clock,
) -> Result<Proven, Error> {
    let spec = plan::build_spec(opts, snap);
    let stop = AtomicBool::new(false);
    let (beside, proof) = std::thread::scope(|s| {
        let proof = opts.build_check.then(|| {
            s.spawn(|| {
                let _stop = StopOnPanic(&stop);
                let started = std::time::Instant::now();
                let how = proof::prove(snap, &spec, &ctx.temp_dir, &stop);
                if how.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                (how, started.elapsed().as_secs_f64())
            })
        });
        let beside = {
            let _stop = StopOnPanic(&stop);
            payload(opts, ctx, snap, checked, clock, &stop)
        };
        if beside.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        (beside, proof.map(|handle| joined(handle, ctx)))
    });
    clock.t.proof_wait = clock.lap();
    let proof = proof.map(|(how, secs)| {
        clock.t.build_check = secs;
        how
    });
    // The side that failed first stopped the other: its error is told.
    // The payload is a temporary file: dropped on any error, it is removed.
    let proof = match proof {
        Some(Err(e)) if !matches!(e, Error::Build(crate::build::BuildError::Stopped)) => {
            return Err(e);
        }
        other => other.transpose(),
    };
    let beside = beside?;
    let proof = proof?;
    let Beside {
        checked,
        plan,
        pulled,
        payload,
    } = beside;
    let parts = write::Parts {
        opts,
        snap,
        checked: &checked,
        pulled: &pulled,
        plan: &plan,
        vulns: None,
    };
    let written = write::seal(&parts, payload, proof, ctx)?;
    Ok(Proven {
        checked,
        plan,
        written,
    })
}

/// Sets `stop` when dropped while its thread panics: the other side of
/// the proof stops instead of running on to its end.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// The proof thread's result, once it ends (a spinner while pack waits);
/// a panic there is an error like any other, not a second panic.
fn joined(
    handle: std::thread::ScopedJoinHandle<'_, (Result<String, Error>, f64)>,
    ctx: &Context,
) -> (Result<String, Error>, f64) {
    let spin = match handle.is_finished() {
        true => indicatif::ProgressBar::hidden(),
        false => ctx.progress.spinner("offline build"),
    };
    let joined = handle.join();
    spin.finish_and_clear();
    joined.unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        (
            Err(crate::build::BuildError::Panicked { reason }.into()),
            0.0,
        )
    })
}

/// What pack made beside the proof: the checked module (with govulncheck's
/// levels), the plan, the pulled images, and the unsigned payload.
struct Beside {
    checked: check::Checked,
    plan: plan::BuildPlan,
    pulled: Vec<pull::Bundled>,
    payload: crate::bundle::writer::Payload,
}

/// govulncheck (`verify`), the image pulls (`images`), the plan and the
/// payload (`bundle`): the stages that run while the proof builds.
fn payload(
    opts: &PackOptions,
    ctx: &Context,
    snap: &snapshot::Snapshot,
    mut checked: check::Checked,
    clock: &mut Clock,
    stop: &AtomicBool,
) -> Result<Beside, Error> {
    let reached = vulns::run(opts, snap, &checked.go, &checked.sbom, ctx)?;
    if let Some(r) = &reached {
        checked.sbom = r.sbom.clone();
    }
    clock.t.verify = clock.lap();
    write::stopped(stop)?;
    let images_dir = snap.scratch.path().join("images");
    let pulled = pull::pull_all(
        &opts.images,
        &opts.image_archives,
        &opts.platform,
        &opts.connection,
        &images_dir,
        &*ctx.progress,
    )?;
    clock.t.images = clock.lap();
    write::stopped(stop)?;
    let plan = plan::plan(opts, snap, &pulled)?;
    let parts = write::Parts {
        opts,
        snap,
        checked: &checked,
        pulled: &pulled,
        plan: &plan,
        vulns: reached.as_ref().map(|r| r.entry.as_slice()),
    };
    let payload = write::payload(&parts, ctx, stop)?;
    clock.t.bundle = clock.lap();
    Ok(Beside {
        checked,
        plan,
        pulled,
        payload,
    })
}
