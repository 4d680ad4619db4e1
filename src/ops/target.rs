//! What `images`, `diff` and `build` read: a bundle file (signature and every
//! entry checked, the parts they need extracted to a private temporary
//! folder) or an unpacked bundle folder (the files they need checked against
//! its `ferry.json`), opened the same way for all of them.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Context;
use crate::bundle::diags::{BundleError, Report};
use crate::bundle::extract::Extract;
use crate::bundle::manifest::Manifest;
use crate::bundle::unpacked;
use crate::error::Error;
use crate::gomod::check::{self, unpacked::Unpacked};
use crate::gomod::diags::Findings;
use crate::sign::TrustedKeys;
use crate::sign::approvals::BundleSigner;

/// A bundle whose needed parts are on disk, checked.
pub struct Opened {
    /// The folder that holds the checked parts (`images/`, `src/`, …).
    pub root: PathBuf,
    pub manifest: Manifest,
    /// The id of the trusted key that signed ferry.json.
    pub key_id: String,
    /// The hex sha256 of the signed ferry.json bytes, when they were kept
    /// (an unpacked folder, or a bundle file opened by [`open_proven`]).
    pub manifest_sha256: Option<String>,
    _temp: Option<tempfile::TempDir>,
}

/// Opens `target`, a bundle file or an unpacked folder, with the entries
/// under `prefixes` checked (and, for a file, extracted).
pub fn open(
    target: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    if target.is_file() {
        return open_file(target, keys, prefixes, ctx);
    }
    open_folder(target, keys, prefixes, ctx)
}

/// An unpacked folder: ferry.json (its signature first), the approvals
/// the context requires, then every file under `prefixes` against it, none missing, none added.
pub fn open_folder(
    dir: &Path,
    keys: &TrustedKeys,
    prefixes: &[&str],
    ctx: &Context,
) -> Result<Opened, Error> {
    refuse_base(dir, ctx)?;
    let folder = unpacked::open(dir, keys)?;
    let signer = BundleSigner {
        id: &folder.key_id,
        key: folder.signer_key,
    };
    super::approvals::require(dir, &folder.manifest_bytes, &signer, ctx)?;
    folder.check(prefixes)?;
    Ok(Opened {
        root: folder.root,
        manifest: folder.manifest,
        key_id: folder.key_id,
        manifest_sha256: Some(folder.manifest_sha256),
        _temp: None,
    })
}

/// Opens `target` as [`open`] does, and proves its Go side too: the Go
/// check (vendor/ against go.sum through the proofs or the module cache)
/// and the manifest's module list against the tree. For commands that
/// report on or act upon the third-party code: `diff`, `modules export`,
/// `build`.
pub fn open_proven(
    target: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    if target.is_file() {
        let temp = ctx.temp("read")?;
        let sink = Extract::only(temp.path(), prefixes);
        let checked = super::verify::check_streaming(target, keys, &sink, ctx)?;
        if !checked.report.ok() {
            return Err(BundleError::Rejected(Box::new(checked.report)).into());
        }
        return Ok(Opened {
            root: temp.path().to_path_buf(),
            key_id: checked.bundle.key_id,
            manifest_sha256: Some(hex::encode(Sha256::digest(&checked.bundle.manifest_bytes))),
            manifest: checked.bundle.manifest,
            _temp: Some(temp),
        });
    }
    let mut wanted = vec!["src/", "proofs/", "modcache/"];
    wanted.extend(prefixes);
    wanted.sort_unstable();
    wanted.dedup();
    let opened = open_folder(target, keys, &wanted, ctx)?;
    // open_folder checked every file under src/ against the manifest: its
    // entries say what vendor/ holds without hashing it again.
    let root = opened.manifest.module.layout.vendor_root();
    let listing = crate::bundle::go_inputs::vendor_listing(&opened.manifest.entries, root);
    let inputs = Unpacked::new(&opened.root).at(root).with_listing(listing);
    let expected = super::verify::expected(&opened.manifest);
    let findings = check::run(&inputs, Some(&expected))?.strict_findings();
    if !findings.is_empty() {
        return Err(Findings(findings).into());
    }
    let disagree = super::verify::modules_agree(&opened.manifest, &inputs)?;
    if !disagree.is_empty() {
        let report = Report {
            bundle: target.display().to_string(),
            problems: disagree,
            ..Report::default()
        };
        return Err(BundleError::Rejected(Box::new(report)).into());
    }
    Ok(opened)
}

/// An unpacked folder is whole, even of a delta: a `--base` given with one
/// would be ignored, so it is refused.
fn refuse_base(dir: &Path, ctx: &Context) -> Result<(), Error> {
    match &ctx.base {
        None => Ok(()),
        Some(base) => Err(Error::Usage(format!(
            "--base {}: {} is an unpacked folder, whole (unpack wrote every entry); --base reads a delta bundle file",
            base.display(),
            dir.display()
        ))),
    }
}

fn open_file(
    bundle: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    let temp = ctx.temp("read")?;
    let sink = Extract::only(temp.path(), prefixes);
    let (manifest, key_id) = super::verify::check_entries(bundle, keys, &sink, ctx)?;
    Ok(Opened {
        root: temp.path().to_path_buf(),
        manifest,
        key_id,
        manifest_sha256: None,
        _temp: Some(temp),
    })
}

/// For a command that takes no `--base` (build, modules export): a delta
/// read without its base gets a hint that works here, its unpacked folder.
pub fn no_base_here(command: &'static str, verb: &'static str) -> impl Fn(Error) -> Error {
    move |e| {
        use crate::bundle::diags::Code;
        let Error::Bundle(BundleError::Rejected(mut report)) = e else {
            return e;
        };
        for p in report
            .problems
            .iter_mut()
            .filter(|p| p.code == Code::NeedsBase)
        {
            p.problem = p.problem.replace(
                "give it with --base OLD",
                &format!(
                    "{command} takes no --base: unpack it with --base OLD, then {verb} the folder"
                ),
            );
        }
        Error::Bundle(BundleError::Rejected(report))
    }
}
