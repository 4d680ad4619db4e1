//! `unpack`: verify and extract in one pass into a fresh folder beside DEST,
//! renamed into place only when every entry checked out. A rejected bundle,
//! a crash or a full disk leaves nothing at DEST.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::bundle::diags::{BundleError, Report};
use crate::bundle::manifest::Entry;
use crate::bundle::reader::{self, Sink};
use crate::bundle::{MANIFEST, SIGNATURE};
use crate::error::Error;
use crate::{progress, sign};

/// Prefix of the temporary folder beside DEST; safe to delete when no unpack runs.
pub const TEMP_PREFIX: &str = ".ferry-unpack-";

/// Writes each verified entry under a root that ferry itself created.
struct Extract {
    root: PathBuf,
}

impl Sink for Extract {
    fn entry(&mut self, entry: &Entry, data: &mut dyn Read) -> io::Result<()> {
        // Names were checked (relative, no `..`), and every folder on the way
        // was made by this unpack, so no component can be a planted symlink.
        let path = self.root.join(&entry.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        write_new(&path, data, entry.mode)
    }
}

fn write_new(path: &Path, data: &mut dyn Read, mode: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    io::copy(data, &mut f)?;
    f.set_permissions(fs::Permissions::from_mode(mode & 0o755))?;
    Ok(())
}

/// Verifies `bundle` and extracts it to `dest`.
pub fn run(bundle: &Path, pub_key: &Path, dest: &Path, quiet: bool) -> Result<Report, Error> {
    check_dest(dest)?;
    let parent = crate::fsutil::parent_dir(dest);
    let pk = sign::load_public_key(pub_key)?;
    let mut b = reader::open(bundle, &pk)?;
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(parent)
        .map_err(Error::io(parent))?;
    let root = temp.path().to_path_buf();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(Error::io(&root))?;
    let bar = progress::bytes(b.payload_bytes(), "unpacking", quiet);
    let report = b.check(&mut Extract { root: root.clone() }, &bar)?;
    bar.finish_and_clear();
    if !report.ok() {
        return Err(BundleError::Rejected(Box::new(report)).into());
    }
    for (name, bytes) in [
        (MANIFEST, &b.manifest_bytes),
        (SIGNATURE, &b.signature_bytes),
    ] {
        write_new(&root.join(name), &mut bytes.as_slice(), 0o644)
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
