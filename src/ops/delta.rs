//! Delta bundles: `pack --base OLD`'s last step (the full bundle rewritten
//! as a delta over OLD, whose signature is checked first with the packing
//! key's public half), and the base a reader is given (`--base OLD`),
//! opened, checked against the base the delta names, and attached.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Context;
use crate::bundle::manifest::Manifest;
use crate::bundle::{delta, reader};
use crate::error::Error;
use crate::sign::{self, Signer, TrustedKeys};

/// What `pack --base` wrote: the delta's manifest and its sha256.
pub struct Written {
    pub manifest: Manifest,
    pub sha256: String,
    /// Entries the zip leaves out, because the base has their bytes.
    pub from_base: usize,
}

/// `pack --base`'s base, checked before any slow work: not the output
/// itself, signed by a trusted key, a full bundle (a delta's readers would
/// need its own base too).
pub fn open_base(base: &Path, output: &Path, keys: &TrustedKeys) -> Result<reader::Bundle, Error> {
    refuse_folder(base)?;
    let usage = |why: &str| Err(Error::Usage(format!("--base {}: {why}", base.display())));
    if !base.exists() {
        return usage(
            "no such file; give the full bundle of the release the site holds (or its parts index)",
        );
    }
    if is_output(base, output) {
        return usage(
            "is the bundle this pack writes (-o); the base is the release the site already holds",
        );
    }
    let old = reader::open(base, keys)?;
    if let Some(b) = &old.manifest.base {
        return usage(&format!(
            "a delta bundle (over {} {}), which cannot be a base: its readers would need its own base too; give the full bundle of {} {} (or its unpacked folder)",
            b.module, b.version, old.manifest.module.path, old.manifest.module.version
        ));
    }
    Ok(old)
}

/// A base of another module is no earlier release of this one.
pub fn refuse_other_module(base: &Path, old: &reader::Bundle, module: &str) -> Result<(), Error> {
    match old.manifest.module.path == module {
        true => Ok(()),
        false => Err(Error::Usage(format!(
            "--base {}: a release of {}, not of {module}, which this pack writes",
            base.display(),
            old.manifest.module.path
        ))),
    }
}

/// Whether `base` is `-o`, or the parts index `-o --split` writes.
fn is_output(base: &Path, output: &Path) -> bool {
    let canon = |p: &Path| {
        let dir = std::fs::canonicalize(crate::fsutil::parent_dir(p)).ok()?;
        Some(dir.join(p.file_name()?))
    };
    let (Some(b), Some(o)) = (canon(base), canon(output)) else {
        return false;
    };
    let mut index = o.clone().into_os_string();
    index.push(crate::bundle::parts::SUFFIX);
    b == o || b.as_os_str() == index
}

/// Rewrites the full bundle at `output` as a delta over `old`, the base
/// [`open_base`] opened.
pub fn rewrite(output: &Path, old: &reader::Bundle, signer: &Signer) -> Result<Written, Error> {
    let keys = TrustedKeys::of_signer(signer, output)?;
    let full = reader::open(output, &keys)?;
    let old_sha = hex::encode(Sha256::digest(&old.manifest_bytes));
    let m = delta::manifest_over(&full.manifest, &old.manifest, &old_sha);
    let bytes = m.to_bytes();
    let sha = hex::encode(Sha256::digest(&bytes));
    let comment = sign::trusted_comment(&m.format, &m.module.path, &m.module.version, &sha);
    let signature = signer.sign(&bytes, &comment)?;
    let leave_out: BTreeSet<String> = m
        .base
        .iter()
        .flat_map(|b| b.from_base.iter().cloned())
        .collect();
    drop(full);
    delta::rewrite(output, &bytes, signature.as_bytes(), &leave_out)?;
    Ok(Written {
        from_base: leave_out.len(),
        manifest: m,
        sha256: sha,
    })
}

/// A base given as a folder: not built yet.
fn refuse_folder(base: &Path) -> Result<(), Error> {
    match base.is_dir() {
        true => Err(Error::Usage(format!(
            "--base {}: an unpacked folder as a base is not built yet; give the base bundle (or its parts index)",
            base.display()
        ))),
        false => Ok(()),
    }
}

/// The base a reader was given, opened (signature against the trusted
/// keys) and attached to `bundle`, which must be a delta naming it.
pub fn attach(bundle: &mut reader::Bundle, keys: &TrustedKeys, ctx: &Context) -> Result<(), Error> {
    let Some(base) = &ctx.base else {
        return Ok(());
    };
    if bundle.manifest.base.is_none() {
        return Err(Error::Usage(format!(
            "--base {}: {} is not a delta bundle (its manifest names no base)",
            base.display(),
            bundle.manifest.module.path
        )));
    }
    refuse_folder(base)?;
    let old = reader::open(base, keys)?;
    bundle.attach_base(old)?;
    Ok(())
}
