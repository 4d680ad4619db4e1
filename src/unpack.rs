//! `unpack`: verify and extract in one pass into a fresh folder beside DEST,
//! run the Go binding check there, and rename it into place only when all of
//! it checked out. A rejected bundle, a crash or a full disk leaves nothing at DEST.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::bundle::diags::{BundleError, Report};
use crate::bundle::extract::Extract;
use crate::error::Error;
use crate::verify;

/// Prefix of the temporary folder beside DEST; safe to delete when no unpack runs.
pub const TEMP_PREFIX: &str = ".ferry-unpack-";

/// Verifies `bundle` and extracts it to `dest`.
pub fn run(bundle: &Path, pub_key: &Path, dest: &Path, quiet: bool) -> Result<Report, Error> {
    check_dest(dest)?;
    let parent = crate::fsutil::parent_dir(dest);
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(parent)
        .map_err(Error::io(parent))?;
    let root = temp.path().to_path_buf();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(Error::io(&root))?;
    let (report, _) = verify::check_into(bundle, pub_key, &root, &mut Extract::all(&root), quiet)?;
    if !report.ok() {
        return Err(BundleError::Rejected(Box::new(report)).into());
    }
    if dest.exists() {
        fs::remove_dir(dest).map_err(Error::io(dest))?;
    }
    let kept = temp.keep();
    fs::rename(&kept, dest).map_err(|e| {
        let _ = fs::remove_dir_all(&kept);
        Error::io(dest)(e)
    })?;
    Ok(report)
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
    let parent = crate::fsutil::parent_dir(dest);
    if !parent.is_dir() {
        return Err(Error::Usage(format!(
            "{}: no such folder to unpack into",
            parent.display()
        )));
    }
    Ok(())
}
