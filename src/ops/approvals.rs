//! Reviewer approvals on disk: `ferry approve` writes one beside a bundle
//! (`BUNDLE.approvals/<KEYID>.minisig`) or in an unpacked folder
//! (`DIR/approvals/`); the reading commands count them against the quorum
//! the binary read (`--require-approvals`, `--approver`); `unpack` carries
//! them into DEST. Counting itself is `sign::approvals::count`.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Context;
use crate::bundle::MANIFEST;
use crate::bundle::diags::{Check, CheckName, Code, Problem, Report};
use crate::bundle::{reader, unpacked};
use crate::error::Error;
use crate::sign::approvals::{self, ApprovalError, ApprovalReport, BundleSigner};
use crate::sign::{self, MAX_SIGNATURE_BYTES, TrustedKeys};

/// How many approvals a command requires, and whose count.
#[derive(Default)]
pub struct Quorum {
    /// Distinct approver keys that must have approved the manifest; 0: none.
    pub required: usize,
    /// The keys trusted as approvers; `None` when none was given (then
    /// `required` is 0, and approvals are listed, not checked).
    pub approvers: Option<TrustedKeys>,
}

/// The approvals folder of `target`, a bundle file or an unpacked folder;
/// for the parts index `BUNDLE.parts`, the bundle's own (`BUNDLE.approvals/`):
/// an approval is of the manifest, however the bundle travels.
pub fn folder(target: &Path) -> PathBuf {
    if target.is_file() && crate::bundle::parts::is_index(target) {
        return approvals::folder_of(&crate::bundle::parts::whole_of(target), true);
    }
    approvals::folder_of(target, target.is_file())
}

/// Every `*.minisig` item of `folder` (none when it does not exist): a
/// regular file read to one byte past the size a signature may have, or
/// why it cannot be an approval (a link is never followed, a pipe never
/// waited on), so that each is named, never skipped.
pub fn read(folder: &Path) -> Result<approvals::Files, Error> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(folder)(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(Error::io(folder))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".minisig") {
            files.push((name, read_plain(&path)));
        }
    }
    Ok(files)
}

/// A regular file's bytes, opened without following a link or blocking.
fn read_plain(path: &Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot be opened as a plain file: {e}"))?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_SIGNATURE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Counts the approvals of `target` whose signed manifest is `manifest`,
/// signed by `key_id`; `None` when there is nothing to say (none found,
/// none required).
pub fn check(
    target: &Path,
    manifest: &[u8],
    signer: &BundleSigner,
    ctx: &Context,
) -> Result<Option<ApprovalReport>, Error> {
    let q = &ctx.approvals;
    // Approvals are read when the command asks for them: a stray file
    // beside a bundle must not stop a plain verify.
    if q.required == 0 && q.approvers.is_none() {
        return Ok(None);
    }
    let files = read(&folder(target))?;
    let sha = hex::encode(Sha256::digest(manifest));
    let report = approvals::count(
        manifest,
        &sha,
        signer,
        q.approvers.as_ref(),
        &files,
        q.required,
    );
    Ok((!report.is_empty()).then_some(report))
}

/// [`check`], and an error when fewer approvals count than are required.
pub fn require(
    target: &Path,
    manifest: &[u8],
    signer: &BundleSigner,
    ctx: &Context,
) -> Result<Option<ApprovalReport>, Error> {
    let report = check(target, manifest, signer, ctx)?;
    match report {
        Some(r) if !r.ok() => Err(ApprovalError::Missing(Box::new(r)).into()),
        other => Ok(other),
    }
}

/// Puts the approvals into a bundle report: a check when some are
/// required, and a problem when too few count.
pub fn add_to(report: &mut Report, approvals: Option<ApprovalReport>) {
    let Some(a) = approvals else { return };
    if a.required > 0 {
        report.checks.push(Check {
            check: CheckName::Approvals,
            ok: a.ok(),
            detail: a.to_string(),
        });
    }
    if !a.ok() {
        let problem = Problem::new(Code::ApprovalsMissing, MANIFEST, a.to_string());
        report.problems.push(problem);
    }
    report.approvals = Some(a);
}

/// Copies the approvals beside `bundle` into `root/approvals/`: only files
/// named `<KEYID>.minisig`, regular, no larger than a signature may be.
/// They are checked when read, not here. Returns how many were copied.
pub fn carry(bundle: &Path, root: &Path) -> Result<usize, Error> {
    let from = folder(bundle);
    // Something else under that name (a file) is no approvals folder: there
    // is nothing to carry, and an unpack that asked for none must not fail.
    if !fs::symlink_metadata(&from).is_ok_and(|m| m.is_dir()) {
        return Ok(0);
    }
    let wanted: Vec<(String, Vec<u8>)> = read(&from)?
        .into_iter()
        .filter_map(|(name, bytes)| Some((name, bytes.ok()?)))
        .filter(|(name, bytes)| {
            approvals::is_file_name(name) && bytes.len() as u64 <= MAX_SIGNATURE_BYTES
        })
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let to = root.join(approvals::FOLDER);
    if to.exists() {
        return Err(Error::Usage(format!(
            "{}: the bundle has entries under {}/, where unpack puts the approvals beside it; unpack it without them",
            bundle.display(),
            approvals::FOLDER
        )));
    }
    fs::create_dir(&to).map_err(Error::io(&to))?;
    for (name, bytes) in &wanted {
        let path = to.join(name);
        crate::bundle::extract::write_new(&path, &mut bytes.as_slice(), 0o644)
            .map_err(Error::io(&path))?;
    }
    Ok(wanted.len())
}

/// What `ferry approve` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub module: String,
    pub version: String,
    pub manifest_sha256: String,
    pub key_id: String,
    pub file: PathBuf,
    /// An earlier approval by the same key was replaced.
    pub replaced: bool,
}

