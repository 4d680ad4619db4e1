//! `unpack`: verify and extract in one pass into a fresh folder beside DEST,
//! run the Go binding check there, and rename it into place only when all of
//! it checked out. A rejected bundle, a crash or a full disk leaves nothing at DEST.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{Context, existing_parent};
use crate::bundle::diags::{BundleError, Report};
use crate::bundle::extract::{self, Extract};
use crate::bundle::{MANIFEST, SIGNATURE};
use crate::error::Error;
use crate::sign::TrustedKeys;

/// Verifies `bundle` and extracts it to `dest`.
pub fn run(bundle: &Path, keys: &TrustedKeys, dest: &Path, ctx: &Context) -> Result<Report, Error> {
    let dest = &resolve(dest)?;
    refuse_bundle_inside(bundle, dest)?;
    check_dest(dest)?;
    let parent = crate::fsutil::parent_dir(dest);
    let temp = crate::temp::dir_in("unpack", parent).map_err(Error::io(parent))?;
    let root = temp.path().to_path_buf();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(Error::io(&root))?;
    let checked = super::verify::check_streaming(bundle, keys, &Extract::all(&root), ctx)?;
    if !checked.report.ok() {
        return Err(BundleError::Rejected(Box::new(checked.report)).into());
    }
    super::approvals::carry(bundle, &root)?;
    for (name, bytes) in [
        (MANIFEST, &checked.bundle.manifest_bytes),
        (SIGNATURE, &checked.bundle.signature_bytes),
    ] {
        extract::write_new(&root.join(name), &mut bytes.as_slice(), 0o644)
            .map_err(Error::io(root.join(name)))?;
    }
    if dest.exists() {
        fs::remove_dir(dest).map_err(Error::io(dest))?;
    }
    let kept = temp.keep();
    fs::rename(&kept, dest).map_err(|e| {
        let _ = fs::remove_dir_all(&kept);
        Error::io(dest)(e)
    })?;
    Ok(checked.report)
}

/// DEST with its parent's symlinks resolved now, once: the temporary folder
/// and the final rename then name the same real folder, whatever a link in
/// the path is changed to while the bundle is being checked.
fn resolve(dest: &Path) -> Result<PathBuf, Error> {
    let parent = existing_parent(dest, "to unpack into")?;
    let real = fs::canonicalize(parent).map_err(Error::io(parent))?;
    let name = dest
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: DEST must name a folder", dest.display())))?;
    Ok(real.join(name))
}

/// A bundle inside DEST would be swept away by the rename, or mixed into
/// what was unpacked.
fn refuse_bundle_inside(bundle: &Path, dest: &Path) -> Result<(), Error> {
    let real = fs::canonicalize(bundle).map_err(Error::io(bundle))?;
    if real.starts_with(dest) {
        return Err(Error::Usage(format!(
            "{}: DEST holds the bundle {}; unpack into a folder of its own",
            dest.display(),
            bundle.display()
        )));
    }
    Ok(())
}

/// DEST must not exist, or be an empty folder (not a symlink to one), and its
/// parent must exist.
fn check_dest(dest: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(dest)(e)),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::Usage(format!(
                "{}: is a symbolic link; give a real folder",
                dest.display()
            )));
        }
        Ok(m) if !m.is_dir() => {
            return Err(Error::Usage(format!(
                "{}: exists and is not a folder",
                dest.display()
            )));
        }
        Ok(_) => {
            let mut items = fs::read_dir(dest).map_err(Error::io(dest))?;
            if items.next().is_some() {
                return Err(Error::Usage(format!(
                    "{}: exists and is not empty; unpack needs a new or empty folder",
                    dest.display()
                )));
            }
        }
    }
    existing_parent(dest, "to unpack into")?;
    Ok(())
}
