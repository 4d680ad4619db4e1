//! The last stages of pack: every entry hashed and compressed into a payload
//! beside the output (Dockerfile, src/, images, modcache/, vulndb/,
//! vulns.json, SBOM) while the build proof runs; then, once it passed, the
//! manifest that lists them, its signature, and one rename into place.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::PackOptions;
use super::check::Checked;
use super::plan::BuildPlan;
use super::snapshot::Snapshot;
use crate::audit::vulns::Snapshot as VulnDb;
use crate::bundle::manifest::{self, Build, Manifest, Tool};
use crate::bundle::writer::{self, Payload, Storage, WriteError};
use crate::bundle::{DOCKERFILE, DOCKERIGNORE, SBOM, VULNDB, VULNS, fields};
use crate::error::Error;
use crate::image::pull::Bundled;
use crate::ops::Context;
use crate::{dockerfile, sign, source};

/// The signed manifest as written, and its sha256.
pub struct Written {
    pub manifest: Manifest,
    pub sha256: String,
}

/// What the earlier stages made, for the bundle.
pub struct Parts<'a> {
    pub opts: &'a PackOptions,
    pub snap: &'a Snapshot,
    pub checked: &'a Checked,
    pub pulled: &'a [Bundled],
    pub plan: &'a BuildPlan,
    /// govulncheck's findings (`vulns.json`), with `--vulndb`.
    pub vulns: Option<&'a [u8]>,
}

/// Every entry hashed and compressed into a payload beside the output
/// (pack's `bundle` stage, while the build proof runs): nothing signed yet.
///
/// Gives up (`Stopped`) between steps and between files once `stop` is set:
/// the proof failed, and no bundle will be signed.
pub fn payload(parts: &Parts, ctx: &Context, stop: &AtomicBool) -> Result<Payload, Error> {
    let Parts {
        snap,
        checked,
        pulled,
        plan,
        ..
    } = parts;
    let time = writer::zip_time(ctx.source_date_epoch);
    let mut payload = Payload::create_in(&snap.out_dir, time)?;
    payload.add_bytes(DOCKERFILE, dockerfile::render(&plan.spec).as_bytes(), 0o644)?;
    payload.add_bytes(DOCKERIGNORE, dockerfile::dockerignore().as_bytes(), 0o644)?;
    add_tree(&mut payload, snap, ctx, stop)?;
    for image in pulled.iter() {
        stopped(stop)?;
        payload.add_file(&image.image.entry, &image.tar, 0o644, Storage::Stored)?;
    }
    let cache: Vec<(String, PathBuf, u32)> = checked
        .cache_files
        .iter()
        .map(|f| (format!("modcache/{}", f.rel), f.source.clone(), 0o644))
        .collect();
    let hidden = indicatif::ProgressBar::hidden();
    payload.add_files_until(&cache, Storage::by_name, &hidden, stop)?;
    stopped(stop)?;
    for (entry, bytes) in &checked.proofs {
        payload.add_bytes(entry, bytes, 0o644)?;
    }
    if let Some(db) = &snap.vulndb {
        add_vulndb(&mut payload, db)?;
    }
    if let Some(bytes) = parts.vulns {
        payload.add_bytes(VULNS, bytes, 0o644)?;
    }
    payload.add_bytes(SBOM, &checked.sbom, 0o644)?;
    Ok(payload)
}

/// The manifest of the payload (with how the build was proven, once it
/// passed), its signature, and the bundle written at `opts.output` with
/// one rename (pack's `sign` stage).
pub fn seal(
    parts: &Parts,
    payload: Payload,
    proof: Option<String>,
    ctx: &Context,
) -> Result<Written, Error> {
    let manifest = manifest_of(parts, &payload, proof, ctx);
    refuse_fields(&manifest)?;
    let bytes = manifest.to_bytes();
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let comment = sign::trusted_comment(
        &manifest.format,
        &manifest.module.path,
        &manifest.module.version,
        &sha256,
    );
    let signature = parts.snap.signer.sign(&bytes, &comment)?;
    payload.write_bundle(&parts.opts.output, &bytes, signature.as_bytes())?;
    Ok(Written { manifest, sha256 })
}

/// A bundle every reader would refuse is not signed: the same field rules
/// as verify's, before the signature.
fn refuse_fields(manifest: &Manifest) -> Result<(), Error> {
    let problems = fields::check(manifest);
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    Err(Error::Usage(format!(
        "the bundle would break the rules readers hold it to; nothing was written:\n{}",
        lines.join("\n")
    )))
}

/// The scratch tree under `src/`, with a progress bar over its bytes.
/// `Stopped` once `stop` is set.
pub fn stopped(stop: &AtomicBool) -> Result<(), Error> {
    match stop.load(Ordering::Relaxed) {
        true => Err(WriteError::Stopped.into()),
        false => Ok(()),
    }
}

fn add_tree(
    payload: &mut Payload,
    snap: &Snapshot,
    ctx: &Context,
    stop: &AtomicBool,
) -> Result<(), Error> {
    let files = source::walk(&snap.tree, false, &[])?;
    let mut total = 0;
    for f in &files {
        total += std::fs::metadata(&f.path)
            .map_err(Error::io(&f.path))?
            .len();
    }
    let bar = ctx.progress.bytes(total, "bundling");
    let src: Vec<(String, PathBuf, u32)> = files
        .iter()
        .map(|f| (format!("src/{}", f.rel), f.path.clone(), f.mode))
        .collect();
    payload.add_files_until(&src, Storage::by_name, &bar, stop)?;
    bar.finish_and_clear();
    Ok(())
}

/// The snapshot's advisories as `vulndb/<id>.json` (their own bytes), and
/// `vulndb/db.json` with the snapshot's date.
fn add_vulndb(payload: &mut Payload, db: &VulnDb) -> Result<(), Error> {
    if let Some(date) = &db.modified {
        let json = serde_json::json!({ "modified": date }).to_string();
        payload.add_bytes(&format!("{VULNDB}db.json"), json.as_bytes(), 0o644)?;
    }
    for (adv, bytes) in &db.advisories {
        if !crate::audit::vulns::safe_id(&adv.id) {
            return Err(Error::Usage(format!(
                "vulnerability database: advisory id {:?} cannot be a file name",
                adv.id
            )));
        }
        payload.add_bytes(&format!("{VULNDB}{}.json", adv.id), bytes, 0o644)?;
    }
    Ok(())
}

/// The manifest of what was written.
fn manifest_of(parts: &Parts, payload: &Payload, proof: Option<String>, ctx: &Context) -> Manifest {
    let opts = parts.opts;
    let mut entries = payload.entries().to_vec();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Manifest {
        format: manifest::FORMAT.into(),
        tool: Tool {
            name: "ferry".into(),
            version: crate::VERSION.into(),
        },
        created: writer::created(ctx.source_date_epoch),
        module: parts.checked.main.clone(),
        go_version: parts.snap.go.version.clone(),
        build: Build {
            mode: opts.mode,
            mains: parts.plan.spec.mains.clone(),
            tags: opts.tags.clone(),
            ldflags: opts.ldflags.clone(),
            cgo: opts.cgo,
            checked: proof.is_some(),
            checked_with: proof,
        },
        modules: parts.checked.modules.clone(),
        images: images(parts.pulled),
        base: None,
        entries,
    }
}

fn images(pulled: &[Bundled]) -> Vec<manifest::Image> {
    let mut out: Vec<manifest::Image> = pulled.iter().map(|b| b.image.clone()).collect();
    out.sort_by(|a, b| a.entry.cmp(&b.entry));
    out
}