/// Approves `target` (a bundle file, its signature checked against `keys`,
/// or an unpacked folder) with the reviewer's secret key: a detached
/// signature over ferry.json's signed bytes, written atomically as
/// `<KEYID>.minisig` in its approvals folder.
pub fn approve(
    target: &Path,
    keys: &TrustedKeys,
    key: &Path,
    comment: &str,
    ctx: &Context,
) -> Result<Approved, Error> {
    let (manifest, bytes, bundle_key) = if target.is_file() {
        let b = reader::open(target, keys)?;
        (b.manifest, b.manifest_bytes, b.key_id)
    } else {
        let u = unpacked::open(target, keys)?;
        (u.manifest, u.manifest_bytes, u.key_id)
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    let (module, version) = (manifest.module.path, manifest.module.version);
    let text = approvals::approval_comment(&module, &version, &sha, comment)?;
    let signer = sign::load_secret_key(key, &*ctx.password)?;
    let key_id = signer.key_id();
    if key_id == bundle_key {
        return Err(ApprovalError::SignerApproves { key_id }.into());
    }
    let signature = signer.sign_as(&bytes, "approval of ferry.json, by ferry approve", &text)?;
    let dir = folder(target);
    fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let file = dir.join(format!("{key_id}.minisig"));
    let replaced = file.exists();
    write_replacing(&dir, &file, signature.as_bytes())?;
    Ok(Approved {
        module,
        version,
        manifest_sha256: sha,
        key_id,
        file,
        replaced,
    })
}

/// Writes `bytes` beside `file` in `dir`, then renames it into place.
fn write_replacing(dir: &Path, file: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mut temp = crate::temp::file_in("approval", dir, ".tmp").map_err(Error::io(dir))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .and_then(|_| fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o644)))
        .map_err(Error::io(temp.path().to_path_buf()))?;
    temp.persist(file).map_err(|e| Error::io(file)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_or_a_folder_is_named_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        fs::write(&secret, "SOME_TOKEN=hunter2").unwrap();
        let approvals = dir.path().join("h.ferry.approvals");
        fs::create_dir(&approvals).unwrap();
        std::os::unix::fs::symlink(&secret, approvals.join("ABCDEF0123456789.minisig")).unwrap();
        fs::create_dir(approvals.join("0000000000000000.minisig")).unwrap();
        fs::write(approvals.join("notes.txt"), "not an approval").unwrap();
        let mut read = read(&approvals).unwrap();
        read.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(read.len(), 2);
        assert!(read.iter().all(|(_, r)| r.is_err()), "{read:?}");
    }
}
