//! Writing verified entries to disk, under a root folder that ferry itself
//! created: no path component can be a planted symlink, names were checked
//! to be relative with no `..`, and only 0644/0755 modes are set.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::manifest::Entry;
use super::reader::Sink;

/// Extracts entries under `root`, optionally only those below some prefixes.
pub struct Extract {
    root: PathBuf,
    only: Option<Vec<&'static str>>,
    /// Folders this extraction made: the files of one folder cost one
    /// `mkdir`, not one each.
    made: Mutex<HashSet<PathBuf>>,
}

impl Extract {
    pub fn all(root: &Path) -> Extract {
        Extract {
            root: root.to_path_buf(),
            only: None,
            made: Mutex::default(),
        }
    }

    /// Only entries whose path starts with one of `prefixes`; the rest are
    /// still read and hashed, just not written.
    pub fn only(root: &Path, prefixes: &[&'static str]) -> Extract {
        Extract {
            only: Some(prefixes.to_vec()),
            ..Extract::all(root)
        }
    }

    /// `dir` and the folders above it, made once.
    fn make_dir(&self, dir: &Path) -> io::Result<()> {
        if self.made().contains(dir) {
            return Ok(());
        }
        fs::create_dir_all(dir)?;
        self.made().insert(dir.to_path_buf());
        Ok(())
    }

    fn made(&self) -> MutexGuard<'_, HashSet<PathBuf>> {
        self.made.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wanted(&self, path: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|p| path.starts_with(p)))
    }
}

impl Sink for Extract {
    fn entry(&self, entry: &Entry, data: &mut dyn Read) -> io::Result<()> {
        if !self.wanted(&entry.path) {
            return io::copy(data, &mut io::sink()).map(drop);
        }
        let path = self.root.join(&entry.path);
        if let Some(parent) = path.parent() {
            self.make_dir(parent)?;
        }
        write_new(&path, data, entry.mode)
    }
}

/// Creates a file that must not exist yet, private until it is complete.
pub fn write_new(path: &Path, data: &mut dyn Read, mode: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    io::copy(data, &mut f)?;
    f.set_permissions(fs::Permissions::from_mode(mode & 0o755))?;
    Ok(())
}
