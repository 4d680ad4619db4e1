//! Delta bundles: `pack --base OLD`'s last step (the full bundle rewritten
//! as a delta over OLD, whose signature is checked first with the packing
//! key's public half), and the base a reader is given (`--base OLD`, a
//! bundle or an unpacked folder of one), opened, checked against the base
//! the delta names, and attached.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Context;
use crate::bundle::diags::{BundleError, Report};
use crate::bundle::manifest::Manifest;
use crate::bundle::reader::{self, Base, Discard, folder};
use crate::bundle::{delta, unpacked};
use crate::error::Error;
use crate::sign::{self, Signer, TrustedKeys};

/// What `pack --base` wrote: the delta's manifest and its sha256.
pub struct Written {
    pub manifest: Manifest,
    pub sha256: String,
    /// Entries the zip leaves out, because the base has their bytes.
    pub from_base: usize,
    /// Image tars the zip carries only the new blobs of.
    pub rebuilt: usize,
}

/// `pack --base`'s base, checked before any slow work: not the output
/// itself, signed by a trusted key, and whole: a full bundle (a delta's
/// readers would need its own base too) or an unpacked folder (unpack wrote
/// every entry, whatever bundle it came from).
pub fn open_base(base: &Path, output: &Path, keys: &TrustedKeys) -> Result<Base, Error> {
    let usage = |why: &str| Err(Error::Usage(format!("--base {}: {why}", base.display())));
    if !base.exists() {
        return usage(
            "no such file; give the full bundle of the release the site holds (or its parts index, or its unpacked folder)",
        );
    }
    if is_output(base, output) {
        return usage(
            "is the bundle this pack writes (-o); the base is the release the site already holds",
        );
    }
    if in_base(base, output) {
        return usage(&format!(
            "-o {} would write over the base's own files (a part of its index, or a file below its folder); write the new release elsewhere",
            output.display()
        ));
    }
    let mut old = open_any(base, keys)?;
    if let Base::Bundle(b) = &mut old {
        // pack reads no byte of the base but its image tars, each hashed
        // against the base's signed manifest before it lends a blob.
        b.stop_part_hashes();
    }
    if let (Base::Bundle(b), Some(over)) = (&old, &old.manifest().base) {
        return usage(&format!(
            "a delta bundle (over {} {}), which cannot be a base: its readers would need its own base too; give the full bundle of {} {} (or its unpacked folder)",
            over.module, over.version, b.manifest.module.path, b.manifest.module.version
        ));
    }
    Ok(old)
}

/// A base of another module is no earlier release of this one.
pub fn refuse_other_module(base: &Path, old: &Base, module: &str) -> Result<(), Error> {
    let theirs = &old.manifest().module.path;
    match theirs == module {
        true => Ok(()),
        false => Err(Error::Usage(format!(
            "--base {}: a release of {theirs}, not of {module}, which this pack writes",
            base.display(),
        ))),
    }
}

/// Whether `base` is `-o`, or the parts index `-o --split` writes.
fn is_output(base: &Path, output: &Path) -> bool {
    let (Some(b), Some(o)) = (canonical(base), canonical(output)) else {
        return false;
    };
    let mut index = o.clone().into_os_string();
    index.push(crate::bundle::parts::SUFFIX);
    b == o || b.as_os_str() == index
}

/// `p` with its folder resolved (the file itself need not exist yet).
fn canonical(p: &Path) -> Option<std::path::PathBuf> {
    let dir = std::fs::canonicalize(crate::fsutil::parent_dir(p)).ok()?;
    Some(dir.join(p.file_name()?))
}

/// Whether `output` is one of the base's files: a part `BASE.NNN` of a
/// parts index, or anything below an unpacked folder.
fn in_base(base: &Path, output: &Path) -> bool {
    let (Some(b), Some(o)) = (canonical(base), canonical(output)) else {
        return false;
    };
    if base.is_dir() {
        return o.starts_with(&b);
    }
    let (Some(stem), Some(name)) = (
        b.to_str()
            .and_then(|b| b.strip_suffix(crate::bundle::parts::SUFFIX)),
        o.to_str(),
    ) else {
        return false;
    };
    name.strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// Rewrites the full bundle at `output` as a delta over `old`, the base
/// [`open_base`] opened; pack removes the full bundle when this fails.
pub fn rewrite(output: &Path, old: &Base, signer: &Signer) -> Result<Written, Error> {
    let keys = TrustedKeys::of_signer(signer, output)?;
    let full = reader::open(output, &keys)?;
    let mut m = delta::manifest_over(&full.manifest, old.manifest(), &old.manifest_sha256());
    let split = delta::split_images(&full, &m, old)?;
    if let Some(b) = &mut m.base {
        b.images = split.iter().map(|s| s.tar.clone()).collect();
    }
    let leave_out: BTreeSet<String> = m
        .base
        .iter()
        .flat_map(|b| b.from_base.iter().cloned())
        .collect();
    if let Base::Folder(f) = old {
        check_folder(f, &m, &leave_out)?;
    }
    let bytes = m.to_bytes();
    let sha = hex::encode(Sha256::digest(&bytes));
    let comment = sign::trusted_comment(&m.format, &m.module.path, &m.module.version, &sha);
    let signature = signer.sign(&bytes, &comment)?;
    drop(full);
    delta::rewrite(output, &bytes, signature.as_bytes(), &leave_out, &split)?;
    Ok(Written {
        from_base: leave_out.len(),
        rebuilt: split.len(),
        manifest: m,
        sha256: sha,
    })
}

/// A base folder on the packing side: every file the delta will take from
/// it is read against its signed ferry.json, so a folder that no longer
/// holds the release it signs is refused before a delta names it.
fn check_folder(
    f: &unpacked::Unpacked,
    m: &Manifest,
    leave_out: &BTreeSet<String>,
) -> Result<(), Error> {
    let wanted: Vec<_> = m
        .entries
        .iter()
        .filter(|e| leave_out.contains(&e.path))
        .collect();
    let streamed = folder::stream(f, &wanted, &Discard, &indicatif::ProgressBar::hidden())?;
    if streamed.problems.is_empty() {
        return Ok(());
    }
    let report = Report {
        bundle: f.root.display().to_string(),
        problems: streamed.problems,
        ..Report::default()
    };
    Err(BundleError::Rejected(Box::new(report)).into())
}

/// Opens a base: a bundle (or its parts index) with its signature checked,
/// or an unpacked folder with its ferry.json's signature checked (its files
/// are checked as they are read).
fn open_any(base: &Path, keys: &TrustedKeys) -> Result<Base, Error> {
    match base.is_dir() {
        true => Ok(Base::Folder(Box::new(unpacked::open(base, keys)?))),
        false => {
            // A base in parts is hashed from here on; a reader awaits the
            // verdict with its own parts' (`Bundle::check`).
            Ok(Base::Bundle(Box::new(reader::open(base, keys)?)))
        }
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
    let old = open_any(base, keys)?;
    bundle.attach_base(old)?;
    Ok(())
}
