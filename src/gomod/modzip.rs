//! One pass over a module zip as the proxy serves it: its go.sum `h1:`, and
//! for every file its sha256 and, for a .go file, what `go mod vendor` reads
//! in it. Files are streamed, never held whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::dirhash::{self, DirhashError};
use super::vendor_rules::{GoFile, ModuleFile};
use crate::fsutil::Tap;

/// A module zip, read: `files` by their names in the zip (`path@version/…`).
#[derive(Debug, Clone)]
pub struct ModuleZip {
    pub h1: String,
    pub files: Vec<(String, ModuleFile)>,
}

impl ModuleZip {
    /// The files below `prefix` (`path@version/`), by their path below it.
    pub fn files_below(&self, prefix: &str) -> BTreeMap<String, ModuleFile> {
        self.files
            .iter()
            .filter_map(|(name, f)| Some((name.strip_prefix(prefix)?.to_string(), f.clone())))
            .collect()
    }
}

/// The go.sum hash of the module zip at `path`.
pub fn hash_zip(path: &Path) -> Result<String, DirhashError> {
    let file = File::open(path).map_err(|source| DirhashError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(read(file, path)?.h1)
}

/// Reads a module zip from `reader`; `shown` names it in errors.
pub fn read<R: Read + Seek>(reader: R, shown: &Path) -> Result<ModuleZip, DirhashError> {
    let zip_err = |source| DirhashError::Zip {
        path: shown.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_err)?;
    let mut files = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        let name = entry.name().map_err(zip_err)?.into_owned();
        if name.contains('\n') {
            return Err(DirhashError::Newline {
                path: shown.to_path_buf(),
                name,
            });
        }
        let file = module_file(&name, &mut entry).map_err(|source| DirhashError::Io {
            path: shown.join(&name),
            source,
        })?;
        files.push((name, file));
    }
    let h1 = dirhash::hash1_of_digests(files.iter().map(|(n, f)| (n.clone(), f.sha256)).collect());
    Ok(ModuleZip { h1, files })
}

/// One file read once: hashed as it is scanned.
pub fn module_file(name: &str, data: &mut dyn Read) -> io::Result<ModuleFile> {
    let mut hasher = Sha256::new();
    let mut hashing = Tap {
        inner: data,
        tap: |b: &[u8]| {
            hasher.update(b);
            Ok(())
        },
    };
    let go = if name.ends_with(".go") {
        Some(GoFile::scan(&mut BufReader::new(&mut hashing))?)
    } else {
        None
    };
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(ModuleFile {
        sha256: hasher.finalize().into(),
        go,
    })
}
